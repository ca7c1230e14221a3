/*
 * The series the gateway knows, by name: where they come from, their
 * metadata (unit, kind, description) once it arrived, their history ring,
 * and for text labels the latest string. At most max series are kept;
 * names beyond the cap are counted and dropped so memory stays bounded.
 */
#ifndef VIGIL_GATEWAY_SERIES_H
#define VIGIL_GATEWAY_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/history.h"

struct series {
	char *name;
	char *src;
	char *unit; /* NULL until metadata arrives */
	char *kind;
	char *desc;
	char *text; /* a text label: its latest value, no history */
	int64_t text_t;
	struct history hist;
};

struct series_table {
	struct series **all; /* in order of arrival */
	size_t n;
	size_t max;
	uint32_t history;
	struct series **slots; /* open addressing, power of two */
	size_t nslots;
	uint64_t dropped; /* names refused over the cap */
};

void series_init(struct series_table *t, size_t max, uint32_t history);
void series_free(struct series_table *t);
struct series *series_find(const struct series_table *t, const char *name);
/* Find or add; NULL (counted in dropped) when the table is full. */
struct series *series_get(struct series_table *t, const char *name,
    const char *src);
/*
 * Set the metadata of a series (added if missing). Returns 1 if it was
 * new or changed, 0 if unchanged, -1 if the table is full.
 */
int series_set_meta(struct series_table *t, const char *name, const char *src,
    const char *unit, const char *kind, const char *desc);
/* 1 if name starts with one of the n prefixes (n == 0: always). */
int series_match(const char *name, char *const *prefixes, size_t n);

#endif
