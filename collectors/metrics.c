/*
 * vigil-metrics: receives StatsD datagrams on a UDP socket, read on the
 * collector's libevent loop, feeds them to the aggregator in statsd.c and
 * publishes every known name each interval. Counter rates use the monotonic
 * time since the previous flush, so a late tick does not inflate them.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "collectors/metrics.h"
#include "collectors/statsd.h"

#define METRICS_READ_BATCH 256 /* datagrams per wakeup, to stay fair */

struct metrics {
	struct statsd *st;
	int fd;
	struct event *ev;
	char *buf;
	size_t max_packet;
	int64_t last_flush_ns; /* monotonic */
};

static void
metrics_read(evutil_socket_t fd, short events, void *arg)
{
	struct metrics *m = arg;
	ssize_t n;
	int i;

	(void)events;
	for (i = 0; i < METRICS_READ_BATCH; i++) {
		/* MSG_TRUNC: the real length, to spot datagrams cut short. */
		n = recv(fd, m->buf, m->max_packet, MSG_TRUNC);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("%s: recv", __func__);
			return;
		}
		if ((size_t)n > m->max_packet) {
			log_debug("datagram of %zd bytes over max_packet", n);
			statsd_count_bad(m->st, 1);
			continue;
		}
		statsd_parse_datagram(m->st, m->buf, (size_t)n);
	}
}

/* Bind a non-blocking UDP socket; the fd, or -1 (logged). */
static int
metrics_bind(const char *address, unsigned port)
{
	struct addrinfo hints, *res, *ai;
	char serv[16];
	int fd = -1, rv;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(serv, sizeof serv, "%u", port);
	if ((rv = getaddrinfo(address, serv, &hints, &res)) != 0) {
		log_warnx("statsd address %s: %s", address ? address : "*",
		    gai_strerror(rv));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		log_warn("statsd bind %s port %u", address ? address : "*",
		    port);
	freeaddrinfo(res);
	return fd;
}

static void
metrics_free(void *state)
{
	struct metrics *m = state;

	if (m->ev != NULL)
		event_free(m->ev);
	if (m->fd != -1)
		close(m->fd);
	statsd_free(m->st);
	free(m->buf);
	free(m);
}

static int
metrics_init(void **state, const struct config *cf, struct event_base *base)
{
	struct metrics *m;

	m = xcalloc(1, sizeof *m);
	m->fd = -1;
	m->st = statsd_new(cf->metrics.max_names);
	if (statsd_max_names(m->st) < cf->metrics.max_names)
		log_info("max_names %u over the limit, using %u",
		    cf->metrics.max_names, statsd_max_names(m->st));
	m->max_packet = cf->metrics.max_packet > 0 ? cf->metrics.max_packet : 1;
	m->buf = xmalloc(m->max_packet);
	m->last_flush_ns = proto_mono_ns();
	if ((m->fd = metrics_bind(cf->metrics.address, cf->metrics.port)) == -1)
		goto fail;
	m->ev = event_new(base, m->fd, EV_READ | EV_PERSIST, metrics_read, m);
	if (m->ev == NULL || event_add(m->ev, NULL) != 0) {
		log_warnx("%s: cannot add the UDP event", __func__);
		goto fail;
	}
	log_info("statsd on udp %s port %u",
	    cf->metrics.address ? cf->metrics.address : "*", cf->metrics.port);
	*state = m;
	return 0;
fail:
	metrics_free(m);
	return -1;
}

static int
metrics_sample(void *state, struct proto_sample *out)
{
	struct metrics *m = state;
	int64_t now = proto_mono_ns();

	statsd_flush(m->st, (double)(now - m->last_flush_ns) / 1e9, out);
	m->last_flush_ns = now;
	return 0;
}

static const struct config_collector *
metrics_conf(const struct config *cf)
{
	return &cf->metrics.c;
}

const struct collector_ops metrics_ops = {
	.name = "metrics",
	.conf = metrics_conf,
	.init = metrics_init,
	.sample = metrics_sample,
	.free = metrics_free,
};
