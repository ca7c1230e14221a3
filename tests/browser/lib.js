/*
 * Helpers for the dashboard's browser tests and benchmark: Debian's
 * Chromium driven by playwright-core (never a downloaded browser), the real
 * vigild from the build tree on free ports in a temporary directory (as
 * tests/integration/vigiltest.py does), the fake gateway, console error
 * collection and clean-up that kills whatever is left when a test fails.
 */
"use strict";

const child = require("child_process");
const dgram = require("dgram");
const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");

const BUILDDIR = process.env.VIGIL_BUILDDIR || process.cwd();
const SRCDIR = process.env.VIGIL_SRCDIR || BUILDDIR;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const { chromium } = require(path.join(BUILDDIR,
    "tests/browser/node_modules/playwright-core"));

const t0 = Date.now();
function log(msg) {
	const s = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
	console.log(`[${s}] ${msg}`);
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(what, pred, timeoutMs, stepMs = 100) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await pred();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
		await sleep(stepMs);
	}
}

function freePort(kind = "tcp") {
	return new Promise((resolve, reject) => {
		if (kind === "udp") {
			const s = dgram.createSocket("udp4");
			s.bind(0, "127.0.0.1", () => {
				const p = s.address().port;
				s.close(() => resolve(p));
			});
			s.on("error", reject);
			return;
		}
		const s = net.createServer();
		s.listen(0, "127.0.0.1", () => {
			const p = s.address().port;
			s.close(() => resolve(p));
		});
		s.on("error", reject);
	});
}

function tcpUp(port) {
	return new Promise((resolve) => {
		const c = net.connect(port, "127.0.0.1");
		c.setTimeout(300);
		c.on("connect", () => { c.destroy(); resolve(true); });
		c.on("error", () => resolve(false));
		c.on("timeout", () => { c.destroy(); resolve(false); });
	});
}

/* {pid: comm} of the live children of ppid. */
function children(ppid) {
	const out = {};
	for (const d of fs.readdirSync("/proc")) {
		if (!/^\d+$/.test(d))
			continue;
		let stat;
		try {
			stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
		} catch (e) {
			continue;
		}
		const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
		const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
		if (Number(f[1]) === ppid && f[0] !== "Z")
			out[Number(d)] = comm;
	}
	return out;
}

/* vigild -f with every role on free ports, in a temporary directory. */
class Stack {
	constructor(conf = {}, interval = 250) {
		this.conf = conf;
		this.interval = interval;
		this.proc = null;
	}

	async start() {
		this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-browser-"));
		fs.chmodSync(this.tmp, 0o755);
		this.httpPort = await freePort();
		this.statsdPort = await freePort("udp");
		const iv = this.interval;
		const sections = {
			vigild: { rundir: path.join(this.tmp, "run"), bindir: BUILDDIR,
			    stop_timeout: 3000, health_interval: 500 },
			gateway: { port: this.httpPort, www: path.join(BUILDDIR, "www") },
			system: { interval: iv, meta_interval: 1000 },
			memory: { interval: iv, meta_interval: 1000 },
			metrics: { interval: iv, port: this.statsdPort,
			    meta_interval: 1000 }
		};
		for (const [sec, keys] of Object.entries(this.conf))
			Object.assign(sections[sec] = sections[sec] || {}, keys);
		let text = "";
		for (const [sec, keys] of Object.entries(sections)) {
			text += `[${sec}]\n`;
			for (const [k, v] of Object.entries(keys))
				if (v !== null)
					text += `${k} = ${v}\n`;
			text += "\n";
		}
		this.confPath = path.join(this.tmp, "vigil.conf");
		fs.writeFileSync(this.confPath, text, { mode: 0o644 });
		this.logPath = path.join(this.tmp, "vigild.log");
		const out = fs.openSync(this.logPath, "w");
		this.proc = child.spawn(path.join(BUILDDIR, "vigild"),
		    ["-f", "-v", "-c", this.confPath],
		    { stdio: ["ignore", out, out], detached: true });
		this.exited = null;
		this.proc.on("exit", (code, sig) => { this.exited = sig || code; });
		log(`vigild pid ${this.proc.pid}, http ${this.httpPort}, ` +
		    `statsd ${this.statsdPort}, dir ${this.tmp}`);
		await waitFor("the gateway's HTTP port", async () => {
			if (this.exited !== null)
				throw new Error(`vigild exited: ${this.exited}`);
			return tcpUp(this.httpPort);
		}, 10000);
		return this;
	}

