/*
 * Unit tests of subscription groups and fan-out (group.c, conn.c) over a
 * socketpair: the backpressure decision table, selections, one shared
 * frame per group, a client over client_queue that skips batches and is
 * resynchronised with exactly the points it missed once it drains, and
 * Prometheus names (prom.c).
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <msgpack.h>

#include "common/config.h"
#include "common/proto.h"
#include "gateway/conn.h"
#include "gateway/gateway.h"
#include "gateway/group.h"
#include "gateway/prom.h"

START_TEST(test_backpressure)
{
	/* Fits, or the queue is empty: send. */
	ck_assert_int_eq(group_backpressure(0, 100, 50, -1, 0, 10), GROUP_SEND);
	ck_assert_int_eq(group_backpressure(10, 40, 50, -1, 0, 10), GROUP_SEND);
	/* Over: skip until lag_timeout has passed since lag_since. */
	ck_assert_int_eq(group_backpressure(10, 41, 50, -1, 0, 10), GROUP_SKIP);
	ck_assert_int_eq(group_backpressure(10, 41, 50, 100, 109, 10),
	    GROUP_SKIP);
	ck_assert_int_eq(group_backpressure(10, 41, 50, 100, 110, 10),
	    GROUP_CLOSE);
}
END_TEST

START_TEST(test_sel)
{
	struct sel sel;
	char big[PROTO_NAME_MAX + 2];
	int i;

	memset(&sel, 0, sizeof sel);
	ck_assert_int_eq(group_sel_add(&sel, "b", 1), 0);
	ck_assert_int_eq(group_sel_add(&sel, "a", 1), 0);
	ck_assert_int_eq(group_sel_add(&sel, "b", 1), 0);
	ck_assert_int_eq(group_sel_add(&sel, "", 0), 0);
	group_sel_normalize(&sel);
	ck_assert_uint_eq(sel.n, 2);
	ck_assert_str_eq(sel.prefixes[0], "a");
	memset(big, 'x', sizeof big);
	ck_assert_int_eq(group_sel_add(&sel, big, sizeof big), -1);
	for (i = 2; i < GROUP_PREFIX_MAX; i++)
		ck_assert_int_eq(group_sel_add(&sel, "c", 1), 0);
	ck_assert_int_eq(group_sel_add(&sel, "c", 1), -1);
	group_sel_free(&sel);
}
END_TEST

START_TEST(test_prom_name)
{
	char n[PROM_NAME_MAX];

	prom_name("cpu.total.busy", "gauge", n, sizeof n);
	ck_assert_str_eq(n, "vigil_cpu_total_busy");
	prom_name("vm.oom_kill", "counter", n, sizeof n);
	ck_assert_str_eq(n, "vigil_vm_oom_kill_total");
	prom_name("mem.total", "gauge", n, sizeof n);
	ck_assert_str_eq(n, "vigil_mem_total_value");
	prom_name("statsd.hits.count", NULL, n, sizeof n);
	ck_assert_str_eq(n, "vigil_statsd_hits_count_value");
	prom_name("statsd.MyApp-x\xc3\xa9", "rate", n, sizeof n);
	ck_assert_str_eq(n, "vigil_statsd_myapp_x__");
}
END_TEST

static struct config cf;
static struct gateway gw;
static int peer[2][2];

static void
gw_setup(void)
{
	memset(&cf, 0, sizeof cf);
	cf.host = "h";
	cf.gateway.history = 100;
	cf.gateway.max_series = 100;
	cf.gateway.batch_interval_ms = 100;
	cf.gateway.client_queue = 16384;
	cf.gateway.lag_timeout_ms = 60000;
	cf.gateway.ping_timeout_ms = 1000;
	cf.gateway.close_timeout_ms = 1000;
	cf.gateway.handshake_timeout_ms = 1000;
	cf.gateway.max_message = 1000;
	memset(&gw, 0, sizeof gw);
	gw.cf = &cf;
	gw.base = event_base_new();
	TAILQ_INIT(&gw.groups);
	LIST_INIT(&gw.conns);
	state_init(&gw.state, 100, 100);
}

static void
gw_teardown(void)
{
	int f;

	conn_free_all(&gw);
	for (f = 0; f < ENC_NFORMATS; f++)
		frame_unref(gw.hello[f]);
	state_free(&gw.state);
	event_base_free(gw.base);
	close(peer[0][1]);
	close(peer[1][1]);
}

