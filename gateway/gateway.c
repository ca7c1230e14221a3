/*
 * The gateway's event loop. One libevent base drives everything: the SUB
 * socket's receive fd (nng keeps it readable while messages wait; the
 * callback drains them without blocking), the HTTP listener and every
 * WebSocket client, and SIGTERM/SIGINT, which end the loop so that all of
 * it is freed in order. A message that is not a valid sample is counted
 * and dropped, with a warning at most every GATEWAY_BAD_LOG_NS.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <nng/nng.h>

#include "common/bus.h"
#include "common/config.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/ready.h"
#include "gateway/gateway.h"
#include "gateway/http.h"
#include "gateway/state.h"
#include "gateway/ws.h"

#define GATEWAY_DRAIN_MAX 256 /* messages per wakeup, then yield */
#define GATEWAY_BAD_LOG_NS (10 * INT64_C(1000000000))

struct gateway {
	const struct config *cf;
	struct event_base *base;
	nng_socket sub;
	int sub_open;
	struct event *bus_ev;
	struct event *sigterm_ev;
	struct event *sigint_ev;
	struct state *state;
	struct ws_server *ws;
	struct http *http;
	uint64_t bad;
	int64_t bad_logged;
};

static void
gateway_bad(struct gateway *g, const char *why)
{
	int64_t now = proto_mono_ns();

	g->bad++;
	if (g->bad > 1 && now - g->bad_logged < GATEWAY_BAD_LOG_NS)
		return;
	g->bad_logged = now;
	log_warnx("bad message on the bus dropped: %s (%llu so far)", why,
	    (unsigned long long)g->bad);
}

static void
gateway_message(struct gateway *g, const void *body, size_t len)
{
	struct proto_sample s;
	const struct message *m;
	const char *topic;
	const void *payload;
	size_t plen;
	char err[256];

	if (proto_split(body, len, &topic, &payload, &plen) == -1) {
		gateway_bad(g, "no topic");
		return;
	}
	if (strncmp(topic, PROTO_TOPIC_SAMPLE, strlen(PROTO_TOPIC_SAMPLE)) != 0)
		return;
	memset(&s, 0, sizeof s);
	if (proto_sample_decode(payload, plen, &s, err, sizeof err) == -1)
		gateway_bad(g, err);
	else if ((m = state_update(g->state, &s)) != NULL)
		ws_server_broadcast(g->ws, m);
	proto_sample_free(&s);
}

static void
gateway_bus_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *g = arg;
	nng_msg *msg;
	int i, rv;

	(void)fd;
	(void)what;
	for (i = 0; i < GATEWAY_DRAIN_MAX; i++) {
		rv = nng_recvmsg(g->sub, &msg, NNG_FLAG_NONBLOCK);
		if (rv == NNG_EAGAIN)
			break;
		if (rv != 0) {
			log_warnx("bus receive: %s", nng_strerror(rv));
			break;
		}
		gateway_message(g, nng_msg_body(msg), nng_msg_len(msg));
		nng_msg_free(msg);
	}
}

static void
gateway_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct gateway *g = arg;

	(void)what;
	log_info("signal %d, stopping", (int)sig);
	event_base_loopbreak(g->base);
}

static int
gateway_bus_open(struct gateway *g)
{
	int fd;

	if (bus_sub_listen(&g->sub, g->cf->bus, PROTO_TOPIC_SAMPLE,
	        (int)g->cf->gateway.bus_recvbuf) == -1)
		return -1;
	g->sub_open = 1;
	if (bus_recv_fd(g->sub, &fd) == -1)
		return -1;
	g->bus_ev =
	    event_new(g->base, fd, EV_READ | EV_PERSIST, gateway_bus_cb, g);
	if (g->bus_ev == NULL || event_add(g->bus_ev, NULL) == -1) {
		log_warnx("%s: cannot watch the bus fd", __func__);
		return -1;
	}
	return 0;
}

static void
gateway_free(struct gateway *g)
{
	if (g->bus_ev != NULL)
		event_free(g->bus_ev);
	if (g->sub_open) {
		nng_close(g->sub);
		bus_unlink(g->cf->bus);
	}
	ws_server_free(g->ws);
	http_free(g->http);
	state_free(g->state);
	if (g->sigterm_ev != NULL)
		event_free(g->sigterm_ev);
	if (g->sigint_ev != NULL)
		event_free(g->sigint_ev);
	ready_free();
	event_base_free(g->base);
}

int
gateway_run(const struct config *cf)
{
	struct gateway g;
	char url[128];
	int rv = -1;

	memset(&g, 0, sizeof g);
	g.cf = cf;
	signal(SIGPIPE, SIG_IGN);
	if ((g.base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	g.sigterm_ev = evsignal_new(g.base, SIGTERM, gateway_signal_cb, &g);
	g.sigint_ev = evsignal_new(g.base, SIGINT, gateway_signal_cb, &g);
	if (g.sigterm_ev == NULL || g.sigint_ev == NULL ||
	    evsignal_add(g.sigterm_ev, NULL) == -1 ||
	    evsignal_add(g.sigint_ev, NULL) == -1)
		fatalx("%s: cannot catch signals", __func__);
	g.state = state_new();
	g.ws = ws_server_new(g.base, cf, g.state);
	g.http = http_new(g.base, cf, g.state, g.ws);
	if (http_listen(g.http, url, sizeof url) == -1 ||
	    gateway_bus_open(&g) == -1)
		goto out;
	/* The URL always reaches stderr: as a log line or printed here. */
	log_info("listening on %s", url);
	if (log_get_verbose() < 1)
		fprintf(stderr, "vigil-gateway: listening on %s\n", url);
	log_info("bus %s", cf->bus);
	ready_notify(g.base);
	event_base_dispatch(g.base);
	rv = 0;
out:
	gateway_free(&g);
	return rv;
}
