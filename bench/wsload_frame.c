/*
 * What the load generator reads from each frame, and where it files the
 * result. A frame is one msgpack map (or JSON object); only type, t,
 * cursor (or seq) and the samples array are looked at, so a small reader
 * that can skip any msgpack value is enough and costs far less than
 * unpacking the whole frame. The latency histogram has log-scale buckets
 * of 1%, so quantiles are exact to 1% from 10 us to 10 s.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/wsload.h"

#define MP_DEPTH_MAX 32

struct mp {
	const uint8_t *p;
	size_t len;
	size_t off;
};

double
wsload_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void
wsload_hist_add(struct wsload_hist *h, double ms)
{
	long i = 0;

	if (ms > WSLOAD_HIST_MIN)
		i = 1 +
		    (long)(log(ms / WSLOAD_HIST_MIN) / log(WSLOAD_HIST_GROWTH));
	if (i >= WSLOAD_HIST_BUCKETS)
		i = WSLOAD_HIST_BUCKETS - 1;
	h->count[i]++;
	h->n++;
	h->sum += ms;
	if (ms > h->max)
		h->max = ms;
}

void
wsload_hist_merge(struct wsload_hist *into, const struct wsload_hist *h)
{
	size_t i;

	for (i = 0; i < WSLOAD_HIST_BUCKETS; i++)
		into->count[i] += h->count[i];
	into->n += h->n;
	into->sum += h->sum;
	if (h->max > into->max)
		into->max = h->max;
}

/* The upper bound of the bucket that holds the q-th value. */
double
wsload_hist_quantile(const struct wsload_hist *h, double q)
{
	uint64_t want, seen = 0;
	size_t i;
	double v;

	if (h->n == 0)
		return 0;
	want = (uint64_t)ceil(q * (double)h->n);
	if (want == 0)
		want = 1;
	for (i = 0; i < WSLOAD_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= want)
			break;
	}
	v = WSLOAD_HIST_MIN * pow(WSLOAD_HIST_GROWTH, (double)i);
	return v < h->max ? v : h->max;
}

static int
mp_need(struct mp *m, size_t n)
{
	return m->len - m->off >= n ? 0 : -1;
}

static uint64_t
mp_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = (v << 8) | *p++;
	return v;
}

/* Read an integer; -1 if the next value is not one. */
static int
mp_int(struct mp *m, int64_t *v)
{
	uint8_t b;
	size_t n;

	if (mp_need(m, 1) == -1)
		return -1;
	b = m->p[m->off];
	if (b <= 0x7f || b >= 0xe0) {
		*v = (int8_t)b;
		if (b <= 0x7f)
			*v = b;
		m->off++;
		return 0;
	}
	if (b < 0xcc || b > 0xd3)
		return -1;
	n = (size_t)1 << ((b - 0xcc) & 3);
	if (mp_need(m, 1 + n) == -1)
		return -1;
	*v = (int64_t)mp_be(m->p + m->off + 1, n);
	if (b >= 0xd0 && n < 8 && (*v & ((int64_t)1 << (8 * n - 1))))
		*v -= (int64_t)1 << (8 * n);
	m->off += 1 + n;
	return 0;
}

/* Read an integer or a float as a double; -1 if the next value is neither. */
static int
mp_num(struct mp *m, double *v)
{
	int64_t i;
	uint64_t u;
	uint32_t u32;
	float f;
	uint8_t b;

	if (mp_int(m, &i) == 0) {
		*v = (double)i;
		return 0;
	}
	if (mp_need(m, 1) == -1)
		return -1;
	b = m->p[m->off];
	if (b == 0xcb && mp_need(m, 9) == 0) {
		u = mp_be(m->p + m->off + 1, 8);
		memcpy(v, &u, sizeof *v);
		m->off += 9;
		return 0;
	}
	if (b == 0xca && mp_need(m, 5) == 0) {
		u32 = (uint32_t)mp_be(m->p + m->off + 1, 4);
		memcpy(&f, &u32, sizeof f);
		*v = f;
		m->off += 5;
		return 0;
	}
	return -1;
}

/* Read a string's position; -1 if the next value is not a string. */
static int
mp_str(struct mp *m, const uint8_t **s, size_t *slen)
{
	uint8_t b;
	size_t hl;

	if (mp_need(m, 1) == -1)
		return -1;
	b = m->p[m->off];
	if ((b & 0xe0) == 0xa0) {
		hl = 1;
		*slen = b & 0x1f;
	} else if (b >= 0xd9 && b <= 0xdb) {
		hl = 1 + ((size_t)1 << (b - 0xd9));
		if (mp_need(m, hl) == -1)
			return -1;
		*slen = mp_be(m->p + m->off + 1, hl - 1);
	} else
		return -1;
	if (mp_need(m, hl + *slen) == -1)
		return -1;
	*s = m->p + m->off + hl;
	m->off += hl + *slen;
	return 0;
}

