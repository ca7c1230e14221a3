/*
 * vigild's event loop and the life of each role's process. It owns the
 * child table: one struct child per known role, started with spawn_role(),
 * watched through its readiness pipe (a "ready" line, then "alive" lines),
 * one timer whose meaning follows the state (see child.h) and SIGCHLD, and
 * restarted as policy_decide() says. Every signal is a libevent event; the
 * handlers only run inside the loop.
 *
 * Stopping sends SIGTERM to a role's process group and arms its stop
 * timer, which sends SIGKILL; vigild leaves the loop once every child is
 * reaped, then removes the bus socket file, since a role killed hard cannot
 * remove it itself. Operator commands and reloads are in ops.c.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <paths.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "common/bus.h"
#include "common/config.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/xmalloc.h"
#include "supervisor/child.h"
#include "supervisor/control.h"
#include "supervisor/health.h"
#include "supervisor/policy.h"
#include "supervisor/spawn.h"
#include "supervisor/supervisor.h"
#include "supervisor/sv.h"

/* The shortest heartbeat period common/ready.c takes. */
#define SUPERVISOR_BEAT_MIN_MS 10

struct supervisor sv;

static char **
supervisor_argv(const struct child *c)
{
	char **argv;
	int i, n = 0;

	argv = xreallocarray(NULL, 4 + sv.verbose, sizeof *argv);
	argv[n++] = c->path;
	if (sv.conf != NULL) {
		argv[n++] = "-c";
		argv[n++] = sv.conf;
	}
	for (i = 0; i < sv.verbose; i++)
		argv[n++] = "-v";
	argv[n] = NULL;
	return argv;
}

static void
supervisor_close_ready(struct child *c)
{
	if (c->ready_ev != NULL) {
		event_free(c->ready_ev);
		c->ready_ev = NULL;
	}
	if (c->ready_fd != -1) {
		close(c->ready_fd);
		c->ready_fd = -1;
	}
	c->ready_len = 0;
}

const struct config_policy *
sv_policy(const struct child *c)
{
	return config_role_policy(sv.cf, (enum config_role)c->index);
}

void
sv_arm(struct child *c, unsigned ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/* Tell the service manager once every role is up (or given up on). */
void
sv_notify_ready(void)
{
	size_t i;

	if (sv.notified || sv.stopping)
		return;
	for (i = 0; i < CONFIG_NROLES; i++) {
		if (sv.children[i].configured &&
		    sv.children[i].state != CHILD_READY &&
		    sv.children[i].state != CHILD_FAILED)
			return;
	}
	sv.notified = 1;
	log_info("all roles started");
	sd_notify(0, "READY=1");
}

static void
supervisor_line(struct child *c, const char *line)
{
	const struct config_policy *p = sv_policy(c);

	if (strcmp(line, "ready") == 0 && c->state == CHILD_STARTING) {
		log_info("role %s ready (pid %ld)", c->role, (long)c->pid);
		child_apply(c, CHILD_EV_READY);
		evtimer_del(c->timer);
		if (p->watchdog_ms != 0)
			sv_arm(c, p->watchdog_ms);
		sv_notify_ready();
	} else if (strcmp(line, "alive") == 0 && c->state == CHILD_READY) {
		if (p->watchdog_ms != 0)
			sv_arm(c, p->watchdog_ms);
	} else if (strcmp(line, "ready") != 0 && strcmp(line, "alive") != 0)
		log_debug("role %s: unknown line on the readiness fd", c->role);
}

/* Handle every complete line in the buffer; keep a partial one. */
static void
supervisor_lines(struct child *c)
{
	char *nl, *start = c->ready_buf;
	size_t left = c->ready_len;

	while ((nl = memchr(start, '\n', left)) != NULL) {
		*nl = '\0';
		supervisor_line(c, start);
		left -= nl + 1 - start;
		start = nl + 1;
	}
	memmove(c->ready_buf, start, left);
	c->ready_len = left;
}

static void
supervisor_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;
	ssize_t n;

	(void)what;
	n = read(fd, c->ready_buf + c->ready_len,
	    sizeof c->ready_buf - c->ready_len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n == -1)
			log_warn("role %s: readiness pipe", c->role);
		else
			log_debug("role %s closed its readiness fd", c->role);
		supervisor_close_ready(c);
		return;
	}
	c->ready_len += n;
	supervisor_lines(c);
	if (c->ready_len == sizeof c->ready_buf) {
		log_warnx("role %s: line too long on the readiness fd",
		    c->role);
		supervisor_close_ready(c);
	}
}

