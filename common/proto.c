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
proto_sample_init(struct proto_sample *s, const char *source, const char *host,
    uint32_t interval_ms)
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
proto_sample_add_text(struct proto_sample *s, const char *name,
    const char *value)
{
	if (s->ntexts == s->tcap) {
		s->tcap = s->tcap == 0 ? 8 : s->tcap * 2;
		s->texts = xreallocarray(s->texts, s->tcap, sizeof *s->texts);
	}
	s->texts[s->ntexts].name = xstrdup(name);
	s->texts[s->ntexts].value = xstrdup(value);
	s->ntexts++;
}

void
proto_sample_clear(struct proto_sample *s)
{
	size_t i;

	for (i = 0; i < s->nvalues; i++)
		free(s->values[i].name);
	s->nvalues = 0;
	for (i = 0; i < s->ntexts; i++) {
		free(s->texts[i].name);
		free(s->texts[i].value);
	}
	s->ntexts = 0;
}

void
proto_sample_free(struct proto_sample *s)
{
	proto_sample_clear(s);
	free(s->values);
	s->values = NULL;
	s->cap = 0;
	free(s->texts);
	s->texts = NULL;
	s->tcap = 0;
}

static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static void
pack_head(msgpack_packer *pk, size_t nfields, uint32_t version,
    const char *source, const char *host, uint64_t seq, int64_t time_ns)
{
	msgpack_pack_map(pk, 5 + nfields);
	pack_str(pk, "v");
	msgpack_pack_uint32(pk, version);
	pack_str(pk, "src");
	pack_str(pk, source);
	pack_str(pk, "host");
	pack_str(pk, host);
	pack_str(pk, "seq");
	msgpack_pack_uint64(pk, seq);
	pack_str(pk, "t");
	msgpack_pack_int64(pk, time_ns);
}

static int
release(msgpack_sbuffer *sb, char **buf, size_t *len)
{
	if (sb->data == NULL) {
		msgpack_sbuffer_destroy(sb);
		return -1;
	}
	*len = sb->size;
	*buf = msgpack_sbuffer_release(sb);
	return 0;
}

int
proto_sample_encode(const struct proto_sample *s, char **buf, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack_head(&pk, s->ntexts > 0 ? 3 : 2, s->version, s->source, s->host,
	    s->seq, s->time_ns);
	pack_str(&pk, "iv");
	msgpack_pack_uint32(&pk, s->interval_ms);
	pack_str(&pk, "vals");
	msgpack_pack_map(&pk, s->nvalues);
	for (i = 0; i < s->nvalues; i++) {
		pack_str(&pk, s->values[i].name);
		msgpack_pack_double(&pk, s->values[i].value);
	}
	if (s->ntexts > 0) {
		pack_str(&pk, "text");
		msgpack_pack_map(&pk, s->ntexts);
		for (i = 0; i < s->ntexts; i++) {
			pack_str(&pk, s->texts[i].name);
			pack_str(&pk, s->texts[i].value);
		}
	}
	return release(&sb, buf, len);
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
	F_HEAD = (1 << 5) - 1,
	F_BODY1 = 1 << 5, /* iv, series or roles */
	F_BODY2 = 1 << 6, /* vals */
	F_TEXT = 1 << 7,  /* text, optional */
};

/* Where the head of a message goes, whatever its kind. */
struct head {
	uint32_t *version;
	char *source;
	char *host;
	uint64_t *seq;
	int64_t *time_ns;
};

static int
mark_seen(const msgpack_object *k, unsigned bit, unsigned *seen, char *err,
    size_t errlen)
{
	if (*seen & bit)
		return decode_error(err, errlen, "field %.*s repeated",
		    (int)k->via.str.size, k->via.str.ptr);
	*seen |= bit;
	return 0;
}

static int
get_int(const msgpack_object *o, int64_t *out)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.u64 <= INT64_MAX) {
		*out = (int64_t)o->via.u64;
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*out = o->via.i64;
		return 0;
	}
	return -1;
}

