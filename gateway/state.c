/*
 * The gateway's state. A sample's values go into the history ring of their
 * series, tagged with the sample's cursor; the largest cursor a ring ever
 * pushes out is the floor below which a client can no longer resume. The
 * sample itself waits in the pending log until every subscription group
 * has sent it; the log is a ring of at most STATE_LOG_MAX entries, so a
 * group that falls further behind than that resynchronises its clients
 * instead of holding memory. Sequence numbers are tracked per (source,
 * host) over every message kind, as publishers count them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "gateway/state.h"

void
state_init(struct state *st, size_t max_series, uint32_t history)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t r;
	int i;

	memset(st, 0, sizeof *st);
	series_init(&st->series, max_series, history);
	st->log_cap = 64;
	st->log = xcalloc(st->log_cap, sizeof *st->log);
	st->log_first = 1;
	r = (uint64_t)proto_now_ns() ^ ((uint64_t)getpid() << 40) ^
	    (uint64_t)proto_mono_ns() * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < STATE_SESSION_LEN; i++, r >>= 4)
		st->session[i] = hex[r & 0xf];
}

static void
state_pending_free(struct pending *p)
{
	int f;

	proto_sample_free(&p->s);
	for (f = 0; f < ENC_NFORMATS; f++)
		free(p->frag[f]);
	free(p);
}

void
state_free(struct state *st)
{
	state_trim(st, st->cursor);
	free(st->log);
	series_free(&st->series);
}

struct pending *
state_pending(const struct state *st, uint64_t cursor)
{
	if (cursor < st->log_first || cursor >= st->log_first + st->log_n)
		return NULL;
	return st->log[cursor & (st->log_cap - 1)];
}

void
state_trim(struct state *st, uint64_t upto)
{
	struct pending **slot;

	while (st->log_n > 0 && st->log_first <= upto) {
		slot = &st->log[st->log_first & (st->log_cap - 1)];
		state_pending_free(*slot);
		*slot = NULL;
		st->log_first++;
		st->log_n--;
	}
}

/* Make room for one more pending sample: grow, or drop the oldest. */
static void
state_log_room(struct state *st)
{
	struct pending **log;
	size_t cap, i;
	uint64_t c;

	if (st->log_n < st->log_cap)
		return;
	if (st->log_cap >= STATE_LOG_MAX) {
		state_trim(st, st->log_first);
		return;
	}
	cap = st->log_cap * 2;
	log = xcalloc(cap, sizeof *log);
	for (i = 0; i < st->log_n; i++) {
		c = st->log_first + i;
		log[c & (cap - 1)] = st->log[c & (st->log_cap - 1)];
	}
	free(st->log);
	st->log = log;
	st->log_cap = cap;
}

void
state_seq(struct state *st, const char *src, const char *host, uint64_t seq)
{
	struct state_source *s = NULL;
	size_t i;

	for (i = 0; i < st->nsources; i++) {
		if (strcmp(st->sources[i].src, src) == 0 &&
		    strcmp(st->sources[i].host, host) == 0) {
			s = &st->sources[i];
			break;
		}
	}
	if (s == NULL) {
		if (st->nsources == STATE_SOURCES_MAX) {
			st->sources_dropped++;
			return;
		}
		s = &st->sources[st->nsources++];
		snprintf(s->src, sizeof s->src, "%s", src);
		snprintf(s->host, sizeof s->host, "%s", host);
		log_info("new source \"%s\" from %s", src, host);
	} else if (seq > s->seq + 1) {
		s->gaps += seq - s->seq - 1;
		st->gaps += seq - s->seq - 1;
		log_debug("%s from %s: %llu messages lost", src, host,
		    (unsigned long long)(seq - s->seq - 1));
	}
	/* A smaller seq: the publisher restarted and counts from 1. */
	s->seq = seq;
	s->samples++;
}

static void
state_values(struct state *st, const struct proto_sample *s, uint64_t cursor)
{
	struct series *se;
	uint64_t ev;
	int64_t t = s->time_ns / 1000000;
	size_t i;

	for (i = 0; i < s->nvalues; i++) {
		se = series_get(&st->series, s->values[i].name, s->source);
		if (se == NULL || se->text != NULL)
			continue;
		ev = history_push(&se->hist, cursor, t, s->values[i].value);
		if (ev > st->floor)
			st->floor = ev;
	}
	for (i = 0; i < s->ntexts; i++) {
		se = series_get(&st->series, s->texts[i].name, s->source);
		if (se == NULL || se->hist.n > 0)
			continue;
		free(se->text);
		se->text = xstrdup(s->texts[i].value);
		se->text_t = t;
	}
}

uint64_t
state_sample(struct state *st, struct proto_sample *s, int bus,
    int64_t now_mono)
{
	struct pending *p;

	if (bus)
		st->last_sample = now_mono;
	st->cursor++;
	state_values(st, s, st->cursor);
	state_log_room(st);
	p = xcalloc(1, sizeof *p);
	p->cursor = st->cursor;
	p->s = *s;
	memset(s, 0, sizeof *s);
	if (st->log_n == 0)
		st->log_first = p->cursor;
	st->log[p->cursor & (st->log_cap - 1)] = p;
	st->log_n++;
	return p->cursor;
}

size_t
state_meta(struct state *st, const struct proto_meta *m,
    struct series **changed, size_t max)
{
	const struct proto_series *ps;
	size_t i, n = 0;

	for (i = 0; i < m->nseries; i++) {
		ps = &m->series[i];
		if (series_set_meta(&st->series, ps->name, m->source, ps->unit,
		        ps->kind, ps->desc) != 1)
			continue;
		if (n < max)
			changed[n] = series_find(&st->series, ps->name);
		n++;
	}
	if (n > 0)
		st->meta_gen++;
	return n < max ? n : max;
}
