/*
 * The control socket. Each connection carries one request line and gets
 * one JSON line back, then vigild closes it. Peers are checked with
 * SO_PEERCRED: only root and vigild's own uid may talk to it, on top of the
 * 0600 mode of the socket file. A client that sends nothing within
 * CONTROL_TIMEOUT_MS, or a line longer than CONTROL_LINE_MAX, is closed.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "common/log.h"
#include "common/proto.h"
#include "common/xmalloc.h"
#include "supervisor/child.h"
#include "supervisor/control.h"
#include "supervisor/health.h"
#include "supervisor/supervisor.h"

#define CONTROL_REPLY_MAX 8192

struct control_conn {
	struct bufferevent *bev;
	int shutdown; /* shut vigild down once the reply is out */
	LIST_ENTRY(control_conn) entry;
};

static struct {
	struct evconnlistener *listener;
	char *path;
	unsigned nconns;
	LIST_HEAD(, control_conn) conns;
} control;

/* Append printf output to out, keeping it NUL-terminated. */
static void __attribute__((format(printf, 3, 4)))
control_cat(char *out, size_t outlen, const char *fmt, ...)
{
	size_t used = strlen(out);
	va_list ap;

	if (used + 1 >= outlen)
		return;
	va_start(ap, fmt);
	vsnprintf(out + used, outlen - used, fmt, ap);
	va_end(ap);
}

/* s as a JSON string body: quotes, backslashes and controls escaped. */
static void
control_cat_str(char *out, size_t outlen, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			control_cat(out, outlen, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			control_cat(out, outlen, "\\u%04x", (unsigned char)*s);
		else
			control_cat(out, outlen, "%c", *s);
	}
}

static void
control_error(char *out, size_t outlen, const char *err)
{
	out[0] = '\0';
	control_cat(out, outlen, "{\"ok\":false,\"error\":\"");
	control_cat_str(out, outlen, err);
	control_cat(out, outlen, "\"}");
}

static void
control_status(char *out, size_t outlen)
{
	struct proto_role r;
	struct child *cs;
	int64_t now = proto_mono_ns();
	size_t n, i;
	int first = 1;

	out[0] = '\0';
	control_cat(out, outlen, "{\"ok\":true,\"roles\":[");
	cs = supervisor_children(&n);
	for (i = 0; i < n; i++) {
		if (!supervisor_visible(&cs[i]))
			continue;
		health_fill(&cs[i], now, &r);
		control_cat(out, outlen,
		    "%s{\"role\":\"%s\",\"state\":\"%s\",\"pid\":%" PRId64
		    ",\"uptime_ms\":%" PRId64 ",\"restarts\":%" PRIu64
		    ",\"exit\":\"%s\",\"retry_ms\":%" PRId64 "}",
		    first ? "" : ",", r.name, r.state, r.pid, r.uptime_ms,
		    r.restarts, r.exit, r.retry_ms);
		first = 0;
	}
	control_cat(out, outlen, "]}");
}

static const struct {
	const char *name;
	int (*fn)(struct child *, char *, size_t);
} control_role_cmds[] = {
	{ .name = "start", .fn = supervisor_start_role },
	{ .name = "stop", .fn = supervisor_stop_role },
	{ .name = "restart", .fn = supervisor_restart_role },
	{ .name = "reset", .fn = supervisor_reset_role },
};

static void
control_role_cmd(size_t k, const char *arg, char *out, size_t outlen)
{
	char err[256];
	struct child *c;

	if (*arg == '\0') {
		snprintf(err, sizeof err, "%s needs a role",
		    control_role_cmds[k].name);
		control_error(out, outlen, err);
		return;
	}
	if ((c = supervisor_lookup(arg, err, sizeof err)) == NULL ||
	    control_role_cmds[k].fn(c, err, sizeof err) == -1) {
		control_error(out, outlen, err);
		return;
	}
	snprintf(out, outlen, "{\"ok\":true}");
}

int
control_handle(const char *line, char *out, size_t outlen)
{
	char cmd[32], arg[CONTROL_LINE_MAX], err[512];
	size_t k, len;

	len = strcspn(line, " ");
	snprintf(cmd, sizeof cmd, "%.*s", (int)len, line);
	snprintf(arg, sizeof arg, "%s", line + len + strspn(line + len, " "));
	for (k = 0; k < sizeof control_role_cmds / sizeof control_role_cmds[0];
	     k++) {
		if (strcmp(cmd, control_role_cmds[k].name) == 0) {
			control_role_cmd(k, arg, out, outlen);
			return 0;
		}
	}
	if (*arg != '\0' &&
	    (strcmp(cmd, "status") == 0 || strcmp(cmd, "reload") == 0 ||
	        strcmp(cmd, "shutdown") == 0)) {
		snprintf(err, sizeof err, "%s takes no argument", cmd);
		control_error(out, outlen, err);
	} else if (strcmp(cmd, "status") == 0)
		control_status(out, outlen);
	else if (strcmp(cmd, "reload") == 0) {
		if (supervisor_reload(err, sizeof err) == -1) {
			log_warnx("reload refused: %s", err);
			control_error(out, outlen, err);
		} else
			snprintf(out, outlen, "{\"ok\":true}");
	} else if (strcmp(cmd, "shutdown") == 0) {
		snprintf(out, outlen, "{\"ok\":true}");
		return 1;
	} else {
		snprintf(err, sizeof err, "unknown command '%s'", cmd);
		control_error(out, outlen, err);
	}
	return 0;
}

