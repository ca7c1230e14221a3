/*
 * vigil dashboard, turning a view's plan into the page: cards, chart grids
 * and tables. A built view keeps its charts and the update functions of
 * its cards and tables; update() refreshes texts, draw() the charts.
 */
(function (V) {
	"use strict";

	const S = V.store;
	const d = V.dom;

	function card(c) {
		const el = d.h("article", "card");
		el.appendChild(d.h("h2", "", c.title));
		const big = el.appendChild(d.h("p", "big"));
		const val = big.appendChild(d.h("span", "", "–"));
		const of = c.of ? big.appendChild(d.h("span", "of")) : null;
		const bar = c.bar ? el.appendChild(d.bar()) : null;
		const sub = el.appendChild(d.h("p", "sub", "\u00a0"));
		function update() {
			const none = c.sum ? c.sum[0].length + c.sum[1].length === 0 :
			    !S.where.has(c.main[0]);
			if (el.hidden !== none)
				el.hidden = none;
			if (c.sum) {
				const u = c.sum[0].length ? S.unit(c.sum[0][0]) : "";
				const a = sumOf(c.sum[0]), b = sumOf(c.sum[1]);
				d.setText(val, V.fmt.value(a, u) + " / " +
				    V.fmt.value(b, u));
				d.setText(sub, c.sum[0].length + " device" +
				    (c.sum[0].length === 1 ? "" : "s"));
			} else {
				d.setText(val, V.fmt.value(S.latest(c.main[0]),
				    S.unit(c.main[0])));
			}
			if (of)
				d.setText(of, " / " + V.fmt.value(S.latest(c.of),
				    S.unit(c.of)));
			if (bar) {
				const top = typeof c.bar[1] === "number" ? c.bar[1] :
				    S.latest(c.bar[1]);
				d.setWidth(bar.firstChild, top ?
				    100 * S.latest(c.bar[0]) / top : 0);
			}
			if (c.sub)
				d.setText(sub, c.sub() || "\u00a0");
		}
		return { el: el, update: update };
	}

	function sumOf(names) {
		let v = null;
		for (const n of names) {
			const x = S.latest(n);
			if (x !== null)
				v = (v === null ? 0 : v) + x;
		}
		return v;
	}

	function cards(b, built) {
		const el = d.h("section", "cards");
		for (const c of b.cards) {
			const x = card(c);
			el.appendChild(x.el);
			built.updates.push(x.update);
		}
		return el;
	}

	function chartGrid(b, built) {
		const el = d.h("section", "block");
		if (b.title)
			el.appendChild(d.h("h2", "", b.title));
		const grid = el.appendChild(d.h("div", "charts " + b.cls));
		for (const c of b.charts) {
			const ch = new V.Chart(c.title, c.names, c.label);
			grid.appendChild(ch.el);
			built.charts.push(ch);
		}
		return el;
	}

	function tableBlock(b, built) {
		const el = d.h("section", "block");
		el.appendChild(d.h("h2", "", b.title));
		const t = d.table(b.cols);
		const wrap = el.appendChild(d.h("div", "tablewrap"));
		wrap.appendChild(t.table);
		const classes = b.cols.map((c) => c[1]);
		built.updates.push(function () {
			const list = b.rows ? b.rows() : b.names;
			const rows = d.rows(t.body, list.length, b.cols.length,
			    classes);
			for (let i = 0; i < list.length; i++) {
				const cells = rows[i].cells;
				for (let j = 0; j < classes.length; j++)
					if (classes[j] === "barcell" &&
					    !cells[j].firstChild)
						cells[j].appendChild(d.bar());
				b.row(list[i], cells);
			}
		});
		return el;
	}

	function pageStats(b, built) {
		const el = d.h("section", "block");
		el.appendChild(d.h("h2", "", "This page"));
		const p = el.appendChild(d.h("p", "sub"));
		built.updates.push(function () {
			const st = V.stats();
			d.setText(p, st.frames + " frames, " +
			    V.fmt.value(st.rxBytes, "bytes") + " received, " +
			    st.series + " series, " + st.points + " points; " +
			    "drawing " + st.drawPct.toFixed(2) + " % of a core");
		});
		return el;
	}

	const BUILDERS = {
		cards: cards,
		charts: chartGrid,
		table: tableBlock,
		page: pageStats,
		empty: function (b) {
			return d.h("p", "empty", b.text);
		}
	};

	/* The signature of a plan: the same one builds the same page. */
	function signature(plan) {
		return JSON.stringify(plan, function (k, v) {
			if (k === "label" || typeof v === "function")
				return undefined;
			if (v && Array.isArray(v.names) && typeof v.label === "function")
				return [v.title, v.names, v.names.map(v.label)];
			return v;
		});
	}

	/* Build view v into its section; returns the built view. */
	function build(v, section, plan) {
		const built = { sig: signature(plan), charts: [], updates: [] };
		const frag = document.createDocumentFragment();
		for (const b of plan) {
			const f = BUILDERS[b.kind];
			if (f)
				frag.appendChild(f(b, built));
		}
		if (v.built)
			for (const c of v.built.charts)
				c.destroy();
		section.replaceChildren(frag);
		v.built = built;
		return built;
	}

	V.page = { build, signature };
})(window.vigil = window.vigil || {});
