/*
 * vigil-system: the system collector's entry point; the loop and the options
 * live in collector.c, the role in system.c.
 */
#include "collectors/collector.h"
#include "collectors/system.h"

int
main(int argc, char **argv)
{
	return collector_main(argc, argv, &system_ops);
}
