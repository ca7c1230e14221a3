/*
 * Unit tests for the gateway's pure parts: the WebSocket accept key and
 * subprotocol choice (ws.c), the client message encoders (message.c), the
 * per-source state (state.c) and the mapping of request paths to files
 * under www (http.c).
 */
#include <sys/stat.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <msgpack.h>

#include "common/proto.h"
#include "gateway/http.h"
#include "gateway/message.h"
#include "gateway/state.h"
#include "gateway/ws.h"

START_TEST(test_accept_key)
{
	char out[WS_ACCEPT_LEN + 1];

	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_int_eq(ws_accept_key(NULL, out), -1);
	ck_assert_int_eq(ws_accept_key("", out), -1);
	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ", out), -1);
	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=!", out), -1);
	/* 24 characters, but 18 bytes. */
	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQab", out), -1);
}
END_TEST

START_TEST(test_subprotocol)
{
	enum message_format f;

	ck_assert_int_eq(ws_subprotocol(NULL, &f), 0);
	ck_assert_int_eq(f, MESSAGE_JSON);
	ck_assert_int_eq(ws_subprotocol("", &f), 0);
	ck_assert_int_eq(f, MESSAGE_JSON);
	ck_assert_int_eq(ws_subprotocol("vigil.msgpack", &f), 1);
	ck_assert_int_eq(f, MESSAGE_MSGPACK);
	ck_assert_int_eq(ws_subprotocol("vigil.json", &f), 1);
	ck_assert_int_eq(f, MESSAGE_JSON);
	ck_assert_int_eq(ws_subprotocol("chat, vigil.msgpack", &f), 1);
	ck_assert_int_eq(f, MESSAGE_MSGPACK);
	ck_assert_int_eq(ws_subprotocol(" vigil.json ,vigil.msgpack", &f), 1);
	ck_assert_int_eq(f, MESSAGE_JSON);
	ck_assert_int_eq(ws_subprotocol("vigil.msgpack,vigil.json", &f), 1);
	ck_assert_int_eq(f, MESSAGE_MSGPACK);
	ck_assert_int_eq(ws_subprotocol("chat, vigil.jsonx, VIGIL.JSON", &f),
	    0);
	ck_assert_int_eq(f, MESSAGE_JSON);
	ck_assert_str_eq(ws_subprotocol_name(MESSAGE_MSGPACK), "vigil.msgpack");
	ck_assert_str_eq(ws_subprotocol_name(MESSAGE_JSON), "vigil.json");
}
END_TEST

static char *
json_of(const struct message *m)
{
	char *s = malloc(m->len[MESSAGE_JSON] + 1);

	memcpy(s, m->data[MESSAGE_JSON], m->len[MESSAGE_JSON]);
	s[m->len[MESSAGE_JSON]] = '\0';
	return s;
}

START_TEST(test_json_sample)
{
	struct proto_sample s;
	struct message *m;
	char *json;

	proto_sample_init(&s, "system", "h\"1", 1000);
	s.seq = 12;
	s.time_ns = INT64_C(1700000000123456789);
	proto_sample_add(&s, "cpu.total.busy", 12.5);
	proto_sample_add(&s, "a\\b\n\x01", 0.1);
	proto_sample_add(&s, "nan", NAN);
	proto_sample_add(&s, "inf", -INFINITY);
	proto_sample_add(&s, "caf\xc3\xa9", 1e300);
	proto_sample_add(&s, "bad\xff\xc3", 2.0 / 3.0);
	proto_sample_add(&s, "big", 16000000000.0);
	m = message_sample(&s);
	json = json_of(m);
	ck_assert_str_eq(json,
	    "{\"type\":\"sample\",\"src\":\"system\",\"host\":\"h\\\"1\","
	    "\"seq\":12,\"t\":1700000000123,\"iv\":1000,\"vals\":{"
	    "\"cpu.total.busy\":12.5,\"a\\\\b\\n\\u0001\":0.1,"
	    "\"nan\":null,\"inf\":null,\"caf\xc3\xa9\":1e+300,"
	    "\"bad\\ufffd\\ufffd\":0.66666666666666663,"
	    "\"big\":16000000000}}");
	free(json);
	message_free(m);
	proto_sample_free(&s);
}
END_TEST

START_TEST(test_msgpack_sample)
{
	struct proto_sample s;
	struct message *m;
	msgpack_unpacked u;
	msgpack_object_kv *kv;
	size_t off = 0;

	proto_sample_init(&s, "memory", "h", 500);
	s.seq = 3;
	s.time_ns = 5000000;
	proto_sample_add(&s, "mem.total", 1024);
	proto_sample_add(&s, "nan", NAN);
	m = message_sample(&s);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, m->data[MESSAGE_MSGPACK],
	                     m->len[MESSAGE_MSGPACK], &off),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, m->len[MESSAGE_MSGPACK]);
	ck_assert_int_eq(u.data.type, MSGPACK_OBJECT_MAP);
	ck_assert_uint_eq(u.data.via.map.size, 7);
	kv = u.data.via.map.ptr;
	ck_assert_int_eq(kv[0].val.type, MSGPACK_OBJECT_STR);
	ck_assert_int_eq(strncmp(kv[0].val.via.str.ptr, "sample", 6), 0);
	ck_assert_uint_eq(kv[3].val.via.u64, 3);
	ck_assert_int_eq(kv[4].val.via.i64, 5);
	ck_assert_uint_eq(kv[5].val.via.u64, 500);
	ck_assert_int_eq(kv[6].val.type, MSGPACK_OBJECT_MAP);
	ck_assert_double_eq(kv[6].val.via.map.ptr[0].val.via.f64, 1024);
	ck_assert_int_eq(kv[6].val.via.map.ptr[1].val.type, MSGPACK_OBJECT_NIL);
	msgpack_unpacked_destroy(&u);
	message_free(m);
	proto_sample_free(&s);
}
END_TEST

