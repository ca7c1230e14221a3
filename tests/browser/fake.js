/*
 * The dashboard against tests/browser/fakegw.py, which publishes every
 * kind of series the collectors will (with metadata) and implements
 * session/cursor resume: every view must have data, and after the
 * connection drops while the gateway keeps running, the page resumes in
 * the same session and its charts have no gap at all. Console errors of
 * the refused reconnects during the drop are filtered, any other fails.
 */
"use strict";

const path = require("path");
const L = require("./lib.js");

const INTERVAL = 250;

/* The x range of the first chart of the view, seconds. */
function xRange(page) {
	return page.evaluate(() => {
		const p = window.vigil.view.current.built.charts[0].plot;
		return [p.scales.x.min, p.scales.x.max];
	});
}

/* Time windows and pause. */
async function controls(page) {
	await page.click("#windows button[data-win='60']");
	await L.sleep(300);
	let r = await xRange(page);
	if (Math.abs(r[1] - r[0] - 60) > 0.01)
		throw new Error("1 min window shows " + (r[1] - r[0]) + " s");
	await page.click("#windows button[data-win='0']");
	await L.sleep(300);
	r = await xRange(page);
	if (!(r[1] - r[0] > 90))
		throw new Error("all history shows only " + (r[1] - r[0]) + " s");
	await page.click("#windows button[data-win='300']");
	await page.click("#pause");
	const p0 = await xRange(page);
	await L.sleep(1000);
	const p1 = await xRange(page);
	if (p1[1] !== p0[1])
		throw new Error("paused charts moved");
	await page.click("#pause");
	await L.sleep(600);
	const p2 = await xRange(page);
	if (!(p2[1] > p1[1]))
		throw new Error("charts did not move after resume");
	L.log("windows 1 min / all / 5 min and pause / resume work");
}

/*
 * A hidden tab draws nothing and catches up when shown. Headless Chromium
 * never hides a page, so visibility is simulated: document.hidden is
 * overridden and visibilitychange dispatched, as the browser would.
 */
async function hidden(page) {
	const setHidden = (h) => page.evaluate((x) => {
		Object.defineProperty(document, "hidden",
		    { value: x, configurable: true });
		Object.defineProperty(document, "visibilityState",
		    { value: x ? "hidden" : "visible", configurable: true });
		document.dispatchEvent(new Event("visibilitychange"));
	}, h);
	const st = () => page.evaluate(() => ({ s: window.vigil.stats(),
	    last: window.vigil.store.lastMs }));
	await setHidden(true);
	await L.sleep(200);
	const a = await st();
	const x0 = await xRange(page);
	await L.sleep(1500);
	const b = await st();
	if (b.s.frames !== a.s.frames)
		throw new Error(`hidden: ${b.s.frames - a.s.frames} frames drawn`);
	if (!(b.last > a.last))
		throw new Error("hidden: no data kept arriving");
	const x1 = await xRange(page);
	if (x1[1] !== x0[1])
		throw new Error("hidden: a chart moved");
	await setHidden(false);
	await L.sleep(300);
	const c = await st();
	const x2 = await xRange(page);
	if (!(c.s.frames > b.s.frames) || !(x2[1] >= b.last / 1000 - 0.001))
		throw new Error("shown again: no catch-up");
	L.log(`hidden tab: no frame in 1.5 s while ${b.s.points - a.s.points} ` +
	    "points arrived; caught up when shown");
}

L.run(async function (hold) {
	const fake = hold(await new L.Fake(["--interval", String(INTERVAL),
	    "--history", "400"]).start());
	const ctx = hold(await L.browser());
	ctx.cleanup = ctx.close;
	const page = await ctx.newPage();
	const errors = L.collectErrors(page);
	const shots = L.shotsDir("fake");
	const opened = Date.now();
	await page.goto(fake.url());
	await L.waitFor("history", () => page.evaluate((o) => {
		const s = window.vigil.store.sources.get("system");
		return s && s.end - s.start > 100 && s.t[s.start] * 1000 < o - 10000;
	}, opened), 2000, 50);
	L.log(`history shown after ${Date.now() - opened} ms`);

	for (const id of await L.views(page)) {
		await page.evaluate((v) => { location.hash = v; }, id);
		await L.sleep(150);
		const h = await page.evaluate(() =>
		    document.documentElement.scrollHeight);
		await page.setViewportSize({ width: 1280, height: Math.min(h, 8000) });
		const st = await L.waitFor(`view ${id} drawn`, async () => {
			const s = await L.viewState(page);
			return s.charts > 0 && s.drawn === s.charts ? s : null;
		}, 4000);
		L.log(`view ${id}: ${st.drawn}/${st.charts} charts, ${st.rows} rows`);
		await page.screenshot({ path: path.join(shots, `${id}.png`) });
		await page.setViewportSize({ width: 1280, height: 900 });
	}
	if (errors.length > 0)
		throw new Error("console errors: " + JSON.stringify(errors));

	await page.evaluate(() => { location.hash = "overview"; });
	await controls(page);
	await hidden(page);
	const before = await page.evaluate(() => window.vigil.stats());
	const dropAt = Date.now();
	await fake.hook("/_fake/down?ms=1500");
	await L.waitFor("reconnecting", () => page.evaluate(() =>
	    document.getElementById("conn").dataset.state === "reconnecting"),
	    3000, 20);
	await L.waitFor("live again", () => page.evaluate((n) =>
	    window.vigil.conn.opens > n &&
	    document.getElementById("conn").dataset.state === "live",
	    before.opens), 10000, 50);
	await L.sleep(1000);
	const after = await page.evaluate(() => window.vigil.stats());
	if (after.session !== before.session)
		throw new Error("the session changed");
	const gaps = await page.evaluate((a) => {
		const out = {};
		for (const src of ["system", "memory", "metrics", "gateway"])
			out[src] = window.vigil.store.maxGap(src, a, Date.now());
		return out;
	}, dropAt - 3000);
	L.log(`resumed at cursor ${before.cursor} -> ${after.cursor}, ` +
	    `largest steps ${JSON.stringify(gaps)} ms`);
	for (const [src, g] of Object.entries(gaps))
		if (g > 1.5 * INTERVAL)
			throw new Error(`${src}: a gap of ${g} ms after a resume`);
	const bad = errors.filter((e) => !(e.at >= dropAt &&
	    (/WebSocket connection to .* failed/.test(e.text) || e.network)));
	if (bad.length > 0)
		throw new Error("console errors: " + JSON.stringify(bad));
	L.log(`${errors.length} console errors of refused reconnects filtered`);
});