/* Send sig to c's process group; its own group reaches what it started. */
void
sv_signal(struct child *c, int sig)
{
	if (!child_running(c))
		return;
	if (kill(-c->pid, sig) == -1 && kill(c->pid, sig) == -1 &&
	    errno != ESRCH)
		log_warn("kill %ld", (long)c->pid);
}

/* Three beats per watchdog period, no faster than ready.c accepts. */
static unsigned
supervisor_beat(const struct config_policy *p)
{
	if (p->watchdog_ms == 0)
		return 0;
	return p->watchdog_ms / 3 < SUPERVISOR_BEAT_MIN_MS
	    ? SUPERVISOR_BEAT_MIN_MS
	    : p->watchdog_ms / 3;
}

void
sv_start(struct child *c)
{
	const struct config_policy *p = sv_policy(c);
	char **argv;
	int rv;

	free(c->path);
	xasprintf(&c->path, "%s/vigil-%s", sv.cf->bindir, c->role);
	c->retry_ns = 0;
	c->kill_reason = NULL;
	if (access(c->path, X_OK) == -1) {
		log_warn("role %s: %s", c->role, c->path);
		child_apply(c, CHILD_EV_NOT_FOUND);
		sv_notify_ready();
		return;
	}
	argv = supervisor_argv(c);
	rv = spawn_role(c->path, argv, sv.cred, supervisor_beat(p), &c->pid,
	    &c->ready_fd);
	free(argv);
	if (rv == -1) {
		child_apply(c, CHILD_EV_SPAWN_FAILED);
		c->retry_ns = proto_mono_ns() + p->backoff_min_ms * 1000000LL;
		sv_arm(c, p->backoff_min_ms);
		return;
	}
	c->ready_ev = event_new(sv.base, c->ready_fd, EV_READ | EV_PERSIST,
	    supervisor_ready_cb, c);
	if (c->ready_ev == NULL || event_add(c->ready_ev, NULL) == -1)
		fatalx("%s: cannot watch the readiness pipe", __func__);
	c->started_ns = proto_mono_ns();
	log_info("role %s started (pid %ld)", c->role, (long)c->pid);
	child_apply(c, CHILD_EV_SPAWNED);
	sv_arm(c, p->ready_timeout_ms);
}

/* Kill a child that vigild gave up on waiting for; reaped as usual. */
static void
supervisor_kill(struct child *c, const char *reason, unsigned ms)
{
	c->kill_reason = reason;
	log_warnx("role %s (pid %ld) %s after %u ms: killing it", c->role,
	    (long)c->pid, reason, ms);
	sv_signal(c, SIGKILL);
}

/* The one timer of a child; what it means depends on the state. */
static void
supervisor_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	const struct config_policy *p;
	struct child *c = arg;

	(void)fd;
	(void)what;
	p = sv_policy(c);
	switch (c->state) {
	case CHILD_BACKOFF:
		if (!sv.stopping) {
			c->restarts++;
			sv_start(c);
		}
		break;
	case CHILD_STARTING:
		supervisor_kill(c, "not ready", p->ready_timeout_ms);
		break;
	case CHILD_READY:
		supervisor_kill(c, "hung: no heartbeat", p->watchdog_ms);
		break;
	case CHILD_STOPPING:
		log_warnx("role %s (pid %ld) still running %u ms after "
		          "SIGTERM: killing it",
		    c->role, (long)c->pid, p->stop_timeout_ms);
		sv_signal(c, SIGKILL);
		break;
	default:
		break;
	}
}

/* The process of c ended after it was asked to: stopped, or restarted. */
static void
supervisor_stopped(struct child *c, pid_t pid, const char *how)
{
	log_info("role %s (pid %ld) stopped: %s", c->role, (long)pid, how);
	child_apply(c, CHILD_EV_EXIT_STOPPED);
	if (c->restart_after_stop && c->configured && !sv.stopping) {
		c->restart_after_stop = 0;
		c->restarts++;
		sv_start(c);
	}
	c->restart_after_stop = 0;
}

