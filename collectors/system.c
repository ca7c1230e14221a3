/*
 * vigil-system: CPU percentages by mode, total and per core, from the
 * change between two readings of /proc/stat; load averages, uptime and
 * process counts; forks, context switches and interrupts per second;
 * per-interface and per-disk rates; file system space; CPU and I/O
 * pressure. Every rate needs a previous reading of the same file, taken at
 * a known monotonic time, so the first tick publishes levels only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "collectors/devices.h"
#include "collectors/procfs.h"
#include "collectors/rate.h"
#include "collectors/system.h"

/* Series names are at most "disk." + 64 + ".write_bytes". */
#define SYSTEM_SERIES_MAX 128

enum system_file {
	SYSTEM_STAT,
	SYSTEM_LOADAVG,
	SYSTEM_UPTIME,
	SYSTEM_NET,
	SYSTEM_DISKS,
	SYSTEM_MOUNTS,
	SYSTEM_PSI_CPU,
	SYSTEM_PSI_IO,
	SYSTEM_NFILES,
};

static const char *const system_files[SYSTEM_NFILES] = {
	"proc/stat",
	"proc/loadavg",
	"proc/uptime",
	"proc/net/dev",
	"proc/diskstats",
	"proc/mounts",
	"proc/pressure/cpu",
	"proc/pressure/io",
};

struct system {
	char *root;        /* the configured proc_root */
	const char *rootp; /* the root of this reading */
	size_t max;
	int failing[SYSTEM_NFILES];
	int capped[SYSTEM_NFILES]; /* logged that max_devices was hit */
	struct procfs_stat stat;
	int64_t stat_ns; /* 0: no previous reading */
	struct devices_net *net, *net_prev;
	size_t nnet, nnet_prev;
	int64_t net_ns;
	struct devices_disk *disk, *disk_prev;
	size_t ndisk, ndisk_prev;
	int64_t disk_ns;
	struct devices_mount *mounts;
	struct procfs_psi psi[2]; /* cpu, io */
	int64_t psi_ns[2];
};

struct system *
system_new(const char *proc_root, unsigned max_devices)
{
	struct system *sys;

	sys = xcalloc(1, sizeof *sys);
	sys->root = xstrdup(proc_root);
	sys->max = max_devices > 0 ? max_devices : 1;
	sys->net = xcalloc(sys->max, sizeof *sys->net);
	sys->net_prev = xcalloc(sys->max, sizeof *sys->net_prev);
	sys->disk = xcalloc(sys->max, sizeof *sys->disk);
	sys->disk_prev = xcalloc(sys->max, sizeof *sys->disk_prev);
	sys->mounts = xcalloc(sys->max, sizeof *sys->mounts);
	return sys;
}

void
system_free(struct system *sys)
{
	if (sys == NULL)
		return;
	procfs_stat_free(&sys->stat);
	free(sys->net);
	free(sys->net_prev);
	free(sys->disk);
	free(sys->disk_prev);
	free(sys->mounts);
	free(sys->root);
	free(sys);
}

/* Log once per file when it fails and when it works again. */
static int
system_status(struct system *sys, enum system_file f, int ok)
{
	collector_file_status(&sys->failing[f], system_files[f], ok);
	return ok;
}

static void
system_capped(struct system *sys, enum system_file f, int more)
{
	if (more && !sys->capped[f])
		log_info("%s: more than max_devices %zu entries, the rest "
		         "left out",
		    system_files[f], sys->max);
	sys->capped[f] = more;
}

/* The previous reading of the same CPU; ids may come and go (hotplug). */
static const struct procfs_cpu *
system_prev_cpu(const struct procfs_stat *prev, size_t hint, int id)
{
	size_t i;

	if (hint < prev->ncpu && prev->cpu[hint].id == id)
		return &prev->cpu[hint];
	for (i = 0; i < prev->ncpu; i++) {
		if (prev->cpu[i].id == id)
			return &prev->cpu[i];
	}
	return NULL;
}

static void
system_cpu(const struct procfs_stat *prev, const struct procfs_stat *cur,
    struct proto_sample *out)
{
	const struct procfs_cpu *p;
	char name[SYSTEM_SERIES_MAX], cpu[16];
	double pct[PROCFS_CPU_MODES], busy;
	size_t i;
	int m;