/* 1: a head field, decoded; 0: not a head field; -1: a bad one. */
static int
decode_head(const msgpack_object_kv *kv, const struct head *h, unsigned *seen,
    char *err, size_t errlen)
{
	const msgpack_object *k = &kv->key, *o = &kv->val;
	uint64_t u = 0;
	unsigned bit;
	int rv;

	if (key_is(k, "v")) {
		bit = F_V;
		rv = get_uint(o, UINT32_MAX, &u);
		*h->version = (uint32_t)u;
	} else if (key_is(k, "src")) {
		bit = F_SRC;
		rv = get_str(o, h->source, PROTO_SOURCE_MAX);
	} else if (key_is(k, "host")) {
		bit = F_HOST;
		rv = get_str(o, h->host, PROTO_HOST_MAX);
	} else if (key_is(k, "seq")) {
		bit = F_SEQ;
		rv = get_uint(o, UINT64_MAX, h->seq);
	} else if (key_is(k, "t")) {
		bit = F_T;
		rv = get_int(o, h->time_ns);
	} else
		return 0;
	if (mark_seen(k, bit, seen, err, errlen) != 0)
		return -1;
	if (rv != 0)
		return decode_error(err, errlen, "field %.*s: bad value",
		    (int)k->via.str.size, k->via.str.ptr);
	if (bit == F_V && u != PROTO_VERSION)
		return decode_error(err, errlen, "version %llu, expected %d",
		    (unsigned long long)u, PROTO_VERSION);
	return 1;
}

/*
 * The msgpack types 0xc0 to 0xdf: the bytes of the length that follows the
 * type byte, the fixed bytes after it, and what the length counts.
 */
enum { MP_BYTES, MP_ARRAY, MP_MAP };
static const struct {
	uint8_t lenw, fixed, kind;
} mp_types[32] = {
	/* bin 8, 16, 32 */
	[0x04] = { 1, 0, MP_BYTES },
	[0x05] = { 2, 0, MP_BYTES },
	[0x06] = { 4, 0, MP_BYTES },
	/* ext 8, 16, 32: a type byte after the length */
	[0x07] = { 1, 1, MP_BYTES },
	[0x08] = { 2, 1, MP_BYTES },
	[0x09] = { 4, 1, MP_BYTES },
	/* float 32, 64, uint 8 to 64, int 8 to 64 */
	[0x0a] = { 0, 4, MP_BYTES },
	[0x0b] = { 0, 8, MP_BYTES },
	[0x0c] = { 0, 1, MP_BYTES },
	[0x0d] = { 0, 2, MP_BYTES },
	[0x0e] = { 0, 4, MP_BYTES },
	[0x0f] = { 0, 8, MP_BYTES },
	[0x10] = { 0, 1, MP_BYTES },
	[0x11] = { 0, 2, MP_BYTES },
	[0x12] = { 0, 4, MP_BYTES },
	[0x13] = { 0, 8, MP_BYTES },
	/* fixext 1 to 16, with the type byte */
	[0x14] = { 0, 2, MP_BYTES },
	[0x15] = { 0, 3, MP_BYTES },
	[0x16] = { 0, 5, MP_BYTES },
	[0x17] = { 0, 9, MP_BYTES },
	[0x18] = { 0, 17, MP_BYTES },
	/* str 8, 16, 32, array 16, 32, map 16, 32 */
	[0x19] = { 1, 0, MP_BYTES },
	[0x1a] = { 2, 0, MP_BYTES },
	[0x1b] = { 4, 0, MP_BYTES },
	[0x1c] = { 2, 0, MP_ARRAY },
	[0x1d] = { 4, 0, MP_ARRAY },
	[0x1e] = { 2, 0, MP_MAP },
	[0x1f] = { 4, 0, MP_MAP },
};

