/*
 * vigil.conf parsing. Every key is one row of config_keys: section, name,
 * type, where it lives in struct config, its default and bounds. inih reads
 * the file and calls config_handler for each line; the first bad line stops
 * the parse with "file:line: reason".
 */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xmalloc.h"

#ifndef VIGIL_SYSCONFDIR
#define VIGIL_SYSCONFDIR "/etc"
#endif
#ifndef VIGIL_SBINDIR
#define VIGIL_SBINDIR "/usr/local/sbin"
#endif
#ifndef VIGIL_PKGDATADIR
#define VIGIL_PKGDATADIR "/usr/share/vigil"
#endif

enum config_type {
	CONFIG_STR,  /* char *, NULL when the default is NULL */
	CONFIG_UINT, /* unsigned, within [min, max] */
};

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	size_t offset;
	const char *def; /* CONFIG_STR default, may be NULL */
	unsigned udef;   /* CONFIG_UINT default */
	unsigned min;
	unsigned max;
	int zero_ok; /* 0 is allowed too, below min: "off" */
};

#define STR(sec, key, field, d)                                                \
	{                                                                      \
		.section = sec, .name = key, .type = CONFIG_STR,               \
		.offset = offsetof(struct config, field), .def = d             \
	}
#define UINT(sec, key, field, d, lo, hi)                                       \
	{                                                                      \
		.section = sec, .name = key, .type = CONFIG_UINT,              \
		.offset = offsetof(struct config, field), .udef = d,           \
		.min = lo, .max = hi                                           \
	}

#define UINTZ(sec, key, field, d, lo, hi)                                      \
	{                                                                      \
		.section = sec, .name = key, .type = CONFIG_UINT,              \
		.offset = offsetof(struct config, field), .udef = d,           \
		.min = lo, .max = hi, .zero_ok = 1                             \
	}

/*
 * Policy keys: in [vigild] they set the default for every role, in a role's
 * section they override it; UNSET marks a key a role did not override.
 */
#define UNSET UINT_MAX
#define OWN(x) (x)
#define INHERIT(x) UNSET
#define POLICY(sec, pol, D)                                                    \
	UINT(sec, "backoff_min", pol.backoff_min_ms, D(100), 0, 3600000),      \
	    UINT(sec, "backoff_max", pol.backoff_max_ms, D(30000), 0,          \
	        3600000),                                                      \
	    UINT(sec, "stable_after", pol.stable_ms, D(10000), 0, 86400000),   \
	    UINT(sec, "crash_budget", pol.crash_budget, D(5), 1, 1000),        \
	    UINT(sec, "crash_window", pol.crash_window_ms, D(60000), 1000,     \
	        86400000),                                                     \
	    UINT(sec, "ready_timeout", pol.ready_timeout_ms, D(10000), 100,    \
	        600000),                                                       \
	    UINTZ(sec, "watchdog", pol.watchdog_ms, D(15000), 100, 3600000),   \
	    UINT(sec, "stop_timeout", pol.stop_timeout_ms, D(5000), 100,       \
	        600000)

#define COLLECTOR(sec, c)                                                      \
	UINT(sec, "interval", c.interval_ms, 1000, 10, 3600000),               \
	    UINT(sec, "meta_interval", c.meta_interval_ms, 60000, 1000,        \
	        86400000),                                                     \
	    STR(sec, "proc_root", c.proc_root, "/")

