/*
 * Connections. A connection is a socket, three embedded events (read,
 * write, one timer for whichever deadline its state has) and two buffers
 * that exist only while they hold bytes, so an idle WebSocket client costs
 * this struct and nothing else. Output is written at once when nothing is
 * queued (the common case: one write per frame and client); only what the
 * socket does not take is queued, by reference to the shared frame.
 *
 * States and their deadlines:
 *   HANDSHAKE  reading an HTTP request head; handshake_timeout
 *   OPEN       a WebSocket client; ping_interval of silence, then a ping
 *              answered within ping_timeout (else 4001); over client_queue
 *              for lag_timeout (else 4000)
 *   CLOSING    our close frame or last HTTP reply is leaving; the peer has
 *              close_timeout to answer or drain, then the socket is closed
 * A peer that breaks the protocol is closed with 1002, one whose message
 * is over max_message with 1009.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "gateway/conn.h"
#include "gateway/gateway.h"
#include "gateway/group.h"
#include "gateway/handshake.h"
#include "gateway/http.h"
#include "gateway/ws.h"

#define CONN_READ_MAX 16384 /* bytes read per wakeup */
/* Kernel send buffer of a WebSocket client: client_queue, within these. */
#define CONN_SNDBUF_MIN (64 * 1024)
#define CONN_SNDBUF_MAX (4 * 1024 * 1024)

static void conn_free(struct conn *);
static void conn_read_cb(evutil_socket_t, short, void *);
static void conn_write_cb(evutil_socket_t, short, void *);
static void conn_timer_cb(evutil_socket_t, short, void *);

/*
 * The peer's address for logs, looked up when a line is logged rather
 * than kept in every connection; IPv4 and IPv6 alike.
 */
const char *
conn_peer(const struct conn *c)
{
	static char buf[INET6_ADDRSTRLEN + 16];
	char host[INET6_ADDRSTRLEN], serv[8];
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getpeername(c->fd, (struct sockaddr *)&ss, &len) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, serv,
	        sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, sizeof buf, "fd %d", c->fd);
		return buf;
	}
	snprintf(buf, sizeof buf,
	    ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
	return buf;
}

static void
conn_arm(struct conn *c, int64_t ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&c->tm, &tv);
}

/* OPEN: the nearest of the ping and lag deadlines. */
static void
conn_arm_open(struct conn *c, int64_t now)
{
	const struct config *cf = c->gw->cf;
	int64_t d = INT64_MAX;

	if (c->ping_sent)
		d = c->ping_at + cf->gateway.ping_timeout_ms;
	else if (cf->gateway.ping_interval_ms > 0)
		d = c->last_rx + cf->gateway.ping_interval_ms;
	if (c->lag_since >= 0 && c->lag_since + cf->gateway.lag_timeout_ms < d)
		d = c->lag_since + cf->gateway.lag_timeout_ms;
	if (d == INT64_MAX)
		evtimer_del(&c->tm);
	else
		conn_arm(c, d - now);
}

void
conn_accept(struct gateway *gw, int fd)
{
	struct conn *c = xcalloc(1, sizeof *c);
	int one = 1;

	c->gw = gw;
	c->fd = fd;
	c->state = CONN_HANDSHAKE;
	c->lag_since = -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	event_assign(&c->rd, gw->base, fd, EV_READ | EV_PERSIST, conn_read_cb,
	    c);
	event_assign(&c->wr, gw->base, fd, EV_WRITE | EV_PERSIST, conn_write_cb,
	    c);
	evtimer_assign(&c->tm, gw->base, conn_timer_cb, c);
	event_add(&c->rd, NULL);
	conn_arm(c, gw->cf->gateway.handshake_timeout_ms);
	LIST_INSERT_HEAD(&gw->conns, c, entry);
	gw->nconns++;
	gw->stats.opened++;
}

static void
conn_free(struct conn *c)
{
	struct gateway *gw = c->gw;

	event_del(&c->rd);
	event_del(&c->wr);
	evtimer_del(&c->tm);
	close(c->fd);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	group_leave(gw, c);
	if (c->ws)
		gw->nclients--;
	LIST_REMOVE(c, entry);
	gw->nconns--;
	gw->stats.closed++;
	c->state = CONN_CLOSED;
	free(c);
}

