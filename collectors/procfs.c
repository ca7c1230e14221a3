/*
 * Parsers for /proc/stat, loadavg, uptime, meminfo, vmstat and the pressure
 * files under a root directory. They read the file, check every field they
 * use and return a struct; a file that is missing or does not look like
 * the kernel's gives -1 and errno, and the caller chooses what to drop.
 * Lines they do not know are skipped, so newer kernels parse too.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "collectors/procfs.h"

#define PROCFS_CPU_ID_MAX 65535

const char *const procfs_cpu_mode_names[PROCFS_CPU_MODES] = {
	"user",
	"nice",
	"system",
	"idle",
	"iowait",
	"irq",
	"softirq",
	"steal",
};

FILE *
procfs_fopen(const char *root, const char *file)
{
	char path[PATH_MAX];
	const char *sep;
	int n;

	sep = (*root != '\0' && root[strlen(root) - 1] == '/') ? "" : "/";
	n = snprintf(path, sizeof path, "%s%s%s", root, sep, file);
	if (n < 0 || (size_t)n >= sizeof path) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return fopen(path, "re");
}

/* strtoull would take signs and blanks before them: check first. */
int
procfs_number(const char **p, uint64_t *v)
{
	const char *s = *p;
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	*p = end;
	return 0;
}

/* Parse "cpu ..." or "cpuN ..."; 0, or -1 when it is not a cpu line. */
static int
procfs_cpu_line(const char *line, struct procfs_cpu *cpu)
{
	const char *p = line + 3;
	uint64_t id;
	int i;

	if (strncmp(line, "cpu", 3) != 0)
		return -1;
	if (*p == ' ')
		cpu->id = -1;
	else if (procfs_number(&p, &id) == 0 && id <= PROCFS_CPU_ID_MAX &&
	    *p == ' ')
		cpu->id = (int)id;
	else
		return -1;
	memset(cpu->mode, 0, sizeof cpu->mode);
	/* Old kernels have only user, nice, system and idle. */
	for (i = 0; i < PROCFS_CPU_MODES; i++) {
		if (procfs_number(&p, &cpu->mode[i]) != 0) {
			if (i < 4)
				return -1;
			break;
		}
	}
	cpu->total = 0;
	for (i = 0; i < PROCFS_CPU_MODES; i++)
		cpu->total += cpu->mode[i];
	return 0;
}

static const struct {
	const char *key;
	unsigned bit;
	size_t off;
} procfs_stat_keys[] = {
	{ "ctxt ", PROCFS_STAT_CTXT, offsetof(struct procfs_stat, ctxt) },
	{ "intr ", PROCFS_STAT_INTR, offsetof(struct procfs_stat, intr) },
	{ "processes ", PROCFS_STAT_FORKS,
	    offsetof(struct procfs_stat, forks) },
	{ "procs_running ", PROCFS_STAT_RUNNING,
	    offsetof(struct procfs_stat, running) },
	{ "procs_blocked ", PROCFS_STAT_BLOCKED,
	    offsetof(struct procfs_stat, blocked) },
};

/* A "key N ..." line after the cpu lines. */
static void
procfs_stat_scalar(const char *line, struct procfs_stat *st)
{
	const char *p;
	size_t i, klen;
	uint64_t v;

	for (i = 0; i < sizeof procfs_stat_keys / sizeof procfs_stat_keys[0];
	     i++) {
		klen = strlen(procfs_stat_keys[i].key);
		if (strncmp(line, procfs_stat_keys[i].key, klen) != 0)
			continue;
		p = line + klen;
		if (procfs_number(&p, &v) != 0)
			return;
		*(uint64_t *)((char *)st + procfs_stat_keys[i].off) = v;
		st->have |= procfs_stat_keys[i].bit;
		return;
	}
}

static void
procfs_stat_cpu(struct procfs_stat *st, size_t *cap,
    const struct procfs_cpu *cpu)
{
	if (st->ncpu == *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		st->cpu = xreallocarray(st->cpu, *cap, sizeof *st->cpu);
	}
	st->cpu[st->ncpu++] = *cpu;
}

