/*
 * vigil-memory: RAM and swap from /proc/meminfo in bytes; page faults and
 * swapping per second and the OOM kill count from /proc/vmstat; memory
 * pressure; the top processes by RSS with their names as text. Used
 * memory is what the kernel says cannot be had without swapping (total -
 * available), not total - free, which counts the page cache as used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "collectors/memory.h"
#include "collectors/procfs.h"
#include "collectors/procs.h"
#include "collectors/rate.h"

enum memory_file {
	MEMORY_MEMINFO,
	MEMORY_VMSTAT,
	MEMORY_PSI,
	MEMORY_PROCS,
	MEMORY_NFILES,
};

static const char *const memory_files[MEMORY_NFILES] = {
	"proc/meminfo",
	"proc/vmstat",
	"proc/pressure/memory",
	"proc",
};

struct memory {
	char *root;        /* the configured proc_root */
	const char *rootp; /* the root of this reading */
	unsigned top;
	uint64_t pagesize;
	int failing[MEMORY_NFILES];
	struct procfs_vmstat vm;
	int64_t vm_ns; /* 0: no previous reading */
	struct procfs_psi psi;
	int64_t psi_ns;
	struct procs_entry *procs;
};

static const char *const memory_names[PROCFS_MEM_N] = {
	[PROCFS_MEM_TOTAL] = "mem.total",
	[PROCFS_MEM_FREE] = "mem.free",
	[PROCFS_MEM_AVAILABLE] = "mem.available",
	[PROCFS_MEM_BUFFERS] = "mem.buffers",
	[PROCFS_MEM_CACHED] = "mem.cached",
	[PROCFS_MEM_SHMEM] = "mem.shared",
	[PROCFS_MEM_SLAB] = "mem.slab",
	[PROCFS_MEM_DIRTY] = "mem.dirty",
	[PROCFS_MEM_WRITEBACK] = "mem.writeback",
	[PROCFS_MEM_SWAP_TOTAL] = "swap.total",
	[PROCFS_MEM_SWAP_FREE] = "swap.free",
	[PROCFS_MEM_COMMITTED] = "mem.committed",
};

static const char *const memory_vm_names[PROCFS_VM_N] = {
	[PROCFS_VM_PGFAULT] = "vm.pgfault",
	[PROCFS_VM_PGMAJFAULT] = "vm.pgmajfault",
	[PROCFS_VM_PSWPIN] = "vm.pswpin",
	[PROCFS_VM_PSWPOUT] = "vm.pswpout",
	[PROCFS_VM_OOM_KILL] = "vm.oom_kill",
};

struct memory *
memory_new(const char *proc_root, unsigned top, uint64_t pagesize)
{
	struct memory *m;

	m = xcalloc(1, sizeof *m);
	m->root = xstrdup(proc_root);
	m->top = top;
	m->pagesize = pagesize;
	m->procs = xcalloc(top > 0 ? top : 1, sizeof *m->procs);
	return m;
}

void
memory_free(struct memory *m)
{
	if (m == NULL)
		return;
	free(m->procs);
	free(m->root);
	free(m);
}

static int
memory_status(struct memory *m, enum memory_file f, int ok)
{
	collector_file_status(&m->failing[f], memory_files[f], ok);
	return ok;
}

/* a - b as a double, or 0 when the kernel's numbers cross for a moment. */
static double
memory_diff(uint64_t a, uint64_t b)
{
	return a > b ? (double)(a - b) : 0.0;
}

#define MEMORY_HAS(mi, a, b)                                                   \
	(((mi).have & (1u << (a))) && ((mi).have & (1u << (b))))

static void
memory_meminfo(struct memory *m, struct proto_sample *out)
{
	struct procfs_meminfo mi;
	int i;

	if (!memory_status(m, MEMORY_MEMINFO,
	        procfs_read_meminfo(m->rootp, &mi) == 0))
		return;
	for (i = 0; i < PROCFS_MEM_N; i++) {
		if (mi.have & (1u << i))
			proto_sample_add(out, memory_names[i], (double)mi.v[i]);
	}
	if (MEMORY_HAS(mi, PROCFS_MEM_TOTAL, PROCFS_MEM_AVAILABLE))
		proto_sample_add(out, "mem.used",
		    memory_diff(mi.v[PROCFS_MEM_TOTAL],
		        mi.v[PROCFS_MEM_AVAILABLE]));
	if (MEMORY_HAS(mi, PROCFS_MEM_SWAP_TOTAL, PROCFS_MEM_SWAP_FREE))
		proto_sample_add(out, "swap.used",
		    memory_diff(mi.v[PROCFS_MEM_SWAP_TOTAL],
		        mi.v[PROCFS_MEM_SWAP_FREE]));
}

static void
memory_vmstat(struct memory *m, int64_t now, struct proto_sample *out)
{
	struct procfs_vmstat cur;
	double r;
	int i;

	if (!memory_status(m, MEMORY_VMSTAT,
	        procfs_read_vmstat(m->rootp, &cur) == 0))
		return;
	for (i = 0; i < PROCFS_VM_N; i++) {
		if (!(cur.have & (1u << i)))
			continue;
		if (i == PROCFS_VM_OOM_KILL) {
			proto_sample_add(out, memory_vm_names[i],
			    (double)cur.v[i]);
			continue;
		}
		if (m->vm_ns != 0 && (m->vm.have & (1u << i)) &&
		    rate_per_sec(m->vm.v[i], cur.v[i], now - m->vm_ns, &r) == 0)
			proto_sample_add(out, memory_vm_names[i], r);
	}
	m->vm = cur;
	m->vm_ns = now;
}

