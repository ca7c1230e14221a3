/*
 * Unit tests for supervisor/control.c: the request lines vigild answers
 * without any role running, and the errors an operator sees for a bad
 * command, a bad role or a missing argument.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/control.h"

static const struct {
	const char *line;
	const char *reply; /* a part of the reply that must be there */
} control_cases[] = {
	{ "status", "{\"ok\":true,\"roles\":[" },
	{ "frobnicate", "unknown command 'frobnicate'" },
	{ "", "unknown command ''" },
	{ "start", "start needs a role" },
	{ "restart", "restart needs a role" },
	{ "stop nosuchrole", "unknown role 'nosuchrole'" },
	{ "reset memory", "role 'memory' is not in the roles list" },
	{ "restart \"x", "unknown role '\\\"x'" },
	{ "status now", "status takes no argument" },
	{ "shutdown please", "shutdown takes no argument" },
};

START_TEST(test_control_lines)
{
	char out[4096];

	ck_assert_int_eq(control_handle(control_cases[_i].line, out,
	                     sizeof out),
	    0);
	ck_assert_msg(strstr(out, control_cases[_i].reply) != NULL,
	    "'%s': reply %s lacks %s", control_cases[_i].line, out,
	    control_cases[_i].reply);
	if (strncmp(out, "{\"ok\":true", 10) != 0)
		ck_assert_ptr_nonnull(strstr(out, "\"ok\":false"));
}
END_TEST

START_TEST(test_control_shutdown)
{
	char out[64];

	ck_assert_int_eq(control_handle("shutdown", out, sizeof out), 1);
	ck_assert_str_eq(out, "{\"ok\":true}");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_control_lines, 0,
	    sizeof control_cases / sizeof control_cases[0]);
	tcase_add_test(tc, test_control_shutdown);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
