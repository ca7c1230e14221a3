/*
 * The messages the gateway sends to WebSocket clients (hello, sample), each
 * encoded once per subprotocol: a msgpack map for vigil.msgpack and a JSON
 * object for vigil.json, with the same structure in both.
 */
#ifndef VIGIL_GATEWAY_MESSAGE_H
#define VIGIL_GATEWAY_MESSAGE_H

#include <stddef.h>

struct proto_sample;

/* Version of the WebSocket protocol, sent in the hello. */
#define MESSAGE_VERSION 1

enum message_format {
	MESSAGE_JSON = 0,
	MESSAGE_MSGPACK,
	MESSAGE_NFORMATS,
};

struct message {
	char *data[MESSAGE_NFORMATS];
	size_t len[MESSAGE_NFORMATS];
};

/* Both encodings of a hello naming this gateway and its host. */
struct message *message_hello(const char *server, const char *host);
/* Both encodings of a sample; NaN and infinities become null. */
struct message *message_sample(const struct proto_sample *s);
void message_free(struct message *m);

#endif
