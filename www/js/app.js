/*
 * vigil dashboard, the page: navigation between views, the time window,
 * pause, the connection indicator and the drawing loop. Messages only mark
 * what changed (V.changed); drawing happens at most once per animation
 * frame, only for the view on screen, and not at all while the tab is
 * hidden: when it shows again, one frame catches up with everything.
 */
(function (V) {
	"use strict";

	const REPLAN_MS = 1000;		/* plan a view again at most this often */
	const STALE_MIN_MS = 5000;

	/* Close codes of vigil-protocol(7), and the browser's own 1006. */
	const CLOSE_CODES = {
		1001: "the gateway is stopping",
		1002: "protocol error",
		1006: "connection lost",
		1008: "policy violation",
		1009: "message too large",
		4000: "this page fell behind",
		4001: "no answer to a ping"
	};

	const el = {};
	for (const id of ["host", "conn", "conn-state", "conn-age", "nav",
	    "views", "windows", "pause", "server"])
		el[id] = document.getElementById(id);

	const view = {
		current: null,		/* the view shown */
		win: 300,		/* seconds; 0 = all history */
		paused: false,
		pausedAt: 0,		/* end of the window when paused, s */
		endS: function () {
			if (view.paused)
				return view.pausedAt;
			return S().lastMs > 0 ? S().lastMs / 1000 : Date.now() / 1000;
		}
	};
	V.view = view;

	function S() {
		return V.store;
	}

	const dirty = new Set();
	let raf = 0;
	let lastPlan = 0;
	let planVersion = "";
	const perf = { drawMs: 0, frames: 0, since: performance.now(),
	    lastDrawPct: 0 };

	V.changed = function (what) {
		dirty.add(what);
		if (raf === 0 && !document.hidden)
			raf = requestAnimationFrame(frame);
	};

	/* ---- views -------------------------------------------------------- */

	function sectionOf(v) {
		return document.getElementById("view-" + v.id);
	}

	/* Plan the view again if series or labels changed (at most 1/s). */
	function replan(force) {
		const v = view.current;
		const now = performance.now();
		const ver = S().version + "/" + S().textVersion;
		if (!force && (planVersion === ver || (now - lastPlan < REPLAN_MS &&
		    v.built.charts.length > 0)))
			return false;
		lastPlan = now;
		planVersion = ver;
		const plan = v.plan(S().names());
		if (v.built && V.page.signature(plan) === v.built.sig)
			return false;
		V.page.build(v, sectionOf(v), plan);
		return true;
	}

	function show(id) {
		const v = V.views.find((x) => x.id === id) || V.views[0];
		if (view.current === v)
			return;
		if (view.current !== null) {
			sectionOf(view.current).hidden = true;
			/* Charts of hidden views cost nothing but memory. */
			if (view.current.built)
				for (const c of view.current.built.charts)
					c.destroy();
			view.current.built = null;
		}
		view.current = v;
		sectionOf(v).hidden = false;
		for (const a of el.nav.querySelectorAll("a"))
			a.setAttribute("aria-current",
			    a.dataset.view === v.id ? "page" : "false");
		replan(true);
		V.changed("all");
	}

	function makeNav() {
		for (const v of V.views) {
			const a = document.createElement("a");
			a.href = "#" + v.id;
			a.dataset.view = v.id;
			a.textContent = v.title;
			el.nav.appendChild(a);
			const s = document.createElement("div");
			s.id = "view-" + v.id;
			s.className = "view";
			s.hidden = true;
			el.views.appendChild(s);
		}
		window.addEventListener("hashchange", function () {
			show(location.hash.slice(1));
		});
	}

	function makeControls() {
		el.windows.addEventListener("click", function (ev) {
			const b = ev.target.closest("button");
			if (!b)
				return;
			view.win = Number(b.dataset.win);
			for (const x of el.windows.querySelectorAll("button"))
				x.setAttribute("aria-pressed", x === b ? "true" : "false");
			V.changed("chart");
		});
		el.pause.addEventListener("click", function () {
			view.paused = !view.paused;
			view.pausedAt = S().lastMs / 1000;
			el.pause.setAttribute("aria-pressed", String(view.paused));
			el.pause.textContent = view.paused ? "Resume" : "Pause";
			V.changed("chart");
		});
	}

	/* ---- drawing ------------------------------------------------------ */

	function isStale() {
		const c = V.conn;
		if (c.lastData === 0)
			return false;
		let iv = 0;
		for (const s of S().sources.values())
			if (s.name !== V.health.SRC)
				iv = Math.max(iv, s.ivMs);
		return performance.now() - c.lastData > Math.max(STALE_MIN_MS, 3 * iv);
	}

	function renderConn() {
		const c = V.conn;
		const now = performance.now();
		let state = c.state, text;
		if (state === "live" && isStale()) {
			state = "stale";
			text = "stale";
		} else if (state === "live") {
			text = c.lastData > 0 ? "live" : "live, waiting for data";
		} else if (state === "reconnecting") {
			const s = Math.max(0, Math.ceil((c.retryAt - now) / 1000));
			text = s > 0 ? "reconnecting in " + s + " s" : "reconnecting";
		} else {
			text = "connecting";
		}
		if (el.conn.dataset.state !== state)
			el.conn.dataset.state = state;
		V.dom.setText(el["conn-state"], text);
		V.dom.setText(el["conn-age"], c.lastData > 0 ?
		    "updated " + V.fmt.age(now - c.lastData) : "");
		document.body.classList.toggle("stale", state !== "live" &&
		    c.lastData > 0);
		const h = c.hello;
		let foot = h && typeof h.server === "string" ? h.server : "";
		if (c.bad > 0)
			foot += " · " + c.bad + " undecodable messages";
		if (c.lastClose > 0 && state !== "live")
			foot += " · closed with code " + c.lastClose +
			    (CLOSE_CODES[c.lastClose] ? " (" +
			    CLOSE_CODES[c.lastClose] + ")" : "");
		V.dom.setText(el.server, foot);
		const host = V.host || (h && typeof h.host === "string" ? h.host : "");
		V.dom.setText(el.host, host);
		const title = host ? "vigil · " + host : "vigil";
		if (document.title !== title)
			document.title = title;
	}

	function drawCharts(force) {
		const b = view.current.built;
		if (!b)
			return;
		for (const c of b.charts)
			c.draw(view.win, force);
	}

	function frame() {
		raf = 0;
		if (document.hidden)
			return;
		const t0 = performance.now();
		const all = dirty.has("all");
		if (all || dirty.has("meta") || dirty.has("data"))
			replan(false);
		if (all || dirty.has("conn") || dirty.has("info"))
			renderConn();
		if (all || dirty.has("data") || dirty.has("health"))
			for (const u of view.current.built.updates)
				u();
		if (!view.paused || all || dirty.has("chart"))
			drawCharts(all);
		dirty.clear();
		perf.drawMs += performance.now() - t0;
		perf.frames++;
	}

	function theme() {
		for (const v of V.views)
			if (v.built)
				for (const c of v.built.charts)
					c.restyle();
		V.changed("all");
	}

	/* Figures for the page itself and for the tests. */
	V.stats = function () {
		const now = performance.now();
		let points = 0, bytes = 0;
		for (const s of S().sources.values()) {
			points += (s.end - s.start) * s.list.length;
			bytes += s.t.byteLength * (s.list.length + 1);
		}
		let draws = 0;
		const b = view.current && view.current.built;
		if (b)
			for (const c of b.charts)
				draws += c.draws;
		return {
			state: el.conn.dataset.state,
			frames: perf.frames,
			drawMs: perf.drawMs,
			drawPct: perf.lastDrawPct,
			draws: draws,
			rxBytes: V.conn.rxBytes,
			series: S().where.size,
			points: points,
			ringBytes: bytes,
			session: V.conn.session,
			cursor: V.conn.cursor,
			opens: V.conn.opens,
			uptimeMs: now
		};
	};

	/* Once a second: age the indicator, keep the drawing share. */
	function tick() {
		const now = performance.now();
		if (now - perf.since >= 5000) {
			perf.lastDrawPct = 100 * (perf.drawMs - (perf.lastMs || 0)) /
			    (now - perf.since);
			perf.lastMs = perf.drawMs;
			perf.since = now;
		}
		V.changed("conn");
	}

	makeNav();
	makeControls();
	window.matchMedia("(prefers-color-scheme: dark)")
	    .addEventListener("change", theme);
	window.addEventListener("resize", function () {
		V.changed("chart");
	});
	document.addEventListener("visibilitychange", function () {
		if (!document.hidden)
			V.changed("all");
	});
	show(location.hash.slice(1));
	setInterval(tick, 1000);
	if (typeof MessagePack === "undefined" || typeof uPlot === "undefined") {
		V.dom.setText(el["conn-state"], "a script is missing (vendor/)");
		return;
	}
	V.conn.start();
})(window.vigil = window.vigil || {});