struct evbuffer *
conn_output(struct conn *c)
{
	if (c->out == NULL)
		c->out = evbuffer_new();
	return c->out;
}

static size_t
conn_queued(const struct conn *c)
{
	return c->out != NULL ? evbuffer_get_length(c->out) : 0;
}

/* Write what is queued; -1 if the connection failed (not freed here). */
static int
conn_flush(struct conn *c)
{
	int n;

	while (conn_queued(c) > 0) {
		n = evbuffer_write(c->out, c->fd);
		if (n > 0) {
			c->gw->stats.bytes += n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		return -1;
	}
	if (conn_queued(c) > 0) {
		if (!c->writing) {
			event_add(&c->wr, NULL);
			c->writing = 1;
		}
		return 0;
	}
	if (c->out != NULL) {
		evbuffer_free(c->out);
		c->out = NULL;
	}
	if (c->writing) {
		event_del(&c->wr);
		c->writing = 0;
	}
	return 0;
}

int
conn_write(struct conn *c, const void *p, size_t len)
{
	evbuffer_add(conn_output(c), p, len);
	if (conn_flush(c) == -1) {
		conn_free(c);
		return -1;
	}
	return 0;
}

/* Over client_queue: skip, and remember since when. */
static void
conn_behind(struct conn *c)
{
	c->gw->stats.skipped++;
	if (!c->behind)
		c->behind = 1;
	if (c->lag_since < 0) {
		c->lag_since = gateway_mono_ms();
		conn_arm_open(c, c->lag_since);
	}
}

int
conn_send(struct conn *c, struct frame *f, int force)
{
	size_t queued = conn_queued(c), off = 0;
	ssize_t n;

	if (c->state != CONN_OPEN && !(force && c->state == CONN_CLOSING))
		return 1;
	if (!force &&
	    group_backpressure(queued, f->len, c->gw->cf->gateway.client_queue,
	        -1, 0, 1) != GROUP_SEND) {
		conn_behind(c);
		return 1;
	}
	c->gw->stats.frames++;
	if (queued == 0) {
		n = write(c->fd, f->data, f->len);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			conn_free(c);
			return -1;
		}
		if (n > 0) {
			c->gw->stats.bytes += n;
			off = n;
		}
		if (off == f->len)
			return 0;
	}
	evbuffer_add_reference(conn_output(c), f->data + off, f->len - off,
	    frame_cleanup, frame_ref(f));
	if (conn_flush(c) == -1) {
		conn_free(c);
		return -1;
	}
	return 0;
}

void
conn_batch(struct conn *c, struct frame *f, uint64_t end)
{
	const struct config *cf = c->gw->cf;
	int64_t now;

	if (c->state != CONN_OPEN || c->cursor >= end)
		return;
	if (c->behind) {
		/* Until it drains, a client that skipped gets nothing. */
		c->gw->stats.skipped++;
		now = gateway_mono_ms();
		if (now - c->lag_since >= cf->gateway.lag_timeout_ms)
			(void)conn_close(c, WS_CLOSE_LAG, "too far behind");
		return;
	}
	if (conn_send(c, f, 0) == 0)
		c->cursor = end;
}

int
conn_close(struct conn *c, unsigned code, const char *reason)
{
	uint8_t payload[125];
	size_t rlen = strlen(reason);
	struct frame *f;

	int rv = 0;

	if (c->state == CONN_CLOSING || c->state == CONN_CLOSED)
		return 0;
	if (rlen > sizeof payload - 2)
		rlen = sizeof payload - 2;
	log_debug("%s: closing with %u (%s)", conn_peer(c), code, reason);
	if (code == WS_CLOSE_LAG)
		c->gw->stats.lag_closed++;
	group_leave(c->gw, c);
	c->state = CONN_CLOSING;
	c->close_sent = 1;
	payload[0] = code >> 8;
	payload[1] = code & 0xff;
	memcpy(payload + 2, reason, rlen);
	f = frame_new(WS_OP_CLOSE, payload, rlen + 2);
	conn_arm(c, c->gw->cf->gateway.close_timeout_ms);
	if (conn_send(c, f, 1) == -1)
		rv = -1;
	else if (conn_queued(c) == 0 && c->close_rcvd) {
		conn_free(c);
		rv = -1;
	}
	frame_unref(f);
	return rv;
}

