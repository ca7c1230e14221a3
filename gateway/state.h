/*
 * What the gateway knows: the latest sample of every source, kept as the
 * messages already encoded for clients so a new client gets them without
 * any work. Bounded: at most STATE_SOURCES_MAX sources are kept.
 */
#ifndef VIGIL_GATEWAY_STATE_H
#define VIGIL_GATEWAY_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/proto.h"

struct message;

#define STATE_SOURCES_MAX 64

struct state_source {
	char source[PROTO_SOURCE_MAX + 1];
	char host[PROTO_HOST_MAX + 1];
	uint64_t seq;     /* of the latest sample */
	uint64_t samples; /* received */
	uint64_t gaps;    /* samples missed, from the sequence numbers */
	struct message *latest;
};

struct state {
	struct state_source sources[STATE_SOURCES_MAX];
	size_t nsources;
	uint64_t dropped; /* samples of sources over the cap */
};

struct state *state_new(void);
void state_free(struct state *st);
/*
 * Keep s as the latest sample of its (source, host). Returns its encoded
 * message, owned by the state, or NULL when the source cap is reached.
 */
const struct message *state_update(struct state *st,
    const struct proto_sample *s);

#endif
