/*
 * Fuzz target for client WebSocket frames: the loop of conn_frames in
 * gateway/conn.c without the connection, so every frame header in the
 * input is parsed with ws_parse_header, its payload unmasked in a buffer
 * of exactly its size, and text and binary messages read as subscribe
 * messages with handshake_subscribe, until a frame is incomplete or
 * refused. The first byte chooses the payload limit, from 0 to 1020.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/group.h"
#include "gateway/handshake.h"
#include "gateway/ws.h"
#include "tests/fuzz/fuzz.h"

static void
fuzz_message(int opcode, const uint8_t *p, size_t len)
{
	struct sel sel;
	size_t i;

	if (opcode != WS_OP_TEXT && opcode != WS_OP_BINARY)
		return;
	memset(&sel, 0, sizeof sel);
	if (handshake_subscribe((const char *)p, len, opcode == WS_OP_BINARY,
	        &sel) != 0) {
		if (sel.n != 0)
			abort(); /* refused, yet prefixes kept */
		return;
	}
	if (sel.n > GROUP_PREFIX_MAX ||
	    (sel.rate != 0 &&
	        !(sel.rate >= GROUP_RATE_MIN && sel.rate <= GROUP_RATE_MAX)))
		abort();
	for (i = 0; i < sel.n; i++)
		if (sel.prefixes[i] == NULL || sel.prefixes[i][0] == '\0')
			abort();
	group_sel_free(&sel);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_frame f;
	uint64_t max;
	uint8_t *payload;
	unsigned code;
	int rv;

	if (size == 0)
		return 0;
	max = (uint64_t)data[0] * 4;
	data++, size--;
	while (size > 0) {
		rv = ws_parse_header(data, size, max, &f, &code);
		if (rv == -1 && code != WS_CLOSE_PROTOCOL &&
		    code != WS_CLOSE_TOO_BIG)
			abort();
		if (rv != 1 || size < f.hlen + f.len)
			break;
		if (f.hlen > 14 || f.len > max)
			abort();
		payload = malloc(f.len > 0 ? f.len : 1);
		if (payload == NULL)
			break;
		memcpy(payload, data + f.hlen, f.len);
		ws_unmask(payload, f.len, f.mask, 0);
		fuzz_message(f.opcode, payload, f.len);
		free(payload);
		data += f.hlen + f.len;
		size -= f.hlen + f.len;
	}
	return 0;
}
