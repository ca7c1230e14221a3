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
	uint64_t seq; /* messages sent so far, of any kind */
	int64_t interval_ns;
	int64_t last_slot; /* multiple of the interval of the last tick */
	char *meta_topic;
	int64_t meta_interval_ns;
	int64_t meta_last_ns; /* monotonic; 0: never sent */
	char **names;         /* described names: open addressing */
	size_t nslots;        /* a power of two */
	size_t nnames;
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

size_t
collector_chunks(size_t nvalues, size_t ntexts)
{
	size_t a, b;

	a = (nvalues + PROTO_VALUES_MAX - 1) / PROTO_VALUES_MAX;
	b = (ntexts + PROTO_TEXTS_MAX - 1) / PROTO_TEXTS_MAX;
	a = a > b ? a : b;
	return a > 0 ? a : 1;
}

void
collector_chunk(const struct proto_sample *s, size_t i,
    struct proto_sample *chunk)
{
	size_t off;

	*chunk = *s;
	off = i * PROTO_VALUES_MAX;
	chunk->values = s->values + (off < s->nvalues ? off : s->nvalues);
	chunk->nvalues = off < s->nvalues ? s->nvalues - off : 0;
	if (chunk->nvalues > PROTO_VALUES_MAX)
		chunk->nvalues = PROTO_VALUES_MAX;
	off = i * PROTO_TEXTS_MAX;
	chunk->texts = s->texts + (off < s->ntexts ? off : s->ntexts);
	chunk->ntexts = off < s->ntexts ? s->ntexts - off : 0;
	if (chunk->ntexts > PROTO_TEXTS_MAX)
		chunk->ntexts = PROTO_TEXTS_MAX;
	chunk->cap = chunk->nvalues;
	chunk->tcap = chunk->ntexts;
}

static void
collector_send(struct collector *c, const char *topic, char *buf, size_t len)
{
	if (bus_send(c->bus, topic, buf, len) == 0)
		c->seq++;
	free(buf);
}

static void
collector_publish(struct collector *c)
{
	struct proto_sample chunk;
	char *buf;
	size_t len, i, n;

	n = collector_chunks(c->sample.nvalues, c->sample.ntexts);
	c->sample.time_ns = proto_now_ns();
	for (i = 0; i < n; i++) {
		collector_chunk(&c->sample, i, &chunk);
		chunk.seq = c->seq + 1;
		if (proto_sample_encode(&chunk, &buf, &len) != 0) {
			log_warnx("%s: cannot encode sample %llu", __func__,
			    (unsigned long long)chunk.seq);
			return;
		}
		collector_send(c, c->topic, buf, len);
	}
	log_debug("sent %zu values in %zu message(s), last seq %llu",
	    c->sample.nvalues, n, (unsigned long long)c->seq);
}

/*
 * Fill a description from its pattern. The part of the name the pattern
 * matched is passed twice over: as one string (a "%.*s" takes it whole when
 * it has no dot) and split at its last dot, so that "cpu.0.user" can read
 * "... mode %4$.*3$s on core %2$.*1$s": arguments 1-2 are the part before
 * the dot, 3-4 the part after it.
 */
static void
collector_describe_format(struct collector_desc *d, const char *fmt,
    const char *part, size_t len)
{
	const char *dot = memrchr(part, '.', len);
	size_t hlen = dot != NULL ? (size_t)(dot - part) : len;
	const char *tail = dot != NULL ? dot + 1 : "";
	size_t tlen = dot != NULL ? len - hlen - 1 : 0;

	snprintf(d->desc, sizeof d->desc, fmt, (int)hlen, part, (int)tlen,
	    tail);
}

int
collector_describe_table(const struct collector_pattern *t, size_t n,
    const char *name, struct collector_desc *d)
{
	size_t i, nlen = strlen(name), plen, slen;

	for (i = 0; i < n; i++) {
		plen = strlen(t[i].prefix);
		slen = t[i].suffix != NULL ? strlen(t[i].suffix) : 0;
		if (strncmp(name, t[i].prefix, plen) != 0)
			continue;
		if (t[i].suffix == NULL ? nlen != plen
		                        : nlen <= plen + slen ||
		            strcmp(name + nlen - slen, t[i].suffix) != 0)
			continue;
		d->unit = t[i].unit;
		d->kind = t[i].kind;
		collector_describe_format(d, t[i].desc, name + plen,
		    nlen - plen - slen);
		return 0;
	}
	return -1;
}

