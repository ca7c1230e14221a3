/*
 * Subscription groups and everything they encode. A batch covers the
 * pending samples after the group's last cursor; for a group without
 * prefixes each sample's encoding is made once per format and reused by
 * every such group, a filtered group encodes only its matching values.
 * The frame is built once and every member gets a reference to it, with
 * backpressure decided per member (conn_batch). The full snapshot of a
 * group is cached until its next batch, so a crowd of clients connecting
 * at once costs one encoding. A new member's snapshot ends at the group's
 * last batch, so the next batch continues it without a gap or a repeat.
 */
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "gateway/conn.h"
#include "gateway/gateway.h"
#include "gateway/group.h"
#include "gateway/ws.h"

enum group_bp
group_backpressure(size_t queued, size_t len, size_t cap, int64_t lag_since,
    int64_t now, int64_t lag_timeout)
{
	if (queued == 0 || queued + len <= cap)
		return GROUP_SEND;
	if (lag_since >= 0 && now - lag_since >= lag_timeout)
		return GROUP_CLOSE;
	return GROUP_SKIP;
}

int
group_sel_add(struct sel *sel, const char *p, size_t len)
{
	if (len == 0)
		return 0;
	if (sel->n == GROUP_PREFIX_MAX || len > PROTO_NAME_MAX ||
	    memchr(p, '\0', len) != NULL)
		return -1;
	sel->prefixes[sel->n++] = xstrndup(p, len);
	return 0;
}

static int
group_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
group_sel_normalize(struct sel *sel)
{
	size_t i, j = 0;

	qsort(sel->prefixes, sel->n, sizeof *sel->prefixes, group_cmp);
	for (i = 0; i < sel->n; i++) {
		if (j > 0 &&
		    strcmp(sel->prefixes[j - 1], sel->prefixes[i]) == 0)
			free(sel->prefixes[i]);
		else
			sel->prefixes[j++] = sel->prefixes[i];
	}
	sel->n = j;
}

void
group_sel_free(struct sel *sel)
{
	size_t i;

	for (i = 0; i < sel->n; i++)
		free(sel->prefixes[i]);
	sel->n = 0;
}

static int
group_same(const struct group *g, enum enc_format fmt, const struct sel *sel)
{
	size_t i;

	if (g->fmt != fmt || g->rate != sel->rate || g->n != sel->n)
		return 0;
	for (i = 0; i < g->n; i++)
		if (strcmp(g->prefixes[i], sel->prefixes[i]) != 0)
			return 0;
	return 1;
}

static struct group *
group_new(struct gateway *gw, enum enc_format fmt, const struct sel *sel)
{
	struct group *g = xcalloc(1, sizeof *g);
	size_t i;

	TAILQ_INIT(&g->conns);
	g->fmt = fmt;
	g->rate = sel->rate;
	g->gap = sel->rate > 0 ? (int64_t)(1000.0 / sel->rate) : 0;
	g->n = sel->n;
	g->prefixes = xcalloc(sel->n + 1, sizeof *g->prefixes);
	for (i = 0; i < sel->n; i++)
		g->prefixes[i] = xstrdup(sel->prefixes[i]);
	g->last = gw->state.cursor;
	g->last_flush = gateway_mono_ms();
	TAILQ_INSERT_TAIL(&gw->groups, g, entry);
	return g;
}

static void
group_free(struct gateway *gw, struct group *g)
{
	size_t i;

	TAILQ_REMOVE(&gw->groups, g, entry);
	for (i = 0; i < g->n; i++)
		free(g->prefixes[i]);
	free(g->prefixes);
	frame_unref(g->snap);
	frame_unref(g->meta);
	free(g);
}

struct group *
group_join(struct gateway *gw, struct conn *c, enum enc_format fmt,
    const struct sel *sel)
{
	struct group *g;

	TAILQ_FOREACH(g, &gw->groups, entry)
	{
		if (group_same(g, fmt, sel))
			break;
	}
	if (g == NULL)
		g = group_new(gw, fmt, sel);
	TAILQ_INSERT_TAIL(&g->conns, c, gentry);
	g->nconns++;
	c->group = g;
	return g;
}

void
group_leave(struct gateway *gw, struct conn *c)
{
	struct group *g = c->group;

	if (g == NULL)
		return;
	TAILQ_REMOVE(&g->conns, c, gentry);
	c->group = NULL;
	if (--g->nconns == 0)
		group_free(gw, g);
}

void
group_free_all(struct gateway *gw)
{
	while (!TAILQ_EMPTY(&gw->groups))
		group_free(gw, TAILQ_FIRST(&gw->groups));
}

