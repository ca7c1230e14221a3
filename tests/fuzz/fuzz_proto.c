/*
 * Fuzz target for the bus decoders in common/proto.c. The first byte
 * chooses the decoder (sample, metadata, health, or a whole bus body
 * through proto_split and the decoder its topic names); the rest is the
 * input. A message that decodes must encode and decode again: a decoder
 * that accepts what the encoder cannot reproduce is a bug too, and so is
 * an object msgpack-c reads that proto_msgpack_fits refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "common/proto.h"
#include "tests/fuzz/fuzz.h"

static void
fuzz_sample(const void *p, size_t len)
{
	struct proto_sample s, again;
	char err[256], *buf;
	size_t blen;

	if (proto_sample_decode(p, len, &s, err, sizeof err) == 0) {
		if (proto_sample_encode(&s, &buf, &blen) != 0 ||
		    proto_sample_decode(buf, blen, &again, err, sizeof err) !=
		        0 ||
		    again.nvalues != s.nvalues || again.ntexts != s.ntexts)
			abort();
		proto_sample_free(&again);
		free(buf);
	}
	proto_sample_free(&s);
}

static void
fuzz_meta(const void *p, size_t len)
{
	struct proto_meta m, again;
	char err[256], *buf;
	size_t blen;

	if (proto_meta_decode(p, len, &m, err, sizeof err) == 0) {
		if (proto_meta_encode(&m, &buf, &blen) != 0 ||
		    proto_meta_decode(buf, blen, &again, err, sizeof err) !=
		        0 ||
		    again.nseries != m.nseries)
			abort();
		proto_meta_free(&again);
		free(buf);
	}
	proto_meta_free(&m);
}

static void
fuzz_health(const void *p, size_t len)
{
	static struct proto_health h, again;
	char err[256], *buf;
	size_t blen;

	if (proto_health_decode(p, len, &h, err, sizeof err) != 0)
		return;
	if (proto_health_encode(&h, &buf, &blen) != 0 ||
	    proto_health_decode(buf, blen, &again, err, sizeof err) != 0 ||
	    again.nroles != h.nroles)
		abort();
	free(buf);
}

/* proto_msgpack_fits must pass every object msgpack-c reads whole. */
static void
fuzz_fits(const void *p, size_t len)
{
	msgpack_unpacked u;
	size_t off = 0;

	if (proto_msgpack_fits(p, len) != 0)
		return;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, p, len, &off) == MSGPACK_UNPACK_SUCCESS &&
	    proto_msgpack_fits(p, off) != 0)
		abort();
	msgpack_unpacked_destroy(&u);
}

static void
fuzz_body(const void *p, size_t len)
{
	const char *topic;
	const void *payload;
	size_t plen;

	if (proto_split(p, len, &topic, &payload, &plen) != 0)
		return;
	if (strlen(topic) + 1 + plen != len)
		abort();
	if (strncmp(topic, PROTO_TOPIC_SAMPLE, strlen(PROTO_TOPIC_SAMPLE)) == 0)
		fuzz_sample(payload, plen);
	else if (strncmp(topic, PROTO_TOPIC_META, strlen(PROTO_TOPIC_META)) ==
	    0)
		fuzz_meta(payload, plen);
	else if (strcmp(topic, PROTO_TOPIC_HEALTH) == 0)
		fuzz_health(payload, plen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	fuzz_fits(data + 1, size - 1);
	switch (data[0] & 3) {
	case 0:
		fuzz_sample(data + 1, size - 1);
		break;
	case 1:
		fuzz_meta(data + 1, size - 1);
		break;
	case 2:
		fuzz_health(data + 1, size - 1);
		break;
	default:
		fuzz_body(data + 1, size - 1);
		break;
	}
	return 0;
}
