/*
 * JSON and msgpack writers behind one API. JSON separators are derived from
 * a small stack (first entry of a container, key or value in a map), so
 * callers describe the structure only; msgpack needs the entry counts,
 * which callers give for both formats. JSON text is valid UTF-8: strings
 * are escaped and invalid bytes become U+FFFD. Numbers use the fewest
 * digits that read back exactly; a value that is not finite is null (nil).
 * The buffer starts with ENC_HEAD spare bytes so that a frame header can be
 * written in front of the payload without moving it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "gateway/enc.h"
#include "gateway/ws.h"

static void
enc_grow(struct enc *e, size_t more)
{
	size_t cap = e->cap ? e->cap : 256;

	if (e->len + more <= e->cap)
		return;
	while (cap < e->len + more)
		cap *= 2;
	e->buf = xreallocarray(e->buf, 1, cap);
	e->cap = cap;
}

static void
enc_put(struct enc *e, const void *p, size_t n)
{
	enc_grow(e, n);
	memcpy(e->buf + e->len, p, n);
	e->len += n;
}

static void
enc_puts(struct enc *e, const char *s)
{
	enc_put(e, s, strlen(s));
}

static void
enc_byte(struct enc *e, uint8_t b)
{
	enc_put(e, &b, 1);
}

/* Big-endian integer of n bytes after a type byte. */
static void
enc_be(struct enc *e, uint8_t type, uint64_t v, int n)
{
	uint8_t b[9];
	int i;

	b[0] = type;
	for (i = 0; i < n; i++)
		b[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	enc_put(e, b, 1 + n);
}

void
enc_init(struct enc *e, enum enc_format fmt, int frame)
{
	memset(e, 0, sizeof *e);
	e->fmt = fmt;
	e->start = frame ? ENC_HEAD : 0;
	enc_grow(e, e->start + 64);
	e->len = e->start;
	e->first[0] = 1;
}

void
enc_free(struct enc *e)
{
	free(e->buf);
	e->buf = NULL;
	e->len = e->cap = 0;
}

/* JSON: the separator before a value. */
static void
enc_value(struct enc *e)
{
	if (e->fmt != ENC_JSON)
		return;
	if (e->after_key) {
		e->after_key = 0;
		return;
	}
	if (!e->first[e->depth])
		enc_byte(e, ',');
	e->first[e->depth] = 0;
}

static void
enc_open(struct enc *e, int map)
{
	if (e->depth + 1 >= ENC_DEPTH)
		fatalx("%s: nesting too deep", __func__);
	e->depth++;
	e->first[e->depth] = 1;
	e->map[e->depth] = map;
}

void
enc_map(struct enc *e, size_t n)
{
	enc_value(e);
	if (e->fmt == ENC_JSON)
		enc_byte(e, '{');
	else if (n < 16)
		enc_byte(e, 0x80 | n);
	else if (n < 65536)
		enc_be(e, 0xde, n, 2);
	else
		enc_be(e, 0xdf, n, 4);
	enc_open(e, 1);
}

void
enc_array(struct enc *e, size_t n)
{
	enc_value(e);
	if (e->fmt == ENC_JSON)
		enc_byte(e, '[');
	else if (n < 16)
		enc_byte(e, 0x90 | n);
	else if (n < 65536)
		enc_be(e, 0xdc, n, 2);
	else
		enc_be(e, 0xdd, n, 4);
	enc_open(e, 0);
}

void
enc_end(struct enc *e)
{
	if (e->depth == 0)
		fatalx("%s: no container open", __func__);
	if (e->fmt == ENC_JSON)
		enc_byte(e, e->map[e->depth] ? '}' : ']');
	e->depth--;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void
enc_json_string(struct enc *e, const char *str)
{
	const unsigned char *p = (const unsigned char *)str;
	size_t n = strlen(str), seq;
	char esc[8];

	enc_byte(e, '"');
	while (n > 0) {
		seq = 1;
		if (*p == '"' || *p == '\\') {
			enc_byte(e, '\\');
			enc_byte(e, *p);
		} else if (*p == '\n')
			enc_puts(e, "\\n");
		else if (*p == '\t')
			enc_puts(e, "\\t");
		else if (*p == '\r')
			enc_puts(e, "\\r");
		else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			enc_puts(e, esc);
		} else if ((seq = utf8_seq(p, n)) > 0)
			enc_put(e, p, seq);
		else {
			enc_puts(e, "\\ufffd");
			seq = 1;
		}
		p += seq;
		n -= seq;
	}
	enc_byte(e, '"');
}

static void
enc_mp_string(struct enc *e, const char *s)
{
	size_t n = strlen(s);

	if (n < 32)
		enc_byte(e, 0xa0 | n);
	else if (n < 256)
		enc_be(e, 0xd9, n, 1);
	else if (n < 65536)
		enc_be(e, 0xda, n, 2);
	else
		enc_be(e, 0xdb, n, 4);
	enc_put(e, s, n);
}

void
enc_key(struct enc *e, const char *key)
{
	if (e->fmt == ENC_JSON) {
		if (!e->first[e->depth])
			enc_byte(e, ',');
		e->first[e->depth] = 0;
		enc_json_string(e, key);
		enc_byte(e, ':');
		e->after_key = 1;
	} else
		enc_mp_string(e, key);
}

void
enc_str(struct enc *e, const char *s)
{
	enc_value(e);
	if (e->fmt == ENC_JSON)
		enc_json_string(e, s);
	else
		enc_mp_string(e, s);
}

void
enc_uint(struct enc *e, uint64_t v)
{
	char buf[32];

	enc_value(e);
	if (e->fmt == ENC_JSON) {
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
		enc_puts(e, buf);
	} else if (v < 128)
		enc_byte(e, v);
	else if (v < 256)
		enc_be(e, 0xcc, v, 1);
	else if (v < 65536)
		enc_be(e, 0xcd, v, 2);
	else if (v <= UINT32_MAX)
		enc_be(e, 0xce, v, 4);
	else
		enc_be(e, 0xcf, v, 8);
}

void
enc_int(struct enc *e, int64_t v)
{
	char buf[32];

	if (v >= 0) {
		enc_uint(e, v);
		return;
	}
	enc_value(e);
	if (e->fmt == ENC_JSON) {
		snprintf(buf, sizeof buf, "%lld", (long long)v);
		enc_puts(e, buf);
	} else if (v >= -32)
		enc_byte(e, (uint8_t)(int8_t)v);
	else
		enc_be(e, 0xd3, (uint64_t)v, 8);
}

void
enc_double(struct enc *e, double v)
{
	char buf[32];
	uint64_t bits;

	if (!isfinite(v)) {
		enc_nil(e);
		return;
	}
	enc_value(e);
	if (e->fmt == ENC_JSON) {
		snprintf(buf, sizeof buf, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, sizeof buf, "%.17g", v);
		enc_puts(e, buf);
		return;
	}
	memcpy(&bits, &v, sizeof bits);
	enc_be(e, 0xcb, bits, 8);
}

void
enc_nil(struct enc *e)
{
	enc_value(e);
	if (e->fmt == ENC_JSON)
		enc_puts(e, "null");
	else
		enc_byte(e, 0xc0);
}

void
enc_bool(struct enc *e, int v)
{
	enc_value(e);
	if (e->fmt == ENC_JSON)
		enc_puts(e, v ? "true" : "false");
	else
		enc_byte(e, v ? 0xc3 : 0xc2);
}

void
enc_raw(struct enc *e, const void *p, size_t len)
{
	enc_value(e);
	enc_put(e, p, len);
}

const char *
enc_data(const struct enc *e, size_t *len)
{
	*len = e->len - e->start;
	return e->buf + e->start;
}

char *
enc_take(struct enc *e, size_t *len)
{
	char *s;

	*len = e->len - e->start;
	s = xmalloc(*len + 1);
	memcpy(s, e->buf + e->start, *len);
	s[*len] = '\0';
	enc_free(e);
	return s;
}

struct frame *
enc_frame(struct enc *e)
{
	struct frame *f = xcalloc(1, sizeof *f);
	uint8_t head[ENC_HEAD];
	size_t hlen, plen = e->len - e->start;

	if (e->start < ENC_HEAD)
		fatalx("%s: no room for a header", __func__);
	hlen = ws_header(head, e->fmt == ENC_JSON ? WS_OP_TEXT : WS_OP_BINARY,
	    plen);
	memcpy(e->buf + e->start - hlen, head, hlen);
	f->refs = 1;
	f->buf = e->buf;
	f->data = e->buf + e->start - hlen;
	f->len = hlen + plen;
	e->buf = NULL;
	e->len = e->cap = 0;
	return f;
}

struct frame *
frame_new(int opcode, const void *payload, size_t len)
{
	struct frame *f = xcalloc(1, sizeof *f);
	uint8_t head[ENC_HEAD];
	size_t hlen = ws_header(head, opcode, len);

	f->refs = 1;
	f->buf = xmalloc(hlen + len + 1);
	memcpy(f->buf, head, hlen);
	if (len > 0)
		memcpy(f->buf + hlen, payload, len);
	f->data = f->buf;
	f->len = hlen + len;
	return f;
}

struct frame *
frame_ref(struct frame *f)
{
	f->refs++;
	return f;
}

void
frame_unref(struct frame *f)
{
	if (f == NULL || --f->refs > 0)
		return;
	free(f->buf);
	free(f);
}

void
frame_cleanup(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	frame_unref(arg);
}
