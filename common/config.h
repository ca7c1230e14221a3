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

#define CONFIG_ROLES_MAX 8

struct config_collector {
	unsigned interval_ms; /* sampling period, ms */
	char *proc_root;      /* prefix for /proc paths, "/" normally */
};

struct config {
	char *path; /* the file read, or NULL for defaults only */

	/* [vigild] */
	char *rundir;              /* sockets and pidfile; see config_load */
	char *bindir;              /* role binaries; NULL: beside vigild */
	char *host;                /* host name in samples; NULL: gethostname */
	char *roles;               /* space separated list of roles to run */
	char *bus;                 /* bus url; NULL: ipc://RUNDIR/bus */
	unsigned stop_timeout_ms;  /* SIGTERM to SIGKILL */
	unsigned restart_delay_ms; /* before restarting a dead role */

	/* [gateway] */
	struct {
		char *address;
		unsigned port;
		char *www;
		unsigned max_clients;
		unsigned max_message; /* bytes, one client message */
		unsigned max_header;  /* bytes, HTTP request headers */
		unsigned handshake_timeout_ms;
		unsigned bus_recvbuf; /* messages queued on the SUB socket */
	} gateway;

	/* [system], [memory] */
	struct config_collector system;
	struct config_collector memory;

	/* [metrics] */
	struct {
		struct config_collector c;
		char *address; /* StatsD UDP address */
		unsigned port;
		unsigned max_names;  /* distinct metric names kept */
		unsigned max_packet; /* bytes, one UDP datagram */
	} metrics;
};

/*
 * Fill cf with the defaults, then read path (NULL: defaults only), then
 * derive what was left unset: rundir is /run/vigil for root, else
 * $XDG_RUNTIME_DIR/vigil, else /tmp/vigil-UID; bus is ipc://RUNDIR/bus;
 * host is gethostname(). On error returns -1 with "file:line: reason" in
 * err; cf is then freed.
 */
int config_load(struct config *cf, const char *path, char *err, size_t errlen);
void config_free(struct config *cf);

/* Create the runtime directory (mode 0700) if missing; 0 or -1 (logged). */
int config_make_rundir(const struct config *cf);

/* 1 if role is in the roles list, else 0. */
int config_has_role(const struct config *cf, const char *role);

/* The default config file, used when no -c is given and it exists. */
const char *config_default_path(void);

#endif
