/*
 * vigild's event loop. It owns the child table: one struct child per role
 * in the config, started with spawn_role(), watched through a readiness
 * pipe and SIGCHLD, restarted on a timer as policy_decide() says. Every
 * signal is a libevent event; the handlers only run inside the loop.
 *
 * Stopping sends SIGTERM to every role's process group at once, waits up to
 * stop_timeout_ms, sends SIGKILL to what is left, and returns only once
 * every child is reaped; then the bus socket file is removed, since a role
 * killed hard cannot remove it itself.
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
#include "supervisor/policy.h"
#include "supervisor/spawn.h"
#include "supervisor/supervisor.h"

#define ROLE_NAME_MAX 32
#define ROLE_NAME_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"

struct supervisor {
	struct config *cf;
	struct event_base *base;
	struct policy policy;
	char *bindir; /* where the role binaries are */
	char *conf;   /* absolute config path for -c, or NULL */
	int verbose;  /* -v count passed on */
	int stopping;
	int notified; /* READY=1 sent to the service manager */

	struct child children[CONFIG_NROLES];
	size_t nchildren;

	struct event *ev_term;
	struct event *ev_int;
	struct event *ev_hup;
	struct event *ev_chld;
	struct event *stop_timer;
};

static struct supervisor sv;

static void supervisor_start(struct child *);

static int
supervisor_role_ok(const char *role, size_t len)
{
	size_t i;

	if (len == 0 || len > ROLE_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (strchr(ROLE_NAME_CHARS, role[i]) == NULL)
			return 0;
	}
	return 1;
}

/* Call fn on each role name in cf->roles; stop at the first -1. */
static int
supervisor_roles(
    const struct config *cf, int (*fn)(const char *, size_t, void *), void *arg)
{
	const char *p, *sep = " \t,";
	size_t len;

	if (cf->roles == NULL)
		return 0;
	for (p = cf->roles; *p != '\0'; p += len) {
		p += strspn(p, sep);
		len = strcspn(p, sep);
		if (len != 0 && fn(p, len, arg) == -1)
			return -1;
	}
	return 0;
}

struct supervisor_check_arg {
	char names[CONFIG_NROLES][ROLE_NAME_MAX + 1];
	size_t n;
	char *err;
	size_t errlen;
};

static int
supervisor_check_role(const char *role, size_t len, void *arg)
{
	struct supervisor_check_arg *ca = arg;
	size_t i;

	if (!supervisor_role_ok(role, len)) {
		snprintf(ca->err, ca->errlen, "bad role name \"%.*s\"",
		    (int)len, role);
		return -1;
	}
	for (i = 0; i < ca->n; i++) {
		if (strlen(ca->names[i]) == len &&
		    strncmp(ca->names[i], role, len) == 0) {
			snprintf(ca->err, ca->errlen, "role %.*s listed twice",
			    (int)len, role);
			return -1;
		}
	}
	if (ca->n == CONFIG_NROLES) {
		snprintf(ca->err, ca->errlen, "more than %d roles",
		    CONFIG_NROLES);
		return -1;
	}
	memcpy(ca->names[ca->n], role, len);
	ca->names[ca->n++][len] = '\0';
	return 0;
}

int
supervisor_check(const struct config *cf, char *err, size_t errlen)
{
	struct supervisor_check_arg ca;
	char reason[128];

	memset(&ca, 0, sizeof ca);
	ca.err = reason;
	ca.errlen = sizeof reason;
	if (supervisor_roles(cf, supervisor_check_role, &ca) == -1) {
		snprintf(err, errlen, "%s: roles: %s",
		    cf->path != NULL ? cf->path : "(defaults)", reason);
		return -1;
	}
	return 0;
}

/* cf->bindir, else the directory vigild itself was run from. */
static char *
supervisor_bindir(const struct config *cf)
{
	char path[PATH_MAX], *slash;
	ssize_t n;

	if (cf->bindir != NULL)
		return xstrdup(cf->bindir);
	n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n == -1)
		fatal("%s: readlink /proc/self/exe", __func__);
	path[n] = '\0';
	if ((slash = strrchr(path, '/')) == NULL)
		fatalx("%s: no directory in %s", __func__, path);
	if (slash == path)
		slash++;
	*slash = '\0';
	return xstrdup(path);
}

static int
supervisor_add_role(const char *role, size_t len, void *arg)
{
	struct child *c;

	(void)arg;
	c = &sv.children[sv.nchildren++];
	memset(c, 0, sizeof *c);
	c->role = xstrndup(role, len);
	xasprintf(&c->path, "%s/vigil-%s", sv.bindir, c->role);
	c->state = CHILD_STOPPED;
	c->pid = -1;
	c->ready_fd = -1;
	c->last_status = -1;
	return 0;
}

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