/* Send the group's metadata, then a snapshot after cursor (0: all). */
static int
conn_snapshot(struct conn *c, uint64_t after)
{
	struct gateway *gw = c->gw;
	struct group *g = c->group;
	struct frame *f;
	int rv = 0;

	if ((f = group_meta(gw, g)) != NULL) {
		rv = conn_send(c, f, 1);
		frame_unref(f);
		if (rv == -1)
			return -1;
	}
	f = group_snapshot(gw, g, after);
	c->cursor = g->last;
	rv = conn_send(c, f, 1);
	frame_unref(f);
	return rv;
}

void
conn_resync(struct conn *c)
{
	struct gateway *gw = c->gw;
	struct frame *f;
	uint64_t after = c->cursor;

	if (c->state != CONN_OPEN)
		return;
	c->behind = 1;
	if (conn_queued(c) > 0)
		return; /* again when drained */
	c->behind = 0;
	c->lag_since = -1;
	gw->stats.resyncs++;
	if (!history_can_resume(after, gw->state.floor, c->group->last))
		after = 0;
	if (conn_snapshot(c, after) == -1)
		return;
	if ((f = group_health_frame(gw, c->fmt)) != NULL) {
		conn_send(c, f, 0);
		frame_unref(f);
	}
}

/*
 * Bound what a stalled client holds in the kernel too: without a fixed
 * send buffer Linux grows it to megabytes per socket, and a client would
 * hide that far behind before client_queue is even reached.
 */
static void
conn_sndbuf(struct conn *c)
{
	int n = (int)c->gw->cf->gateway.client_queue;

	if (n < CONN_SNDBUF_MIN)
		n = CONN_SNDBUF_MIN;
	if (n > CONN_SNDBUF_MAX)
		n = CONN_SNDBUF_MAX;
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof n) == -1)
		log_warn("%s: SO_SNDBUF", conn_peer(c));
}

int
conn_open(struct conn *c, enum enc_format fmt, const struct sel *sel,
    const char *session, uint64_t cursor)
{
	struct gateway *gw = c->gw;
	struct group *g;
	struct frame *f;
	uint64_t after = 0;

	c->ws = 1;
	c->fmt = fmt;
	c->state = CONN_OPEN;
	conn_sndbuf(c);
	c->last_rx = gateway_mono_ms();
	gw->nclients++;
	g = group_join(gw, c, fmt, sel);
	if (strcmp(session, gw->state.session) == 0 &&
	    history_can_resume(cursor, gw->state.floor, gw->state.cursor))
		after = cursor < g->last ? cursor : g->last;
	f = group_hello(gw, fmt);
	if (conn_send(c, f, 1) == -1) {
		frame_unref(f);
		return -1;
	}
	frame_unref(f);
	if (conn_snapshot(c, after) == -1)
		return -1;
	if (after > 0 && cursor > c->cursor)
		c->cursor = cursor;
	if ((f = group_health_frame(gw, fmt)) != NULL) {
		if (conn_send(c, f, 0) == -1) {
			frame_unref(f);
			return -1;
		}
		frame_unref(f);
	}
	conn_arm_open(c, c->last_rx);
	return 0;
}

/* A subscribe message: move to the group of the new selection. */
static int
conn_subscribe(struct conn *c, const char *p, size_t len, int binary)
{
	struct sel sel;
	int rv;

	memset(&sel, 0, sizeof sel);
	rv = handshake_subscribe(p, len, binary, &sel);
	if (rv == 1)
		return 0; /* not a subscribe: ignored */
	if (rv == -1)
		return conn_close(c, WS_CLOSE_POLICY, "bad subscribe message");
	group_leave(c->gw, c);
	group_join(c->gw, c, c->fmt, &sel);
	group_sel_free(&sel);
	c->behind = 0;
	c->lag_since = -1;
	return conn_snapshot(c, 0) == -1 ? -1 : 0;
}