	for (i = 0; i < cur->ncpu; i++) {
		p = system_prev_cpu(prev, i, cur->cpu[i].id);
		if (p == NULL ||
		    procfs_cpu_pct(p, &cur->cpu[i], pct, &busy) != 0)
			continue;
		if (cur->cpu[i].id == -1)
			snprintf(cpu, sizeof cpu, "total");
		else
			snprintf(cpu, sizeof cpu, "%d", cur->cpu[i].id);
		for (m = 0; m < PROCFS_CPU_MODES; m++) {
			snprintf(name, sizeof name, "cpu.%s.%s", cpu,
			    procfs_cpu_mode_names[m]);
			proto_sample_add(out, name, pct[m]);
		}
		snprintf(name, sizeof name, "cpu.%s.busy", cpu);
		proto_sample_add(out, name, busy);
	}
}

/* Counters in units of scale (512-byte sectors) wrap in those units. */
static void
system_rate_scaled(struct proto_sample *out, const char *name, uint64_t prev,
    uint64_t cur, int64_t ns, double scale)
{
	double r;

	if (rate_per_sec(prev, cur, ns, &r) == 0)
		proto_sample_add(out, name, r * scale);
}

static void
system_rate(struct proto_sample *out, const char *name, uint64_t prev,
    uint64_t cur, int64_t ns)
{
	system_rate_scaled(out, name, prev, cur, ns, 1.0);
}

static void
system_stat(struct system *sys, int64_t now, struct proto_sample *out)
{
	struct procfs_stat cur;
	const struct procfs_stat *prev = &sys->stat;
	int64_t ns = now - sys->stat_ns;

	if (!system_status(sys, SYSTEM_STAT,
	        procfs_read_stat(sys->rootp, &cur) == 0))
		return;
	if (cur.have & PROCFS_STAT_RUNNING)
		proto_sample_add(out, "procs.running", (double)cur.running);
	if (cur.have & PROCFS_STAT_BLOCKED)
		proto_sample_add(out, "procs.blocked", (double)cur.blocked);
	if (sys->stat_ns != 0) {
		system_cpu(prev, &cur, out);
		if (cur.have & prev->have & PROCFS_STAT_FORKS)
			system_rate(out, "sys.forks", prev->forks, cur.forks,
			    ns);
		if (cur.have & prev->have & PROCFS_STAT_CTXT)
			system_rate(out, "sys.ctxt", prev->ctxt, cur.ctxt, ns);
		if (cur.have & prev->have & PROCFS_STAT_INTR)
			system_rate(out, "sys.intr", prev->intr, cur.intr, ns);
	}
	procfs_stat_free(&sys->stat);
	sys->stat = cur;
	sys->stat_ns = now;
}

static void
system_levels(struct system *sys, struct proto_sample *out)
{
	struct procfs_loadavg la;
	double uptime;

	if (system_status(sys, SYSTEM_LOADAVG,
	        procfs_read_loadavg(sys->rootp, &la) == 0)) {
		proto_sample_add(out, "load.1", la.load1);
		proto_sample_add(out, "load.5", la.load5);
		proto_sample_add(out, "load.15", la.load15);
	}
	if (system_status(sys, SYSTEM_UPTIME,
	        procfs_read_uptime(sys->rootp, &uptime) == 0))
		proto_sample_add(out, "uptime", uptime);
}

/* The index of name among n entries of size bytes (name first), or n. */
static size_t
system_find(const void *arr, size_t n, size_t size, size_t hint,
    const char *name)
{
	const char *base = arr;
	size_t i;

	if (hint < n && strcmp(base + hint * size, name) == 0)
		return hint;
	for (i = 0; i < n; i++) {
		if (strcmp(base + i * size, name) == 0)
			return i;
	}
	return n;
}

static void
system_net(struct system *sys, int64_t now, struct proto_sample *out)
{
	struct devices_net *cur = sys->net_prev, *prev = sys->net, *t;
	char name[SYSTEM_SERIES_MAX];
	size_t i, j, f;
	int n, more;

	n = devices_read_net(sys->rootp, cur, sys->max, &more);
	if (!system_status(sys, SYSTEM_NET, n >= 0))
		return;
	system_capped(sys, SYSTEM_NET, more);
	for (i = 0; sys->net_ns != 0 && i < (size_t)n; i++) {
		j = system_find(prev, sys->nnet, sizeof *prev, i, cur[i].name);
		for (f = 0; j < sys->nnet && f < DEVICES_NET_N; f++) {
			snprintf(name, sizeof name, "net.%s.%s", cur[i].name,
			    devices_net_names[f]);
			system_rate(out, name, prev[j].v[f], cur[i].v[f],
			    now - sys->net_ns);
		}
	}
	t = sys->net;
	sys->net = cur;
	sys->net_prev = t;
	sys->nnet = (size_t)n;
	sys->net_ns = now;
}

