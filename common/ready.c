/*
 * Readiness and heartbeats to vigild over the inherited fd named by
 * VIGIL_READY_FD: one "ready" line, then an "alive" line per heartbeat
 * period. A write that would block is skipped: vigild reads the pipe on
 * every event, so a full pipe means vigild itself is busy, and a lost beat
 * is harmless. A broken pipe (vigild gone) stops the beats.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/ready.h"

static int ready_fd = -1;
static struct event *ready_beat;

static long
env_number(const char *name, long min, long max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		log_warnx("ignoring bad %s=%s", name, s);
		return -1;
	}
	return v;
}

static int
ready_write(const char *line)
{
	size_t len = strlen(line);
	ssize_t n;

	do
		n = write(ready_fd, line, len);
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno == EAGAIN)
		return 0;
	if (n != (ssize_t)len) {
		log_warn("lost contact with vigild on fd %d", ready_fd);
		ready_free();
		return -1;
	}
	return 0;
}

static void
ready_beat_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (ready_fd != -1)
		ready_write("alive\n");
}

void
ready_notify(struct event_base *base)
{
	struct timeval tv;
	long fd, ms;

	fd = env_number(READY_ENV, 3, INT_MAX);
	ms = env_number(READY_HEARTBEAT_ENV, 10, 3600000);
	unsetenv(READY_ENV);
	unsetenv(READY_HEARTBEAT_ENV);
	if (fd == -1 || ready_fd != -1)
		return;
	ready_fd = (int)fd;
	fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
	fcntl(ready_fd, F_SETFL, fcntl(ready_fd, F_GETFL) | O_NONBLOCK);
	if (ready_write("ready\n") != 0 || ms == -1 || base == NULL)
		return;
	ready_beat = event_new(base, -1, EV_PERSIST, ready_beat_cb, NULL);
	if (ready_beat == NULL)
		fatalx("%s: event_new", __func__);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(ready_beat, &tv);
}

void
ready_free(void)
{
	if (ready_beat != NULL) {
		event_free(ready_beat);
		ready_beat = NULL;
	}
	if (ready_fd != -1) {
		close(ready_fd);
		ready_fd = -1;
	}
}
