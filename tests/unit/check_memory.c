/*
 * Tests for the memory collector: the /proc/meminfo parser on the fixtures
 * in tests/data/proc-{a,b,bad} and the series memory_collect derives from it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "collectors/memory.h"
#include "collectors/procfs.h"
#include "common/log.h"

static char root_a[4096], root_b[4096], root_bad[4096];

static void
setup(void)
{
	const char *src = getenv("VIGIL_SRCDIR");

	if (src == NULL)
		src = ".";
	snprintf(root_a, sizeof root_a, "%s/tests/data/proc-a", src);
	snprintf(root_b, sizeof root_b, "%s/tests/data/proc-b", src);
	snprintf(root_bad, sizeof root_bad, "%s/tests/data/proc-bad", src);
	log_init("check_memory", 0, 0);
}

static int
find(const struct proto_sample *s, const char *name, double *v)
{
	size_t i;

	for (i = 0; i < s->nvalues; i++) {
		if (strcmp(s->values[i].name, name) == 0) {
			*v = s->values[i].value;
			return 1;
		}
	}
	return 0;
}

static double
value(const struct proto_sample *s, const char *name)
{
	double v = 0;

	ck_assert_msg(find(s, name, &v), "series %s missing", name);
	return v;
}

START_TEST(test_meminfo_a)
{
	struct procfs_meminfo mi;

	ck_assert_int_eq(procfs_read_meminfo(root_a, &mi), 0);
	ck_assert_uint_eq(mi.have, 0x7f);
	/* kB * 1024; SwapCached must not be taken for Cached. */
	ck_assert_uint_eq(mi.total, 16710234112ULL);     /* 16318588 * 1024 */
	ck_assert_uint_eq(mi.free, 1264196608ULL);       /* 1234567 * 1024 */
	ck_assert_uint_eq(mi.available, 8975802368ULL);  /* 8765432 * 1024 */
	ck_assert_uint_eq(mi.buffers, 240196608ULL);     /* 234567 * 1024 */
	ck_assert_uint_eq(mi.cached, 5562470400ULL);     /* 5432100 * 1024 */
	ck_assert_uint_eq(mi.swap_total, 2147479552ULL); /* 2097148 * 1024 */
	ck_assert_uint_eq(mi.swap_free, 1073737728ULL);  /* 1048572 * 1024 */
}
END_TEST

START_TEST(test_collect_a)
{
	struct proto_sample s;

	proto_sample_init(&s, "memory", "h", 1000);
	ck_assert_int_eq(memory_collect(root_a, &s), 0);
	ck_assert_uint_eq(s.nvalues, 9);
	ck_assert_double_eq(value(&s, "mem.total"), 16710234112.0);
	ck_assert_double_eq(value(&s, "mem.free"), 1264196608.0);
	ck_assert_double_eq(value(&s, "mem.available"), 8975802368.0);
	ck_assert_double_eq(value(&s, "mem.cached"), 5562470400.0);
	ck_assert_double_eq(value(&s, "mem.buffers"), 240196608.0);
	/* used = total - available = (16318588 - 8765432) * 1024 */
	ck_assert_double_eq(value(&s, "mem.used"), 7734431744.0);
	ck_assert_double_eq(value(&s, "swap.total"), 2147479552.0);
	ck_assert_double_eq(value(&s, "swap.free"), 1073737728.0);
	/* swap.used = (2097148 - 1048572) * 1024 = 1048576 * 1024 */
	ck_assert_double_eq(value(&s, "swap.used"), 1073741824.0);
	proto_sample_free(&s);
}
END_TEST

START_TEST(test_collect_no_available)
{
	struct proto_sample s;
	double v;

	/* Kernels before 3.14 have no MemAvailable: no available, no used. */
	proto_sample_init(&s, "memory", "h", 1000);
	ck_assert_int_eq(memory_collect(root_b, &s), 0);
	ck_assert_uint_eq(s.nvalues, 7);
	ck_assert(!find(&s, "mem.available", &v));
	ck_assert(!find(&s, "mem.used", &v));
	ck_assert_double_eq(value(&s, "mem.total"), 1048576000.0); /* 1024000 */
	ck_assert_double_eq(value(&s, "mem.free"), 524288000.0);   /* 512000 */
	ck_assert_double_eq(value(&s, "mem.buffers"), 10485760.0); /* 10240 */
	ck_assert_double_eq(value(&s, "mem.cached"), 209715200.0); /* 204800 */
	ck_assert_double_eq(value(&s, "swap.used"), 0.0);
	proto_sample_free(&s);
}
END_TEST

START_TEST(test_bad)
{
	struct procfs_meminfo mi;
	struct proto_sample s;

	ck_assert_int_eq(procfs_read_meminfo(root_bad, &mi), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(procfs_read_meminfo("/nonexistent", &mi), -1);
	ck_assert_int_eq(errno, ENOENT);
	proto_sample_init(&s, "memory", "h", 1000);
	ck_assert_int_eq(memory_collect(root_bad, &s), -1);
	ck_assert_uint_eq(s.nvalues, 0);
	proto_sample_free(&s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("memory");
	TCase *tc = tcase_create("meminfo");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_meminfo_a);
	tcase_add_test(tc, test_collect_a);
	tcase_add_test(tc, test_collect_no_available);
	tcase_add_test(tc, test_bad);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
