/*
 * Unit tests for common/proto.c: a sample survives an encode/decode round
 * trip, and the decoder rejects truncated input, trailing bytes, wrong
 * types, missing fields and oversized values.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "common/proto.h"

static void
make_sample(struct proto_sample *s)
{
	proto_sample_init(s, "system", "web-1", 1000);
	s->seq = 42;
	s->time_ns = 1700000000123456789LL;
	proto_sample_add(s, "cpu.total.busy", 12.5);
	proto_sample_add(s, "load.1", 0.25);
	proto_sample_add(s, "mem.total", 17179869184.0);
	proto_sample_add_text(s, "top.1.name", "postgres");
}

START_TEST(test_round_trip)
{
	struct proto_sample in, out;
	char *buf, err[128];
	size_t len;

	make_sample(&in);
	ck_assert_int_eq(proto_sample_encode(&in, &buf, &len), 0);
	ck_assert_int_eq(proto_sample_decode(buf, len, &out, err, sizeof err),
	    0);
	ck_assert_uint_eq(out.version, PROTO_VERSION);
	ck_assert_str_eq(out.source, "system");
	ck_assert_str_eq(out.host, "web-1");
	ck_assert_uint_eq(out.seq, 42);
	ck_assert(out.time_ns == 1700000000123456789LL);
	ck_assert_uint_eq(out.interval_ms, 1000);
	ck_assert_uint_eq(out.nvalues, 3);
	ck_assert_str_eq(out.values[0].name, "cpu.total.busy");
	ck_assert(out.values[0].value == 12.5);
	ck_assert_str_eq(out.values[2].name, "mem.total");
	ck_assert(out.values[2].value == 17179869184.0);
	ck_assert_uint_eq(out.ntexts, 1);
	ck_assert_str_eq(out.texts[0].name, "top.1.name");
	ck_assert_str_eq(out.texts[0].value, "postgres");
	free(buf);
	proto_sample_free(&in);
	proto_sample_free(&out);
}
END_TEST

/* Every proper prefix of a valid message is truncated and must fail. */
START_TEST(test_truncated)
{
	struct proto_sample in, out;
	char *buf, err[128];
	size_t len, cut;

	make_sample(&in);
	ck_assert_int_eq(proto_sample_encode(&in, &buf, &len), 0);
	for (cut = 0; cut < len; cut++) {
		err[0] = '\0';
		ck_assert_int_eq(proto_sample_decode(buf, cut, &out, err,
		                     sizeof err),
		    -1);
		ck_assert(err[0] != '\0');
		proto_sample_free(&out);
	}
	free(buf);
	proto_sample_free(&in);
}
END_TEST

START_TEST(test_trailing)
{
	struct proto_sample in, out;
	char *buf, err[128];
	size_t len;

	make_sample(&in);
	ck_assert_int_eq(proto_sample_encode(&in, &buf, &len), 0);
	buf = realloc(buf, len + 1);
	buf[len] = (char)0xc0; /* a msgpack nil after the map */
	ck_assert_int_eq(proto_sample_decode(buf, len + 1, &out, err,
	                     sizeof err),
	    -1);
	ck_assert_str_eq(err, "1 trailing bytes");
	free(buf);
	proto_sample_free(&in);
	proto_sample_free(&out);
}
END_TEST

/* Pack a map with the given fields; vals_type selects a bad "vals". */
static void
pack_fields(msgpack_sbuffer *sb, int version, int omit_seq, int vals_bad)
{
	msgpack_packer pk;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, omit_seq ? 6 : 7);
	msgpack_pack_str_with_body(&pk, "v", 1);
	msgpack_pack_int(&pk, version);
	msgpack_pack_str_with_body(&pk, "src", 3);
	msgpack_pack_str_with_body(&pk, "memory", 6);
	msgpack_pack_str_with_body(&pk, "host", 4);
	msgpack_pack_str_with_body(&pk, "h", 1);
	if (!omit_seq) {
		msgpack_pack_str_with_body(&pk, "seq", 3);
		msgpack_pack_int(&pk, 1);
	}
	msgpack_pack_str_with_body(&pk, "t", 1);
	msgpack_pack_int(&pk, 5);
	msgpack_pack_str_with_body(&pk, "iv", 2);
	msgpack_pack_int(&pk, 1000);
	msgpack_pack_str_with_body(&pk, "vals", 4);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str_with_body(&pk, "mem.total", 9);
	if (vals_bad)
		msgpack_pack_str_with_body(&pk, "12", 2);
	else
		msgpack_pack_int(&pk, 12);
}

