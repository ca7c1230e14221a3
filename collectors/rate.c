/*
 * Counter deltas that survive wraps and resets; see rate.h.
 */
#include "collectors/rate.h"

#define RATE_WRAP32 ((uint64_t)1 << 32)

int
rate_delta(uint64_t prev, uint64_t cur, uint64_t *delta)
{
	if (cur >= prev) {
		*delta = cur - prev;
		return 0;
	}
	if (prev < RATE_WRAP32 && RATE_WRAP32 - prev + cur < RATE_WRAP32 / 2) {
		*delta = RATE_WRAP32 - prev + cur;
		return 0;
	}
	return -1;
}

int
rate_per_sec(uint64_t prev, uint64_t cur, int64_t ns, double *rate)
{
	uint64_t d;

	if (ns <= 0 || rate_delta(prev, cur, &d) != 0)
		return -1;
	*rate = (double)d * 1e9 / (double)ns;
	return 0;
}