/* FNV-1a. */
static size_t
collector_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* Insert into a table known to have room; 1 if it was new, else 0. */
static int
collector_name_insert(char **slots, size_t nslots, const char *name, int copy)
{
	size_t i = collector_hash(name) & (nslots - 1);

	while (slots[i] != NULL) {
		if (strcmp(slots[i], name) == 0)
			return 0;
		i = (i + 1) & (nslots - 1);
	}
	slots[i] = copy ? xstrdup(name) : (char *)name;
	return 1;
}

/* Remember name; 1 if it was not described yet. */
static int
collector_name_add(struct collector *c, const char *name)
{
	char **old = c->names;
	size_t i, n = c->nslots;

	if (2 * (c->nnames + 1) > c->nslots) {
		c->nslots = n == 0 ? 64 : n * 2;
		c->names = xcalloc(c->nslots, sizeof *c->names);
		for (i = 0; i < n; i++) {
			if (old[i] != NULL)
				collector_name_insert(c->names, c->nslots,
				    old[i], 0);
		}
		free(old);
	}
	if (!collector_name_insert(c->names, c->nslots, name, 1))
		return 0;
	c->nnames++;
	return 1;
}

static void
collector_meta_add(struct collector *c, struct proto_meta *m, const char *name)
{
	struct collector_desc d;
	char *buf;
	size_t len;

	memset(&d, 0, sizeof d);
	if (c->ops->describe(c->state, name, &d) != 0) {
		d.unit = "";
		d.kind = PROTO_KIND_GAUGE;
	}
	proto_meta_add(m, name, d.unit, d.kind, d.desc);
	if (m->nseries < PROTO_VALUES_MAX)
		return;
	m->seq = c->seq + 1;
	m->time_ns = proto_now_ns();
	if (proto_meta_encode(m, &buf, &len) == 0) {
		collector_send(c, c->meta_topic, buf, len);
	}
	proto_meta_free(m);
	proto_meta_init(m, c->ops->name, c->cf->host);
}

/*
 * Send the description of the names of this sample not described yet, or
 * of every name described so far when meta_interval has passed.
 */
static void
collector_meta(struct collector *c)
{
	struct proto_meta m;
	int64_t now = proto_mono_ns();
	int all;
	char *buf;
	size_t i, len;

	all = c->meta_last_ns == 0 ||
	    now - c->meta_last_ns >= c->meta_interval_ns;
	proto_meta_init(&m, c->ops->name, c->cf->host);
	for (i = 0; i < c->sample.nvalues; i++) {
		if (collector_name_add(c, c->sample.values[i].name) && !all)
			collector_meta_add(c, &m, c->sample.values[i].name);
	}
	for (i = 0; all && i < c->nslots; i++) {
		if (c->names[i] != NULL)
			collector_meta_add(c, &m, c->names[i]);
	}
	if (all)
		c->meta_last_ns = now;
	if (m.nseries > 0) {
		m.seq = c->seq + 1;
		m.time_ns = proto_now_ns();
		if (proto_meta_encode(&m, &buf, &len) == 0)
			collector_send(c, c->meta_topic, buf, len);
		else
			log_warnx("%s: cannot encode metadata", __func__);
	}
	proto_meta_free(&m);
}

static void
collector_tick(evutil_socket_t fd, short events, void *arg)
{
	struct collector *c = arg;

	(void)fd;
	(void)events;
	proto_sample_clear(&c->sample);
	if (c->ops->sample(c->state, &c->sample) == 0) {
		collector_meta(c);
		collector_publish(c);
	}
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
	size_t i;

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
	for (i = 0; i < c->nslots; i++)
		free(c->names[i]);
	free(c->names);
	free(c->topic);
	free(c->meta_topic);
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
	c.meta_interval_ns = (int64_t)cc->meta_interval_ms * 1000000;
	xasprintf(&c.topic, "%s%s", PROTO_TOPIC_SAMPLE, ops->name);
	xasprintf(&c.meta_topic, "%s%s", PROTO_TOPIC_META, ops->name);
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
