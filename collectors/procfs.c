/*
 * Parsers for /proc/stat, /proc/loadavg, /proc/uptime and /proc/meminfo
 * under a root directory. They read the file, check every field they use and
 * return a struct; a file that is missing or does not look like the kernel's
 * gives -1 and errno, and the caller chooses what to drop.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "collectors/procfs.h"

#define PROCFS_STAT_FIELDS 8 /* user .. steal; guest is inside user */
#define PROCFS_CPU_ID_MAX 65535

static FILE *
procfs_open(const char *root, const char *file)
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
	return fopen(path, "r");
}

/* Read an unsigned decimal at *p and move past it; strtoull takes signs. */
static int
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
	uint64_t f[PROCFS_STAT_FIELDS] = { 0 }, id;
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
	/* Old kernels have only user, nice, system and idle. */
	for (i = 0; i < PROCFS_STAT_FIELDS; i++) {
		if (procfs_number(&p, &f[i]) != 0) {
			if (i < 4)
				return -1;
			break;
		}
	}
	cpu->idle = f[3] + f[4];
	cpu->total = 0;
	for (i = 0; i < PROCFS_STAT_FIELDS; i++)
		cpu->total += f[i];
	return 0;
}

int
procfs_read_stat(const char *root, struct procfs_stat *st)
{
	FILE *fp;
	char *line = NULL;
	size_t size = 0, cap = 0;
	struct procfs_cpu cpu;

	memset(st, 0, sizeof *st);
	if ((fp = procfs_open(root, "proc/stat")) == NULL)
		return -1;
	while (getline(&line, &size, fp) != -1) {
		if (procfs_cpu_line(line, &cpu) != 0) {
			if (st->ncpu > 0)
				break; /* the cpu lines come first */
			continue;
		}
		if ((st->ncpu == 0) != (cpu.id == -1))
			break; /* the total line must be first, and once */
		if (st->ncpu == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			st->cpu = xreallocarray(st->cpu, cap, sizeof *st->cpu);
		}
		st->cpu[st->ncpu++] = cpu;
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
procfs_cpu_busy(const struct procfs_cpu *prev, const struct procfs_cpu *cur,
    double *busy)
{
	uint64_t dtotal, didle;

	if (cur->total <= prev->total)
		return -1;
	dtotal = cur->total - prev->total;
	/* iowait may go back on some kernels: count that as no idle time. */
	didle = cur->idle > prev->idle ? cur->idle - prev->idle : 0;
	if (didle > dtotal)
		didle = dtotal;
	*busy = 100.0 * (1.0 - (double)didle / (double)dtotal);
	return 0;
}

/* Read the first line of a small file into buf. */
static int
procfs_read_line(const char *root, const char *file, char *buf, size_t len)
{
	FILE *fp;
	int ok;

	if ((fp = procfs_open(root, file)) == NULL)
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

static const struct {
	const char *key;
	unsigned bit;
	size_t off;
} procfs_mem_keys[] = {
	{ "MemTotal", PROCFS_MEM_TOTAL,
	    offsetof(struct procfs_meminfo, total) },
	{ "MemFree", PROCFS_MEM_FREE, offsetof(struct procfs_meminfo, free) },
	{ "MemAvailable", PROCFS_MEM_AVAILABLE,
	    offsetof(struct procfs_meminfo, available) },
	{ "Buffers", PROCFS_MEM_BUFFERS,
	    offsetof(struct procfs_meminfo, buffers) },
	{ "Cached", PROCFS_MEM_CACHED,
	    offsetof(struct procfs_meminfo, cached) },
	{ "SwapTotal", PROCFS_MEM_SWAP_TOTAL,
	    offsetof(struct procfs_meminfo, swap_total) },
	{ "SwapFree", PROCFS_MEM_SWAP_FREE,
	    offsetof(struct procfs_meminfo, swap_free) },
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
	for (i = 0; i < sizeof procfs_mem_keys / sizeof procfs_mem_keys[0];
	     i++) {
		if (strlen(procfs_mem_keys[i].key) != klen ||
		    strncmp(line, procfs_mem_keys[i].key, klen) != 0)
			continue;
		p = colon + 1;
		if (procfs_number(&p, &kb) != 0 || strncmp(p, " kB", 3) != 0 ||
		    (p[3] != '\n' && p[3] != '\0') || kb > UINT64_MAX / 1024)
			return;
		*(uint64_t *)((char *)mi + procfs_mem_keys[i].off) = kb * 1024;
		mi->have |= procfs_mem_keys[i].bit;
		return;
	}
}

int
procfs_read_meminfo(const char *root, struct procfs_meminfo *mi)
{
	FILE *fp;
	char *line = NULL;
	size_t size = 0;

	memset(mi, 0, sizeof *mi);
	if ((fp = procfs_open(root, "proc/meminfo")) == NULL)
		return -1;
	while (getline(&line, &size, fp) != -1)
		procfs_mem_line(line, mi);
	free(line);
	fclose(fp);
	if (mi->have == 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
