/*
 * /metrics: the latest value of every series in the Prometheus text
 * exposition format 0.0.4.
 */
#ifndef VIGIL_GATEWAY_PROM_H
#define VIGIL_GATEWAY_PROM_H

#include <stddef.h>

struct evbuffer;
struct gateway;

#define PROM_NAME_MAX 256

void prom_write(struct gateway *gw, struct evbuffer *out);
/*
 * The metric name of a series: "vigil_" and the name in lower case with
 * every other character than [a-z0-9_:] made "_"; counters end in
 * "_total"; another kind whose name ends like a counter, histogram or
 * summary part (_total, _count, _sum, _bucket) gets "_value" added.
 */
void prom_name(const char *series, const char *kind, char *out, size_t len);

#endif
