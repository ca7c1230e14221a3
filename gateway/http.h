/*
 * The gateway's HTTP side: routing of a parsed request to the WebSocket
 * upgrade (/ws), the JSON API (/api/snapshot, /api/series, /api/health),
 * /healthz, /metrics, or a static file under the www directory.
 */
#ifndef VIGIL_GATEWAY_HTTP_H
#define VIGIL_GATEWAY_HTTP_H

#include <stddef.h>

struct conn;
struct request;

/* Answer r on c; -1 if c was freed. */
int http_request(struct conn *c, const struct request *r);
/* Answer with an error status and a short text body; close unless keep. */
void http_error(struct conn *c, int status, int keep);

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
/* The ETag of a file from its size and modification time. */
void http_etag(char *out, size_t len, long long size, long long mtime_ns);
/* 1 if an If-None-Match value matches etag (or is "*"). */
int http_etag_match(const char *inm, const char *etag);

#endif
