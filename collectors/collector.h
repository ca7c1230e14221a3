/*
 * The loop every collector role shares: options, config, the bus, a
 * libevent base and a timer aligned on the wall clock. A role is a table of
 * callbacks; on each tick the loop asks it to fill a sample, stamps it and
 * publishes it on the bus under PROTO_TOPIC_SAMPLE + the role's name.
 */
#ifndef VIGIL_COLLECTOR_H
#define VIGIL_COLLECTOR_H

#include <event2/event.h>

#include "common/config.h"
#include "common/proto.h"

struct collector_ops {
	const char *name; /* role: "system", "memory", ... */
	/* This role's section of the config (interval, proc_root). */
	const struct config_collector *(*conf)(const struct config *cf);
	/* Set up *state; may add events to base. 0, or -1 (logged). */
	int (*init)(void **state, const struct config *cf,
	    struct event_base *base);
	/* Add this tick's values to out; -1 skips the tick. */
	int (*sample)(void *state, struct proto_sample *out);
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

#endif
