/*
 * The StatsD line parser and aggregator behind vigil-metrics. Input comes
 * from anyone who can send a UDP datagram, so the parser reads by length,
 * accepts a small character set for names and numbers, and never trusts a
 * NUL; the aggregator holds at most max_names names in an open-addressing
 * hash table sized once at start, and at most timer_samples values per
 * timer (or members per set) and STATSD_VALUES_LIMIT in all per interval,
 * so memory is bounded whatever arrives. Values beyond the caps still
 * count toward a timer's count, min, max and mean; set members beyond them
 * are not counted.
 *
 * DogStatsD extensions are accepted and ignored: |#tags, |c:container and
 * |T timestamp fields. Tags are not part of the name, so the same name
 * with different tags is aggregated into one series.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "collectors/statsd.h"

#define STATSD_NUMBER_MAX 64 /* bytes in a value or a rate */
#define STATSD_FIELDS_MAX 8  /* value|type|@rate|#tags|c:..|T.. and spare */
#define STATSD_RATE_MIN 1e-6 /* below, 1 / rate makes absurd counts */

struct statsd_entry {
	char *name;
	enum statsd_type type;
	double value; /* counter: sum; gauge: last value; timer: count */
	double total; /* counter: sum since the name was first seen */
	double sum, min, max; /* timer */
	uint64_t nraw;        /* timer: values received; set: 1 when full */
	double *vals;         /* timer values, or set member hashes */
	uint32_t nvals, vcap;
};

struct statsd {
	unsigned max_names;
	unsigned timer_samples;
	unsigned nentries;
	struct statsd_entry *entries; /* in order of arrival */
	size_t nslots;                /* a power of two, > 2 * max_names */
	int *slots;                   /* index into entries, or -1 */
	size_t stored;                /* values kept this interval, all names */
	struct statsd_counts counts;
};

static int
statsd_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* A decimal number of len bytes, sign and exponent allowed. */
static int
statsd_number(const char *s, size_t len, double *v)
{
	char buf[STATSD_NUMBER_MAX + 1];
	char *end;
	size_t i;

	if (len == 0 || len > STATSD_NUMBER_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || strchr("0123456789.eE+-", s[i]) == NULL)
			return -1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	*v = strtod(buf, &end);
	if (end != buf + len || !isfinite(*v))
		return -1;
	return 0;
}

/* Split [p, end) at each '|' into at most max fields; -1 if more. */
static int
statsd_fields(const char *p, const char *end, const char **f, size_t *flen,
    int max)
{
	const char *bar;
	int n = 0;

	for (;;) {
		if (n == max)
			return -1;
		bar = memchr(p, '|', (size_t)(end - p));
		f[n] = p;
		flen[n] = (size_t)((bar != NULL ? bar : end) - p);
		n++;
		if (bar == NULL)
			return n;
		p = bar + 1;
	}
}

static int
statsd_type(const char *s, size_t len, enum statsd_type *type)
{
	if (len == 1 && s[0] == 'c')
		*type = STATSD_COUNTER;
	else if (len == 1 && s[0] == 'g')
		*type = STATSD_GAUGE;
	else if (len == 2 && s[0] == 'm' && s[1] == 's')
		*type = STATSD_TIMER;
	else if (len == 1 && (s[0] == 'h' || s[0] == 'd'))
		*type = STATSD_HISTOGRAM; /* d: DogStatsD distribution */
	else if (len == 1 && s[0] == 's')
		*type = STATSD_SET;
	else
		return -1;
	return 0;
}