	url(hash = "") {
		return `http://127.0.0.1:${this.httpPort}/${hash}`;
	}

	rolePid(role) {
		const want = `vigil-${role}`.slice(0, 15);
		for (const [pid, comm] of Object.entries(children(this.proc.pid)))
			if (comm === want)
				return Number(pid);
		return null;
	}

	statsd(lines) {
		const s = dgram.createSocket("udp4");
		return new Promise((resolve) => {
			s.send(lines.join("\n"), this.statsdPort, "127.0.0.1", () => {
				s.close();
				resolve();
			});
		});
	}

	logs() {
		try {
			return fs.readFileSync(this.logPath, "utf8");
		} catch (e) {
			return "";
		}
	}

	cleanup() {
		if (this.proc !== null && this.exited === null) {
			try {
				process.kill(-this.proc.pid, "SIGTERM");
			} catch (e) { /* gone */ }
			const end = Date.now() + 5000;
			while (this.exited === null && Date.now() < end &&
			    fs.existsSync(`/proc/${this.proc.pid}`) &&
			    !/\) Z /.test(readStat(this.proc.pid)))
				child.spawnSync("sleep", ["0.1"]);
			try {
				process.kill(-this.proc.pid, "SIGKILL");
			} catch (e) { /* gone */ }
		}
		if (this.tmp)
			fs.rmSync(this.tmp, { recursive: true, force: true });
	}
}

function readStat(pid) {
	try {
		return fs.readFileSync(`/proc/${pid}/stat`, "utf8");
	} catch (e) {
		return ") Z ";
	}
}

/* The fake gateway of tests/browser/fakegw.py. */
class Fake {
	constructor(args = []) {
		this.args = args;
		this.proc = null;
	}

	async start() {
		this.proc = child.spawn(process.env.TEST_PYTHON || "/usr/bin/python3",
		    [path.join(SRCDIR, "tests/browser/fakegw.py"), "--www",
			path.join(BUILDDIR, "www"), ...this.args],
		    { stdio: ["ignore", "pipe", "inherit"] });
		this.httpPort = await new Promise((resolve, reject) => {
			let buf = "";
			this.proc.stdout.on("data", (d) => {
				buf += d;
				const m = /port (\d+)/.exec(buf);
				if (m)
					resolve(Number(m[1]));
			});
			this.proc.on("exit", (c) => reject(new Error(`fakegw exited ${c}`)));
		});
		log(`fakegw pid ${this.proc.pid}, http ${this.httpPort}`);
		return this;
	}

	url(hash = "") {
		return `http://127.0.0.1:${this.httpPort}/${hash}`;
	}

	async hook(p) {
		const r = await fetch(`http://127.0.0.1:${this.httpPort}${p}`);
		return r.text();
	}

	cleanup() {
		if (this.proc !== null && this.proc.exitCode === null)
			this.proc.kill("SIGKILL");
	}
}

/*
 * A TCP relay to port, for cutting the page off a gateway that keeps
 * running: down(ms) drops every relayed connection and refuses new ones
 * for ms.
 */
class Relay {
	constructor(port) {
		this.target = port;
		this.socks = new Set();
		this.downUntil = 0;
	}

