/*
 * The memory collector: RAM and swap from /proc/meminfo, in bytes.
 */
#ifndef VIGIL_MEMORY_H
#define VIGIL_MEMORY_H

#include "common/proto.h"
#include "collectors/collector.h"

extern const struct collector_ops memory_ops;

/*
 * Read ROOT/proc/meminfo and add the series it has to out; 0, or -1 when
 * the file cannot be read (nothing added).
 */
int memory_collect(const char *root, struct proto_sample *out);

#endif
