/*
 * Encoders of the gateway's WebSocket messages. Each message is built once
 * in each format and then queued to every client that speaks it. msgpack
 * goes through msgpack-c's packer; JSON is written by hand because the
 * structure is small and fixed. JSON text frames must be valid UTF-8, so
 * strings from the bus are escaped and any invalid byte is replaced by
 * U+FFFD; numbers are printed with the fewest digits that read back exactly,
 * and a value that is not finite is written as null.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "common/proto.h"
#include "common/xmalloc.h"
#include "gateway/message.h"

static void
json_put(msgpack_sbuffer *sb, const char *s)
{
	msgpack_sbuffer_write(sb, s, strlen(s));
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
json_string(msgpack_sbuffer *sb, const char *str)
{
	const unsigned char *p = (const unsigned char *)str;
	size_t n = strlen(str), seq;
	char esc[8];

	json_put(sb, "\"");
	while (n > 0) {
		if (*p == '"' || *p == '\\') {
			snprintf(esc, sizeof esc, "\\%c", *p);
			json_put(sb, esc);
		} else if (*p == '\n')
			json_put(sb, "\\n");
		else if (*p == '\t')
			json_put(sb, "\\t");
		else if (*p == '\r')
			json_put(sb, "\\r");
		else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			json_put(sb, esc);
		} else if ((seq = utf8_seq(p, n)) > 0) {
			msgpack_sbuffer_write(sb, (const char *)p, seq);
			p += seq;
			n -= seq;
			continue;
		} else
			json_put(sb, "\\ufffd");
		p++;
		n--;
	}
	json_put(sb, "\"");
}

static void
json_number(msgpack_sbuffer *sb, double v)
{
	char buf[32];

	if (!isfinite(v)) {
		json_put(sb, "null");
		return;
	}
	snprintf(buf, sizeof buf, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof buf, "%.17g", v);
	json_put(sb, buf);
}

static void
json_key(msgpack_sbuffer *sb, const char *key, int first)
{
	if (!first)
		json_put(sb, ",");
	json_string(sb, key);
	json_put(sb, ":");
}

static void
json_sample(msgpack_sbuffer *sb, const struct proto_sample *s)
{
	char buf[32];
	size_t i;

	json_put(sb, "{\"type\":\"sample\"");
	json_key(sb, "src", 0);
	json_string(sb, s->source);
	json_key(sb, "host", 0);
	json_string(sb, s->host);
	snprintf(buf, sizeof buf, ",\"seq\":%" PRIu64, s->seq);
	json_put(sb, buf);
	snprintf(buf, sizeof buf, ",\"t\":%" PRId64, s->time_ns / 1000000);
	json_put(sb, buf);
	snprintf(buf, sizeof buf, ",\"iv\":%" PRIu32, s->interval_ms);
	json_put(sb, buf);
	json_put(sb, ",\"vals\":{");
	for (i = 0; i < s->nvalues; i++) {
		json_key(sb, s->values[i].name, i == 0);
		json_number(sb, s->values[i].value);
	}
	json_put(sb, "}}");
}

static void
mp_str(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);

	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

static void
mp_sample(msgpack_packer *pk, const struct proto_sample *s)
{
	size_t i;

	msgpack_pack_map(pk, 7);
	mp_str(pk, "type");
	mp_str(pk, "sample");
	mp_str(pk, "src");
	mp_str(pk, s->source);
	mp_str(pk, "host");
	mp_str(pk, s->host);
	mp_str(pk, "seq");
	msgpack_pack_uint64(pk, s->seq);
	mp_str(pk, "t");
	msgpack_pack_int64(pk, s->time_ns / 1000000);
	mp_str(pk, "iv");
	msgpack_pack_uint32(pk, s->interval_ms);
	mp_str(pk, "vals");
	msgpack_pack_map(pk, s->nvalues);
	for (i = 0; i < s->nvalues; i++) {
		mp_str(pk, s->values[i].name);
		if (isfinite(s->values[i].value))
			msgpack_pack_double(pk, s->values[i].value);
		else
			msgpack_pack_nil(pk);
	}
}

/* Hand the buffer's storage, trimmed to size, over to m. */
static void
message_take(struct message *m, enum message_format f, msgpack_sbuffer *sb)
{
	m->len[f] = sb->size;
	m->data[f] = xreallocarray(msgpack_sbuffer_release(sb), 1,
	    m->len[f] > 0 ? m->len[f] : 1);
}

struct message *
message_hello(const char *server, const char *host)
{
	struct message *m = xcalloc(1, sizeof *m);
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char buf[32];

	msgpack_sbuffer_init(&sb);
	json_put(&sb, "{\"type\":\"hello\"");
	snprintf(buf, sizeof buf, ",\"version\":%d", MESSAGE_VERSION);
	json_put(&sb, buf);
	json_key(&sb, "server", 0);
	json_string(&sb, server);
	json_key(&sb, "host", 0);
	json_string(&sb, host);
	json_put(&sb, "}");
	message_take(m, MESSAGE_JSON, &sb);

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	mp_str(&pk, "type");
	mp_str(&pk, "hello");
	mp_str(&pk, "version");
	msgpack_pack_int(&pk, MESSAGE_VERSION);
	mp_str(&pk, "server");
	mp_str(&pk, server);
	mp_str(&pk, "host");
	mp_str(&pk, host);
	message_take(m, MESSAGE_MSGPACK, &sb);
	return m;
}

struct message *
message_sample(const struct proto_sample *s)
{
	struct message *m = xcalloc(1, sizeof *m);
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	json_sample(&sb, s);
	message_take(m, MESSAGE_JSON, &sb);

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	mp_sample(&pk, s);
	message_take(m, MESSAGE_MSGPACK, &sb);
	return m;
}

void
message_free(struct message *m)
{
	int f;

	if (m == NULL)
		return;
	for (f = 0; f < MESSAGE_NFORMATS; f++)
		free(m->data[f]);
	free(m);
}