static struct conn *
client(int i, int sndbuf)
{
	struct sel sel;

	memset(&sel, 0, sizeof sel);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, peer[i]), 0);
	setsockopt(peer[i][0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	setsockopt(peer[i][1], SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof sndbuf);
	fcntl(peer[i][0], F_SETFL, O_NONBLOCK);
	fcntl(peer[i][1], F_SETFL, O_NONBLOCK);
	conn_accept(&gw, peer[i][0]);
	ck_assert_int_eq(conn_open(LIST_FIRST(&gw.conns), ENC_MSGPACK, &sel, "",
	                     0),
	    0);
	return LIST_FIRST(&gw.conns);
}

static void
publish(uint64_t seq)
{
	struct proto_sample s;
	char name[32];
	int i;

	proto_sample_init(&s, "t", "h", 100);
	s.seq = seq;
	s.time_ns = (int64_t)seq * 1000000;
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "series.%d", i);
		proto_sample_add(&s, name, (double)seq);
	}
	state_sample(&gw.state, &s, 1, 1);
	proto_sample_free(&s);
}

/* Read every frame waiting on fd; collect "type" and the points. */
static void
drain(int fd, int *batches, int *snapshots, uint64_t *seen, size_t nseen)
{
	static char buf[1 << 20];
	static size_t have;
	msgpack_unpacked u;
	ssize_t n;
	size_t hl, len, off;

	while ((n = read(fd, buf + have, sizeof buf - have)) > 0)
		have += n;
	while (have >= 2) {
		len = buf[1] & 0x7f;
		hl = 2;
		if (len == 126)
			len = (uint8_t)buf[2] << 8 | (uint8_t)buf[3], hl = 4;
		else if (len == 127) {
			len = 0;
			for (off = 0; off < 8; off++)
				len = len << 8 | (uint8_t)buf[2 + off];
			hl = 10;
		}
		if (have < hl + len)
			break;
		off = 0;
		msgpack_unpacked_init(&u);
		ck_assert_int_eq(msgpack_unpack_next(&u, buf + hl, len, &off),
		    MSGPACK_UNPACK_SUCCESS);
		if (strncmp(u.data.via.map.ptr[0].val.via.str.ptr, "batch",
		        5) == 0) {
			(*batches)++;
			seen[u.data.via.map.ptr[1].val.via.u64 % nseen] = 1;
		} else if (strncmp(u.data.via.map.ptr[0].val.via.str.ptr,
		               "snapshot", 8) == 0) {
			msgpack_object *ser = &u.data.via.map.ptr[3].val;
			msgpack_object *t;
			uint32_t k;

			(*snapshots)++;
			if (ser->via.array.size > 0) {
				t = &ser->via.array.ptr[0].via.map.ptr[2].val;
				for (k = 0; k < t->via.array.size; k++)
					seen[t->via.array.ptr[k].via.u64 %
					    nseen] = 1;
			}
		}
		msgpack_unpacked_destroy(&u);
		memmove(buf, buf + hl + len, have - hl - len);
		have -= hl + len;
	}
}

START_TEST(test_fanout_resync)
{
	struct conn *slow, *fast;
	uint64_t seen[2][64], seq;
	int b[2] = { 0, 0 }, sn[2] = { 0, 0 }, i;

	slow = client(0, 4096);
	fast = client(1, 1 << 20);
	ck_assert_ptr_eq(slow->group, fast->group);
	ck_assert_uint_eq(gw.nclients, 2);
	memset(seen, 0, sizeof seen);
	for (seq = 1; seq <= 40; seq++) {
		publish(seq);
		group_flush(&gw, 1000 * seq, 1);
		drain(peer[1][1], &b[1], &sn[1], seen[1], 64);
	}
	/* The fast client got every batch; the slow one skipped some. */
	ck_assert_int_eq(b[1], 40);
	ck_assert_uint_gt(gw.stats.skipped, 0);
	ck_assert_int_eq(slow->behind, 1);
	ck_assert_uint_le(evbuffer_get_length(conn_output(slow)), 16384);
	/* It drains: the write callback sends the missed points. */
	for (i = 0; i < 50; i++) {
		drain(peer[0][1], &b[0], &sn[0], seen[0], 64);
		event_base_loop(gw.base, EVLOOP_NONBLOCK);
	}
	drain(peer[0][1], &b[0], &sn[0], seen[0], 64);
	ck_assert_int_eq(slow->behind, 0);
	ck_assert_int_eq(sn[0], 2); /* the first and the resync */
	for (seq = 1; seq <= 40; seq++)
		ck_assert_msg(seen[0][seq] == 1, "slow client misses %d",
		    (int)seq);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("group");
	TCase *tc = tcase_create("core"), *tf = tcase_create("fanout");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_sel);
	tcase_add_test(tc, test_prom_name);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tf, gw_setup, gw_teardown);
	tcase_add_test(tf, test_fanout_resync);
	suite_add_tcase(s, tf);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