int
proto_msgpack_fits(const void *buf, size_t len)
{
	const uint8_t *p = buf, *end = p + len;
	uint64_t pending = 1, n;
	unsigned kind, i;
	uint8_t b;

	/* Every object pending takes one byte at least. */
	for (; pending > 0; pending--) {
		if (pending > (uint64_t)(end - p))
			return -1;
		b = *p++;
		if (b < 0x80 || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3))
			continue; /* fixint, nil, bool, and the unused 0xc1 */
		if (b < 0xc0) {
			/* fixmap, fixarray, fixstr: the length in the byte */
			kind = b < 0x90 ? MP_MAP : MP_ARRAY;
			if (b >= 0xa0)
				kind = MP_BYTES;
			n = b < 0xa0 ? b & 0x0f : b & 0x1f;
		} else {
			if (mp_types[b - 0xc0].lenw > end - p)
				return -1;
			for (n = 0, i = 0; i < mp_types[b - 0xc0].lenw; i++)
				n = n << 8 | *p++;
			kind = mp_types[b - 0xc0].kind;
			n += kind == MP_BYTES ? mp_types[b - 0xc0].fixed : 0;
		}
		if (kind == MP_BYTES) {
			if (n > (uint64_t)(end - p))
				return -1;
			p += n;
		} else
			pending += kind == MP_MAP ? 2 * n : n;
	}
	return 0;
}

/* Unpack exactly one map from buf, or fail with a reason. */
static const msgpack_object *
unpack_map(msgpack_unpacked *u, const void *buf, size_t len, const char *what,
    char *err, size_t errlen)
{
	msgpack_unpack_return ret;
	size_t off = 0;

	if (proto_msgpack_fits(buf, len) != 0) {
		decode_error(err, errlen, "truncated message");
		return NULL;
	}
	ret = msgpack_unpack_next(u, buf, len, &off);
	if (ret != MSGPACK_UNPACK_SUCCESS) {
		decode_error(err, errlen, "%s",
		    ret == MSGPACK_UNPACK_CONTINUE ? "truncated message"
		                                   : "not msgpack");
		return NULL;
	}
	if (off != len) {
		decode_error(err, errlen, "%zu trailing bytes", len - off);
		return NULL;
	}
	if (u->data.type != MSGPACK_OBJECT_MAP) {
		decode_error(err, errlen, "%s is not a map", what);
		return NULL;
	}
	return &u->data;
}

/* A string that may be empty, copied into a fixed buffer. */
static int
get_text(const msgpack_object *o, char *dst, size_t max)
{
	if (o->type == MSGPACK_OBJECT_STR && o->via.str.size == 0) {
		*dst = '\0';
		return 0;
	}
	return get_str(o, dst, max);
}

static int
decode_texts(const msgpack_object *o, struct proto_sample *s, char *err,
    size_t errlen)
{
	char name[PROTO_NAME_MAX + 1], value[PROTO_TEXT_MAX + 1];
	const msgpack_object_kv *kv;
	uint32_t i;

	if (o->type != MSGPACK_OBJECT_MAP || o->via.map.size > PROTO_TEXTS_MAX)
		return decode_error(err, errlen,
		    "text: not a map of at most %d", PROTO_TEXTS_MAX);
	for (i = 0; i < o->via.map.size; i++) {
		kv = &o->via.map.ptr[i];
		if (get_str(&kv->key, name, PROTO_NAME_MAX) != 0 ||
		    get_text(&kv->val, value, PROTO_TEXT_MAX) != 0)
			return decode_error(err, errlen, "text %u: bad entry",
			    i);
		proto_sample_add_text(s, name, value);
	}
	return 0;
}

