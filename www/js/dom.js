/*
 * vigil dashboard, small DOM helpers shared by the views.
 */
(function (V) {
	"use strict";

	/* h("td", "num", "42"): an element with a class and a text. */
	function h(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	/* Change a text only when it differs: no needless layout. */
	function setText(node, text) {
		if (node.textContent !== text)
			node.textContent = text;
	}

	function setWidth(node, pct) {
		const w = (Number.isFinite(pct) ?
		    Math.min(100, Math.max(0, pct)) : 0).toFixed(1) + "%";
		if (node.style.width !== w)
			node.style.width = w;
	}

	/* A table with a head row; returns {table, body}. */
	function table(cols) {
		const t = h("table", "grid");
		const tr = h("tr");
		for (const c of cols)
			tr.appendChild(h("th", c[1] || "", c[0]));
		t.appendChild(h("thead")).appendChild(tr);
		const body = t.appendChild(h("tbody"));
		return { table: t, body: body };
	}

	/* Make body hold n rows of ncol cells; returns the rows. */
	function rows(body, n, ncol, classes) {
		while (body.rows.length > n)
			body.deleteRow(-1);
		while (body.rows.length < n) {
			const tr = body.insertRow();
			for (let i = 0; i < ncol; i++)
				tr.appendChild(h("td", classes ? classes[i] : ""));
		}
		return body.rows;
	}

	function bar(cls) {
		const b = h("div", "bar " + (cls || ""));
		b.appendChild(h("span"));
		return b;
	}

	V.dom = { h, setText, setWidth, table, rows, bar };
})(window.vigil = window.vigil || {});
