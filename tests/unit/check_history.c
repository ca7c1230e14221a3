/*
 * Unit tests of the gateway's memory: the history ring (history.c) as it
 * grows and wraps, the range of points after a cursor and the resume
 * arithmetic, the series table and its cap (series.c), and the state
 * (state.c): cursors, the floor below which a resume is impossible, the
 * pending log, text labels and sequence gaps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common/proto.h"
#include "gateway/history.h"
#include "gateway/series.h"
#include "gateway/state.h"

START_TEST(test_ring_wrap)
{
	struct history h;
	uint64_t c, ev;
	uint32_t i;

	history_init(&h, 40);
	ck_assert_ptr_null(history_last(&h));
	for (c = 1; c <= 40; c++)
		ck_assert_uint_eq(history_push(&h, c * 10, c, c * 1.5), 0);
	ck_assert_uint_eq(h.n, 40);
	ck_assert_uint_eq(h.cap, 40);
	for (c = 41; c <= 100; c++) {
		ev = history_push(&h, c * 10, c, c * 1.5);
		ck_assert_uint_eq(ev, (c - 40) * 10);
	}
	ck_assert_uint_eq(h.n, 40);
	for (i = 0; i < 40; i++) {
		ck_assert_uint_eq(history_at(&h, i)->cursor, (61 + i) * 10);
		ck_assert_int_eq(history_at(&h, i)->t, 61 + i);
	}
	ck_assert_uint_eq(history_last(&h)->cursor, 1000);
	history_free(&h);
}
END_TEST

START_TEST(test_range)
{
	struct history h;
	uint32_t first, n;
	uint64_t c;

	history_init(&h, 8);
	ck_assert_uint_eq(history_range(&h, 0, 100, &first), 0);
	/* Cursors 3, 6, ..., 36: the last 8 are 15..36 (ring wrapped). */
	for (c = 3; c <= 36; c += 3)
		history_push(&h, c, (int64_t)c, 0);
	n = history_range(&h, 0, 100, &first);
	ck_assert_uint_eq(n, 8);
	ck_assert_uint_eq(history_at(&h, first)->cursor, 15);
	n = history_range(&h, 20, 100, &first);
	ck_assert_uint_eq(n, 6);
	ck_assert_uint_eq(history_at(&h, first)->cursor, 21);
	n = history_range(&h, 21, 30, &first);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(history_at(&h, first)->cursor, 24);
	ck_assert_uint_eq(history_range(&h, 36, 100, &first), 0);
	ck_assert_uint_eq(history_range(&h, 30, 30, &first), 0);
	ck_assert_uint_eq(history_range(&h, 40, 30, &first), 0);
	history_free(&h);
}
END_TEST

START_TEST(test_resume)
{
	ck_assert_int_eq(history_can_resume(0, 0, 10), 0);
	ck_assert_int_eq(history_can_resume(5, 0, 10), 1);
	ck_assert_int_eq(history_can_resume(10, 0, 10), 1);
	ck_assert_int_eq(history_can_resume(11, 0, 10), 0);
	ck_assert_int_eq(history_can_resume(5, 5, 10), 1);
	ck_assert_int_eq(history_can_resume(4, 5, 10), 0);
}
END_TEST

START_TEST(test_series_cap)
{
	struct series_table t;
	char name[32];
	int i;

	series_init(&t, 300, 10);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "s.%d", i);
		ck_assert_ptr_nonnull(series_get(&t, name, "x"));
	}
	ck_assert_ptr_null(series_get(&t, "one.more", "x"));
	ck_assert_uint_eq(t.dropped, 1);
	ck_assert_ptr_eq(series_find(&t, "s.123"), t.all[123]);
	ck_assert_ptr_null(series_find(&t, "s.300"));
	ck_assert_int_eq(series_set_meta(&t, "s.1", "x", "%", "gauge", "d"), 1);
	ck_assert_int_eq(series_set_meta(&t, "s.1", "x", "%", "gauge", "d"), 0);
	ck_assert_int_eq(series_set_meta(&t, "s.1", "x", "/s", "gauge", "d"),
	    1);
	ck_assert_int_eq(series_set_meta(&t, "new", "x", "", "", ""), -1);
	series_free(&t);
}
END_TEST

