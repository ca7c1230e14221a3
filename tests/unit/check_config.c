/*
 * Unit tests for common/config.c: defaults, a valid file, and errors that
 * name the file and the line of the first bad setting.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

static char *
fixture(const char *name)
{
	static char path[1024];
	const char *src = getenv("VIGIL_SRCDIR");

	snprintf(path, sizeof path, "%s/tests/data/config/%s", src ? src : ".",
	    name);
	return path;
}

START_TEST(test_defaults)
{
	struct config cf;
	char err[512];

	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	ck_assert_int_eq(config_load(&cf, NULL, err, sizeof err), 0);
	ck_assert_ptr_null(cf.path);
	ck_assert_uint_eq(cf.gateway.port, 8420);
	ck_assert_str_eq(cf.gateway.address, "127.0.0.1");
	ck_assert_uint_eq(cf.metrics.port, 8125);
	ck_assert_uint_eq(cf.system.c.interval_ms, 1000);
	ck_assert_str_eq(cf.system.c.proc_root, "/");
	ck_assert(config_has_role(&cf, "gateway"));
	ck_assert(config_has_role(&cf, "metrics"));
	ck_assert(!config_has_role(&cf, "metric"));
	ck_assert_ptr_nonnull(cf.host);
	/* The bus lives in the runtime directory unless set. */
	ck_assert_int_eq(strncmp(cf.bus, "ipc://", 6), 0);
	ck_assert_ptr_nonnull(strstr(cf.bus, cf.rundir));
	config_free(&cf);
}
END_TEST

START_TEST(test_good)
{
	struct config cf;
	char err[512];

	ck_assert_int_eq(config_load(&cf, fixture("good.conf"), err,
	                     sizeof err),
	    0);
	ck_assert_str_eq(cf.rundir, "/tmp/vigil-test");
	ck_assert_str_eq(cf.bus, "ipc:///tmp/vigil-test/bus");
	ck_assert_uint_eq(cf.gateway.port, 9001);
	ck_assert_str_eq(cf.gateway.www, "/srv/www");
	ck_assert_uint_eq(cf.metrics.port, 0);
	ck_assert_uint_eq(cf.metrics.max_names, 50);
	ck_assert(config_has_role(&cf, "gateway"));
	ck_assert(config_has_role(&cf, "system"));
	ck_assert(!config_has_role(&cf, "memory"));
	config_free(&cf);
}
END_TEST

/* [vigild] sets every role's policy; a role's section overrides it. */
START_TEST(test_policy)
{
	struct config a, b;
	char err[2048];

	ck_assert_int_eq(config_load(&a, fixture("policy.conf"), err,
	                     sizeof err),
	    0);
	ck_assert_uint_eq(config_role_policy(&a, CONFIG_ROLE_SYSTEM)
	                      ->backoff_max_ms,
	    2000);
	ck_assert_uint_eq(config_role_policy(&a, CONFIG_ROLE_MEMORY)
	                      ->backoff_max_ms,
	    500);
	ck_assert_uint_eq(config_role_policy(&a, CONFIG_ROLE_MEMORY)
	                      ->watchdog_ms,
	    0);
	ck_assert_uint_eq(config_role_policy(&a, CONFIG_ROLE_GATEWAY)
	                      ->backoff_min_ms,
	    100);
	ck_assert_int_eq(config_role_index("metrics"), CONFIG_ROLE_METRICS);
	ck_assert_int_eq(config_role_index("vigild"), -1);

	/* Only memory's own key differs between the two files. */
	ck_assert_int_eq(config_load(&b, fixture("policy-changed.conf"), err,
	                     sizeof err),
	    0);
	ck_assert(config_role_changed(&a, &b, CONFIG_ROLE_MEMORY));
	ck_assert(!config_role_changed(&a, &b, CONFIG_ROLE_SYSTEM));
	ck_assert(!config_role_changed(&a, &b, CONFIG_ROLE_GATEWAY));
	ck_assert(!config_role_changed(&a, &a, CONFIG_ROLE_MEMORY));
	free(b.host);
	b.host = strdup("elsewhere");
	ck_assert(config_role_changed(&a, &b, CONFIG_ROLE_SYSTEM));
	config_free(&a);
	config_free(&b);
}
END_TEST

static const struct {
	const char *file;
	const char *error; /* after "PATH:" */
} bad_files[] = {
	{ "unknown-key.conf", "5: unknown key 'prot' in [gateway]" },
	{ "out-of-range.conf",
	    "3: interval: '5' is not a number from 10 to "
	    "3600000" },
	{ "not-a-number.conf",
	    "2: port: '80x' is not a number from 0 to "
	    "65535" },
	{ "unknown-section.conf", "4: unknown section [colector]" },
	{ "watchdog-low.conf",
	    "2: watchdog: '50' is not 0 or a number from "
	    "100 to 3600000" },
	{ "syntax.conf", "3: syntax error" },
	{ "missing.conf", " No such file or directory" },
};

START_TEST(test_errors)
{
	struct config cf;
	char err[2048], want[2048];
	const char *path = fixture(bad_files[_i].file);

	ck_assert_int_eq(config_load(&cf, path, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:%s", path, bad_files[_i].error);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_bad_role)
{
	struct config cf;
	char err[2048], want[2048];
	const char *path = fixture("bad-role.conf");

	ck_assert_int_eq(config_load(&cf, path, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: roles: unknown role 'sytem'", path);
	ck_assert_str_eq(err, want);
	path = fixture("repeated-role.conf");
	ck_assert_int_eq(config_load(&cf, path, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: roles: repeated role 'system'", path);
	ck_assert_str_eq(err, want);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_good);
	tcase_add_loop_test(tc, test_errors, 0,
	    sizeof bad_files / sizeof bad_files[0]);
	tcase_add_test(tc, test_bad_role);
	tcase_add_test(tc, test_policy);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
