/*
 * Start one role binary: fork() and exec() at once, with a readiness pipe
 * whose write end the child finds as fd 3, named in VIGIL_READY_FD (see
 * common/ready.h).
 * Between the two calls the child only makes async-signal-safe calls: the
 * user's groups are looked up before fork(), and the child only calls
 * setgroups(), setgid() and setuid() (what initgroups() would do).
 */
#ifndef VIGIL_SPAWN_H
#define VIGIL_SPAWN_H

#include <sys/types.h>

#define SPAWN_GROUPS_MAX 64

/* Who the child runs as; looked up before fork, applied before exec. */
struct spawn_cred {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[SPAWN_GROUPS_MAX];
};

/*
 * Look up user's ids and supplementary groups into cred. Returns 0, or -1
 * with a reason in err.
 */
int spawn_cred_lookup(const char *user, struct spawn_cred *cred, char *err,
    size_t errlen);

/*
 * Run path with argv in a new process of its own process group, as cred
 * (NULL: as vigild), with VIGIL_HEARTBEAT_MS=heartbeat_ms in its
 * environment unless it is 0. On success returns 0 with the pid and the
 * read end of the readiness pipe (close on exec, non-blocking); on failure
 * -1 (logged).
 */
int spawn_role(const char *path, char *const argv[],
    const struct spawn_cred *cred, unsigned heartbeat_ms, pid_t *pid,
    int *ready_fd);

#endif
