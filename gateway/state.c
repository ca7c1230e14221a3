/*
 * The gateway's in-memory state: one slot per (source, host) holding the
 * latest sample, encoded once in every client format. Sequence numbers
 * reveal samples lost on the bus; they are counted per source. A source
 * beyond the cap is dropped so that memory stays bounded whatever arrives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "gateway/message.h"
#include "gateway/state.h"

struct state *
state_new(void)
{
	return xcalloc(1, sizeof(struct state));
}

void
state_free(struct state *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nsources; i++)
		message_free(st->sources[i].latest);
	free(st);
}

static struct state_source *
state_find(struct state *st, const struct proto_sample *s)
{
	struct state_source *src;
	size_t i;

	for (i = 0; i < st->nsources; i++) {
		src = &st->sources[i];
		if (strcmp(src->source, s->source) == 0 &&
		    strcmp(src->host, s->host) == 0)
			return src;
	}
	if (st->nsources == STATE_SOURCES_MAX) {
		if (st->dropped++ == 0)
			log_warnx("more than %d sources, dropping \"%s\" from "
			          "%s and any other new one",
			    STATE_SOURCES_MAX, s->source, s->host);
		return NULL;
	}
	src = &st->sources[st->nsources++];
	memset(src, 0, sizeof *src);
	snprintf(src->source, sizeof src->source, "%s", s->source);
	snprintf(src->host, sizeof src->host, "%s", s->host);
	log_info("new source \"%s\" from %s", src->source, src->host);
	return src;
}

const struct message *
state_update(struct state *st, const struct proto_sample *s)
{
	struct state_source *src;

	if ((src = state_find(st, s)) == NULL)
		return NULL;
	if (src->samples > 0 && s->seq > src->seq + 1) {
		src->gaps += s->seq - src->seq - 1;
		log_debug("%s from %s: %llu samples lost", src->source,
		    src->host, (unsigned long long)(s->seq - src->seq - 1));
	}
	src->seq = s->seq;
	src->samples++;
	message_free(src->latest);
	src->latest = message_sample(s);
	return src->latest;
}