static int
decode_sample_field(const msgpack_object_kv *kv, void *msg, unsigned *seen,
    char *err, size_t errlen)
{
	struct proto_sample *s = msg;
	const msgpack_object *k = &kv->key;
	uint64_t u;

	if (key_is(k, "iv")) {
		if (mark_seen(k, F_BODY1, seen, err, errlen) != 0)
			return -1;
		if (get_uint(&kv->val, UINT32_MAX, &u) != 0)
			return decode_error(err, errlen, "field iv: bad value");
		s->interval_ms = (uint32_t)u;
	} else if (key_is(k, "vals")) {
		if (mark_seen(k, F_BODY2, seen, err, errlen) != 0)
			return -1;
		return decode_values(&kv->val, s, err, errlen);
	} else if (key_is(k, "text")) {
		if (mark_seen(k, F_TEXT, seen, err, errlen) != 0)
			return -1;
		return decode_texts(&kv->val, s, err, errlen);
	}
	return 0; /* unknown fields are skipped for compatibility */
}

/*
 * Decode one message: the head into h, every other key through body, which
 * returns -1 to reject the message. required lists the F_ bits that must
 * be seen besides the head.
 */
static int
decode_message(const void *buf, size_t len, const char *what,
    const struct head *h,
    int (*body)(const msgpack_object_kv *, void *, unsigned *, char *, size_t),
    void *msg, unsigned required, char *err, size_t errlen)
{
	const msgpack_object *root;
	msgpack_unpacked u;
	unsigned seen = 0;
	uint32_t i;
	int rv = -1, r;

	msgpack_unpacked_init(&u);
	if ((root = unpack_map(&u, buf, len, what, err, errlen)) == NULL)
		goto out;
	for (i = 0; i < root->via.map.size; i++) {
		r = decode_head(&root->via.map.ptr[i], h, &seen, err, errlen);
		if (r == 0)
			r = body(&root->via.map.ptr[i], msg, &seen, err,
			    errlen);
		if (r < 0)
			goto out;
	}
	if ((seen & (F_HEAD | required)) != (F_HEAD | required)) {
		decode_error(err, errlen, "missing fields (have 0x%x)", seen);
		goto out;
	}
	rv = 0;
out:
	msgpack_unpacked_destroy(&u);
	return rv;
}

int
proto_sample_decode(const void *buf, size_t len, struct proto_sample *s,
    char *err, size_t errlen)
{
	struct head h = { &s->version, s->source, s->host, &s->seq,
		&s->time_ns };

	memset(s, 0, sizeof *s);
	return decode_message(buf, len, "sample", &h, decode_sample_field, s,
	    F_BODY1 | F_BODY2, err, errlen);
}

void
proto_meta_init(struct proto_meta *m, const char *source, const char *host)
{
	memset(m, 0, sizeof *m);
	m->version = PROTO_VERSION;
	snprintf(m->source, sizeof m->source, "%s", source);
	snprintf(m->host, sizeof m->host, "%s", host);
}

void
proto_meta_add(struct proto_meta *m, const char *name, const char *unit,
    const char *kind, const char *desc)
{
	struct proto_series *se;

	if (m->nseries == m->cap) {
		m->cap = m->cap == 0 ? 16 : m->cap * 2;
		m->series = xreallocarray(m->series, m->cap, sizeof *m->series);
	}
	se = &m->series[m->nseries++];
	se->name = xstrdup(name);
	se->unit = xstrdup(unit);
	se->kind = xstrdup(kind);
	se->desc = xstrdup(desc);
}

void
proto_meta_free(struct proto_meta *m)
{
	size_t i;

	for (i = 0; i < m->nseries; i++) {
		free(m->series[i].name);
		free(m->series[i].unit);
		free(m->series[i].kind);
		free(m->series[i].desc);
	}
	free(m->series);
	m->series = NULL;
	m->nseries = m->cap = 0;
}

