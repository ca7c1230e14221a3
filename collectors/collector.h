/*
 * The loop every collector role shares: options, config, the bus, a
 * libevent base and a timer aligned on the wall clock. A role is a table of
 * callbacks; on each tick the loop asks it to fill a sample, stamps it and
 * publishes it on the bus under PROTO_TOPIC_SAMPLE + the role's name. The
 * loop also describes every series (PROTO_TOPIC_META + the name): at the
 * first sample, whenever a sample has a name not described yet, and every
 * meta_interval.
 */
#ifndef VIGIL_COLLECTOR_H
#define VIGIL_COLLECTOR_H

#include <event2/event.h>

#include "common/config.h"
#include "common/proto.h"

/* What a role says about one of its series. */
struct collector_desc {
	const char *unit; /* "%", "bytes", "bytes/s", "/s", "s", "ms", "" */
	const char *kind; /* PROTO_KIND_* */
	char desc[PROTO_TEXT_MAX + 1];
};

/*
 * A family of series: names PREFIX MIDDLE SUFFIX (suffix NULL: the name is
 * exactly prefix). desc is a format given the middle as "%.*s".
 */
struct collector_pattern {
	const char *prefix;
	const char *suffix;
	const char *unit;
	const char *kind;
	const char *desc;
};

struct collector_ops {
	const char *name; /* role: "system", "memory", ... */
	/* This role's section of the config (interval, proc_root). */
	const struct config_collector *(*conf)(const struct config *cf);
	/* Set up *state; may add events to base. 0, or -1 (logged). */
	int (*init)(void **state, const struct config *cf,
	    struct event_base *base);
	/* Add this tick's values to out; -1 skips the tick. */
	int (*sample)(void *state, struct proto_sample *out);
	/* Describe a series name the role published; 0, or -1 if unknown. */
	int (
	    *describe)(void *state, const char *name, struct collector_desc *d);
	void (*free)(void *state);
};

/* Parse argv, load the config and run the role; returns the exit code. */
int collector_main(int argc, char **argv, const struct collector_ops *ops);
/* Run the role until SIGTERM or SIGINT; 0, or -1 on a start-up error. */
int collector_run(const struct config *cf, const struct collector_ops *ops);
/*
 * Log once when a file the role reads fails (errno set) or works again;
 * *failing keeps the state between calls.
 */
void collector_file_status(int *failing, const char *what, int ok);
/*
 * Delay in ns from now_ns to the next multiple of interval_ns after the
 * slot *last (the previous tick's multiple, 0 at first); updates *last.
 */
int64_t collector_next_tick(int64_t now_ns, int64_t interval_ns, int64_t *last);
/* Describe name from the first pattern of t that matches; 0, or -1. */
int collector_describe_table(const struct collector_pattern *t, size_t n,
    const char *name, struct collector_desc *d);
/*
 * The number of bus messages a sample of nvalues values and ntexts texts
 * is split into so that each stays within the protocol's limits.
 */
size_t collector_chunks(size_t nvalues, size_t ntexts);
/* Chunk i of s, sharing s's storage (do not free it). */
void collector_chunk(const struct proto_sample *s, size_t i,
    struct proto_sample *chunk);

#endif