/* One complete client message; -1 when the connection was freed. */
static int
conn_message(struct conn *c, int opcode, uint8_t *p, size_t len)
{
	struct frame *f;
	unsigned code;
	int rv;

	switch (opcode) {
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (c->state != CONN_OPEN)
			return 0;
		return conn_subscribe(c, (const char *)p, len,
		    opcode == WS_OP_BINARY);
	case WS_OP_PING:
		f = frame_new(WS_OP_PONG, p, len);
		rv = conn_send(c, f, 1);
		frame_unref(f);
		return rv == -1 ? -1 : 0;
	case WS_OP_PONG:
		c->ping_sent = 0;
		return 0;
	case WS_OP_CLOSE:
		c->close_rcvd = 1;
		code = len >= 2 ? (unsigned)p[0] << 8 | p[1] : WS_CLOSE_NORMAL;
		log_debug("%s: client closes with %u", conn_peer(c), code);
		/* A 1-byte body or a reserved code is a protocol error. */
		if (len == 1 || !ws_close_code_ok(code))
			code = WS_CLOSE_PROTOCOL;
		if (c->state == CONN_OPEN)
			return conn_close(c, code, "");
		if (conn_queued(c) == 0) {
			conn_free(c);
			return -1;
		}
		return 0;
	}
	return 0;
}

/*
 * Parse and handle every complete frame in c->in. Returns -1 if the
 * connection was freed.
 */
static int
conn_frames(struct conn *c)
{
	const struct config *cf = c->gw->cf;
	struct ws_frame fr;
	uint8_t *p, *payload;
	size_t have;
	unsigned code;
	int rv;

	while ((have = evbuffer_get_length(c->in)) > 0) {
		p = evbuffer_pullup(c->in, have < 14 ? (ssize_t)have : 14);
		rv = ws_parse_header(p, have, cf->gateway.max_message, &fr,
		    &code);
		if (rv == -1) {
			evbuffer_drain(c->in, have);
			return conn_close(c, code,
			    code == WS_CLOSE_TOO_BIG ? "message too big"
			                             : "protocol error");
		}
		if (rv == 0 || have < fr.hlen + fr.len)
			return 0;
		evbuffer_drain(c->in, fr.hlen);
		payload = xmalloc(fr.len + 1);
		evbuffer_remove(c->in, payload, fr.len);
		ws_unmask(payload, fr.len, fr.mask, 0);
		rv = conn_message(c, fr.opcode, payload, fr.len);
		free(payload);
		if (rv == -1)
			return -1;
	}
	return 0;
}

/* Read what the socket has into c->in; -1 if the peer is gone (freed). */
static int
conn_fill(struct conn *c)
{
	int n;

	if (c->in == NULL)
		c->in = evbuffer_new();
	n = evbuffer_read(c->in, c->fd, CONN_READ_MAX);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		log_debug("%s: %s", conn_peer(c),
		    n == 0 ? "disconnected" : strerror(errno));
		conn_free(c);
		return -1;
	}
	if (n > 0)
		c->last_rx = gateway_mono_ms();
	return 0;
}

static void
conn_drop_in(struct conn *c)
{
	if (c->in != NULL && evbuffer_get_length(c->in) == 0) {
		evbuffer_free(c->in);
		c->in = NULL;
	}
}

/* HANDSHAKE: answer every complete request while the output is empty. */
static void
conn_requests(struct conn *c)
{
	const struct config *cf = c->gw->cf;
	struct request r;
	size_t have;
	int status;

	while (c->state == CONN_HANDSHAKE && c->in != NULL &&
	    (have = evbuffer_get_length(c->in)) > 0) {
		if (conn_queued(c) > 0) {
			event_del(&c->rd); /* again when the reply is out */
			return;
		}
		if (have > cf->gateway.max_header)
			have = cf->gateway.max_header;
		status =
		    handshake_parse((const char *)evbuffer_pullup(c->in, have),
		        have, cf->gateway.max_header, &r);
		if (status == 0)
			break;
		if (status != 200) {
			http_error(c, status, 0);
			return;
		}
		evbuffer_drain(c->in, r.hlen);
		if (r.content_length > 0 || r.chunked)
			r.keepalive = 0;
		status = http_request(c, &r);
		handshake_free(&r);
		if (status == -1)
			return;                 /* freed or closing */
		if (c->state == CONN_HANDSHAKE) /* keep-alive: a new wait */
			conn_arm(c, cf->gateway.handshake_timeout_ms);
	}
	if (c->state == CONN_HANDSHAKE)
		conn_drop_in(c);
	else if (c->state == CONN_OPEN && c->in != NULL &&
	    evbuffer_get_length(c->in) > 0 && conn_frames(c) == 0)
		conn_drop_in(c);
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (conn_fill(c) == -1)
		return;
	switch (c->state) {
	case CONN_HANDSHAKE:
		conn_requests(c);
		break;
	case CONN_OPEN:
	case CONN_CLOSING:
		if (!c->ws) {
			evbuffer_drain(c->in, evbuffer_get_length(c->in));
			conn_drop_in(c);
		} else if (conn_frames(c) == 0)
			conn_drop_in(c);
		break;
	}
}

