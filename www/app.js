/*
 * vigil dashboard: one WebSocket to the gateway (/ws, subprotocol
 * vigil.msgpack), the latest value of every series from each source, and a
 * five-minute chart of CPU busy and memory used. Incoming messages only
 * change state and mark what needs drawing; the page is drawn at most once
 * per animation frame. A lost connection is retried with exponential backoff
 * and jitter, and the page says how old the numbers on it are.
 */
(function () {
	"use strict";

	const WINDOW_S = 300;		/* chart width, seconds */
	const KEEP_S = WINDOW_S + 30;	/* history kept, seconds */
	const MAX_POINTS = 8000;	/* hard cap on chart rows */
	const BACKOFF_MIN_MS = 500;
	const BACKOFF_MAX_MS = 30000;
	const STABLE_MS = 10000;	/* open this long: backoff starts over */
	const SILENT_MS = 30000;	/* nothing received: assume the link is dead */
	const SUBPROTOCOL = "vigil.msgpack";

	const S_CPU = 0;
	const S_MEM = 1;

	const el = {};
	for (const id of ["host", "conn", "conn-state", "conn-age", "cpu-busy",
	    "cpu-bar", "cpu-sub", "mem-used", "mem-total", "mem-bar",
	    "mem-avail", "load-1", "load-5", "load-15", "uptime", "chart",
	    "server"])
		el[id] = document.getElementById(id);

	/* The connection; one socket at a time. */
	const conn = {
		ws: null,
		state: "connecting",	/* connecting live reconnecting */
		attempt: 0,
		timer: 0,
		retryAt: 0,
		openedAt: 0,
		hello: false,
		lastRx: 0,		/* performance.now() of the last message */
		lastSample: 0,		/* performance.now() of the last sample */
		interval: 1000,		/* largest sample interval seen, ms */
		skew: null,		/* browser clock minus gateway clock, ms */
		bad: 0			/* messages that did not decode */
	};

	/* Latest values per source and what the gateway said about itself. */
	const latest = {};
	const lastT = {};
	const info = { server: "", gwhost: "", host: "" };

	/* Chart rows: x in seconds; undefined = no point, null = a gap. */
	const xs = [];
	const ys = [[], []];
	const lastX = [undefined, undefined];
	const lastY = [null, null];

	let plot = null;
	let plotWidth = 0;
	let frame = 0;
	const dirty = {
		values: false, conn: false, chart: false, size: false, theme: false
	};

	function schedule(what) {
		dirty[what] = true;
		if (frame === 0)
			frame = requestAnimationFrame(render);
	}

	function num(v) {
		return typeof v === "number" && Number.isFinite(v) ? v : null;
	}

	/* ---- formatting ---------------------------------------------- */

	function fmtBytes(b) {
		if (b === null)
			return "–";
		const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
		let i = 0;
		while (Math.abs(b) >= 1024 && i < units.length - 1) {
			b /= 1024;
			i++;
		}
		const d = i === 0 ? 0 : Math.abs(b) < 10 ? 2 : Math.abs(b) < 100 ? 1 : 0;
		return b.toFixed(d) + " " + units[i];
	}

	function fmtPct(v) {
		return v === null ? "–" : v.toFixed(1) + " %";
	}

	function fmtAge(ms) {
		if (ms < 1500)
			return "just now";
		const s = Math.round(ms / 1000);
		if (s < 90)
			return s + " s ago";
		const m = Math.round(s / 60);
		if (m < 90)
			return m + " min ago";
		return Math.round(m / 60) + " h ago";
	}

	function fmtUptime(s) {
		if (s === null)
			return "";
		const d = Math.floor(s / 86400);
		const h = Math.floor((s % 86400) / 3600);
		const m = Math.floor((s % 3600) / 60);
		if (d > 0)
			return "up " + d + " d " + h + " h";
		if (h > 0)
			return "up " + h + " h " + m + " min";
		return "up " + m + " min";
	}

	function setText(node, text) {
		if (node.textContent !== text)
			node.textContent = text;
	}

	/* ---- connection ---------------------------------------------- */

	function wsUrl() {
		const proto = location.protocol === "https:" ? "wss:" : "ws:";
		return proto + "//" + location.host + "/ws";
	}

	function setState(s) {
		if (conn.state === s)
			return;
		conn.state = s;
		schedule("conn");
		schedule("values");
	}

	function connect() {
		clearTimeout(conn.timer);
		conn.timer = 0;
		let ws;
		try {
			ws = new WebSocket(wsUrl(), SUBPROTOCOL);
		} catch (e) {
			retry();
			return;
		}
		ws.binaryType = "arraybuffer";
		conn.ws = ws;
		conn.hello = false;
		conn.openedAt = 0;
		conn.skew = null;
		setState("connecting");

		ws.onopen = function () {
			if (ws !== conn.ws)
				return;
			conn.openedAt = performance.now();
			conn.lastRx = conn.openedAt;
		};
		ws.onmessage = function (ev) {
			if (ws === conn.ws)
				receive(ev.data);
		};
		ws.onclose = function () {
			if (ws !== conn.ws)
				return;
			conn.ws = null;
			retry();
		};
		/* An error is always followed by close; nothing to do here. */
		ws.onerror = function () {};
	}

	/* Drop the current socket (if any) and try again after a backoff. */
	function retry() {
		if (conn.ws !== null) {
			const ws = conn.ws;
			conn.ws = null;
			ws.onopen = ws.onmessage = ws.onclose = null;
			ws.close();
		}
		const now = performance.now();
		if (conn.hello && conn.openedAt > 0 &&
		    now - conn.openedAt >= STABLE_MS)
			conn.attempt = 0;
		/* Equal jitter: half the step fixed, half random. */
		const step = Math.min(BACKOFF_MAX_MS,
		    BACKOFF_MIN_MS * Math.pow(2, Math.min(conn.attempt, 16)));
		const delay = step / 2 + Math.random() * step / 2;
		conn.attempt++;
		conn.retryAt = now + delay;
		clearTimeout(conn.timer);
		conn.timer = setTimeout(connect, delay);
		setState("reconnecting");
	}

	/* Skip the wait when the browser says the network is back. */
	function retryNow() {
		if (conn.state === "reconnecting")
			connect();
	}

	/* ---- messages ------------------------------------------------ */

	function decode(data) {
		if (typeof data === "string")
			return JSON.parse(data);
		return MessagePack.decode(new Uint8Array(data));
	}

	function receive(data) {
		let m;
		try {
			m = decode(data);
		} catch (e) {
			conn.bad++;
			schedule("conn");
			return;
		}
		if (m === null || typeof m !== "object")
			return;
		conn.lastRx = performance.now();
		if (m.type === "hello")
			onHello(m);
		else if (m.type === "sample")
			onSample(m);
	}

	function onHello(m) {
		conn.hello = true;
		info.server = typeof m.server === "string" ? m.server : "";
		info.gwhost = typeof m.host === "string" ? m.host : "";
		setState("live");
		schedule("values");
	}

	function onSample(m) {
		const src = m.src;
		const vals = m.vals;
		const t = num(m.t);
		if (typeof src !== "string" || vals === null ||
		    typeof vals !== "object" || t === null)
			return;
		if (!conn.hello)
			setState("live");
		const now = performance.now();
		conn.lastSample = now;
		const iv = num(m.iv);
		if (iv !== null && iv > 0 && iv <= 3600000)
			conn.interval = Math.max(conn.interval, iv);
		if (typeof m.host === "string")
			info.host = m.host;

		/* The smallest lag seen is the best guess at clock skew. */
		const lag = Date.now() - t;
		if (conn.skew === null || lag < conn.skew)
			conn.skew = lag;

		latest[src] = vals;
		schedule("values");
		schedule("conn");

		if (lastT[src] !== undefined && t <= lastT[src])
			return;		/* already charted (resent on reconnect) */
		lastT[src] = t;
		const ivs = (iv !== null && iv > 0 ? iv : 1000) / 1000;
		if (src === "system") {
			const cpu = num(vals["cpu.total.busy"]);
			if (cpu !== null)
				addPoint(S_CPU, t / 1000, cpu, ivs);
		} else if (src === "memory") {
			const used = num(vals["mem.used"]);
			const total = num(vals["mem.total"]);
			if (used !== null && total !== null && total > 0)
				addPoint(S_MEM, t / 1000, 100 * used / total, ivs);
		}
	}

	/* ---- chart data ---------------------------------------------- */

	/*
	 * Put y for series s at x, keeping xs sorted. A new row holds no point
	 * (undefined) for the other series, or null inside one of their gaps
	 * so uPlot clips the whole gap and not just the rows next to it.
	 */
	function insertAt(s, x, y) {
		let i = xs.length;
		while (i > 0 && xs[i - 1] > x)
			i--;
		if (i > 0 && xs[i - 1] === x) {
			ys[s][i - 1] = y;
			return;
		}
		xs.splice(i, 0, x);
		for (let k = 0; k < ys.length; k++)
			ys[k].splice(i, 0, k === s ? y : inGap(k, i));
	}

	function inGap(k, i) {
		const y = ys[k];
		let j = i - 1;
		while (j >= 0 && y[j] === undefined)
			j--;
		return j >= 0 && y[j] === null ? null : undefined;
	}

	function addPoint(s, x, y, ivs) {
		const prev = lastX[s];
		/* Missed samples: break the line instead of drawing across. */
		if (prev !== undefined && x > prev &&
		    x - prev > Math.max(3 * ivs, 5)) {
			insertAt(s, prev + Math.min(ivs, (x - prev) / 2), null);
			for (let i = 0; i < xs.length; i++)
				if (xs[i] > prev && xs[i] < x &&
				    ys[s][i] === undefined)
					ys[s][i] = null;
		}
		insertAt(s, x, y);
		if (prev === undefined || x > prev) {
			lastX[s] = x;
			lastY[s] = y;
		}
		schedule("chart");
	}

	/* Gateway time now, in seconds, as best the browser can tell. */
	function nowS() {
		return (Date.now() - (conn.skew === null ? 0 : conn.skew)) / 1000;
	}

	function prune() {
		const old = nowS() - KEEP_S;
		let n = 0;
		while (n < xs.length && xs[n] < old)
			n++;
		n = Math.max(n, xs.length - MAX_POINTS);
		if (n > 0) {
			xs.splice(0, n);
			for (const y of ys)
				y.splice(0, n);
		}
	}

	/* ---- chart --------------------------------------------------- */

	function cssVar(name) {
		return getComputedStyle(document.documentElement)
		    .getPropertyValue(name).trim();
	}

	function chartHeight() {
		return window.matchMedia("(max-width: 480px)").matches ? 220 : 300;
	}

	/* Legend: the value under the cursor, else the latest one. */
	function pctValue(u, v, si, idx) {
		if (idx === null || idx === undefined)
			v = lastY[si - 1];
		return v === null || v === undefined ? "–" : v.toFixed(1) + " %";
	}

	function two(n) {
		return n < 10 ? "0" + n : String(n);
	}

	/* Whole minutes as local HH:MM, the ticks between as :SS. */
	function timeTicks(u, vals) {
		return vals.map(function (v) {
			const d = new Date(v * 1000);
			if (d.getSeconds() !== 0)
				return ":" + two(d.getSeconds());
			return two(d.getHours()) + ":" + two(d.getMinutes());
		});
	}

	function makePlot() {
		if (typeof uPlot === "undefined")
			return;
		if (plot !== null)
			plot.destroy();
		const axis = cssVar("--c-axis");
		const grid = { stroke: cssVar("--c-grid"), width: 1 };
		const ticks = { stroke: cssVar("--c-grid"), width: 1 };
		const cpu = cssVar("--c-cpu");
		const mem = cssVar("--c-mem");
		plotWidth = el.chart.clientWidth;
		const opts = {
			width: plotWidth,
			height: chartHeight(),
			cursor: { drag: { x: false, y: false } },
			legend: { live: true },
			scales: {
				x: { time: true, auto: false },
				pct: { auto: false, range: [0, 100] }
			},
			series: [
				{
					label: "time",
					value: function (u, v) {
						return v === null || v === undefined ?
						    "latest" : new Date(v * 1000)
						    .toLocaleTimeString();
					}
				},
				{
					label: "CPU busy",
					scale: "pct",
					stroke: cpu,
					fill: cpu + "22",
					width: 1.5,
					value: pctValue
				},
				{
					label: "memory used",
					scale: "pct",
					stroke: mem,
					width: 1.5,
					value: pctValue
				}
			],
			axes: [
				{
					stroke: axis,
					grid: grid,
					ticks: ticks,
					space: 45,
					values: timeTicks
				},
				{
					scale: "pct",
					stroke: axis,
					grid: grid,
					ticks: ticks,
					size: 60,
					values: function (u, v) {
						return v.map(function (x) {
							return x + " %";
						});
					}
				}
			]
		};
		plot = new uPlot(opts, [xs, ys[S_CPU], ys[S_MEM]], el.chart);
		drawChart();
	}

	function drawChart() {
		if (plot === null)
			return;
		prune();
		const now = nowS();
		plot.batch(function () {
			plot.setData([xs, ys[S_CPU], ys[S_MEM]], false);
			plot.setScale("x", { min: now - WINDOW_S, max: now });
			/* uPlot only refreshes the legend when the cursor moves. */
			if (plot.cursor.idx === null || plot.cursor.idx === undefined)
				plot.setLegend({ idx: null });
		});
	}

	function resizeChart() {
		if (plot === null)
			return;
		const w = el.chart.clientWidth;
		const h = chartHeight();
		if (w !== plotWidth || h !== plot.height) {
			plotWidth = w;
			plot.setSize({ width: w, height: h });
		}
	}

	/* ---- drawing ------------------------------------------------- */

	function isStale() {
		if (conn.state !== "live")
			return true;
		return conn.lastSample > 0 && performance.now() - conn.lastSample >
		    Math.max(3 * conn.interval, 5000);
	}

	function renderConn() {
		const now = performance.now();
		let state = conn.state;
		let text;
		if (state === "live" && isStale()) {
			state = "stale";
			text = "live, no new data";
		} else if (state === "live") {
			text = conn.lastSample > 0 ? "live" : "live, waiting for data";
		} else if (state === "reconnecting") {
			const s = Math.max(0, Math.ceil((conn.retryAt - now) / 1000));
			text = s > 0 ? "reconnecting in " + s + " s" : "reconnecting";
		} else {
			text = "connecting";
		}
		el.conn.dataset.state = state;
		setText(el["conn-state"], text);
		let age = "";
		if (conn.lastSample > 0)
			age = (state === "live" ? "updated " : "last update ") +
			    fmtAge(now - conn.lastSample);
		setText(el["conn-age"], age);
		document.body.classList.toggle("stale",
		    conn.lastSample > 0 && state !== "live");
		let foot = info.server;
		if (info.gwhost)
			foot += (foot ? " on " : "") + info.gwhost;
		if (conn.bad > 0)
			foot += (foot ? " · " : "") + conn.bad +
			    " undecodable message" + (conn.bad === 1 ? "" : "s");
		setText(el.server, foot);
	}

	function renderValues() {
		const sys = latest.system || {};
		const mem = latest.memory || {};

		const cpu = num(sys["cpu.total.busy"]);
		setText(el["cpu-busy"], fmtPct(cpu));
		el["cpu-bar"].style.width = (cpu === null ? 0 :
		    Math.min(100, Math.max(0, cpu))) + "%";
		let cores = 0;
		for (const k in sys)
			if (/^cpu\.\d+\.busy$/.test(k))
				cores++;
		setText(el["cpu-sub"], cores > 0 ?
		    cores + (cores === 1 ? " core" : " cores") : "\u00a0");

		const used = num(mem["mem.used"]);
		const total = num(mem["mem.total"]);
		setText(el["mem-used"], fmtBytes(used));
		setText(el["mem-total"], fmtBytes(total));
		setText(el["mem-avail"], fmtBytes(num(mem["mem.available"])));
		el["mem-bar"].style.width = (used === null || !total ? 0 :
		    Math.min(100, Math.max(0, 100 * used / total))) + "%";

		for (const n of ["1", "5", "15"]) {
			const v = num(sys["load." + n]);
			setText(el["load-" + n], v === null ? "–" : v.toFixed(2));
		}
		setText(el.uptime, fmtUptime(num(sys.uptime)) || "\u00a0");

		const host = info.host || info.gwhost;
		setText(el.host, host);
		const title = host ? "vigil · " + host : "vigil";
		if (document.title !== title)
			document.title = title;
	}

	function render() {
		frame = 0;
		if (dirty.values)
			renderValues();
		if (dirty.conn)
			renderConn();
		if (dirty.theme)
			makePlot();
		else if (dirty.size)
			resizeChart();
		if (dirty.chart)
			drawChart();
		dirty.values = dirty.conn = dirty.chart = false;
		dirty.size = dirty.theme = false;
	}

	/* Once a second: move the chart, age the status, watch for silence. */
	function tick() {
		if (conn.ws !== null && conn.ws.readyState === WebSocket.OPEN &&
		    performance.now() - conn.lastRx >
		    Math.max(SILENT_MS, 10 * conn.interval))
			retry();
		schedule("conn");
		schedule("chart");
	}

	/* ---- start --------------------------------------------------- */

	makePlot();
	if (typeof ResizeObserver !== "undefined")
		new ResizeObserver(function () {
			schedule("size");
		}).observe(el.chart);
	else
		window.addEventListener("resize", function () {
			schedule("size");
		});
	window.matchMedia("(prefers-color-scheme: dark)")
	    .addEventListener("change", function () {
		schedule("theme");
	    });
	window.addEventListener("online", retryNow);
	document.addEventListener("visibilitychange", function () {
		if (document.visibilityState === "visible")
			retryNow();
	});
	setInterval(tick, 1000);
	schedule("values");
	schedule("conn");
	if (typeof MessagePack === "undefined") {
		setText(el["conn-state"], "msgpack decoder missing");
		return;
	}
	connect();
})();
