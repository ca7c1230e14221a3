/*
 * vigil-memory: the memory collector's entry point; the loop and the options
 * live in collector.c, the role in memory.c.
 */
#include "collectors/collector.h"
#include "collectors/memory.h"

int
main(int argc, char **argv)
{
	return collector_main(argc, argv, &memory_ops);
}