int
proto_meta_encode(const struct proto_meta *m, char **buf, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack_head(&pk, 1, m->version, m->source, m->host, m->seq, m->time_ns);
	pack_str(&pk, "series");
	msgpack_pack_array(&pk, m->nseries);
	for (i = 0; i < m->nseries; i++) {
		msgpack_pack_map(&pk, 4);
		pack_str(&pk, "name");
		pack_str(&pk, m->series[i].name);
		pack_str(&pk, "unit");
		pack_str(&pk, m->series[i].unit);
		pack_str(&pk, "kind");
		pack_str(&pk, m->series[i].kind);
		pack_str(&pk, "desc");
		pack_str(&pk, m->series[i].desc);
	}
	return release(&sb, buf, len);
}

static int
decode_one_series(const msgpack_object *o, struct proto_meta *m, char *err,
    size_t errlen)
{
	char name[PROTO_NAME_MAX + 1], unit[PROTO_TEXT_MAX + 1];
	char kind[PROTO_TEXT_MAX + 1], desc[PROTO_TEXT_MAX + 1];
	const msgpack_object_kv *kv;
	unsigned seen = 0;
	uint32_t i;
	int rv;

	if (o->type != MSGPACK_OBJECT_MAP)
		return decode_error(err, errlen, "series: not a map");
	for (i = 0; i < o->via.map.size; i++) {
		kv = &o->via.map.ptr[i];
		rv = 0;
		if (key_is(&kv->key, "name"))
			rv = get_str(&kv->val, name, PROTO_NAME_MAX), seen |= 1;
		else if (key_is(&kv->key, "unit"))
			rv = get_text(&kv->val, unit, PROTO_TEXT_MAX),
			seen |= 2;
		else if (key_is(&kv->key, "kind"))
			rv = get_str(&kv->val, kind, PROTO_TEXT_MAX), seen |= 4;
		else if (key_is(&kv->key, "desc"))
			rv = get_text(&kv->val, desc, PROTO_TEXT_MAX),
			seen |= 8;
		if (rv != 0)
			return decode_error(err, errlen, "series: bad %.*s",
			    (int)kv->key.via.str.size, kv->key.via.str.ptr);
	}
	if (seen != 15)
		return decode_error(err, errlen, "series: missing fields");
	proto_meta_add(m, name, unit, kind, desc);
	return 0;
}

static int
decode_meta_field(const msgpack_object_kv *kv, void *msg, unsigned *seen,
    char *err, size_t errlen)
{
	const msgpack_object *o = &kv->val;
	uint32_t j;

	if (!key_is(&kv->key, "series"))
		return 0;
	if (mark_seen(&kv->key, F_BODY1, seen, err, errlen) != 0)
		return -1;
	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size > PROTO_VALUES_MAX)
		return decode_error(err, errlen,
		    "series: not an array of at most %d", PROTO_VALUES_MAX);
	for (j = 0; j < o->via.array.size; j++)
		if (decode_one_series(&o->via.array.ptr[j], msg, err, errlen) !=
		    0)
			return -1;
	return 0;
}

int
proto_meta_decode(const void *buf, size_t len, struct proto_meta *m, char *err,
    size_t errlen)
{
	struct head h = { &m->version, m->source, m->host, &m->seq,
		&m->time_ns };

	memset(m, 0, sizeof *m);
	return decode_message(buf, len, "metadata", &h, decode_meta_field, m,
	    F_BODY1, err, errlen);
}

int
proto_health_encode(const struct proto_health *h, char **buf, size_t *len)
{
	const struct proto_role *r;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack_head(&pk, 1, h->version, h->source, h->host, h->seq, h->time_ns);
	pack_str(&pk, "roles");
	msgpack_pack_array(&pk, h->nroles);
	for (i = 0; i < h->nroles; i++) {
		r = &h->roles[i];
		msgpack_pack_map(&pk, 10);
		pack_str(&pk, "name");
		pack_str(&pk, r->name);
		pack_str(&pk, "state");
		pack_str(&pk, r->state);
		pack_str(&pk, "pid");
		msgpack_pack_int64(&pk, r->pid);
		pack_str(&pk, "uptime");
		msgpack_pack_int64(&pk, r->uptime_ms);
		pack_str(&pk, "restarts");
		msgpack_pack_uint64(&pk, r->restarts);
		pack_str(&pk, "exit");
		pack_str(&pk, r->exit);
		pack_str(&pk, "retry");
		msgpack_pack_int64(&pk, r->retry_ms);
		pack_str(&pk, "cpu");
		msgpack_pack_double(&pk, r->cpu);
		pack_str(&pk, "rss");
		msgpack_pack_uint64(&pk, r->rss);
		pack_str(&pk, "fds");
		msgpack_pack_uint64(&pk, r->fds);
	}
	return release(&sb, buf, len);
}

