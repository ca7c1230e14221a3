/*
 * HTTP for the gateway. evhttp parses requests; this module routes them:
 * /ws goes to the WebSocket module, /api/snapshot returns the latest sample
 * of every source as JSON, anything else is a file under the www
 * directory. Paths are decoded once, refused when a segment is "." or ".."
 * in any spelling, then resolved with realpath(3) and checked to be inside
 * www, so neither ".." nor a symbolic link leads out of it. Only GET and
 * HEAD are served (405 otherwise).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "gateway/http.h"
#include "gateway/message.h"
#include "gateway/state.h"
#include "gateway/ws.h"

#define HTTP_BACKLOG 4096
#define HTTP_INDEX "index.html"

struct http {
	struct event_base *base;
	const struct config *cf;
	struct state *state;
	struct ws_server *ws;
	struct evhttp *evh;
	char *root; /* real path of www, NULL if missing */
};

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
	char *dec, join[PATH_MAX], real[PATH_MAX];
	size_t len;
	struct stat sb;
	int n;

	if (path == NULL || path[0] != '/')
		return 400;
	if ((dec = evhttp_uridecode(path, 0, &len)) == NULL)
		return 400;
	if (strlen(dec) != len || http_path_check(dec) == -1) {
		free(dec);
		return 400;
	}
	n = snprintf(join, sizeof join, "%s%s%s", root, dec,
	    dec[len - 1] == '/' ? HTTP_INDEX : "");
	free(dec);
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

static void
http_headers(struct evhttp_request *req, const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
}

static void
http_static(struct http *h, struct evhttp_request *req, const char *path)
{
	char file[PATH_MAX], size[32];
	struct evbuffer *buf;
	struct stat sb;
	int status, fd;

	status = h->root == NULL
	    ? 404
	    : http_path_resolve(h->root, path, file, sizeof file);
	if (status == 0 && (fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		status = 404;
	if (status != 0) {
		log_debug("%s: %d", path, status);
		evhttp_send_error(req, status, NULL);
		return;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		evhttp_send_error(req, 404, NULL);
		return;
	}
	buf = evbuffer_new();
	if (sb.st_size > 0 && evbuffer_add_file(buf, fd, 0, sb.st_size) == -1) {
		evbuffer_free(buf);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	if (sb.st_size == 0)
		close(fd);
	http_headers(req, http_mime_type(file));
	/* evhttp leaves it out of a HEAD reply. */
	snprintf(size, sizeof size, "%lld", (long long)sb.st_size);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Length", size);
	evhttp_send_reply(req, HTTP_OK, "OK", buf);
	evbuffer_free(buf);
}

/* {"sources":[sample, ...]}, each sample as sent to JSON clients. */
static void
http_snapshot(struct http *h, struct evhttp_request *req)
{
	const struct message *m;
	struct evbuffer *buf = evbuffer_new();
	size_t i, n = 0;

	evbuffer_add_printf(buf, "{\"clients\":%u,\"sources\":[",
	    ws_server_clients(h->ws));
	for (i = 0; i < h->state->nsources; i++) {
		if ((m = h->state->sources[i].latest) == NULL)
			continue;
		if (n++ > 0)
			evbuffer_add(buf, ",", 1);
		evbuffer_add(buf, m->data[MESSAGE_JSON], m->len[MESSAGE_JSON]);
	}
	evbuffer_add(buf, "]}\n", 3);
	http_headers(req, "application/json");
	evhttp_send_reply(req, HTTP_OK, "OK", buf);
	evbuffer_free(buf);
}

static void
http_request(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (path == NULL || path[0] == '\0')
		path = "/";
	if (strcmp(path, "/ws") == 0) {
		ws_server_upgrade(h->ws, req);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		evhttp_send_error(req, HTTP_BADMETHOD, NULL);
		return;
	}
	if (strcmp(path, "/api/snapshot") == 0)
		http_snapshot(h, req);
	else
		http_static(h, req, path);
}

struct http *
http_new(struct event_base *base, const struct config *cf, struct state *st,
    struct ws_server *ws)
{
	struct http *h = xcalloc(1, sizeof *h);
	struct timeval tv;

	h->base = base;
	h->cf = cf;
	h->state = st;
	h->ws = ws;
	if ((h->root = realpath(cf->gateway.www, NULL)) == NULL)
		log_warn("www directory %s", cf->gateway.www);
	if ((h->evh = evhttp_new(base)) == NULL)
		fatalx("%s: evhttp_new", __func__);
	tv.tv_sec = cf->gateway.handshake_timeout_ms / 1000;
	tv.tv_usec = (cf->gateway.handshake_timeout_ms % 1000) * 1000;
	evhttp_set_timeout_tv(h->evh, &tv);
	evhttp_set_max_headers_size(h->evh, cf->gateway.max_header);
	evhttp_set_max_body_size(h->evh, cf->gateway.max_message);
	evhttp_set_allowed_methods(h->evh,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	        EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(h->evh, http_request, h);
	return h;
}

static void
http_url(evutil_socket_t fd, char *url, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof ss;
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &slen) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, slen, host, sizeof host, port,
	        sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(url, len, "http://?/");
		return;
	}
	if (ss.ss_family == AF_INET6)
		snprintf(url, len, "http://[%s]:%s/", host, port);
	else
		snprintf(url, len, "http://%s:%s/", host, port);
}

int
http_listen(struct http *h, char *url, size_t len)
{
	struct evutil_addrinfo hints, *ai;
	struct evconnlistener *lev;
	char port[16];
	int rv;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV;
	snprintf(port, sizeof port, "%u", h->cf->gateway.port);
	rv = evutil_getaddrinfo(h->cf->gateway.address, port, &hints, &ai);
	if (rv != 0) {
		log_warnx("%s: %s", h->cf->gateway.address,
		    evutil_gai_strerror(rv));
		return -1;
	}
	lev = evconnlistener_new_bind(h->base, NULL, NULL,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    HTTP_BACKLOG, ai->ai_addr, ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
	if (lev == NULL) {
		log_warn("listen on %s port %s", h->cf->gateway.address, port);
		return -1;
	}
	if (evhttp_bind_listener(h->evh, lev) == NULL) {
		evconnlistener_free(lev);
		log_warnx("%s: evhttp_bind_listener failed", __func__);
		return -1;
	}
	http_url(evconnlistener_get_fd(lev), url, len);
	return 0;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->evh);
	free(h->root);
	free(h);
}