/* Tell the service manager once every role is up (or given up on). */
static void
supervisor_notify_ready(void)
{
	size_t i;

	if (sv.notified || sv.stopping)
		return;
	for (i = 0; i < sv.nchildren; i++) {
		if (sv.children[i].state != CHILD_READY &&
		    sv.children[i].state != CHILD_FAILED)
			return;
	}
	sv.notified = 1;
	log_info("all roles started");
	sd_notify(0, "READY=1");
}

static void
supervisor_ready_line(struct child *c)
{
	supervisor_close_ready(c);
	if (c->state != CHILD_STARTING)
		return;
	log_info("role %s ready (pid %ld)", c->role, (long)c->pid);
	child_apply(c, CHILD_EV_READY);
	supervisor_notify_ready();
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
	if (n == -1) {
		log_warn("role %s: readiness pipe", c->role);
		supervisor_close_ready(c);
		return;
	}
	if (n == 0) {
		log_debug("role %s closed its readiness fd", c->role);
		supervisor_close_ready(c);
		return;
	}
	c->ready_len += n;
	if (memchr(c->ready_buf, '\n', c->ready_len) != NULL) {
		supervisor_ready_line(c);
		return;
	}
	if (c->ready_len == sizeof c->ready_buf) {
		log_warnx("role %s: readiness line too long", c->role);
		supervisor_close_ready(c);
	}
}

static void
supervisor_schedule(struct child *c, unsigned delay_ms)
{
	struct timeval tv;

	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

static void
supervisor_start(struct child *c)
{
	char **argv;
	int rv;

	if (access(c->path, X_OK) == -1) {
		log_warn("role %s: %s", c->role, c->path);
		child_apply(c, CHILD_EV_NOT_FOUND);
		supervisor_notify_ready();
		return;
	}
	argv = supervisor_argv(c);
	rv = spawn_role(c->path, argv, &c->pid, &c->ready_fd);
	free(argv);
	if (rv == -1) {
		child_apply(c, CHILD_EV_SPAWN_FAILED);
		supervisor_schedule(c, sv.policy.restart_delay_ms);
		return;
	}
	c->ready_ev = event_new(
	    sv.base, c->ready_fd, EV_READ | EV_PERSIST, supervisor_ready_cb, c);
	if (c->ready_ev == NULL || event_add(c->ready_ev, NULL) == -1)
		fatalx("%s: cannot watch the readiness pipe", __func__);
	c->started_ns = proto_mono_ns();
	log_info("role %s started (pid %ld)", c->role, (long)c->pid);
	child_apply(c, CHILD_EV_SPAWNED);
}

static void
supervisor_restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;

	(void)fd;
	(void)what;
	if (sv.stopping)
		return;
	c->restarts++;
	supervisor_start(c);
}

static int
supervisor_all_stopped(void)
{
	size_t i;

	for (i = 0; i < sv.nchildren; i++) {
		if (child_running(&sv.children[i]))
			return 0;
	}
	return 1;
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
	c->pid = -1;
	c->last_status = status;
	child_status_string(status, how, sizeof how);

	memset(&in, 0, sizeof in);
	in.state = c->state;
	in.status = status;
	in.restarts = c->restarts;
	in.uptime_ms = (proto_mono_ns() - c->started_ns) / 1000000;
	action = policy_decide(&sv.policy, &in, &delay);

	switch (action) {
	case POLICY_STOPPED:
		log_info(
		    "role %s (pid %ld) stopped: %s", c->role, (long)pid, how);
		child_apply(c, CHILD_EV_EXIT_STOPPED);
		break;
	case POLICY_GIVE_UP:
		log_warnx("role %s (pid %ld) %s: not restarting it", c->role,
		    (long)pid, how);
		child_apply(c, CHILD_EV_EXIT_GIVE_UP);
		supervisor_notify_ready();
		break;
	case POLICY_RESTART:
		log_warnx("role %s (pid %ld) %s: restarting in %u ms", c->role,
		    (long)pid, how, delay);
		child_apply(c, CHILD_EV_EXIT_RESTART);
		supervisor_schedule(c, delay);
		break;
	}
}

static struct child *
supervisor_find(pid_t pid)
{
	size_t i;

	for (i = 0; i < sv.nchildren; i++) {
		if (sv.children[i].pid == pid)
			return &sv.children[i];
	}
	return NULL;
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

static void
supervisor_signal_all(int sig)
{
	struct child *c;
	size_t i;

	for (i = 0; i < sv.nchildren; i++) {
		c = &sv.children[i];
		if (!child_running(c))
			continue;
		if (sig == SIGKILL)
			log_warnx("role %s (pid %ld) still running: killing it",
			    c->role, (long)c->pid);
		/* Its own process group: reaches anything it started too. */
		if (kill(-c->pid, sig) == -1 && kill(c->pid, sig) == -1 &&
		    errno != ESRCH)
			log_warn("kill %ld", (long)c->pid);
	}
}

static void
supervisor_stop_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	supervisor_signal_all(SIGKILL);
}