/* FNV-1a over len bytes. */
static uint64_t
statsd_hash64(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* The optional fields after the type: @rate, #tags, c:id, Tstamp. */
static int
statsd_options(const char **f, const size_t *flen, int n,
    struct statsd_line *out)
{
	int i, have_rate = 0;

	for (i = 2; i < n; i++) {
		if (flen[i] == 0)
			return -1;
		if (f[i][0] == '@' && !have_rate) {
			if (statsd_number(f[i] + 1, flen[i] - 1, &out->rate) !=
			        0 ||
			    !(out->rate >= STATSD_RATE_MIN && out->rate <= 1.0))
				return -1;
			have_rate = 1;
		} else if (f[i][0] != '#' && f[i][0] != 'T' &&
		    !(flen[i] >= 2 && f[i][0] == 'c' && f[i][1] == ':'))
			return -1;
	}
	return 0;
}

/* Printable ASCII but the separators: a set member. */
static int
statsd_member(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] <= ' ' || s[i] > '~')
			return -1;
	}
	return 0;
}

int
statsd_parse_line(const char *line, size_t len, struct statsd_line *out)
{
	const char *colon, *f[STATSD_FIELDS_MAX];
	size_t nlen, flen[STATSD_FIELDS_MAX], i;
	int n;

	if (len > STATSD_LINE_MAX || (colon = memchr(line, ':', len)) == NULL)
		return -1;
	nlen = (size_t)(colon - line);
	if (nlen == 0 || nlen > STATSD_NAME_MAX)
		return -1;
	for (i = 0; i < nlen; i++) {
		if (!statsd_name_char(line[i]))
			return -1;
	}
	n = statsd_fields(colon + 1, line + len, f, flen, STATSD_FIELDS_MAX);
	if (n < 2 || statsd_type(f[1], flen[1], &out->type) != 0)
		return -1;
	out->rate = 1.0;
	out->value = 0.0;
	out->member = 0;
	if (statsd_options(f, flen, n, out) != 0)
		return -1;
	if (out->type == STATSD_SET) {
		if (statsd_member(f[0], flen[0]) != 0)
			return -1;
		out->member = statsd_hash64(f[0], flen[0]);
	} else if (statsd_number(f[0], flen[0], &out->value) != 0)
		return -1;
	out->delta =
	    out->type == STATSD_GAUGE && (f[0][0] == '+' || f[0][0] == '-');
	memcpy(out->name, line, nlen);
	out->name[nlen] = '\0';
	return 0;
}

struct statsd *
statsd_new(unsigned max_names, unsigned timer_samples)
{
	struct statsd *st;
	size_t i;

	st = xcalloc(1, sizeof *st);
	if (max_names > STATSD_NAMES_LIMIT)
		max_names = STATSD_NAMES_LIMIT;
	st->max_names = max_names;
	st->timer_samples = timer_samples;
	st->entries =
	    xcalloc(max_names > 0 ? max_names : 1, sizeof *st->entries);
	st->nslots = 16;
	while (st->nslots <= 2 * (size_t)max_names)
		st->nslots *= 2;
	st->slots = xcalloc(st->nslots, sizeof *st->slots);
	for (i = 0; i < st->nslots; i++)
		st->slots[i] = -1;
	return st;
}

void
statsd_free(struct statsd *st)
{
	unsigned i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nentries; i++) {
		free(st->entries[i].name);
		free(st->entries[i].vals);
	}
	free(st->entries);
	free(st->slots);
	free(st);
}

