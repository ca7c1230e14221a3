/*
 * Tests for the StatsD parser and aggregator: good counter, gauge, timer,
 * histogram and set lines, sample rates, gauge deltas, DogStatsD tags,
 * malformed, empty, over-long and binary input, the caps on distinct names
 * and on timer values, the series a flush publishes and their metadata.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "collectors/metrics.h"
#include "collectors/statsd.h"

#define TOL 1e-9

static int
parse(const char *line, struct statsd_line *l)
{
	return statsd_parse_line(line, strlen(line), l);
}

static int
find(const struct proto_sample *s, const char *name, double *v)
{
	size_t i;

	for (i = 0; i < s->nvalues; i++) {
		if (strcmp(s->values[i].name, name) == 0) {
			*v = s->values[i].value;
			return 1;
		}
	}
	return 0;
}

static double
value(const struct proto_sample *s, const char *name)
{
	double v = 0;

	ck_assert_msg(find(s, name, &v), "series %s missing", name);
	return v;
}

START_TEST(test_valid)
{
	struct statsd_line l;

	ck_assert_int_eq(parse("hits:1|c", &l), 0);
	ck_assert_str_eq(l.name, "hits");
	ck_assert_int_eq(l.type, STATSD_COUNTER);
	ck_assert_double_eq_tol(l.value, 1.0, TOL);

	ck_assert_int_eq(parse("app.db-1.query_ms:-3|c", &l), 0);
	ck_assert_str_eq(l.name, "app.db-1.query_ms");
	ck_assert_double_eq_tol(l.value, -3.0, TOL);

	ck_assert_int_eq(parse("temp:21.5|g", &l), 0);
	ck_assert_int_eq(l.type, STATSD_GAUGE);
	ck_assert_int_eq(l.delta, 0);
	ck_assert_double_eq_tol(l.value, 21.5, TOL);

	ck_assert_int_eq(parse("big:1.5e3|g", &l), 0);
	ck_assert_double_eq_tol(l.value, 1500.0, TOL);

	ck_assert_int_eq(parse("req.time:12.5|ms", &l), 0);
	ck_assert_int_eq(l.type, STATSD_TIMER);
	ck_assert_double_eq_tol(l.value, 12.5, TOL);
	ck_assert_int_eq(parse("size:300|h", &l), 0);
	ck_assert_int_eq(l.type, STATSD_HISTOGRAM);
	ck_assert_int_eq(parse("size:300|d", &l), 0);
	ck_assert_int_eq(l.type, STATSD_HISTOGRAM);
	ck_assert_int_eq(parse("users:alice@example.org|s", &l), 0);
	ck_assert_int_eq(l.type, STATSD_SET);
	ck_assert_int_eq(parse("users:1|s", &l), 0);
	/* DogStatsD: tags, container id and timestamp are accepted. */
	ck_assert_int_eq(parse("hits:1|c|#env:prod,role:db", &l), 0);
	ck_assert_str_eq(l.name, "hits");
	ck_assert_int_eq(parse("hits:1|c|@0.5|#env:prod", &l), 0);
	ck_assert_double_eq_tol(l.rate, 0.5, TOL);
	ck_assert_int_eq(parse("hits:1|c|#a|c:abc|T1700000000", &l), 0);
	ck_assert_int_eq(parse("t:5|ms|#a:b|@0.25", &l), 0);
	ck_assert_double_eq_tol(l.rate, 0.25, TOL);
}
END_TEST

