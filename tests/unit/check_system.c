/*
 * Tests for the system collector: the /proc/stat, loadavg, uptime, pressure,
 * net/dev, diskstats and mounts parsers on the fixtures in
 * tests/data/proc-{a,b,ct,bad}, the counter arithmetic (wraps and resets),
 * every series system_collect publishes between proc-a and proc-b against
 * values computed by hand, a container-like tree with files missing, and
 * the collector loop's tick alignment, sample splitting and descriptions.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "collectors/collector.h"
#include "collectors/devices.h"
#include "collectors/procfs.h"
#include "collectors/rate.h"
#include "collectors/system.h"
#include "common/log.h"

#define TOL 1e-9
#define T0 10000000000LL /* monotonic ns of the proc-a reading */
#define T1 12000000000LL /* proc-b, 2 s later */

static char root_a[4096], root_b[4096], root_bad[4096], root_ct[4096];

static void
setup(void)
{
	const char *src = getenv("VIGIL_SRCDIR");

	if (src == NULL)
		src = ".";
	snprintf(root_a, sizeof root_a, "%s/tests/data/proc-a", src);
	snprintf(root_b, sizeof root_b, "%s/tests/data/proc-b/", src);
	snprintf(root_bad, sizeof root_bad, "%s/tests/data/proc-bad", src);
	snprintf(root_ct, sizeof root_ct, "%s/tests/data/proc-ct", src);
	log_init("check_system", 0, 0);
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

/* The value of series name in s; fails the test if it is missing. */
static double
value(const struct proto_sample *s, const char *name)
{
	int i = find(s, name);

	ck_assert_msg(i >= 0, "series %s missing", name);
	return s->values[i].value;
}

static int
has(const struct proto_sample *s, const char *name)
{
	return find(s, name) >= 0;
}

static const char *
text(const struct proto_sample *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ntexts; i++) {
		if (strcmp(s->texts[i].name, name) == 0)
			return s->texts[i].value;
	}
	return NULL;
}

#define EQ(s, name, v) ck_assert_double_eq_tol(value(s, name), (v), TOL)

START_TEST(test_stat_a)
{
	struct procfs_stat st;

	ck_assert_int_eq(procfs_read_stat(root_a, &st), 0);
	ck_assert_uint_eq(st.ncpu, 3);
	ck_assert_int_eq(st.cpu[0].id, -1);
	ck_assert_int_eq(st.cpu[2].id, 1);
	/* guest (40) is inside user: total is the first eight fields. */
	ck_assert_uint_eq(st.cpu[0].total, 10000);
	ck_assert_uint_eq(st.cpu[0].mode[PROCFS_CPU_STEAL], 100);
	ck_assert_uint_eq(st.cpu[1].mode[PROCFS_CPU_IOWAIT], 100);
	ck_assert_uint_eq(st.have,
	    PROCFS_STAT_CTXT | PROCFS_STAT_INTR | PROCFS_STAT_FORKS |
	        PROCFS_STAT_RUNNING | PROCFS_STAT_BLOCKED);
	ck_assert_uint_eq(st.ctxt, 412201);
	ck_assert_uint_eq(st.intr, 196661);
	ck_assert_uint_eq(st.forks, 5904);
	ck_assert_uint_eq(st.running, 1);
	procfs_stat_free(&st);
}
END_TEST

START_TEST(test_stat_old_kernel)
{
	struct procfs_stat st;

	/* Four fields only, no processes or procs_* lines. */
	ck_assert_int_eq(procfs_read_stat(root_ct, &st), 0);
	ck_assert_uint_eq(st.ncpu, 2);
	ck_assert_uint_eq(st.cpu[0].total, 1000);
	ck_assert_uint_eq(st.cpu[0].mode[PROCFS_CPU_IOWAIT], 0);
	ck_assert_uint_eq(st.have, PROCFS_STAT_CTXT);
	procfs_stat_free(&st);
}
END_TEST

START_TEST(test_cpu_pct_guards)
{
	struct procfs_cpu a = { .id = -1 }, b = { .id = -1 };
	double pct[PROCFS_CPU_MODES], busy;

	a.total = b.total = 100;
	ck_assert_int_eq(procfs_cpu_pct(&a, &b, pct, &busy), -1);
	b.total = 50; /* went back: a CPU re-plugged */
	ck_assert_int_eq(procfs_cpu_pct(&a, &b, pct, &busy), -1);
	/* Everything in iowait, which then went back: no usable delta. */
	a.mode[PROCFS_CPU_IOWAIT] = 100;
	b.mode[PROCFS_CPU_IOWAIT] = 50;
	b.total = 150;
	ck_assert_int_eq(procfs_cpu_pct(&a, &b, pct, &busy), -1);
}
END_TEST