static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (conn_flush(c) == -1) {
		conn_free(c);
		return;
	}
	if (conn_queued(c) > 0)
		return;
	switch (c->state) {
	case CONN_HANDSHAKE:
		/* A keep-alive reply is out: the next request. */
		event_add(&c->rd, NULL);
		conn_arm(c, c->gw->cf->gateway.handshake_timeout_ms);
		conn_requests(c);
		break;
	case CONN_OPEN:
		if (c->behind)
			conn_resync(c);
		break;
	case CONN_CLOSING:
		if (!c->ws)
			shutdown(c->fd, SHUT_WR); /* then wait for EOF */
		else if (c->close_rcvd)
			conn_free(c);
		break;
	}
}

static void
conn_timer_open(struct conn *c)
{
	const struct config *cf = c->gw->cf;
	int64_t now = gateway_mono_ms();
	struct frame *f;

	if (c->lag_since >= 0 &&
	    now - c->lag_since >= cf->gateway.lag_timeout_ms) {
		log_info("%s: behind for %u ms, closing", conn_peer(c),
		    cf->gateway.lag_timeout_ms);
		conn_close(c, WS_CLOSE_LAG, "too far behind");
		return;
	}
	if (c->ping_sent && now - c->ping_at >= cf->gateway.ping_timeout_ms) {
		log_info("%s: no pong, closing", conn_peer(c));
		conn_close(c, WS_CLOSE_PING, "no pong");
		return;
	}
	if (!c->ping_sent && cf->gateway.ping_interval_ms > 0 &&
	    now - c->last_rx >= cf->gateway.ping_interval_ms) {
		c->ping_sent = 1;
		c->ping_at = now;
		f = frame_new(WS_OP_PING, "vigil", 5);
		if (conn_send(c, f, 1) == -1) {
			frame_unref(f);
			return;
		}
		frame_unref(f);
	}
	conn_arm_open(c, now);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	switch (c->state) {
	case CONN_HANDSHAKE:
		log_debug("%s: no request in time, closing", conn_peer(c));
		conn_free(c);
		break;
	case CONN_OPEN:
		conn_timer_open(c);
		break;
	case CONN_CLOSING:
		log_debug("%s: close timed out", conn_peer(c));
		conn_free(c);
		break;
	}
}

/*
 * After a last HTTP reply: once it is out, shut our side and read until
 * the peer closes (or close_timeout), so that unread request bytes do not
 * turn the close into a reset that destroys the reply.
 */
void
conn_finish(struct conn *c)
{
	c->state = CONN_CLOSING;
	event_add(&c->rd, NULL);
	conn_arm(c, c->gw->cf->gateway.close_timeout_ms);
	if (conn_queued(c) == 0)
		shutdown(c->fd, SHUT_WR);
}

void
conn_free_all(struct gateway *gw)
{
	struct conn *c;
	struct frame *f = NULL;

	while ((c = LIST_FIRST(&gw->conns)) != NULL) {
		if (c->ws && c->state == CONN_OPEN) {
			/* Best effort: one write, no waiting. */
			if (f == NULL)
				f = frame_new(WS_OP_CLOSE, "\x03\xe9", 2);
			if (conn_queued(c) == 0)
				(void)!write(c->fd, f->data, f->len);
		}
		conn_free(c);
	}
	frame_unref(f);
}