static const struct config_key config_keys[] = {
	STR("vigild", "rundir", rundir, NULL),
	STR("vigild", "bindir", bindir, NULL),
	STR("vigild", "host", host, NULL),
	STR("vigild", "roles", roles, "gateway system memory metrics"),
	STR("vigild", "bus", bus, NULL),
	STR("vigild", "user", user, NULL),
	STR("vigild", "pidfile", pidfile, NULL),
	STR("vigild", "control", control, NULL),
	UINT("vigild", "health_interval", health_interval_ms, 1000, 100,
	    3600000),
	POLICY("vigild", policy, OWN),

	STR("gateway", "address", gateway.address, "127.0.0.1"),
	UINT("gateway", "port", gateway.port, 8420, 0, 65535),
	STR("gateway", "www", gateway.www, NULL),
	UINT("gateway", "backlog", gateway.backlog, 4096, 1, 65535),
	UINT("gateway", "max_clients", gateway.max_clients, 1024, 1, 1000000),
	UINT("gateway", "max_message", gateway.max_message, 65536, 125,
	    16 << 20),
	UINT("gateway", "max_header", gateway.max_header, 8192, 1024, 1 << 20),
	UINT("gateway", "handshake_timeout", gateway.handshake_timeout_ms,
	    10000, 100, 600000),
	UINT("gateway", "bus_recvbuf", gateway.bus_recvbuf, 1024, 1, 8192),
	UINT("gateway", "history", gateway.history, 900, 2, 86400),
	UINT("gateway", "max_series", gateway.max_series, 10000, 1, 1000000),
	UINT("gateway", "batch_interval", gateway.batch_interval_ms, 100, 0,
	    60000),
	UINT("gateway", "client_queue", gateway.client_queue, 1 << 20, 4096,
	    1 << 30),
	UINT("gateway", "lag_timeout", gateway.lag_timeout_ms, 30000, 100,
	    3600000),
	UINT("gateway", "ping_interval", gateway.ping_interval_ms, 30000, 0,
	    3600000),
	UINT("gateway", "ping_timeout", gateway.ping_timeout_ms, 10000, 100,
	    3600000),
	UINT("gateway", "close_timeout", gateway.close_timeout_ms, 5000, 100,
	    600000),
	UINT("gateway", "stale_after", gateway.stale_after_ms, 10000, 100,
	    86400000),
	POLICY("gateway", role_policy[CONFIG_ROLE_GATEWAY], INHERIT),

	COLLECTOR("system", system.c),
	UINT("system", "max_devices", system.max_devices, 256, 1, 100000),
	POLICY("system", role_policy[CONFIG_ROLE_SYSTEM], INHERIT),

	COLLECTOR("memory", memory.c),
	UINT("memory", "top", memory.top, 10, 0, 1000),
	POLICY("memory", role_policy[CONFIG_ROLE_MEMORY], INHERIT),

	COLLECTOR("metrics", metrics.c),
	STR("metrics", "address", metrics.address, "127.0.0.1"),
	UINT("metrics", "port", metrics.port, 8125, 0, 65535),
	UINT("metrics", "max_names", metrics.max_names, 1000, 1, 100000),
	UINT("metrics", "recvbuf", metrics.recvbuf, 32 << 20, 64 << 10,
	    1 << 30),
	UINT("metrics", "max_packet", metrics.max_packet, 65507, 64, 65507),
	UINT("metrics", "timer_samples", metrics.timer_samples, 10000, 1,
	    1000000),
	POLICY("metrics", role_policy[CONFIG_ROLE_METRICS], INHERIT),
};

const char *const config_role_names[CONFIG_NROLES] = {
	[CONFIG_ROLE_GATEWAY] = "gateway",
	[CONFIG_ROLE_SYSTEM] = "system",
	[CONFIG_ROLE_MEMORY] = "memory",
	[CONFIG_ROLE_METRICS] = "metrics",
};

#define NKEYS (sizeof config_keys / sizeof config_keys[0])

struct config_parse {
	struct config *cf;
	char reason[256]; /* of the first error, "" if none */
};

static char **
key_str(struct config *cf, const struct config_key *k)
{
	return (char **)((char *)cf + k->offset);
}

static unsigned *
key_uint(struct config *cf, const struct config_key *k)
{
	return (unsigned *)((char *)cf + k->offset);
}

static void
config_defaults(struct config *cf)
{
	const struct config_key *k;

	memset(cf, 0, sizeof *cf);
	for (k = config_keys; k < config_keys + NKEYS; k++) {
		if (k->type == CONFIG_STR)
			*key_str(cf, k) = k->def ? xstrdup(k->def) : NULL;
		else
			*key_uint(cf, k) = k->udef;
	}
}

static int
parse_uint(const char *value, const struct config_key *k, unsigned *out)
{
	unsigned long v;
	char *end;

	if (*value == '-' || *value == '\0')
		return -1;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || v > k->max ||
	    (v < k->min && !(v == 0 && k->zero_ok)))
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int
config_set(struct config *cf, const struct config_key *k, const char *value,
    char *err, size_t errlen)
{
	char **sp;

	if (k->type == CONFIG_UINT) {
		if (parse_uint(value, k, key_uint(cf, k)) != 0) {
			snprintf(err, errlen,
			    "%s: '%s' is not %sa number from %u to %u", k->name,
			    value, k->zero_ok ? "0 or " : "", k->min, k->max);
			return -1;
		}
		return 0;
	}
	if (*value == '\0') {
		snprintf(err, errlen, "%s: empty value", k->name);
		return -1;
	}
	sp = key_str(cf, k);
	free(*sp);
	*sp = xstrdup(value);
	return 0;
}