START_TEST(test_sampled)
{
	struct statsd_line l;

	struct statsd *st = statsd_new(10, 100);
	struct proto_sample s;
	static const char dg[] = "hits:1|c|@0.5\nhits:3|c|@0.1\nhits:3|c|@1\n"
	                         "temp:20|g|@0.5\nt:4|ms|@0.25\nt:8|ms";

	ck_assert_int_eq(parse("hits:1|c|@0.5", &l), 0);
	ck_assert_double_eq_tol(l.value, 1.0, TOL);
	ck_assert_double_eq_tol(l.rate, 0.5, TOL);
	ck_assert_int_eq(parse("hits:3|c", &l), 0);
	ck_assert_double_eq_tol(l.rate, 1.0, TOL);
	statsd_parse_datagram(st, dg, sizeof dg - 1);
	proto_sample_init(&s, "metrics", "h", 1000);
	statsd_flush(st, 2.0, &s);
	/* 1 / 0.5 + 3 / 0.1 + 3 = 35 over 2 s. */
	ck_assert_double_eq_tol(value(&s, "statsd.hits.count"), 35.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.hits.rate"), 17.5, TOL);
	/* A gauge is a value, not a count: the rate does not scale it. */
	ck_assert_double_eq_tol(value(&s, "statsd.temp"), 20.0, TOL);
	/* A timer at 0.25 stands for 4 values; the mean is of those sent. */
	ck_assert_double_eq_tol(value(&s, "statsd.t.count"), 5.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.t.mean"), 6.0, TOL);
	proto_sample_free(&s);
	statsd_free(st);
}
END_TEST

START_TEST(test_gauge_delta)
{
	struct statsd *st = statsd_new(10, 100);
	struct statsd_line l;
	struct proto_sample s;

	ck_assert_int_eq(parse("g:+2|g", &l), 0);
	ck_assert_int_eq(l.delta, 1);
	ck_assert_double_eq_tol(l.value, 2.0, TOL);
	ck_assert_int_eq(parse("g:-2.5|g", &l), 0);
	ck_assert_int_eq(l.delta, 1);
	ck_assert_double_eq_tol(l.value, -2.5, TOL);

	/* A delta on an unknown gauge starts from 0: 0 + 2 = 2. */
	statsd_parse_datagram(st, "g:+2|g", 6);
	/* 2 - 2.5 = -0.5, then set to 10, then 10 + 1 = 11. */
	statsd_parse_datagram(st, "g:-2.5|g\ng:10|g\ng:+1|g", 22);
	proto_sample_init(&s, "metrics", "h", 1000);
	statsd_flush(st, 1.0, &s);
	ck_assert_double_eq_tol(value(&s, "statsd.g"), 11.0, TOL);
	proto_sample_free(&s);
	statsd_free(st);
}
END_TEST

START_TEST(test_malformed)
{
	static const char *bad[] = { "", ":1|c", "x", "x:", "x:1", "x:1|",
		"x:|c", "x:1|q", "x:1|m", "x:1|mss", "x:1|cc", "x:abc|c",
		"x:1x|c", "x:0x10|c", "x:1|c|0.5", "x:1|c|@", "x:1|c|@0",
		"x:1|c|@-1", "x:1|c|@1.5", "x:1|c|@0.5|x", "x:1|c|", "x y:1|c",
		"x/y:1|c", "x:1 |c", "x:nan|g", "x:inf|c", "x:1e999|c",
		"x:1|c|@1e-320", "x:1|c|@0.5|@0.5", "x:1:2|c", "é:1|c",
		"x:abc|ms", "x:|s", "x:a b|s", "x:1|c||#a", "x:1|ms|@1e-9",
		"x:1|c|#a|b|c|d|e|f|g" };
	struct statsd_line l;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(parse(bad[i], &l) == -1, "accepted \"%s\"",
		    bad[i]);
	/* A NUL is a byte like any other, not the end of the line. */
	ck_assert_int_eq(statsd_parse_line("x\0:1|c", 6, &l), -1);
	ck_assert_int_eq(statsd_parse_line("x:1\0|c", 6, &l), -1);
	ck_assert_int_eq(statsd_parse_line("x:1|c\0", 6, &l), -1);
	/* Only len bytes are read: "x:1|c" followed by junk. */
	ck_assert_int_eq(statsd_parse_line("x:1|cjunk", 5, &l), 0);
}
END_TEST

START_TEST(test_long)
{
	char line[STATSD_LINE_MAX + 64];
	struct statsd_line l;

	/* A name of STATSD_NAME_MAX bytes is fine, one more is not. */
	memset(line, 'n', STATSD_NAME_MAX);
	strcpy(line + STATSD_NAME_MAX, ":1|c");
	ck_assert_int_eq(parse(line, &l), 0);
	ck_assert_uint_eq(strlen(l.name), STATSD_NAME_MAX);
	memset(line, 'n', STATSD_NAME_MAX + 1);
	strcpy(line + STATSD_NAME_MAX + 1, ":1|c");
	ck_assert_int_eq(parse(line, &l), -1);
	/* A value of 70 digits, and a line over STATSD_LINE_MAX. */
	memset(line, '1', 80);
	memcpy(line, "x:", 2);
	strcpy(line + 72, "|c");
	ck_assert_int_eq(parse(line, &l), -1);
	memset(line, '0', sizeof line);
	memcpy(line, "x:", 2);
	memcpy(line + STATSD_LINE_MAX, "|c", 2);
	ck_assert_int_eq(statsd_parse_line(line, STATSD_LINE_MAX + 2, &l), -1);
}
END_TEST

START_TEST(test_datagram)
{
	static const char dg[] = "a:1|c\nb:2|c|@0.5\r\ng:5|g\nbad\n\n"
	                         "a:2|c\n";
	struct statsd *st = statsd_new(10, 100);
	const struct statsd_counts *c;
	struct proto_sample s;

	statsd_parse_datagram(st, dg, sizeof dg - 1);
	statsd_parse_datagram(st, "", 0);
	statsd_parse_datagram(st, "\n\n\n", 3);
	c = statsd_counts(st);
	/* 5 non-empty lines, "bad" is bad; empty lines are not counted. */
	ck_assert_uint_eq(c->lines, 5);
	ck_assert_uint_eq(c->bad_lines, 1);
	ck_assert_uint_eq(c->dropped, 0);

	proto_sample_init(&s, "metrics", "h", 2000);
	/* Over 2 s: a = 1 + 2 = 3, rate 3/2; b = 2 / 0.5 = 4, rate 4/2. */
	statsd_flush(st, 2.0, &s);
	ck_assert_uint_eq(s.nvalues, 3 + 3 + 1 + 3);
	ck_assert_double_eq_tol(value(&s, "statsd.a.count"), 3.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.a.total"), 3.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.a.rate"), 1.5, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.b.count"), 4.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.b.rate"), 2.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.g"), 5.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.lines"), 5.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.bad_lines"), 1.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.dropped"), 0.0, TOL);

	/* An idle interval: counters 0, the gauge and the totals stay. */
	proto_sample_clear(&s);
	statsd_flush(st, 1.0, &s);
	ck_assert_double_eq_tol(value(&s, "statsd.a.count"), 0.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.a.rate"), 0.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.a.total"), 3.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.b.total"), 4.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.g"), 5.0, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.lines"), 5.0, TOL);
	proto_sample_free(&s);
	statsd_free(st);
}
END_TEST

