/*
 * Unit tests of the gateway's WebSocket framing (ws.c) and message
 * encoders (enc.c): the RFC 6455 accept key, the subprotocol choice,
 * server frame headers, the parsing of client frame headers with every
 * refusal, and JSON and msgpack output of the same message.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "gateway/enc.h"
#include "gateway/ws.h"

START_TEST(test_accept_key)
{
	char out[WS_ACCEPT_LEN + 1];

	/* The example of RFC 6455, section 1.3. */
	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_int_eq(ws_accept_key(NULL, out), -1);
	ck_assert_int_eq(ws_accept_key("", out), -1);
	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ", out), -1);
	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=!", out), -1);
	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQab", out), -1);
}
END_TEST

START_TEST(test_subprotocol)
{
	enum enc_format f;

	ck_assert_int_eq(ws_subprotocol(NULL, &f), 0);
	ck_assert_int_eq(f, ENC_JSON);
	ck_assert_int_eq(ws_subprotocol("vigil.msgpack", &f), 1);
	ck_assert_int_eq(f, ENC_MSGPACK);
	ck_assert_int_eq(ws_subprotocol("chat, vigil.msgpack", &f), 1);
	ck_assert_int_eq(f, ENC_MSGPACK);
	ck_assert_int_eq(ws_subprotocol(" vigil.json ,vigil.msgpack", &f), 1);
	ck_assert_int_eq(f, ENC_JSON);
	ck_assert_int_eq(ws_subprotocol("chat, vigil.jsonx, VIGIL.JSON", &f),
	    0);
	ck_assert_int_eq(f, ENC_JSON);
	ck_assert_int_eq(ws_has_token("keep-alive, Upgrade", "upgrade"), 1);
	ck_assert_int_eq(ws_has_token("keep-alive", "upgrade"), 0);
	ck_assert_int_eq(ws_has_token(NULL, "upgrade"), 0);
}
END_TEST

START_TEST(test_header)
{
	uint8_t h[10];

	ck_assert_uint_eq(ws_header(h, WS_OP_TEXT, 5), 2);
	ck_assert_uint_eq(h[0], 0x81);
	ck_assert_uint_eq(h[1], 5);
	ck_assert_uint_eq(ws_header(h, WS_OP_BINARY, 125), 2);
	ck_assert_uint_eq(ws_header(h, WS_OP_BINARY, 126), 4);
	ck_assert_uint_eq(h[0], 0x82);
	ck_assert_uint_eq(h[1], 126);
	ck_assert_uint_eq(h[2] << 8 | h[3], 126);
	ck_assert_uint_eq(ws_header(h, WS_OP_BINARY, 65535), 4);
	ck_assert_uint_eq(ws_header(h, WS_OP_BINARY, 65536), 10);
	ck_assert_uint_eq(h[1], 127);
	ck_assert_uint_eq(h[7], 1);
	ck_assert_uint_eq(h[8], 0);
}
END_TEST

static int
parse(const uint8_t *p, size_t n, uint64_t max, struct ws_frame *f,
    unsigned *code)
{
	*code = 0;
	return ws_parse_header(p, n, max, f, code);
}

START_TEST(test_parse)
{
	/* "Hello", masked: RFC 6455 section 5.7. */
	uint8_t hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f,
		0x4d, 0x51, 0x58 };
	uint8_t p16[] = { 0x82, 0xfe, 0x01, 0x00, 1, 2, 3, 4 };
	uint8_t p64[] = { 0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4 };
	uint8_t b[16];
	struct ws_frame f;
	unsigned code;

	ck_assert_int_eq(parse(hello, 1, 100, &f, &code), 0);
	ck_assert_int_eq(parse(hello, 5, 100, &f, &code), 0);
	ck_assert_int_eq(parse(hello, 6, 100, &f, &code), 1);
	ck_assert_int_eq(f.opcode, WS_OP_TEXT);
	ck_assert_uint_eq(f.len, 5);
	ck_assert_uint_eq(f.hlen, 6);
	memcpy(b, hello + 6, 5);
	ws_unmask(b, 5, f.mask, 0);
	ck_assert_int_eq(memcmp(b, "Hello", 5), 0);
	ck_assert_int_eq(parse(p16, sizeof p16, 1000, &f, &code), 1);
	ck_assert_uint_eq(f.len, 256);
	ck_assert_uint_eq(f.hlen, 8);
	ck_assert_int_eq(parse(p16, sizeof p16, 255, &f, &code), -1);
	ck_assert_uint_eq(code, WS_CLOSE_TOO_BIG);
	ck_assert_int_eq(parse(p64, sizeof p64, 1 << 20, &f, &code), 1);
	ck_assert_uint_eq(f.len, 65536);
	ck_assert_int_eq(parse(p64, sizeof p64, 65535, &f, &code), -1);
	ck_assert_uint_eq(code, WS_CLOSE_TOO_BIG);
}
END_TEST

