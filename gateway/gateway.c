/*
 * The gateway's event loop. One libevent base drives everything: the SUB
 * socket's receive fd (nng keeps it readable while messages wait; the
 * callback drains a bounded number without blocking), the listener and
 * every connection, the batch timer, the stats timer and SIGTERM/SIGINT,
 * which end the loop so that all of it is freed in order. A bus message
 * that does not decode is counted and dropped, with a warning at most
 * every GATEWAY_BAD_LOG_MS. The soft limit on open files is raised to the
 * hard one at start: every client is a descriptor.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "common/bus.h"
#include "common/config.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/ready.h"
#include "gateway/conn.h"
#include "gateway/gateway.h"
#include "gateway/group.h"

#define GATEWAY_DRAIN_MAX 1024 /* bus messages per wakeup, then yield */
#define GATEWAY_BAD_LOG_MS 10000
#define GATEWAY_ACCEPT_PAUSE_MS 200 /* after EMFILE */

static int64_t gateway_bad_logged;

static int64_t
gateway_clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
gateway_mono_ms(void)
{
	return gateway_clock_ms(CLOCK_MONOTONIC);
}

static void
gateway_bad(struct gateway *gw, const char *why)
{
	int64_t now = gateway_mono_ms();

	gw->stats.bad++;
	if (gw->stats.bad > 1 && now - gateway_bad_logged < GATEWAY_BAD_LOG_MS)
		return;
	gateway_bad_logged = now;
	log_warnx("bad message on the bus dropped: %s (%llu so far)", why,
	    (unsigned long long)gw->stats.bad);
}

void
gateway_sample(struct gateway *gw, struct proto_sample *s, int bus)
{
	int64_t now = gateway_mono_ms();

	state_sample(&gw->state, s, bus, now);
	if (gw->cf->gateway.batch_interval_ms == 0)
		group_flush(gw, now, 0);
}

static void
gateway_meta(struct gateway *gw, const void *p, size_t len)
{
	struct proto_meta m;
	struct series **changed;
	char err[256];
	size_t n;

	memset(&m, 0, sizeof m);
	if (proto_meta_decode(p, len, &m, err, sizeof err) == -1) {
		gateway_bad(gw, err);
		proto_meta_free(&m);
		return;
	}
	state_seq(&gw->state, m.source, m.host, m.seq);
	changed = calloc(m.nseries + 1, sizeof *changed);
	if (changed != NULL) {
		n = state_meta(&gw->state, &m, changed, m.nseries);
		if (n > 0)
			group_meta_changed(gw, changed, n);
		free(changed);
	}
	proto_meta_free(&m);
}

static void
gateway_health(struct gateway *gw, const void *p, size_t len)
{
	struct proto_health h;
	char err[256];

	if (proto_health_decode(p, len, &h, err, sizeof err) == -1) {
		gateway_bad(gw, err);
		return;
	}
	state_seq(&gw->state, h.source, h.host, h.seq);
	gw->state.health = h;
	gw->state.has_health = 1;
	group_health(gw);
}

static void
gateway_message(struct gateway *gw, const void *body, size_t len)
{
	struct proto_sample s;
	const char *topic;
	const void *p;
	size_t plen;
	char err[256];

	gw->stats.messages++;
	if (proto_split(body, len, &topic, &p, &plen) == -1) {
		gateway_bad(gw, "no topic");
		return;
	}
	if (strncmp(topic, PROTO_TOPIC_SAMPLE, strlen(PROTO_TOPIC_SAMPLE)) ==
	    0) {
		memset(&s, 0, sizeof s);
		if (proto_sample_decode(p, plen, &s, err, sizeof err) == -1)
			gateway_bad(gw, err);
		else {
			state_seq(&gw->state, s.source, s.host, s.seq);
			gateway_sample(gw, &s, 1);
		}
		proto_sample_free(&s);
	} else if (strncmp(topic, PROTO_TOPIC_META, strlen(PROTO_TOPIC_META)) ==
	    0)
		gateway_meta(gw, p, plen);
	else if (strcmp(topic, PROTO_TOPIC_HEALTH) == 0)
		gateway_health(gw, p, plen);
}

