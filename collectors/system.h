/*
 * The system collector: CPU busy time (total and per core) from two readings
 * of /proc/stat, load averages and uptime.
 */
#ifndef VIGIL_SYSTEM_H
#define VIGIL_SYSTEM_H

#include "common/proto.h"
#include "collectors/collector.h"

struct system;

extern const struct collector_ops system_ops;

struct system *system_new(const char *proc_root);
void system_free(struct system *sys);
/*
 * Read the files under root and add their series to out. A file that cannot
 * be read drops its series only; the CPU series need a previous reading.
 */
void system_collect(struct system *sys, const char *root,
    struct proto_sample *out);

#endif