int
procfs_read_stat(const char *root, struct procfs_stat *st)
{
	FILE *fp;
	char *line = NULL;
	size_t size = 0, cap = 0;
	struct procfs_cpu cpu;
	int cpus_done = 0;

	memset(st, 0, sizeof *st);
	if ((fp = procfs_fopen(root, "proc/stat")) == NULL)
		return -1;
	while (getline(&line, &size, fp) != -1) {
		if (!cpus_done && procfs_cpu_line(line, &cpu) == 0) {
			/* The total line must be first, and once. */
			if ((st->ncpu == 0) == (cpu.id == -1))
				procfs_stat_cpu(st, &cap, &cpu);
			else
				cpus_done = 1;
			continue;
		}
		if (st->ncpu > 0)
			cpus_done = 1;
		procfs_stat_scalar(line, st);
	}
	free(line);
	fclose(fp);
	if (st->ncpu == 0) {
		procfs_stat_free(st);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

void
procfs_stat_free(struct procfs_stat *st)
{
	free(st->cpu);
	st->cpu = NULL;
	st->ncpu = 0;
}

int
procfs_cpu_pct(const struct procfs_cpu *prev, const struct procfs_cpu *cur,
    double pct[PROCFS_CPU_MODES], double *busy)
{
	uint64_t d[PROCFS_CPU_MODES], sum = 0;
	int i;

	if (cur->total <= prev->total)
		return -1;
	/*
	 * iowait may go back on some kernels: that mode counts as 0, and the
	 * shares are of the sum of the forward deltas, so they add to 100.
	 */
	for (i = 0; i < PROCFS_CPU_MODES; i++) {
		d[i] = cur->mode[i] > prev->mode[i]
		    ? cur->mode[i] - prev->mode[i]
		    : 0;
		sum += d[i];
	}
	if (sum == 0)
		return -1;
	for (i = 0; i < PROCFS_CPU_MODES; i++)
		pct[i] = 100.0 * (double)d[i] / (double)sum;
	*busy = 100.0 *
	    (1.0 -
	        (double)(d[PROCFS_CPU_IDLE] + d[PROCFS_CPU_IOWAIT]) /
	            (double)sum);
	return 0;
}

/* Read the first line of a small file into buf. */
static int
procfs_read_line(const char *root, const char *file, char *buf, size_t len)
{
	FILE *fp;
	int ok;

	if ((fp = procfs_fopen(root, file)) == NULL)
		return -1;
	ok = fgets(buf, (int)len, fp) != NULL;
	fclose(fp);
	if (!ok) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Read a non-negative decimal number with a fraction at *p. */
static int
procfs_double(const char **p, double *v)
{
	const char *s = *p;
	char *end;

	while (*s == ' ')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (errno != 0 || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -1;
	*p = end;
	return 0;
}

int
procfs_read_loadavg(const char *root, struct procfs_loadavg *la)
{
	char buf[256];
	const char *p = buf;

	if (procfs_read_line(root, "proc/loadavg", buf, sizeof buf) != 0)
		return -1;
	if (procfs_double(&p, &la->load1) != 0 ||
	    procfs_double(&p, &la->load5) != 0 ||
	    procfs_double(&p, &la->load15) != 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
procfs_read_uptime(const char *root, double *uptime)
{
	char buf[256];
	const char *p = buf;

	if (procfs_read_line(root, "proc/uptime", buf, sizeof buf) != 0)
		return -1;
	if (procfs_double(&p, uptime) != 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static const char *const procfs_mem_keys[PROCFS_MEM_N] = {
	[PROCFS_MEM_TOTAL] = "MemTotal",
	[PROCFS_MEM_FREE] = "MemFree",
	[PROCFS_MEM_AVAILABLE] = "MemAvailable",
	[PROCFS_MEM_BUFFERS] = "Buffers",
	[PROCFS_MEM_CACHED] = "Cached",
	[PROCFS_MEM_SHMEM] = "Shmem",
	[PROCFS_MEM_SLAB] = "Slab",
	[PROCFS_MEM_DIRTY] = "Dirty",
	[PROCFS_MEM_WRITEBACK] = "Writeback",
	[PROCFS_MEM_SWAP_TOTAL] = "SwapTotal",
	[PROCFS_MEM_SWAP_FREE] = "SwapFree",
	[PROCFS_MEM_COMMITTED] = "Committed_AS",
};

/* One "Key:   N kB" line; the fields we want are all in kB. */
static void
procfs_mem_line(const char *line, struct procfs_meminfo *mi)
{
	const char *colon, *p;
	uint64_t kb;
	size_t i, klen;

	if ((colon = strchr(line, ':')) == NULL)
		return;
	klen = (size_t)(colon - line);
	for (i = 0; i < PROCFS_MEM_N; i++) {
		if (strlen(procfs_mem_keys[i]) != klen ||
		    strncmp(line, procfs_mem_keys[i], klen) != 0)
			continue;
		p = colon + 1;
		if (procfs_number(&p, &kb) != 0 || strncmp(p, " kB", 3) != 0 ||
		    (p[3] != '\n' && p[3] != '\0') || kb > UINT64_MAX / 1024)
			return;
		mi->v[i] = kb * 1024;
		mi->have |= 1u << i;
		return;
	}
}

int
procfs_read_meminfo(const char *root, struct procfs_meminfo *mi)
{
	FILE *fp;
	char line[256];

	memset(mi, 0, sizeof *mi);
	if ((fp = procfs_fopen(root, "proc/meminfo")) == NULL)
		return -1;
	/* A line longer than the buffer is cut: its tail matches no key. */
	while (fgets(line, sizeof line, fp) != NULL)
		procfs_mem_line(line, mi);
	fclose(fp);
	if (mi->have == 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static const char *const procfs_vm_keys[PROCFS_VM_N] = {
	[PROCFS_VM_PGFAULT] = "pgfault ",
	[PROCFS_VM_PGMAJFAULT] = "pgmajfault ",
	[PROCFS_VM_PSWPIN] = "pswpin ",
	[PROCFS_VM_PSWPOUT] = "pswpout ",
	[PROCFS_VM_OOM_KILL] = "oom_kill ",
};

int
procfs_read_vmstat(const char *root, struct procfs_vmstat *vm)
{
	FILE *fp;
	char line[256];
	const char *p;
	size_t i, klen;

	memset(vm, 0, sizeof *vm);
	if ((fp = procfs_fopen(root, "proc/vmstat")) == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL) {
		for (i = 0; i < PROCFS_VM_N; i++) {
			klen = strlen(procfs_vm_keys[i]);
			if (strncmp(line, procfs_vm_keys[i], klen) != 0)
				continue;
			p = line + klen;
			if (procfs_number(&p, &vm->v[i]) == 0 &&
			    (*p == '\n' || *p == '\0'))
				vm->have |= 1u << i;
			break;
		}
	}
	fclose(fp);
	if (vm->have == 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=N": the total, in us. */
static int
procfs_psi_total(const char *line, uint64_t *us)
{
	const char *p;

	if ((p = strstr(line, " total=")) == NULL)
		return -1;
	p += strlen(" total=");
	if (procfs_number(&p, us) != 0 || (*p != '\n' && *p != '\0'))
		return -1;
	return 0;
}

int
procfs_read_psi(const char *root, const char *what, struct procfs_psi *psi)
{
	FILE *fp;
	char file[64], line[256];

	memset(psi, 0, sizeof *psi);
	snprintf(file, sizeof file, "proc/pressure/%s", what);
	if ((fp = procfs_fopen(root, file)) == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL) {
		if (strncmp(line, "some ", 5) == 0 &&
		    procfs_psi_total(line, &psi->some_us) == 0)
			psi->have_some = 1;
		else if (strncmp(line, "full ", 5) == 0 &&
		    procfs_psi_total(line, &psi->full_us) == 0)
			psi->have_full = 1;
	}
	fclose(fp);
	if (!psi->have_some) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
