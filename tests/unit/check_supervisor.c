/*
 * Unit tests for supervisor/supervisor.c: the role list checks that
 * vigild -n runs on top of the config loader.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "supervisor/supervisor.h"

static const struct {
	const char *roles;
	int ok;
} roles_cases[] = {
    {"gateway system memory metrics", 1},
    {"  gateway\tsystem  ", 1},
    {"gateway,system, memory", 1},
    {"gateway,gateway", 0},
    {"", 1},
    {"my_role-2", 1},
    {"gateway system gateway", 0},
    {"../bin/sh", 0},
    {"System", 0},
    {"a b c d", 1},
    {"a b c d e", 0},
    {"abcdefghijklmnopqrstuvwxyzabcdefg", 0},
};

START_TEST(test_supervisor_check_roles)
{
	struct config cf;
	char err[256] = "";
	int rv;

	memset(&cf, 0, sizeof cf);
	cf.roles = (char *)roles_cases[_i].roles;
	rv = supervisor_check(&cf, err, sizeof err);
	ck_assert_msg(rv == (roles_cases[_i].ok ? 0 : -1), "\"%s\": %d %s",
	    roles_cases[_i].roles, rv, err);
	if (!roles_cases[_i].ok)
		ck_assert_str_ne(err, "");
}
END_TEST

START_TEST(test_supervisor_check_no_roles)
{
	struct config cf;
	char err[64];

	memset(&cf, 0, sizeof cf);
	ck_assert_int_eq(supervisor_check(&cf, err, sizeof err), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("supervisor");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_supervisor_check_roles, 0,
	    sizeof roles_cases / sizeof roles_cases[0]);
	tcase_add_test(tc, test_supervisor_check_no_roles);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
