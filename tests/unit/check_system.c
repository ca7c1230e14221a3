/*
 * Tests for the system collector: the /proc/stat, /proc/loadavg and
 * /proc/uptime parsers on the fixtures in tests/data/proc-{a,b,bad}, the
 * CPU busy arithmetic, the series system_collect publishes, and the tick
 * alignment of the collector loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "collectors/collector.h"
#include "collectors/procfs.h"
#include "collectors/system.h"
#include "common/log.h"

#define TOL 1e-9

static char root_a[4096], root_b[4096], root_bad[4096];

static void
setup(void)
{
	const char *src = getenv("VIGIL_SRCDIR");

	if (src == NULL)
		src = ".";
	snprintf(root_a, sizeof root_a, "%s/tests/data/proc-a", src);
	snprintf(root_b, sizeof root_b, "%s/tests/data/proc-b/", src);
	snprintf(root_bad, sizeof root_bad, "%s/tests/data/proc-bad", src);
	log_init("check_system", 0, 0);
}

/* The value of series name in s; fails the test if it is missing. */
static double
value(const struct proto_sample *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nvalues; i++) {
		if (strcmp(s->values[i].name, name) == 0)
			return s->values[i].value;
	}
	ck_abort_msg("series %s missing", name);
	return 0;
}

static int
has(const struct proto_sample *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nvalues; i++) {
		if (strcmp(s->values[i].name, name) == 0)
			return 1;
	}
	return 0;
}

START_TEST(test_stat_a)
{
	struct procfs_stat st;

	ck_assert_int_eq(procfs_read_stat(root_a, &st), 0);
	ck_assert_uint_eq(st.ncpu, 3);
	/*
	 * total = user+nice+system+idle+iowait+irq+softirq+steal, guest is
	 * already in user:
	 *   cpu:  1000+100+500+8000+200+50+50+100 = 10000, idle 8000+200
	 *   cpu0: 600+50+300+3900+100+25+25+0     = 5000,  idle 3900+100
	 *   cpu1: 400+50+200+4100+100+25+25+100   = 5000,  idle 4100+100
	 */
	ck_assert_int_eq(st.cpu[0].id, -1);
	ck_assert_uint_eq(st.cpu[0].total, 10000);
	ck_assert_uint_eq(st.cpu[0].idle, 8200);
	ck_assert_int_eq(st.cpu[1].id, 0);
	ck_assert_uint_eq(st.cpu[1].total, 5000);
	ck_assert_uint_eq(st.cpu[1].idle, 4000);
	ck_assert_int_eq(st.cpu[2].id, 1);
	ck_assert_uint_eq(st.cpu[2].total, 5000);
	ck_assert_uint_eq(st.cpu[2].idle, 4200);
	procfs_stat_free(&st);
}
END_TEST

START_TEST(test_busy)
{
	struct procfs_stat a, b;
	double busy;

	ck_assert_int_eq(procfs_read_stat(root_a, &a), 0);
	ck_assert_int_eq(procfs_read_stat(root_b, &b), 0);
	ck_assert_uint_eq(b.ncpu, 4);
	/*
	 * cpu: total 1150+100+550+8750+240+50+50+110 = 11000, idle 8990;
	 * delta total 1000, delta idle 790: 100 * (1 - 790/1000) = 21.
	 */
	ck_assert_int_eq(procfs_cpu_busy(&a.cpu[0], &b.cpu[0], &busy), 0);
	ck_assert_double_eq_tol(busy, 21.0, TOL);
	/*
	 * cpu0: total 750+50+350+4150+150+25+25+0 = 5500, idle 4300;
	 * 100 * (1 - 300/500) = 40.
	 */
	ck_assert_int_eq(procfs_cpu_busy(&a.cpu[1], &b.cpu[1], &busy), 0);
	ck_assert_double_eq_tol(busy, 40.0, TOL);
	/*
	 * cpu1: total 400+50+200+4600+90+25+25+110 = 5500, idle 4600+90;
	 * iowait went back (100 -> 90) but idle+iowait still moved:
	 * 100 * (1 - 490/500) = 2.
	 */
	ck_assert_int_eq(procfs_cpu_busy(&a.cpu[2], &b.cpu[2], &busy), 0);
	ck_assert_double_eq_tol(busy, 2.0, TOL);
	procfs_stat_free(&a);
	procfs_stat_free(&b);
}
END_TEST

START_TEST(test_busy_guards)
{
	struct procfs_cpu prev = { 0, 1000, 500 }, cur;
	double busy = -1;

	/* No time passed, or the counters went back: no value. */
	cur = prev;
	ck_assert_int_eq(procfs_cpu_busy(&prev, &cur, &busy), -1);
	cur.total = 900;
	ck_assert_int_eq(procfs_cpu_busy(&prev, &cur, &busy), -1);
	/* Idle went back while total moved: all of the 100 ticks busy. */
	cur.total = 1100;
	cur.idle = 400;
	ck_assert_int_eq(procfs_cpu_busy(&prev, &cur, &busy), 0);
	ck_assert_double_eq_tol(busy, 100.0, TOL);
	/* More idle than total (a torn read): clamped to 0% busy. */
	cur.idle = 700;
	ck_assert_int_eq(procfs_cpu_busy(&prev, &cur, &busy), 0);
	ck_assert_double_eq_tol(busy, 0.0, TOL);
}
END_TEST

