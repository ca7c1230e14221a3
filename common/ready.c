/*
 * Readiness notification to vigild: one line on the fd named by
 * VIGIL_READY_FD, then the fd is closed so a second call does nothing.
 */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/log.h"
#include "common/ready.h"

void
ready_notify(void)
{
	const char *s = getenv(READY_ENV);
	char *end;
	long fd;
	ssize_t n;

	if (s == NULL || *s == '\0')
		return;
	errno = 0;
	fd = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || fd < 3 || fd > INT_MAX) {
		log_warnx("ignoring bad %s=%s", READY_ENV, s);
		unsetenv(READY_ENV);
		return;
	}
	do
		n = write((int)fd, "ready\n", 6);
	while (n == -1 && errno == EINTR);
	if (n != 6)
		log_warn("readiness notification on fd %ld", fd);
	close((int)fd);
	unsetenv(READY_ENV);
}