unsigned
statsd_max_names(const struct statsd *st)
{
	return st->max_names;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t
statsd_slot(const struct statsd *st, const char *name)
{
	size_t i = statsd_hash64(name, strlen(name)) & (st->nslots - 1);

	while (st->slots[i] != -1 &&
	    strcmp(st->entries[st->slots[i]].name, name) != 0)
		i = (i + 1) & (st->nslots - 1);
	return i;
}

int
statsd_type_of(const struct statsd *st, const char *name,
    enum statsd_type *type)
{
	size_t slot = statsd_slot(st, name);

	if (st->slots[slot] == -1)
		return -1;
	*type = st->entries[st->slots[slot]].type;
	return 0;
}

static void
statsd_reset(struct statsd_entry *e)
{
	e->nvals = 0;
	e->nraw = 0;
	e->sum = 0.0;
	e->min = INFINITY;
	e->max = -INFINITY;
	if (e->type != STATSD_GAUGE)
		e->value = 0.0;
}

static struct statsd_entry *
statsd_lookup(struct statsd *st, const struct statsd_line *l)
{
	struct statsd_entry *e;
	size_t slot;

	slot = statsd_slot(st, l->name);
	if (st->slots[slot] != -1)
		return &st->entries[st->slots[slot]];
	if (st->nentries >= st->max_names)
		return NULL;
	e = &st->entries[st->nentries];
	memset(e, 0, sizeof *e);
	e->name = xstrdup(l->name);
	e->type = l->type;
	statsd_reset(e);
	st->slots[slot] = (int)st->nentries++;
	return e;
}

/* Keep v for the percentiles or the unique count, within the caps. */
static int
statsd_keep(struct statsd *st, struct statsd_entry *e, double v)
{
	if (e->nvals >= st->timer_samples || st->stored >= STATSD_VALUES_LIMIT)
		return -1;
	if (e->nvals == e->vcap) {
		e->vcap = e->vcap == 0 ? 16 : e->vcap * 2;
		if (e->vcap > st->timer_samples)
			e->vcap = st->timer_samples;
		e->vals = xreallocarray(e->vals, e->vcap, sizeof *e->vals);
	}
	e->vals[e->nvals++] = v;
	st->stored++;
	return 0;
}

static int
statsd_cmp_u64(const void *a, const void *b)
{
	uint64_t x, y;

	memcpy(&x, a, sizeof x);
	memcpy(&y, b, sizeof y);
	return x < y ? -1 : x > y;
}

/* Sort a set's member hashes and drop the repeats; the count left. */
static uint32_t
statsd_set_compact(struct statsd *st, struct statsd_entry *e)
{
	uint32_t i, n = 0;

	qsort(e->vals, e->nvals, sizeof *e->vals, statsd_cmp_u64);
	for (i = 0; i < e->nvals; i++) {
		if (n == 0 ||
		    memcmp(&e->vals[n - 1], &e->vals[i], sizeof *e->vals) != 0)
			e->vals[n++] = e->vals[i];
	}
	st->stored -= e->nvals - n;
	e->nvals = n;
	return n;
}

/*
 * Sets keep 64-bit hashes of their members in the value array (the bits,
 * not numbers); repeats are dropped when the array fills and at the flush.
 */
static void
statsd_set_add(struct statsd *st, struct statsd_entry *e, uint64_t member)
{
	double d;

	if (e->nraw != 0)
		return; /* full of distinct members until the flush */
	memcpy(&d, &member, sizeof d);
	if ((e->nvals >= st->timer_samples ||
	        st->stored >= STATSD_VALUES_LIMIT) &&
	    statsd_set_compact(st, e) >= st->timer_samples)
		e->nraw = 1;
	if (statsd_keep(st, e, d) != 0)
		e->nraw = 1;
}

static int
statsd_timer_add(struct statsd *st, struct statsd_entry *e,
    const struct statsd_line *l)
{
	double count = e->value + 1.0 / l->rate;

	if (!isfinite(count) || !isfinite(e->sum + l->value))
		return -1;
	e->value = count;
	e->sum += l->value;
	e->nraw++;
	if (l->value < e->min)
		e->min = l->value;
	if (l->value > e->max)
		e->max = l->value;
	(void)statsd_keep(st, e, l->value);
	return 0;
}

int
statsd_add(struct statsd *st, const struct statsd_line *l)
{
	struct statsd_entry *e;
	double v;

	if ((e = statsd_lookup(st, l)) == NULL) {
		st->counts.dropped++;
		return -1;
	}
	if (e->type != l->type) {
		st->counts.bad_lines++;
		return -1;
	}
	switch (e->type) {
	case STATSD_COUNTER:
		v = e->value + l->value / l->rate;
		break;
	case STATSD_GAUGE:
		v = l->delta ? e->value + l->value : l->value;
		break;
	case STATSD_SET:
		statsd_set_add(st, e, l->member);
		return 0;
	default:
		if (statsd_timer_add(st, e, l) != 0) {
			st->counts.bad_lines++;
			return -1;
		}
		return 0;
	}
	if (!isfinite(v)) {
		st->counts.bad_lines++;
		return -1;
	}
	e->value = v;
	return 0;
}

void
statsd_count_bad(struct statsd *st, uint64_t n)
{
	st->counts.lines += n;
	st->counts.bad_lines += n;
}

const struct statsd_counts *
statsd_counts(const struct statsd *st)
{
	return &st->counts;
}

void
statsd_parse_datagram(struct statsd *st, const char *buf, size_t len)
{
	struct statsd_line l;
	const char *p = buf, *end = buf + len, *nl;
	size_t llen;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		llen = (size_t)(nl - p);
		if (llen > 0 && p[llen - 1] == '\r')
			llen--;
		if (llen > 0) {
			st->counts.lines++;
			if (statsd_parse_line(p, llen, &l) != 0)
				st->counts.bad_lines++;
			else
				(void)statsd_add(st, &l);
		}
		p = nl + 1;
	}
}

