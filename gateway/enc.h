/*
 * Encoders of the messages the gateway sends: one writer API that emits
 * either JSON or msgpack, so each message is described once and encoded in
 * the format a client chose. A message meant for WebSocket clients is
 * turned into a frame, header and payload in one refcounted buffer that
 * every subscriber's output references without a copy.
 */
#ifndef VIGIL_GATEWAY_ENC_H
#define VIGIL_GATEWAY_ENC_H

#include <stddef.h>
#include <stdint.h>

enum enc_format {
	ENC_JSON = 0,
	ENC_MSGPACK,
	ENC_NFORMATS,
};

#define ENC_DEPTH 16 /* nesting of maps and arrays */
#define ENC_HEAD 10  /* room kept in front for a WebSocket header */

struct enc {
	enum enc_format fmt;
	char *buf;
	size_t len;
	size_t cap;
	size_t start; /* first payload byte */
	int depth;
	int after_key;
	unsigned char first[ENC_DEPTH];
	unsigned char map[ENC_DEPTH];
};

/* A shared, immutable WebSocket frame. */
struct frame {
	unsigned refs;
	size_t len;
	const char *data; /* header then payload */
	char *buf;
};

/* Start an empty message; frame: keep room for a WebSocket header. */
void enc_init(struct enc *e, enum enc_format fmt, int frame);
void enc_free(struct enc *e);
/* Containers: n is the number of entries (msgpack needs it up front). */
void enc_map(struct enc *e, size_t n);
void enc_array(struct enc *e, size_t n);
void enc_end(struct enc *e);
void enc_key(struct enc *e, const char *key);
void enc_str(struct enc *e, const char *s);
void enc_uint(struct enc *e, uint64_t v);
void enc_int(struct enc *e, int64_t v);
/* Not finite: nil (JSON null). */
void enc_double(struct enc *e, double v);
void enc_nil(struct enc *e);
void enc_bool(struct enc *e, int v);
/* A value encoded elsewhere in the same format. */
void enc_raw(struct enc *e, const void *p, size_t len);
/* The payload, without the header room. */
const char *enc_data(const struct enc *e, size_t *len);
/* Hand the payload over as a malloc'd string (NUL-terminated). */
char *enc_take(struct enc *e, size_t *len);

/*
 * Turn the message into a WebSocket frame (text for JSON, binary for
 * msgpack) with one reference; e is left empty.
 */
struct frame *enc_frame(struct enc *e);
/* A control or data frame from raw payload bytes. */
struct frame *frame_new(int opcode, const void *payload, size_t len);
struct frame *frame_ref(struct frame *f);
void frame_unref(struct frame *f);
/* evbuffer_add_reference cleanup: drops one reference. */
void frame_cleanup(const void *data, size_t len, void *arg);

#endif
