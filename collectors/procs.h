/*
 * The largest processes by resident memory, from ROOT/proc/PID/stat.
 * A process can exit between listing /proc and reading its file; that is
 * normal and only leaves it out.
 */
#ifndef VIGIL_PROCS_H
#define VIGIL_PROCS_H

#include <stddef.h>
#include <stdint.h>

#define PROCS_COMM_MAX 64 /* bytes of a name; the kernel's comm is 15 */

struct procs_entry {
	int64_t pid;
	uint64_t rss; /* bytes */
	char name[PROCS_COMM_MAX + 1];
};

/*
 * Parse one /proc/PID/stat of len bytes: "pid (comm) state ... rss ...".
 * rss is in pages, multiplied by pagesize. 0, or -1.
 */
int procs_parse_stat(const char *buf, size_t len, uint64_t pagesize,
    struct procs_entry *e);
/*
 * The n largest processes by RSS, largest first (ties: lower pid first)
 * into out; the count, or -1 with errno when ROOT/proc cannot be listed.
 * Processes with no resident memory (kernel threads) are left out.
 */
int procs_top(const char *root, size_t n, uint64_t pagesize,
    struct procs_entry *out);

#endif
