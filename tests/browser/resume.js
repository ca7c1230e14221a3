/*
 * Resume against the real stack: the page reaches the gateway through a
 * relay that drops the connection and refuses new ones for 1.5 s while
 * the gateway keeps running. The page reconnects with ?session=&cursor=,
 * stays in the same session, and gets from the snapshot exactly what it
 * missed: afterwards no series has any gap. The console errors of the
 * refused reconnects, inside the cut, are expected and filtered.
 */
"use strict";

const L = require("./lib.js");

const INTERVAL = 250;
const CUT_MS = 1500;

L.run(async function (hold) {
	const stack = hold(await new L.Stack({}, INTERVAL).start());
	const relay = hold(await new L.Relay(stack.httpPort).start());
	const ctx = hold(await L.browser());
	ctx.cleanup = ctx.close;
	const page = await ctx.newPage();
	const errors = L.collectErrors(page);
	await page.goto(relay.url());
	await L.waitFor("live with data", () => page.evaluate(() =>
	    document.getElementById("conn").dataset.state === "live" &&
	    window.vigil.store.points > 10), 5000);
	await L.sleep(1000);
	const before = await page.evaluate(() => window.vigil.stats());
	const cutAt = Date.now();
	relay.down(CUT_MS);
	L.log(`connection cut for ${CUT_MS} ms at cursor ${before.cursor}`);
	await L.waitFor("reconnecting", () => page.evaluate(() =>
	    document.getElementById("conn").dataset.state === "reconnecting"),
	    3000, 20);
	await L.waitFor("live again", () => page.evaluate((n) =>
	    window.vigil.conn.opens > n &&
	    document.getElementById("conn").dataset.state === "live",
	    before.opens), 15000, 50);
	const liveAt = Date.now();
	await L.sleep(1500);
	const after = await page.evaluate(() => window.vigil.stats());
	if (after.session !== before.session)
		throw new Error("the session changed: the gateway restarted?");
	const gaps = await page.evaluate((a) => {
		const out = {};
		for (const src of ["system", "memory", "metrics"])
			out[src] = window.vigil.store.maxGap(src, a, Date.now());
		return out;
	}, cutAt - 2000);
	L.log(`live again after ${liveAt - cutAt} ms, same session, cursor ` +
	    `${before.cursor} -> ${after.cursor}; largest steps ` +
	    `${JSON.stringify(gaps)} ms`);
	for (const [src, g] of Object.entries(gaps))
		if (g === null || g > 2.5 * INTERVAL)
			throw new Error(`${src}: a gap of ${g} ms after the resume`);
	const bad = errors.filter((e) => !(e.at >= cutAt && e.at <= liveAt + 500 &&
	    (/WebSocket connection to .* failed/.test(e.text) || e.network)));
	if (bad.length > 0)
		throw new Error("console errors: " + JSON.stringify(bad));
	L.log(`${errors.length - bad.length} console errors of refused ` +
	    "reconnects filtered");
});
