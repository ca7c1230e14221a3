/*
 * Per-series rings of points. Points arrive in cursor order, so the ring
 * is sorted by cursor and the points after a client's cursor are found by
 * binary search. The ring is allocated in doubling steps up to its maximum:
 * while it is not full the oldest point stays at index 0, so growing it is
 * a plain reallocation.
 */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "gateway/history.h"

#define HISTORY_FIRST_CAP 16

void
history_init(struct history *h, uint32_t max)
{
	memset(h, 0, sizeof *h);
	h->max = max < 1 ? 1 : max;
}

void
history_free(struct history *h)
{
	free(h->p);
	h->p = NULL;
	h->cap = h->n = h->head = 0;
}

uint64_t
history_push(struct history *h, uint64_t cursor, int64_t t, double v)
{
	struct history_point *pt;
	uint64_t evicted = 0;
	uint32_t cap;

	if (h->n == h->cap && h->cap < h->max) {
		cap = h->cap == 0 ? HISTORY_FIRST_CAP : h->cap * 2;
		if (cap > h->max)
			cap = h->max;
		h->p = xreallocarray(h->p, cap, sizeof *h->p);
		h->cap = cap;
	}
	if (h->n == h->cap) {
		pt = &h->p[h->head];
		evicted = pt->cursor;
		h->head = (h->head + 1) % h->cap;
	} else
		pt = &h->p[(h->head + h->n++) % h->cap];
	pt->cursor = cursor;
	pt->t = t;
	pt->v = v;
	return evicted;
}

const struct history_point *
history_at(const struct history *h, uint32_t i)
{
	return &h->p[(h->head + i) % h->cap];
}

const struct history_point *
history_last(const struct history *h)
{
	return h->n == 0 ? NULL : history_at(h, h->n - 1);
}

/* Index of the first point with a cursor above c (n if none). */
static uint32_t
history_after(const struct history *h, uint64_t c)
{
	uint32_t lo = 0, hi = h->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (history_at(h, mid)->cursor <= c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint32_t
history_range(const struct history *h, uint64_t after, uint64_t upto,
    uint32_t *first)
{
	uint32_t a, b;

	if (upto <= after) {
		*first = 0;
		return 0;
	}
	a = history_after(h, after);
	b = history_after(h, upto);
	*first = a;
	return b - a;
}

int
history_can_resume(uint64_t cursor, uint64_t floor, uint64_t newest)
{
	return cursor > 0 && cursor <= newest && cursor >= floor;
}