static void
control_conn_free(struct control_conn *cc)
{
	int shutdown = cc->shutdown;

	LIST_REMOVE(cc, entry);
	bufferevent_free(cc->bev);
	free(cc);
	control.nconns--;
	if (shutdown) {
		log_info("shutdown asked on the control socket");
		supervisor_shutdown();
	}
}

static void
control_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn *cc = arg;
	char *line, *out;
	size_t len;

	line =
	    evbuffer_readln(bufferevent_get_input(bev), &len, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(bufferevent_get_input(bev)) >=
		    CONTROL_LINE_MAX) {
			log_warnx("control: request line too long");
			control_conn_free(cc);
		}
		return;
	}
	out = xmalloc(CONTROL_REPLY_MAX);
	if (len >= CONTROL_LINE_MAX)
		control_error(out, CONTROL_REPLY_MAX, "request line too long");
	else
		cc->shutdown = control_handle(line, out, CONTROL_REPLY_MAX);
	control_cat(out, CONTROL_REPLY_MAX, "\n");
	bufferevent_disable(bev, EV_READ);
	bufferevent_write(bev, out, strlen(out));
	free(out);
	free(line);
}

static void
control_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	control_conn_free(arg);
}

static void
control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("control: client sent no request in time");
	control_conn_free(arg);
}

/* Only root and vigild's own uid may use the socket. */
static int
control_peer_ok(int fd)
{
	struct ucred uc;
	socklen_t len = sizeof uc;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		return 0;
	}
	if (uc.uid != 0 && uc.uid != geteuid()) {
		log_warnx("control: refused uid %u (pid %ld)", (unsigned)uc.uid,
		    (long)uc.pid);
		return 0;
	}
	return 1;
}

static void
control_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control_conn *cc;
	struct timeval tv;

	(void)sa;
	(void)salen;
	(void)arg;
	if (control.nconns >= CONTROL_CLIENTS_MAX || !control_peer_ok(fd)) {
		close(fd);
		return;
	}
	cc = xcalloc(1, sizeof *cc);
	cc->bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (cc->bev == NULL)
		fatalx("%s: bufferevent_socket_new", __func__);
	control.nconns++;
	LIST_INSERT_HEAD(&control.conns, cc, entry);
	tv.tv_sec = CONTROL_TIMEOUT_MS / 1000;
	tv.tv_usec = (CONTROL_TIMEOUT_MS % 1000) * 1000;
	bufferevent_set_timeouts(cc->bev, &tv, &tv);
	bufferevent_setcb(cc->bev, control_read_cb, control_write_cb,
	    control_event_cb, cc);
	bufferevent_enable(cc->bev, EV_READ);
}

/*
 * The socket is bound under a temporary name and renamed once it listens,
 * so a client that sees the path never gets ECONNREFUSED.
 */
int
control_open(struct event_base *base, const char *path)
{
	struct sockaddr_un sun;
	mode_t old;
	int n;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof sun.sun_path, "%s.new", path);
	if (n < 0 || (size_t)n >= sizeof sun.sun_path) {
		log_warnx("control socket path too long: %s", path);
		return -1;
	}
	/* A second vigild is kept out by the pidfile lock, not here. */
	if (unlink(sun.sun_path) == -1 && errno != ENOENT)
		log_warn("unlink %s", sun.sun_path);
	old = umask(0177);
	control.listener = evconnlistener_new_bind(base, control_accept_cb,
	    NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (control.listener == NULL) {
		log_warn("control socket %s", sun.sun_path);
		return -1;
	}
	if (chmod(sun.sun_path, 0600) == -1 ||
	    rename(sun.sun_path, path) == -1) {
		log_warn("control socket %s", path);
		evconnlistener_free(control.listener);
		control.listener = NULL;
		unlink(sun.sun_path);
		return -1;
	}
	control.path = xstrdup(path);
	LIST_INIT(&control.conns);
	return 0;
}

void
control_close(void)
{
	struct control_conn *cc;

	while ((cc = LIST_FIRST(&control.conns)) != NULL) {
		cc->shutdown = 0;
		control_conn_free(cc);
	}
	if (control.listener != NULL)
		evconnlistener_free(control.listener);
	if (control.path != NULL && unlink(control.path) == 0)
		log_debug("removed %s", control.path);
	free(control.path);
	memset(&control, 0, sizeof control);
}