static void
system_disk_one(struct proto_sample *out, const struct devices_disk *p,
    const struct devices_disk *c, int64_t ns)
{
	char name[SYSTEM_SERIES_MAX];
	uint64_t d;
	double busy;

	snprintf(name, sizeof name, "disk.%s.read_bytes", c->name);
	system_rate_scaled(out, name, p->read_sectors, c->read_sectors, ns,
	    512.0);
	snprintf(name, sizeof name, "disk.%s.write_bytes", c->name);
	system_rate_scaled(out, name, p->write_sectors, c->write_sectors, ns,
	    512.0);
	snprintf(name, sizeof name, "disk.%s.reads", c->name);
	system_rate(out, name, p->reads, c->reads, ns);
	snprintf(name, sizeof name, "disk.%s.writes", c->name);
	system_rate(out, name, p->writes, c->writes, ns);
	if (ns > 0 && rate_delta(p->io_ms, c->io_ms, &d) == 0) {
		busy = (double)d * 1e6 * 100.0 / (double)ns;
		snprintf(name, sizeof name, "disk.%s.busy", c->name);
		proto_sample_add(out, name, busy > 100.0 ? 100.0 : busy);
	}
}

static void
system_disks(struct system *sys, int64_t now, struct proto_sample *out)
{
	struct devices_disk *cur = sys->disk_prev, *prev = sys->disk, *t;
	size_t i, j;
	int n, more;

	n = devices_read_disks(sys->rootp, cur, sys->max, &more);
	if (!system_status(sys, SYSTEM_DISKS, n >= 0))
		return;
	system_capped(sys, SYSTEM_DISKS, more);
	for (i = 0; sys->disk_ns != 0 && i < (size_t)n; i++) {
		j = system_find(prev, sys->ndisk, sizeof *prev, i, cur[i].name);
		if (j < sys->ndisk)
			system_disk_one(out, &prev[j], &cur[i],
			    now - sys->disk_ns);
	}
	t = sys->disk;
	sys->disk = cur;
	sys->disk_prev = t;
	sys->ndisk = (size_t)n;
	sys->disk_ns = now;
}

static void
system_fs(struct system *sys, struct proto_sample *out)
{
	struct devices_space sp;
	char name[SYSTEM_SERIES_MAX];
	int i, n, more;

	n = devices_read_mounts(sys->rootp, sys->mounts, sys->max, &more);
	if (!system_status(sys, SYSTEM_MOUNTS, n >= 0))
		return;
	system_capped(sys, SYSTEM_MOUNTS, more);
	for (i = 0; i < n; i++) {
		/* A mount we may not see into, or an empty pseudo fs. */
		if (devices_statvfs(sys->rootp, sys->mounts[i].path, &sp) !=
		        0 ||
		    sp.size == 0)
			continue;
		snprintf(name, sizeof name, "fs.%s.size", sys->mounts[i].key);
		proto_sample_add(out, name, (double)sp.size);
		snprintf(name, sizeof name, "fs.%s.used", sys->mounts[i].key);
		proto_sample_add(out, name, (double)sp.used);
		snprintf(name, sizeof name, "fs.%s.free", sys->mounts[i].key);
		proto_sample_add(out, name, (double)sp.free);
		snprintf(name, sizeof name, "fs.%s.mount", sys->mounts[i].key);
		proto_sample_add_text(out, name, sys->mounts[i].path);
	}
}

/* Stalled share of the interval: delta of the total (us) over it. */
static void
system_stall(struct proto_sample *out, const char *name, uint64_t prev,
    uint64_t cur, int64_t ns)
{
	uint64_t d;
	double pct;

	if (ns <= 0 || rate_delta(prev, cur, &d) != 0)
		return;
	pct = (double)d * 1e3 * 100.0 / (double)ns;
	proto_sample_add(out, name, pct > 100.0 ? 100.0 : pct);
}

static void
system_psi(struct system *sys, int which, int64_t now, struct proto_sample *out)
{
	static const char *const what[2] = { "cpu", "io" };
	struct procfs_psi cur, *prev = &sys->psi[which];
	char name[SYSTEM_SERIES_MAX];
	int64_t ns = now - sys->psi_ns[which];

	if (!system_status(sys, SYSTEM_PSI_CPU + which,
	        procfs_read_psi(sys->rootp, what[which], &cur) == 0))
		return;
	if (sys->psi_ns[which] != 0) {
		snprintf(name, sizeof name, "pressure.%s.some", what[which]);
		system_stall(out, name, prev->some_us, cur.some_us, ns);
		/* The cpu file's "full" line is for cgroups: not published. */
		if (which == 1 && cur.have_full && prev->have_full)
			system_stall(out, "pressure.io.full", prev->full_us,
			    cur.full_us, ns);
	}
	*prev = cur;
	sys->psi_ns[which] = now;
}