/* Elements of a map or array header; -1 if it is neither. */
static int
mp_container(struct mp *m, int *is_map, size_t *n)
{
	uint8_t b;
	size_t w;

	if (mp_need(m, 1) == -1)
		return -1;
	b = m->p[m->off];
	if ((b & 0xf0) == 0x80 || (b & 0xf0) == 0x90) {
		*is_map = (b & 0xf0) == 0x80;
		*n = b & 0x0f;
		m->off++;
		return 0;
	}
	if (b < 0xdc || b > 0xdf)
		return -1;
	*is_map = b >= 0xde;
	w = (b & 1) ? 4 : 2;
	if (mp_need(m, 1 + w) == -1)
		return -1;
	*n = mp_be(m->p + m->off + 1, w);
	m->off += 1 + w;
	return 0;
}

/* Skip any one value. */
static int
mp_skip(struct mp *m, int depth)
{
	static const uint8_t fixed[0x20] = { /* 0xc0 .. 0xdf, 0xff: special */
		[0x00] = 0,
		[0x02] = 0,
		[0x03] = 0,
		[0x0a] = 4,
		[0x0b] = 8,
		[0x0c] = 1,
		[0x0d] = 2,
		[0x0e] = 4,
		[0x0f] = 8,
		[0x10] = 1,
		[0x11] = 2,
		[0x12] = 4,
		[0x13] = 8,
		[0x14] = 2,
		[0x15] = 3,
		[0x16] = 5,
		[0x17] = 9,
		[0x18] = 17,
		[0x01] = 0xff
	};
	const uint8_t *s;
	size_t n, i, w;
	int is_map;
	uint8_t b;

	if (depth > MP_DEPTH_MAX || mp_need(m, 1) == -1)
		return -1;
	b = m->p[m->off];
	if (b <= 0x7f || b >= 0xe0) {
		m->off++;
		return 0;
	}
	if (mp_str(m, &s, &n) == 0)
		return 0;
	if (mp_container(m, &is_map, &n) == 0) {
		for (i = 0; i < (is_map ? 2 * n : n); i++)
			if (mp_skip(m, depth + 1) == -1)
				return -1;
		return 0;
	}
	if ((b >= 0xc4 && b <= 0xc9)) { /* bin 8/16/32, ext 8/16/32 */
		w = (size_t)1 << ((b - 0xc4) % 3);
		if (mp_need(m, 1 + w) == -1)
			return -1;
		n = mp_be(m->p + m->off + 1, w) + (b >= 0xc7);
		return mp_need(m, 1 + w + n) == -1 ? -1
		                                   : (m->off += 1 + w + n, 0);
	}
	if (b < 0xc0 || fixed[b - 0xc0] == 0xff)
		return -1;
	n = fixed[b - 0xc0];
	if (mp_need(m, 1 + n) == -1)
		return -1;
	m->off += 1 + n;
	return 0;
}

static int
mp_key_is(const uint8_t *s, size_t n, const char *key)
{
	return n == strlen(key) && memcmp(s, key, n) == 0;
}

/* The length of samples and the t of its first entry. */
static int
mp_samples(struct mp *m, struct wsload_frame *f)
{
	const uint8_t *s;
	size_t n, i, k, sl;
	int is_map;

	if (mp_container(m, &is_map, &n) == -1 || is_map)
		return -1;
	f->nsamples = n;
	if (n == 0)
		return 0;
	if (mp_container(m, &is_map, &k) == -1 || !is_map)
		return -1;
	while (k-- > 0) {
		if (mp_str(m, &s, &sl) == -1)
			return -1;
		if (mp_key_is(s, sl, "t") && mp_num(m, &f->st_ms) == 0)
			f->has_st = 1;
		else if (mp_skip(m, 2) == -1)
			return -1;
	}
	for (i = 1; i < n; i++)
		if (mp_skip(m, 1) == -1)
			return -1;
	return 0;
}

static void
frame_type(struct wsload_frame *f, const char *s, size_t n)
{
	if (mp_key_is((const uint8_t *)s, n, "batch"))
		f->kind = WSLOAD_BATCH;
	else if (mp_key_is((const uint8_t *)s, n, "sample"))
		f->kind = WSLOAD_SAMPLE;
	else if (mp_key_is((const uint8_t *)s, n, "hello"))
		f->kind = WSLOAD_HELLO;
	else if (mp_key_is((const uint8_t *)s, n, "snapshot"))
		f->kind = WSLOAD_SNAPSHOT;
	else
		f->kind = WSLOAD_OTHER;
}