struct frame *
group_hello(struct gateway *gw, enum enc_format fmt)
{
	struct enc e;

	if (gw->hello[fmt] != NULL)
		return frame_ref(gw->hello[fmt]);
	enc_init(&e, fmt, 1);
	enc_map(&e, 7);
	enc_key(&e, "type");
	enc_str(&e, "hello");
	enc_key(&e, "version");
	enc_uint(&e, 1);
	enc_key(&e, "server");
	enc_str(&e, "vigil-gateway " PACKAGE_VERSION);
	enc_key(&e, "host");
	enc_str(&e, gw->cf->host);
	enc_key(&e, "session");
	enc_str(&e, gw->state.session);
	enc_key(&e, "history");
	enc_uint(&e, gw->cf->gateway.history);
	enc_key(&e, "batch");
	enc_uint(&e, gw->cf->gateway.batch_interval_ms);
	enc_end(&e);
	gw->hello[fmt] = enc_frame(&e);
	return frame_ref(gw->hello[fmt]);
}

static void
group_enc_meta_one(struct enc *e, const struct series *s)
{
	enc_map(e, 5);
	enc_key(e, "name");
	enc_str(e, s->name);
	enc_key(e, "src");
	enc_str(e, s->src);
	enc_key(e, "unit");
	enc_str(e, s->unit);
	enc_key(e, "kind");
	enc_str(e, s->kind);
	enc_key(e, "desc");
	enc_str(e, s->desc);
	enc_end(e);
}

/* A meta message of the series in list that match g and have metadata. */
static struct frame *
group_enc_meta(struct group *g, struct series **list, size_t n)
{
	struct enc e;
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		if (list[i]->unit != NULL &&
		    series_match(list[i]->name, g->prefixes, g->n))
			count++;
	if (count == 0)
		return NULL;
	enc_init(&e, g->fmt, 1);
	enc_map(&e, 2);
	enc_key(&e, "type");
	enc_str(&e, "meta");
	enc_key(&e, "series");
	enc_array(&e, count);
	for (i = 0; i < n; i++)
		if (list[i]->unit != NULL &&
		    series_match(list[i]->name, g->prefixes, g->n))
			group_enc_meta_one(&e, list[i]);
	enc_end(&e);
	enc_end(&e);
	return enc_frame(&e);
}

struct frame *
group_meta(struct gateway *gw, struct group *g)
{
	struct series_table *t = &gw->state.series;

	if (g->meta == NULL || g->meta_gen != gw->state.meta_gen) {
		frame_unref(g->meta);
		g->meta = group_enc_meta(g, t->all, t->n);
		g->meta_gen = gw->state.meta_gen;
	}
	return g->meta != NULL ? frame_ref(g->meta) : NULL;
}

void
group_meta_changed(struct gateway *gw, struct series **changed, size_t n)
{
	struct group *g, *gnext;
	struct conn *c, *next;
	struct frame *f;

	for (g = TAILQ_FIRST(&gw->groups); g != NULL; g = gnext) {
		gnext = TAILQ_NEXT(g, entry);
		if ((f = group_enc_meta(g, changed, n)) == NULL)
			continue;
		for (c = TAILQ_FIRST(&g->conns); c != NULL; c = next) {
			next = TAILQ_NEXT(c, gentry);
			conn_send(c, f, 0);
		}
		frame_unref(f);
	}
}

/* Values and texts of s that match g; 0 means nothing to send. */
static void
group_count(const struct group *g, const struct proto_sample *s, size_t *nv,
    size_t *nt)
{
	size_t i;

	*nv = *nt = 0;
	for (i = 0; i < s->nvalues; i++)
		if (series_match(s->values[i].name, g->prefixes, g->n))
			(*nv)++;
	for (i = 0; i < s->ntexts; i++)
		if (series_match(s->texts[i].name, g->prefixes, g->n))
			(*nt)++;
}

/* One sample as in a batch, with the values and texts matching g. */
static void
group_enc_sample(struct enc *e, const struct group *g,
    const struct proto_sample *s, size_t nv, size_t nt)
{
	size_t i;

	enc_map(e, nt > 0 ? 7 : 6);
	enc_key(e, "src");
	enc_str(e, s->source);
	enc_key(e, "host");
	enc_str(e, s->host);
	enc_key(e, "seq");
	enc_uint(e, s->seq);
	enc_key(e, "t");
	enc_int(e, s->time_ns / 1000000);
	enc_key(e, "iv");
	enc_uint(e, s->interval_ms);
	enc_key(e, "vals");
	enc_map(e, nv);
	for (i = 0; i < s->nvalues; i++) {
		if (!series_match(s->values[i].name, g->prefixes, g->n))
			continue;
		enc_key(e, s->values[i].name);
		enc_double(e, s->values[i].value);
	}
	enc_end(e);
	if (nt > 0) {
		enc_key(e, "text");
		enc_map(e, nt);
		for (i = 0; i < s->ntexts; i++) {
			if (!series_match(s->texts[i].name, g->prefixes, g->n))
				continue;
			enc_key(e, s->texts[i].name);
			enc_str(e, s->texts[i].value);
		}
		enc_end(e);
	}
	enc_end(e);
}

