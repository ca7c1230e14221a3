/*
 * Benchmark of the dashboard page: the real stack (vigild from the build
 * tree, 1 s sampling) plus N application series, StatsD gauges sent once a
 * second into vigil-metrics, watched by Chromium for a while. Two browsers
 * run side by side, one on the overview and one on the application view
 * (where the N series are). Each reports, through the DevTools protocol,
 * the JS heap (Performance.getMetrics JSHeapUsedSize, after a forced
 * garbage collection) at the start and the end, the main-thread time per
 * second (ScriptDuration, LayoutDuration, RecalcStyleDuration, TaskDuration
 * deltas) and the page's own count of time spent drawing.
 *
 * usage: VIGIL_BUILDDIR=build node bench/dashboard.js [seconds] [series]
 */
"use strict";

const path = require("path");
const L = require(path.join(process.env.VIGIL_SRCDIR || process.cwd(),
    "tests/browser/lib.js"));

const SECONDS = Number(process.argv[2] || 600);
const SERIES = Number(process.argv[3] || 200);
const WARMUP_MS = 20000;
const SAMPLE_MS = 60000;

async function metrics(cdp) {
	const r = await cdp.send("Performance.getMetrics");
	const m = {};
	for (const x of r.metrics)
		m[x.name] = x.value;
	return m;
}

async function heap(cdp) {
	await cdp.send("HeapProfiler.collectGarbage");
	return (await metrics(cdp)).JSHeapUsedSize;
}

async function open(url, view) {
	const ctx = await L.browser();
	const page = await ctx.newPage();
	const errors = L.collectErrors(page);
	const cdp = await page.context().newCDPSession(page);
	await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
	await cdp.send("HeapProfiler.enable");
	await page.goto(url + "#" + view);
	return { ctx, page, cdp, view, errors, cleanup: () => ctx.close() };
}

async function snap(b) {
	const m = await metrics(b.cdp);
	const st = await b.page.evaluate(() => window.vigil.stats());
	return { at: Date.now(), m, st };
}

function mb(x) {
	return (x / 1048576).toFixed(2);
}

function pct(a, b, key) {
	return 100 * (b.m[key] - a.m[key]) / ((b.at - a.at) / 1000);
}

L.run(async function (hold) {
	const stack = hold(await new L.Stack({}, 1000).start());
	const names = [];
	for (let i = 0; i < SERIES; i++)
		names.push(`bench.g${i}`);
	let tick = 0;
	const send = () => {
		tick++;
		const lines = names.map((n, i) =>
		    `${n}:${(Math.sin(tick / 10 + i) * 50 + 50).toFixed(2)}|g`);
		for (let i = 0; i < lines.length; i += 50)
			stack.statsd(lines.slice(i, i + 50));
	};
	send();
	const sender = setInterval(send, 1000);
	hold({ cleanup: () => clearInterval(sender) });
	await L.sleep(3000);

	const pages = [];
	for (const v of ["overview", "apps"])
		pages.push(hold(await open(stack.url(), v)));
	await L.sleep(WARMUP_MS);
	const start = [];
	for (const b of pages) {
		const h = await heap(b.cdp);
		start.push(Object.assign(await snap(b), { heap: h }));
		L.log(`${b.view}: start heap ${mb(h)} MB, ` +
		    `${start[start.length - 1].st.series} series`);
	}
	const end = Date.now() + SECONDS * 1000;
	while (Date.now() < end) {
		await L.sleep(Math.min(SAMPLE_MS, end - Date.now()));
		for (let i = 0; i < pages.length; i++) {
			const s = await snap(pages[i]);
			L.log(`${pages[i].view}: heap ${mb(s.m.JSHeapUsedSize)} MB ` +
			    `(no GC), draw ${(100 * (s.st.drawMs - start[i].st.drawMs) /
				(s.at - start[i].at)).toFixed(2)} %, task ` +
			    `${pct(start[i], s, "TaskDuration").toFixed(2)} %`);
		}
	}
	const rows = [];
	for (let i = 0; i < pages.length; i++) {
		const b = pages[i], a = start[i];
		const h = await heap(b.cdp);
		const e = await snap(b);
		const secs = (e.at - a.at) / 1000;
		rows.push({
			view: b.view, seconds: Math.round(secs),
			series: e.st.series,
			heapStartMB: mb(a.heap), heapEndMB: mb(h),
			heapGrowthMB: mb(h - a.heap),
			drawPct: (100 * (e.st.drawMs - a.st.drawMs) /
			    (e.at - a.at)).toFixed(2),
			scriptPct: pct(a, e, "ScriptDuration").toFixed(2),
			layoutPct: (pct(a, e, "LayoutDuration") +
			    pct(a, e, "RecalcStyleDuration")).toFixed(2),
			taskPct: pct(a, e, "TaskDuration").toFixed(2),
			frames: e.st.frames - a.st.frames,
			ringsMB: mb(e.st.ringBytes),
			consoleErrors: b.errors.length
		});
	}
	console.log("RESULT " + JSON.stringify(rows));
	console.log("| view | s | series | heap start MB | heap end MB | " +
	    "growth MB | draw % | script % | style+layout % | task % | " +
	    "rings MB |");
	console.log("|---|---|---|---|---|---|---|---|---|---|---|");
	for (const r of rows)
		console.log(`| ${r.view} | ${r.seconds} | ${r.series} | ` +
		    `${r.heapStartMB} | ${r.heapEndMB} | ${r.heapGrowthMB} | ` +
		    `${r.drawPct} | ${r.scriptPct} | ${r.layoutPct} | ${r.taskPct} | ` +
		    `${r.ringsMB} |`);
});
