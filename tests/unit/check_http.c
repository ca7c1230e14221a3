/*
 * Unit tests of the gateway's request handling: the HTTP request head
 * reader and the WebSocket upgrade check (handshake.c) with their edge
 * cases, the /ws query and the subscribe message, and the mapping of
 * request paths to files under www with ETags and MIME types (http.c).
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "gateway/group.h"
#include "gateway/handshake.h"
#include "gateway/http.h"

#define UPGRADE                                                                \
	"GET /ws?prefix=cpu.,mem.&rate=2 HTTP/1.1\r\nHost: h\r\n"              \
	"Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"            \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                      \
	"Sec-WebSocket-Version: 13\r\n"                                        \
	"Sec-WebSocket-Protocol: chat\r\n"                                     \
	"Sec-WebSocket-Protocol: vigil.msgpack\r\n\r\n"

static int
status_of(const char *head)
{
	struct request r;
	int st = handshake_parse(head, strlen(head), 8192, &r);

	if (st == 200)
		handshake_free(&r);
	return st;
}

START_TEST(test_parse_upgrade)
{
	struct request r;
	char accept[WS_ACCEPT_LEN + 1];
	size_t len = strlen(UPGRADE);

	ck_assert_int_eq(handshake_parse(UPGRADE, len - 1, 8192, &r), 0);
	ck_assert_int_eq(handshake_parse(UPGRADE "GET /", len + 5, 8192, &r),
	    200);
	ck_assert_uint_eq(r.hlen, len);
	ck_assert_str_eq(r.method, "GET");
	ck_assert_str_eq(r.path, "/ws");
	ck_assert_str_eq(r.query, "prefix=cpu.,mem.&rate=2");
	ck_assert_str_eq(r.ws_protocol, "chat,vigil.msgpack");
	ck_assert_int_eq(r.keepalive, 1);
	ck_assert_int_eq(handshake_upgrade(&r, accept), 0);
	ck_assert_str_eq(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	handshake_free(&r);
}
END_TEST

START_TEST(test_parse_edges)
{
	struct request r;

	ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 200);
	ck_assert_int_eq(status_of("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	    200);
	ck_assert_int_eq(status_of("GET / HTTP/1.0\r\n\r\n"), 200);
	/* Missing Host in 1.1, bad versions, targets and fields. */
	ck_assert_int_eq(status_of("GET / HTTP/1.1\r\n\r\n"), 400);
	ck_assert_int_eq(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
	ck_assert_int_eq(status_of("GET / HTTP/1.1x\r\nHost: a\r\n\r\n"), 400);
	ck_assert_int_eq(status_of("GET / FTP/1.1\r\nHost: a\r\n\r\n"), 400);
	ck_assert_int_eq(status_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	ck_assert_int_eq(status_of("GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n"),
	    400);
	ck_assert_int_eq(status_of("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	ck_assert_int_eq(status_of("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n"),
	    400);
	ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost a\r\n\r\n"), 400);
	ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHo st: a\r\n\r\n"), 400);
	ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\n x\r\n\r\n"),
	    400);
	ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n"),
	    400);
	ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\n"
	                           "Content-Length: 1\r\n"
	                           "Content-Length: 2\r\n\r\n"),
	    400);
	ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\n"
	                           "Content-Length: -1\r\n\r\n"),
	    400);
	/* A NUL inside the head. */
	ck_assert_int_eq(handshake_parse("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n",
	                     29, 8192, &r),
	    400);
	/* Too long without an end, and an end beyond the limit. */
	ck_assert_int_eq(handshake_parse("GET / HTTP/1.1\r\nX: aaaaaaaa", 26,
	                     20, &r),
	    431);
	ck_assert_int_eq(handshake_parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	                     27, 20, &r),
	    431);
	ck_assert_int_eq(handshake_parse("GET / HTTP/1.0\r\n"
	                                 "Connection: keep-alive\r\n\r\n",
	                     42, 8192, &r),
	    200);
	ck_assert_int_eq(r.keepalive, 1);
	ck_assert_ptr_null(r.query);
	handshake_free(&r);
	ck_assert_int_eq(handshake_parse("HEAD /a?b HTTP/1.1\r\nHost: a\r\n"
	                                 "Connection: close\r\n\r\n",
	                     50, 8192, &r),
	    200);
	ck_assert_int_eq(r.keepalive, 0);
	ck_assert_str_eq(r.query, "b");
	handshake_free(&r);
}
END_TEST

static int
upgrade_of(const char *head)
{
	struct request r;
	char accept[WS_ACCEPT_LEN + 1];
	int st;

	ck_assert_int_eq(handshake_parse(head, strlen(head), 8192, &r), 200);
	st = handshake_upgrade(&r, accept);
	handshake_free(&r);
	return st;
}

START_TEST(test_upgrade_refused)
{
	ck_assert_int_eq(upgrade_of("POST /ws HTTP/1.1\r\nHost: a\r\n\r\n"),
	    405);
	ck_assert_int_eq(upgrade_of("GET /ws HTTP/1.1\r\nHost: a\r\n\r\n"),
	    400);
	ck_assert_int_eq(upgrade_of("GET /ws HTTP/1.1\r\nHost: a\r\n"
	                            "Upgrade: websocket\r\n"
	                            "Connection: Upgrade\r\n"
	                            "Sec-WebSocket-Version: 8\r\n\r\n"),
	    426);
	ck_assert_int_eq(upgrade_of("GET /ws HTTP/1.1\r\nHost: a\r\n"
	                            "Upgrade: websocket\r\n"
	                            "Connection: Upgrade\r\n"
	                            "Sec-WebSocket-Version: 13\r\n"
	                            "Sec-WebSocket-Key: short\r\n\r\n"),
	    400);
}
END_TEST