static int
statsd_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
statsd_add_series(struct proto_sample *out, const char *base,
    const char *suffix, double v)
{
	char name[PROTO_NAME_MAX + 1];

	snprintf(name, sizeof name, "statsd.%s%s", base, suffix);
	proto_sample_add(out, name, v);
}

/* Nearest rank: the smallest value with at least p% at or below it. */
static double
statsd_percentile(const double *v, uint32_t n, double p)
{
	double rank = ceil(p / 100.0 * n);

	if (rank < 1)
		rank = 1;
	return v[(uint32_t)rank - 1];
}

static void
statsd_flush_timer(struct statsd_entry *e, struct proto_sample *out)
{
	static const double pct[] = { 50, 90, 95, 99 };
	static const char *const sfx[] = { ".p50", ".p90", ".p95", ".p99" };
	size_t i;

	statsd_add_series(out, e->name, ".count", e->value);
	if (e->nraw == 0)
		return;
	statsd_add_series(out, e->name, ".min", e->min);
	statsd_add_series(out, e->name, ".max", e->max);
	statsd_add_series(out, e->name, ".mean", e->sum / (double)e->nraw);
	if (e->nvals == 0)
		return; /* none kept: STATSD_VALUES_LIMIT was reached */
	qsort(e->vals, e->nvals, sizeof *e->vals, statsd_cmp);
	for (i = 0; i < sizeof pct / sizeof pct[0]; i++)
		statsd_add_series(out, e->name, sfx[i],
		    statsd_percentile(e->vals, e->nvals, pct[i]));
}

void
statsd_flush(struct statsd *st, double seconds, struct proto_sample *out)
{
	struct statsd_entry *e;
	unsigned i;

	for (i = 0; i < st->nentries; i++) {
		e = &st->entries[i];
		switch (e->type) {
		case STATSD_GAUGE:
			statsd_add_series(out, e->name, "", e->value);
			break;
		case STATSD_COUNTER:
			e->total += e->value;
			statsd_add_series(out, e->name, ".count", e->value);
			statsd_add_series(out, e->name, ".rate",
			    seconds > 0 ? e->value / seconds : 0);
			statsd_add_series(out, e->name, ".total", e->total);
			break;
		case STATSD_SET:
			statsd_add_series(out, e->name, ".unique",
			    (double)statsd_set_compact(st, e));
			break;
		default:
			statsd_flush_timer(e, out);
			break;
		}
		statsd_reset(e);
	}
	st->stored = 0;
	proto_sample_add(out, "statsd.lines", (double)st->counts.lines);
	proto_sample_add(out, "statsd.bad_lines", (double)st->counts.bad_lines);
	proto_sample_add(out, "statsd.dropped", (double)st->counts.dropped);
}