static void
gateway_bus_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	nng_msg *msg;
	int i, rv;

	(void)fd;
	(void)what;
	for (i = 0; i < GATEWAY_DRAIN_MAX; i++) {
		rv = nng_recvmsg(gw->sub, &msg, NNG_FLAG_NONBLOCK);
		if (rv == NNG_EAGAIN)
			break;
		if (rv != 0) {
			log_warnx("bus receive: %s", nng_strerror(rv));
			break;
		}
		gateway_message(gw, nng_msg_body(msg), nng_msg_len(msg));
		nng_msg_free(msg);
	}
}

static void
gateway_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	group_flush(arg, gateway_mono_ms(), 0);
}

static void
gateway_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct gateway *gw = arg;

	(void)what;
	log_info("signal %d, stopping", (int)sig);
	gw->stopping = 1;
	event_base_loopbreak(gw->base);
}

static void
gateway_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	(void)lev;
	(void)sa;
	(void)salen;
	conn_accept(arg, fd);
}

static void
gateway_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(gw->lev);
}

/* Out of descriptors: pause accepting for a moment, keep serving. */
static void
gateway_accept_error(struct evconnlistener *lev, void *arg)
{
	struct gateway *gw = arg;
	struct timeval tv = { 0, GATEWAY_ACCEPT_PAUSE_MS * 1000 };
	int err = EVUTIL_SOCKET_ERROR();

	log_warnx("accept: %s (%u connections)",
	    evutil_socket_error_to_string(err), gw->nconns);
	evconnlistener_disable(lev);
	evtimer_add(gw->accept_ev, &tv);
}

static void
gateway_url(evutil_socket_t fd, char *url, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof ss;
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &slen) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, slen, host, sizeof host, port,
	        sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(url, len, "http://?/");
		return;
	}
	if (ss.ss_family == AF_INET6)
		snprintf(url, len, "http://[%s]:%s/", host, port);
	else
		snprintf(url, len, "http://%s:%s/", host, port);
}

static int
gateway_listen(struct gateway *gw, char *url, size_t len)
{
	const struct config *cf = gw->cf;
	struct evutil_addrinfo hints, *ai;
	char port[16];
	int rv;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV;
	snprintf(port, sizeof port, "%u", cf->gateway.port);
	rv = evutil_getaddrinfo(cf->gateway.address, port, &hints, &ai);
	if (rv != 0) {
		log_warnx("%s: %s", cf->gateway.address,
		    evutil_gai_strerror(rv));
		return -1;
	}
	gw->lev = evconnlistener_new_bind(gw->base, gateway_accept_cb, gw,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    (int)cf->gateway.backlog, ai->ai_addr, ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
	if (gw->lev == NULL) {
		log_warn("listen on %s port %s", cf->gateway.address, port);
		return -1;
	}
	evconnlistener_set_error_cb(gw->lev, gateway_accept_error);
	gw->accept_ev = evtimer_new(gw->base, gateway_accept_resume, gw);
	gateway_url(evconnlistener_get_fd(gw->lev), url, len);
	return 0;
}

/* Every client is a descriptor: take all the kernel allows. */
static void
gateway_rlimit(const struct config *cf)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit");
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit");
	}
	log_info("open files limit %llu", (unsigned long long)rl.rlim_cur);
	if (rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)cf->gateway.max_clients + 64)
		log_warnx("max_clients %u is more than the open files limit "
		          "%llu allows",
		    cf->gateway.max_clients, (unsigned long long)rl.rlim_cur);
}

