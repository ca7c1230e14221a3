/*
 * WebSocket clients. evhttp parses the upgrade request on /ws; the
 * handshake is checked here, the 101 written by hand, and the connection
 * taken over: the request is owned, its bufferevent gets our callbacks and
 * loses evhttp's timeouts, and a wslay event context does the framing.
 * Every message is encoded once per subprotocol (message.c) and queued to
 * each client in its own format. A client whose queue grows past
 * WS_QUEUE_MAX is closed with 1008; any error or bad frame closes only that
 * client. A client has one _new and one _free, and _free undoes all of it:
 * wslay context, evhttp connection (and with it the socket), owned request.
 */
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <nettle/base64.h>
#include <nettle/sha1.h>
#include <wslay/wslay.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "gateway/state.h"
#include "gateway/ws.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LEN 24                  /* base64 of 16 bytes */
#define WS_OUTPUT_HIGH (256 * 1024)    /* bytes handed to the socket */
#define WS_QUEUE_MAX (4 * 1024 * 1024) /* bytes waiting per client */
#define WS_CLOSE_POLICY 1008

struct ws_client {
	TAILQ_ENTRY(ws_client) entry;
	struct ws_server *srv;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	wslay_event_context_ptr ctx;
	enum message_format format;
	int closing;
	char peer[64];
};

struct ws_server {
	struct event_base *base;
	const struct config *cf;
	struct state *state;
	struct message *hello;
	TAILQ_HEAD(, ws_client) clients;
	unsigned nclients;
};

static const char *ws_names[MESSAGE_NFORMATS] = {
	[MESSAGE_JSON] = "vigil.json",
	[MESSAGE_MSGPACK] = "vigil.msgpack",
};

static void ws_client_free(struct ws_client *);

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

static int
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
ws_subprotocol_name(enum message_format fmt)
{
	return ws_names[fmt];
}

int
ws_subprotocol(const char *offered, enum message_format *fmt)
{
	const char *tok;
	size_t len;
	int f;

	*fmt = MESSAGE_JSON;
	if (offered == NULL)
		return 0;
	while ((tok = ws_token(&offered, &len)) != NULL) {
		for (f = 0; f < MESSAGE_NFORMATS; f++) {
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

static ssize_t
ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *arg)
{
	struct ws_client *c = arg;
	int n;

	(void)flags;
	n = evbuffer_remove(bufferevent_get_input(c->bev), buf, len);
	if (n <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	return n;
}

/* Hand frames to the socket until WS_OUTPUT_HIGH bytes wait there. */
static ssize_t
ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct ws_client *c = arg;
	struct evbuffer *out = bufferevent_get_output(c->bev);

	(void)flags;
	if (evbuffer_get_length(out) >= WS_OUTPUT_HIGH) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (evbuffer_add(out, data, len) == -1) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return len;
}

/* Client messages carry nothing yet: read (bounded) and ignored. */
static void
ws_msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
	struct ws_client *c = user;

	(void)ctx;
	if (arg->opcode == WSLAY_CONNECTION_CLOSE)
		log_debug("%s: close %u", c->peer, arg->status_code);
	else if (arg->opcode == WSLAY_TEXT_FRAME ||
	    arg->opcode == WSLAY_BINARY_FRAME)
		log_debug("%s: ignored a %zu byte message", c->peer,
		    arg->msg_length);
}

static const struct wslay_event_callbacks ws_callbacks = {
	.recv_callback = ws_recv_cb,
	.send_callback = ws_send_cb,
	.on_msg_recv_callback = ws_msg_cb,
};

/*
 * A closing client gets handshake_timeout_ms, reading and writing, to
 * finish the close handshake and take what is left.
 */
static void
ws_client_closing(struct ws_client *c)
{
	struct timeval tv;
	unsigned ms = c->srv->cf->gateway.handshake_timeout_ms;

	if (c->closing)
		return;
	c->closing = 1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
}

/* Push queued frames out; -1 when the client is done or broken. */
static int
ws_client_flush(struct ws_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (wslay_event_send(c->ctx) != 0)
		return -1;
	if (!wslay_event_want_read(c->ctx)) {
		bufferevent_disable(c->bev, EV_READ);
		ws_client_closing(c);
		if (!wslay_event_want_write(c->ctx) &&
		    evbuffer_get_length(out) == 0)
			return -1;
	}
	return 0;
}

static void
ws_client_readcb(struct bufferevent *bev, void *arg)
{
	struct ws_client *c = arg;

	(void)bev;
	if (wslay_event_recv(c->ctx) != 0) {
		log_debug("%s: bad frame, closing", c->peer);
		ws_client_free(c);
		return;
	}
	if (ws_client_flush(c) == -1)
		ws_client_free(c);
}

static void
ws_client_writecb(struct bufferevent *bev, void *arg)
{
	struct ws_client *c = arg;

	(void)bev;
	if (ws_client_flush(c) == -1)
		ws_client_free(c);
}

static void
ws_client_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct ws_client *c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("%s: timed out", c->peer);
	else if (what & BEV_EVENT_ERROR)
		log_debug("%s: connection error", c->peer);
	else
		log_debug("%s: disconnected", c->peer);
	ws_client_free(c);
}

