/*
 * The dashboard through a gateway crash, against the real stack: killing
 * vigil-gateway turns the indicator to "reconnecting"; once vigild has
 * restarted it the indicator is "live" again, and no series has a gap
 * longer than the outage. While the gateway is down Chromium logs
 * "WebSocket connection to ... failed" as console errors: exactly those,
 * inside the outage, are expected and filtered here; any other console
 * error fails the test.
 */
"use strict";

const path = require("path");
const L = require("./lib.js");

const INTERVAL = 250;

L.run(async function (hold) {
	const stack = hold(await new L.Stack({}, INTERVAL).start());
	await L.sleep(1500);
	const ctx = hold(await L.browser());
	ctx.cleanup = ctx.close;
	const page = await ctx.newPage();
	const errors = L.collectErrors(page);
	const shots = L.shotsDir("reconnect");
	await page.goto(stack.url());
	/* Every change of the indicator, with the browser's clock. */
	await page.evaluate(() => {
		window.states = [];
		const c = document.getElementById("conn");
		new MutationObserver(() => window.states.push(
		    { s: c.dataset.state, t: Date.now() }))
		    .observe(c, { attributes: true });
	});
	await L.waitFor("live with data", () => page.evaluate(() =>
	    document.getElementById("conn").dataset.state === "live" &&
	    window.vigil.store.points > 20), 5000);
	await L.sleep(1500);

	const pid = stack.rolePid("gateway");
	if (!pid)
		throw new Error("no vigil-gateway child of vigild");
	const killAt = Date.now();
	process.kill(pid, "SIGKILL");
	L.log(`killed vigil-gateway pid ${pid}`);
	await L.waitFor("indicator reconnecting", () => page.evaluate(() =>
	    window.states.some((x) => x.s === "reconnecting")), 5000, 20);
	await page.screenshot({ path: path.join(shots, "reconnecting.png") });
	const live = await L.waitFor("indicator live again", () => page.evaluate(
	    (k) => {
		const i = window.states.findIndex((x) => x.s === "reconnecting");
		const l = window.states.slice(i).find((x) => x.s === "live" &&
		    x.t > k);
		return l ? l.t : null;
	    }, killAt), 15000, 20);
	const newPid = stack.rolePid("gateway");
	L.log(`reconnecting, then live again ${live - killAt} ms after the ` +
	    `kill (new gateway pid ${newPid})`);
	if (newPid === pid)
		throw new Error("the gateway was not restarted");

	await L.sleep(3000);
	await page.screenshot({ path: path.join(shots, "live-again.png") });
	const outage = live - killAt;
	const gapsIn = (from, to) => page.evaluate((a) => {
		const out = {};
		for (const src of ["system", "memory"])
			out[src] = window.vigil.store.maxGap(src, a.from, a.to);
		return out;
	}, { from, to });
	/*
	 * Samples are lost from the kill until the collectors have dialled
	 * the new gateway (nng redials after 100 ms or more): one gap of
	 * about the outage, and none anywhere else.
	 */
	const around = await gapsIn(killAt - 5000, Date.now());
	const before = await gapsIn(killAt - 5000, killAt - INTERVAL);
	const after = await gapsIn(live + 1000, Date.now());
	const allowed = outage + 2 * INTERVAL + 1000;
	L.log(`largest gaps: around the outage ${JSON.stringify(around)} ms ` +
	    `(allowed: the outage ${outage} ms + 2 intervals + 1 s of ` +
	    `redialling), before ${JSON.stringify(before)}, after ` +
	    JSON.stringify(after));
	for (const [src, g] of Object.entries(around))
		if (g === null || g > allowed)
			throw new Error(`${src}: gap of ${g} ms, longer than the ` +
			    `outage (${outage} ms)`);
	for (const [src, g] of Object.entries(before).concat(
	    Object.entries(after)))
		if (g === null || g > 2.5 * INTERVAL)
			throw new Error(`${src}: gap of ${g} ms away from the outage`);
	const last = await page.evaluate(() => window.vigil.store.lastMs);
	await L.waitFor("live updates after the restart", () => page.evaluate(
	    (b) => window.vigil.store.lastMs > b, last), 3000);

	const expected = (e) => e.at >= killAt && e.at <= live + 1000 &&
	    (/WebSocket connection to .* failed/.test(e.text) || e.network);
	const filtered = errors.filter(expected);
	const other = errors.filter((e) => !expected(e));
	L.log(`console errors during the outage, expected and filtered: ` +
	    `${filtered.length}`);
	if (other.length > 0)
		throw new Error("console errors: " + JSON.stringify(other));
});
