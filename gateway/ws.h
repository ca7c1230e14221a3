/*
 * The WebSocket wire format (RFC 6455), without any I/O: the accept key of
 * the handshake, the subprotocol choice, the header of a server frame and
 * the parsing of a client frame's header. Client messages are few and
 * small, so the gateway reads them itself instead of keeping a framing
 * library's context per connection.
 */
#ifndef VIGIL_GATEWAY_WS_H
#define VIGIL_GATEWAY_WS_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/enc.h"

#define WS_ACCEPT_LEN 28 /* without the NUL */

#define WS_OP_CONT 0x0
#define WS_OP_TEXT 0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE 0x8
#define WS_OP_PING 0x9
#define WS_OP_PONG 0xa

/* Close codes, as in vigil-protocol(7). */
#define WS_CLOSE_NORMAL 1000
#define WS_CLOSE_GOING_AWAY 1001
#define WS_CLOSE_PROTOCOL 1002
#define WS_CLOSE_POLICY 1008
#define WS_CLOSE_TOO_BIG 1009
#define WS_CLOSE_LAG 4000
#define WS_CLOSE_PING 4001

/* The header of a client frame. */
struct ws_frame {
	int fin;
	int opcode;
	uint64_t len; /* payload */
	size_t hlen;  /* header, with the mask key */
	uint8_t mask[4];
};

/*
 * Sec-WebSocket-Accept for a Sec-WebSocket-Key; -1 when the key is not the
 * base64 form of 16 bytes.
 */
int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);
/*
 * Choose a format from a Sec-WebSocket-Protocol list (NULL: none offered).
 * Returns 1 with *fmt set to the first supported entry, which the server
 * must echo; 0 with JSON when none is offered or none is supported.
 */
int ws_subprotocol(const char *offered, enum enc_format *fmt);
const char *ws_subprotocol_name(enum enc_format fmt);
/* 1 if the comma-separated list holds want (case-insensitive), else 0. */
int ws_has_token(const char *list, const char *want);

/* Write the header of an unmasked final frame; returns its length. */
size_t ws_header(uint8_t *out, int opcode, uint64_t len);
/*
 * Parse a client frame header from the n bytes at p. Returns 1 when f is
 * complete, 0 when more bytes are needed, -1 with the close code to send in
 * *code: 1002 for a protocol error (unmasked, reserved bits or opcode,
 * fragmented message, bad control frame), 1009 for a payload over max.
 */
int ws_parse_header(const uint8_t *p, size_t n, uint64_t max,
    struct ws_frame *f, unsigned *code);
/* XOR the mask over n payload bytes that start off bytes into it. */
void ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], size_t off);

/* 1 if a peer may send code in a close frame (RFC 6455 7.4), else 0. */
int ws_close_code_ok(unsigned code);

#endif