START_TEST(test_fields)
{
	struct proto_sample out;
	msgpack_sbuffer sb;
	char err[128];

	pack_fields(&sb, PROTO_VERSION, 0, 0);
	ck_assert_int_eq(proto_sample_decode(sb.data, sb.size, &out, err,
	                     sizeof err),
	    0);
	ck_assert_uint_eq(out.nvalues, 1);
	ck_assert(out.values[0].value == 12.0);
	proto_sample_free(&out);
	msgpack_sbuffer_destroy(&sb);

	pack_fields(&sb, PROTO_VERSION + 1, 0, 0);
	ck_assert_int_eq(proto_sample_decode(sb.data, sb.size, &out, err,
	                     sizeof err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "version"));
	proto_sample_free(&out);
	msgpack_sbuffer_destroy(&sb);

	pack_fields(&sb, PROTO_VERSION, 1, 0);
	ck_assert_int_eq(proto_sample_decode(sb.data, sb.size, &out, err,
	                     sizeof err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "missing"));
	proto_sample_free(&out);
	msgpack_sbuffer_destroy(&sb);

	pack_fields(&sb, PROTO_VERSION, 0, 1);
	ck_assert_int_eq(proto_sample_decode(sb.data, sb.size, &out, err,
	                     sizeof err),
	    -1);
	ck_assert_str_eq(err, "value mem.total: not a number");
	proto_sample_free(&out);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(test_garbage)
{
	static const unsigned char junk[] = { 0x92, 0x01, 0xa3, 'a', 'b', 'c' };
	static const unsigned char bad[] = { 0xc1 };
	struct proto_sample out;
	char err[128];

	ck_assert_int_eq(proto_sample_decode(junk, sizeof junk, &out, err,
	                     sizeof err),
	    -1);
	ck_assert_str_eq(err, "sample is not a map");
	proto_sample_free(&out);
	ck_assert_int_eq(proto_sample_decode(bad, sizeof bad, &out, err,
	                     sizeof err),
	    -1);
	ck_assert_str_eq(err, "not msgpack");
	proto_sample_free(&out);
}
END_TEST

START_TEST(test_split)
{
	static const char body[] = "vigil.sample.system\0\x81";
	const char *topic;
	const void *payload;
	size_t plen;

	ck_assert_int_eq(proto_split(body, sizeof body - 1, &topic, &payload,
	                     &plen),
	    0);
	ck_assert_str_eq(topic, "vigil.sample.system");
	ck_assert_uint_eq(plen, 1);
	ck_assert_int_eq(*(const unsigned char *)payload, 0x81);
	/* No NUL, empty topic, control characters: rejected. */
	ck_assert_int_eq(proto_split("abc", 3, &topic, &payload, &plen), -1);
	ck_assert_int_eq(proto_split("\0x", 2, &topic, &payload, &plen), -1);
	ck_assert_int_eq(proto_split("a\nb\0x", 5, &topic, &payload, &plen),
	    -1);
}
END_TEST

START_TEST(test_meta_round_trip)
{
	struct proto_meta in, out;
	char *buf, err[128];
	size_t len;

	proto_meta_init(&in, "memory", "web-1");
	in.seq = 7;
	in.time_ns = 5;
	proto_meta_add(&in, "mem.total", "bytes", PROTO_KIND_GAUGE,
	    "Physical memory");
	proto_meta_add(&in, "mem.faults", "/s", PROTO_KIND_RATE, "");
	ck_assert_int_eq(proto_meta_encode(&in, &buf, &len), 0);
	ck_assert_int_eq(proto_meta_decode(buf, len, &out, err, sizeof err), 0);
	ck_assert_str_eq(out.source, "memory");
	ck_assert_uint_eq(out.seq, 7);
	ck_assert_uint_eq(out.nseries, 2);
	ck_assert_str_eq(out.series[0].unit, "bytes");
	ck_assert_str_eq(out.series[0].desc, "Physical memory");
	ck_assert_str_eq(out.series[1].kind, "rate");
	ck_assert_str_eq(out.series[1].desc, "");
	/* A sample decoder refuses metadata: it has no vals. */
	ck_assert_int_eq(proto_sample_decode(buf, len,
	                     &(struct proto_sample){ 0 }, err, sizeof err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "missing"));
	free(buf);
	proto_meta_free(&in);
	proto_meta_free(&out);
}
END_TEST

START_TEST(test_health_round_trip)
{
	struct proto_health in, out;
	char *buf, err[128];
	size_t len, cut;

	memset(&in, 0, sizeof in);
	in.version = PROTO_VERSION;
	snprintf(in.source, sizeof in.source, "vigild");
	snprintf(in.host, sizeof in.host, "h");
	in.seq = 3;
	in.nroles = 2;
	snprintf(in.roles[0].name, sizeof in.roles[0].name, "system");
	snprintf(in.roles[0].state, sizeof in.roles[0].state, "ready");
	in.roles[0].pid = 1234;
	in.roles[0].uptime_ms = 60000;
	in.roles[0].rss = 1 << 20;
	in.roles[0].cpu = 0.5;
	snprintf(in.roles[1].name, sizeof in.roles[1].name, "metrics");
	snprintf(in.roles[1].state, sizeof in.roles[1].state, "backoff");
	snprintf(in.roles[1].exit, sizeof in.roles[1].exit, "signal 9");
	in.roles[1].restarts = 4;
	in.roles[1].retry_ms = 800;
	ck_assert_int_eq(proto_health_encode(&in, &buf, &len), 0);
	ck_assert_int_eq(proto_health_decode(buf, len, &out, err, sizeof err),
	    0);
	ck_assert_uint_eq(out.nroles, 2);
	ck_assert_str_eq(out.roles[0].state, "ready");
	ck_assert_int_eq(out.roles[0].pid, 1234);
	ck_assert_uint_eq(out.roles[0].rss, 1 << 20);
	ck_assert(out.roles[0].cpu == 0.5);
	ck_assert_str_eq(out.roles[1].exit, "signal 9");
	ck_assert_uint_eq(out.roles[1].restarts, 4);
	ck_assert_int_eq(out.roles[1].retry_ms, 800);
	for (cut = 0; cut < len; cut++)
		ck_assert_int_eq(proto_health_decode(buf, cut, &out, err,
		                     sizeof err),
		    -1);
	free(buf);
}
END_TEST

/* Headers that claim more elements than bytes left are refused before
 * msgpack-c would allocate for them. */
START_TEST(test_huge_headers)
{
	static const unsigned char arr[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	static const unsigned char map[] = { 0x81, 0xa1, 'v', 0xdf, 0xff, 0xff,
		0xff, 0xff };
	struct proto_sample out;
	char *buf, err[128];
	size_t len;
	struct proto_sample in;

	ck_assert_int_eq(proto_msgpack_fits(arr, sizeof arr), -1);
	ck_assert_int_eq(proto_msgpack_fits(map, sizeof map), -1);
	ck_assert_int_eq(proto_sample_decode(arr, sizeof arr, &out, err,
	                     sizeof err),
	    -1);
	proto_sample_free(&out);
	make_sample(&in);
	ck_assert_int_eq(proto_sample_encode(&in, &buf, &len), 0);
	ck_assert_int_eq(proto_msgpack_fits(buf, len), 0);
	free(buf);
	proto_sample_free(&in);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("sample");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_trailing);
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_meta_round_trip);
	tcase_add_test(tc, test_health_round_trip);
	tcase_add_test(tc, test_huge_headers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