START_TEST(test_rate)
{
	uint64_t d;
	double r;

	ck_assert_int_eq(rate_delta(10, 30, &d), 0);
	ck_assert_uint_eq(d, 20);
	/* A 32-bit wrap: 2^32 - 296 to 704 is 1000. */
	ck_assert_int_eq(rate_delta(4294967000u, 704, &d), 0);
	ck_assert_uint_eq(d, 1000);
	/* Back by a little on a 32-bit value: a reset, not a 4-GB wrap. */
	ck_assert_int_eq(rate_delta(500, 100, &d), -1);
	/* A 64-bit counter going back is a reset. */
	ck_assert_int_eq(rate_delta(10000000000ull, 5, &d), -1);
	ck_assert_int_eq(rate_delta(UINT64_MAX, 0, &d), -1);
	ck_assert_int_eq(rate_per_sec(0, 100, 2000000000, &r), 0);
	ck_assert_double_eq_tol(r, 50.0, TOL);
	ck_assert_int_eq(rate_per_sec(0, 100, 0, &r), -1);
	ck_assert_int_eq(rate_per_sec(0, 100, -5, &r), -1);
}
END_TEST

START_TEST(test_loadavg_uptime_psi)
{
	struct procfs_loadavg la;
	struct procfs_psi psi;
	double up;

	ck_assert_int_eq(procfs_read_loadavg(root_a, &la), 0);
	ck_assert_double_eq_tol(la.load15, 0.59, TOL);
	ck_assert_int_eq(procfs_read_uptime(root_b, &up), 0);
	ck_assert_double_eq_tol(up, 12346.67, TOL);
	ck_assert_int_eq(procfs_read_psi(root_b, "io", &psi), 0);
	ck_assert_int_eq(psi.have_some, 1);
	ck_assert_int_eq(psi.have_full, 1);
	ck_assert_uint_eq(psi.some_us, 20000);
	ck_assert_uint_eq(psi.full_us, 10000);
	errno = 0;
	ck_assert_int_eq(procfs_read_psi(root_ct, "io", &psi), -1);
	ck_assert_int_eq(errno, ENOENT);
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
	ck_assert_int_eq(procfs_read_loadavg(root_bad, &la), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(procfs_read_uptime(root_bad, &up), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_net)
{
	struct devices_net n[8];
	int more;

	ck_assert_int_eq(devices_read_net(root_a, n, 8, &more), 3);
	ck_assert_int_eq(more, 0);
	ck_assert_str_eq(n[1].name, "eth0");
	ck_assert_uint_eq(n[1].v[DEVICES_RX_BYTES], 4294967000u);
	ck_assert_uint_eq(n[1].v[DEVICES_RX_DROPS], 2);
	ck_assert_uint_eq(n[1].v[DEVICES_TX_BYTES], 10000000000ull);
	ck_assert_uint_eq(n[1].v[DEVICES_TX_ERRORS], 3);
	ck_assert_uint_eq(n[1].v[DEVICES_TX_DROPS], 4);
	ck_assert_str_eq(n[2].name, "eth0.100");
	/* The cap: two of four, and said so. */
	ck_assert_int_eq(devices_read_net(root_b, n, 2, &more), 2);
	ck_assert_int_eq(more, 1);
}
END_TEST

START_TEST(test_disks)
{
	struct devices_disk d[8];
	int more;

	/* loop0 and the partitions are left out. */
	ck_assert_int_eq(devices_read_disks(root_a, d, 8, &more), 3);
	ck_assert_str_eq(d[0].name, "sda");
	ck_assert_uint_eq(d[0].reads, 100);
	ck_assert_uint_eq(d[0].read_sectors, 1000);
	ck_assert_uint_eq(d[0].writes, 50);
	ck_assert_uint_eq(d[0].write_sectors, 400);
	ck_assert_uint_eq(d[0].io_ms, 100);
	ck_assert_str_eq(d[1].name, "nvme0n1");
	ck_assert_str_eq(d[2].name, "dm-0");
	ck_assert_int_eq(devices_read_disks(root_a, d, 1, &more), 1);
	ck_assert_int_eq(more, 1);
	/* Without /sys, by name. */
	ck_assert_int_eq(devices_disk_wanted(root_ct, "sda", 0), 1);
	ck_assert_int_eq(devices_disk_wanted(root_ct, "sda1", 0), 0);
	ck_assert_int_eq(devices_disk_wanted(root_ct, "xvdb12", 0), 0);
	ck_assert_int_eq(devices_disk_wanted(root_ct, "nvme0n1", 0), 1);
	ck_assert_int_eq(devices_disk_wanted(root_ct, "nvme0n1p2", 0), 0);
	ck_assert_int_eq(devices_disk_wanted(root_ct, "mmcblk0", 0), 1);
	ck_assert_int_eq(devices_disk_wanted(root_ct, "mmcblk0p1", 0), 0);
	ck_assert_int_eq(devices_disk_wanted(root_ct, "md0", 0), 1);
	ck_assert_int_eq(devices_disk_wanted(root_ct, "loop3", 0), 0);
	ck_assert_int_eq(devices_have_sys(root_ct), 0);
	ck_assert_int_eq(devices_have_sys(root_a), 1);
}
END_TEST

START_TEST(test_mounts)
{
	struct devices_mount m[8];
	char key[DEVICES_NAME_MAX + 1];
	int more;

	/* proc, tmpfs and nfs4 out; /var/log twice: the later one. */
	ck_assert_int_eq(devices_read_mounts(root_a, m, 8, &more), 4);
	ck_assert_str_eq(m[0].key, "root");
	ck_assert_str_eq(m[0].path, "/");
	ck_assert_str_eq(m[1].key, "home");
	ck_assert_str_eq(m[2].path, "/mnt/my disk");
	ck_assert_str_eq(m[2].key, "mnt_my_disk");
	ck_assert_str_eq(m[3].key, "var_log");
	ck_assert_str_eq(m[3].type, "xfs");
	ck_assert_int_eq(devices_read_mounts(root_a, m, 2, &more), 2);
	ck_assert_int_eq(more, 1);
	ck_assert_int_eq(devices_fs_wanted("overlay"), 1);
	ck_assert_int_eq(devices_fs_wanted("cgroup2"), 0);
	devices_fs_key("/srv/data/", key, sizeof key);
	ck_assert_str_eq(key, "srv_data_");
}
END_TEST

/* Every series from proc-a to proc-b, 2 s apart, computed by hand. */
START_TEST(test_collect_ab)
{
	struct system *sys;
	struct proto_sample s;

	sys = system_new(root_a, 16);
	proto_sample_init(&s, "system", "h", 1000);
	system_collect(sys, root_a, T0, &s);
	/* First reading: levels only, no rate. */
	ck_assert(!has(&s, "cpu.total.busy"));
	ck_assert(!has(&s, "sys.ctxt"));
	ck_assert(!has(&s, "net.lo.rx_bytes"));
	ck_assert(!has(&s, "pressure.cpu.some"));
	EQ(&s, "procs.running", 1);
	EQ(&s, "load.1", 0.52);
	proto_sample_clear(&s);
	system_collect(sys, root_b, T1, &s);

	/* Deltas: user 150 system 50 idle 750 iowait 40 steal 10 of 1000. */
	EQ(&s, "cpu.total.user", 15);
	EQ(&s, "cpu.total.nice", 0);
	EQ(&s, "cpu.total.system", 5);
	EQ(&s, "cpu.total.idle", 75);
	EQ(&s, "cpu.total.iowait", 4);
	EQ(&s, "cpu.total.irq", 0);
	EQ(&s, "cpu.total.softirq", 0);
	EQ(&s, "cpu.total.steal", 1);
	EQ(&s, "cpu.total.busy", 21);
	EQ(&s, "cpu.0.user", 30);
	EQ(&s, "cpu.0.idle", 50);
	EQ(&s, "cpu.0.iowait", 10);
	EQ(&s, "cpu.0.busy", 40);
	/* cpu1's iowait went back by 10: 0; idle 500 and steal 10 of 510. */
	EQ(&s, "cpu.1.iowait", 0);
	EQ(&s, "cpu.1.idle", 100.0 * 500 / 510);
	EQ(&s, "cpu.1.steal", 100.0 * 10 / 510);
	EQ(&s, "cpu.1.busy", 100.0 * 10 / 510);
	ck_assert(!has(&s, "cpu.3.busy")); /* new: no previous reading */
	EQ(&s, "sys.forks", 3);
	EQ(&s, "sys.ctxt", 349.5);
	EQ(&s, "sys.intr", 119.5);
	EQ(&s, "procs.running", 2);
	EQ(&s, "procs.blocked", 0);
	EQ(&s, "load.1", 1.5);
	EQ(&s, "load.5", 0.75);
	EQ(&s, "load.15", 0.25);
	EQ(&s, "uptime", 12346.67);

	EQ(&s, "net.lo.rx_bytes", 1000);
	EQ(&s, "net.lo.tx_packets", 10);
	EQ(&s, "net.eth0.rx_bytes", 500); /* through the 32-bit wrap */
	EQ(&s, "net.eth0.rx_packets", 10);
	EQ(&s, "net.eth0.rx_errors", 0);
	EQ(&s, "net.eth0.rx_drops", 1);
	ck_assert(!has(&s, "net.eth0.tx_bytes")); /* reset */
	EQ(&s, "net.eth0.tx_packets", 30);
	EQ(&s, "net.eth0.tx_errors", 0);
	EQ(&s, "net.eth0.tx_drops", 1);
	EQ(&s, "net.eth0.100.tx_bytes", 20);
	ck_assert(!has(&s, "net.tun9.rx_bytes")); /* new */

	EQ(&s, "disk.sda.reads", 100);
	EQ(&s, "disk.sda.writes", 10);
	EQ(&s, "disk.sda.read_bytes", 2000.0 * 512 / 2);
	EQ(&s, "disk.sda.write_bytes", 400.0 * 512 / 2);
	EQ(&s, "disk.sda.busy", 25);
	EQ(&s, "disk.nvme0n1.busy", 100);       /* 250 % capped */
	ck_assert(!has(&s, "disk.dm-0.reads")); /* reset */
	EQ(&s, "disk.dm-0.busy", 0.5);
	ck_assert(!has(&s, "disk.sda1.reads"));
	ck_assert(!has(&s, "disk.loop0.reads"));

	/* Only / exists under the fixture root. */
	ck_assert(value(&s, "fs.root.size") > 0);
	ck_assert(value(&s, "fs.root.used") <= value(&s, "fs.root.size"));
	ck_assert(value(&s, "fs.root.free") <= value(&s, "fs.root.size"));
	ck_assert_str_eq(text(&s, "fs.root.mount"), "/");
	ck_assert(!has(&s, "fs.home.size"));

	EQ(&s, "pressure.cpu.some", 25);
	EQ(&s, "pressure.io.some", 1);
	EQ(&s, "pressure.io.full", 0.5);
	ck_assert(!has(&s, "pressure.cpu.full"));
	proto_sample_free(&s);
	system_free(sys);
}
END_TEST

/* Containers: no disks, pressure or sys; the rest still comes. */
START_TEST(test_collect_container)
{
	struct system *sys;
	struct proto_sample s;
	size_t i;

	sys = system_new(root_ct, 16);
	proto_sample_init(&s, "system", "h", 1000);
	system_collect(sys, root_ct, T0, &s);
	proto_sample_clear(&s);
	system_collect(sys, root_ct, T1, &s);
	EQ(&s, "load.15", 0.05);
	EQ(&s, "uptime", 100);
	EQ(&s, "sys.ctxt", 0);
	EQ(&s, "net.eth0.rx_bytes", 0);
	ck_assert(value(&s, "fs.root.size") > 0); /* overlay is kept */
	ck_assert(!has(&s, "cpu.total.busy"));    /* the same reading twice */
	ck_assert(!has(&s, "procs.running"));
	for (i = 0; i < s.nvalues; i++) {
		ck_assert(strncmp(s.values[i].name, "disk.", 5) != 0);
		ck_assert(strncmp(s.values[i].name, "pressure.", 9) != 0);
	}
	proto_sample_free(&s);
	system_free(sys);
}
END_TEST

START_TEST(test_collect_bad)
{
	struct system *sys;
	struct proto_sample s;

	/* Every file bad or missing: nothing, and no crash. */
	sys = system_new(root_bad, 16);
	proto_sample_init(&s, "system", "h", 1000);
	system_collect(sys, root_bad, T0, &s);
	system_collect(sys, root_bad, T1, &s);
	ck_assert_uint_eq(s.nvalues, 0);
	proto_sample_free(&s);
	system_free(sys);
}
END_TEST

START_TEST(test_describe)
{
	struct collector_desc d;

	ck_assert_int_eq(system_describe(NULL, "cpu.total.iowait", &d), 0);
	ck_assert_str_eq(d.unit, "%");
	ck_assert_str_eq(d.desc, "CPU time in mode iowait, all cores");
	ck_assert_int_eq(system_describe(NULL, "cpu.3.busy", &d), 0);
	ck_assert_str_eq(d.desc,
	    "CPU busy on core 3 (everything but idle and iowait)");
	ck_assert_int_eq(system_describe(NULL, "net.eth0.rx_bytes", &d), 0);
	ck_assert_str_eq(d.unit, "bytes/s");
	ck_assert_str_eq(d.kind, PROTO_KIND_RATE);
	ck_assert_str_eq(d.desc, "Network rx bytes on interface eth0");
	ck_assert_int_eq(system_describe(NULL, "net.eth0.tx_drops", &d), 0);
	ck_assert_str_eq(d.unit, "/s");
	ck_assert_str_eq(d.desc, "Network tx_drops on interface eth0");
	/* A VLAN interface has a dot in its name. */
	ck_assert_int_eq(system_describe(NULL, "net.eth0.100.rx_packets", &d),
	    0);
	ck_assert_str_eq(d.desc, "Network rx_packets on interface eth0.100");
	ck_assert_int_eq(system_describe(NULL, "cpu.1.steal", &d), 0);
	ck_assert_str_eq(d.desc, "CPU time in mode steal on core 1");
	ck_assert_int_eq(system_describe(NULL, "disk.sda.busy", &d), 0);
	ck_assert_str_eq(d.unit, "%");
	ck_assert_str_eq(d.desc, "Time disk sda had I/O in flight");
	ck_assert_int_eq(system_describe(NULL, "disk.sda.reads", &d), 0);
	ck_assert_str_eq(d.unit, "/s");
	ck_assert_str_eq(d.desc, "Disk reads completed on device sda");
	ck_assert_int_eq(system_describe(NULL, "disk.sda.write_bytes", &d), 0);
	ck_assert_str_eq(d.desc, "Disk write bytes on device sda");
	ck_assert_int_eq(system_describe(NULL, "fs.var_log.free", &d), 0);
	ck_assert_str_eq(d.unit, "bytes");
	ck_assert_int_eq(system_describe(NULL, "uptime", &d), 0);
	ck_assert_str_eq(d.unit, "s");
	ck_assert_int_eq(system_describe(NULL, "load.15", &d), 0);
	ck_assert_int_eq(system_describe(NULL, "sys.ctxt", &d), 0);
	ck_assert_str_eq(d.unit, "/s");
	ck_assert_int_eq(system_describe(NULL, "pressure.io.full", &d), 0);
	ck_assert_int_eq(system_describe(NULL, "nothing", &d), -1);
	ck_assert_int_eq(system_describe(NULL, "uptimes", &d), -1);
}
END_TEST

START_TEST(test_chunks)
{
	struct proto_sample s, c;
	char name[32];
	size_t i;

	ck_assert_uint_eq(collector_chunks(0, 0), 1);
	ck_assert_uint_eq(collector_chunks(PROTO_VALUES_MAX, 0), 1);
	ck_assert_uint_eq(collector_chunks(PROTO_VALUES_MAX + 1, 0), 2);
	ck_assert_uint_eq(collector_chunks(1, PROTO_TEXTS_MAX * 2 + 1), 3);
	proto_sample_init(&s, "metrics", "h", 1000);
	for (i = 0; i < PROTO_VALUES_MAX + 10; i++) {
		snprintf(name, sizeof name, "v%zu", i);
		proto_sample_add(&s, name, (double)i);
	}
	proto_sample_add_text(&s, "t", "x");
	collector_chunk(&s, 0, &c);
	ck_assert_uint_eq(c.nvalues, PROTO_VALUES_MAX);
	ck_assert_uint_eq(c.ntexts, 1);
	collector_chunk(&s, 1, &c);
	ck_assert_uint_eq(c.nvalues, 10);
	ck_assert_uint_eq(c.ntexts, 0);
	ck_assert_str_eq(c.values[0].name, "v4096");
	proto_sample_free(&s);
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
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_stat_a);
	tcase_add_test(tc, test_stat_old_kernel);
	tcase_add_test(tc, test_cpu_pct_guards);
	tcase_add_test(tc, test_rate);
	tcase_add_test(tc, test_loadavg_uptime_psi);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_net);
	tcase_add_test(tc, test_disks);
	tcase_add_test(tc, test_mounts);
	tcase_add_test(tc, test_collect_ab);
	tcase_add_test(tc, test_collect_container);
	tcase_add_test(tc, test_collect_bad);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_chunks);
	tcase_add_test(tc, test_next_tick);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
