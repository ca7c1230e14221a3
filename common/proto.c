/*
 * Encoding and decoding of bus samples with msgpack-c. The decoder treats
 * every message as hostile: it checks types, lengths and limits and rejects
 * truncated input and trailing bytes, so a broken publisher costs one
 * dropped message and a log line, never a crash.
 */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>

#include "common/proto.h"
#include "common/xmalloc.h"

void
proto_sample_init(struct proto_sample *s, const char *source,
    const char *host, uint32_t interval_ms)
{
	memset(s, 0, sizeof *s);
	s->version = PROTO_VERSION;
	snprintf(s->source, sizeof s->source, "%s", source);
	snprintf(s->host, sizeof s->host, "%s", host);
	s->interval_ms = interval_ms;
}

void
proto_sample_add(struct proto_sample *s, const char *name, double v)
{
	if (s->nvalues == s->cap) {
		s->cap = s->cap == 0 ? 16 : s->cap * 2;
		s->values = xreallocarray(s->values, s->cap, sizeof *s->values);
	}
	s->values[s->nvalues].name = xstrdup(name);
	s->values[s->nvalues].value = v;
	s->nvalues++;
}

void
proto_sample_clear(struct proto_sample *s)
{
	size_t i;

	for (i = 0; i < s->nvalues; i++)
		free(s->values[i].name);
	s->nvalues = 0;
}

void
proto_sample_free(struct proto_sample *s)
{
	proto_sample_clear(s);
	free(s->values);
	s->values = NULL;
	s->cap = 0;
}

static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

int
proto_sample_encode(const struct proto_sample *s, char **buf, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 7);
	pack_str(&pk, "v");
	msgpack_pack_uint32(&pk, s->version);
	pack_str(&pk, "src");
	pack_str(&pk, s->source);
	pack_str(&pk, "host");
	pack_str(&pk, s->host);
	pack_str(&pk, "seq");
	msgpack_pack_uint64(&pk, s->seq);
	pack_str(&pk, "t");
	msgpack_pack_int64(&pk, s->time_ns);
	pack_str(&pk, "iv");
	msgpack_pack_uint32(&pk, s->interval_ms);
	pack_str(&pk, "vals");
	msgpack_pack_map(&pk, s->nvalues);
	for (i = 0; i < s->nvalues; i++) {
		pack_str(&pk, s->values[i].name);
		msgpack_pack_double(&pk, s->values[i].value);
	}
	if (sb.data == NULL) {
		msgpack_sbuffer_destroy(&sb);
		return -1;
	}
	*len = sb.size;
	*buf = msgpack_sbuffer_release(&sb);
	return 0;
}

static int
decode_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
key_is(const msgpack_object *k, const char *name)
{
	size_t n = strlen(name);

	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
	    memcmp(k->via.str.ptr, name, n) == 0;
}

/* A string field copied into a fixed buffer; NULs and overflow rejected. */
static int
get_str(const msgpack_object *o, char *dst, size_t max)
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 ||
	    o->via.str.size > max ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return -1;
	memcpy(dst, o->via.str.ptr, o->via.str.size);
	dst[o->via.str.size] = '\0';
	return 0;
}

static int
get_uint(const msgpack_object *o, uint64_t max, uint64_t *out)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return -1;
	*out = o->via.u64;
	return 0;
}

static int
get_number(const msgpack_object *o, double *out)
{
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*out = (double)o->via.u64;
		return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*out = (double)o->via.i64;
		return 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*out = o->via.f64;
		return 0;
	default:
		return -1;
	}
}

static int
decode_values(const msgpack_object *o, struct proto_sample *s, char *err,
    size_t errlen)
{
	char name[PROTO_NAME_MAX + 1];
	const msgpack_object_kv *kv;
	double v;
	uint32_t i;

	if (o->type != MSGPACK_OBJECT_MAP)
		return decode_error(err, errlen, "vals is not a map");
	if (o->via.map.size > PROTO_VALUES_MAX)
		return decode_error(err, errlen, "%u values, limit %d",
		    o->via.map.size, PROTO_VALUES_MAX);
	for (i = 0; i < o->via.map.size; i++) {
		kv = &o->via.map.ptr[i];
		if (get_str(&kv->key, name, PROTO_NAME_MAX) != 0)
			return decode_error(err, errlen,
			    "value %u: bad series name", i);
		if (get_number(&kv->val, &v) != 0)
			return decode_error(err, errlen,
			    "value %s: not a number", name);
		proto_sample_add(s, name, v);
	}
	return 0;
}

