/*
 * vigil-metrics: receives StatsD datagrams on a UDP socket, read on the
 * collector's libevent loop, feeds them to the aggregator in statsd.c and
 * publishes every known name each interval. Counter rates use the monotonic
 * time since the previous flush, so a late tick does not inflate them.
 *
 * UDP has no flow control: what does not fit in the socket's receive
 * buffer while the loop is busy is lost. The buffer is made large
 * ([metrics] recvbuf) and each wakeup drains it with recvmmsg(2), many
 * datagrams per system call.
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

#define METRICS_BATCH 32 /* datagrams per recvmmsg */
#define METRICS_CALLS 64 /* recvmmsg calls per wakeup, to stay fair */

struct metrics {
	struct statsd *st;
	int fd;
	struct event *ev;
	char *buf; /* METRICS_BATCH buffers of max_packet bytes */
	struct mmsghdr msgs[METRICS_BATCH];
	struct iovec iov[METRICS_BATCH];
	size_t max_packet;
	int64_t last_flush_ns; /* monotonic */
};

static void
metrics_read(evutil_socket_t fd, short events, void *arg)
{
	struct metrics *m = arg;
	int i, n, call;

	(void)events;
	for (call = 0; call < METRICS_CALLS; call++) {
		for (i = 0; i < METRICS_BATCH; i++)
			m->msgs[i].msg_hdr.msg_flags = 0;
		n = recvmmsg(fd, m->msgs, METRICS_BATCH, MSG_DONTWAIT, NULL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("%s: recvmmsg", __func__);
			return;
		}
		for (i = 0; i < n; i++) {
			if (m->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				log_debug("datagram over max_packet");
				statsd_count_bad(m->st, 1);
				continue;
			}
			statsd_parse_datagram(m->st, m->iov[i].iov_base,
			    m->msgs[i].msg_len);
		}
		if (n < METRICS_BATCH)
			return;
	}
}

/* Ask for a big receive buffer; as root, past net.core.rmem_max. */
static void
metrics_rcvbuf(int fd, unsigned bytes)
{
	int size = (int)bytes;
	socklen_t len = sizeof size;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) == 0)
		log_info("statsd receive buffer %d bytes", size);
}

/* Bind a non-blocking UDP socket; the fd, or -1 (logged). */
static int
metrics_bind(const char *address, unsigned port, unsigned rcvbuf)
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
		metrics_rcvbuf(fd, rcvbuf);
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

static void
metrics_buffers(struct metrics *m)
{
	int i;

	m->buf = xreallocarray(NULL, METRICS_BATCH, m->max_packet);
	for (i = 0; i < METRICS_BATCH; i++) {
		m->iov[i].iov_base = m->buf + (size_t)i * m->max_packet;
		m->iov[i].iov_len = m->max_packet;
		memset(&m->msgs[i], 0, sizeof m->msgs[i]);
		m->msgs[i].msg_hdr.msg_iov = &m->iov[i];
		m->msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

static int
metrics_init(void **state, const struct config *cf, struct event_base *base)
{
	struct metrics *m;

	m = xcalloc(1, sizeof *m);
	m->fd = -1;
	m->st = statsd_new(cf->metrics.max_names, cf->metrics.timer_samples);
	if (statsd_max_names(m->st) < cf->metrics.max_names)
		log_info("max_names %u over the limit, using %u",
		    cf->metrics.max_names, statsd_max_names(m->st));
	m->max_packet = cf->metrics.max_packet > 0 ? cf->metrics.max_packet : 1;
	metrics_buffers(m);
	m->last_flush_ns = proto_mono_ns();
	if ((m->fd = metrics_bind(cf->metrics.address, cf->metrics.port,
	         cf->metrics.recvbuf)) == -1)
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

static const struct collector_pattern metrics_own[] = {
	{ "statsd.lines", NULL, "", PROTO_KIND_COUNTER,
	    "StatsD lines received" },
	{ "statsd.bad_lines", NULL, "", PROTO_KIND_COUNTER,
	    "StatsD lines not understood, skipped" },
	{ "statsd.dropped", NULL, "", PROTO_KIND_COUNTER,
	    "StatsD lines for a new name over max_names, dropped" },
};

static const struct {
	enum statsd_type type;
	const char *suffix;
	const char *unit;
	const char *kind;
	const char *desc;
} metrics_kinds[] = {
	{ STATSD_COUNTER, "count", "", PROTO_KIND_GAUGE,
	    "StatsD counter %s: sum in the interval" },
	{ STATSD_COUNTER, "rate", "/s", PROTO_KIND_RATE,
	    "StatsD counter %s per second" },
	{ STATSD_COUNTER, "total", "", PROTO_KIND_COUNTER,
	    "StatsD counter %s: sum since vigil-metrics started" },
	{ STATSD_TIMER, NULL, "ms", PROTO_KIND_GAUGE,
	    "StatsD timer %s, %s in the interval" },
	{ STATSD_HISTOGRAM, NULL, "", PROTO_KIND_GAUGE,
	    "StatsD histogram %s, %s in the interval" },
	{ STATSD_SET, "unique", "", PROTO_KIND_GAUGE,
	    "StatsD set %s: distinct values in the interval" },
};

int
metrics_describe_name(const struct statsd *st, const char *name,
    struct collector_desc *d)
{
	char base[PROTO_NAME_MAX + 1];
	const char *dot, *sfx;
	enum statsd_type t;
	size_t i;

	if (collector_describe_table(metrics_own,
	        sizeof metrics_own / sizeof metrics_own[0], name, d) == 0)
		return 0;
	if (strncmp(name, "statsd.", 7) != 0)
		return -1;
	name += 7;
	if (statsd_type_of(st, name, &t) == 0 && t == STATSD_GAUGE) {
		d->unit = "";
		d->kind = PROTO_KIND_GAUGE;
		snprintf(d->desc, sizeof d->desc, "StatsD gauge %s", name);
		return 0;
	}
	if ((dot = strrchr(name, '.')) == NULL ||
	    (size_t)(dot - name) >= sizeof base)
		return -1;
	memcpy(base, name, (size_t)(dot - name));
	base[dot - name] = '\0';
	sfx = dot + 1;
	if (statsd_type_of(st, base, &t) != 0)
		return -1;
	for (i = 0; i < sizeof metrics_kinds / sizeof metrics_kinds[0]; i++) {
		if (metrics_kinds[i].type != t ||
		    (metrics_kinds[i].suffix != NULL &&
		        strcmp(metrics_kinds[i].suffix, sfx) != 0))
			continue;
		/* A timer's count has no unit, its values do. */
		d->unit =
		    strcmp(sfx, "count") == 0 ? "" : metrics_kinds[i].unit;
		d->kind = metrics_kinds[i].kind;
		snprintf(d->desc, sizeof d->desc, metrics_kinds[i].desc, base,
		    sfx);
		return 0;
	}
	return -1;
}

static int
metrics_describe(void *state, const char *name, struct collector_desc *d)
{
	struct metrics *m = state;

	return metrics_describe_name(m->st, name, d);
}

const struct collector_ops metrics_ops = {
	.name = "metrics",
	.conf = metrics_conf,
	.init = metrics_init,
	.sample = metrics_sample,
	.describe = metrics_describe,
	.free = metrics_free,
};