/* Append one pending sample; unfiltered groups share its encoding. */
static void
group_add_sample(struct enc *e, const struct group *g, struct pending *p,
    size_t nv, size_t nt)
{
	struct enc one;

	if (g->n > 0) {
		group_enc_sample(e, g, &p->s, nv, nt);
		return;
	}
	if (p->frag[g->fmt] == NULL) {
		enc_init(&one, g->fmt, 0);
		group_enc_sample(&one, g, &p->s, nv, nt);
		p->frag[g->fmt] = enc_take(&one, &p->fraglen[g->fmt]);
	}
	enc_raw(e, p->frag[g->fmt], p->fraglen[g->fmt]);
}

/* The batch of the samples in (g->last, upto]; NULL if none match. */
static struct frame *
group_enc_batch(struct gateway *gw, struct group *g, uint64_t upto)
{
	struct pending *p;
	struct enc e;
	uint64_t c;
	size_t nv, nt, count = 0;

	for (c = g->last + 1; c <= upto; c++) {
		p = state_pending(&gw->state, c);
		group_count(g, &p->s, &nv, &nt);
		if (g->n == 0 || nv + nt > 0)
			count++;
	}
	if (count == 0)
		return NULL;
	enc_init(&e, g->fmt, 1);
	enc_map(&e, 4);
	enc_key(&e, "type");
	enc_str(&e, "batch");
	enc_key(&e, "cursor");
	enc_uint(&e, upto);
	enc_key(&e, "t");
	/* Microseconds matter to a client that measures its latency. */
	enc_double(&e, (double)(proto_now_ns() / 1000) / 1000.0);
	enc_key(&e, "samples");
	enc_array(&e, count);
	for (c = g->last + 1; c <= upto; c++) {
		p = state_pending(&gw->state, c);
		group_count(g, &p->s, &nv, &nt);
		if (g->n == 0 || nv + nt > 0)
			group_add_sample(&e, g, p, nv, nt);
	}
	enc_end(&e);
	enc_end(&e);
	return enc_frame(&e);
}

static void
group_flush_one(struct gateway *gw, struct group *g, int64_t now)
{
	struct state *st = &gw->state;
	struct conn *c, *next;
	struct frame *f;
	uint64_t upto = st->cursor;

	if (g->last >= upto)
		return;
	if (g->last + 1 < st->log_first) {
		/* The log dropped samples this group had not sent. */
		log_warnx("a group fell %llu samples behind: resync",
		    (unsigned long long)(st->log_first - g->last - 1));
		g->last = upto;
		g->last_flush = now;
		for (c = TAILQ_FIRST(&g->conns); c != NULL; c = next) {
			next = TAILQ_NEXT(c, gentry);
			conn_resync(c);
		}
		return;
	}
	f = group_enc_batch(gw, g, upto);
	g->last = upto;
	g->last_flush = now;
	if (f == NULL)
		return;
	for (c = TAILQ_FIRST(&g->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, gentry);
		conn_batch(c, f, upto);
	}
	frame_unref(f);
}

void
group_flush(struct gateway *gw, int64_t now, int force)
{
	struct group *g, *next;
	uint64_t low = gw->state.cursor;
	int64_t slack = gw->cf->gateway.batch_interval_ms / 2;

	for (g = TAILQ_FIRST(&gw->groups); g != NULL; g = next) {
		next = TAILQ_NEXT(g, entry);
		if (force || now - g->last_flush >= g->gap - slack)
			group_flush_one(gw, g, now);
	}
	/* Conns freed during the flush may have freed groups: walk again. */
	TAILQ_FOREACH(g, &gw->groups, entry)
	{
		if (g->last < low)
			low = g->last;
	}
	state_trim(&gw->state, low);
}

/* Points of series s in (after, upto]: the index of the first in *first. */
static uint32_t
group_points(const struct series *s, uint64_t after, uint64_t upto,
    uint32_t *first)
{
	if (s->text != NULL || s->hist.n == 0)
		return 0;
	return history_range(&s->hist, after, upto, first);
}

static void
group_enc_series(struct enc *e, const struct series *s, uint32_t first,
    uint32_t n)
{
	uint32_t i;

	enc_map(e, 4);
	enc_key(e, "name");
	enc_str(e, s->name);
	enc_key(e, "src");
	enc_str(e, s->src);
	enc_key(e, "t");
	enc_array(e, n);
	for (i = 0; i < n; i++)
		enc_int(e, history_at(&s->hist, first + i)->t);
	enc_end(e);
	enc_key(e, "v");
	enc_array(e, n);
	for (i = 0; i < n; i++)
		enc_double(e, history_at(&s->hist, first + i)->v);
	enc_end(e);
	enc_end(e);
}

