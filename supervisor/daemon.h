/*
 * Becoming a daemon: the runtime directory, a locked pidfile that keeps a
 * second vigild out, and the detach from the terminal.
 */
#ifndef VIGIL_DAEMON_H
#define VIGIL_DAEMON_H

#include <sys/types.h>

struct config;
struct spawn_cred;

/*
 * Make the runtime directory (mode 0700) and, when roles run as another
 * user, give it to that user so the gateway can make the bus socket there.
 * 0 or -1 (logged).
 */
int daemon_rundir(const struct config *cf, const struct spawn_cred *cred);

/*
 * Open and lock the pidfile. Returns the fd (kept open while vigild runs),
 * or -1 after logging; another running vigild is named by its pid.
 */
int daemon_lock(const char *path);

/* Write our pid into the locked pidfile. 0 or -1 (logged). */
int daemon_write_pid(int fd);

/* Detach: fork, setsid, fork, cd /, stdio to /dev/null. fatal on error. */
void daemon_detach(void);

#endif