START_TEST(test_garbage)
{
	struct statsd *st = statsd_new(100, 100);
	const struct statsd_counts *c;
	static char buf[65536];
	uint32_t x = 12345;
	size_t i;
	int round;

	/* Random bytes, NULs and newlines included, in datagrams of all sizes.
	 */
	for (round = 0; round < 64; round++) {
		for (i = 0; i < sizeof buf; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (char)(x >> 16);
		}
		statsd_parse_datagram(st, buf, sizeof buf >> (round % 16));
	}
	c = statsd_counts(st);
	ck_assert_uint_gt(c->lines, 0);
	ck_assert_uint_eq(c->bad_lines, c->lines);
	statsd_count_bad(st, 2);
	ck_assert_uint_eq(c->bad_lines, c->lines);
	statsd_free(st);
}
END_TEST

START_TEST(test_cap)
{
	struct statsd *st = statsd_new(3, 100);
	const struct statsd_counts *c = statsd_counts(st);
	struct proto_sample s;
	double v;

	statsd_parse_datagram(st, "a:1|c\nb:1|c\nc:1|g\nd:1|c\ne:1|g", 29);
	/* a, b and c are kept; d and e are over the cap of 3. */
	ck_assert_uint_eq(c->lines, 5);
	ck_assert_uint_eq(c->bad_lines, 0);
	ck_assert_uint_eq(c->dropped, 2);
	/* Known names still count; a new one is still dropped. */
	statsd_parse_datagram(st, "a:1|c\nd:1|c", 11);
	ck_assert_uint_eq(c->dropped, 3);
	/* A name seen as a counter cannot become a gauge. */
	statsd_parse_datagram(st, "a:1|g", 5);
	ck_assert_uint_eq(c->bad_lines, 1);

	proto_sample_init(&s, "metrics", "h", 1000);
	statsd_flush(st, 1.0, &s);
	ck_assert_uint_eq(s.nvalues, 3 + 3 + 1 + 3);
	ck_assert_double_eq_tol(value(&s, "statsd.a.count"), 2.0, TOL);
	ck_assert(!find(&s, "statsd.d.count", &v));
	ck_assert_double_eq_tol(value(&s, "statsd.dropped"), 3.0, TOL);
	proto_sample_free(&s);
	statsd_free(st);

	/* The cap itself is limited. */
	st = statsd_new(10000000, 100);
	ck_assert_uint_eq(statsd_max_names(st), STATSD_NAMES_LIMIT);
	statsd_free(st);
}
END_TEST