static int
decode_role_field(const msgpack_object_kv *kv, struct proto_role *r)
{
	const msgpack_object *k = &kv->key, *o = &kv->val;

	if (key_is(k, "name"))
		return get_str(o, r->name, PROTO_SOURCE_MAX) == 0 ? 1 : -1;
	if (key_is(k, "state"))
		return get_str(o, r->state, PROTO_TEXT_MAX) == 0 ? 2 : -1;
	if (key_is(k, "pid"))
		return get_int(o, &r->pid) == 0 ? 4 : -1;
	if (key_is(k, "uptime"))
		return get_int(o, &r->uptime_ms) == 0 ? 8 : -1;
	if (key_is(k, "restarts"))
		return get_uint(o, UINT64_MAX, &r->restarts) == 0 ? 16 : -1;
	if (key_is(k, "exit"))
		return get_text(o, r->exit, PROTO_TEXT_MAX) == 0 ? 32 : -1;
	if (key_is(k, "retry"))
		return get_int(o, &r->retry_ms) == 0 ? 64 : -1;
	if (key_is(k, "cpu"))
		return get_number(o, &r->cpu) == 0 ? 128 : -1;
	if (key_is(k, "rss"))
		return get_uint(o, UINT64_MAX, &r->rss) == 0 ? 256 : -1;
	if (key_is(k, "fds"))
		return get_uint(o, UINT64_MAX, &r->fds) == 0 ? 512 : -1;
	return 0;
}

static int
decode_roles(const msgpack_object *o, struct proto_health *h, char *err,
    size_t errlen)
{
	const msgpack_object *m;
	unsigned seen;
	uint32_t i, j;
	int bit;

	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size > PROTO_ROLES_MAX)
		return decode_error(err, errlen,
		    "roles: not an array of at most %d", PROTO_ROLES_MAX);
	for (i = 0; i < o->via.array.size; i++) {
		m = &o->via.array.ptr[i];
		if (m->type != MSGPACK_OBJECT_MAP)
			return decode_error(err, errlen, "role %u: not a map",
			    i);
		seen = 0;
		for (j = 0; j < m->via.map.size; j++) {
			bit =
			    decode_role_field(&m->via.map.ptr[j], &h->roles[i]);
			if (bit < 0)
				return decode_error(err, errlen,
				    "role %u: bad field", i);
			seen |= (unsigned)bit;
		}
		if (seen != 1023)
			return decode_error(err, errlen,
			    "role %u: missing fields", i);
	}
	h->nroles = o->via.array.size;
	return 0;
}

static int
decode_health_field(const msgpack_object_kv *kv, void *msg, unsigned *seen,
    char *err, size_t errlen)
{
	if (!key_is(&kv->key, "roles"))
		return 0;
	if (mark_seen(&kv->key, F_BODY1, seen, err, errlen) != 0)
		return -1;
	return decode_roles(&kv->val, msg, err, errlen);
}

int
proto_health_decode(const void *buf, size_t len, struct proto_health *h,
    char *err, size_t errlen)
{
	struct head hd = { &h->version, h->source, h->host, &h->seq,
		&h->time_ns };

	memset(h, 0, sizeof *h);
	return decode_message(buf, len, "health", &hd, decode_health_field, h,
	    F_BODY1, err, errlen);
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
