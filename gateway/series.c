/*
 * The series table: a vector in order of arrival (what clients iterate)
 * and an open-addressing hash index on the name (what every sample value
 * looks up). Entries are never removed while the gateway runs, so the
 * index needs no tombstones.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "gateway/series.h"

void
series_init(struct series_table *t, size_t max, uint32_t history)
{
	memset(t, 0, sizeof *t);
	t->max = max;
	t->history = history;
	t->nslots = 64;
	t->slots = xcalloc(t->nslots, sizeof *t->slots);
}

void
series_free(struct series_table *t)
{
	struct series *s;
	size_t i;

	for (i = 0; i < t->n; i++) {
		s = t->all[i];
		free(s->name);
		free(s->src);
		free(s->unit);
		free(s->kind);
		free(s->desc);
		free(s->text);
		history_free(&s->hist);
		free(s);
	}
	free(t->all);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

static uint64_t
series_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t
series_slot(struct series **slots, size_t nslots, const char *name)
{
	size_t i = series_hash(name) & (nslots - 1);

	while (slots[i] != NULL && strcmp(slots[i]->name, name) != 0)
		i = (i + 1) & (nslots - 1);
	return i;
}

struct series *
series_find(const struct series_table *t, const char *name)
{
	return t->slots[series_slot(t->slots, t->nslots, name)];
}

static void
series_rehash(struct series_table *t)
{
	size_t i, n = t->nslots * 2;
	struct series **slots = xcalloc(n, sizeof *slots);

	for (i = 0; i < t->n; i++)
		slots[series_slot(slots, n, t->all[i]->name)] = t->all[i];
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
}

struct series *
series_get(struct series_table *t, const char *name, const char *src)
{
	struct series *s;
	size_t i = series_slot(t->slots, t->nslots, name);

	if ((s = t->slots[i]) != NULL)
		return s;
	if (t->n >= t->max) {
		if (t->dropped++ == 0)
			log_warnx("more than %zu series: \"%s\" and any other "
			          "new one dropped",
			    t->max, name);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->name = xstrdup(name);
	s->src = xstrdup(src);
	history_init(&s->hist, t->history);
	if (t->n % 64 == 0)
		t->all = xreallocarray(t->all, t->n + 64, sizeof *t->all);
	t->all[t->n++] = s;
	t->slots[i] = s;
	if (t->n * 2 > t->nslots)
		series_rehash(t);
	return s;
}

/* Replace *field with value; 1 if it changed. */
static int
series_field(char **field, const char *value)
{
	if (*field != NULL && strcmp(*field, value) == 0)
		return 0;
	free(*field);
	*field = xstrdup(value);
	return 1;
}

int
series_set_meta(struct series_table *t, const char *name, const char *src,
    const char *unit, const char *kind, const char *desc)
{
	struct series *s;
	int changed = 0;

	if ((s = series_get(t, name, src)) == NULL)
		return -1;
	changed |= series_field(&s->src, src);
	changed |= series_field(&s->unit, unit);
	changed |= series_field(&s->kind, kind);
	changed |= series_field(&s->desc, desc);
	return changed;
}

int
series_match(const char *name, char *const *prefixes, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}
