/*
 * Unit tests for supervisor/child.c: every cell of the state x event
 * table, against the list of transitions that may happen.
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/child.h"

#define EXITED(code) (((code)&0xff) << 8)
#define SIGNALED(sig) ((sig)&0x7f)

/* The allowed transitions; every other (state, event) pair is -1. */
static const struct {
	enum child_state from;
	enum child_event ev;
	enum child_state to;
} child_allowed[] = {
	{ CHILD_STOPPED, CHILD_EV_SPAWNED, CHILD_STARTING },
	{ CHILD_STOPPED, CHILD_EV_SPAWN_FAILED, CHILD_BACKOFF },
	{ CHILD_STOPPED, CHILD_EV_NOT_FOUND, CHILD_FAILED },
	{ CHILD_STOPPED, CHILD_EV_STOP, CHILD_STOPPED },
	{ CHILD_STARTING, CHILD_EV_READY, CHILD_READY },
	{ CHILD_STARTING, CHILD_EV_STOP, CHILD_STOPPING },
	{ CHILD_STARTING, CHILD_EV_EXIT_RESTART, CHILD_BACKOFF },
	{ CHILD_STARTING, CHILD_EV_EXIT_GIVE_UP, CHILD_FAILED },
	{ CHILD_READY, CHILD_EV_STOP, CHILD_STOPPING },
	{ CHILD_READY, CHILD_EV_EXIT_RESTART, CHILD_BACKOFF },
	{ CHILD_READY, CHILD_EV_EXIT_GIVE_UP, CHILD_FAILED },
	{ CHILD_BACKOFF, CHILD_EV_SPAWNED, CHILD_STARTING },
	{ CHILD_BACKOFF, CHILD_EV_SPAWN_FAILED, CHILD_BACKOFF },
	{ CHILD_BACKOFF, CHILD_EV_NOT_FOUND, CHILD_FAILED },
	{ CHILD_BACKOFF, CHILD_EV_STOP, CHILD_STOPPED },
	{ CHILD_STOPPING, CHILD_EV_READY, CHILD_STOPPING },
	{ CHILD_STOPPING, CHILD_EV_STOP, CHILD_STOPPING },
	{ CHILD_STOPPING, CHILD_EV_EXIT_STOPPED, CHILD_STOPPED },
	{ CHILD_FAILED, CHILD_EV_SPAWNED, CHILD_STARTING },
	{ CHILD_FAILED, CHILD_EV_SPAWN_FAILED, CHILD_BACKOFF },
	{ CHILD_FAILED, CHILD_EV_NOT_FOUND, CHILD_FAILED },
	{ CHILD_FAILED, CHILD_EV_STOP, CHILD_STOPPED },
};

static int
child_expected(enum child_state from, enum child_event ev)
{
	size_t i;

	for (i = 0; i < sizeof child_allowed / sizeof child_allowed[0]; i++) {
		if (child_allowed[i].from == from && child_allowed[i].ev == ev)
			return child_allowed[i].to;
	}
	return -1;
}

/* One loop iteration per state; all events of that state. */
START_TEST(test_child_table)
{
	enum child_state st = _i;
	int ev;

	for (ev = 0; ev < CHILD_NEVENTS; ev++) {
		ck_assert_msg(child_next(st, ev) == child_expected(st, ev),
		    "%s + %s: got %d, want %d", child_state_name(st),
		    child_event_name(ev), child_next(st, ev),
		    child_expected(st, ev));
	}
}
END_TEST

START_TEST(test_child_out_of_range)
{
	ck_assert_int_eq(child_next(CHILD_NSTATES, CHILD_EV_STOP), -1);
	ck_assert_int_eq(child_next(CHILD_READY, CHILD_NEVENTS), -1);
	ck_assert_int_eq(child_next((enum child_state) - 1, CHILD_EV_STOP), -1);
}
END_TEST

START_TEST(test_child_apply)
{
	struct child c;

	memset(&c, 0, sizeof c);
	c.role = "system";
	c.state = CHILD_STOPPED;
	c.pid = -1;
	child_apply(&c, CHILD_EV_SPAWNED);
	ck_assert_int_eq(c.state, CHILD_STARTING);
	child_apply(&c, CHILD_EV_READY);
	ck_assert_int_eq(c.state, CHILD_READY);
	child_apply(&c, CHILD_EV_EXIT_RESTART);
	ck_assert_int_eq(c.state, CHILD_BACKOFF);
	child_apply(&c, CHILD_EV_STOP);
	ck_assert_int_eq(c.state, CHILD_STOPPED);
	ck_assert_int_eq(child_running(&c), 0);
	c.pid = 42;
	ck_assert_int_eq(child_running(&c), 1);
}
END_TEST

START_TEST(test_child_names)
{
	int i;

	for (i = 0; i < CHILD_NSTATES; i++)
		ck_assert_str_ne(child_state_name(i), "unknown");
	for (i = 0; i < CHILD_NEVENTS; i++)
		ck_assert_str_ne(child_event_name(i), "unknown");
	ck_assert_str_eq(child_state_name(CHILD_NSTATES), "unknown");
	ck_assert_str_eq(child_event_name(CHILD_NEVENTS), "unknown");
	ck_assert_str_eq(child_state_name(CHILD_BACKOFF), "backoff");
}
END_TEST

START_TEST(test_child_status_string)
{
	char buf[128];

	child_status_string(EXITED(0), buf, sizeof buf);
	ck_assert_str_eq(buf, "exited with status 0");
	child_status_string(EXITED(78), buf, sizeof buf);
	ck_assert_str_eq(buf, "exited with status 78");
	child_status_string(SIGNALED(SIGKILL), buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "killed by signal 9"));
	child_status_string(SIGNALED(SIGSEGV) | 0x80, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "core dumped"));
	child_status_short(EXITED(78), buf, sizeof buf);
	ck_assert_str_eq(buf, "exit 78");
	child_status_short(SIGNALED(SIGKILL), buf, sizeof buf);
	ck_assert_str_eq(buf, "signal 9");
	child_status_short(-1, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("child");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_child_table, 0, CHILD_NSTATES);
	tcase_add_test(tc, test_child_out_of_range);
	tcase_add_test(tc, test_child_apply);
	tcase_add_test(tc, test_child_names);
	tcase_add_test(tc, test_child_status_string);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
