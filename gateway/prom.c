/*
 * Prometheus text format. Each series becomes one sample of a family named
 * after it (prom_name) with a src label; families are sorted by name so
 * each is announced once with # HELP and # TYPE. Series whose names fold
 * onto the same family and source are reported once. Text labels and
 * series without a point yet are left out.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/proto.h"
#include "common/xmalloc.h"
#include "gateway/gateway.h"
#include "gateway/prom.h"

struct prom_entry {
	char name[PROM_NAME_MAX];
	const struct series *s;
};

static int
prom_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

void
prom_name(const char *series, const char *kind, char *out, size_t len)
{
	size_t o, room = len - 16;
	const char *p;
	int counter = kind != NULL && strcmp(kind, PROTO_KIND_COUNTER) == 0;

	o = snprintf(out, len, "vigil_");
	for (p = series; *p != '\0' && o < room; p++) {
		int ch = tolower((unsigned char)*p);

		out[o++] = (isalnum(ch) || ch == '_' || ch == ':') &&
		        (unsigned char)*p < 0x80
		    ? ch
		    : '_';
	}
	out[o] = '\0';
	if (counter) {
		if (!prom_ends(out, "_total"))
			strcat(out, "_total");
	} else if (prom_ends(out, "_total") || prom_ends(out, "_count") ||
	    prom_ends(out, "_sum") || prom_ends(out, "_bucket"))
		strcat(out, "_value");
}

static int
prom_cmp(const void *a, const void *b)
{
	const struct prom_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->s->src, y->s->src);
}

/* Escape for HELP (quote 0) or a label value (quote 1). */
static void
prom_escape(struct evbuffer *out, const char *s, int quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			evbuffer_add(out, "\\\\", 2);
		else if (*s == '\n')
			evbuffer_add(out, "\\n", 2);
		else if (*s == '"' && quote)
			evbuffer_add(out, "\\\"", 2);
		else
			evbuffer_add(out, s, 1);
	}
}

static void
prom_value(struct evbuffer *out, double v)
{
	char buf[32];

	if (isnan(v))
		snprintf(buf, sizeof buf, "NaN");
	else if (isinf(v))
		snprintf(buf, sizeof buf, v > 0 ? "+Inf" : "-Inf");
	else {
		snprintf(buf, sizeof buf, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, sizeof buf, "%.17g", v);
	}
	evbuffer_add_printf(out, "%s\n", buf);
}

static void
prom_family(struct evbuffer *out, const struct prom_entry *e)
{
	const struct series *s = e->s;
	int counter =
	    s->kind != NULL && strcmp(s->kind, PROTO_KIND_COUNTER) == 0;

	evbuffer_add_printf(out, "# HELP %s ", e->name);
	prom_escape(out, s->name, 0);
	if (s->unit != NULL && s->unit[0] != '\0') {
		evbuffer_add(out, " (", 2);
		prom_escape(out, s->unit, 0);
		evbuffer_add(out, ")", 1);
	}
	if (s->desc != NULL && s->desc[0] != '\0') {
		evbuffer_add(out, ": ", 2);
		prom_escape(out, s->desc, 0);
	}
	evbuffer_add_printf(out, "\n# TYPE %s %s\n", e->name,
	    counter ? "counter" : "gauge");
}

void
prom_write(struct gateway *gw, struct evbuffer *out)
{
	const struct series_table *t = &gw->state.series;
	struct prom_entry *v = xcalloc(t->n + 1, sizeof *v);
	const struct history_point *pt;
	size_t i, n = 0;

	for (i = 0; i < t->n; i++) {
		if (t->all[i]->text != NULL || t->all[i]->hist.n == 0)
			continue;
		prom_name(t->all[i]->name, t->all[i]->kind, v[n].name,
		    sizeof v[n].name);
		v[n++].s = t->all[i];
	}
	qsort(v, n, sizeof *v, prom_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i].name, v[i - 1].name) == 0 &&
		    strcmp(v[i].s->src, v[i - 1].s->src) == 0)
			continue;
		if (i == 0 || strcmp(v[i].name, v[i - 1].name) != 0)
			prom_family(out, &v[i]);
		evbuffer_add_printf(out, "%s{src=\"", v[i].name);
		prom_escape(out, v[i].s->src, 1);
		evbuffer_add(out, "\"} ", 3);
		pt = history_last(&v[i].s->hist);
		prom_value(out, pt->v);
	}
	free(v);
}