static void
supervisor_stop(void)
{
	struct child *c;
	struct timeval tv;
	size_t i;

	sv.stopping = 1;
	sd_notify(0, "STOPPING=1");
	supervisor_signal_all(SIGTERM);
	for (i = 0; i < sv.nchildren; i++) {
		c = &sv.children[i];
		evtimer_del(c->timer);
		child_apply(c, CHILD_EV_STOP);
	}
	if (supervisor_all_stopped()) {
		event_base_loopbreak(sv.base);
		return;
	}
	tv.tv_sec = sv.cf->policy.stop_timeout_ms / 1000;
	tv.tv_usec = (sv.cf->policy.stop_timeout_ms % 1000) * 1000;
	evtimer_add(sv.stop_timer, &tv);
}

static void
supervisor_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	const char *name;

	(void)what;
	(void)arg;
	switch (sig) {
	case SIGCHLD:
		supervisor_reap();
		break;
	case SIGHUP:
		log_warnx("SIGHUP: reloading is not implemented yet");
		break;
	case SIGTERM:
	case SIGINT:
		name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
		if (sv.stopping) {
			log_info("%s again: killing the roles now", name);
			supervisor_signal_all(SIGKILL);
			break;
		}
		log_info("%s: stopping the roles", name);
		supervisor_stop();
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
supervisor_setup(struct config *cf, int verbose)
{
	char *abs;
	size_t i;

	supervisor_stdio();
	memset(&sv, 0, sizeof sv);
	sv.cf = cf;
	sv.verbose = verbose;
	sv.policy.restart_delay_ms = cf->policy.backoff_min_ms;
	if (cf->path != NULL) {
		/* Children must find it wherever their cwd is. */
		abs = realpath(cf->path, NULL);
		sv.conf = abs != NULL ? abs : xstrdup(cf->path);
	}
	sv.bindir = supervisor_bindir(cf);
	if ((sv.base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	signal(SIGPIPE, SIG_IGN);
	sv.ev_term = supervisor_evsignal(SIGTERM);
	sv.ev_int = supervisor_evsignal(SIGINT);
	sv.ev_hup = supervisor_evsignal(SIGHUP);
	sv.ev_chld = supervisor_evsignal(SIGCHLD);
	sv.stop_timer = evtimer_new(sv.base, supervisor_stop_timeout_cb, NULL);
	if (sv.stop_timer == NULL)
		fatalx("%s: evtimer_new", __func__);

	supervisor_roles(cf, supervisor_add_role, NULL);
	for (i = 0; i < sv.nchildren; i++) {
		sv.children[i].timer = evtimer_new(
		    sv.base, supervisor_restart_cb, &sv.children[i]);
		if (sv.children[i].timer == NULL)
			fatalx("%s: evtimer_new", __func__);
	}
}

static void
supervisor_teardown(void)
{
	struct child *c;
	size_t i;

	for (i = 0; i < sv.nchildren; i++) {
		c = &sv.children[i];
		supervisor_close_ready(c);
		event_free(c->timer);
		free(c->role);
		free(c->path);
	}
	event_free(sv.stop_timer);
	event_free(sv.ev_term);
	event_free(sv.ev_int);
	event_free(sv.ev_hup);
	event_free(sv.ev_chld);
	event_base_free(sv.base);
	free(sv.bindir);
	free(sv.conf);
	memset(&sv, 0, sizeof sv);
}

int
supervisor_run(struct config *cf, int verbose)
{
	char err[256];
	size_t i;

	if (supervisor_check(cf, err, sizeof err) == -1) {
		log_warnx("%s", err);
		return EXIT_CONFIG;
	}
	if (config_make_rundir(cf) == -1)
		return 1;
	/* A bus socket file left by a gateway that was killed hard. */
	bus_unlink(cf->bus);

	supervisor_setup(cf, verbose);
	log_info("starting roles from %s: %s", sv.bindir,
	    cf->roles != NULL ? cf->roles : "");
	for (i = 0; i < sv.nchildren; i++)
		supervisor_start(&sv.children[i]);
	supervisor_notify_ready();

	if (event_base_dispatch(sv.base) == -1)
		fatalx("%s: event_base_dispatch", __func__);

	supervisor_teardown();
	bus_unlink(cf->bus);
	log_info("stopped");
	return 0;
}
