/*
 * Unit tests for supervisor/policy.c: the restart decision for every kind
 * of ending, one table row each.
 */
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdlib.h>

#include "common/config.h"
#include "supervisor/policy.h"

/* waitpid() statuses, encoded the way Linux does. */
#define EXITED(code) (((code)&0xff) << 8)
#define SIGNALED(sig) ((sig)&0x7f)

static const struct {
	enum child_state state;
	int status;
	enum policy_action action;
	unsigned delay_ms;
} policy_cases[] = {
    {CHILD_READY, EXITED(0), POLICY_RESTART, 500},
    {CHILD_READY, EXITED(1), POLICY_RESTART, 500},
    {CHILD_READY, EXITED(127), POLICY_RESTART, 500},
    {CHILD_READY, SIGNALED(SIGKILL), POLICY_RESTART, 500},
    {CHILD_READY, SIGNALED(SIGSEGV) | 0x80, POLICY_RESTART, 500},
    {CHILD_READY, SIGNALED(SIGTERM), POLICY_RESTART, 500},
    {CHILD_STARTING, EXITED(2), POLICY_RESTART, 500},
    {CHILD_STARTING, SIGNALED(SIGABRT), POLICY_RESTART, 500},
    {CHILD_READY, EXITED(EXIT_USAGE), POLICY_GIVE_UP, 0},
    {CHILD_READY, EXITED(EXIT_CONFIG), POLICY_GIVE_UP, 0},
    {CHILD_STARTING, EXITED(EXIT_USAGE), POLICY_GIVE_UP, 0},
    {CHILD_STARTING, EXITED(EXIT_CONFIG), POLICY_GIVE_UP, 0},
    {CHILD_STOPPING, EXITED(0), POLICY_STOPPED, 0},
    {CHILD_STOPPING, EXITED(1), POLICY_STOPPED, 0},
    {CHILD_STOPPING, EXITED(EXIT_CONFIG), POLICY_STOPPED, 0},
    {CHILD_STOPPING, SIGNALED(SIGTERM), POLICY_STOPPED, 0},
    {CHILD_STOPPING, SIGNALED(SIGKILL), POLICY_STOPPED, 0},
};

START_TEST(test_policy_table)
{
	struct policy p = {.restart_delay_ms = 500};
	struct policy_input in = {.restarts = 0, .uptime_ms = 1000};
	enum policy_action action;
	unsigned delay = 12345;

	in.state = policy_cases[_i].state;
	in.status = policy_cases[_i].status;
	action = policy_decide(&p, &in, &delay);
	ck_assert_msg(action == policy_cases[_i].action,
	    "case %d: state %s status %#x: got %s, want %s", _i,
	    child_state_name(in.state), (unsigned)in.status,
	    policy_action_name(action),
	    policy_action_name(policy_cases[_i].action));
	ck_assert_uint_eq(delay, policy_cases[_i].delay_ms);
}
END_TEST

START_TEST(test_policy_delay_from_config)
{
	struct policy p = {.restart_delay_ms = 0};
	struct policy_input in = {.state = CHILD_READY, .status = EXITED(1)};
	unsigned delay = 1;

	ck_assert_int_eq(policy_decide(&p, &in, &delay), POLICY_RESTART);
	ck_assert_uint_eq(delay, 0);
	p.restart_delay_ms = 60000;
	ck_assert_int_eq(policy_decide(&p, &in, &delay), POLICY_RESTART);
	ck_assert_uint_eq(delay, 60000);
}
END_TEST

START_TEST(test_policy_action_names)
{
	ck_assert_str_eq(policy_action_name(POLICY_RESTART), "restart");
	ck_assert_str_eq(policy_action_name(POLICY_GIVE_UP), "give up");
	ck_assert_str_eq(policy_action_name(POLICY_STOPPED), "stopped");
	ck_assert_str_eq(policy_action_name((enum policy_action)99), "unknown");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_policy_table, 0,
	    sizeof policy_cases / sizeof policy_cases[0]);
	tcase_add_test(tc, test_policy_delay_from_config);
	tcase_add_test(tc, test_policy_action_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