static int
gateway_bus_open(struct gateway *gw)
{
	int fd;

	if (bus_sub_listen(&gw->sub, gw->cf->bus, "vigil.",
	        (int)gw->cf->gateway.bus_recvbuf) == -1)
		return -1;
	gw->sub_open = 1;
	if (bus_recv_fd(gw->sub, &fd) == -1)
		return -1;
	gw->bus_ev =
	    event_new(gw->base, fd, EV_READ | EV_PERSIST, gateway_bus_cb, gw);
	if (gw->bus_ev == NULL || event_add(gw->bus_ev, NULL) == -1) {
		log_warnx("%s: cannot watch the bus fd", __func__);
		return -1;
	}
	return 0;
}

static int
gateway_timers(struct gateway *gw)
{
	unsigned ms = gw->cf->gateway.batch_interval_ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (ms > 0) {
		gw->flush_ev =
		    event_new(gw->base, -1, EV_PERSIST, gateway_flush_cb, gw);
		if (gw->flush_ev == NULL || event_add(gw->flush_ev, &tv) == -1)
			return -1;
	}
	return stats_start(gw);
}

static void
gateway_free(struct gateway *gw)
{
	int f;

	conn_free_all(gw);
	group_free_all(gw);
	if (gw->lev != NULL)
		evconnlistener_free(gw->lev);
	if (gw->accept_ev != NULL)
		event_free(gw->accept_ev);
	if (gw->bus_ev != NULL)
		event_free(gw->bus_ev);
	if (gw->sub_open) {
		nng_close(gw->sub);
		bus_unlink(gw->cf->bus);
	}
	if (gw->flush_ev != NULL)
		event_free(gw->flush_ev);
	stats_stop(gw);
	for (f = 0; f < ENC_NFORMATS; f++)
		frame_unref(gw->hello[f]);
	state_free(&gw->state);
	free(gw->www);
	if (gw->sigterm_ev != NULL)
		event_free(gw->sigterm_ev);
	if (gw->sigint_ev != NULL)
		event_free(gw->sigint_ev);
	ready_free();
	event_base_free(gw->base);
}

int
gateway_run(const struct config *cf)
{
	struct gateway *gw = calloc(1, sizeof *gw);
	char url[NI_MAXHOST + NI_MAXSERV + 16];
	int rv = -1;

	if (gw == NULL)
		fatal("%s", __func__);
	gw->cf = cf;
	gw->started = gateway_mono_ms();
	TAILQ_INIT(&gw->groups);
	LIST_INIT(&gw->conns);
	signal(SIGPIPE, SIG_IGN);
	gateway_rlimit(cf);
	if ((gw->base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	gw->sigterm_ev = evsignal_new(gw->base, SIGTERM, gateway_signal_cb, gw);
	gw->sigint_ev = evsignal_new(gw->base, SIGINT, gateway_signal_cb, gw);
	if (gw->sigterm_ev == NULL || gw->sigint_ev == NULL ||
	    evsignal_add(gw->sigterm_ev, NULL) == -1 ||
	    evsignal_add(gw->sigint_ev, NULL) == -1)
		fatalx("%s: cannot catch signals", __func__);
	state_init(&gw->state, cf->gateway.max_series, cf->gateway.history);
	if ((gw->www = realpath(cf->gateway.www, NULL)) == NULL)
		log_warn("www directory %s", cf->gateway.www);
	if (gateway_listen(gw, url, sizeof url) == -1 ||
	    gateway_bus_open(gw) == -1 || gateway_timers(gw) == -1)
		goto out;
	/* The URL always reaches stderr: as a log line or printed here. */
	log_info("listening on %s", url);
	if (log_get_verbose() < 1)
		fprintf(stderr, "vigil-gateway: listening on %s\n", url);
	log_info("bus %s, session %s", cf->bus, gw->state.session);
	ready_notify(gw->base);
	event_base_dispatch(gw->base);
	rv = 0;
out:
	gateway_free(gw);
	free(gw);
	return rv;
}
