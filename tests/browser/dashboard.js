/*
 * The dashboard against the real stack (vigild from the build tree, every
 * role, temporary config on free ports): the page loads without a console
 * error, shows history within 2 s and moves live after; every view has
 * data; a StatsD metric sent now shows in the application view; a
 * screenshot of every view (light, dark, phone) goes to the printed folder.
 */
"use strict";

const path = require("path");
const L = require("./lib.js");

const INTERVAL = 250;

async function checkViews(page, shots, strict) {
	for (const id of await L.views(page)) {
		await page.evaluate((v) => { location.hash = v; }, id);
		await L.sleep(200);
		const h = await page.evaluate(() =>
		    document.documentElement.scrollHeight);
		await page.setViewportSize({ width: 1280, height: Math.min(h, 8000) });
		let st = null;
		try {
			st = await L.waitFor(`view ${id} drawn`, async () => {
				const s = await L.viewState(page);
				return s.charts > 0 && s.drawn === s.charts ? s : null;
			}, 6000);
		} catch (e) {
			st = await L.viewState(page);
			if (strict)
				throw new Error(`view ${id} has no data: ` +
				    JSON.stringify(st));
			L.log(`view ${id}: NOT CHECKED, the stack publishes no ` +
			    `series for it yet (no metadata): ${JSON.stringify(st)}`);
		}
		L.log(`view ${id}: ${st.drawn}/${st.charts} charts drawn, ` +
		    `${st.rows} table rows`);
		await page.screenshot({ path: path.join(shots, `${id}.png`) });
		await page.setViewportSize({ width: 1280, height: 900 });
	}
}

L.run(async function (hold) {
	const stack = hold(await new L.Stack({}, INTERVAL).start());
	/* Let the gateway gather some history before the page opens. */
	await L.sleep(2500);
	const ctx = hold(await L.browser());
	ctx.cleanup = ctx.close;
	const page = await ctx.newPage();
	const errors = L.collectErrors(page);
	const shots = L.shotsDir("dashboard");

	const opened = Date.now();
	await page.goto(stack.url());
	const first = await L.waitFor("data on the page", () => page.evaluate(
	    () => {
		const s = window.vigil.store.sources.get("system");
		if (!s || s.end - s.start < 2)
			return null;
		return { n: s.end - s.start, oldest: s.t[s.start] * 1000,
		    hello: window.vigil.conn.hello };
	    }), 2000, 50);
	const ms = Date.now() - opened;
	if (first.hello && typeof first.hello.history === "number") {
		if (!(first.oldest < opened - 1000))
			throw new Error("no history: the oldest point is from " +
			    (opened - first.oldest) + " ms before the page opened");
		L.log(`history shown after ${ms} ms: ${first.n} points, the ` +
		    `oldest ${((opened - first.oldest) / 1000).toFixed(1)} s ` +
		    "before the page opened");
	} else {
		L.log(`data after ${ms} ms; HISTORY NOT CHECKED: this gateway ` +
		    "sends no snapshot (hello without history)");
	}
	const before = await page.evaluate(() => window.vigil.store.lastMs);
	await L.waitFor("live updates", () => page.evaluate(
	    (b) => window.vigil.store.lastMs > b + 500, before), 3000);
	await L.waitFor("indicator live", () => page.evaluate(() =>
	    document.getElementById("conn").dataset.state === "live"), 2000);
	L.log("live updates after load");

	/* Application metrics: a gauge, a counter and a timer. */
	const lines = ["browsertest.queue:42|g", "browsertest.hits:3|c"];
	for (let i = 1; i <= 20; i++)
		lines.push(`browsertest.lat:${i * 5}|ms`);
	const sender = setInterval(() => stack.statsd(lines), 200);
	try {
		await page.evaluate(() => { location.hash = "apps"; });
		await L.waitFor("the StatsD metric in the application view",
		    () => page.evaluate(() => {
			const b = window.vigil.view.current.built;
			return b && b.charts.some((c) =>
			    c.title.startsWith("browsertest") && c.plot !== null);
		    }), 8000);
	} finally {
		clearInterval(sender);
	}
	L.log("StatsD metric browsertest.* shown in the application view");

	const strict = await page.evaluate(() => window.vigil.store.meta.size > 0);
	if (!strict)
		L.log("the stack sends no metadata yet: views without series " +
		    "are reported, not failed");
	await checkViews(page, shots, strict);

	await page.emulateMedia({ colorScheme: "dark" });
	await page.evaluate(() => { location.hash = "overview"; });
	await L.sleep(800);
	await page.screenshot({ path: path.join(shots, "overview-dark.png") });
	await page.setViewportSize({ width: 390, height: 844 });
	await L.sleep(800);
	await page.screenshot({ path: path.join(shots, "overview-phone-dark.png"),
	    fullPage: true });
	await page.emulateMedia({ colorScheme: "light" });
	await L.sleep(500);
	await page.screenshot({ path: path.join(shots, "overview-phone.png"),
	    fullPage: true });

	if (errors.length > 0)
		throw new Error("console errors: " + JSON.stringify(errors));
	L.log("no console error");
});
