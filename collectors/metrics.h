/*
 * The metrics collector: a StatsD UDP listener on the collector's event loop
 * that publishes the aggregated names every interval.
 */
#ifndef VIGIL_METRICS_H
#define VIGIL_METRICS_H

#include "collectors/collector.h"
#include "collectors/statsd.h"

extern const struct collector_ops metrics_ops;

/* Describe a series of the aggregator st; 0, or -1 if unknown. */
int metrics_describe_name(const struct statsd *st, const char *name,
    struct collector_desc *d);

#endif