START_TEST(test_json_hello)
{
	struct message *m = message_hello("vigil-gateway 0.1.0", "box\t1");
	char *json = json_of(m);

	ck_assert_str_eq(json,
	    "{\"type\":\"hello\",\"version\":1,"
	    "\"server\":\"vigil-gateway 0.1.0\",\"host\":\"box\\t1\"}");
	ck_assert_uint_gt(m->len[MESSAGE_MSGPACK], 0);
	free(json);
	message_free(m);
}
END_TEST

START_TEST(test_state_cap)
{
	struct state *st = state_new();
	struct proto_sample s;
	char name[16];
	int i;

	proto_sample_init(&s, "system", "h", 1000);
	s.seq = 1;
	ck_assert_ptr_nonnull(state_update(st, &s));
	s.seq = 5;
	ck_assert_ptr_nonnull(state_update(st, &s));
	ck_assert_uint_eq(st->nsources, 1);
	ck_assert_uint_eq(st->sources[0].gaps, 3);
	for (i = 1; i < STATE_SOURCES_MAX; i++) {
		snprintf(name, sizeof name, "src%d", i);
		snprintf(s.source, sizeof s.source, "%s", name);
		ck_assert_ptr_nonnull(state_update(st, &s));
	}
	snprintf(s.source, sizeof s.source, "one-too-many");
	ck_assert_ptr_null(state_update(st, &s));
	ck_assert_uint_eq(st->nsources, STATE_SOURCES_MAX);
	ck_assert_uint_eq(st->dropped, 1);
	proto_sample_free(&s);
	state_free(st);
}
END_TEST

static char root[256];

static void
touch(const char *rel)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("x\n", f);
	fclose(f);
}

static void
www_setup(void)
{
	char tmpl[] = "/tmp/check_ws.XXXXXX", path[PATH_MAX];

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_ptr_nonnull(realpath(tmpl, path));
	ck_assert_uint_lt(strlen(path), sizeof root);
	memcpy(root, path, strlen(path) + 1);
	touch("index.html");
	touch("app.js");
	snprintf(path, sizeof path, "%s/sub", root);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	touch("sub/index.html");
	snprintf(path, sizeof path, "%s/empty", root);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/escape", root);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
}

static void
www_teardown(void)
{
	char cmd[sizeof root + 16];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

static void
resolves(const char *path, const char *rel)
{
	char out[PATH_MAX], want[PATH_MAX];

	snprintf(want, sizeof want, "%s/%s", root, rel);
	ck_assert_int_eq(http_path_resolve(root, path, out, sizeof out), 0);
	ck_assert_str_eq(out, want);
}

static void
refused(const char *path, int status)
{
	char out[PATH_MAX];

	ck_assert_int_eq(http_path_resolve(root, path, out, sizeof out),
	    status);
}

START_TEST(test_path)
{
	resolves("/", "index.html");
	resolves("/index.html", "index.html");
	resolves("/app.js", "app.js");
	resolves("//app.js", "app.js");
	resolves("/%61pp.js", "app.js");
	resolves("/sub/", "sub/index.html");
	resolves("/sub", "sub/index.html");
	refused(NULL, 400);
	refused("", 400);
	refused("app.js", 400);
	refused("/../etc/passwd", 400);
	refused("/sub/../app.js", 400);
	refused("/./app.js", 400);
	refused("/..", 400);
	refused("/%2e%2e/etc/passwd", 400);
	refused("/%2E%2E%2Fetc%2Fpasswd", 400);
	refused("/sub%2f..%2fapp.js", 400);
	refused("/.%2e/x", 400);
	refused("/app.js%00.html", 400);
	refused("/a%0ab", 400);
	refused("/..\\app.js", 400);
	refused("/missing.js", 404);
	refused("/escape", 404);
	refused("/empty/", 404);
	refused("/app.js/", 404);
}
END_TEST

START_TEST(test_mime)
{
	ck_assert_str_eq(http_mime_type("/w/index.html"),
	    "text/html; charset=utf-8");
	ck_assert_str_eq(http_mime_type("/w/app.JS"),
	    "text/javascript; charset=utf-8");
	ck_assert_str_eq(http_mime_type("/w/style.css"),
	    "text/css; charset=utf-8");
	ck_assert_str_eq(http_mime_type("/w/a.svg"), "image/svg+xml");
	ck_assert_str_eq(http_mime_type("/w.d/README"),
	    "application/octet-stream");
	ck_assert_str_eq(http_mime_type("/w/x.bin"),
	    "application/octet-stream");
}
END_TEST

static Suite *
ws_suite(void)
{
	Suite *s = suite_create("ws");
	TCase *tc = tcase_create("core"), *tp = tcase_create("path");

	tcase_add_test(tc, test_accept_key);
	tcase_add_test(tc, test_subprotocol);
	tcase_add_test(tc, test_json_sample);
	tcase_add_test(tc, test_msgpack_sample);
	tcase_add_test(tc, test_json_hello);
	tcase_add_test(tc, test_state_cap);
	tcase_add_test(tc, test_mime);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tp, www_setup, www_teardown);
	tcase_add_test(tp, test_path);
	suite_add_tcase(s, tp);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ws_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
