/*
 * HTTP/1.1 request heads as the gateway reads them, for both plain HTTP
 * and the WebSocket upgrade: parsed from a bounded buffer, strictly, so a
 * malformed or oversized request gets a clear status instead of a guess.
 */
#ifndef VIGIL_GATEWAY_HANDSHAKE_H
#define VIGIL_GATEWAY_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/ws.h"

struct sel;

#define HANDSHAKE_SESSION_MAX 64

struct request {
	char *raw;   /* the head, NUL-separated; the pointers lead into it */
	size_t hlen; /* bytes of the head, with the empty line */
	const char *method;
	const char *path;  /* still percent-encoded */
	const char *query; /* after '?', or NULL */
	int minor;         /* HTTP/1.minor */
	const char *host;
	const char *upgrade;
	const char *connection;
	const char *ws_key;
	const char *ws_version;
	const char *if_none_match;
	char *ws_protocol;      /* every Sec-WebSocket-Protocol, joined */
	int64_t content_length; /* -1: none */
	int chunked;
	int keepalive;
};

/*
 * Parse the request head at the start of buf (len bytes). Returns 0 when
 * more bytes are needed, 200 when r is complete (free it with
 * handshake_free), or the status to answer: 400 for a malformed head, 431
 * when no end is found within max bytes, 505 for another HTTP version.
 */
int handshake_parse(const char *buf, size_t len, size_t max, struct request *r);
void handshake_free(struct request *r);
/*
 * Check a WebSocket upgrade request. Returns 0 with the accept value, or
 * the status to answer: 405 (not GET), 400 (no upgrade, bad key), 426
 * (another WebSocket version).
 */
int handshake_upgrade(const struct request *r, char accept[WS_ACCEPT_LEN + 1]);
/*
 * Parse the /ws query string (NULL: none): prefix, rate, session and
 * cursor as in vigil-protocol(7); unknown keys are ignored. Returns 0, or
 * 400 for a malformed or out-of-range value (sel is then emptied).
 */
int handshake_query(const char *query, struct sel *sel,
    char session[HANDSHAKE_SESSION_MAX + 1], uint64_t *cursor);
/*
 * Parse a client message: {"type":"subscribe","prefix":[...],"rate":n} as
 * JSON (a text frame) or msgpack (binary). Returns 0 with sel filled, 1
 * for a message of another type (ignored), -1 for a malformed one.
 */
int handshake_subscribe(const char *p, size_t len, int binary, struct sel *sel);
/* Decode %XX escapes of n bytes into out (n + 1 bytes); -1 if malformed. */
int handshake_unescape(const char *in, size_t n, char *out, size_t *outlen);

#endif