static void
ws_client_queue(struct ws_client *c, const struct message *m)
{
	struct wslay_event_msg msg;

	msg.opcode =
	    c->format == MESSAGE_JSON ? WSLAY_TEXT_FRAME : WSLAY_BINARY_FRAME;
	msg.msg = (const uint8_t *)m->data[c->format];
	msg.msg_length = m->len[c->format];
	if (wslay_event_queue_msg(c->ctx, &msg) != 0)
		log_debug("%s: message not queued", c->peer);
}

/* Refuse a client that does not keep up: 1008, then close. */
static void
ws_client_slow(struct ws_client *c)
{
	log_warnx("%s: over %d bytes queued, closing", c->peer, WS_QUEUE_MAX);
	wslay_event_queue_close(c->ctx, WS_CLOSE_POLICY,
	    (const uint8_t *)"too slow", 8);
	ws_client_closing(c);
}

static struct ws_client *
ws_client_new(struct ws_server *srv, struct evhttp_request *req,
    enum message_format fmt)
{
	struct ws_client *c = xcalloc(1, sizeof *c);
	char *addr = NULL;
	ev_uint16_t port = 0;

	c->srv = srv;
	c->req = req;
	c->format = fmt;
	evhttp_request_own(req);
	c->evcon = evhttp_request_get_connection(req);
	c->bev = evhttp_connection_get_bufferevent(c->evcon);
	evhttp_connection_get_peer(c->evcon, &addr, &port);
	snprintf(c->peer, sizeof c->peer, "%s:%u", addr ? addr : "?", port);
	if (wslay_event_context_server_init(&c->ctx, &ws_callbacks, c) != 0)
		fatalx("%s: wslay_event_context_server_init", __func__);
	wslay_event_config_set_max_recv_msg_length(c->ctx,
	    srv->cf->gateway.max_message);
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	bufferevent_setwatermark(c->bev, EV_WRITE, WS_OUTPUT_HIGH / 2, 0);
	bufferevent_setcb(c->bev, ws_client_readcb, ws_client_writecb,
	    ws_client_eventcb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&srv->clients, c, entry);
	srv->nclients++;
	return c;
}

static void
ws_client_free(struct ws_client *c)
{
	struct ws_server *srv = c->srv;

	log_info("%s: WebSocket client gone (%u left)", c->peer,
	    srv->nclients - 1);
	TAILQ_REMOVE(&srv->clients, c, entry);
	srv->nclients--;
	wslay_event_context_free(c->ctx);
	evhttp_connection_free(c->evcon);
	evhttp_request_free(c->req);
	free(c);
}

/* Every Sec-WebSocket-Protocol header, joined with commas. */
static char *
ws_offered(struct evkeyvalq *headers)
{
	struct evkeyval *kv;
	char *list = NULL, *tmp;

	TAILQ_FOREACH(kv, headers, next)
	{
		if (strcasecmp(kv->key, "Sec-WebSocket-Protocol") != 0)
			continue;
		if (list == NULL)
			list = xstrdup(kv->value);
		else {
			xasprintf(&tmp, "%s,%s", list, kv->value);
			free(list);
			list = tmp;
		}
	}
	return list;
}

