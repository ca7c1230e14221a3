/*
 * StatsD: a parser for the line format (name:value|type[|@rate][|#tags],
 * several lines per datagram separated by newlines) and an aggregator of
 * counters, gauges, timers, histograms and sets between two flushes, with
 * a cap on the number of distinct names and on the values kept for
 * percentiles. Nothing here does I/O, so tests feed it strings.
 */
#ifndef VIGIL_STATSD_H
#define VIGIL_STATSD_H

#include <stddef.h>
#include <stdint.h>

#include "common/proto.h"

#define STATSD_NAME_MAX 180  /* bytes; "statsd." NAME ".count" fits a series */
#define STATSD_LINE_MAX 1024 /* bytes; longer lines are bad */
#define STATSD_NAMES_LIMIT                                                     \
	100000 /* most distinct names, whatever max_names                      \
	        */
/* Most timer values and set members kept per interval, all names together. */
#define STATSD_VALUES_LIMIT (1 << 20)

enum statsd_type {
	STATSD_COUNTER,
	STATSD_GAUGE,
	STATSD_TIMER,     /* |ms */
	STATSD_HISTOGRAM, /* |h: aggregated like a timer, no unit */
	STATSD_SET,
};

struct statsd_line {
	char name[STATSD_NAME_MAX + 1];
	enum statsd_type type;
	double value;    /* counter, gauge, timer; not divided by the rate */
	double rate;     /* sample rate, (0, 1]; 1 when not given */
	int delta;       /* gauge given with a leading + or - */
	uint64_t member; /* set: hash of the value string */
};

/* Totals since start. */
struct statsd_counts {
	uint64_t lines;     /* non-empty lines received */
	uint64_t bad_lines; /* of those, not understood */
	uint64_t dropped;   /* good lines for a new name over the cap */
};

struct statsd;

/*
 * Parse one line of len bytes (no newline; need not be NUL-terminated).
 * 0, or -1 when it is not a valid line.
 */
int statsd_parse_line(const char *line, size_t len, struct statsd_line *out);

/*
 * An aggregator keeping at most max_names names (capped at
 * STATSD_NAMES_LIMIT) and at most timer_samples values per timer or
 * members per set each interval.
 */
struct statsd *statsd_new(unsigned max_names, unsigned timer_samples);
void statsd_free(struct statsd *st);
/* The cap in effect. */
unsigned statsd_max_names(const struct statsd *st);
/* Parse a datagram and add each good line; bad lines are only counted. */
void statsd_parse_datagram(struct statsd *st, const char *buf, size_t len);
/* Add a parsed line; 0, or -1 (counted as bad or dropped). */
int statsd_add(struct statsd *st, const struct statsd_line *l);
/* Count lines lost before parsing, such as in a truncated datagram. */
void statsd_count_bad(struct statsd *st, uint64_t n);
const struct statsd_counts *statsd_counts(const struct statsd *st);
/* The type of a known name; 0, or -1 if unknown. */
int statsd_type_of(const struct statsd *st, const char *name,
    enum statsd_type *type);
/*
 * Add every known name's series to out and start a new interval of the
 * given length in seconds (for the counters' rates).
 */
void statsd_flush(struct statsd *st, double seconds, struct proto_sample *out);

#endif
