/*
 * The gateway's HTTP side, one evhttp on one port: the dashboard's static
 * files from the www directory, a JSON snapshot at /api/snapshot, and the
 * WebSocket upgrade at /ws, handed to ws.c.
 */
#ifndef VIGIL_GATEWAY_HTTP_H
#define VIGIL_GATEWAY_HTTP_H

#include <stddef.h>

struct config;
struct event_base;
struct http;
struct state;
struct ws_server;

struct http *http_new(struct event_base *base, const struct config *cf,
    struct state *st, struct ws_server *ws);
/*
 * Listen on the configured address and port; url gets the address actually
 * bound ("http://ADDR:PORT/"). Returns 0 or -1 (logged).
 */
int http_listen(struct http *h, char *url, size_t len);
void http_free(struct http *h);

/*
 * Map a request path (still percent-encoded) to a regular file under root,
 * which must be a real path (see realpath(3)). "/" and directories give
 * their index.html. Returns 0 with the file's real path in out, or the HTTP
 * status to answer: 400 for a path that is malformed or climbs out with
 * "..", 404 for a file that does not exist or resolves outside root.
 */
int http_path_resolve(const char *root, const char *path, char *out,
    size_t outlen);
/* The Content-Type for a file name. */
const char *http_mime_type(const char *path);

#endif
