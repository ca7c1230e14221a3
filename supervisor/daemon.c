/*
 * Daemon plumbing for vigild. The pidfile is locked with flock() before
 * the detach; the lock belongs to the open file, which the daemon inherits,
 * so it holds from the check to the exit and dies with the process even on
 * SIGKILL. The file itself is removed by a clean exit only.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <paths.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "supervisor/daemon.h"
#include "supervisor/spawn.h"

int
daemon_rundir(const struct config *cf, const struct spawn_cred *cred)
{
	struct stat st;

	if (mkdir(cf->rundir, 0700) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", cf->rundir);
		return -1;
	}
	if (lstat(cf->rundir, &st) == -1) {
		log_warn("%s", cf->rundir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode) ||
	    (st.st_uid != geteuid() &&
	        (cred == NULL || st.st_uid != cred->uid))) {
		log_warnx("%s: not a directory owned by vigild or the roles' "
		          "user",
		    cf->rundir);
		return -1;
	}
	if (cred != NULL &&
	    (chown(cf->rundir, cred->uid, cred->gid) == -1 ||
	        chmod(cf->rundir, 0700) == -1)) {
		log_warn("%s", cf->rundir);
		return -1;
	}
	return 0;
}

int
daemon_lock(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	         0644)) == -1) {
		log_warn("pidfile %s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno != EWOULDBLOCK) {
		log_warn("lock %s", path);
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	log_warnx("vigild is already running (pid %s, pidfile %s)",
	    *buf != '\0' ? buf : "unknown", path);
	close(fd);
	return -1;
}

int
daemon_write_pid(int fd)
{
	char buf[32];
	int len;

	len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, len, 0) != len) {
		log_warn("pidfile");
		return -1;
	}
	return 0;
}

void
daemon_detach(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		fatal("%s: fork", __func__);
	if (pid != 0)
		_exit(0);
	if (setsid() == -1)
		fatal("%s: setsid", __func__);
	if ((pid = fork()) == -1)
		fatal("%s: fork", __func__);
	if (pid != 0)
		_exit(0);
	if (chdir("/") == -1)
		fatal("%s: chdir /", __func__);
	if ((fd = open(_PATH_DEVNULL, O_RDWR)) == -1)
		fatal("%s: %s", __func__, _PATH_DEVNULL);
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}
