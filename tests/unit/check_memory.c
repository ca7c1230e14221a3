/*
 * Tests for the memory collector: the /proc/meminfo, /proc/vmstat and
 * /proc/PID/stat parsers on the fixtures in tests/data/proc-*, and every
 * series memory_collect publishes between proc-a and proc-b (2 s apart)
 * against values computed by hand, with a counter reset, an old kernel
 * without MemAvailable, a container-like tree and bad files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "collectors/memory.h"
#include "collectors/procfs.h"
#include "collectors/procs.h"
#include "common/log.h"

#define TOL 1e-9
#define KB 1024.0
#define T0 10000000000LL
#define T1 12000000000LL

static char root_a[4096], root_b[4096], root_bad[4096], root_ct[4096];

static void
setup(void)
{
	const char *src = getenv("VIGIL_SRCDIR");

	if (src == NULL)
		src = ".";
	snprintf(root_a, sizeof root_a, "%s/tests/data/proc-a", src);
	snprintf(root_b, sizeof root_b, "%s/tests/data/proc-b", src);
	snprintf(root_bad, sizeof root_bad, "%s/tests/data/proc-bad", src);
	snprintf(root_ct, sizeof root_ct, "%s/tests/data/proc-ct", src);
	log_init("check_memory", 0, 0);
}

static int
find(const struct proto_sample *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nvalues; i++) {
		if (strcmp(s->values[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

static double
value(const struct proto_sample *s, const char *name)
{
	int i = find(s, name);

	ck_assert_msg(i >= 0, "series %s missing", name);
	return s->values[i].value;
}

static const char *
text(const struct proto_sample *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ntexts; i++) {
		if (strcmp(s->texts[i].name, name) == 0)
			return s->texts[i].value;
	}
	ck_abort_msg("text %s missing", name);
	return NULL;
}

#define EQ(s, name, v) ck_assert_double_eq_tol(value(s, name), (v), TOL)
#define HAS(s, name) (find(s, name) >= 0)

START_TEST(test_meminfo_a)
{
	struct procfs_meminfo mi;

	ck_assert_int_eq(procfs_read_meminfo(root_a, &mi), 0);
	ck_assert_uint_eq(mi.have, (1u << PROCFS_MEM_N) - 1);
	ck_assert_uint_eq(mi.v[PROCFS_MEM_TOTAL], 16318588ull * 1024);
	ck_assert_uint_eq(mi.v[PROCFS_MEM_COMMITTED], 12000000ull * 1024);
	ck_assert_uint_eq(mi.v[PROCFS_MEM_WRITEBACK], 12ull * 1024);
}
END_TEST

START_TEST(test_vmstat)
{
	struct procfs_vmstat vm;

	ck_assert_int_eq(procfs_read_vmstat(root_a, &vm), 0);
	ck_assert_uint_eq(vm.have, (1u << PROCFS_VM_N) - 1);
	ck_assert_uint_eq(vm.v[PROCFS_VM_PGFAULT], 1000);
	ck_assert_uint_eq(vm.v[PROCFS_VM_OOM_KILL], 1);
	errno = 0;
	ck_assert_int_eq(procfs_read_vmstat(root_ct, &vm), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_proc_stat)
{
	struct procs_entry e;
	const char *ok = "42 (a) b) R 1 2 3 4 -1 5 6 7 8 9 10 11 -12 -13 "
	                 "20 0 1 0 5 1000 77 18446744073709551615\n";
	const char *bad[] = {
		"",
		"42",
		"42 (x",
		"x (y) R 1",
		"42 (x) R 1 2 3",
		"42 (x) 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21",
	};
	size_t i;

	ck_assert_int_eq(procs_parse_stat(ok, strlen(ok), 4096, &e), 0);
	ck_assert_int_eq(e.pid, 42);
	ck_assert_str_eq(e.name, "a) b");
	ck_assert_uint_eq(e.rss, 77 * 4096);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(procs_parse_stat(bad[i], strlen(bad[i]), 4096,
		                  &e) == -1,
		    "%s", bad[i]);
}
END_TEST

START_TEST(test_top)
{
	struct procs_entry e[4];

	/* pid 7 is a kernel thread (rss 0); 1 and 100 tie: lower pid. */
	ck_assert_int_eq(procs_top(root_a, 4, 4096, e), 3);
	ck_assert_int_eq(e[0].pid, 42);
	ck_assert_str_eq(e[0].name, "my (weird) app");
	ck_assert_uint_eq(e[0].rss, 5000 * 4096);
	ck_assert_int_eq(e[1].pid, 1);
	ck_assert_int_eq(e[2].pid, 100);
	ck_assert_int_eq(procs_top(root_a, 1, 4096, e), 1);
	ck_assert_int_eq(e[0].pid, 42);
	ck_assert_int_eq(procs_top(root_ct, 4, 4096, e), 0);
}
END_TEST

