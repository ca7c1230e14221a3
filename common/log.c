/*
 * Logging for every vigil process. Messages at or below the verbosity
 * threshold go to stderr ("ident: message") in the foreground, or to syslog
 * when running as a daemon. Errors and warnings are always shown; -v adds
 * info, -vv adds debug.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "common/log.h"

static const char *log_ident = "vigil";
static int log_verbose;
static int log_syslog;

void
log_init(const char *ident, int verbose, int use_syslog)
{
	log_ident = ident;
	log_verbose = verbose;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

int
log_get_verbose(void)
{
	return log_verbose;
}

static void
log_vwrite(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	static const int prio[] = {
		[LOG_LEVEL_ERROR] = LOG_ERR,
		[LOG_LEVEL_WARN] = LOG_WARNING,
		[LOG_LEVEL_INFO] = LOG_INFO,
		[LOG_LEVEL_DEBUG] = LOG_DEBUG,
	};
	char msg[1024];
	int n;

	/* Warnings and errors always; info at -v, debug at -vv. */
	if (level > LOG_LEVEL_WARN && (int)level - 1 > log_verbose)
		return;
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	if (n < 0)
		return;
	if (errnum != 0 && (size_t)n < sizeof msg)
		snprintf(msg + n, sizeof msg - n, ": %s", strerror(errnum));
	if (log_syslog)
		syslog(prio[level], "%s", msg);
	else
		fprintf(stderr, "%s: %s\n", log_ident, msg);
}

#define LOG_BODY(level, errnum)                                                \
	do {                                                                   \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vwrite((level), (errnum), fmt, ap);                        \
		va_end(ap);                                                    \
	} while (0)

void
log_warn(const char *fmt, ...)
{
	int saved = errno;

	LOG_BODY(LOG_LEVEL_WARN, saved);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, 0);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;

	LOG_BODY(LOG_LEVEL_ERROR, saved);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, 0);
	exit(1);
}
