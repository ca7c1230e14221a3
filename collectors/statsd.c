/*
 * The StatsD line parser and aggregator behind vigil-metrics. Input comes
 * from anyone who can send a UDP datagram, so the parser reads by length,
 * accepts a small character set for names and numbers, and never trusts a
 * NUL; the aggregator holds at most max_names names in an open-addressing
 * hash table sized once at start, so memory is bounded whatever arrives.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "collectors/statsd.h"

#define STATSD_NUMBER_MAX 64 /* bytes in a value or a rate */

struct statsd_entry {
	char *name;
	enum statsd_type type;
	double value; /* counter: sum in this interval; gauge: last value */
};

struct statsd {
	unsigned max_names;
	unsigned nentries;
	struct statsd_entry *entries; /* in order of arrival */
	size_t nslots;                /* a power of two, > 2 * max_names */
	int *slots;                   /* index into entries, or -1 */
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
		if (strchr("0123456789.eE+-", s[i]) == NULL || s[i] == '\0')
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
	else
		return -1;
	return 0;
}

int
statsd_parse_line(const char *line, size_t len, struct statsd_line *out)
{
	const char *colon, *f[3];
	size_t nlen, flen[3], i;
	double rate = 1.0;
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
	/* value|type[|@rate] */
	n = statsd_fields(colon + 1, line + len, f, flen, 3);
	if (n < 2 || statsd_number(f[0], flen[0], &out->value) != 0 ||
	    statsd_type(f[1], flen[1], &out->type) != 0)
		return -1;
	out->delta = f[0][0] == '+' || f[0][0] == '-';
	if (n == 3 &&
	    (flen[2] < 2 || f[2][0] != '@' ||
	        statsd_number(f[2] + 1, flen[2] - 1, &rate) != 0 ||
	        !(rate > 0.0 && rate <= 1.0)))
		return -1;
	if (out->type == STATSD_COUNTER) {
		out->value /= rate;
		if (!isfinite(out->value))
			return -1;
	}
	memcpy(out->name, line, nlen);
	out->name[nlen] = '\0';
	return 0;
}

struct statsd *
statsd_new(unsigned max_names)
{
	struct statsd *st;
	size_t i;

	st = xcalloc(1, sizeof *st);
	if (max_names > STATSD_NAMES_LIMIT)
		max_names = STATSD_NAMES_LIMIT;
	st->max_names = max_names;
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
	for (i = 0; i < st->nentries; i++)
		free(st->entries[i].name);
	free(st->entries);
	free(st->slots);
	free(st);
}

unsigned
statsd_max_names(const struct statsd *st)
{
	return st->max_names;
}

/* FNV-1a. */
static size_t
statsd_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t
statsd_slot(const struct statsd *st, const char *name)
{
	size_t i = statsd_hash(name) & (st->nslots - 1);

	while (st->slots[i] != -1 &&
	    strcmp(st->entries[st->slots[i]].name, name) != 0)
		i = (i + 1) & (st->nslots - 1);
	return i;
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
	e->name = xstrdup(l->name);
	e->type = l->type;
	e->value = 0.0;
	st->slots[slot] = (int)st->nentries++;
	return e;
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
	if (e->type == STATSD_COUNTER || l->delta)
		v = e->value + l->value;
	else
		v = l->value;
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

void
statsd_flush(struct statsd *st, double seconds, struct proto_sample *out)
{
	char name[PROTO_NAME_MAX + 1];
	struct statsd_entry *e;
	unsigned i;

	for (i = 0; i < st->nentries; i++) {
		e = &st->entries[i];
		if (e->type == STATSD_GAUGE) {
			snprintf(name, sizeof name, "statsd.%s", e->name);
			proto_sample_add(out, name, e->value);
			continue;
		}
		snprintf(name, sizeof name, "statsd.%s.count", e->name);
		proto_sample_add(out, name, e->value);
		snprintf(name, sizeof name, "statsd.%s.rate", e->name);
		proto_sample_add(out, name,
		    seconds > 0 ? e->value / seconds : 0);
		e->value = 0.0;
	}
	proto_sample_add(out, "statsd.lines", (double)st->counts.lines);
	proto_sample_add(out, "statsd.bad_lines", (double)st->counts.bad_lines);
	proto_sample_add(out, "statsd.dropped", (double)st->counts.dropped);
}