/*
 * Debian's inih passes no line number to the handler; returning 0 makes
 * ini_parse_file() return the line of the first error instead.
 */
static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_parse *p = user;
	const struct config_key *k;
	char *reason = p->reason;
	size_t rlen = sizeof p->reason;
	int known_section = 0;

	if (*reason != '\0')
		return 0;
	for (k = config_keys; k < config_keys + NKEYS; k++) {
		if (strcmp(k->section, section) != 0)
			continue;
		known_section = 1;
		if (strcmp(k->name, name) != 0)
			continue;
		if (config_set(p->cf, k, value, reason, rlen) == 0)
			return 1;
		return 0;
	}
	if (known_section)
		snprintf(reason, rlen, "unknown key '%s' in [%s]", name,
		    section);
	else if (*section == '\0')
		snprintf(reason, rlen, "key '%s' outside a section", name);
	else
		snprintf(reason, rlen, "unknown section [%s]", section);
	return 0;
}

static char *
default_rundir(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char *dir;

	if (geteuid() == 0)
		return xstrdup("/run/vigil");
	if (xdg != NULL && *xdg == '/') {
		xasprintf(&dir, "%s/vigil", xdg);
		return dir;
	}
	xasprintf(&dir, "/tmp/vigil-%u", (unsigned)geteuid());
	return dir;
}

/* The directory of the running binary, or NULL. */
static char *
exe_dir(void)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return NULL;
	slash[slash == exe] = '\0'; /* "/vigild" lives in "/" */
	return xstrdup(exe);
}

/*
 * Defaults that depend on where the running binary is (exe, or NULL).
 * Roles of an installed vigild run as nobody when it is root; a vigild run
 * from a build tree keeps its user unless the file names one, so a fresh
 * checkout runs wherever it was cloned. The dashboard beside the binary
 * (a build tree) wins over the installed one.
 */
static void
config_derive_place(struct config *cf, const char *exe)
{
	char *dir, *index;

	if (cf->bindir == NULL)
		cf->bindir = xstrdup(exe != NULL ? exe : VIGIL_SBINDIR);
	if (cf->user == NULL && geteuid() == 0 && exe != NULL &&
	    strcmp(exe, VIGIL_SBINDIR) == 0)
		cf->user = xstrdup("nobody");
	if (cf->gateway.www != NULL)
		return;
	if (exe != NULL) {
		xasprintf(&dir, "%s/www", exe);
		xasprintf(&index, "%s/index.html", dir);
		if (access(index, R_OK) == 0) {
			free(index);
			cf->gateway.www = dir;
			return;
		}
		free(index);
		free(dir);
	}
	cf->gateway.www = xstrdup(VIGIL_PKGDATADIR "/www");
}

static void
inherit_policy(struct config_policy *role, const struct config_policy *dflt)
{
	unsigned *r = (unsigned *)role;
	const unsigned *d = (const unsigned *)dflt;
	size_t i;

	/* struct config_policy is made of unsigned only. */
	for (i = 0; i < sizeof *role / sizeof(unsigned); i++)
		if (r[i] == UNSET)
			r[i] = d[i];
}

static void
config_derive(struct config *cf)
{
	char host[256], *exe = exe_dir();
	size_t i;

	config_derive_place(cf, exe);
	free(exe);
	if (cf->rundir == NULL)
		cf->rundir = default_rundir();
	if (cf->bus == NULL)
		xasprintf(&cf->bus, "ipc://%s/bus", cf->rundir);
	if (cf->pidfile == NULL)
		xasprintf(&cf->pidfile, "%s/vigild.pid", cf->rundir);
	if (cf->control == NULL)
		xasprintf(&cf->control, "%s/control", cf->rundir);
	for (i = 0; i < CONFIG_NROLES; i++)
		inherit_policy(&cf->role_policy[i], &cf->policy);
	if (cf->host == NULL) {
		if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
		cf->host = xstrdup(host);
	}
}