/* The text labels that match g (all of them: they have no history). */
static void
group_enc_texts(struct enc *e, const struct group *g,
    const struct series_table *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		if (t->all[i]->text != NULL &&
		    series_match(t->all[i]->name, g->prefixes, g->n))
			n++;
	enc_key(e, "text");
	enc_map(e, n);
	for (i = 0; i < t->n; i++) {
		if (t->all[i]->text == NULL ||
		    !series_match(t->all[i]->name, g->prefixes, g->n))
			continue;
		enc_key(e, t->all[i]->name);
		enc_str(e, t->all[i]->text);
	}
	enc_end(e);
}

static struct frame *
group_enc_snapshot(struct gateway *gw, struct group *g, uint64_t after)
{
	const struct series_table *t = &gw->state.series;
	struct enc e;
	uint32_t first;
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		if (series_match(t->all[i]->name, g->prefixes, g->n) &&
		    group_points(t->all[i], after, g->last, &first) > 0)
			n++;
	enc_init(&e, g->fmt, 1);
	enc_map(&e, 5);
	enc_key(&e, "type");
	enc_str(&e, "snapshot");
	enc_key(&e, "cursor");
	enc_uint(&e, g->last);
	enc_key(&e, "resume");
	enc_bool(&e, after > 0);
	enc_key(&e, "series");
	enc_array(&e, n);
	for (i = 0; i < t->n; i++) {
		uint32_t np;

		if (!series_match(t->all[i]->name, g->prefixes, g->n))
			continue;
		if ((np = group_points(t->all[i], after, g->last, &first)) > 0)
			group_enc_series(&e, t->all[i], first, np);
	}
	enc_end(&e);
	group_enc_texts(&e, g, t);
	enc_end(&e);
	return enc_frame(&e);
}

struct frame *
group_snapshot(struct gateway *gw, struct group *g, uint64_t after)
{
	if (after > 0)
		return group_enc_snapshot(gw, g, after);
	if (g->snap == NULL || g->snap_at != g->last) {
		frame_unref(g->snap);
		g->snap = group_enc_snapshot(gw, g, 0);
		g->snap_at = g->last;
	}
	return frame_ref(g->snap);
}

static struct frame *
group_enc_health(const struct proto_health *h, enum enc_format fmt)
{
	const struct proto_role *r;
	struct enc e;
	size_t i;

	enc_init(&e, fmt, 1);
	enc_map(&e, 4);
	enc_key(&e, "type");
	enc_str(&e, "health");
	enc_key(&e, "host");
	enc_str(&e, h->host);
	enc_key(&e, "t");
	enc_int(&e, h->time_ns / 1000000);
	enc_key(&e, "roles");
	enc_array(&e, h->nroles);
	for (i = 0; i < h->nroles; i++) {
		r = &h->roles[i];
		enc_map(&e, 10);
		enc_key(&e, "name");
		enc_str(&e, r->name);
		enc_key(&e, "state");
		enc_str(&e, r->state);
		enc_key(&e, "pid");
		enc_int(&e, r->pid);
		enc_key(&e, "uptime");
		enc_int(&e, r->uptime_ms);
		enc_key(&e, "restarts");
		enc_uint(&e, r->restarts);
		enc_key(&e, "exit");
		enc_str(&e, r->exit);
		enc_key(&e, "retry");
		enc_int(&e, r->retry_ms);
		enc_key(&e, "cpu");
		enc_double(&e, r->cpu);
		enc_key(&e, "rss");
		enc_uint(&e, r->rss);
		enc_key(&e, "fds");
		enc_uint(&e, r->fds);
		enc_end(&e);
	}
	enc_end(&e);
	enc_end(&e);
	return enc_frame(&e);
}

/* The last health in fmt, or NULL (a new reference). */
struct frame *
group_health_frame(struct gateway *gw, enum enc_format fmt)
{
	if (!gw->state.has_health)
		return NULL;
	return group_enc_health(&gw->state.health, fmt);
}

void
group_health(struct gateway *gw)
{
	struct frame *f[ENC_NFORMATS] = { NULL };
	struct group *g, *gnext;
	struct conn *c, *next;
	int i;

	if (!gw->state.has_health)
		return;
	for (g = TAILQ_FIRST(&gw->groups); g != NULL; g = gnext) {
		gnext = TAILQ_NEXT(g, entry);
		if (f[g->fmt] == NULL)
			f[g->fmt] = group_enc_health(&gw->state.health, g->fmt);
		for (c = TAILQ_FIRST(&g->conns); c != NULL; c = next) {
			next = TAILQ_NEXT(c, gentry);
			conn_send(c, f[g->fmt], 0);
		}
	}
	for (i = 0; i < ENC_NFORMATS; i++)
		frame_unref(f[i]);
}
