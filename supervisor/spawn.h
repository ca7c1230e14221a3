/*
 * Start one role binary: fork() and exec() at once, with a readiness pipe
 * whose write end the child finds as fd 3, named in VIGIL_READY_FD (see
 * common/ready.h).
 * Between the two calls the child only makes async-signal-safe calls.
 */
#ifndef VIGIL_SPAWN_H
#define VIGIL_SPAWN_H

#include <sys/types.h>

/*
 * Run path with argv in a new process of its own process group. On success
 * returns 0 with the pid and the read end of the readiness pipe (close on
 * exec, non-blocking); on failure -1 (logged).
 */
int spawn_role(const char *path, char *const argv[], pid_t *pid, int *ready_fd);

#endif
