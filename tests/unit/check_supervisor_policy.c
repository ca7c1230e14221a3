/*
 * Unit tests for supervisor/policy.c: the restart decision for every kind
 * of ending, one table row each, and sequences of deaths that walk the
 * backoff, the cap, the jitter, the stable reset and the crash budget.
 */
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "supervisor/policy.h"

/* waitpid() statuses, encoded the way Linux does. */
#define EXITED(code) (((code)&0xff) << 8)
#define SIGNALED(sig) ((sig)&0x7f)

static const struct config_policy test_policy = {
	.backoff_min_ms = 100,
	.backoff_max_ms = 1000,
	.stable_ms = 2000,
	.crash_budget = 4,
	.crash_window_ms = 10000,
	.ready_timeout_ms = 1000,
	.watchdog_ms = 0,
	.stop_timeout_ms = 1000,
};

/* One death after `streak` unstable deaths at times 1..streak ms. */
static const struct {
	enum child_state state;
	int status;
	unsigned uptime_ms;
	int failed_start;
	unsigned streak;
	uint32_t random;
	enum policy_action action;
	unsigned delay_ms;
} policy_cases[] = {
	/* Stable runs restart at once, whatever came before. */
	{ CHILD_READY, EXITED(0), 2000, 0, 0, 0, POLICY_RESTART, 0 },
	{ CHILD_READY, EXITED(1), 5000, 0, 3, 0, POLICY_RESTART, 0 },
	{ CHILD_READY, SIGNALED(SIGKILL), 60000, 0, 2, 0, POLICY_RESTART, 0 },
	{ CHILD_READY, SIGNALED(SIGSEGV) | 0x80, 2001, 0, 0, 7, POLICY_RESTART,
	    0 },
	/* Unstable: 100, 200, 400 ms; the 4th death spends the budget. */
	{ CHILD_READY, EXITED(1), 10, 0, 0, 0, POLICY_RESTART, 100 },
	{ CHILD_STARTING, EXITED(2), 10, 0, 1, 0, POLICY_RESTART, 200 },
	{ CHILD_READY, SIGNALED(SIGKILL), 1999, 0, 2, 0, POLICY_RESTART, 400 },
	{ CHILD_READY, EXITED(1), 10, 0, 3, 0, POLICY_CRASH_LOOP, 0 },
	/* Jitter: up to a quarter of the delay. */
	{ CHILD_READY, EXITED(1), 10, 0, 0, 25, POLICY_RESTART, 125 },
	{ CHILD_READY, EXITED(1), 10, 0, 0, 26, POLICY_RESTART, 100 },
	{ CHILD_READY, EXITED(1), 10, 0, 1, 50, POLICY_RESTART, 250 },
	/* A start that never became ready counts as unstable. */
	{ CHILD_STARTING, SIGNALED(SIGKILL), 5000, 1, 0, 0, POLICY_RESTART,
	    100 },
	/* Never retried. */
	{ CHILD_READY, EXITED(EXIT_USAGE), 10, 0, 0, 0, POLICY_GIVE_UP, 0 },
	{ CHILD_READY, EXITED(EXIT_CONFIG), 50000, 0, 0, 0, POLICY_GIVE_UP, 0 },
	{ CHILD_STARTING, EXITED(EXIT_CONFIG), 1, 0, 0, 0, POLICY_GIVE_UP, 0 },
	{ CHILD_STARTING, EXITED(EXIT_USAGE), 1, 0, 2, 0, POLICY_GIVE_UP, 0 },
	/* Asked to stop. */
	{ CHILD_STOPPING, EXITED(0), 10, 0, 0, 0, POLICY_STOPPED, 0 },
	{ CHILD_STOPPING, EXITED(1), 10, 0, 3, 0, POLICY_STOPPED, 0 },
	{ CHILD_STOPPING, EXITED(EXIT_CONFIG), 10, 0, 0, 0, POLICY_STOPPED, 0 },
	{ CHILD_STOPPING, SIGNALED(SIGKILL), 10, 0, 0, 0, POLICY_STOPPED, 0 },
};

static struct policy_history test_h;

