/*
 * Unit tests for supervisor/spawn.c: a real fork+exec of /bin/sh that
 * reports through its readiness fd, and what the child inherits.
 */
#include <sys/wait.h>

#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/spawn.h"

/*
 * Read what the child writes up to a newline or EOF; a 10 s timeout fails
 * the test.
 */
static size_t
spawn_read_all(int fd, char *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t off = 0;
	ssize_t n;

	while (off < len - 1) {
		ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
		n = read(fd, buf + off, len - 1 - off);
		ck_assert_int_ne(n, -1);
		if (n == 0)
			break;
		off += n;
		if (buf[off - 1] == '\n')
			break;
	}
	buf[off] = '\0';
	return off;
}

static int
spawn_wait(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

START_TEST(test_spawn_ready_line)
{
	char *argv[] = { "/bin/sh", "-c",
		"read x; echo \"ready $? $VIGIL_READY_FD\" >&3; exit 3", NULL };
	char buf[64];
	pid_t pid;
	int fd, status;

	/* A stale value from vigild's own environment must not leak. */
	setenv("VIGIL_READY_FD", "99", 1);
	ck_assert_int_eq(spawn_role(argv[0], argv, NULL, 0, &pid, &fd), 0);
	spawn_read_all(fd, buf, sizeof buf);
	/* stdin is /dev/null: read fails at once with status 1. */
	ck_assert_str_eq(buf, "ready 1 3\n");
	close(fd);
	status = spawn_wait(pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 3);
}
END_TEST

START_TEST(test_spawn_exec_fails)
{
	char *argv[] = { "/nonexistent/vigil-x", NULL };
	char buf[16];
	pid_t pid;
	int fd, status;

	ck_assert_int_eq(spawn_role(argv[0], argv, NULL, 0, &pid, &fd), 0);
	ck_assert_uint_eq(spawn_read_all(fd, buf, sizeof buf), 0);
	close(fd);
	status = spawn_wait(pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 127);
}
END_TEST

/* The SigIgn mask of pid from /proc, as a bit set. */
static unsigned long long
spawn_sigign(pid_t pid)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "SigIgn: %llx", &mask) == 1)
			break;
	}
	fclose(f);
	return mask;
}

START_TEST(test_spawn_group_and_signals)
{
	char *argv[] = { "/bin/sh", "-c",
		"echo ready >&$VIGIL_READY_FD; exec sleep 30", NULL };
	unsigned long long ign;
	char buf[16];
	pid_t pid;
	int fd, status;

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(spawn_role(argv[0], argv, NULL, 0, &pid, &fd), 0);
	spawn_read_all(fd, buf, sizeof buf);
	close(fd);
	ck_assert_str_eq(buf, "ready\n");

	ck_assert_int_eq(getpgid(pid), pid);
	ign = spawn_sigign(pid);
	ck_assert_msg((ign & (1ULL << (SIGPIPE - 1))) == 0,
	    "SIGPIPE still ignored in the child");
	ck_assert_msg((ign & (1ULL << (SIGTTOU - 1))) != 0,
	    "SIGTTOU not ignored in the child");

	ck_assert_int_eq(kill(-pid, SIGTERM), 0);
	status = spawn_wait(pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGTERM);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("spawn");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_spawn_ready_line);
	tcase_add_test(tc, test_spawn_exec_fails);
	tcase_add_test(tc, test_spawn_group_and_signals);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
