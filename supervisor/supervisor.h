/*
 * vigild's core: runs every role in its own process, restarts the ones
 * that end, and stops them all in order when told to.
 */
#ifndef VIGIL_SUPERVISOR_H
#define VIGIL_SUPERVISOR_H

#include <stddef.h>

struct config;

/*
 * Check what the config loader cannot: role names that make a file name.
 * Returns 0, or -1 with a reason in err.
 */
int supervisor_check(const struct config *cf, char *err, size_t errlen);

/*
 * Run the roles of cf until SIGTERM or SIGINT; children get one -v per
 * verbose. Returns the exit status for vigild.
 */
int supervisor_run(struct config *cf, int verbose);

#endif
