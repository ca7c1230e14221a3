/*
 * A stand-in role for vigild's tests and restart benchmark. At start it
 * appends "PID NS\n" (CLOCK_MONOTONIC ns, right after exec) to the file
 * named by VIGIL_BENCH_LOG, if set; then VIGIL_TEST_ROLE says what to do:
 * "exit:N" exits with status N at once, "noready" runs without ever
 * reporting ready, anything else (or nothing) reports ready, sends
 * heartbeats and runs until SIGTERM.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/ready.h"

static void
role_stamp(void)
{
	struct timespec ts;
	const char *path = getenv("VIGIL_BENCH_LOG");
	char buf[64];
	int fd, len;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (path == NULL)
		return;
	len = snprintf(buf, sizeof buf, "%ld %lld\n", (long)getpid(),
	    (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) == -1)
		return;
	if (write(fd, buf, len) != len)
		log_warn("%s", path);
	close(fd);
}

static void
role_term_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

int
main(void)
{
	const char *mode = getenv("VIGIL_TEST_ROLE");
	struct event_base *base;
	struct event *ev;

	role_stamp();
	log_init("restart-role", 0, 0);
	if (mode != NULL && strncmp(mode, "exit:", 5) == 0)
		return atoi(mode + 5);
	if ((base = event_base_new()) == NULL)
		return 1;
	ev = evsignal_new(base, SIGTERM, role_term_cb, base);
	evsignal_add(ev, NULL);
	if (mode == NULL || strcmp(mode, "noready") != 0)
		ready_notify(base);
	event_base_dispatch(base);
	ready_free();
	event_free(ev);
	event_base_free(base);
	return 0;
}
