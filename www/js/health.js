/*
 * vigil dashboard, vigil's own health: the last role list from vigild
 * (state, pid, uptime, restarts, last exit, retry, cpu, rss, fds). Each
 * health message also becomes a row of the page's own source "vigild", so
 * the CPU and memory of every role can be charted like any series; the
 * page describes those series itself, in the same form as metadata.
 */
(function (V) {
	"use strict";

	const SRC = "vigild";
	const FIELDS = [
		["cpu", "%", "CPU of the role, percent of one core"],
		["rss", "bytes", "resident memory of the role"],
		["fds", "", "open file descriptors of the role"]
	];

	const health = {
		roles: [],
		at: 0		/* performance.now() of the last message */
	};

	function update(roles, ms) {
		const vals = {};
		const meta = [];
		const list = [];
		for (const r of roles) {
			if (r === null || typeof r !== "object" ||
			    typeof r.name !== "string")
				continue;
			list.push(r);
			for (const f of FIELDS) {
				const name = SRC + "." + r.name + "." + f[0];
				if (typeof r[f[0]] === "number")
					vals[name] = r[f[0]];
				if (!V.store.meta.has(name))
					meta.push({ name: name, src: SRC,
					    unit: f[1], kind: "gauge",
					    desc: f[2] });
			}
		}
		health.roles = list;
		health.at = performance.now();
		if (meta.length > 0)
			V.store.setMeta(meta);
		V.store.append(SRC, ms, vals, 0);
	}

	health.update = update;
	health.SRC = SRC;
	V.health = health;
})(window.vigil = window.vigil || {});