START_TEST(test_policy_table)
{
	struct policy_input in;
	enum policy_action action;
	unsigned delay = 12345, i;

	memset(&test_h, 0, sizeof test_h);
	memset(&in, 0, sizeof in);
	in.status = EXITED(1);
	in.state = CHILD_READY;
	for (i = 0; i < policy_cases[_i].streak; i++) {
		in.now_ms = i + 1;
		ck_assert_int_eq(policy_decide(&test_policy, &test_h, &in,
		                     &delay),
		    POLICY_RESTART);
	}
	in.state = policy_cases[_i].state;
	in.status = policy_cases[_i].status;
	in.uptime_ms = policy_cases[_i].uptime_ms;
	in.failed_start = policy_cases[_i].failed_start;
	in.random = policy_cases[_i].random;
	in.now_ms = 100;
	action = policy_decide(&test_policy, &test_h, &in, &delay);
	ck_assert_msg(action == policy_cases[_i].action,
	    "case %d: state %s status %#x: got %s, want %s", _i,
	    child_state_name(in.state), (unsigned)in.status,
	    policy_action_name(action),
	    policy_action_name(policy_cases[_i].action));
	ck_assert_uint_eq(delay, policy_cases[_i].delay_ms);
}
END_TEST

/* Doubling stops at backoff_max; jitter never passes it. */
START_TEST(test_policy_cap)
{
	struct config_policy p = test_policy;
	struct policy_input in = { .state = CHILD_READY, .status = EXITED(1) };
	static const unsigned want[] = { 100, 200, 400, 800, 1000, 1000, 1000 };
	unsigned delay, i;

	p.crash_budget = 100;
	memset(&test_h, 0, sizeof test_h);
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		in.now_ms = i;
		in.random = i >= 4 ? 0xffffffff : 0;
		ck_assert_int_eq(policy_decide(&p, &test_h, &in, &delay),
		    POLICY_RESTART);
		ck_assert_uint_eq(delay, want[i]);
	}
}
END_TEST

/* Deaths older than the window are forgotten. */
START_TEST(test_policy_window)
{
	struct policy_input in = { .state = CHILD_READY, .status = EXITED(1) };
	unsigned delay, i;

	memset(&test_h, 0, sizeof test_h);
	for (i = 0; i < 20; i++) {
		in.now_ms = (uint64_t)i * 4000; /* 3 deaths per 10 s window */
		ck_assert_int_eq(policy_decide(&test_policy, &test_h, &in,
		                     &delay),
		    POLICY_RESTART);
	}
	ck_assert_uint_eq(delay, 1000);
	in.now_ms += 1;
	ck_assert_int_eq(policy_decide(&test_policy, &test_h, &in, &delay),
	    POLICY_CRASH_LOOP);
}
END_TEST

/* stable_after 0: every death is stable, the budget never runs out. */
START_TEST(test_policy_stable_zero)
{
	struct config_policy p = test_policy;
	struct policy_input in = { .state = CHILD_READY,
		.status = SIGNALED(SIGKILL) };
	unsigned delay, i;

	p.stable_ms = 0;
	p.crash_budget = 1;
	memset(&test_h, 0, sizeof test_h);
	for (i = 0; i < 1000; i++) {
		in.now_ms = i;
		ck_assert_int_eq(policy_decide(&p, &test_h, &in, &delay),
		    POLICY_RESTART);
		ck_assert_uint_eq(delay, 0);
	}
}
END_TEST

START_TEST(test_policy_reset)
{
	struct policy_input in = { .state = CHILD_READY, .status = EXITED(1) };
	unsigned delay, i;

	memset(&test_h, 0, sizeof test_h);
	for (i = 0; i < 3; i++)
		policy_decide(&test_policy, &test_h, &in, &delay);
	policy_reset(&test_h);
	ck_assert_int_eq(policy_decide(&test_policy, &test_h, &in, &delay),
	    POLICY_RESTART);
	ck_assert_uint_eq(delay, 100);
}
END_TEST

START_TEST(test_policy_action_names)
{
	ck_assert_str_eq(policy_action_name(POLICY_RESTART), "restart");
	ck_assert_str_eq(policy_action_name(POLICY_GIVE_UP), "give up");
	ck_assert_str_eq(policy_action_name(POLICY_CRASH_LOOP), "crash loop");
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
	tcase_add_test(tc, test_policy_cap);
	tcase_add_test(tc, test_policy_window);
	tcase_add_test(tc, test_policy_stable_zero);
	tcase_add_test(tc, test_policy_reset);
	tcase_add_test(tc, test_policy_action_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
