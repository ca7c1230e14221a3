/*
 * The gateway's own figures: counters bumped where things happen, turned
 * once a second into a sample from source "gateway" (rates per second and
 * totals) that goes through the same path as bus samples, so clients chart
 * it and /metrics exports it.
 */
#ifndef VIGIL_GATEWAY_STATS_H
#define VIGIL_GATEWAY_STATS_H

#include <stdint.h>

struct gateway;

#define STATS_INTERVAL_MS 1000

struct stats {
	uint64_t opened;     /* connections accepted */
	uint64_t closed;     /* connections gone */
	uint64_t frames;     /* WebSocket frames queued to clients */
	uint64_t bytes;      /* bytes written to sockets */
	uint64_t skipped;    /* batches a client over its queue missed */
	uint64_t lag_closed; /* clients closed with 4000 */
	uint64_t messages;   /* bus messages received */
	uint64_t bad;        /* bus messages dropped as invalid */
	uint64_t resyncs;    /* snapshots sent to clients that drained */
	uint64_t http;       /* HTTP requests answered */
};

/* Publish the gateway's series metadata and start the 1 s timer. */
int stats_start(struct gateway *gw);
void stats_stop(struct gateway *gw);
/* Build the next gateway sample now (also used by tests). */
void stats_tick(struct gateway *gw);

#endif
