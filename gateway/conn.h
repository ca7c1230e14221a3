/*
 * One TCP connection of the gateway's port, from accept to close, as an
 * explicit state machine: HANDSHAKE (reading an HTTP request, also between
 * keep-alive requests), OPEN (a WebSocket client), CLOSING (a close frame
 * or a last HTTP reply on its way out) and CLOSED (freed). Every state
 * that waits on the peer has a deadline on one timer. A connection holds no
 * buffer while it is idle: output and input buffers exist only while they
 * hold bytes.
 */
#ifndef VIGIL_GATEWAY_CONN_H
#define VIGIL_GATEWAY_CONN_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "gateway/enc.h"

struct evbuffer;
struct gateway;
struct group;
struct sel;

enum conn_state {
	CONN_HANDSHAKE,
	CONN_OPEN,
	CONN_CLOSING,
	CONN_CLOSED,
};

struct conn {
	LIST_ENTRY(conn) entry;
	TAILQ_ENTRY(conn) gentry; /* in its group */
	struct gateway *gw;
	struct group *group;
	struct evbuffer *in;  /* NULL when empty */
	struct evbuffer *out; /* NULL when empty */
	struct event rd;
	struct event wr;
	struct event tm;
	int fd;
	uint8_t state;
	uint8_t fmt;
	unsigned ws : 1;         /* a WebSocket client */
	unsigned behind : 1;     /* skipped a batch: resync when drained */
	unsigned ping_sent : 1;  /* waiting for a pong */
	unsigned close_sent : 1; /* our close frame is queued */
	unsigned close_rcvd : 1; /* the peer's close frame arrived */
	unsigned keepalive : 1;  /* HTTP: read another request after */
	unsigned writing : 1;    /* wr is added */
	uint64_t cursor;         /* newest sample this client was sent */
	int64_t last_rx;         /* monotonic ms of the last bytes read */
	int64_t ping_at;
	int64_t lag_since; /* over client_queue since; -1: not */
};

/* Take an accepted socket (non-blocking) into the HANDSHAKE state. */
void conn_accept(struct gateway *gw, int fd);
/*
 * Queue a frame (a reference is taken). Returns 0 when queued or written,
 * 1 when skipped because the client is over client_queue (never when
 * force), -1 when the connection failed and was freed.
 */
int conn_send(struct conn *c, struct frame *f, int force);
/* Deliver a batch ending at cursor end, with backpressure. */
void conn_batch(struct conn *c, struct frame *f, uint64_t end);
/* Queue raw bytes (HTTP replies); -1 if the connection was freed. */
int conn_write(struct conn *c, const void *p, size_t len);
struct evbuffer *conn_output(struct conn *c);
/*
 * Start the WebSocket close handshake with code and reason; -1 if the
 * connection is already gone (freed).
 */
int conn_close(struct conn *c, unsigned code, const char *reason);
/* The client skipped batches or lost its group's samples: resync it. */
void conn_resync(struct conn *c);
/*
 * Make c an open WebSocket client of the group of (fmt, sel): hello,
 * metadata, snapshot (a resume when session and cursor allow), health.
 * -1 if the connection failed and was freed.
 */
int conn_open(struct conn *c, enum enc_format fmt, const struct sel *sel,
    const char *session, uint64_t cursor);
/* HTTP: close once the last reply is out and the peer closed. */
void conn_finish(struct conn *c);
/* Close every connection (1001 for WebSocket clients) and free them. */
void conn_free_all(struct gateway *gw);
/* Peer address as text, for logs. */
const char *conn_peer(const struct conn *c);

#endif
