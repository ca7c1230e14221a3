/*
 * The system collector: CPU time by mode (total and per core), load,
 * uptime, processes, forks, context switches and interrupts from
 * /proc/stat and friends; network interfaces, block devices and file
 * systems; CPU and I/O pressure where the kernel has it.
 */
#ifndef VIGIL_SYSTEM_H
#define VIGIL_SYSTEM_H

#include <stdint.h>

#include "common/proto.h"
#include "collectors/collector.h"

struct system;

extern const struct collector_ops system_ops;

/* max_devices caps interfaces, disks and file systems, each. */
struct system *system_new(const char *proc_root, unsigned max_devices);
void system_free(struct system *sys);
/*
 * Read the files under root (normally proc_root) and add their series to out;
 * now_ns is the monotonic time of the reading, for the rates. A file that
 * cannot be read drops its series only (logged once); rates need a previous
 * reading.
 */
void system_collect(struct system *sys, const char *root, int64_t now_ns,
    struct proto_sample *out);
int system_describe(void *state, const char *name, struct collector_desc *d);

#endif
