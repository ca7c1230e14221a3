/*
 * Parsers for the /proc files the system and memory collectors read:
 * stat, loadavg, uptime, meminfo, vmstat and the pressure (PSI) files.
 * Each one takes the root directory the proc tree lives under ("/" on a
 * live host, a fixture directory in the tests) and fills a plain struct;
 * none of them logs or keeps state, so the callers decide what a failure
 * means. On failure they return -1 with errno set (EINVAL for a file that
 * does not parse).
 */
#ifndef VIGIL_PROCFS_H
#define VIGIL_PROCFS_H

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

/* The CPU modes of a "cpu" line, in the kernel's order. */
enum procfs_cpu_mode {
	PROCFS_CPU_USER, /* guest time is already inside user and nice */
	PROCFS_CPU_NICE,
	PROCFS_CPU_SYSTEM,
	PROCFS_CPU_IDLE,
	PROCFS_CPU_IOWAIT,
	PROCFS_CPU_IRQ,
	PROCFS_CPU_SOFTIRQ,
	PROCFS_CPU_STEAL,
	PROCFS_CPU_MODES,
};

extern const char *const procfs_cpu_mode_names[PROCFS_CPU_MODES];

/* One "cpu" line of /proc/stat, in clock ticks since boot. */
struct procfs_cpu {
	int id; /* N of "cpuN", or -1 for the "cpu" total line */
	uint64_t mode[PROCFS_CPU_MODES]; /* missing on old kernels: 0 */
	uint64_t total;                  /* sum of the modes */
};

/* Which of the scalar fields of struct procfs_stat the file had. */
#define PROCFS_STAT_CTXT 0x01
#define PROCFS_STAT_INTR 0x02
#define PROCFS_STAT_FORKS 0x04
#define PROCFS_STAT_RUNNING 0x08
#define PROCFS_STAT_BLOCKED 0x10

struct procfs_stat {
	size_t ncpu; /* entries in cpu, the total line first */
	struct procfs_cpu *cpu;
	unsigned have;  /* PROCFS_STAT_* bits */
	uint64_t ctxt;  /* context switches since boot */
	uint64_t intr;  /* interrupts since boot */
	uint64_t forks; /* "processes": forks since boot */
	uint64_t running;
	uint64_t blocked;
};

struct procfs_loadavg {
	double load1;
	double load5;
	double load15;
};

/* The /proc/meminfo fields read, as indexes into procfs_meminfo.v. */
enum procfs_mem {
	PROCFS_MEM_TOTAL,
	PROCFS_MEM_FREE,
	PROCFS_MEM_AVAILABLE,
	PROCFS_MEM_BUFFERS,
	PROCFS_MEM_CACHED,
	PROCFS_MEM_SHMEM,
	PROCFS_MEM_SLAB,
	PROCFS_MEM_DIRTY,
	PROCFS_MEM_WRITEBACK,
	PROCFS_MEM_SWAP_TOTAL,
	PROCFS_MEM_SWAP_FREE,
	PROCFS_MEM_COMMITTED,
	PROCFS_MEM_N,
};

/* /proc/meminfo, in bytes; bit i of have is set when v[i] was read. */
struct procfs_meminfo {
	unsigned have;
	uint64_t v[PROCFS_MEM_N];
};

/* The /proc/vmstat counters read, as indexes into procfs_vmstat.v. */
enum procfs_vm {
	PROCFS_VM_PGFAULT,
	PROCFS_VM_PGMAJFAULT,
	PROCFS_VM_PSWPIN,
	PROCFS_VM_PSWPOUT,
	PROCFS_VM_OOM_KILL,
	PROCFS_VM_N,
};

struct procfs_vmstat {
	unsigned have;
	uint64_t v[PROCFS_VM_N];
};

/* One pressure file: the "total" stall time in us of each line. */
struct procfs_psi {
	int have_some;
	int have_full;
	uint64_t some_us;
	uint64_t full_us;
};

/* Open ROOT/file for reading; NULL with errno. */
FILE *procfs_fopen(const char *root, const char *file);
/* Read an unsigned decimal at *p, after blanks, and move past it. */
int procfs_number(const char **p, uint64_t *v);

/* Fill st from ROOT/proc/stat; free it with procfs_stat_free. */
int procfs_read_stat(const char *root, struct procfs_stat *st);
void procfs_stat_free(struct procfs_stat *st);
/*
 * Percentage of each mode, and busy (everything but idle and iowait),
 * between two readings of the same CPU. A mode that went back counts as
 * 0. Returns -1 when the total did not move forward.
 */
int procfs_cpu_pct(const struct procfs_cpu *prev, const struct procfs_cpu *cur,
    double pct[PROCFS_CPU_MODES], double *busy);

int procfs_read_loadavg(const char *root, struct procfs_loadavg *la);
/* Seconds since boot, the first field of ROOT/proc/uptime. */
int procfs_read_uptime(const char *root, double *uptime);
int procfs_read_meminfo(const char *root, struct procfs_meminfo *mi);
int procfs_read_vmstat(const char *root, struct procfs_vmstat *vm);
/* ROOT/proc/pressure/WHAT ("cpu", "io", "memory"). */
int procfs_read_psi(const char *root, const char *what, struct procfs_psi *p);

#endif
