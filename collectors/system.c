/*
 * vigil-system: CPU busy percentage, total and per core, from the change
 * between two readings of /proc/stat, plus the load averages and the
 * uptime. The first tick has no previous reading and so no CPU series.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/xmalloc.h"
#include "collectors/procfs.h"
#include "collectors/system.h"

struct system {
	char *root;
	struct procfs_stat prev;
	int fail_stat;
	int fail_loadavg;
	int fail_uptime;
};

struct system *
system_new(const char *proc_root)
{
	struct system *sys;

	sys = xcalloc(1, sizeof *sys);
	sys->root = xstrdup(proc_root);
	return sys;
}

void
system_free(struct system *sys)
{
	if (sys == NULL)
		return;
	procfs_stat_free(&sys->prev);
	free(sys->root);
	free(sys);
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
system_cpu(struct system *sys, const struct procfs_stat *cur,
    struct proto_sample *out)
{
	const struct procfs_cpu *prev;
	char name[32];
	double busy;
	size_t i;

	for (i = 0; i < cur->ncpu; i++) {
		prev = system_prev_cpu(&sys->prev, i, cur->cpu[i].id);
		if (prev == NULL ||
		    procfs_cpu_busy(prev, &cur->cpu[i], &busy) != 0)
			continue;
		if (cur->cpu[i].id == -1)
			snprintf(name, sizeof name, "cpu.total.busy");
		else
			snprintf(name, sizeof name, "cpu.%d.busy",
			    cur->cpu[i].id);
		proto_sample_add(out, name, busy);
	}
}

void
system_collect(struct system *sys, const char *root, struct proto_sample *out)
{
	struct procfs_stat cur;
	struct procfs_loadavg la;
	double uptime;
	int ok;

	ok = procfs_read_stat(root, &cur) == 0;
	collector_file_status(&sys->fail_stat, "proc/stat", ok);
	if (ok) {
		system_cpu(sys, &cur, out);
		procfs_stat_free(&sys->prev);
		sys->prev = cur;
	}

	ok = procfs_read_loadavg(root, &la) == 0;
	collector_file_status(&sys->fail_loadavg, "proc/loadavg", ok);
	if (ok) {
		proto_sample_add(out, "load.1", la.load1);
		proto_sample_add(out, "load.5", la.load5);
		proto_sample_add(out, "load.15", la.load15);
	}

	ok = procfs_read_uptime(root, &uptime) == 0;
	collector_file_status(&sys->fail_uptime, "proc/uptime", ok);
	if (ok)
		proto_sample_add(out, "uptime", uptime);
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
	*state = system_new(cf->system.c.proc_root);
	return 0;
}

static int
system_sample(void *state, struct proto_sample *out)
{
	struct system *sys = state;

	system_collect(sys, sys->root, out);
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
	.free = system_ops_free,
};
