/*
 * Parsers for the few /proc files the system and memory collectors read.
 * Each one takes the root directory the proc tree lives under ("/" on a
 * live host, a fixture directory in the tests) and fills a plain struct; none
 * of them logs or keeps state, so the callers decide what a failure means.
 * On failure they return -1 with errno set (EINVAL for a file that does not
 * parse).
 */
#ifndef VIGIL_PROCFS_H
#define VIGIL_PROCFS_H

#include <stddef.h>
#include <stdint.h>

/* One "cpu" line of /proc/stat, in clock ticks since boot. */
struct procfs_cpu {
	int id;         /* N of "cpuN", or -1 for the "cpu" total line */
	uint64_t total; /* every state but guest time (already in user) */
	uint64_t idle;  /* idle + iowait */
};

struct procfs_stat {
	size_t ncpu; /* entries in cpu, the total line first */
	struct procfs_cpu *cpu;
};

struct procfs_loadavg {
	double load1;
	double load5;
	double load15;
};

/* Which fields of struct procfs_meminfo the file had. */
#define PROCFS_MEM_TOTAL 0x01
#define PROCFS_MEM_FREE 0x02
#define PROCFS_MEM_AVAILABLE 0x04
#define PROCFS_MEM_BUFFERS 0x08
#define PROCFS_MEM_CACHED 0x10
#define PROCFS_MEM_SWAP_TOTAL 0x20
#define PROCFS_MEM_SWAP_FREE 0x40

/* /proc/meminfo, in bytes. */
struct procfs_meminfo {
	unsigned have; /* PROCFS_MEM_* bits */
	uint64_t total;
	uint64_t free;
	uint64_t available;
	uint64_t buffers;
	uint64_t cached;
	uint64_t swap_total;
	uint64_t swap_free;
};

/* Fill st from ROOT/proc/stat; free it with procfs_stat_free. */
int procfs_read_stat(const char *root, struct procfs_stat *st);
void procfs_stat_free(struct procfs_stat *st);
/*
 * Busy percentage between two readings of the same CPU:
 * 100 * (1 - delta idle / delta total). Returns -1 when the counters did
 * not move forward (no time passed, or they went back).
 */
int procfs_cpu_busy(const struct procfs_cpu *prev, const struct procfs_cpu *cur,
    double *busy);

int procfs_read_loadavg(const char *root, struct procfs_loadavg *la);
/* Seconds since boot, the first field of ROOT/proc/uptime. */
int procfs_read_uptime(const char *root, double *uptime);
int procfs_read_meminfo(const char *root, struct procfs_meminfo *mi);

#endif
