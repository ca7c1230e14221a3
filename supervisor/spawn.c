/*
 * fork()+exec() of a role. nng and libevent are not safe in a forked copy
 * of vigild, so everything the child needs (argv, the environment, the
 * error message) is built before fork() and the child only resets its
 * signals, joins its own process group, arms PR_SET_PDEATHSIG and execs.
 *
 * Each role runs in its own process group: a ^C on the terminal reaches
 * vigild alone, which then stops the roles itself, and a kill of the group
 * also reaches anything a role may start. SIGTTOU is left ignored so a
 * role in a background group can still log to the terminal under
 * "stty tostop".
 */
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <paths.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/ready.h"
#include "common/xmalloc.h"
#include "supervisor/spawn.h"

extern char **environ;

/*
 * The readiness fd is always 3 in the child: the lowest free number after
 * stdio, and one a shell script can name in a redirection.
 */
#define SPAWN_READY_FD 3

static int
spawn_env_is(const char *var, const char *name)
{
	size_t len = strlen(name);

	return strncmp(var, name, len) == 0 && var[len] == '=';
}

/*
 * A copy of environ without READY_ENV and READY_HEARTBEAT_ENV, then
 * READY_ENV=3 and READY_HEARTBEAT_ENV=ms (if ms is not 0). The last two
 * entries are allocated; *nown says how many.
 */
static char **
spawn_env(unsigned ms, size_t *nown)
{
	char **env;
	size_t n, i;

	for (n = 0; environ[n] != NULL; n++)
		continue;
	env = xreallocarray(NULL, n + 3, sizeof *env);
	for (i = n = 0; environ[i] != NULL; i++) {
		/* NOTIFY_SOCKET is vigild's own channel to systemd. */
		if (spawn_env_is(environ[i], READY_ENV) ||
		    spawn_env_is(environ[i], READY_HEARTBEAT_ENV) ||
		    spawn_env_is(environ[i], "NOTIFY_SOCKET"))
			continue;
		env[n++] = environ[i];
	}
	xasprintf(&env[n++], "%s=%d", READY_ENV, SPAWN_READY_FD);
	*nown = 1;
	if (ms != 0) {
		xasprintf(&env[n++], "%s=%u", READY_HEARTBEAT_ENV, ms);
		*nown = 2;
	}
	env[n] = NULL;
	return env;
}

static void
spawn_free_env(char **env, size_t nown)
{
	size_t n;

	for (n = 0; env[n] != NULL; n++)
		continue;
	while (nown-- > 0)
		free(env[--n]);
	free(env);
}

int
spawn_cred_lookup(const char *user, struct spawn_cred *cred, char *err,
    size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user %s: %s", user,
		    errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	cred->uid = pw->pw_uid;
	cred->gid = pw->pw_gid;
	cred->ngroups = SPAWN_GROUPS_MAX;
	if (getgrouplist(user, pw->pw_gid, cred->groups, &cred->ngroups) ==
	    -1) {
		snprintf(err, errlen, "user %s: more than %d groups", user,
		    SPAWN_GROUPS_MAX);
		return -1;
	}
	return 0;
}

/* In the child: drop to cred, if any. */
static int
spawn_drop(const struct spawn_cred *cred)
{
	if (cred == NULL)
		return 0;
	if (setgroups(cred->ngroups, cred->groups) == -1 ||
	    setgid(cred->gid) == -1 || setuid(cred->uid) == -1)
		return -1;
	return 0;
}

/* In the child: only async-signal-safe calls, then exec or _exit. */
static void __attribute__((noreturn)) spawn_exec(const char *path,
    char *const argv[], char **env, const struct spawn_cred *cred, int wfd,
    int nullfd, pid_t ppid, const char *msg)
{
	struct sigaction sa;
	sigset_t none;
	ssize_t n;
	int sig;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGTTOU, &sa, NULL);

	/* A change of credentials clears the death signal: drop first. */
	if (setpgid(0, 0) == -1 || spawn_drop(cred) == -1 ||
	    prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1)
		goto fail;
	/* vigild may have died before PR_SET_PDEATHSIG took effect. */
	if (getppid() != ppid)
		_exit(1);
	if (dup2(nullfd, STDIN_FILENO) == -1)
		goto fail;
	if (wfd == SPAWN_READY_FD) {
		if (fcntl(wfd, F_SETFD, 0) == -1)
			goto fail;
	} else if (dup2(wfd, SPAWN_READY_FD) == -1)
		goto fail;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, env);
fail:
	n = write(STDERR_FILENO, msg, strlen(msg));
	(void)n;
	_exit(127);
}

/* Fork with every signal blocked: no libevent handler may run in the child. */
static pid_t
spawn_fork(const char *path, char *const argv[], char **env,
    const struct spawn_cred *cred, int wfd, int nullfd, const char *msg)
{
	sigset_t all, old;
	pid_t pid, ppid;
	int saved;

	ppid = getpid();
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		spawn_exec(path, argv, env, cred, wfd, nullfd, ppid, msg);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	/* Also here, so a kill of the group right after fork reaches it. */
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

int
spawn_role(const char *path, char *const argv[], const struct spawn_cred *cred,
    unsigned heartbeat_ms, pid_t *pid, int *ready_fd)
{
	char **env, *msg;
	size_t nown;
	int fds[2], nullfd;
	pid_t p;

	if ((nullfd = open(_PATH_DEVNULL, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s", _PATH_DEVNULL);
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) == -1) {
		log_warn("pipe");
		close(nullfd);
		return -1;
	}
	env = spawn_env(heartbeat_ms, &nown);
	xasprintf(&msg, "vigild: cannot exec %s\n", path);

	p = spawn_fork(path, argv, env, cred, fds[1], nullfd, msg);
	if (p == -1)
		log_warn("fork %s", path);

	free(msg);
	spawn_free_env(env, nown);
	close(nullfd);
	close(fds[1]);
	if (p == -1) {
		close(fds[0]);
		return -1;
	}
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1)
		log_warn("fcntl");
	*pid = p;
	*ready_fd = fds[0];
	return 0;
}
