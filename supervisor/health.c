/*
 * Publishes the health of every role on the bus. The state comes from the
 * child table; CPU time, RSS and the number of open fds come from
 * /proc/PID/stat, /proc/PID/statm and /proc/PID/fd, read once per
 * interval. A process that vanished between two reads is reported with
 * zeros, never as an error.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <nng/nng.h>

#include "common/bus.h"
#include "common/config.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/xmalloc.h"
#include "supervisor/child.h"
#include "supervisor/health.h"
#include "supervisor/supervisor.h"

static struct {
	nng_socket sock;
	int open;
	char *bus;
	char *host;
	struct event *timer;
	uint64_t seq;
} health;

void
health_fill(const struct child *c, int64_t now, struct proto_role *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", c->role);
	snprintf(r->state, sizeof r->state, "%s", child_state_name(c->state));
	if (child_running(c)) {
		r->pid = c->pid;
		r->uptime_ms = (now - c->started_ns) / 1000000;
	}
	r->restarts = c->restarts;
	child_status_short(c->last_status, r->exit, sizeof r->exit);
	if (c->state == CHILD_BACKOFF && c->retry_ns > now)
		r->retry_ms = (c->retry_ns - now) / 1000000;
}

/* utime + stime in clock ticks, from the fields after the comm. */
static int
health_ticks(const char *root, pid_t pid, uint64_t *ticks)
{
	char path[128], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/proc/%ld/stat", root, (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1,
	        " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
	        &st) != 2)
		return -1;
	*ticks = ut + st;
	return 0;
}

static int
health_rss(const char *root, pid_t pid, uint64_t *rss)
{
	char path[128];
	unsigned long long pages;
	FILE *f;
	int rv;

	snprintf(path, sizeof path, "%s/proc/%ld/statm", root, (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	rv = fscanf(f, "%*u %llu", &pages);
	fclose(f);
	if (rv != 1)
		return -1;
	*rss = pages * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

static int
health_fds(const char *root, pid_t pid, uint64_t *fds)
{
	char path[128];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof path, "%s/proc/%ld/fd", root, (long)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	*fds = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			(*fds)++;
	}
	closedir(d);
	return 0;
}

int
health_proc(struct child *c, const char *root, int64_t now,
    struct proto_role *r)
{
	uint64_t ticks;
	long hz = sysconf(_SC_CLK_TCK);

	if (!child_running(c))
		return 0;
	if (health_ticks(root, c->pid, &ticks) == -1 ||
	    health_rss(root, c->pid, &r->rss) == -1 ||
	    health_fds(root, c->pid, &r->fds) == -1)
		return -1;
	if (c->cpu_pid == c->pid && now > c->cpu_ns && ticks >= c->cpu_ticks)
		r->cpu = (double)(ticks - c->cpu_ticks) / hz * 1e9 /
		    (double)(now - c->cpu_ns) * 100.0;
	c->cpu_pid = c->pid;
	c->cpu_ticks = ticks;
	c->cpu_ns = now;
	return 0;
}

static void
health_publish(void)
{
	struct proto_health *h;
	struct child *cs;
	size_t n, i;
	int64_t now = proto_mono_ns();
	char *buf;
	size_t len;

	h = xcalloc(1, sizeof *h);
	h->version = PROTO_VERSION;
	snprintf(h->source, sizeof h->source, "vigild");
	snprintf(h->host, sizeof h->host, "%s", health.host);
	h->seq = health.seq++;
	h->time_ns = proto_now_ns();
	cs = supervisor_children(&n);
	for (i = 0; i < n && h->nroles < PROTO_ROLES_MAX; i++) {
		if (!supervisor_visible(&cs[i]))
			continue;
		health_fill(&cs[i], now, &h->roles[h->nroles]);
		health_proc(&cs[i], "", now, &h->roles[h->nroles]);
		h->nroles++;
	}
	if (proto_health_encode(h, &buf, &len) == 0) {
		bus_send(health.sock, PROTO_TOPIC_HEALTH, buf, len);
		free(buf);
	}
	free(h);
}

static void
health_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (health.open)
		health_publish();
}

static void
health_arm(const struct config *cf)
{
	struct timeval tv;

	tv.tv_sec = cf->health_interval_ms / 1000;
	tv.tv_usec = (cf->health_interval_ms % 1000) * 1000;
	event_del(health.timer);
	event_add(health.timer, &tv);
}

static void
health_dial(const struct config *cf)
{
	free(health.bus);
	free(health.host);
	health.bus = xstrdup(cf->bus);
	health.host = xstrdup(cf->host != NULL ? cf->host : "");
	/* Without the bus vigild still supervises; health is lost. */
	health.open = bus_pub_dial(&health.sock, cf->bus) == 0;
}

void
health_open(struct event_base *base, const struct config *cf)
{
	health_dial(cf);
	health.timer = event_new(base, -1, EV_PERSIST, health_cb, NULL);
	if (health.timer == NULL)
		fatalx("%s: event_new", __func__);
	health_arm(cf);
}

void
health_reopen(const struct config *cf)
{
	if (strcmp(health.bus, cf->bus) != 0 ||
	    strcmp(health.host, cf->host != NULL ? cf->host : "") != 0) {
		if (health.open)
			nng_close(health.sock);
		health_dial(cf);
	}
	health_arm(cf);
}

void
health_close(void)
{
	if (health.timer != NULL)
		event_free(health.timer);
	if (health.open)
		nng_close(health.sock);
	free(health.bus);
	free(health.host);
	memset(&health, 0, sizeof health);
}