START_TEST(test_timer)
{
	struct statsd *st = statsd_new(10, 1000);
	struct proto_sample s;
	char line[64];
	int i, n;

	/* 1..100 in a shuffled order: nearest-rank percentiles are exact. */
	for (i = 0; i < 100; i++) {
		n = snprintf(line, sizeof line, "lat:%d|ms",
		    (i * 37) % 100 + 1);
		statsd_parse_datagram(st, line, (size_t)n);
	}
	statsd_parse_datagram(st, "sz:7|h", 6);
	proto_sample_init(&s, "metrics", "h", 1000);
	statsd_flush(st, 1.0, &s);
	ck_assert_double_eq_tol(value(&s, "statsd.lat.count"), 100, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.lat.min"), 1, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.lat.max"), 100, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.lat.mean"), 50.5, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.lat.p50"), 50, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.lat.p90"), 90, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.lat.p95"), 95, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.lat.p99"), 99, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.sz.p50"), 7, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.sz.p99"), 7, TOL);
	/* An idle interval: a count of 0 and nothing else. */
	proto_sample_clear(&s);
	statsd_flush(st, 1.0, &s);
	ck_assert_double_eq_tol(value(&s, "statsd.lat.count"), 0, TOL);
	ck_assert(!find(&s, "statsd.lat.min", &(double){ 0 }));
	ck_assert(!find(&s, "statsd.lat.p50", &(double){ 0 }));
	proto_sample_free(&s);
	statsd_free(st);
}
END_TEST

START_TEST(test_timer_cap)
{
	struct statsd *st = statsd_new(10, 10);
	struct proto_sample s;
	char line[64];
	int i, n;

	/* 20 values, 10 kept: count, min, max and mean still see all. */
	for (i = 1; i <= 20; i++) {
		n = snprintf(line, sizeof line, "t:%d|ms", i);
		statsd_parse_datagram(st, line, (size_t)n);
	}
	proto_sample_init(&s, "metrics", "h", 1000);
	statsd_flush(st, 1.0, &s);
	ck_assert_double_eq_tol(value(&s, "statsd.t.count"), 20, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.t.max"), 20, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.t.mean"), 10.5, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.t.p99"), 10, TOL);
	proto_sample_free(&s);
	statsd_free(st);
}
END_TEST

START_TEST(test_set)
{
	struct statsd *st = statsd_new(10, 4);
	struct proto_sample s;
	static const char dg[] = "u:alice|s\nu:bob|s\nu:alice|s\nu:carol|s";
	static const char many[] = "v:1|s\nv:1|s\nv:2|s\nv:1|s\nv:3|s\n"
	                           "v:2|s\nv:4|s\nv:5|s\nv:6|s\nv:1|s";

	statsd_parse_datagram(st, dg, sizeof dg - 1);
	statsd_parse_datagram(st, many, sizeof many - 1);
	proto_sample_init(&s, "metrics", "h", 1000);
	statsd_flush(st, 1.0, &s);
	ck_assert_double_eq_tol(value(&s, "statsd.u.unique"), 3, TOL);
	/* Repeats do not fill the cap of 4; members past it are not kept. */
	ck_assert_double_eq_tol(value(&s, "statsd.v.unique"), 4, TOL);
	proto_sample_clear(&s);
	statsd_parse_datagram(st, "u:dave|s", 8);
	statsd_flush(st, 1.0, &s);
	ck_assert_double_eq_tol(value(&s, "statsd.u.unique"), 1, TOL);
	ck_assert_double_eq_tol(value(&s, "statsd.v.unique"), 0, TOL);
	proto_sample_free(&s);
	statsd_free(st);
}
END_TEST