static void
supervisor_exited(struct child *c, int status)
{
	struct policy_input in;
	enum policy_action action;
	unsigned delay;
	char how[128];
	pid_t pid = c->pid;

	supervisor_close_ready(c);
	evtimer_del(c->timer);
	c->pid = -1;
	c->last_status = status;
	child_status_string(status, how, sizeof how);

	memset(&in, 0, sizeof in);
	in.state = c->state;
	in.status = status;
	in.uptime_ms = (proto_mono_ns() - c->started_ns) / 1000000;
	in.failed_start = c->state == CHILD_STARTING && c->kill_reason != NULL;
	in.now_ms = proto_mono_ns() / 1000000;
	in.random = arc4random();
	action = policy_decide(sv_policy(c), c->history, &in, &delay);

	switch (action) {
	case POLICY_STOPPED:
		supervisor_stopped(c, pid, how);
		break;
	case POLICY_GIVE_UP:
	case POLICY_CRASH_LOOP:
		log_warnx("role %s (pid %ld) %s: %s, not restarting it",
		    c->role, (long)pid, how,
		    action == POLICY_GIVE_UP ? "it cannot run as configured"
		                             : "crash budget spent");
		child_apply(c, CHILD_EV_EXIT_GIVE_UP);
		sv_notify_ready();
		break;
	case POLICY_RESTART:
		log_warnx("role %s (pid %ld) %s: restarting in %u ms", c->role,
		    (long)pid, how, delay);
		child_apply(c, CHILD_EV_EXIT_RESTART);
		if (delay == 0) {
			c->restarts++;
			sv_start(c);
			break;
		}
		c->retry_ns = proto_mono_ns() + delay * 1000000LL;
		sv_arm(c, delay);
		break;
	}
}

static struct child *
supervisor_find(pid_t pid)
{
	size_t i;

	for (i = 0; i < CONFIG_NROLES; i++) {
		if (sv.children[i].pid == pid)
			return &sv.children[i];
	}
	return NULL;
}

static int
supervisor_all_stopped(void)
{
	size_t i;

	for (i = 0; i < CONFIG_NROLES; i++) {
		if (child_running(&sv.children[i]))
			return 0;
	}
	return 1;
}

static void
supervisor_reap(void)
{
	struct child *c;
	pid_t pid;
	int status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == 0 || (pid == -1 && errno == ECHILD))
			break;
		if (pid == -1) {
			if (errno == EINTR)
				continue;
			log_warn("waitpid");
			break;
		}
		if ((c = supervisor_find(pid)) == NULL) {
			log_debug("reaped unknown pid %ld", (long)pid);
			continue;
		}
		supervisor_exited(c, status);
	}
	if (sv.stopping && supervisor_all_stopped())
		event_base_loopbreak(sv.base);
}

/* Ask c to stop: SIGTERM and the stop timer if it runs, else STOPPED. */
void
sv_stop(struct child *c)
{
	c->retry_ns = 0;
	if (c->state == CHILD_STOPPING)
		return; /* its stop timer is already running */
	evtimer_del(c->timer);
	if (child_running(c)) {
		sv_signal(c, SIGTERM);
		sv_arm(c, sv_policy(c)->stop_timeout_ms);
	}
	child_apply(c, CHILD_EV_STOP);
}

void
supervisor_shutdown(void)
{
	size_t i;

	if (sv.stopping)
		return;
	sv.stopping = 1;
	sd_notify(0, "STOPPING=1");
	for (i = 0; i < CONFIG_NROLES; i++)
		sv_stop(&sv.children[i]);
	if (supervisor_all_stopped())
		event_base_loopbreak(sv.base);
}

