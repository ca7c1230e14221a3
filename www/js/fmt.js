/*
 * vigil dashboard, formatting: values are formatted from the unit in the
 * series metadata ("%", "bytes", "bytes/s", "/s", "s", "ms" or empty), never
 * from the series name. Everything here is a pure function of its arguments.
 */
(function (V) {
	"use strict";

	const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
	const SI = ["", "k", "M", "G", "T", "P"];

	function digits(x) {
		const a = Math.abs(x);
		return a === 0 ? 0 : a < 10 ? 2 : a < 100 ? 1 : 0;
	}

	function bytes(b) {
		let i = 0;
		while (Math.abs(b) >= 1024 && i < BYTE_UNITS.length - 1) {
			b /= 1024;
			i++;
		}
		return b.toFixed(i === 0 ? 0 : digits(b)) + " " + BYTE_UNITS[i];
	}

	function plain(v) {
		const a = Math.abs(v);
		if (a >= 1e4) {
			let i = 0;
			while (Math.abs(v) >= 1000 && i < SI.length - 1) {
				v /= 1000;
				i++;
			}
			return v.toFixed(digits(v)) + SI[i];
		}
		if (Number.isInteger(v) || a >= 1000)
			return v.toFixed(0);
		return String(Number(v.toPrecision(3)));
	}

	function duration(s) {
		if (!Number.isFinite(s))
			return "–";
		if (Math.abs(s) < 1)
			return (s * 1000).toFixed(s * 1000 < 10 ? 2 : 0) + " ms";
		if (s < 120)
			return s.toFixed(s < 10 ? 1 : 0) + " s";
		const d = Math.floor(s / 86400);
		const h = Math.floor((s % 86400) / 3600);
		const m = Math.floor((s % 3600) / 60);
		if (d > 0)
			return d + " d " + h + " h";
		if (h > 0)
			return h + " h " + m + " min";
		return m + " min " + Math.floor(s % 60) + " s";
	}

	/* One value in its unit; "–" when there is none. */
	function value(v, unit) {
		if (v === null || v === undefined || !Number.isFinite(v))
			return "–";
		switch (unit) {
		case "%":
			return v.toFixed(Math.abs(v) < 10 ? 1 : 0) + " %";
		case "bytes":
			return bytes(v);
		case "bytes/s":
			return bytes(v) + "/s";
		case "/s":
			return plain(v) + "/s";
		case "s":
			return duration(v);
		case "ms":
			return v >= 1000 ? duration(v / 1000) :
			    plain(v) + " ms";
		default:
			return plain(v);
		}
	}

	/* Shorter labels for chart axes. */
	function axis(v, unit) {
		if (unit === "%")
			return v + " %";
		return value(v, unit);
	}

	function age(ms) {
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

	function two(n) {
		return n < 10 ? "0" + n : String(n);
	}

	function clock(ms) {
		const d = new Date(ms);
		return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" +
		    two(d.getSeconds());
	}

	V.fmt = { value, axis, age, duration, bytes, clock, two };
})(window.vigil = window.vigil || {});