START_TEST(test_match)
{
	char *p[] = { "cpu.", "mem.total" };

	ck_assert_int_eq(series_match("anything", p, 0), 1);
	ck_assert_int_eq(series_match("cpu.total.busy", p, 2), 1);
	ck_assert_int_eq(series_match("mem.total", p, 2), 1);
	ck_assert_int_eq(series_match("mem.free", p, 2), 0);
	ck_assert_int_eq(series_match("cpu", p, 2), 0);
}
END_TEST

static void
push(struct state *st, const char *src, uint64_t seq, double v)
{
	struct proto_sample s;

	proto_sample_init(&s, src, "h", 1000);
	s.seq = seq;
	s.time_ns = (int64_t)seq * 1000000000;
	proto_sample_add(&s, "a", v);
	proto_sample_add(&s, src, v);
	proto_sample_add_text(&s, "label", "x");
	state_seq(st, src, "h", seq);
	state_sample(st, &s, 1, 5);
	proto_sample_free(&s);
}

START_TEST(test_state)
{
	struct state st;
	struct series *a;
	uint64_t i;

	state_init(&st, 100, 4);
	ck_assert_uint_eq(strlen(st.session), STATE_SESSION_LEN);
	for (i = 1; i <= 3; i++)
		push(&st, "one", i, i);
	push(&st, "one", 7, 7); /* 3 lost */
	push(&st, "two", 1, 1);
	ck_assert_uint_eq(st.cursor, 5);
	ck_assert_uint_eq(st.gaps, 3);
	ck_assert_uint_eq(st.nsources, 2);
	ck_assert_int_eq(st.last_sample, 5);
	a = series_find(&st.series, "a");
	ck_assert_uint_eq(a->hist.n, 4);
	/* Five points in a ring of four: cursor 1 went, so floor is 1. */
	ck_assert_uint_eq(st.floor, 1);
	ck_assert_uint_eq(history_at(&a->hist, 0)->cursor, 2);
	ck_assert_str_eq(series_find(&st.series, "label")->text, "x");
	ck_assert_uint_eq(series_find(&st.series, "two")->hist.n, 1);
	/* The pending log holds 1..5 until trimmed. */
	ck_assert_uint_eq(st.log_n, 5);
	ck_assert_ptr_nonnull(state_pending(&st, 1));
	ck_assert_ptr_null(state_pending(&st, 6));
	ck_assert_uint_eq(state_pending(&st, 4)->s.seq, 7);
	state_trim(&st, 3);
	ck_assert_uint_eq(st.log_n, 2);
	ck_assert_ptr_null(state_pending(&st, 3));
	ck_assert_ptr_nonnull(state_pending(&st, 4));
	/* A restarted publisher counts from 1 again: no gap. */
	push(&st, "one", 1, 1);
	ck_assert_uint_eq(st.gaps, 3);
	state_free(&st);
}
END_TEST

START_TEST(test_log_grows)
{
	struct state st;
	uint64_t i;

	state_init(&st, 10, 2);
	for (i = 1; i <= 1000; i++)
		push(&st, "s", i, i);
	ck_assert_uint_eq(st.log_n, 1000);
	ck_assert_uint_eq(state_pending(&st, 777)->s.seq, 777);
	state_trim(&st, 999);
	ck_assert_uint_eq(st.log_n, 1);
	ck_assert_uint_eq(state_pending(&st, 1000)->cursor, 1000);
	state_free(&st);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_ring_wrap);
	tcase_add_test(tc, test_range);
	tcase_add_test(tc, test_resume);
	tcase_add_test(tc, test_series_cap);
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_state);
	tcase_add_test(tc, test_log_grows);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
