/*
 * The metrics collector: a StatsD UDP listener on the collector's event loop
 * that publishes the aggregated names every interval.
 */
#ifndef VIGIL_METRICS_H
#define VIGIL_METRICS_H

#include "collectors/collector.h"

extern const struct collector_ops metrics_ops;

#endif
