/*
 * RFC 6455 framing for the gateway. Server frames are final and unmasked;
 * client frames must be masked. Fragmented client messages are refused
 * (vigil clients send one small message at a time) with a protocol error,
 * like reserved bits and unknown opcodes; a payload larger than the limit
 * is refused with 1009 as soon as its header is read.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <nettle/base64.h>
#include <nettle/sha1.h>

#include "gateway/ws.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LEN 24 /* base64 of 16 bytes */

static const char *ws_names[ENC_NFORMATS] = {
	[ENC_JSON] = "vigil.json",
	[ENC_MSGPACK] = "vigil.msgpack",
};

/* The next comma-separated token of *p, blanks trimmed; NULL at the end. */
static const char *
ws_token(const char **p, size_t *len)
{
	const char *s = *p, *e;

	while (*s == ' ' || *s == '\t' || *s == ',')
		s++;
	if (*s == '\0')
		return NULL;
	e = s + strcspn(s, ",");
	*p = e;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*len = e - s;
	return s;
}

int
ws_has_token(const char *list, const char *want)
{
	const char *tok;
	size_t len;

	if (list == NULL)
		return 0;
	while ((tok = ws_token(&list, &len)) != NULL) {
		if (len == strlen(want) && strncasecmp(tok, want, len) == 0)
			return 1;
	}
	return 0;
}

const char *
ws_subprotocol_name(enum enc_format fmt)
{
	return ws_names[fmt];
}

int
ws_subprotocol(const char *offered, enum enc_format *fmt)
{
	const char *tok;
	size_t len;
	int f;

	*fmt = ENC_JSON;
	if (offered == NULL)
		return 0;
	while ((tok = ws_token(&offered, &len)) != NULL) {
		for (f = 0; f < ENC_NFORMATS; f++) {
			if (len == strlen(ws_names[f]) &&
			    strncmp(tok, ws_names[f], len) == 0) {
				*fmt = f;
				return 1;
			}
		}
	}
	return 0;
}

int
ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	struct base64_decode_ctx b64;
	struct sha1_ctx sha;
	uint8_t raw[BASE64_DECODE_LENGTH(WS_KEY_LEN)];
	uint8_t digest[SHA1_DIGEST_SIZE];
	size_t rawlen = sizeof raw;

	if (key == NULL || strlen(key) != WS_KEY_LEN)
		return -1;
	base64_decode_init(&b64);
	if (!base64_decode_update(&b64, &rawlen, raw, WS_KEY_LEN, key) ||
	    !base64_decode_final(&b64) || rawlen != 16)
		return -1;
	sha1_init(&sha);
	sha1_update(&sha, WS_KEY_LEN, (const uint8_t *)key);
	sha1_update(&sha, strlen(WS_GUID), (const uint8_t *)WS_GUID);
	sha1_digest(&sha, sizeof digest, digest);
	base64_encode_raw(out, sizeof digest, digest);
	out[WS_ACCEPT_LEN] = '\0';
	return 0;
}

size_t
ws_header(uint8_t *out, int opcode, uint64_t len)
{
	int i;

	out[0] = 0x80 | (opcode & 0x0f);
	if (len < 126) {
		out[1] = len;
		return 2;
	}
	if (len < 65536) {
		out[1] = 126;
		out[2] = len >> 8;
		out[3] = len & 0xff;
		return 4;
	}
	out[1] = 127;
	for (i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (8 * (7 - i)));
	return 10;
}

static int
ws_bad(unsigned *code, unsigned value)
{
	*code = value;
	return -1;
}

int
ws_parse_header(const uint8_t *p, size_t n, uint64_t max, struct ws_frame *f,
    unsigned *code)
{
	size_t need = 2;
	int i;

	if (n < 2)
		return 0;
	f->fin = (p[0] & 0x80) != 0;
	f->opcode = p[0] & 0x0f;
	if ((p[0] & 0x70) != 0 || (p[1] & 0x80) == 0)
		return ws_bad(code, WS_CLOSE_PROTOCOL);
	switch (f->opcode) {
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (!f->fin)
			return ws_bad(code, WS_CLOSE_PROTOCOL);
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!f->fin || (p[1] & 0x7f) > 125)
			return ws_bad(code, WS_CLOSE_PROTOCOL);
		break;
	default: /* continuation or reserved */
		return ws_bad(code, WS_CLOSE_PROTOCOL);
	}
	f->len = p[1] & 0x7f;
	if (f->len == 126)
		need += 2;
	else if (f->len == 127)
		need += 8;
	if (n < need + 4)
		return 0;
	if (f->len == 126)
		f->len = (uint64_t)p[2] << 8 | p[3];
	else if (f->len == 127) {
		if (p[2] & 0x80)
			return ws_bad(code, WS_CLOSE_PROTOCOL);
		for (f->len = 0, i = 0; i < 8; i++)
			f->len = f->len << 8 | p[2 + i];
	}
	if (f->len > max)
		return ws_bad(code, WS_CLOSE_TOO_BIG);
	memcpy(f->mask, p + need, 4);
	f->hlen = need + 4;
	return 1;
}

void
ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], size_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] ^= mask[(off + i) & 3];
}

int
ws_close_code_ok(unsigned code)
{
	/* RFC 6455 7.4: 1004-1006 and 1015 never go on the wire; 1012-1014
	 * were registered later; 3000-4999 belong to applications. */
	if (code >= 1000 && code <= 1014)
		return code < 1004 || code > 1006;
	return code >= 3000 && code <= 4999;
}