START_TEST(test_loadavg_uptime)
{
	struct procfs_loadavg la;
	double up;

	ck_assert_int_eq(procfs_read_loadavg(root_a, &la), 0);
	ck_assert_double_eq_tol(la.load1, 0.52, TOL);
	ck_assert_double_eq_tol(la.load5, 0.58, TOL);
	ck_assert_double_eq_tol(la.load15, 0.59, TOL);
	ck_assert_int_eq(procfs_read_uptime(root_a, &up), 0);
	ck_assert_double_eq_tol(up, 12345.67, TOL);
}
END_TEST

START_TEST(test_bad_files)
{
	struct procfs_stat st;
	struct procfs_loadavg la;
	double up;

	errno = 0;
	ck_assert_int_eq(procfs_read_stat(root_bad, &st), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(st.cpu);
	ck_assert_int_eq(procfs_read_loadavg(root_bad, &la), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* proc-bad has no uptime file at all. */
	ck_assert_int_eq(procfs_read_uptime(root_bad, &up), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(procfs_read_stat("/nonexistent", &st), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_collect)
{
	struct system *sys = system_new(root_a);
	struct proto_sample s;

	proto_sample_init(&s, "system", "h", 1000);
	/* First reading: no CPU series yet. */
	system_collect(sys, root_a, &s);
	ck_assert_uint_eq(s.nvalues, 4);
	ck_assert(!has(&s, "cpu.total.busy"));
	ck_assert_double_eq_tol(value(&s, "load.1"), 0.52, TOL);
	ck_assert_double_eq_tol(value(&s, "uptime"), 12345.67, TOL);

	/* Second: the busy values of test_busy; cpu3 is new, so no value. */
	proto_sample_clear(&s);
	system_collect(sys, root_b, &s);
	ck_assert_uint_eq(s.nvalues, 3 + 4);
	ck_assert_double_eq_tol(value(&s, "cpu.total.busy"), 21.0, TOL);
	ck_assert_double_eq_tol(value(&s, "cpu.0.busy"), 40.0, TOL);
	ck_assert_double_eq_tol(value(&s, "cpu.1.busy"), 2.0, TOL);
	ck_assert(!has(&s, "cpu.3.busy"));
	ck_assert_double_eq_tol(value(&s, "load.1"), 1.5, TOL);
	ck_assert_double_eq_tol(value(&s, "load.5"), 0.75, TOL);
	ck_assert_double_eq_tol(value(&s, "load.15"), 0.25, TOL);
	ck_assert_double_eq_tol(value(&s, "uptime"), 12346.67, TOL);

	proto_sample_free(&s);
	system_free(sys);
}
END_TEST

START_TEST(test_collect_bad)
{
	struct system *sys = system_new(root_a);
	struct proto_sample s;

	proto_sample_init(&s, "system", "h", 1000);
	system_collect(sys, root_a, &s);
	/* Nothing readable: no series, and the reading of a is kept... */
	proto_sample_clear(&s);
	system_collect(sys, root_bad, &s);
	ck_assert_uint_eq(s.nvalues, 0);
	/* ...so b still gets its CPU values, against a. */
	proto_sample_clear(&s);
	system_collect(sys, root_b, &s);
	ck_assert_double_eq_tol(value(&s, "cpu.total.busy"), 21.0, TOL);
	proto_sample_free(&s);
	system_free(sys);
}
END_TEST

START_TEST(test_next_tick)
{
	int64_t last = 0, iv = 1000;

	/* At 10012345 the next multiple of 1000 is 10013000: 655 to wait. */
	ck_assert_int_eq(collector_next_tick(10012345, iv, &last), 655);
	ck_assert_int_eq(last, 10013);
	/* Fired 2 early, at 10012998: 10013000 counts as done, so 1002. */
	ck_assert_int_eq(collector_next_tick(10012998, iv, &last), 1002);
	ck_assert_int_eq(last, 10014);
	/* Fired 3 late, at 10014003: next is 10015000, 997 away. */
	ck_assert_int_eq(collector_next_tick(10014003, iv, &last), 997);
	ck_assert_int_eq(last, 10015);
	/* Clock set back 3600000: 6414003 waits for 6415000, not 10016000. */
	ck_assert_int_eq(collector_next_tick(6414003, iv, &last), 997);
	ck_assert_int_eq(last, 6415);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("system");
	TCase *tc = tcase_create("procfs");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_stat_a);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_busy_guards);
	tcase_add_test(tc, test_loadavg_uptime);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_collect);
	tcase_add_test(tc, test_collect_bad);
	tcase_add_test(tc, test_next_tick);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
