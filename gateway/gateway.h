/*
 * vigil-gateway: listens on the sample bus, keeps the history of every
 * series and serves, on one TCP port, the dashboard's static files, a JSON
 * API, Prometheus metrics and the live WebSocket stream. One libevent loop
 * runs all of it; struct gateway is the state every module shares.
 */
#ifndef VIGIL_GATEWAY_GATEWAY_H
#define VIGIL_GATEWAY_GATEWAY_H

#include <sys/queue.h>

#include <stdint.h>

#include <nng/nng.h>

#include "gateway/enc.h"
#include "gateway/state.h"
#include "gateway/stats.h"

struct config;
struct conn;
struct event;
struct event_base;
struct evconnlistener;
struct group;

struct gateway {
	const struct config *cf;
	struct event_base *base;
	nng_socket sub;
	int sub_open;
	struct event *bus_ev;
	struct event *sigterm_ev;
	struct event *sigint_ev;
	struct event *flush_ev;
	struct event *stats_ev;
	struct event *accept_ev; /* re-enables accept after EMFILE */
	struct evconnlistener *lev;
	struct state state;
	TAILQ_HEAD(, group) groups;
	LIST_HEAD(, conn) conns;
	unsigned nconns;
	unsigned nclients; /* WebSocket clients, open or closing */
	char *www;         /* real path of the www directory, or NULL */
	struct frame *hello[ENC_NFORMATS];
	struct stats stats;
	struct stats stats_last; /* at the last stats tick */
	int64_t stats_at;        /* monotonic ms of that tick */
	uint64_t own_seq;        /* of the gateway's own samples */
	int64_t started;         /* monotonic ms */
	int stopping;
};

/*
 * Run until SIGTERM or SIGINT. Returns 0 after a clean stop, -1 when the
 * bus or the HTTP port cannot be set up (logged).
 */
int gateway_run(const struct config *cf);

/* Monotonic time in ms. */
int64_t gateway_mono_ms(void);

/* Take a sample (bus or own) into the state; flush at once if due. */
void gateway_sample(struct gateway *gw, struct proto_sample *s, int bus);

#endif