START_TEST(test_query)
{
	struct sel sel;
	char session[HANDSHAKE_SESSION_MAX + 1];
	uint64_t cursor;

	memset(&sel, 0, sizeof sel);
	ck_assert_int_eq(handshake_query(NULL, &sel, session, &cursor), 0);
	ck_assert_uint_eq(sel.n, 0);
	ck_assert_uint_eq(cursor, 0);
	ck_assert_int_eq(handshake_query("prefix=mem.,cpu.,,mem.&rate=0.5&"
	                                 "session=ab%63&cursor=42&x=1&y",
	                     &sel, session, &cursor),
	    0);
	ck_assert_uint_eq(sel.n, 2);
	ck_assert_str_eq(sel.prefixes[0], "cpu.");
	ck_assert_str_eq(sel.prefixes[1], "mem.");
	ck_assert_double_eq(sel.rate, 0.5);
	ck_assert_str_eq(session, "abc");
	ck_assert_uint_eq(cursor, 42);
	group_sel_free(&sel);
	sel.rate = 0;
	ck_assert_int_eq(handshake_query("rate=1000", &sel, session, &cursor),
	    400);
	ck_assert_int_eq(handshake_query("rate=0.01", &sel, session, &cursor),
	    400);
	ck_assert_int_eq(handshake_query("rate=x", &sel, session, &cursor),
	    400);
	ck_assert_int_eq(handshake_query("cursor=-1", &sel, session, &cursor),
	    400);
	ck_assert_int_eq(handshake_query("cursor=1x", &sel, session, &cursor),
	    400);
	ck_assert_int_eq(handshake_query("prefix=a%00b", &sel, session,
	                     &cursor),
	    400);
	ck_assert_int_eq(handshake_query("prefix=%zz", &sel, session, &cursor),
	    400);
	ck_assert_uint_eq(sel.n, 0);
}
END_TEST

START_TEST(test_subscribe)
{
	struct sel sel;
	const char *js = " {\"type\" : \"subscribe\", \"prefix\":[\"net.\","
	                 "\"cpu.\"], \"rate\": 5, \"x\": [1, null]} ";
	/* {"type":"subscribe","prefix":["a"],"rate":2} */
	const char mp[] = "\x83\xa4type\xa9subscribe\xa6prefix\x91\xa1"
	                  "a\xa4rate\x02";

	memset(&sel, 0, sizeof sel);
	ck_assert_int_eq(handshake_subscribe(js, strlen(js), 0, &sel), 0);
	ck_assert_uint_eq(sel.n, 2);
	ck_assert_str_eq(sel.prefixes[0], "cpu.");
	ck_assert_double_eq(sel.rate, 5);
	group_sel_free(&sel);
	ck_assert_int_eq(handshake_subscribe(mp, sizeof mp - 1, 1, &sel), 0);
	ck_assert_uint_eq(sel.n, 1);
	ck_assert_double_eq(sel.rate, 2);
	group_sel_free(&sel);
	ck_assert_int_eq(handshake_subscribe("{\"type\":\"other\"}", 16, 0,
	                     &sel),
	    1);
	ck_assert_int_eq(handshake_subscribe("{\"type\":\"subscribe\"", 19, 0,
	                     &sel),
	    -1);
	ck_assert_int_eq(handshake_subscribe("{\"type\":\"subscribe\","
	                                     "\"rate\":500}",
	                     31, 0, &sel),
	    -1);
	ck_assert_int_eq(handshake_subscribe("{\"type\":{}}", 11, 0, &sel), -1);
	ck_assert_int_eq(handshake_subscribe("\xc1", 1, 1, &sel), -1);
	ck_assert_int_eq(handshake_subscribe("{} x", 4, 0, &sel), -1);
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
	char tmpl[] = "/tmp/check_http.XXXXXX", path[PATH_MAX];

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_ptr_nonnull(realpath(tmpl, path));
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
	refused("/%", 400);
	refused("/%2", 400);
	refused("/..\\app.js", 400);
	refused("/missing.js", 404);
	refused("/escape", 404);
	refused("/empty/", 404);
	refused("/app.js/", 404);
}
END_TEST

START_TEST(test_mime_etag)
{
	char etag[64];

	ck_assert_str_eq(http_mime_type("/w/index.html"),
	    "text/html; charset=utf-8");
	ck_assert_str_eq(http_mime_type("/w/app.JS"),
	    "text/javascript; charset=utf-8");
	ck_assert_str_eq(http_mime_type("/w.d/README"),
	    "application/octet-stream");
	http_etag(etag, sizeof etag, 255, 16);
	ck_assert_str_eq(etag, "\"ff-10\"");
	ck_assert_int_eq(http_etag_match("\"ff-10\"", etag), 1);
	ck_assert_int_eq(http_etag_match("W/\"ff-10\"", etag), 1);
	ck_assert_int_eq(http_etag_match("\"a\", \"ff-10\"", etag), 1);
	ck_assert_int_eq(http_etag_match("*", etag), 1);
	ck_assert_int_eq(http_etag_match("\"ff-11\"", etag), 0);
	ck_assert_int_eq(http_etag_match(NULL, etag), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core"), *tp = tcase_create("path");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_parse_upgrade);
	tcase_add_test(tc, test_parse_edges);
	tcase_add_test(tc, test_upgrade_refused);
	tcase_add_test(tc, test_query);
	tcase_add_test(tc, test_subscribe);
	tcase_add_test(tc, test_mime_etag);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tp, www_setup, www_teardown);
	tcase_add_test(tp, test_path);
	suite_add_tcase(s, tp);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
