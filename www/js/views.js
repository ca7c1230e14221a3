/*
 * vigil dashboard, the views. Each view plans its blocks from the series
 * names the page knows (metadata and samples), grouped by prefix only:
 * interfaces, devices, file systems, cores, processes and application
 * metrics are discovered, never listed. A view is built again only when
 * its plan changes (a new series, new metadata) and only while shown; in
 * between, drawing just moves its charts and refreshes its tables.
 */
(function (V) {
	"use strict";

	const S = V.store;
	const d = V.dom;

	/* Series under prefix p (with the dot), optionally filtered. */
	function under(names, p, keep) {
		return names.filter(function (n) {
			return n.startsWith(p) && (!keep || keep(n));
		});
	}

	/* The part between prefix p and the last dot: net.eth0.rx -> eth0. */
	function middle(name, p) {
		return name.slice(p.length, name.lastIndexOf("."));
	}

	function last(name) {
		return name.slice(name.lastIndexOf(".") + 1);
	}

	function keys(names, p) {
		const set = new Set();
		for (const n of under(names, p))
			if (n.lastIndexOf(".") > p.length)
				set.add(middle(n, p));
		return Array.from(set).sort(V.natural);
	}

	const UNIT_NAMES = {
		"%": "percent", "bytes": "bytes", "bytes/s": "bytes/s",
		"/s": "per second", "s": "seconds", "ms": "ms", "": "count"
	};

	/*
	 * Charts for names, one per source and unit: series of one chart
	 * share the time axis (one source) and the y axis (one unit).
	 */
	function split(title, names, label) {
		const groups = new Map();
		for (const n of names) {
			const s = S.where.get(n);
			const key = (s ? s.name : "?") + "\u0000" + S.unit(n);
			if (!s)
				continue;
			if (!groups.has(key))
				groups.set(key, []);
			groups.get(key).push(n);
		}
		const out = [];
		for (const [key, list] of groups) {
			const unit = key.split("\u0000")[1];
			out.push({
				title: groups.size > 1 ? title + " (" +
				    (UNIT_NAMES[unit] || unit) + ")" : title,
				names: list,
				label: label || last
			});
		}
		return out;
	}

	function charts(title, list, cls) {
		return { kind: "charts", title: title, charts: list,
		    cls: cls || "" };
	}

	function textOr(name, dflt) {
		const t = S.texts.get(name);
		return t === undefined ? dflt : t;
	}

	/* ---- overview --------------------------------------------------- */

	function sum(names) {
		let v = null;
		for (const n of names) {
			const x = S.latest(n);
			if (x !== null)
				v = (v === null ? 0 : v) + x;
		}
		return v;
	}

	function cardsBlock(names) {
		const net = under(names, "net.");
		const disk = under(names, "disk.");
		const cards = [
			{ title: "CPU busy", main: ["cpu.total.busy"],
			    bar: ["cpu.total.busy", 100],
			    sub: function () {
				const c = keys(names, "cpu.").filter(function (k) {
					return k !== "total";
				}).length;
				return c > 0 ? c + (c === 1 ? " core" : " cores") : "";
			    } },
			{ title: "Memory used", main: ["mem.used"],
			    of: "mem.total", bar: ["mem.used", "mem.total"],
			    sub: function () {
				return "available " + V.fmt.value(
				    S.latest("mem.available"), S.unit("mem.available"));
			    } },
			{ title: "Load", main: ["load.1"],
			    sub: function () {
				return "5 min " + V.fmt.value(S.latest("load.5"), "") +
				    " · 15 min " + V.fmt.value(S.latest("load.15"), "");
			    } },
			{ title: "Network in / out",
			    sum: [net.filter((n) => last(n) === "rx_bytes"),
				net.filter((n) => last(n) === "tx_bytes")] },
			{ title: "Disk read / write",
			    sum: [disk.filter((n) => last(n) === "read_bytes"),
				disk.filter((n) => last(n) === "write_bytes")] },
			{ title: "Uptime", main: ["uptime"],
			    sub: function () {
				const r = S.latest("procs.running");
				return r === null ? "" : V.fmt.value(r, "") + " running, " +
				    V.fmt.value(S.latest("procs.blocked"), "") +
				    " blocked";
			    } }
		];
		return { kind: "cards", cards: cards };
	}

	function planOverview(names) {
		const net = under(names, "net.", (n) => /\.(rx|tx)_bytes$/.test(n));
		const disk = under(names, "disk.",
		    (n) => /\.(read|write)_bytes$/.test(n));
		const list = [].concat(
		    split("CPU busy", names.filter((n) => n === "cpu.total.busy")),
		    split("Memory", names.filter((n) => n === "mem.used" ||
			n === "mem.available" || n === "mem.cached")),
		    split("Load", under(names, "load.")),
		    split("Network", net, (n) => n.slice(4)),
		    split("Disk I/O", disk, (n) => n.slice(5)));
		return [cardsBlock(names), charts("", list)];
	}

	/* ---- CPU -------------------------------------------------------- */

	function isMode(n) {
		const m = last(n);
		return m !== "busy" && m !== "idle";
	}

	function planCpu(names) {
		const cores = keys(names, "cpu.").filter((k) => k !== "total");
		const out = [charts("", [].concat(
		    split("CPU by mode", under(names, "cpu.total.", isMode)),
		    split("Busy per core", cores.map((c) => "cpu." + c + ".busy")
			.filter((n) => S.where.has(n)), (n) => "cpu " + n.split(".")[1]),
		    split("Processes", under(names, "procs.")),
		    split("System", under(names, "sys.")),
		    split("Load", under(names, "load."))))];
		out.push(charts("Per core", [].concat.apply([], cores.map(
		    (c) => split("cpu " + c, under(names, "cpu." + c + ".", isMode)))),
		    "small"));
		return out;
	}

	/* ---- memory ----------------------------------------------------- */

	function memTable(names) {
		const list = under(names, "mem.", (n) => n !== "mem.total")
		    .concat(under(names, "swap."));
		return {
			kind: "table", title: "Breakdown", names: list,
			cols: [["", ""], ["value", "num"], ["of total", "barcell"],
			    ["", ""]],
			row: function (n, cells) {
				const total = S.latest(n.startsWith("swap.") ?
				    "swap.total" : "mem.total");
				const v = S.latest(n);
				d.setText(cells[0], n);
				d.setText(cells[1], V.fmt.value(v, S.unit(n)));
				d.setWidth(cells[2].firstChild.firstChild,
				    total ? 100 * v / total : 0);
				const m = S.meta.get(n);
				d.setText(cells[3], m ? m.desc : "");
			}
		};
	}

	function planMemory(names) {
		return [charts("", [].concat(
		    split("Memory", under(names, "mem.",
			(n) => n !== "mem.total" && n !== "mem.committed")),
		    split("Committed", names.filter((n) => n === "mem.committed" ||
			n === "mem.total")),
		    split("Swap", under(names, "swap.", (n) => n !== "swap.total")),
		    split("Paging", under(names, "vm.")))), memTable(names)];
	}

	/* ---- network and disks ------------------------------------------ */

	function perKey(names, p, label) {
		return [].concat.apply([], keys(names, p).map(function (k) {
			return split(label + k, under(names, p + k + ".",
			    (n) => middle(n, p) === k));
		}));
	}

	function planNetwork(names) {
		return [charts("", perKey(names, "net.", ""))];
	}

	function fsTable(names) {
		const fs = keys(names, "fs.");
		return {
			kind: "table", title: "File systems", names: fs,
			cols: [["mount", ""], ["used", "num"], ["size", "num"],
			    ["free", "num"], ["", "barcell"]],
			row: function (k, cells) {
				const p = "fs." + k + ".";
				const used = S.latest(p + "used");
				const size = S.latest(p + "size");
				d.setText(cells[0], textOr(p + "mount", k));
				d.setText(cells[1], V.fmt.value(used, S.unit(p + "used")));
				d.setText(cells[2], V.fmt.value(size, S.unit(p + "size")));
				d.setText(cells[3], V.fmt.value(S.latest(p + "free"),
				    S.unit(p + "free")));
				d.setWidth(cells[4].firstChild.firstChild,
				    size ? 100 * used / size : 0);
			}
		};
	}

	function planDisks(names) {
		const used = under(names, "fs.", (n) => last(n) === "used");
		return [charts("", perKey(names, "disk.", "")), fsTable(names),
		    charts("", split("File systems used", used, function (n) {
			return textOr("fs." + middle(n, "fs.") + ".mount",
			    middle(n, "fs."));
		    }))];
	}

	/* ---- pressure and processes ------------------------------------- */

	function planPressure(names) {
		return [charts("", [].concat.apply([], keys(names, "pressure.")
		    .map((k) => split(k, under(names, "pressure." + k + "."),
			(n) => k + " " + last(n)))))];
	}

	function topTable(names) {
		const ns = keys(names, "top.");
		return {
			kind: "table", title: "Largest processes by resident memory",
			names: ns,
			cols: [["#", "num"], ["process", ""], ["pid", "num"],
			    ["resident", "num"]],
			row: function (k, cells) {
				const p = "top." + k + ".";
				d.setText(cells[0], k);
				d.setText(cells[1], textOr(p + "name", "–"));
				d.setText(cells[2], V.fmt.value(S.latest(p + "pid"), ""));
				d.setText(cells[3], V.fmt.value(S.latest(p + "rss"),
				    S.unit(p + "rss")));
			}
		};
	}

	function planProcesses(names) {
		return [topTable(names), charts("", split("Resident memory",
		    under(names, "top.", (n) => last(n) === "rss"),
		    (n) => textOr("top." + middle(n, "top.") + ".name",
			"#" + middle(n, "top."))))];
	}

	/* ---- applications (StatsD) -------------------------------------- */

	const TIMER = ["min", "max", "mean", "p50", "p90", "p95", "p99"];

	/* statsd.NAME.x: the metrics by NAME, with what each one is. */
	function statsdMetrics(names) {
		const all = under(names, "statsd.");
		const set = new Set(all);
		const out = new Map();
		for (const n of all) {
			const base = n.slice(0, n.lastIndexOf("."));
			const sfx = last(n);
			let key = n, kind = "gauge";
			if (base.length > 6 && set.has(base + ".p99") &&
			    (sfx === "count" || TIMER.includes(sfx))) {
				key = base;
				kind = "timer";
			} else if (base.length > 6 && set.has(base + ".rate") &&
			    set.has(base + ".count") &&
			    (sfx === "rate" || sfx === "count")) {
				key = base;
				kind = "counter";
			} else if (sfx === "unique" && base.length > 6) {
				key = base;
				kind = "set";
			}
			if (!out.has(key))
				out.set(key, { kind: kind, names: [] });
			out.get(key).names.push(n);
		}
		return out;
	}

	function planApps(names) {
		const groups = new Map();
		for (const [key, m] of statsdMetrics(names)) {
			const name = key.slice(7);
			const dot = name.indexOf(".");
			const g = dot > 0 ? name.slice(0, dot) : "StatsD";
			if (!groups.has(g))
				groups.set(g, []);
			const label = (n) => n === key ? name : last(n);
			groups.get(g).push.apply(groups.get(g),
			    split(name + (m.kind === "gauge" ? "" : " · " + m.kind),
				m.names, label));
		}
		const out = [];
		for (const g of Array.from(groups.keys()).sort(V.natural))
			out.push(charts(g, groups.get(g), "small"));
		if (out.length === 0)
			out.push({ kind: "empty", text: "No application metrics " +
			    "yet: send StatsD lines to vigil-metrics." });
		return out;
	}

	/* ---- vigil itself ------------------------------------------------ */

	function healthTable() {
		return {
			kind: "table", title: "Roles", names: null,
			cols: [["role", ""], ["state", ""], ["pid", "num"],
			    ["uptime", "num"], ["restarts", "num"],
			    ["last exit", ""], ["cpu", "num"], ["memory", "num"],
			    ["fds", "num"]],
			rows: function () {
				return V.health.roles;
			},
			row: function (r, cells) {
				d.setText(cells[0], r.name);
				d.setText(cells[1], String(r.state || "") + (r.retry > 0 ?
				    " (retry in " + V.fmt.duration(r.retry / 1000) + ")" : ""));
				cells[1].dataset.state = r.state;
				d.setText(cells[2], r.pid ? String(r.pid) : "–");
				d.setText(cells[3], typeof r.uptime === "number" &&
				    r.pid ? V.fmt.duration(r.uptime / 1000) : "–");
				d.setText(cells[4], V.fmt.value(r.restarts, ""));
				d.setText(cells[5], r.exit || "–");
				d.setText(cells[6], V.fmt.value(r.cpu, "%"));
				d.setText(cells[7], V.fmt.value(r.rss, "bytes"));
				d.setText(cells[8], V.fmt.value(r.fds, ""));
			}
		};
	}

	function planHealth(names) {
		const role = (n) => n.split(".")[1];
		return [healthTable(), charts("", [].concat(
		    split("Role CPU", under(names, "vigild.", (n) => last(n) === "cpu"), role),
		    split("Role memory", under(names, "vigild.", (n) => last(n) === "rss"), role),
		    split("Gateway", under(names, "gateway.")),
		    split("Page", []))), pageBlock()];
	}

	/* What the page itself sees: frames, bytes, drawing time. */
	function pageBlock() {
		return { kind: "page" };
	}

	V.views = [
		{ id: "overview", title: "Overview", plan: planOverview },
		{ id: "cpu", title: "CPU", plan: planCpu },
		{ id: "memory", title: "Memory", plan: planMemory },
		{ id: "network", title: "Network", plan: planNetwork },
		{ id: "disks", title: "Disks", plan: planDisks },
		{ id: "pressure", title: "Pressure", plan: planPressure },
		{ id: "processes", title: "Processes", plan: planProcesses },
		{ id: "apps", title: "Applications", plan: planApps },
		{ id: "vigil", title: "vigil", plan: planHealth }
	];
})(window.vigil = window.vigil || {});
