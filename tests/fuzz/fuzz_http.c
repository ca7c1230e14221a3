/*
 * Fuzz target for the HTTP side of the gateway: request heads as
 * conn_requests reads them (several pipelined in one buffer), then what
 * the gateway does with a parsed head: the WebSocket upgrade checks, the
 * subprotocol choice, the /ws query and the static file path, resolved
 * under a temporary web root made once; a path that resolves must stay
 * inside it.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/group.h"
#include "gateway/handshake.h"
#include "gateway/http.h"
#include "gateway/ws.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_HEADER_MAX 8192 /* the max_header default */

/* Short, so every path under them fits. */
static char fuzz_top[256], fuzz_www[300];

static void
fuzz_touch(const char *dir, const char *name)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) != NULL)
		fclose(fp);
}

static void
fuzz_cleanup(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/index.html", fuzz_www);
	unlink(path);
	snprintf(path, sizeof path, "%s/app.js", fuzz_www);
	unlink(path);
	rmdir(fuzz_www);
	snprintf(path, sizeof path, "%s/secret", fuzz_top);
	unlink(path);
	rmdir(fuzz_top);
}

/* TOP/www holds index.html and app.js; TOP/secret must never resolve. */
static void
fuzz_mkroot(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX], real[PATH_MAX];

	snprintf(path, sizeof path, "%s/vigil-fuzz.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(path) == NULL || realpath(path, real) == NULL ||
	    strlen(real) >= sizeof fuzz_top) {
		perror("mkdtemp");
		exit(1);
	}
	memcpy(fuzz_top, real, strlen(real) + 1);
	atexit(fuzz_cleanup);
	snprintf(fuzz_www, sizeof fuzz_www, "%s/www", fuzz_top);
	mkdir(fuzz_www, 0700);
	fuzz_touch(fuzz_www, "index.html");
	fuzz_touch(fuzz_www, "app.js");
	fuzz_touch(fuzz_top, "secret");
}

static void
fuzz_request(const struct request *r)
{
	char accept[WS_ACCEPT_LEN + 1], session[HANDSHAKE_SESSION_MAX + 1];
	char file[PATH_MAX];
	enum enc_format fmt;
	struct sel sel;
	uint64_t cursor;
	size_t wlen = strlen(fuzz_www);

	(void)handshake_upgrade(r, accept);
	(void)ws_subprotocol(r->ws_protocol, &fmt);
	if (r->if_none_match != NULL)
		(void)http_etag_match(r->if_none_match, "\"1f-2a\"");
	memset(&sel, 0, sizeof sel);
	if (handshake_query(r->query, &sel, session, &cursor) == 0) {
		if (strlen(session) > HANDSHAKE_SESSION_MAX)
			abort();
		group_sel_free(&sel);
	}
	if (http_path_resolve(fuzz_www, r->path, file, sizeof file) == 0 &&
	    (strncmp(file, fuzz_www, wlen) != 0 || file[wlen] != '/'))
		abort(); /* escaped the web root */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct request r;
	size_t have;

	if (fuzz_top[0] == '\0')
		fuzz_mkroot();
	while (size > 0) {
		have = size > FUZZ_HEADER_MAX ? FUZZ_HEADER_MAX : size;
		if (handshake_parse(p, have, FUZZ_HEADER_MAX, &r) != 200)
			break;
		if (r.hlen == 0 || r.hlen > have)
			abort();
		fuzz_request(&r);
		handshake_free(&r);
		p += r.hlen;
		size -= r.hlen;
	}
	return 0;
}
