/*
 * The memory collector: RAM and swap from /proc/meminfo, paging and OOM
 * kills from /proc/vmstat, memory pressure, and the largest processes by
 * resident memory.
 */
#ifndef VIGIL_MEMORY_H
#define VIGIL_MEMORY_H

#include <stdint.h>

#include "common/proto.h"
#include "collectors/collector.h"

struct memory;

extern const struct collector_ops memory_ops;

/* top: how many processes to report by RSS (0: none). */
struct memory *memory_new(const char *proc_root, unsigned top,
    uint64_t pagesize);
void memory_free(struct memory *m);
/*
 * Read the files under root (normally proc_root) and add their series to out;
 * now_ns is the monotonic time of the reading. A file that cannot be read drops
 * its series only (logged once).
 */
void memory_collect(struct memory *m, const char *root, int64_t now_ns,
    struct proto_sample *out);
int memory_describe(void *state, const char *name, struct collector_desc *d);

#endif