int
config_check_roles(const struct config *cf, char *err, size_t errlen)
{
	const char *const *known = config_role_names;
	const size_t nknown = CONFIG_NROLES;
	char *list = xstrdup(cf->roles != NULL ? cf->roles : ""), *tok;
	char *save = NULL;
	unsigned seen = 0;
	size_t i;
	int rv = 0;

	for (tok = strtok_r(list, " \t,", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t,", &save)) {
		for (i = 0; i < nknown; i++)
			if (strcmp(tok, known[i]) == 0)
				break;
		if (i == nknown || (seen & (1u << i))) {
			snprintf(err, errlen, "%s: roles: %s role '%s'",
			    cf->path ? cf->path : "(defaults)",
			    i == nknown ? "unknown" : "repeated", tok);
			rv = -1;
			break;
		}
		seen |= 1u << i;
	}
	free(list);
	return rv;
}

int
config_load(struct config *cf, const char *path, char *err, size_t errlen)
{
	struct config_parse p = { .cf = cf };
	FILE *f;
	int rv;

	config_defaults(cf);
	if (path != NULL) {
		cf->path = xstrdup(path);
		if ((f = fopen(path, "r")) == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			config_free(cf);
			return -1;
		}
		rv = ini_parse_file(f, config_handler, &p);
		fclose(f);
		if (rv != 0) {
			/* No reason given: inih found a syntax error. */
			if (rv < 0)
				snprintf(err, errlen, "%s: cannot read", path);
			else
				snprintf(err, errlen, "%s:%d: %s", path, rv,
				    *p.reason ? p.reason : "syntax error");
			config_free(cf);
			return -1;
		}
	}
	if (config_check_roles(cf, err, errlen) != 0) {
		config_free(cf);
		return -1;
	}
	config_derive(cf);
	return 0;
}

void
config_free(struct config *cf)
{
	const struct config_key *k;

	for (k = config_keys; k < config_keys + NKEYS; k++)
		if (k->type == CONFIG_STR) {
			free(*key_str(cf, k));
			*key_str(cf, k) = NULL;
		}
	free(cf->path);
	cf->path = NULL;
}

int
config_make_rundir(const struct config *cf)
{
	struct stat st;

	if (mkdir(cf->rundir, 0700) != 0 && errno != EEXIST) {
		log_warn("mkdir %s", cf->rundir);
		return -1;
	}
	if (stat(cf->rundir, &st) != 0) {
		log_warn("stat %s", cf->rundir);
		return -1;
	}
	/* As root, vigild hands the directory to the roles' user. */
	if (!S_ISDIR(st.st_mode) ||
	    (st.st_uid != geteuid() && geteuid() != 0)) {
		log_warnx("%s: not a directory owned by uid %u", cf->rundir,
		    (unsigned)geteuid());
		return -1;
	}
	return 0;
}

int
config_has_role(const struct config *cf, const char *role)
{
	const char *p = cf->roles;
	size_t n = strlen(role);

	while ((p = strstr(p, role)) != NULL) {
		if ((p == cf->roles || strchr(" \t,", p[-1]) != NULL) &&
		    (p[n] == '\0' || strchr(" \t,", p[n]) != NULL))
			return 1;
		p += n;
	}
	return 0;
}

const char *
config_default_path(void)
{
	return VIGIL_SYSCONFDIR "/vigil.conf";
}

int
config_role_index(const char *name)
{
	int i;

	for (i = 0; i < CONFIG_NROLES; i++)
		if (strcmp(config_role_names[i], name) == 0)
			return i;
	return -1;
}

const struct config_policy *
config_role_policy(const struct config *cf, enum config_role role)
{
	return &cf->role_policy[role];
}

static int
str_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

int
config_role_changed(const struct config *a, const struct config *b,
    enum config_role role)
{
	const struct config_key *k;
	const char *sec = config_role_names[role];

	if (str_differ(a->rundir, b->rundir) ||
	    str_differ(a->bindir, b->bindir) || str_differ(a->host, b->host) ||
	    str_differ(a->bus, b->bus) || str_differ(a->user, b->user) ||
	    memcmp(&a->role_policy[role], &b->role_policy[role],
	        sizeof a->role_policy[role]) != 0)
		return 1;
	for (k = config_keys; k < config_keys + NKEYS; k++) {
		if (strcmp(k->section, sec) != 0)
			continue;
		if (k->type == CONFIG_STR
		        ? str_differ(*key_str((struct config *)a, k),
		              *key_str((struct config *)b, k))
		        : *key_uint((struct config *)a, k) !=
		            *key_uint((struct config *)b, k))
			return 1;
	}
	return 0;
}
