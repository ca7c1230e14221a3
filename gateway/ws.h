/*
 * The WebSocket endpoint: takes over evhttp connections upgraded on /ws,
 * frames messages with wslay, and fans every message out to all clients in
 * the subprotocol each one chose (vigil.msgpack or vigil.json).
 */
#ifndef VIGIL_GATEWAY_WS_H
#define VIGIL_GATEWAY_WS_H

#include "gateway/message.h"

struct config;
struct event_base;
struct evhttp_request;
struct state;
struct ws_server;

/* The length of an accept value, without the NUL. */
#define WS_ACCEPT_LEN 28

struct ws_server *ws_server_new(struct event_base *base,
    const struct config *cf, struct state *st);
/* Close and free every client, then the server. */
void ws_server_free(struct ws_server *srv);
/* Answer an HTTP request for the WebSocket path: upgrade it or refuse. */
void ws_server_upgrade(struct ws_server *srv, struct evhttp_request *req);
/* Queue m to every open client. */
void ws_server_broadcast(struct ws_server *srv, const struct message *m);
unsigned ws_server_clients(const struct ws_server *srv);

/*
 * Sec-WebSocket-Accept for a Sec-WebSocket-Key; -1 when the key is not the
 * base64 form of 16 bytes.
 */
int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);
/*
 * Choose a format from a Sec-WebSocket-Protocol list (NULL: none offered).
 * Returns 1 with *fmt set to the first supported entry, which the server
 * must echo; 0 with JSON when none is offered or none is supported.
 */
int ws_subprotocol(const char *offered, enum message_format *fmt);
/* The subprotocol name of a format. */
const char *ws_subprotocol_name(enum message_format fmt);

#endif
