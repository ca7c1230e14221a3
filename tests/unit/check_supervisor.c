/*
 * Unit tests for what vigild -n checks: the role list (config.c), the
 * policy keys of the config file with their file:line errors, and the
 * user the roles run as (spawn.c).
 */
#include <check.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "supervisor/spawn.h"
#include "supervisor/supervisor.h"

static const struct {
	const char *text;
	const char *err; /* NULL: valid */
} conf_cases[] = {
	{ "[vigild]\nbackoff_min = 0\nstable_after = 0\n", NULL },
	{ "[vigild]\ncrash_budget = 1000\ncrash_window = 1000\n", NULL },
	{ "[memory]\nwatchdog = 0\nready_timeout = 100\n", NULL },
	{ "[vigild]\n\ncrash_budget = 0\n", ":3:" },
	{ "[vigild]\ncrash_budget = 1001\n", ":2:" },
	{ "[vigild]\ncrash_window = 999\n", ":2:" },
	{ "[vigild]\nready_timeout = 99\n", ":2:" },
	{ "[system]\nstop_timeout = fast\n", ":2:" },
	{ "[vigild]\nbackoff = 100\n", ":2:" },
	{ "[vigild]\nroles = gateway nosuch\n", "unknown role 'nosuch'" },
};

START_TEST(test_supervisor_conf)
{
	char path[] = "/tmp/check_supervisor.XXXXXX", err[512] = "";
	struct config cf;
	FILE *f;
	int fd, rv;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	fputs(conf_cases[_i].text, f);
	fclose(f);
	rv = config_load(&cf, path, err, sizeof err);
	unlink(path);
	if (conf_cases[_i].err == NULL) {
		ck_assert_msg(rv == 0, "case %d: %s", _i, err);
		config_free(&cf);
		return;
	}
	ck_assert_int_eq(rv, -1);
	ck_assert_msg(strstr(err, conf_cases[_i].err) != NULL,
	    "case %d: '%s' lacks '%s'", _i, err, conf_cases[_i].err);
}
END_TEST

START_TEST(test_supervisor_user)
{
	struct spawn_cred cred;
	char err[256] = "";

	ck_assert_int_eq(spawn_cred_lookup("root", &cred, err, sizeof err), 0);
	ck_assert_uint_eq(cred.uid, 0);
	ck_assert_int_ge(cred.ngroups, 1);
	ck_assert_int_eq(spawn_cred_lookup("no-such-vigil-user", &cred, err,
	                     sizeof err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "no-such-vigil-user"));
}
END_TEST

static const struct {
	const char *roles;
	int ok;
} roles_cases[] = {
	{ "gateway system memory metrics", 1 },
	{ "  gateway\tsystem  ", 1 },
	{ "gateway,system, memory", 1 },
	{ "gateway,gateway", 0 },
	{ "", 1 },
	{ "my_role-2", 0 },
	{ "gateway system gateway", 0 },
	{ "../bin/sh", 0 },
	{ "System", 0 },
	{ "a b c d", 0 },
	{ "metrics memory system gateway", 1 },
	{ "a b c d e", 0 },
	{ "abcdefghijklmnopqrstuvwxyzabcdefg", 0 },
};

START_TEST(test_supervisor_check_roles)
{
	struct config cf;
	char err[256] = "";
	int rv;

	memset(&cf, 0, sizeof cf);
	cf.roles = (char *)roles_cases[_i].roles;
	rv = config_check_roles(&cf, err, sizeof err);
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
	ck_assert_int_eq(config_check_roles(&cf, err, sizeof err), 0);
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
	tcase_add_loop_test(tc, test_supervisor_conf, 0,
	    sizeof conf_cases / sizeof conf_cases[0]);
	tcase_add_test(tc, test_supervisor_user);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