static void
supervisor_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	char err[512];
	size_t i;

	(void)what;
	(void)arg;
	switch (sig) {
	case SIGCHLD:
		supervisor_reap();
		break;
	case SIGHUP:
		log_info("SIGHUP: reloading %s",
		    sv.cf->path != NULL ? sv.cf->path : "(defaults)");
		if (supervisor_reload(err, sizeof err) == -1)
			log_warnx("reload refused: %s", err);
		break;
	case SIGTERM:
	case SIGINT:
		if (sv.stopping) {
			log_info("signal %d again: killing the roles now",
			    (int)sig);
			for (i = 0; i < CONFIG_NROLES; i++)
				sv_signal(&sv.children[i], SIGKILL);
			break;
		}
		log_info("%s: stopping the roles",
		    sig == SIGTERM ? "SIGTERM" : "SIGINT");
		supervisor_shutdown();
		break;
	}
}

static struct event *
supervisor_evsignal(int sig)
{
	struct event *ev;

	ev = evsignal_new(sv.base, sig, supervisor_signal_cb, NULL);
	if (ev == NULL || evsignal_add(ev, NULL) == -1)
		fatalx("%s: signal %d", __func__, sig);
	return ev;
}

/*
 * Keep fds 0-2 taken, so no pipe or socket of vigild lands there and gets
 * clobbered when a child sets up its stdin.
 */
static void
supervisor_stdio(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) == -1 &&
		    open(_PATH_DEVNULL, O_RDWR) != fd)
			fatal("%s: %s", __func__, _PATH_DEVNULL);
	}
}

static void
supervisor_setup(struct config *cf, const struct spawn_cred *cred, int verbose)
{
	struct child *c;
	char *abs;
	int i;

	supervisor_stdio();
	memset(&sv, 0, sizeof sv);
	sv.cf = cf;
	if (cred != NULL) {
		sv.cred_buf = *cred;
		sv.cred = &sv.cred_buf;
	}
	sv.verbose = verbose;
	if (cf->path != NULL) {
		/* Children must find it wherever their cwd is. */
		abs = realpath(cf->path, NULL);
		sv.conf = abs != NULL ? abs : xstrdup(cf->path);
	}
	if ((sv.base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	signal(SIGPIPE, SIG_IGN);
	sv.ev_term = supervisor_evsignal(SIGTERM);
	sv.ev_int = supervisor_evsignal(SIGINT);
	sv.ev_hup = supervisor_evsignal(SIGHUP);
	sv.ev_chld = supervisor_evsignal(SIGCHLD);
	for (i = 0; i < CONFIG_NROLES; i++) {
		c = &sv.children[i];
		c->role = config_role_names[i];
		c->index = i;
		c->state = CHILD_STOPPED;
		c->pid = -1;
		c->ready_fd = -1;
		c->last_status = -1;
		c->configured = config_has_role(cf, c->role);
		c->history = xcalloc(1, sizeof *c->history);
		c->timer = evtimer_new(sv.base, supervisor_timer_cb, c);
		if (c->timer == NULL)
			fatalx("%s: evtimer_new", __func__);
	}
}

static void
supervisor_teardown(void)
{
	struct child *c;
	size_t i;

	for (i = 0; i < CONFIG_NROLES; i++) {
		c = &sv.children[i];
		supervisor_close_ready(c);
		event_free(c->timer);
		free(c->history);
		free(c->path);
	}
	event_free(sv.ev_term);
	event_free(sv.ev_int);
	event_free(sv.ev_hup);
	event_free(sv.ev_chld);
	event_base_free(sv.base);
	free(sv.conf);
	memset(&sv, 0, sizeof sv);
}

int
supervisor_run(struct config *cf, const struct spawn_cred *cred, int verbose)
{
	size_t i;

	supervisor_setup(cf, cred, verbose);
	/* A bus socket file left by a gateway that was killed hard. */
	bus_unlink(cf->bus);
	if (control_open(sv.base, cf->control) == -1) {
		supervisor_teardown();
		return 1;
	}
	health_open(sv.base, cf);
	log_info("starting roles from %s: %s", sv.cf->bindir,
	    cf->roles != NULL ? cf->roles : "");
	for (i = 0; i < CONFIG_NROLES; i++) {
		if (sv.children[i].configured)
			sv_start(&sv.children[i]);
	}
	sv_notify_ready();

	if (event_base_dispatch(sv.base) == -1)
		fatalx("%s: event_base_dispatch", __func__);

	health_close();
	control_close();
	supervisor_teardown();
	bus_unlink(cf->bus);
	log_info("stopped");
	return 0;
}
