/*
 * vigilctl: the operator's client for vigild's control socket. It sends one
 * request line, reads the one JSON line vigild answers, and prints it as
 * is (-j) or as a table for status. The reply format is vigild's own (see
 * vigild(8), CONTROL PROTOCOL): flat objects of strings and integers, which
 * the small reader here is enough for.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"

#define CTL_REPLY_MAX 65536
#define CTL_TIMEOUT_MS 10000
#define CTL_EXIT_UNAVAILABLE 69 /* sysexits EX_UNAVAILABLE */

static const struct {
	const char *name;
	int role; /* 1: takes a role, 0: takes nothing */
} ctl_cmds[] = {
	{ "status", 0 },
	{ "start", 1 },
	{ "stop", 1 },
	{ "restart", 1 },
	{ "reset", 1 },
	{ "reload", 0 },
	{ "shutdown", 0 },
};

static void __attribute__((noreturn)) usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: vigilctl [-hj] [-c file] [-s socket] command [role]\n");
	exit(status);
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "vigilctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		fprintf(stderr, "vigilctl: %s: %s (is vigild running?)\n", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send line, read the reply up to its newline into buf. 0 or -1. */
static int
ctl_request(int fd, const char *line, char *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "vigilctl: write: %s\n", strerror(errno));
		return -1;
	}
	while (got < len - 1 && memchr(buf, '\n', got) == NULL) {
		if (poll(&pfd, 1, CTL_TIMEOUT_MS) != 1) {
			fprintf(stderr, "vigilctl: no reply from vigild\n");
			return -1;
		}
		if ((n = read(fd, buf + got, len - 1 - got)) <= 0)
			break;
		got += n;
	}
	buf[got] = '\0';
	if (memchr(buf, '\n', got) == NULL) {
		fprintf(stderr, "vigilctl: incomplete reply from vigild\n");
		return -1;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * The value of "key" in the object starting at obj, copied into val
 * without quotes or escapes. 0, or -1 if absent.
 */
static int
ctl_get(const char *obj, const char *key, char *val, size_t len)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	if ((p = strstr(obj, pat)) == NULL)
		return -1;
	p += strlen(pat);
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (n + 1 < len)
				val[n++] = *p;
		}
	} else {
		while (*p != '\0' && strchr(",}]", *p) == NULL && n + 1 < len)
			val[n++] = *p++;
	}
	val[n] = '\0';
	return 0;
}

/* ms as "850ms", "12.3s", "5m07s", "3h12m", "2d04h". */
static void
ctl_duration(const char *ms_s, char *buf, size_t len)
{
	long long ms = atoll(ms_s), s = ms / 1000;

	if (ms <= 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%lldms", ms);
	else if (s < 60)
		snprintf(buf, len, "%.1fs", ms / 1000.0);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

static void
ctl_table(const char *reply)
{
	char role[64], state[32], pid[32], up[32], upt[32], rs[32], ex[64],
	    re[32], ret[32];
	const char *p;

	printf("%-8s %-9s %7s %8s %8s %-10s %s\n", "ROLE", "STATE", "PID",
	    "UPTIME", "RESTARTS", "LAST-EXIT", "NEXT-RETRY");
	if ((p = strstr(reply, "\"roles\":[")) == NULL)
		return;
	while ((p = strchr(p, '{')) != NULL) {
		if (ctl_get(p, "role", role, sizeof role) == -1 ||
		    ctl_get(p, "state", state, sizeof state) == -1 ||
		    ctl_get(p, "pid", pid, sizeof pid) == -1 ||
		    ctl_get(p, "uptime_ms", up, sizeof up) == -1 ||
		    ctl_get(p, "restarts", rs, sizeof rs) == -1 ||
		    ctl_get(p, "exit", ex, sizeof ex) == -1 ||
		    ctl_get(p, "retry_ms", re, sizeof re) == -1)
			break;
		ctl_duration(up, upt, sizeof upt);
		ctl_duration(re, ret, sizeof ret);
		printf("%-8s %-9s %7s %8s %8s %-10s %s\n", role, state,
		    strcmp(pid, "0") == 0 ? "-" : pid, upt, rs,
		    *ex != '\0' ? ex : "-", ret);
		p++;
	}
}

/* The socket from -s, else from the config file. */
static char *
ctl_socket(const char *sock, const char *conf)
{
	struct config cf;
	char err[512], *path;

	if (sock != NULL)
		return strdup(sock);
	if (conf == NULL && access(config_default_path(), F_OK) == 0)
		conf = config_default_path();
	if (config_load(&cf, conf, err, sizeof err) == -1) {
		fprintf(stderr, "vigilctl: %s\n", err);
		exit(EXIT_CONFIG);
	}
	path = strdup(cf.control);
	config_free(&cf);
	return path;
}

/* Check the command and build the request line; exit 64 if bad. */
static void
ctl_line(int argc, char **argv, char *line, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof ctl_cmds / sizeof ctl_cmds[0]; i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			break;
	if (i == sizeof ctl_cmds / sizeof ctl_cmds[0]) {
		fprintf(stderr, "vigilctl: unknown command '%s'\n", argv[0]);
		usage(EXIT_USAGE);
	}
	if (argc != 1 + ctl_cmds[i].role) {
		fprintf(stderr, "vigilctl: %s %s\n", argv[0],
		    ctl_cmds[i].role ? "needs one role" : "takes no argument");
		usage(EXIT_USAGE);
	}
	if (argc == 2 && (strlen(argv[1]) > 64 || strpbrk(argv[1], " \n"))) {
		fprintf(stderr, "vigilctl: bad role name\n");
		exit(EXIT_USAGE);
	}
	snprintf(line, len, "%s%s%s\n", argv[0], argc == 2 ? " " : "",
	    argc == 2 ? argv[1] : "");
}

int
main(int argc, char **argv)
{
	const char *conf = NULL, *sock = NULL;
	char line[128], err[256], *path, *reply;
	int ch, jflag = 0, fd, rv;

	log_init("vigilctl", 0, 0);
	while ((ch = getopt(argc, argv, "c:hjs:")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'h':
			usage(0);
		case 'j':
			jflag = 1;
			break;
		case 's':
			sock = optarg;
			break;
		default:
			usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(EXIT_USAGE);
	ctl_line(argc, argv, line, sizeof line);
	path = ctl_socket(sock, conf);
	fd = ctl_connect(path);
	free(path);
	if (fd == -1)
		return CTL_EXIT_UNAVAILABLE;
	if ((reply = malloc(CTL_REPLY_MAX)) == NULL)
		return 1;
	rv = ctl_request(fd, line, reply, CTL_REPLY_MAX);
	close(fd);
	if (rv == -1) {
		free(reply);
		return CTL_EXIT_UNAVAILABLE;
	}
	if (strncmp(reply, "{\"ok\":true", 10) != 0) {
		if (ctl_get(reply, "error", err, sizeof err) == -1)
			snprintf(err, sizeof err, "bad reply: %s", reply);
		fprintf(stderr, "vigilctl: %s\n", err);
		free(reply);
		return 1;
	}
	if (jflag)
		printf("%s\n", reply);
	else if (strcmp(argv[0], "status") == 0)
		ctl_table(reply);
	free(reply);
	return 0;
}