START_TEST(test_collect_ab)
{
	struct memory *m;
	struct proto_sample s;

	m = memory_new(root_a, 2, 4096);
	proto_sample_init(&s, "memory", "h", 1000);
	memory_collect(m, root_a, T0, &s);
	EQ(&s, "mem.total", 16318588 * KB);
	EQ(&s, "mem.free", 1234567 * KB);
	EQ(&s, "mem.available", 8765432 * KB);
	EQ(&s, "mem.used", (16318588 - 8765432) * KB);
	EQ(&s, "mem.buffers", 234567 * KB);
	EQ(&s, "mem.cached", 5432100 * KB);
	EQ(&s, "mem.shared", 65536 * KB);
	EQ(&s, "mem.slab", 300000 * KB);
	EQ(&s, "mem.dirty", 2028 * KB);
	EQ(&s, "mem.writeback", 12 * KB);
	EQ(&s, "mem.committed", 12000000 * KB);
	EQ(&s, "swap.total", 2097148 * KB);
	EQ(&s, "swap.free", 1048572 * KB);
	EQ(&s, "swap.used", 1048576 * KB);
	EQ(&s, "vm.oom_kill", 1);
	ck_assert(!HAS(&s, "vm.pgfault")); /* first reading: no rate */
	ck_assert(!HAS(&s, "pressure.memory.some"));
	EQ(&s, "top.1.rss", 5000 * 4096.0);
	EQ(&s, "top.1.pid", 42);
	ck_assert_str_eq(text(&s, "top.1.name"), "my (weird) app");
	EQ(&s, "top.2.pid", 1);
	ck_assert_str_eq(text(&s, "top.2.name"), "systemd");
	ck_assert(!HAS(&s, "top.3.pid"));

	proto_sample_clear(&s);
	memory_collect(m, root_b, T1, &s);
	EQ(&s, "vm.pgfault", 1000);
	EQ(&s, "vm.pgmajfault", 2);
	EQ(&s, "vm.pswpin", 10);
	ck_assert(!HAS(&s, "vm.pswpout")); /* 500 -> 100: a reset */
	EQ(&s, "vm.oom_kill", 2);
	EQ(&s, "pressure.memory.some", 0);
	EQ(&s, "pressure.memory.full", 100);
	/* proc-b: an old kernel, no MemAvailable: no used either. */
	EQ(&s, "mem.total", 1024000 * KB);
	ck_assert(!HAS(&s, "mem.available"));
	ck_assert(!HAS(&s, "mem.used"));
	EQ(&s, "swap.used", 0);
	ck_assert(!HAS(&s, "top.1.pid")); /* proc-b has no processes */
	proto_sample_free(&s);
	memory_free(m);
}
END_TEST

START_TEST(test_collect_container)
{
	struct memory *m;
	struct proto_sample s;

	m = memory_new(root_ct, 10, 4096);
	proto_sample_init(&s, "memory", "h", 1000);
	memory_collect(m, root_ct, T0, &s);
	memory_collect(m, root_ct, T1, &s);
	EQ(&s, "mem.cached", 512000 * KB);
	ck_assert(!HAS(&s, "swap.total"));
	ck_assert(!HAS(&s, "swap.used"));
	ck_assert(!HAS(&s, "vm.pgfault"));
	ck_assert(!HAS(&s, "pressure.memory.some"));
	proto_sample_free(&s);
	memory_free(m);
}
END_TEST

START_TEST(test_bad)
{
	struct memory *m;
	struct proto_sample s;
	struct procfs_meminfo mi;

	errno = 0;
	ck_assert_int_eq(procfs_read_meminfo(root_bad, &mi), -1);
	ck_assert_int_eq(errno, EINVAL);
	m = memory_new(root_bad, 0, 4096);
	proto_sample_init(&s, "memory", "h", 1000);
	memory_collect(m, root_bad, T0, &s);
	memory_collect(m, root_bad, T1, &s);
	ck_assert_uint_eq(s.nvalues, 0);
	proto_sample_free(&s);
	memory_free(m);
}
END_TEST

START_TEST(test_describe)
{
	struct collector_desc d;

	ck_assert_int_eq(memory_describe(NULL, "mem.committed", &d), 0);
	ck_assert_str_eq(d.unit, "bytes");
	ck_assert_int_eq(memory_describe(NULL, "vm.pswpout", &d), 0);
	ck_assert_str_eq(d.unit, "/s");
	ck_assert_str_eq(d.kind, PROTO_KIND_RATE);
	ck_assert_int_eq(memory_describe(NULL, "vm.oom_kill", &d), 0);
	ck_assert_str_eq(d.kind, PROTO_KIND_COUNTER);
	ck_assert_int_eq(memory_describe(NULL, "top.3.rss", &d), 0);
	ck_assert_str_eq(d.desc,
	    "Resident memory of the process ranked 3 by RSS");
	ck_assert_int_eq(memory_describe(NULL, "pressure.memory.full", &d), 0);
	ck_assert_str_eq(d.unit, "%");
	ck_assert_int_eq(memory_describe(NULL, "mem.nothing", &d), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("memory");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_meminfo_a);
	tcase_add_test(tc, test_vmstat);
	tcase_add_test(tc, test_proc_stat);
	tcase_add_test(tc, test_top);
	tcase_add_test(tc, test_collect_ab);
	tcase_add_test(tc, test_collect_container);
	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_describe);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
