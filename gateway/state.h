/*
 * What the gateway knows: every series with its history, the samples
 * received since the slowest subscription group last flushed (the pending
 * log, each with its cursor), the sources and their sequence gaps, and the
 * last role health from vigild. The cursor grows by one per sample
 * received; it is what clients resume from.
 */
#ifndef VIGIL_GATEWAY_STATE_H
#define VIGIL_GATEWAY_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/proto.h"
#include "gateway/enc.h"
#include "gateway/series.h"

#define STATE_SOURCES_MAX 64
#define STATE_LOG_MAX 16384 /* pending samples kept, then the oldest go */
#define STATE_SESSION_LEN 16

struct state_source {
	char src[PROTO_SOURCE_MAX + 1];
	char host[PROTO_HOST_MAX + 1];
	uint64_t seq;
	uint64_t samples;
	uint64_t gaps;
};

/* A received sample and its encoding for unfiltered groups, made once. */
struct pending {
	uint64_t cursor;
	struct proto_sample s;
	char *frag[ENC_NFORMATS];
	size_t fraglen[ENC_NFORMATS];
};

struct state {
	struct series_table series;
	uint64_t cursor; /* of the newest sample; 0 before the first */
	uint64_t floor;  /* largest cursor pushed out of a ring */
	struct pending **log;
	size_t log_cap; /* a power of two */
	size_t log_n;
	uint64_t log_first; /* cursor of the oldest pending sample */
	struct state_source sources[STATE_SOURCES_MAX];
	size_t nsources;
	uint64_t sources_dropped;
	struct proto_health health;
	int has_health;
	int64_t last_sample; /* monotonic ms of the last bus sample */
	uint64_t meta_gen;   /* bumped when any metadata changes */
	uint64_t gaps;       /* bus messages missed, all sources */
	char session[STATE_SESSION_LEN + 1];
};

void state_init(struct state *st, size_t max_series, uint32_t history);
void state_free(struct state *st);
/*
 * Take s (its storage now belongs to the state; s is cleared) as the next
 * sample: new cursor, history of every value, text labels, pending log.
 * bus: it came from the bus (sequence numbers and staleness are tracked).
 * Returns its cursor.
 */
uint64_t state_sample(struct state *st, struct proto_sample *s, int bus,
    int64_t now_mono);
/*
 * Take metadata; the series that are new or changed are stored in
 * changed (at most max), their count returned.
 */
size_t state_meta(struct state *st, const struct proto_meta *m,
    struct series **changed, size_t max);
/* Count a sequence number of a bus message of any kind. */
void state_seq(struct state *st, const char *src, const char *host,
    uint64_t seq);
/* The pending sample with this cursor, or NULL. */
struct pending *state_pending(const struct state *st, uint64_t cursor);
/* Drop pending samples with a cursor up to and including upto. */
void state_trim(struct state *st, uint64_t upto);

#endif