	async start() {
		this.port = await freePort();
		this.server = net.createServer((c) => {
			if (Date.now() < this.downUntil) {
				c.destroy();
				return;
			}
			const u = net.connect(this.target, "127.0.0.1");
			for (const [a, b] of [[c, u], [u, c]]) {
				this.socks.add(a);
				a.on("data", (d) => b.write(d));
				a.on("close", () => { this.socks.delete(a); b.destroy(); });
				a.on("error", () => b.destroy());
			}
		});
		await new Promise((r) => this.server.listen(this.port, "127.0.0.1", r));
		return this;
	}

	url(hash = "") {
		return `http://127.0.0.1:${this.port}/${hash}`;
	}

	down(ms) {
		this.downUntil = Date.now() + ms;
		for (const s of this.socks)
			s.destroy();
	}

	cleanup() {
		this.down(0);
		this.server.close();
	}
}

async function browser() {
	if (!fs.existsSync(CHROMIUM)) {
		log(`FAIL: no ${CHROMIUM}: install chromium`);
		process.exit(1);
	}
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-chromium-"));
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		viewport: { width: 1280, height: 900 },
		args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		    "--disable-background-networking", "--disable-component-update",
		    "--disable-sync", "--no-first-run"]
	});
	const close = ctx.close.bind(ctx);
	ctx.close = async function () {
		await close().catch(() => {});
		fs.rmSync(profile, { recursive: true, force: true });
	};
	return ctx;
}

/* Console errors and page exceptions of page, kept in an array. */
function collectErrors(page) {
	const errors = [];
	page.on("console", (m) => {
		if (m.type() === "error")
			errors.push({ at: Date.now(), text: m.text() });
	});
	page.on("pageerror", (e) => errors.push({ at: Date.now(),
	    text: "exception: " + e.message }));
	page.on("requestfailed", (r) => errors.push({ at: Date.now(),
	    text: "request failed: " + r.url(), network: true }));
	return errors;
}

/* A folder for screenshots in the build tree, printed. */
function shotsDir(name) {
	const d = path.join(BUILDDIR, "tests/browser", "shots-" + name);
	fs.rmSync(d, { recursive: true, force: true });
	fs.mkdirSync(d, { recursive: true });
	log(`screenshots in ${d}`);
	return d;
}

/* Run main() with clean-up; exit 0 or 1 (fail) for automake. */
function run(main) {
	const held = [];
	const hold = (x) => { held.push(x); return x; };
	const timer = setTimeout(() => {
		log("FAIL: the test took too long");
		finish(1);
	}, Number(process.env.VIGIL_BROWSER_TIMEOUT || 120000));
	async function finish(code) {
		clearTimeout(timer);
		for (const x of held.reverse()) {
			try {
				await x.cleanup();
			} catch (e) { /* best effort */ }
		}
		process.exit(code);
	}
	main(hold).then(() => {
		log("PASS");
		return finish(0);
	}, (e) => {
		log("FAIL: " + (e && e.stack || e));
		for (const x of held)
			if (x instanceof Stack)
				log("vigild's log (tail):\n" +
				    x.logs().split("\n").slice(-40).join("\n"));
		return finish(1);
	});
}

/* The views the page has, from the page itself. */
async function views(page) {
	return page.evaluate(() => window.vigil.views.map((v) => v.id));
}

/* What is drawn in the current view: charts, drawn charts, rows. */
async function viewState(page) {
	return page.evaluate(() => {
		const v = window.vigil.view.current;
		const b = v.built;
		const charts = b ? b.charts : [];
		const sec = document.getElementById("view-" + v.id);
		return {
			id: v.id,
			charts: charts.length,
			drawn: charts.filter((c) => c.plot !== null &&
			    c.plot.data[0].length > 1).length,
			rows: sec.querySelectorAll("tbody tr").length,
			empty: sec.querySelectorAll(".empty").length,
			text: sec.innerText.slice(0, 200)
		};
	});
}

module.exports = { BUILDDIR, SRCDIR, log, sleep, waitFor, freePort, Stack,
    Fake, Relay, browser, collectErrors, shotsDir, run, views, viewState };
