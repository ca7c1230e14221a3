/*
 * The collector loop shared by vigil-system, vigil-memory and vigil-metrics.
 * It parses the command line, loads the config, dials the bus, and then
 * ticks on multiples of the interval on the wall clock, so that samples from
 * every collector of every host line up; each tick re-arms the timer from
 * the clock rather than adding the interval, so it does not drift. A role
 * plugs in through struct collector_ops.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bus.h"
#include "common/log.h"
#include "common/ready.h"
#include "common/xmalloc.h"
#include "collectors/collector.h"

struct collector {
	const struct config *cf;
	const struct collector_ops *ops;
	void *state;
	struct event_base *base;
	struct event *timer;
	struct event *sigterm;
	struct event *sigint;
	nng_socket bus;
	int bus_open;
	char *topic;
	struct proto_sample sample;
	uint64_t seq; /* messages sent so far */
	int64_t interval_ns;
	int64_t last_slot; /* multiple of the interval of the last tick */
};

static void
collector_usage(FILE *fp, const char *name)
{
	fprintf(fp, "usage: vigil-%s [-hv] [-c file]\n", name);
}

int
collector_main(int argc, char **argv, const struct collector_ops *ops)
{
	struct config cf;
	char ident[64], err[1024];
	const char *path = NULL;
	int ch, verbose = 0, rv;

	snprintf(ident, sizeof ident, "vigil-%s", ops->name);
	log_init(ident, 0, 0);
	while ((ch = getopt(argc, argv, "c:hv")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			collector_usage(stdout, ops->name);
			return 0;
		case 'v':
			verbose++;
			break;
		default:
			collector_usage(stderr, ops->name);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		collector_usage(stderr, ops->name);
		return EXIT_USAGE;
	}
	log_init(ident, verbose, 0);
	if (path == NULL && access(config_default_path(), F_OK) == 0)
		path = config_default_path();
	if (config_load(&cf, path, err, sizeof err) != 0) {
		log_warnx("%s", err);
		return EXIT_CONFIG;
	}
	rv = collector_run(&cf, ops);
	config_free(&cf);
	return rv == 0 ? 0 : 1;
}

void
collector_file_status(int *failing, const char *what, int ok)
{
	if (!ok && !*failing)
		log_warn("%s: dropping its series", what);
	else if (ok && *failing)
		log_info("%s: readable again", what);
	*failing = !ok;
}

int64_t
collector_next_tick(int64_t now_ns, int64_t interval_ns, int64_t *last)
{
	int64_t slot;

	slot = now_ns / interval_ns + 1;
	/*
	 * A timer that fires a little before its multiple must not tick twice
	 * in it; a clock set back by more than that starts again from now.
	 */
	if (slot <= *last && *last - slot < 2)
		slot = *last + 1;
	*last = slot;
	return slot * interval_ns - now_ns;
}

static void
collector_arm(struct collector *c)
{
	struct timeval tv;
	int64_t delay;

	delay =
	    collector_next_tick(proto_now_ns(), c->interval_ns, &c->last_slot);
	tv.tv_sec = delay / 1000000000;
	tv.tv_usec = (delay % 1000000000) / 1000;
	evtimer_add(c->timer, &tv);
}

static void
collector_publish(struct collector *c)
{
	char *buf;
	size_t len;

	c->sample.seq = c->seq + 1;
	c->sample.time_ns = proto_now_ns();
	if (proto_sample_encode(&c->sample, &buf, &len) != 0) {
		log_warnx("%s: cannot encode sample %llu", __func__,
		    (unsigned long long)c->sample.seq);
		return;
	}
	if (bus_send(c->bus, c->topic, buf, len) == 0) {
		c->seq++;
		log_debug("sent sample %llu, %zu values",
		    (unsigned long long)c->sample.seq, c->sample.nvalues);
	}
	free(buf);
}

static void
collector_tick(evutil_socket_t fd, short events, void *arg)
{
	struct collector *c = arg;

	(void)fd;
	(void)events;
	proto_sample_clear(&c->sample);
	if (c->ops->sample(c->state, &c->sample) == 0)
		collector_publish(c);
	collector_arm(c);
}

static void
collector_signal(evutil_socket_t sig, short events, void *arg)
{
	struct collector *c = arg;

	(void)events;
	log_info("signal %d, exiting", (int)sig);
	event_base_loopbreak(c->base);
}

static void
collector_free(struct collector *c)
{
	if (c->state != NULL)
		c->ops->free(c->state);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->sigterm != NULL)
		event_free(c->sigterm);
	if (c->sigint != NULL)
		event_free(c->sigint);
	if (c->bus_open)
		nng_close(c->bus);
	ready_free();
	if (c->base != NULL)
		event_base_free(c->base);
	proto_sample_free(&c->sample);
	free(c->topic);
}

static int
collector_events(struct collector *c)
{
	c->timer = evtimer_new(c->base, collector_tick, c);
	c->sigterm = evsignal_new(c->base, SIGTERM, collector_signal, c);
	c->sigint = evsignal_new(c->base, SIGINT, collector_signal, c);
	if (c->timer == NULL || c->sigterm == NULL || c->sigint == NULL ||
	    evsignal_add(c->sigterm, NULL) != 0 ||
	    evsignal_add(c->sigint, NULL) != 0) {
		log_warnx("%s: cannot set up events", __func__);
		return -1;
	}
	return 0;
}

/* A base with a precise timer: the coarse clock is off by some ms. */
static struct event_base *
collector_base(void)
{
	struct event_config *ecf;
	struct event_base *base = NULL;

	if ((ecf = event_config_new()) != NULL &&
	    event_config_set_flag(ecf, EVENT_BASE_FLAG_PRECISE_TIMER) == 0)
		base = event_base_new_with_config(ecf);
	if (ecf != NULL)
		event_config_free(ecf);
	if (base == NULL)
		log_warnx("%s: cannot make an event base", __func__);
	return base;
}

int
collector_run(const struct config *cf, const struct collector_ops *ops)
{
	struct collector c;
	const struct config_collector *cc = ops->conf(cf);
	int rv = -1;

	memset(&c, 0, sizeof c);
	c.cf = cf;
	c.ops = ops;
	c.interval_ns =
	    (int64_t)(cc->interval_ms > 0 ? cc->interval_ms : 1) * 1000000;
	xasprintf(&c.topic, "%s%s", PROTO_TOPIC_SAMPLE, ops->name);
	proto_sample_init(&c.sample, ops->name, cf->host, cc->interval_ms);
	signal(SIGPIPE, SIG_IGN);

	if (config_make_rundir(cf) != 0)
		goto out;
	if ((c.base = collector_base()) == NULL)
		goto out;
	if (ops->init(&c.state, cf, c.base) != 0)
		goto out;
	if (bus_pub_dial(&c.bus, cf->bus) != 0)
		goto out;
	c.bus_open = 1;
	if (collector_events(&c) != 0)
		goto out;
	collector_arm(&c);
	ready_notify(c.base);
	log_info("publishing every %u ms on %s", cc->interval_ms, cf->bus);
	if (event_base_dispatch(c.base) == -1)
		log_warnx("%s: event loop failed", __func__);
	else
		rv = 0;
out:
	collector_free(&c);
	return rv;
}