void
system_collect(struct system *sys, const char *root, int64_t now,
    struct proto_sample *out)
{
	sys->rootp = root;
	system_stat(sys, now, out);
	system_levels(sys, out);
	system_net(sys, now, out);
	system_disks(sys, now, out);
	system_fs(sys, out);
	system_psi(sys, 0, now, out);
	system_psi(sys, 1, now, out);
}

static const struct collector_pattern system_patterns[] = {
	{ "cpu.total.", "busy", "%", PROTO_KIND_GAUGE,
	    "CPU busy, all cores (everything but idle and iowait)" },
	{ "cpu.total.", "", "%", PROTO_KIND_GAUGE,
	    "CPU time in mode %.*s, all cores" },
	{ "cpu.", ".busy", "%", PROTO_KIND_GAUGE,
	    "CPU busy on core %.*s (everything but idle and iowait)" },
	{ "cpu.", "", "%", PROTO_KIND_GAUGE,
	    "CPU time in mode %4$.*3$s on core %2$.*1$s" },
	{ "load.1", NULL, "", PROTO_KIND_GAUGE, "Load average, 1 minute" },
	{ "load.5", NULL, "", PROTO_KIND_GAUGE, "Load average, 5 minutes" },
	{ "load.15", NULL, "", PROTO_KIND_GAUGE, "Load average, 15 minutes" },
	{ "uptime", NULL, "s", PROTO_KIND_GAUGE, "Time since boot" },
	{ "procs.running", NULL, "", PROTO_KIND_GAUGE,
	    "Processes running or runnable" },
	{ "procs.blocked", NULL, "", PROTO_KIND_GAUGE,
	    "Processes blocked on I/O" },
	{ "sys.forks", NULL, "/s", PROTO_KIND_RATE, "Processes created" },
	{ "sys.ctxt", NULL, "/s", PROTO_KIND_RATE, "Context switches" },
	{ "sys.intr", NULL, "/s", PROTO_KIND_RATE, "Interrupts serviced" },
	{ "net.", "_bytes", "bytes/s", PROTO_KIND_RATE,
	    "Network %4$.*3$s bytes on interface %2$.*1$s" },
	{ "net.", "", "/s", PROTO_KIND_RATE,
	    "Network %4$.*3$s on interface %2$.*1$s" },
	{ "disk.", "_bytes", "bytes/s", PROTO_KIND_RATE,
	    "Disk %4$.*3$s bytes on device %2$.*1$s" },
	{ "disk.", ".busy", "%", PROTO_KIND_GAUGE,
	    "Time disk %.*s had I/O in flight" },
	{ "disk.", "", "/s", PROTO_KIND_RATE,
	    "Disk %4$.*3$s completed on device %2$.*1$s" },
	{ "fs.", ".size", "bytes", PROTO_KIND_GAUGE,
	    "Size of file system %.*s" },
	{ "fs.", ".used", "bytes", PROTO_KIND_GAUGE,
	    "Space used on file system %.*s" },
	{ "fs.", ".free", "bytes", PROTO_KIND_GAUGE,
	    "Space free to unprivileged users on file system %.*s" },
	{ "pressure.cpu.some", NULL, "%", PROTO_KIND_GAUGE,
	    "Time some runnable task waited for a CPU" },
	{ "pressure.io.some", NULL, "%", PROTO_KIND_GAUGE,
	    "Time some task waited for I/O" },
	{ "pressure.io.full", NULL, "%", PROTO_KIND_GAUGE,
	    "Time all non-idle tasks waited for I/O" },
};

int
system_describe(void *state, const char *name, struct collector_desc *d)
{
	(void)state;
	return collector_describe_table(system_patterns,
	    sizeof system_patterns / sizeof system_patterns[0], name, d);
}

static const struct config_collector *
system_conf(const struct config *cf)
{
	return &cf->system.c;
}

static int
system_init(void **state, const struct config *cf, struct event_base *base)
{
	(void)base;
	*state = system_new(cf->system.c.proc_root, cf->system.max_devices);
	return 0;
}

static int
system_sample(void *state, struct proto_sample *out)
{
	struct system *sys = state;

	system_collect(sys, sys->root, proto_mono_ns(), out);
	return 0;
}

static void
system_ops_free(void *state)
{
	system_free(state);
}

const struct collector_ops system_ops = {
	.name = "system",
	.conf = system_conf,
	.init = system_init,
	.sample = system_sample,
	.describe = system_describe,
	.free = system_ops_free,
};
