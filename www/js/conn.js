/*
 * vigil dashboard, the connection: one WebSocket to the gateway's /ws in
 * msgpack (vigil-protocol(7)). It keeps the session from the hello and the
 * cursor of the last batch or snapshot, and after a lost connection dials
 * again with ?session=&cursor= so the gateway sends only what was missed.
 * Retries back off exponentially with jitter and start over once a
 * connection stayed up. Messages go into the store; the page is told what
 * changed through V.changed(what) and draws later, once per frame.
 */
(function (V) {
	"use strict";

	const BACKOFF_MIN_MS = 250;
	const BACKOFF_MAX_MS = 15000;
	const STABLE_MS = 10000;	/* open this long: backoff starts over */
	const SILENT_MS = 15000;	/* nothing received: the link is dead */
	const SUBPROTOCOL = "vigil.msgpack";

	const conn = {
		ws: null,
		state: "connecting",	/* connecting live reconnecting */
		attempt: 0,
		timer: 0,
		retryAt: 0,
		openedAt: 0,
		hello: null,		/* the last hello */
		session: null,
		cursor: null,
		lastRx: 0,		/* performance.now() of the last message */
		lastData: 0,		/* performance.now() of the last new point */
		skew: null,		/* browser clock minus gateway clock, ms */
		bad: 0,			/* messages that did not decode */
		lastClose: 0,		/* close code of the last connection */
		opens: 0,		/* connections that got a hello */
		rxBytes: 0,
		rxFrames: 0
	};

	function url() {
		const proto = location.protocol === "https:" ? "wss:" : "ws:";
		let u = proto + "//" + location.host + "/ws";
		if (conn.session !== null && conn.cursor !== null)
			u += "?session=" + encodeURIComponent(conn.session) +
			    "&cursor=" + conn.cursor;
		return u;
	}

	function setState(s) {
		if (conn.state !== s) {
			conn.state = s;
			V.changed("conn");
		}
	}

	function connect() {
		clearTimeout(conn.timer);
		conn.timer = 0;
		let ws;
		try {
			ws = new WebSocket(url(), SUBPROTOCOL);
		} catch (e) {
			retry();
			return;
		}
		ws.binaryType = "arraybuffer";
		conn.ws = ws;
		conn.openedAt = 0;
		ws.onopen = function () {
			if (ws !== conn.ws)
				return;
			conn.openedAt = performance.now();
			conn.lastRx = conn.openedAt;
		};
		ws.onmessage = function (ev) {
			if (ws === conn.ws)
				receive(ev.data);
		};
		ws.onclose = function (ev) {
			if (ws === conn.ws) {
				conn.lastClose = ev.code;
				conn.ws = null;
				retry();
			}
		};
		/* An error is always followed by a close. */
		ws.onerror = function () {};
	}

	/* Drop the socket, if any, and dial again after a backoff. */
	function retry() {
		if (conn.ws !== null) {
			const ws = conn.ws;
			conn.ws = null;
			ws.onopen = ws.onmessage = ws.onclose = null;
			ws.close();
		}
		const now = performance.now();
		if (conn.openedAt > 0 && now - conn.openedAt >= STABLE_MS)
			conn.attempt = 0;
		/* Equal jitter: half the step fixed, half random. */
		const step = Math.min(BACKOFF_MAX_MS,
		    BACKOFF_MIN_MS * Math.pow(2, Math.min(conn.attempt, 16)));
		const delay = step / 2 + Math.random() * step / 2;
		conn.attempt++;
		conn.retryAt = now + delay;
		clearTimeout(conn.timer);
		conn.timer = setTimeout(connect, delay);
		setState("reconnecting");
	}

	/* Skip the wait when the browser says the network is back. */
	function retryNow() {
		if (conn.state === "reconnecting")
			connect();
	}

	function decode(data) {
		if (typeof data === "string")
			return JSON.parse(data);
		return MessagePack.decode(new Uint8Array(data));
	}

	function receive(data) {
		let m;
		try {
			m = decode(data);
		} catch (e) {
			conn.bad++;
			V.changed("conn");
			return;
		}
		conn.rxFrames++;
		conn.rxBytes += typeof data === "string" ? data.length :
		    data.byteLength;
		if (m === null || typeof m !== "object")
			return;
		conn.lastRx = performance.now();
		const f = handlers[m.type];
		if (f !== undefined)
			f(m);
	}

	function onHello(m) {
		conn.hello = m;
		conn.opens++;
		if (typeof m.session === "string" && m.session !== conn.session) {
			conn.session = m.session;
			conn.cursor = null;
		}
		if (typeof m.history === "number")
			V.store.setCap(m.history);
		setState("live");
		V.changed("info");
	}

	function onMeta(m) {
		if (Array.isArray(m.series)) {
			V.store.setMeta(m.series);
			V.changed("meta");
		}
	}

	function gotData(n) {
		if (n > 0) {
			conn.lastData = performance.now();
			V.changed("data");
		}
	}

	function onSnapshot(m) {
		if (typeof m.cursor === "number")
			conn.cursor = m.cursor;
		if (m.text !== null && typeof m.text === "object")
			V.store.setTexts(m.text);
		if (Array.isArray(m.series))
			gotData(V.store.mergeSnapshot(m.series));
		if (conn.state !== "live")
			setState("live");
	}

	/* One sample as on the bus; returns 1 if it added a point. */
	function sample(s) {
		if (s === null || typeof s !== "object" ||
		    typeof s.src !== "string" || typeof s.t !== "number" ||
		    s.vals === null || typeof s.vals !== "object")
			return 0;
		const lag = Date.now() - s.t;
		if (conn.skew === null || lag < conn.skew)
			conn.skew = lag;
		if (s.text !== null && typeof s.text === "object")
			V.store.setTexts(s.text);
		if (typeof s.host === "string")
			V.host = s.host;
		return V.store.append(s.src, s.t, s.vals,
		    typeof s.iv === "number" ? s.iv : 0) ? 1 : 0;
	}

	function onBatch(m) {
		if (typeof m.cursor === "number")
			conn.cursor = m.cursor;
		if (!Array.isArray(m.samples))
			return;
		let n = 0;
		for (let i = 0; i < m.samples.length; i++)
			n += sample(m.samples[i]);
		gotData(n);
	}

	/* Older gateways send one sample per message. */
	function onSample(m) {
		if (conn.state !== "live")
			setState("live");
		gotData(sample(m));
	}

	function onHealth(m) {
		if (!Array.isArray(m.roles))
			return;
		const ms = typeof m.t === "number" && m.t > 1e12 ?
		    (m.t > 1e15 ? m.t / 1e6 : m.t) : V.gatewayNow();
		V.health.update(m.roles, ms);
		V.changed("health");
	}

	const handlers = {
		hello: onHello,
		meta: onMeta,
		snapshot: onSnapshot,
		batch: onBatch,
		sample: onSample,
		health: onHealth
	};

	/* Gateway time now, ms, as well as the browser can tell. */
	V.gatewayNow = function () {
		return Date.now() - (conn.skew === null ? 0 : conn.skew);
	};

	/* Once a second: a socket that went silent is dropped and redialled. */
	function watch() {
		if (conn.ws !== null && conn.ws.readyState === WebSocket.OPEN &&
		    performance.now() - conn.lastRx > SILENT_MS)
			retry();
	}

	conn.start = function () {
		window.addEventListener("online", retryNow);
		document.addEventListener("visibilitychange", function () {
			if (document.visibilityState === "visible")
				retryNow();
		});
		setInterval(watch, 1000);
		connect();
	};
	V.conn = conn;
})(window.vigil = window.vigil || {});