/* 0 for a valid upgrade request, else the HTTP status to answer. */
static int
ws_check(struct evhttp_request *req, char accept[WS_ACCEPT_LEN + 1])
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *version;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET)
		return HTTP_BADMETHOD;
	if (!ws_has_token(evhttp_find_header(h, "Upgrade"), "websocket") ||
	    !ws_has_token(evhttp_find_header(h, "Connection"), "upgrade"))
		return HTTP_BADREQUEST;
	version = evhttp_find_header(h, "Sec-WebSocket-Version");
	if (version == NULL || strcmp(version, "13") != 0)
		return 426;
	if (ws_accept_key(evhttp_find_header(h, "Sec-WebSocket-Key"), accept) ==
	    -1)
		return HTTP_BADREQUEST;
	return 0;
}

static void
ws_refuse(struct evhttp_request *req, int status, const char *reason)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	if (status == 426)
		evhttp_add_header(out, "Sec-WebSocket-Version", "13");
	else if (status == HTTP_BADMETHOD)
		evhttp_add_header(out, "Allow", "GET");
	evhttp_send_error(req, status, reason);
}

static void
ws_hello(struct ws_server *srv, struct ws_client *c)
{
	struct state_source *src;
	size_t i;

	ws_client_queue(c, srv->hello);
	for (i = 0; i < srv->state->nsources; i++) {
		src = &srv->state->sources[i];
		if (src->latest != NULL)
			ws_client_queue(c, src->latest);
	}
}

void
ws_server_upgrade(struct ws_server *srv, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	struct ws_client *c;
	enum message_format fmt;
	char accept[WS_ACCEPT_LEN + 1], *offered;
	int status, echo;

	if ((status = ws_check(req, accept)) != 0) {
		log_debug("bad WebSocket upgrade: %d", status);
		ws_refuse(req, status, NULL);
		return;
	}
	if (srv->nclients >= srv->cf->gateway.max_clients) {
		log_warnx("%u WebSocket clients, refusing another",
		    srv->nclients);
		ws_refuse(req, HTTP_SERVUNAVAIL, "Too Many Clients");
		return;
	}
	offered = ws_offered(h);
	echo = ws_subprotocol(offered, &fmt);
	free(offered);

	c = ws_client_new(srv, req, fmt);
	evbuffer_add_printf(bufferevent_get_output(c->bev),
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n%s%s%s\r\n",
	    accept, echo ? "Sec-WebSocket-Protocol: " : "",
	    echo ? ws_names[fmt] : "", echo ? "\r\n" : "");
	log_info("%s: WebSocket client (%s, %u open)", c->peer, ws_names[fmt],
	    srv->nclients);
	ws_hello(srv, c);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		ws_client_readcb(c->bev, c);
	else if (ws_client_flush(c) == -1)
		ws_client_free(c);
}

void
ws_server_broadcast(struct ws_server *srv, const struct message *m)
{
	struct ws_client *c, *next;
	size_t queued;

	for (c = TAILQ_FIRST(&srv->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->closing)
			continue;
		queued = wslay_event_get_queued_msg_length(c->ctx) +
		    evbuffer_get_length(bufferevent_get_output(c->bev));
		if (queued > WS_QUEUE_MAX)
			ws_client_slow(c);
		else
			ws_client_queue(c, m);
		if (ws_client_flush(c) == -1)
			ws_client_free(c);
	}
}

struct ws_server *
ws_server_new(struct event_base *base, const struct config *cf,
    struct state *st)
{
	struct ws_server *srv = xcalloc(1, sizeof *srv);
	char *server;

	srv->base = base;
	srv->cf = cf;
	srv->state = st;
	TAILQ_INIT(&srv->clients);
	xasprintf(&server, "vigil-gateway %s", PACKAGE_VERSION);
	srv->hello = message_hello(server, cf->host);
	free(server);
	return srv;
}

void
ws_server_free(struct ws_server *srv)
{
	if (srv == NULL)
		return;
	while (!TAILQ_EMPTY(&srv->clients))
		ws_client_free(TAILQ_FIRST(&srv->clients));
	message_free(srv->hello);
	free(srv);
}

unsigned
ws_server_clients(const struct ws_server *srv)
{
	return srv->nclients;
}
