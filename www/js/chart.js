/*
 * vigil dashboard, one chart: a uPlot over some series of one source, all
 * in one unit. The chart's data are subarrays of the store's columns, so
 * drawing copies no points; uPlot gets NaN for a missing value and the
 * gaps callback turns runs of NaN and steps longer than a few sampling
 * intervals into breaks in the line. A chart only draws while it is on
 * screen (IntersectionObserver) and only when its source has new points,
 * the time window changed or its size changed.
 */
(function (V) {
	"use strict";

	const GAP_FACTOR = 2.5;		/* steps this many intervals long break */
	const GAP_MIN_MS = 1500;
	const PALETTE = 8;		/* --c1 .. --c8 in style.css */

	let observer = null;
	const byEl = new WeakMap();

	function watch(chart) {
		if (observer === null && typeof IntersectionObserver !== "undefined")
			observer = new IntersectionObserver(function (entries) {
				for (const e of entries) {
					const c = byEl.get(e.target);
					if (c) {
						c.onScreen = e.isIntersecting;
						if (c.onScreen)
							V.changed("chart");
					}
				}
			}, { rootMargin: "100px" });
		byEl.set(chart.el, chart);
		if (observer !== null)
			observer.observe(chart.el);
		else
			chart.onScreen = true;
	}

	function cssVar(name) {
		return getComputedStyle(document.documentElement)
		    .getPropertyValue(name).trim();
	}

	function height() {
		return window.matchMedia("(max-width: 600px)").matches ? 160 : 190;
	}

	/*
	 * new Chart(title, names, label): names are series of one source
	 * and one unit; label(name) gives the legend text.
	 */
	function Chart(title, names, label) {
		this.title = title;
		this.names = names;
		this.label = label;
		this.unit = V.store.unit(names[0]);
		this.el = document.createElement("figure");
		this.el.className = "chart";
		const cap = document.createElement("figcaption");
		cap.textContent = title;
		this.el.appendChild(cap);
		this.box = document.createElement("div");
		this.box.className = "plot";
		this.box.style.minHeight = (height() + 40) + "px";
		this.el.appendChild(this.box);
		this.plot = null;
		this.onScreen = false;
		this.drawn = "";	/* what the last drawing showed */
		this.width = 0;
		this.src = null;
		this.data = null;
		this.draws = 0;
		watch(this);
	}

	Chart.prototype.destroy = function () {
		if (observer !== null)
			observer.unobserve(this.el);
		if (this.plot !== null)
			this.plot.destroy();
		this.plot = null;
	};

	/* Breaks in the line of series si, in canvas pixels. */
	function gaps(u, si, i0, i1) {
		const xs = u.data[0];
		const ys = u.data[si];
		const chart = u.vigil;
		const maxStep = Math.max(GAP_MIN_MS,
		    GAP_FACTOR * chart.src.ivMs) / 1000;
		const out = [];
		let last = -1;		/* index of the last finite point */
		for (let i = i0; i <= i1; i++) {
			if (Number.isNaN(ys[i]))
				continue;
			if (last >= 0 && (i > last + 1 ||
			    xs[i] - xs[last] > maxStep))
				out.push([Math.round(u.valToPos(xs[last], "x", true)),
				    Math.round(u.valToPos(xs[i], "x", true))]);
			last = i;
		}
		return out;
	}

	/* The y range of the points of data between x0 and x1, ignoring NaN. */
	function yRange(data, x0, x1, unit) {
		const xs = data[0];
		let i0 = 0;
		while (i0 < xs.length && xs[i0] < x0)
			i0++;
		let lo = Infinity, hi = -Infinity;
		for (let s = 1; s < data.length; s++) {
			const ys = data[s];
			for (let i = i0; i < ys.length && xs[i] <= x1; i++) {
				const v = ys[i];
				if (v < lo)
					lo = v;
				if (v > hi)
					hi = v;
			}
		}
		if (lo === Infinity)
			return [0, 1];
		lo = Math.min(0, lo);
		if (unit === "%" && hi <= 100 && hi > 20)
			return [lo, 100];
		if (hi <= lo)
			hi = lo + (unit.startsWith("bytes") ? 1024 : 1);
		return [lo, hi + (hi - lo) * 0.08];
	}

	/* Room for the widest label of the y axis, in CSS pixels. */
	function axisSize(u, values) {
		if (!values)
			return 50;
		let w = 0;
		u.ctx.font = u.axes[1].font[0];
		for (const v of values)
			w = Math.max(w, u.ctx.measureText(v).width);
		return Math.ceil(w / devicePixelRatio) + 18;
	}

	function latestIn(ys) {
		for (let i = ys.length - 1; i >= 0 && i >= ys.length - 5; i--)
			if (!Number.isNaN(ys[i]))
				return ys[i];
		return null;
	}

	Chart.prototype.make = function () {
		const self = this;
		const unit = this.unit;
		const axisStroke = cssVar("--axis");
		const grid = { stroke: cssVar("--grid"), width: 1 };
		const series = [{
			value: function (u, v) {
				return v === null || v === undefined ? "now" :
				    V.fmt.clock(v * 1000);
			}
		}];
		this.names.forEach(function (name, i) {
			const c = cssVar("--c" + (i % PALETTE + 1));
			series.push({
				label: self.label(name),
				stroke: c,
				fill: self.names.length === 1 ? c + "1f" : undefined,
				width: 1.5,
				points: { show: false },
				gaps: gaps,
				value: function (u, v, si, idx) {
					if (idx === null || idx === undefined)
						v = latestIn(u.data[si]);
					return V.fmt.value(v, unit);
				}
			});
		});
		this.width = this.box.clientWidth || 300;
		const opts = {
			width: this.width,
			height: height(),
			series: series,
			cursor: { drag: { x: false, y: false }, points: { show: false } },
			legend: { live: true },
			scales: {
				x: { time: true, auto: false },
				y: { auto: false }
			},
			axes: [
				{ stroke: axisStroke, grid: grid, ticks: grid,
				    space: 60 },
				{ stroke: axisStroke, grid: grid, ticks: grid,
				    size: axisSize, space: 30,
				    values: function (u, vals) {
					return vals.map(function (v) {
						return V.fmt.axis(v, unit);
					});
				    } }
			]
		};
		this.box.style.minHeight = "";
		this.plot = new uPlot(opts, this.data, this.box);
		this.plot.vigil = this;
	};

	/* Draw if on screen and anything changed; returns true if it drew. */
	Chart.prototype.draw = function (win, force) {
		if (!this.onScreen || typeof uPlot === "undefined")
			return false;
		const s = V.store.where.get(this.names[0]);
		if (!s || s.end === s.start)
			return false;
		const nowS = V.view.endS();
		/* Less history than the window: the points fill the chart. */
		let x0 = win > 0 ? Math.max(nowS - win, s.t[s.start]) :
		    s.t[s.start];
		if (!(nowS - x0 >= 1))
			x0 = nowS - 1;
		const w = this.box.clientWidth;
		/*
		 * Only this source's points, the window and the size decide:
		 * the other sources moving the end of the window a little do
		 * not cost a drawing of every chart.
		 */
		const key = s.version + " " + win + " " + w + " " +
		    (V.view.paused ? nowS : "");
		if (key === this.drawn && !force && this.plot !== null)
			return false;
		this.drawn = key;
		this.src = s;
		/* One point before the window so the line enters from the left. */
		const i0 = Math.max(s.start, V.store.lowerBound(s, x0) - 1);
		const data = this.data === null ? [] : this.data;
		data.length = 0;
		data.push(s.t.subarray(i0, s.end));
		for (const name of this.names) {
			const col = s.cols.get(name);
			data.push(col ? col.subarray(i0, s.end) : data[0].map(() => NaN));
		}
		this.data = data;
		if (this.plot === null) {
			this.make();
		} else if (w !== this.width && w > 0) {
			this.width = w;
			this.plot.setSize({ width: w, height: height() });
		}
		const p = this.plot;
		const self = this;
		p.batch(function () {
			p.setData(data, false);
			p.setScale("x", { min: x0, max: nowS });
			const r = yRange(data, x0, nowS, self.unit);
			p.setScale("y", { min: r[0], max: r[1] });
			if (p.cursor.idx === null || p.cursor.idx === undefined)
				p.setLegend({ idx: null });
		});
		this.draws++;
		return true;
	};

	/* Colours changed (light/dark): build the plot again. */
	Chart.prototype.restyle = function () {
		if (this.plot !== null) {
			this.plot.destroy();
			this.plot = null;
			this.drawn = "";
		}
	};

	V.Chart = Chart;
})(window.vigil = window.vigil || {});
