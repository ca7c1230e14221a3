/*
 * vigil.conf: one INI file read by every process, parsed with inih. Each
 * key is declared once in a table in config.c with its type, default and
 * bounds; an unknown section or key, a bad value or a value out of range is
 * an error naming the file and line. vigil.conf(5) documents every key.
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stddef.h>

/* sysexits(3) codes that tell vigild not to retry a role. */
#define EXIT_USAGE 64
#define EXIT_CONFIG 78

/* The roles vigild runs, in the order of config_role_names. */
enum config_role {
	CONFIG_ROLE_GATEWAY,
	CONFIG_ROLE_SYSTEM,
	CONFIG_ROLE_MEMORY,
	CONFIG_ROLE_METRICS,
	CONFIG_NROLES,
};

extern const char *const config_role_names[CONFIG_NROLES];

/*
 * How vigild runs one role. Set in [vigild] for every role and overridden
 * in the role's own section.
 */
struct config_policy {
	unsigned backoff_min_ms;   /* delay after a death within stable_ms */
	unsigned backoff_max_ms;   /* cap of the doubling delay */
	unsigned stable_ms;        /* uptime after which a death is forgiven */
	unsigned crash_budget;     /* deaths within crash_window_ms ... */
	unsigned crash_window_ms;  /* ... that make the role FAILED */
	unsigned ready_timeout_ms; /* start to readiness */
	unsigned watchdog_ms;      /* heartbeat deadline; 0: none */
	unsigned stop_timeout_ms;  /* SIGTERM to SIGKILL */
};

struct config_collector {
	unsigned interval_ms;      /* sampling period, ms */
	unsigned meta_interval_ms; /* series metadata is re-sent this often */
	char *proc_root;           /* prefix for /proc paths, "/" normally */
};

struct config {
	char *path; /* the file read, or NULL for defaults only */

	/* [vigild] */
	char *rundir;  /* sockets and pidfile; see config_load */
	char *bindir;  /* role binaries; default: beside the running binary */
	char *host;    /* host name in samples; NULL: gethostname */
	char *roles;   /* space separated list of roles to run */
	char *bus;     /* bus url; NULL: ipc://RUNDIR/bus */
	char *user;    /* roles run as this user when vigild is root; NULL:
	                  they keep vigild's (see config_load) */
	char *pidfile; /* NULL: RUNDIR/vigild.pid */
	char *control; /* control socket; NULL: RUNDIR/control */
	unsigned health_interval_ms; /* role health on the bus */
	struct config_policy policy; /* defaults for every role */
	struct config_policy role_policy[CONFIG_NROLES];

	/* [gateway] */
	struct {
		char *address;
		unsigned port;
		char *www;
		unsigned backlog;
		unsigned max_clients;
		unsigned max_message; /* bytes, one client message */
		unsigned max_header;  /* bytes, HTTP request headers */
		unsigned handshake_timeout_ms;
		unsigned bus_recvbuf; /* messages queued on the SUB socket */
		unsigned history;     /* points kept per series */
		unsigned max_series;
		unsigned batch_interval_ms; /* updates are sent this often */
		unsigned client_queue;      /* bytes queued per client */
		unsigned lag_timeout_ms;    /* behind this long: closed */
		unsigned ping_interval_ms;
		unsigned ping_timeout_ms;
		unsigned close_timeout_ms;
		unsigned stale_after_ms; /* /healthz: no sample this long */
	} gateway;

	/* [system] */
	struct {
		struct config_collector c;
		unsigned max_devices; /* interfaces, disks, filesystems each */
	} system;

	/* [memory] */
	struct {
		struct config_collector c;
		unsigned top; /* processes by RSS */
	} memory;

	/* [metrics] */
	struct {
		struct config_collector c;
		char *address; /* StatsD UDP address */
		unsigned port;
		unsigned max_names;     /* distinct metric names kept */
		unsigned max_packet;    /* bytes, one UDP datagram */
		unsigned timer_samples; /* per timer per interval */
		unsigned recvbuf;       /* SO_RCVBUF of the StatsD socket */
	} metrics;
};

/*
 * Fill cf with the defaults, then read path (NULL: defaults only), then
 * derive what was left unset: rundir is /run/vigil for root, else
 * $XDG_RUNTIME_DIR/vigil, else /tmp/vigil-UID; bus is ipc://RUNDIR/bus;
 * host is gethostname(); bindir is the directory of the running binary
 * (all of vigil's binaries live in one); for root, user is "nobody" when the
 * running binary is the installed one in sbindir, else NULL (a build tree). On
 * error returns -1 with "file:line: reason" in err; cf is then freed.
 */
int config_load(struct config *cf, const char *path, char *err, size_t errlen);
void config_free(struct config *cf);

/* Create the runtime directory (mode 0700) if missing; 0 or -1 (logged). */
int config_make_rundir(const struct config *cf);

/*
 * Every role in the roles list known and named once; config_load() calls
 * it. 0, or -1 with "file: roles: reason" in err.
 */
int config_check_roles(const struct config *cf, char *err, size_t errlen);

/* 1 if role is in the roles list, else 0. */
int config_has_role(const struct config *cf, const char *role);

/* The index of a role name, or -1. */
int config_role_index(const char *name);

/* The policy of a role, [vigild]'s settings overridden by the role's. */
const struct config_policy *config_role_policy(const struct config *cf,
    enum config_role role);

/*
 * 1 if a setting that role uses differs between a and b (its section, its
 * policy, or the [vigild] keys every role uses), else 0. vigild restarts
 * only those roles on reload.
 */
int config_role_changed(const struct config *a, const struct config *b,
    enum config_role role);

/* The default config file, used when no -c is given and it exists. */
const char *config_default_path(void);

#endif
