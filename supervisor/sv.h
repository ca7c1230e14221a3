/*
 * The state of vigild shared by supervisor.c (the loop and the life of
 * each process) and ops.c (operator commands and reloads). Nothing outside
 * supervisor/ includes it.
 */
#ifndef VIGIL_SV_H
#define VIGIL_SV_H

#include "common/config.h"
#include "supervisor/child.h"
#include "supervisor/spawn.h"

struct event_base;
struct event;
struct spawn_cred;

struct supervisor {
	struct config *cf;
	const struct spawn_cred *cred; /* NULL, or &cred_buf */
	struct spawn_cred cred_buf;    /* the [vigild] user, if root */
	struct event_base *base;
	char *conf;  /* absolute config path for -c, or NULL */
	int verbose; /* -v count passed on */
	int stopping;
	int notified; /* READY=1 sent to the service manager */

	struct child children[CONFIG_NROLES]; /* by enum config_role */

	struct event *ev_term;
	struct event *ev_int;
	struct event *ev_hup;
	struct event *ev_chld;
};

extern struct supervisor sv;

const struct config_policy *sv_policy(const struct child *c);
/* Arm c's timer for ms; its meaning follows c's state. */
void sv_arm(struct child *c, unsigned ms);
/* fork+exec c now; it moves to STARTING, BACKOFF or FAILED. */
void sv_start(struct child *c);
/* SIGTERM and the stop timer if it runs; STOPPED at once if not. */
void sv_stop(struct child *c);
void sv_signal(struct child *c, int sig);
void sv_notify_ready(void);

#endif