static void
memory_stall(struct proto_sample *out, const char *name, uint64_t prev,
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
memory_psi(struct memory *m, int64_t now, struct proto_sample *out)
{
	struct procfs_psi cur;

	if (!memory_status(m, MEMORY_PSI,
	        procfs_read_psi(m->rootp, "memory", &cur) == 0))
		return;
	if (m->psi_ns != 0) {
		memory_stall(out, "pressure.memory.some", m->psi.some_us,
		    cur.some_us, now - m->psi_ns);
		if (cur.have_full && m->psi.have_full)
			memory_stall(out, "pressure.memory.full",
			    m->psi.full_us, cur.full_us, now - m->psi_ns);
	}
	m->psi = cur;
	m->psi_ns = now;
}

static void
memory_top(struct memory *m, struct proto_sample *out)
{
	char name[64];
	int i, n;

	if (m->top == 0)
		return;
	n = procs_top(m->rootp, m->top, m->pagesize, m->procs);
	if (!memory_status(m, MEMORY_PROCS, n >= 0))
		return;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "top.%d.rss", i + 1);
		proto_sample_add(out, name, (double)m->procs[i].rss);
		snprintf(name, sizeof name, "top.%d.pid", i + 1);
		proto_sample_add(out, name, (double)m->procs[i].pid);
		snprintf(name, sizeof name, "top.%d.name", i + 1);
		proto_sample_add_text(out, name, m->procs[i].name);
	}
}

void
memory_collect(struct memory *m, const char *root, int64_t now,
    struct proto_sample *out)
{
	m->rootp = root;
	memory_meminfo(m, out);
	memory_vmstat(m, now, out);
	memory_psi(m, now, out);
	memory_top(m, out);
}

static const struct collector_pattern memory_patterns[] = {
	{ "mem.total", NULL, "bytes", PROTO_KIND_GAUGE, "Physical memory" },
	{ "mem.free", NULL, "bytes", PROTO_KIND_GAUGE,
	    "Memory not used for anything" },
	{ "mem.available", NULL, "bytes", PROTO_KIND_GAUGE,
	    "Memory available without swapping (MemAvailable)" },
	{ "mem.used", NULL, "bytes", PROTO_KIND_GAUGE,
	    "Memory in use: total - available" },
	{ "mem.buffers", NULL, "bytes", PROTO_KIND_GAUGE,
	    "Block device buffers" },
	{ "mem.cached", NULL, "bytes", PROTO_KIND_GAUGE,
	    "Page cache (Cached)" },
	{ "mem.shared", NULL, "bytes", PROTO_KIND_GAUGE,
	    "Shared memory and tmpfs (Shmem)" },
	{ "mem.slab", NULL, "bytes", PROTO_KIND_GAUGE, "Kernel slab caches" },
	{ "mem.dirty", NULL, "bytes", PROTO_KIND_GAUGE,
	    "Memory waiting to be written to disk" },
	{ "mem.writeback", NULL, "bytes", PROTO_KIND_GAUGE,
	    "Memory being written to disk" },
	{ "mem.committed", NULL, "bytes", PROTO_KIND_GAUGE,
	    "Memory promised to processes (Committed_AS)" },
	{ "swap.total", NULL, "bytes", PROTO_KIND_GAUGE, "Swap space" },
	{ "swap.free", NULL, "bytes", PROTO_KIND_GAUGE, "Swap space unused" },
	{ "swap.used", NULL, "bytes", PROTO_KIND_GAUGE, "Swap space used" },
	{ "vm.pgfault", NULL, "/s", PROTO_KIND_RATE,
	    "Page faults, minor and major" },
	{ "vm.pgmajfault", NULL, "/s", PROTO_KIND_RATE,
	    "Major page faults (read from disk)" },
	{ "vm.pswpin", NULL, "/s", PROTO_KIND_RATE, "Pages swapped in" },
	{ "vm.pswpout", NULL, "/s", PROTO_KIND_RATE, "Pages swapped out" },
	{ "vm.oom_kill", NULL, "", PROTO_KIND_COUNTER,
	    "Processes killed by the OOM killer since boot" },
	{ "pressure.memory.some", NULL, "%", PROTO_KIND_GAUGE,
	    "Time some task waited for memory" },
	{ "pressure.memory.full", NULL, "%", PROTO_KIND_GAUGE,
	    "Time all non-idle tasks waited for memory" },
	{ "top.", ".rss", "bytes", PROTO_KIND_GAUGE,
	    "Resident memory of the process ranked %.*s by RSS" },
	{ "top.", ".pid", "", PROTO_KIND_GAUGE,
	    "Process id of the process ranked %.*s by RSS" },
};

int
memory_describe(void *state, const char *name, struct collector_desc *d)
{
	(void)state;
	return collector_describe_table(memory_patterns,
	    sizeof memory_patterns / sizeof memory_patterns[0], name, d);
}

static const struct config_collector *
memory_conf(const struct config *cf)
{
	return &cf->memory.c;
}

static int
memory_init(void **state, const struct config *cf, struct event_base *base)
{
	long ps = sysconf(_SC_PAGESIZE);

	(void)base;
	*state = memory_new(cf->memory.c.proc_root, cf->memory.top,
	    ps > 0 ? (uint64_t)ps : 4096);
	return 0;
}

static int
memory_sample(void *state, struct proto_sample *out)
{
	struct memory *m = state;

	memory_collect(m, m->root, proto_mono_ns(), out);
	return 0;
}

static void
memory_ops_free(void *state)
{
	memory_free(state);
}

const struct collector_ops memory_ops = {
	.name = "memory",
	.conf = memory_conf,
	.init = memory_init,
	.sample = memory_sample,
	.describe = memory_describe,
	.free = memory_ops_free,
};
