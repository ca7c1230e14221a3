/*
 * vigil-metrics: the metrics collector's entry point; the loop and the options
 * live in collector.c, the role in metrics.c.
 */
#include "collectors/collector.h"
#include "collectors/metrics.h"

int
main(int argc, char **argv)
{
	return collector_main(argc, argv, &metrics_ops);
}