START_TEST(test_describe)
{
	struct statsd *st = statsd_new(10, 10);
	struct collector_desc d;
	static const char dg[] = "c:1|c\ng:1|g\nt:1|ms\nh:1|h\ns:x|s\n"
	                         "g.count:1|g";

	statsd_parse_datagram(st, dg, sizeof dg - 1);
	ck_assert_int_eq(metrics_describe_name(st, "statsd.c.rate", &d), 0);
	ck_assert_str_eq(d.unit, "/s");
	ck_assert_str_eq(d.kind, PROTO_KIND_RATE);
	ck_assert_int_eq(metrics_describe_name(st, "statsd.c.count", &d), 0);
	ck_assert_str_eq(d.unit, "");
	ck_assert_int_eq(metrics_describe_name(st, "statsd.g", &d), 0);
	ck_assert_str_eq(d.desc, "StatsD gauge g");
	/* A gauge named like a counter's series is still a gauge. */
	ck_assert_int_eq(metrics_describe_name(st, "statsd.g.count", &d), 0);
	ck_assert_str_eq(d.desc, "StatsD gauge g.count");
	ck_assert_int_eq(metrics_describe_name(st, "statsd.t.p99", &d), 0);
	ck_assert_str_eq(d.unit, "ms");
	ck_assert_str_eq(d.desc, "StatsD timer t, p99 in the interval");
	ck_assert_int_eq(metrics_describe_name(st, "statsd.t.count", &d), 0);
	ck_assert_str_eq(d.unit, "");
	ck_assert_int_eq(metrics_describe_name(st, "statsd.h.mean", &d), 0);
	ck_assert_str_eq(d.unit, "");
	ck_assert_int_eq(metrics_describe_name(st, "statsd.s.unique", &d), 0);
	ck_assert_int_eq(metrics_describe_name(st, "statsd.lines", &d), 0);
	ck_assert_str_eq(d.kind, PROTO_KIND_COUNTER);
	ck_assert_int_eq(metrics_describe_name(st, "statsd.x.count", &d), -1);
	ck_assert_int_eq(metrics_describe_name(st, "statsd.c.p99", &d), -1);
	ck_assert_int_eq(metrics_describe_name(st, "cpu.total.busy", &d), -1);
	statsd_free(st);
}
END_TEST

/* A timer none of whose values could be kept has no percentiles. */
START_TEST(test_timer_values_full)
{
	struct statsd *st = statsd_new(200, 10000);
	struct proto_sample s;
	char line[64];
	double v;
	int i, j, n;

	/* 105 timers of 10,000 values fill the 1,048,576 value budget. */
	for (i = 0; i < 105; i++)
		for (j = 0; j < 10000; j++) {
			n = snprintf(line, sizeof line, "t%d:%d|ms", i, j);
			statsd_parse_datagram(st, line, (size_t)n);
		}
	statsd_parse_datagram(st, "late:1|ms", 9);
	proto_sample_init(&s, "metrics", "h", 1000);
	statsd_flush(st, 1.0, &s);
	ck_assert_double_eq_tol(value(&s, "statsd.late.count"), 1.0, TOL);
	ck_assert(!find(&s, "statsd.late.p50", &v));
	ck_assert(find(&s, "statsd.t0.p50", &v));
	proto_sample_free(&s);
	statsd_free(st);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("statsd");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_sampled);
	tcase_add_test(tc, test_gauge_delta);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_long);
	tcase_add_test(tc, test_datagram);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_timer);
	tcase_add_test(tc, test_timer_cap);
	tcase_add_test(tc, test_timer_values_full);
	tcase_add_test(tc, test_set);
	tcase_add_test(tc, test_describe);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
