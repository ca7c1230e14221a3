/*
 * vigil-memory: RAM and swap use from /proc/meminfo, in bytes. Used memory
 * is what the kernel says cannot be had without swapping (total - available),
 * not total - free, which counts the page cache as used.
 */
#include <stdlib.h>

#include "common/xmalloc.h"
#include "collectors/memory.h"
#include "collectors/procfs.h"

struct memory {
	char *root;
	int fail_meminfo;
};

static const struct {
	const char *name;
	unsigned bit;
	size_t off;
} memory_series[] = {
	{ "mem.total", PROCFS_MEM_TOTAL,
	    offsetof(struct procfs_meminfo, total) },
	{ "mem.free", PROCFS_MEM_FREE, offsetof(struct procfs_meminfo, free) },
	{ "mem.available", PROCFS_MEM_AVAILABLE,
	    offsetof(struct procfs_meminfo, available) },
	{ "mem.cached", PROCFS_MEM_CACHED,
	    offsetof(struct procfs_meminfo, cached) },
	{ "mem.buffers", PROCFS_MEM_BUFFERS,
	    offsetof(struct procfs_meminfo, buffers) },
	{ "swap.total", PROCFS_MEM_SWAP_TOTAL,
	    offsetof(struct procfs_meminfo, swap_total) },
	{ "swap.free", PROCFS_MEM_SWAP_FREE,
	    offsetof(struct procfs_meminfo, swap_free) },
};

/* a - b as a double, or 0 when the kernel's numbers cross for a moment. */
static double
memory_diff(uint64_t a, uint64_t b)
{
	return a > b ? (double)(a - b) : 0.0;
}

int
memory_collect(const char *root, struct proto_sample *out)
{
	struct procfs_meminfo mi;
	unsigned want;
	size_t i;

	if (procfs_read_meminfo(root, &mi) != 0)
		return -1;
	for (i = 0; i < sizeof memory_series / sizeof memory_series[0]; i++) {
		if (mi.have & memory_series[i].bit)
			proto_sample_add(out, memory_series[i].name,
			    (double)*(const uint64_t *)((const char *)&mi +
			        memory_series[i].off));
	}
	want = PROCFS_MEM_TOTAL | PROCFS_MEM_AVAILABLE;
	if ((mi.have & want) == want)
		proto_sample_add(out, "mem.used",
		    memory_diff(mi.total, mi.available));
	want = PROCFS_MEM_SWAP_TOTAL | PROCFS_MEM_SWAP_FREE;
	if ((mi.have & want) == want)
		proto_sample_add(out, "swap.used",
		    memory_diff(mi.swap_total, mi.swap_free));
	return 0;
}

static const struct config_collector *
memory_conf(const struct config *cf)
{
	return &cf->memory.c;
}

static int
memory_init(void **state, const struct config *cf, struct event_base *base)
{
	struct memory *m;

	(void)base;
	m = xcalloc(1, sizeof *m);
	m->root = xstrdup(cf->memory.c.proc_root);
	*state = m;
	return 0;
}

static int
memory_sample(void *state, struct proto_sample *out)
{
	struct memory *m = state;
	int ok;

	ok = memory_collect(m->root, out) == 0;
	collector_file_status(&m->fail_meminfo, "proc/meminfo", ok);
	return 0;
}

static void
memory_free(void *state)
{
	struct memory *m = state;

	free(m->root);
	free(m);
}

const struct collector_ops memory_ops = {
	.name = "memory",
	.conf = memory_conf,
	.init = memory_init,
	.sample = memory_sample,
	.free = memory_free,
};
