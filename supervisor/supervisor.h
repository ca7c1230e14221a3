/*
 * vigild's core: runs every role in its own process, restarts the ones
 * that end as the policy says, and carries out what the control socket and
 * the signals ask: start, stop, restart or reset one role, reload the
 * config, stop everything.
 */
#ifndef VIGIL_SUPERVISOR_H
#define VIGIL_SUPERVISOR_H

#include <stddef.h>

struct config;
struct child;
struct spawn_cred;

/*
 * Run the roles of cf until stopped; children get one -v per verbose and
 * run as cred (NULL: as vigild). cf must stay valid; reloads replace its
 * contents. Returns the exit status for vigild.
 */
int supervisor_run(struct config *cf, const struct spawn_cred *cred,
    int verbose);

/* Every role slot, configured or not; *n is set to their count. */
struct child *supervisor_children(size_t *n);

/* 1 if c is in the config or still has a process. */
int supervisor_visible(const struct child *c);

/* The role called name, or NULL with a reason in err. */
struct child *supervisor_lookup(const char *name, char *err, size_t errlen);

/* Operator commands on one role; 0, or -1 with a reason in err. */
int supervisor_start_role(struct child *c, char *err, size_t errlen);
int supervisor_stop_role(struct child *c, char *err, size_t errlen);
int supervisor_restart_role(struct child *c, char *err, size_t errlen);
int supervisor_reset_role(struct child *c, char *err, size_t errlen);

/* Read the config file again and apply it; 0, or -1 with a reason. */
int supervisor_reload(char *err, size_t errlen);

/* Stop every role, then leave the loop. */
void supervisor_shutdown(void);

#endif
