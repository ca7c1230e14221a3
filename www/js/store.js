/*
 * vigil dashboard, the data: series metadata, the latest labels (texts),
 * the role health, and the recent points of every series. Points are kept
 * per source (the role that published them) in preallocated typed arrays:
 * one time column and one value column per series, all of the same length,
 * so that every series of a source lines up on the source's times. A
 * column holds 2 * cap slots and the live part is [start, end); when end
 * reaches the last slot the newest cap points are copied to the front, so
 * appending is amortised O(series) and the live part is always one
 * contiguous range that charts use as a subarray, without copying.
 * A missing value is NaN.
 */
(function (V) {
	"use strict";

	const CAP_MIN = 600;	/* points kept per series, at least */
	const CAP_MAX = 7200;	/* and at most: a bound whatever hello says */
	const CAP_DEFAULT = 1800;
	const MAX_SERIES = 5000; /* series kept by the page */

	const store = {
		cap: CAP_DEFAULT,
		sources: new Map(),	/* src -> source */
		where: new Map(),	/* series name -> source */
		meta: new Map(),	/* series name -> {name, src, unit, kind, desc} */
		texts: new Map(),	/* text name -> string */
		health: null,		/* {roles, at} */
		version: 0,		/* grows when a series or metadata appears */
		textVersion: 0,		/* grows when a label changes */
		points: 0,		/* grows with every row appended */
		lastMs: 0,		/* newest point of any source, ms */
		dropped: 0		/* series refused beyond MAX_SERIES */
	};

	function newSource(name) {
		const n = 2 * store.cap;
		const s = {
			name: name,
			t: new Float64Array(n),	/* seconds since the epoch */
			cols: new Map(),	/* series name -> Float64Array */
			list: [],		/* [name, column] in arrival order */
			start: 0,
			end: 0,
			lastMs: -Infinity,
			ivMs: 1000,		/* sampling interval */
			version: 0		/* grows with every row */
		};
		store.sources.set(name, s);
		return s;
	}

	function source(name) {
		return store.sources.get(name) || newSource(name);
	}

	function addColumn(s, name) {
		if (store.where.size >= MAX_SERIES) {
			store.dropped++;
			return null;
		}
		const col = new Float64Array(2 * store.cap);
		col.fill(NaN);
		s.cols.set(name, col);
		s.list.push([name, col]);
		store.where.set(name, s);
		store.version++;
		return col;
	}

	/* Move the newest cap points to the front of every column. */
	function compact(s) {
		const from = Math.max(s.start, s.end - store.cap);
		const n = s.end - from;
		s.t.copyWithin(0, from, s.end);
		for (let i = 0; i < s.list.length; i++) {
			const col = s.list[i][1];
			col.copyWithin(0, from, s.end);
			col.fill(NaN, n);
		}
		s.start = 0;
		s.end = n;
	}

	function num(v) {
		return typeof v === "number" && Number.isFinite(v) ? v : NaN;
	}

	/*
	 * One row of source src at time ms. Rows at or before the newest one
	 * already kept are dropped: they are resent points after a resume.
	 */
	function append(src, ms, vals, ivMs) {
		const s = source(src);
		if (!(ms > s.lastMs))
			return false;
		for (const name in vals)
			if (!s.cols.has(name))
				addColumn(s, name);
		if (s.end === s.t.length)
			compact(s);
		const i = s.end;
		s.t[i] = ms / 1000;
		for (let k = 0; k < s.list.length; k++) {
			const v = vals[s.list[k][0]];
			s.list[k][1][i] = v === undefined ? NaN : num(v);
		}
		s.end = i + 1;
		if (s.end - s.start > store.cap)
			s.start = s.end - store.cap;
		s.lastMs = ms;
		if (ivMs > 0 && ivMs <= 3600000)
			s.ivMs = ivMs;
		s.version++;
		store.points++;
		if (ms > store.lastMs)
			store.lastMs = ms;
		return true;
	}

	function setTexts(text) {
		for (const k in text) {
			const v = text[k];
			if (typeof v === "string" && store.texts.get(k) !== v) {
				store.texts.set(k, v);
				store.textVersion++;
			}
		}
	}

	/* Metadata from the gateway (meta message) or made up by the page. */
	function setMeta(list) {
		let changed = false;
		for (const m of list) {
			if (m === null || typeof m !== "object" ||
			    typeof m.name !== "string")
				continue;
			const old = store.meta.get(m.name);
			const e = {
				name: m.name,
				src: typeof m.src === "string" ? m.src : "",
				unit: typeof m.unit === "string" ? m.unit : "",
				kind: typeof m.kind === "string" ? m.kind : "",
				desc: typeof m.desc === "string" ? m.desc : ""
			};
			if (old && old.unit === e.unit && old.kind === e.kind &&
			    old.desc === e.desc && old.src === e.src)
				continue;
			store.meta.set(m.name, e);
			changed = true;
		}
		if (changed)
			store.version++;
	}

	/*
	 * A snapshot: {name, src, t[], v[]} per series. Points of one source
	 * are merged into rows by time, oldest first, and only those newer
	 * than what the page holds are appended.
	 */
	function mergeSnapshot(series) {
		const bySrc = new Map();
		for (const e of series) {
			if (e === null || typeof e !== "object" ||
			    typeof e.name !== "string" || typeof e.src !== "string" ||
			    !Array.isArray(e.t) || !Array.isArray(e.v))
				continue;
			const s = store.sources.get(e.src);
			const after = s ? s.lastMs : -Infinity;
			let rows = bySrc.get(e.src);
			if (!rows) {
				rows = new Map();
				bySrc.set(e.src, rows);
			}
			const n = Math.min(e.t.length, e.v.length);
			for (let i = 0; i < n; i++) {
				const t = e.t[i];
				if (typeof t !== "number" || !(t > after))
					continue;
				let row = rows.get(t);
				if (!row) {
					row = {};
					rows.set(t, row);
				}
				row[e.name] = e.v[i] === null ? NaN : e.v[i];
			}
		}
		let added = 0;
		for (const [src, rows] of bySrc) {
			const ts = Array.from(rows.keys()).sort(function (a, b) {
				return a - b;
			});
			let iv = 0;
			if (ts.length > 2)
				iv = ts[ts.length - 1] - ts[ts.length - 2];
			for (const t of ts)
				if (append(src, t, rows.get(t), iv))
					added++;
		}
		return added;
	}

	/* Index of the first point of s at or after x seconds. */
	function lowerBound(s, x) {
		let lo = s.start, hi = s.end;
		while (lo < hi) {
			const mid = (lo + hi) >>> 1;
			if (s.t[mid] < x)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo;
	}

	/* The newest finite value of a series, or null. */
	function latest(name) {
		const s = store.where.get(name);
		if (!s)
			return null;
		const col = s.cols.get(name);
		for (let i = s.end - 1; i >= s.start && i >= s.end - 5; i--)
			if (!Number.isNaN(col[i]))
				return col[i];
		return null;
	}

	function unit(name) {
		const m = store.meta.get(name);
		return m ? m.unit : "";
	}

	/* Every known series name, sorted; cached until store.version moves. */
	let namesCache = null;
	let namesVersion = -1;
	function names() {
		if (namesVersion !== store.version) {
			const set = new Set(store.where.keys());
			for (const k of store.meta.keys())
				set.add(k);
			namesCache = Array.from(set).sort(V.natural);
			namesVersion = store.version;
		}
		return namesCache;
	}

	/* The largest time step of src between fromMs and toMs, ms (tests). */
	function maxGap(src, fromMs, toMs) {
		const s = store.sources.get(src);
		if (!s)
			return null;
		let gap = 0, prev = null;
		for (let i = s.start; i < s.end; i++) {
			const t = s.t[i] * 1000;
			if (t < fromMs || t > toMs)
				continue;
			if (prev !== null && t - prev > gap)
				gap = t - prev;
			prev = t;
		}
		return gap;
	}

	function setCap(history) {
		if (store.sources.size > 0 || !(history > 0))
			return;
		store.cap = Math.min(CAP_MAX, Math.max(CAP_MIN, 2 * history));
	}

	/* "cpu.10.busy" after "cpu.9.busy": numbers compare as numbers. */
	const collator = new Intl.Collator(undefined, { numeric: true });
	V.natural = collator.compare;

	Object.assign(store, {
		append, setTexts, setMeta, mergeSnapshot, lowerBound, latest,
		unit, names, maxGap, setCap, source
	});
	V.store = store;
})(window.vigil = window.vigil || {});
