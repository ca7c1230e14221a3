/*
 * HTTP for the gateway. Requests arrive parsed (handshake.c); replies are
 * written to the connection whole: status line, headers, then the body
 * unless the method is HEAD. Static paths are decoded once, refused when a
 * segment is "." or ".." in any spelling, then resolved with realpath(3)
 * and checked to be inside www, so neither ".." nor a symbolic link leads
 * out of it. Files carry an ETag from size and mtime, and a matching
 * If-None-Match gets 304. Only GET and HEAD are served (405 otherwise).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "gateway/conn.h"
#include "gateway/gateway.h"
#include "gateway/group.h"
#include "gateway/handshake.h"
#include "gateway/http.h"
#include "gateway/prom.h"

#define HTTP_INDEX "index.html"

static const struct {
	const char *ext;
	const char *type;
} http_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "ico", "image/x-icon" },
	{ "woff2", "font/woff2" },
	{ "wasm", "application/wasm" },
};

static const struct {
	int status;
	const char *reason;
} http_reasons[] = {
	{ 101, "Switching Protocols" },
	{ 200, "OK" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 426, "Upgrade Required" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http_mime_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	size_t i;

	if (dot != NULL && strchr(dot, '/') == NULL) {
		for (i = 0; i < sizeof http_types / sizeof http_types[0]; i++)
			if (strcasecmp(dot + 1, http_types[i].ext) == 0)
				return http_types[i].type;
	}
	return "application/octet-stream";
}

static const char *
http_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof http_reasons / sizeof http_reasons[0]; i++)
		if (http_reasons[i].status == status)
			return http_reasons[i].reason;
	return "Error";
}

/* 0 if every segment of a decoded path is a plain name. */
static int
http_path_check(const char *p)
{
	const char *seg, *end;
	size_t len;

	for (seg = p; *seg != '\0'; seg = end) {
		while (*seg == '/')
			seg++;
		end = seg + strcspn(seg, "/");
		len = end - seg;
		if ((len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return -1;
	}
	for (; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return -1;
	return 0;
}

/* realpath(3) of path, kept only when it is inside root. */
static int
http_path_inside(const char *root, const char *path, char *real)
{
	size_t rootlen = strlen(root);

	if (realpath(path, real) == NULL)
		return -1;
	if (strncmp(real, root, rootlen) != 0)
		return -1;
	if (root[rootlen - 1] != '/' && real[rootlen] != '/' &&
	    real[rootlen] != '\0')
		return -1;
	return 0;
}

int
http_path_resolve(const char *root, const char *path, char *out, size_t outlen)
{
	char dec[PATH_MAX], join[PATH_MAX], real[PATH_MAX];
	size_t len;
	struct stat sb;
	int n;

	if (path == NULL || path[0] != '/' || strlen(path) >= sizeof dec)
		return 400;
	if (handshake_unescape(path, strlen(path), dec, &len) == -1 ||
	    strlen(dec) != len || http_path_check(dec) == -1)
		return 400;
	n = snprintf(join, sizeof join, "%s%s%s", root, dec,
	    dec[len - 1] == '/' ? HTTP_INDEX : "");
	if (n < 0 || (size_t)n >= sizeof join)
		return 400;
	if (http_path_inside(root, join, real) == -1 || stat(real, &sb) == -1)
		return 404;
	if (S_ISDIR(sb.st_mode)) {
		n = snprintf(join, sizeof join, "%s/%s", real, HTTP_INDEX);
		if (n < 0 || (size_t)n >= sizeof join ||
		    http_path_inside(root, join, real) == -1 ||
		    stat(real, &sb) == -1)
			return 404;
	}
	if (!S_ISREG(sb.st_mode) || strlen(real) >= outlen)
		return 404;
	memcpy(out, real, strlen(real) + 1);
	return 0;
}

void
http_etag(char *out, size_t len, long long size, long long mtime_ns)
{
	snprintf(out, len, "\"%llx-%llx\"", (unsigned long long)size,
	    (unsigned long long)mtime_ns);
}

int
http_etag_match(const char *inm, const char *etag)
{
	size_t n = strlen(etag);
	const char *p;

	if (inm == NULL)
		return 0;
	for (p = inm; p != NULL; p = strchr(p, ',')) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * The status line and headers; extra is more header lines, each ending in
 * CRLF. The body (len bytes) follows unless HEAD or 304.
 */
static void
http_head(struct conn *c, int status, const char *type, size_t len,
    const char *extra, int keep)
{
	evbuffer_add_printf(conn_output(c),
	    "HTTP/1.1 %d %s\r\nServer: vigil-gateway\r\n"
	    "Content-Length: %zu\r\n%s%s%s"
	    "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n"
	    "%s%s\r\n",
	    status, http_reason(status), len, type ? "Content-Type: " : "",
	    type ? type : "", type ? "\r\n" : "", extra ? extra : "",
	    keep ? "" : "Connection: close\r\n");
}

/* Send the reply (body not sent for HEAD); -1 if c was freed. */
static int
http_reply(struct conn *c, const struct request *r, int status,
    const char *type, const void *body, size_t len, const char *extra)
{
	int keep = r != NULL && r->keepalive;

	c->gw->stats.http++;
	http_head(c, status, type, len, extra, keep);
	if (body != NULL && len > 0 &&
	    (r == NULL || strcmp(r->method, "HEAD") != 0))
		evbuffer_add(conn_output(c), body, len);
	if (conn_write(c, "", 0) == -1)
		return -1;
	if (!keep)
		conn_finish(c);
	return keep ? 0 : -1;
}

void
http_error(struct conn *c, int status, int keep)
{
	char body[80], extra[64] = "";

	snprintf(body, sizeof body, "%d %s\n", status, http_reason(status));
	if (status == 405)
		snprintf(extra, sizeof extra, "Allow: GET, HEAD\r\n");
	else if (status == 426)
		snprintf(extra, sizeof extra, "Sec-WebSocket-Version: 13\r\n");
	c->gw->stats.http++;
	http_head(c, status, "text/plain; charset=utf-8", strlen(body), extra,
	    keep);
	evbuffer_add(conn_output(c), body, strlen(body));
	if (conn_write(c, "", 0) == 0 && !keep)
		conn_finish(c);
}

static int
http_fail(struct conn *c, const struct request *r, int status)
{
	char body[80], extra[64] = "";

	snprintf(body, sizeof body, "%d %s\n", status, http_reason(status));
	if (status == 405)
		snprintf(extra, sizeof extra, "Allow: GET, HEAD\r\n");
	else if (status == 426)
		snprintf(extra, sizeof extra, "Sec-WebSocket-Version: 13\r\n");
	return http_reply(c, status >= 500 || status == 405 ? NULL : r, status,
	    "text/plain; charset=utf-8", body, strlen(body), extra);
}

static int
http_static(struct conn *c, const struct request *r)
{
	char file[PATH_MAX], etag[64], extra[160];
	struct stat sb;
	int status, fd = -1;

	status = c->gw->www == NULL
	    ? 404
	    : http_path_resolve(c->gw->www, r->path, file, sizeof file);
	if (status == 0 && (fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		status = 404;
	if (status == 0 && (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)))
		status = 404;
	if (status != 0) {
		if (fd != -1)
			close(fd);
		log_debug("%s: %s %d", conn_peer(c), r->path, status);
		return http_fail(c, r, status);
	}
	http_etag(etag, sizeof etag, (long long)sb.st_size,
	    (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec);
	snprintf(extra, sizeof extra, "ETag: %s\r\n", etag);
	if (http_etag_match(r->if_none_match, etag)) {
		close(fd);
		return http_reply(c, r, 304, NULL, NULL, 0, extra);
	}
	c->gw->stats.http++;
	http_head(c, 200, http_mime_type(file), sb.st_size, extra,
	    r->keepalive);
	if (strcmp(r->method, "HEAD") != 0 && sb.st_size > 0)
		evbuffer_add_file(conn_output(c), fd, 0, sb.st_size);
	else
		close(fd);
	if (conn_write(c, "", 0) == -1)
		return -1;
	if (!r->keepalive) {
		conn_finish(c);
		return -1;
	}
	return 0;
}

/* A JSON body built by fn, sent with status 200. */
static int
http_json(struct conn *c, const struct request *r,
    void (*fn)(struct gateway *, struct enc *))
{
	struct enc e;
	const char *p;
	size_t len;
	int rv;

	enc_init(&e, ENC_JSON, 0);
	fn(c->gw, &e);
	p = enc_data(&e, &len);
	rv = http_reply(c, r, 200, "application/json", p, len, NULL);
	enc_free(&e);
	return rv;
}

static void
http_meta_fields(struct enc *e, const struct series *s)
{
	enc_key(e, "name");
	enc_str(e, s->name);
	enc_key(e, "src");
	enc_str(e, s->src);
	enc_key(e, "unit");
	enc_str(e, s->unit != NULL ? s->unit : "");
	enc_key(e, "kind");
	enc_str(e, s->kind != NULL ? s->kind : "");
	enc_key(e, "desc");
	enc_str(e, s->desc != NULL ? s->desc : "");
}

static void
http_api_series(struct gateway *gw, struct enc *e)
{
	const struct series_table *t = &gw->state.series;
	size_t i;

	enc_map(e, 1);
	enc_key(e, "series");
	enc_array(e, t->n);
	for (i = 0; i < t->n; i++) {
		enc_map(e, 5);
		http_meta_fields(e, t->all[i]);
		enc_end(e);
	}
	enc_end(e);
	enc_end(e);
}

static void
http_api_snapshot(struct gateway *gw, struct enc *e)
{
	const struct series_table *t = &gw->state.series;
	const struct history_point *pt;
	const struct series *s;
	size_t i;

	enc_map(e, 3);
	enc_key(e, "cursor");
	enc_uint(e, gw->state.cursor);
	enc_key(e, "session");
	enc_str(e, gw->state.session);
	enc_key(e, "series");
	enc_array(e, t->n);
	for (i = 0; i < t->n; i++) {
		s = t->all[i];
		pt = history_last(&s->hist);
		enc_map(e, 7);
		http_meta_fields(e, s);
		enc_key(e, "t");
		if (s->text != NULL)
			enc_int(e, s->text_t);
		else if (pt != NULL)
			enc_int(e, pt->t);
		else
			enc_nil(e);
		enc_key(e, "v");
		if (s->text != NULL)
			enc_str(e, s->text);
		else if (pt != NULL)
			enc_double(e, pt->v);
		else
			enc_nil(e);
		enc_end(e);
	}
	enc_end(e);
	enc_end(e);
}

static void
http_api_gateway(struct gateway *gw, struct enc *e)
{
	const struct stats *st = &gw->stats;

	enc_map(e, 14);
	enc_key(e, "uptime");
	enc_int(e, gateway_mono_ms() - gw->started);
	enc_key(e, "clients");
	enc_uint(e, gw->nclients);
	enc_key(e, "connections");
	enc_uint(e, gw->nconns);
	enc_key(e, "opened");
	enc_uint(e, st->opened);
	enc_key(e, "closed");
	enc_uint(e, st->closed);
	enc_key(e, "frames_sent");
	enc_uint(e, st->frames);
	enc_key(e, "bytes_sent");
	enc_uint(e, st->bytes);
	enc_key(e, "batches_skipped");
	enc_uint(e, st->skipped);
	enc_key(e, "lag_closed");
	enc_uint(e, st->lag_closed);
	enc_key(e, "bus_messages");
	enc_uint(e, st->messages);
	enc_key(e, "bus_gaps");
	enc_uint(e, gw->state.gaps);
	enc_key(e, "bus_bad");
	enc_uint(e, st->bad);
	enc_key(e, "series");
	enc_uint(e, gw->state.series.n);
	enc_key(e, "series_dropped");
	enc_uint(e, gw->state.series.dropped);
	enc_end(e);
}

static void
http_api_health(struct gateway *gw, struct enc *e)
{
	const struct proto_health *h = &gw->state.health;
	const struct proto_role *r;
	size_t i;

	enc_map(e, 3);
	enc_key(e, "t");
	if (gw->state.has_health)
		enc_int(e, h->time_ns / 1000000);
	else
		enc_nil(e);
	enc_key(e, "roles");
	enc_array(e, gw->state.has_health ? h->nroles : 0);
	for (i = 0; gw->state.has_health && i < h->nroles; i++) {
		r = &h->roles[i];
		enc_map(e, 10);
		enc_key(e, "name");
		enc_str(e, r->name);
		enc_key(e, "state");
		enc_str(e, r->state);
		enc_key(e, "pid");
		enc_int(e, r->pid);
		enc_key(e, "uptime");
		enc_int(e, r->uptime_ms);
		enc_key(e, "restarts");
		enc_uint(e, r->restarts);
		enc_key(e, "exit");
		enc_str(e, r->exit);
		enc_key(e, "retry");
		enc_int(e, r->retry_ms);
		enc_key(e, "cpu");
		enc_double(e, r->cpu);
		enc_key(e, "rss");
		enc_uint(e, r->rss);
		enc_key(e, "fds");
		enc_uint(e, r->fds);
		enc_end(e);
	}
	enc_end(e);
	enc_key(e, "gateway");
	http_api_gateway(gw, e);
	enc_end(e);
}

static int
http_healthz(struct conn *c, const struct request *r)
{
	struct gateway *gw = c->gw;
	int64_t age = gateway_mono_ms() - gw->state.last_sample;

	if (gw->state.last_sample == 0 || age > gw->cf->gateway.stale_after_ms)
		return http_reply(c, r, 503, "text/plain; charset=utf-8",
		    "stale\n", 6, NULL);
	return http_reply(c, r, 200, "text/plain; charset=utf-8", "ok\n", 3,
	    NULL);
}

static int
http_metrics(struct conn *c, const struct request *r)
{
	struct evbuffer *b = evbuffer_new();
	size_t len;
	int rv;

	prom_write(c->gw, b);
	len = evbuffer_get_length(b);
	rv = http_reply(c, r, 200, "text/plain; version=0.0.4; charset=utf-8",
	    evbuffer_pullup(b, -1), len, NULL);
	evbuffer_free(b);
	return rv;
}

static int
http_upgrade(struct conn *c, const struct request *r)
{
	struct gateway *gw = c->gw;
	char accept[WS_ACCEPT_LEN + 1], session[HANDSHAKE_SESSION_MAX + 1];
	enum enc_format fmt;
	struct sel sel;
	uint64_t cursor;
	int status, echo, rv;

	if ((status = handshake_upgrade(r, accept)) != 0)
		return http_fail(c, r, status);
	if (gw->nclients >= gw->cf->gateway.max_clients) {
		log_warnx("%u WebSocket clients: %s refused", gw->nclients,
		    conn_peer(c));
		return http_fail(c, r, 503);
	}
	memset(&sel, 0, sizeof sel);
	if (handshake_query(r->query, &sel, session, &cursor) != 0)
		return http_fail(c, r, 400);
	echo = ws_subprotocol(r->ws_protocol, &fmt);
	evbuffer_add_printf(conn_output(c),
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n%s%s%s\r\n",
	    accept, echo ? "Sec-WebSocket-Protocol: " : "",
	    echo ? ws_subprotocol_name(fmt) : "", echo ? "\r\n" : "");
	log_debug("%s: WebSocket client (%s, %u open)", conn_peer(c),
	    ws_subprotocol_name(fmt), gw->nclients + 1);
	rv = conn_open(c, fmt, &sel, session, cursor);
	group_sel_free(&sel);
	return rv;
}

int
http_request(struct conn *c, const struct request *r)
{
	const char *p = r->path;

	if (strcmp(p, "/ws") == 0)
		return http_upgrade(c, r);
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return http_fail(c, r, 405);
	if (strcmp(p, "/api/snapshot") == 0)
		return http_json(c, r, http_api_snapshot);
	if (strcmp(p, "/api/series") == 0)
		return http_json(c, r, http_api_series);
	if (strcmp(p, "/api/health") == 0)
		return http_json(c, r, http_api_health);
	if (strcmp(p, "/healthz") == 0)
		return http_healthz(c, r);
	if (strcmp(p, "/metrics") == 0)
		return http_metrics(c, r);
	return http_static(c, r);
}