START_TEST(test_parse_refused)
{
	struct ws_frame f;
	unsigned code;
	/* unmasked, RSV1, continuation, unfinished text, opcode 3, ping
	 * not final, ping of 126 bytes, close fine, 64-bit top bit */
	static const uint8_t bad[][10] = {
		{ 0x81, 0x05 },
		{ 0xc1, 0x85 },
		{ 0x80, 0x85 },
		{ 0x01, 0x85 },
		{ 0x83, 0x85 },
		{ 0x09, 0x80 },
		{ 0x89, 0xfe, 0, 126 },
		{ 0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1 },
	};
	uint8_t close[] = { 0x88, 0x82, 1, 2, 3, 4 };
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t buf[16] = { 0 };

		memcpy(buf, bad[i], 10);
		ck_assert_int_eq(parse(buf, sizeof buf, 1 << 20, &f, &code),
		    -1);
		ck_assert_uint_eq(code, WS_CLOSE_PROTOCOL);
	}
	ck_assert_int_eq(parse(close, sizeof close, 125, &f, &code), 1);
	ck_assert_int_eq(f.opcode, WS_OP_CLOSE);
}
END_TEST

static char *
json_of(void (*fn)(struct enc *))
{
	struct enc e;
	size_t len;

	enc_init(&e, ENC_JSON, 0);
	fn(&e);
	return enc_take(&e, &len);
}

static void
sample_message(struct enc *e)
{
	enc_map(e, 4);
	enc_key(e, "type");
	enc_str(e, "x\"\\\n\x01");
	enc_key(e, "vals");
	enc_map(e, 4);
	enc_key(e, "a");
	enc_double(e, 12.5);
	enc_key(e, "nan");
	enc_double(e, NAN);
	enc_key(e, "third");
	enc_double(e, 2.0 / 3.0);
	enc_key(e, "caf\xc3\xa9\xff");
	enc_int(e, -3);
	enc_end(e);
	enc_key(e, "list");
	enc_array(e, 3);
	enc_uint(e, 1);
	enc_bool(e, 1);
	enc_nil(e);
	enc_end(e);
	enc_key(e, "big");
	enc_uint(e, UINT64_C(16000000000));
	enc_end(e);
}

START_TEST(test_json)
{
	char *s = json_of(sample_message);

	ck_assert_str_eq(s,
	    "{\"type\":\"x\\\"\\\\\\n\\u0001\",\"vals\":{\"a\":12.5,"
	    "\"nan\":null,\"third\":0.66666666666666663,"
	    "\"caf\xc3\xa9\\ufffd\":-3},\"list\":[1,true,null],"
	    "\"big\":16000000000}");
	free(s);
}
END_TEST

START_TEST(test_msgpack)
{
	struct enc e;
	msgpack_unpacked u;
	msgpack_object *vals;
	const char *p;
	size_t len, off = 0;

	enc_init(&e, ENC_MSGPACK, 0);
	sample_message(&e);
	p = enc_data(&e, &len);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, p, len, &off),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, len);
	ck_assert_uint_eq(u.data.via.map.size, 4);
	vals = &u.data.via.map.ptr[1].val;
	ck_assert_uint_eq(vals->via.map.size, 4);
	ck_assert_double_eq(vals->via.map.ptr[0].val.via.f64, 12.5);
	ck_assert_int_eq(vals->via.map.ptr[1].val.type, MSGPACK_OBJECT_NIL);
	ck_assert_int_eq(vals->via.map.ptr[3].val.via.i64, -3);
	ck_assert_uint_eq(u.data.via.map.ptr[3].val.via.u64,
	    UINT64_C(16000000000));
	msgpack_unpacked_destroy(&u);
	enc_free(&e);
}
END_TEST

START_TEST(test_frame)
{
	struct enc e;
	struct frame *f;
	int i;

	enc_init(&e, ENC_JSON, 1);
	enc_array(&e, 200);
	for (i = 0; i < 200; i++)
		enc_uint(&e, 1);
	enc_end(&e);
	f = enc_frame(&e);
	/* [1,1,...]: 2 + 200 + 199 bytes, with a 16-bit length. */
	ck_assert_uint_eq(f->len, 4 + 401);
	ck_assert_uint_eq((uint8_t)f->data[0], 0x81);
	ck_assert_uint_eq((uint8_t)f->data[1], 126);
	ck_assert_int_eq(f->data[4], '[');
	ck_assert_ptr_eq(frame_ref(f), f);
	frame_unref(f);
	frame_cleanup(f->data, f->len, f);
	f = frame_new(WS_OP_CLOSE, "\x0f\xa0", 2);
	ck_assert_uint_eq(f->len, 4);
	ck_assert_uint_eq((uint8_t)f->data[0], 0x88);
	frame_unref(f);
}
END_TEST

START_TEST(test_close_codes)
{
	ck_assert(ws_close_code_ok(1000));
	ck_assert(ws_close_code_ok(1003));
	ck_assert(ws_close_code_ok(1011));
	ck_assert(ws_close_code_ok(4000));
	ck_assert(!ws_close_code_ok(0));
	ck_assert(!ws_close_code_ok(999));
	ck_assert(!ws_close_code_ok(1005));
	ck_assert(!ws_close_code_ok(1006));
	ck_assert(!ws_close_code_ok(1015));
	ck_assert(!ws_close_code_ok(2999));
	ck_assert(!ws_close_code_ok(5000));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ws");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_accept_key);
	tcase_add_test(tc, test_subprotocol);
	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_refused);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_msgpack);
	tcase_add_test(tc, test_frame);
	tcase_add_test(tc, test_close_codes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
