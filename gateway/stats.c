/*
 * Self-monitoring. Once a second the counters in struct stats become a
 * sample from source "gateway": per-second rates from the change since the
 * last tick over the time that really passed, and levels and totals as
 * they are. Its metadata is registered at start like a collector's.
 */
#include <string.h>

#include <event2/event.h>

#include "common/config.h"
#include "common/log.h"
#include "common/proto.h"
#include "gateway/gateway.h"
#include "gateway/stats.h"

static const struct {
	const char *name;
	const char *unit;
	const char *kind;
	const char *desc;
} stats_series[] = {
	{ "gateway.clients", "", PROTO_KIND_GAUGE,
	    "WebSocket clients connected" },
	{ "gateway.connections.opened", "/s", PROTO_KIND_RATE,
	    "TCP connections accepted" },
	{ "gateway.connections.closed", "/s", PROTO_KIND_RATE,
	    "TCP connections closed" },
	{ "gateway.frames_sent", "/s", PROTO_KIND_RATE,
	    "WebSocket frames sent to clients" },
	{ "gateway.bytes_sent", "bytes/s", PROTO_KIND_RATE,
	    "bytes written to clients" },
	{ "gateway.batches_skipped", "/s", PROTO_KIND_RATE,
	    "batches skipped by clients over client_queue" },
	{ "gateway.lag_closed", "", PROTO_KIND_COUNTER,
	    "clients closed for staying behind (4000)" },
	{ "gateway.bus.messages", "/s", PROTO_KIND_RATE,
	    "bus messages received" },
	{ "gateway.bus.gaps", "", PROTO_KIND_COUNTER,
	    "bus messages missed, from sequence numbers" },
	{ "gateway.series", "", PROTO_KIND_GAUGE, "series kept" },
};

static void
stats_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	stats_tick(arg);
}

static double
stats_rate(uint64_t now, uint64_t before, double secs)
{
	return secs > 0 ? (double)(now - before) / secs : 0;
}

void
stats_tick(struct gateway *gw)
{
	const struct stats *s = &gw->stats, *p = &gw->stats_last;
	struct proto_sample smp;
	int64_t now = gateway_mono_ms();
	double secs = (now - gw->stats_at) / 1000.0;

	proto_sample_init(&smp, "gateway", gw->cf->host, STATS_INTERVAL_MS);
	smp.seq = ++gw->own_seq;
	smp.time_ns = proto_now_ns();
	proto_sample_add(&smp, "gateway.clients", gw->nclients);
	proto_sample_add(&smp, "gateway.connections.opened",
	    stats_rate(s->opened, p->opened, secs));
	proto_sample_add(&smp, "gateway.connections.closed",
	    stats_rate(s->closed, p->closed, secs));
	proto_sample_add(&smp, "gateway.frames_sent",
	    stats_rate(s->frames, p->frames, secs));
	proto_sample_add(&smp, "gateway.bytes_sent",
	    stats_rate(s->bytes, p->bytes, secs));
	proto_sample_add(&smp, "gateway.batches_skipped",
	    stats_rate(s->skipped, p->skipped, secs));
	proto_sample_add(&smp, "gateway.lag_closed", s->lag_closed);
	proto_sample_add(&smp, "gateway.bus.messages",
	    stats_rate(s->messages, p->messages, secs));
	proto_sample_add(&smp, "gateway.bus.gaps", gw->state.gaps);
	proto_sample_add(&smp, "gateway.series", gw->state.series.n);
	gw->stats_last = *s;
	gw->stats_at = now;
	gateway_sample(gw, &smp, 0);
	proto_sample_free(&smp);
}

int
stats_start(struct gateway *gw)
{
	struct proto_meta m;
	struct timeval tv = { STATS_INTERVAL_MS / 1000,
		(STATS_INTERVAL_MS % 1000) * 1000 };
	size_t i;

	proto_meta_init(&m, "gateway", gw->cf->host);
	for (i = 0; i < sizeof stats_series / sizeof stats_series[0]; i++)
		proto_meta_add(&m, stats_series[i].name, stats_series[i].unit,
		    stats_series[i].kind, stats_series[i].desc);
	state_meta(&gw->state, &m, NULL, 0);
	proto_meta_free(&m);
	memset(&gw->stats_last, 0, sizeof gw->stats_last);
	gw->stats_at = gateway_mono_ms();
	gw->stats_ev = event_new(gw->base, -1, EV_PERSIST, stats_cb, gw);
	if (gw->stats_ev == NULL || event_add(gw->stats_ev, &tv) == -1) {
		log_warnx("%s: cannot start the stats timer", __func__);
		return -1;
	}
	stats_tick(gw);
	return 0;
}

void
stats_stop(struct gateway *gw)
{
	if (gw->stats_ev != NULL)
		event_free(gw->stats_ev);
	gw->stats_ev = NULL;
}