int
wsload_frame_msgpack(const uint8_t *p, size_t len, struct wsload_frame *f)
{
	struct mp m = { p, len, 0 };
	const uint8_t *s, *v;
	size_t n, sl, vl;
	int64_t i;
	int is_map;

	memset(f, 0, sizeof *f);
	if (mp_container(&m, &is_map, &n) == -1 || !is_map)
		return -1;
	while (n-- > 0) {
		if (mp_str(&m, &s, &sl) == -1)
			return -1;
		if (mp_key_is(s, sl, "type") && mp_str(&m, &v, &vl) == 0)
			frame_type(f, (const char *)v, vl);
		else if (mp_key_is(s, sl, "t") && mp_num(&m, &f->t_ms) == 0)
			f->has_t = 1;
		else if ((mp_key_is(s, sl, "cursor") ||
		             mp_key_is(s, sl, "seq")) &&
		    mp_int(&m, &i) == 0) {
			f->has_cursor = 1;
			f->cursor = (uint64_t)i;
		} else if (mp_key_is(s, sl, "samples")) {
			if (mp_samples(&m, f) == -1)
				return -1;
		} else if (mp_skip(&m, 1) == -1)
			return -1;
	}
	if (f->kind == WSLOAD_SAMPLE)
		f->nsamples = 1;
	return 0;
}

int
wsload_frame_find(const uint8_t *p, size_t len, const char *key, size_t *off,
    size_t *vlen)
{
	struct mp m = { p, len, 0 };
	const uint8_t *s;
	size_t n, sl;
	int is_map;

	if (mp_container(&m, &is_map, &n) == -1 || !is_map)
		return -1;
	while (n-- > 0) {
		if (mp_str(&m, &s, &sl) == -1)
			return -1;
		*off = m.off;
		if (mp_skip(&m, 1) == -1)
			return -1;
		if (mp_key_is(s, sl, key)) {
			*vlen = m.off - *off;
			return 0;
		}
	}
	return -1;
}

/* The integer after the first "key": in p, if any. */
static int
json_int(const char *p, size_t len, const char *key, int64_t *v)
{
	const char *q;
	char pat[32];
	size_t pl;

	pl = (size_t)snprintf(pat, sizeof pat, "\"%s\":", key);
	for (q = p; q + pl < p + len; q++) {
		q = memchr(q, '"', (size_t)(p + len - q));
		if (q == NULL || q + pl >= p + len)
			return -1;
		if (memcmp(q, pat, pl) == 0) {
			*v = strtoll(q + pl, NULL, 10);
			return 0;
		}
	}
	return -1;
}

static int
json_num(const char *p, size_t len, const char *key, double *v)
{
	int64_t i;
	const char *q;
	char pat[32];
	size_t pl;

	if (json_int(p, len, key, &i) != 0)
		return -1;
	/* Found: read it again as a double, fraction included. */
	pl = (size_t)snprintf(pat, sizeof pat, "\"%s\":", key);
	q = memmem(p, len, pat, pl);
	*v = q != NULL ? strtod(q + pl, NULL) : (double)i;
	return 0;
}

int
wsload_frame_json(const char *p, size_t len, struct wsload_frame *f)
{
	const char *q, *e;
	int64_t v;

	memset(f, 0, sizeof *f);
	if (len < 2 || p[0] != '{')
		return -1;
	if ((q = memmem(p, len, "\"type\":\"", 8)) != NULL) {
		q += 8;
		e = memchr(q, '"', (size_t)(p + len - q));
		if (e != NULL)
			frame_type(f, q, (size_t)(e - q));
	}
	if (json_num(p, len, "t", &f->t_ms) == 0)
		f->has_t = 1;
	if (json_int(p, len, "cursor", &v) == 0 ||
	    json_int(p, len, "seq", &v) == 0) {
		f->has_cursor = 1;
		f->cursor = (uint64_t)v;
	}
	/* Each sample has one "seq"; good enough for a count. */
	if (f->kind == WSLOAD_BATCH)
		for (q = p; (q = memmem(q, (size_t)(p + len - q),
		                 "\"seq\":", 6)) != NULL;
		     q += 6)
			f->nsamples++;
	else if (f->kind == WSLOAD_SAMPLE)
		f->nsamples = 1;
	return 0;
}