/* Bits of the fields seen, so a missing or repeated field is an error. */
enum {
	F_V = 1 << 0,
	F_SRC = 1 << 1,
	F_HOST = 1 << 2,
	F_SEQ = 1 << 3,
	F_T = 1 << 4,
	F_IV = 1 << 5,
	F_VALS = 1 << 6,
	F_ALL = (1 << 7) - 1,
};

static int
decode_field(const msgpack_object_kv *kv, struct proto_sample *s,
    unsigned *seen, char *err, size_t errlen)
{
	const msgpack_object *k = &kv->key, *o = &kv->val;
	uint64_t u;
	unsigned bit;
	int rv = -1;

	if (key_is(k, "v")) {
		bit = F_V;
		if ((rv = get_uint(o, UINT32_MAX, &u)) == 0 &&
		    u != PROTO_VERSION)
			return decode_error(err, errlen,
			    "version %llu, expected %d", (unsigned long long)u,
			    PROTO_VERSION);
		s->version = (uint32_t)u;
	} else if (key_is(k, "src")) {
		bit = F_SRC;
		rv = get_str(o, s->source, PROTO_SOURCE_MAX);
	} else if (key_is(k, "host")) {
		bit = F_HOST;
		rv = get_str(o, s->host, PROTO_HOST_MAX);
	} else if (key_is(k, "seq")) {
		bit = F_SEQ;
		rv = get_uint(o, UINT64_MAX, &s->seq);
	} else if (key_is(k, "t")) {
		bit = F_T;
		if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    o->via.u64 <= INT64_MAX) {
			s->time_ns = (int64_t)o->via.u64;
			rv = 0;
		} else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
			s->time_ns = o->via.i64;
			rv = 0;
		}
	} else if (key_is(k, "iv")) {
		bit = F_IV;
		if ((rv = get_uint(o, UINT32_MAX, &u)) == 0)
			s->interval_ms = (uint32_t)u;
	} else if (key_is(k, "vals")) {
		bit = F_VALS;
		if (*seen & bit)
			return decode_error(err, errlen, "field vals repeated");
		*seen |= bit;
		return decode_values(o, s, err, errlen);
	} else
		return 0; /* unknown fields are skipped for compatibility */
	if (*seen & bit)
		return decode_error(err, errlen, "field %.*s repeated",
		    (int)k->via.str.size, k->via.str.ptr);
	*seen |= bit;
	if (rv != 0)
		return decode_error(err, errlen, "field %.*s: bad value",
		    (int)k->via.str.size, k->via.str.ptr);
	return 0;
}

int
proto_sample_decode(const void *buf, size_t len, struct proto_sample *s,
    char *err, size_t errlen)
{
	msgpack_unpacked u;
	msgpack_unpack_return ret;
	const msgpack_object *root;
	size_t off = 0;
	unsigned seen = 0;
	uint32_t i;
	int rv = -1;

	memset(s, 0, sizeof *s);
	msgpack_unpacked_init(&u);
	ret = msgpack_unpack_next(&u, buf, len, &off);
	if (ret != MSGPACK_UNPACK_SUCCESS) {
		decode_error(err, errlen, "%s",
		    ret == MSGPACK_UNPACK_CONTINUE ? "truncated message"
						   : "not msgpack");
		goto out;
	}
	if (off != len) {
		decode_error(err, errlen, "%zu trailing bytes", len - off);
		goto out;
	}
	root = &u.data;
	if (root->type != MSGPACK_OBJECT_MAP) {
		decode_error(err, errlen, "sample is not a map");
		goto out;
	}
	for (i = 0; i < root->via.map.size; i++)
		if (decode_field(&root->via.map.ptr[i], s, &seen, err,
			errlen) != 0)
			goto out;
	if (seen != F_ALL) {
		decode_error(err, errlen, "missing fields (have 0x%x)", seen);
		goto out;
	}
	rv = 0;
out:
	msgpack_unpacked_destroy(&u);
	return rv;
}

int
proto_split(const void *body, size_t len, const char **topic,
    const void **payload, size_t *plen)
{
	const char *p = body;
	size_t i;

	for (i = 0; i < len && p[i] != '\0'; i++)
		if (!isprint((unsigned char)p[i]))
			return -1;
	if (i == 0 || i == len)
		return -1;
	*topic = p;
	*payload = p + i + 1;
	*plen = len - i - 1;
	return 0;
}

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
proto_now_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int64_t
proto_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}
