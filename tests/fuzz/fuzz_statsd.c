/*
 * Fuzz target for the StatsD parser and aggregator (collectors/statsd.c),
 * whose input is any UDP datagram. The first byte sets small caps on names
 * and kept values so the fuzzer reaches them; the rest is cut in two
 * datagrams with a flush after each, as vigil-metrics does between
 * intervals, so the state one flush leaves is parsed into again.
 */
#include <stdlib.h>
#include <string.h>

#include "collectors/statsd.h"
#include "common/proto.h"
#include "tests/fuzz/fuzz.h"

static void
fuzz_flush(struct statsd *st)
{
	struct proto_sample s;
	const struct statsd_counts *c;

	proto_sample_init(&s, "metrics", "fuzz", 1000);
	statsd_flush(st, 1.0, &s);
	c = statsd_counts(st);
	if (c->bad_lines > c->lines)
		abort();
	proto_sample_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct statsd *st;
	const char *p = (const char *)data + 1;
	size_t len, half;

	if (size == 0)
		return 0;
	st = statsd_new(1 + (data[0] & 7), 1 + (data[0] >> 3));
	len = size - 1;
	half = len / 2;
	statsd_parse_datagram(st, p, half);
	fuzz_flush(st);
	statsd_parse_datagram(st, p + half, len - half);
	fuzz_flush(st);
	statsd_free(st);
	return 0;
}
