/*
 * Rates from two readings of a kernel counter. Counters may wrap (32-bit
 * fields on old kernels and some drivers) or start again from 0 (a driver
 * reloaded, an interface re-created); neither may give a negative or absurd
 * rate, so a reading that cannot be explained as a wrap is a reset and
 * gives no rate for that interval.
 */
#ifndef VIGIL_RATE_H
#define VIGIL_RATE_H

#include <stdint.h>

/*
 * The increase from prev to cur in *delta: cur - prev when it grew, the
 * distance through 2^32 when both fit in 32 bits and that distance is under
 * 2^31 (a wrap), else -1 (a reset: no rate this time).
 */
int rate_delta(uint64_t prev, uint64_t cur, uint64_t *delta);
/* rate_delta per second over ns nanoseconds (> 0), else -1. */
int rate_per_sec(uint64_t prev, uint64_t cur, int64_t ns, double *rate);

#endif
