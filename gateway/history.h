/*
 * The recent points of one series: a ring of at most max points, each
 * tagged with the cursor of the sample it came from, so a client that
 * names the last cursor it saw gets exactly the points after it. The ring
 * grows in steps up to max, so a series that was just seen costs little.
 */
#ifndef VIGIL_GATEWAY_HISTORY_H
#define VIGIL_GATEWAY_HISTORY_H

#include <stddef.h>
#include <stdint.h>

struct history_point {
	uint64_t cursor; /* grows along the ring */
	int64_t t;       /* ms since the epoch */
	double v;
};

struct history {
	struct history_point *p;
	uint32_t cap;  /* allocated */
	uint32_t max;  /* most points kept */
	uint32_t head; /* index of the oldest point */
	uint32_t n;    /* points held */
};

void history_init(struct history *h, uint32_t max);
void history_free(struct history *h);
/*
 * Append a point (cursor larger than any held). Returns the cursor of the
 * point pushed out of a full ring, or 0.
 */
uint64_t history_push(struct history *h, uint64_t cursor, int64_t t, double v);
/* The i-th oldest point, i < n. */
const struct history_point *history_at(const struct history *h, uint32_t i);
/*
 * The points with after < cursor <= upto: *first is the index of the
 * oldest of them; returns how many.
 */
uint32_t history_range(const struct history *h, uint64_t after, uint64_t upto,
    uint32_t *first);
/* The newest point, or NULL. */
const struct history_point *history_last(const struct history *h);

/*
 * Resume arithmetic: can a client whose last cursor is cursor get exactly
 * what it missed? Not when it is 0 (a new client), newer than the newest
 * (another session), or older than floor, the largest cursor ever pushed
 * out of any ring (points after it are gone).
 */
int history_can_resume(uint64_t cursor, uint64_t floor, uint64_t newest);

#endif
