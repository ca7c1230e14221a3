/*
 * A strict reader of HTTP/1.x request heads. The head must end with an
 * empty line within max_header bytes (else 431); the request line must be
 * "METHOD SP target SP HTTP/1.x" with an origin-form target; header names
 * are tokens and values hold no control characters; folded lines,
 * duplicate conflicting Content-Length, and HTTP/1.1 without Host are 400.
 * The gateway takes no request bodies: a request announcing one is
 * answered and the connection closed.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <msgpack.h>

#include "common/proto.h"
#include "common/xmalloc.h"
#include "gateway/group.h"
#include "gateway/handshake.h"

static const char *
handshake_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' &&
		    buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return buf + i + 1;
	return NULL;
}

static int
handshake_tchar(int ch)
{
	return isalnum(ch) || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch));
}

static int
handshake_line(struct request *r, char *line)
{
	char *sp1, *sp2, *q;

	if ((sp1 = strchr(line, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL || strchr(sp2 + 1, ' '))
		return 400;
	*sp1 = *sp2 = '\0';
	for (q = line; *q != '\0'; q++)
		if (!handshake_tchar((unsigned char)*q))
			return 400;
	if (line[0] == '\0' || sp1[1] != '/')
		return 400;
	for (q = sp1 + 1; *q != '\0'; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return 400;
	if (strncmp(sp2 + 1, "HTTP/", 5) != 0)
		return 400;
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		r->minor = 1;
	else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		r->minor = 0;
	else if (isdigit((unsigned char)sp2[6]) && sp2[7] == '.' &&
	    isdigit((unsigned char)sp2[8]) && sp2[9] == '\0')
		return 505;
	else
		return 400;
	r->method = line;
	r->path = sp1 + 1;
	if ((q = strchr(sp1 + 1, '?')) != NULL) {
		*q = '\0';
		r->query = q + 1;
	}
	return 0;
}

static int
handshake_length(struct request *r, const char *v)
{
	char *end;
	long long n;

	if (!isdigit((unsigned char)v[0]))
		return 400;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end != '\0' || errno != 0 ||
	    (r->content_length >= 0 && r->content_length != n))
		return 400;
	r->content_length = n;
	return 0;
}

static void
handshake_join(char **list, const char *v)
{
	char *tmp;

	if (*list == NULL)
		*list = xstrdup(v);
	else {
		xasprintf(&tmp, "%s,%s", *list, v);
		free(*list);
		*list = tmp;
	}
}

static int
handshake_header(struct request *r, const char *name, const char *v)
{
	if (strcasecmp(name, "Host") == 0)
		r->host = v;
	else if (strcasecmp(name, "Upgrade") == 0)
		r->upgrade = v;
	else if (strcasecmp(name, "Connection") == 0)
		r->connection = v;
	else if (strcasecmp(name, "Sec-WebSocket-Key") == 0)
		r->ws_key = v;
	else if (strcasecmp(name, "Sec-WebSocket-Version") == 0)
		r->ws_version = v;
	else if (strcasecmp(name, "Sec-WebSocket-Protocol") == 0)
		handshake_join(&r->ws_protocol, v);
	else if (strcasecmp(name, "If-None-Match") == 0)
		r->if_none_match = v;
	else if (strcasecmp(name, "Content-Length") == 0)
		return handshake_length(r, v);
	else if (strcasecmp(name, "Transfer-Encoding") == 0)
		r->chunked = 1;
	return 0;
}

/* One "Name: value" line, cut in place. */
static int
handshake_field(struct request *r, char *line)
{
	char *colon, *v, *end, *p;

	if ((colon = strchr(line, ':')) == NULL || colon == line)
		return 400;
	*colon = '\0';
	for (p = line; *p != '\0'; p++)
		if (!handshake_tchar((unsigned char)*p))
			return 400;
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	for (p = v; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 400;
	return handshake_header(r, line, v);
}

static int
handshake_lines(struct request *r)
{
	char *line = r->raw, *eol;
	int status, first = 1;

	for (; (eol = strstr(line, "\r\n")) != NULL; line = eol + 2) {
		*eol = '\0';
		if (line[0] == '\0')
			break;
		if (first)
			status = handshake_line(r, line);
		else if (line[0] == ' ' || line[0] == '\t')
			status = 400; /* obsolete line folding */
		else
			status = handshake_field(r, line);
		if (status != 0)
			return status;
		first = 0;
	}
	if (first)
		return 400;
	if (r->minor == 1 && r->host == NULL)
		return 400;
	if (r->minor == 1)
		r->keepalive = !ws_has_token(r->connection, "close");
	else
		r->keepalive = ws_has_token(r->connection, "keep-alive");
	return 0;
}

int
handshake_parse(const char *buf, size_t len, size_t max, struct request *r)
{
	const char *end;
	size_t skip = 0;
	int status;

	memset(r, 0, sizeof *r);
	r->content_length = -1;
	/* Empty lines before a request are ignored (RFC 9112, 2.2). */
	while (skip + 1 < len && buf[skip] == '\r' && buf[skip + 1] == '\n')
		skip += 2;
	end = handshake_end(buf + skip, len - skip > max ? max : len - skip);
	if (end == NULL)
		return len - skip >= max ? 431 : 0;
	r->hlen = end - buf;
	r->raw = xstrndup(buf + skip, end - (buf + skip));
	if (strlen(r->raw) != (size_t)(end - (buf + skip)))
		status = 400; /* a NUL byte */
	else
		status = handshake_lines(r);
	if (status != 0) {
		handshake_free(r);
		return status;
	}
	return 200;
}

void
handshake_free(struct request *r)
{
	free(r->raw);
	free(r->ws_protocol);
	r->raw = r->ws_protocol = NULL;
}

int
handshake_upgrade(const struct request *r, char accept[WS_ACCEPT_LEN + 1])
{
	if (strcmp(r->method, "GET") != 0)
		return 405;
	if (!ws_has_token(r->upgrade, "websocket") ||
	    !ws_has_token(r->connection, "upgrade") || r->minor != 1)
		return 400;
	if (r->ws_version == NULL || strcmp(r->ws_version, "13") != 0)
		return 426;
	if (ws_accept_key(r->ws_key, accept) == -1)
		return 400;
	return 0;
}

static int
handshake_hex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower((unsigned char)ch); /* json_string passes a plain char */
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int
handshake_unescape(const char *in, size_t n, char *out, size_t *outlen)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		if (i + 2 >= n)
			return -1;
		if ((hi = handshake_hex((unsigned char)in[i + 1])) < 0 ||
		    (lo = handshake_hex((unsigned char)in[i + 2])) < 0)
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

static int
handshake_prefixes(struct sel *sel, const char *v, size_t n)
{
	const char *p = v, *comma, *end = v + n;

	while (p < end) {
		comma = memchr(p, ',', end - p);
		if (comma == NULL)
			comma = end;
		if (group_sel_add(sel, p, comma - p) == -1)
			return -1;
		p = comma + 1;
	}
	return 0;
}

static int
handshake_param(const char *key, const char *v, size_t n, struct sel *sel,
    char *session, uint64_t *cursor)
{
	char *end;

	if (strcmp(key, "prefix") == 0)
		return handshake_prefixes(sel, v, n);
	if (strcmp(key, "rate") == 0) {
		errno = 0;
		sel->rate = strtod(v, &end);
		if (n == 0 || *end != '\0' || errno != 0 ||
		    !isfinite(sel->rate) || sel->rate < GROUP_RATE_MIN ||
		    sel->rate > GROUP_RATE_MAX)
			return -1;
		return 0;
	}
	if (strcmp(key, "session") == 0) {
		if (n > HANDSHAKE_SESSION_MAX)
			return -1;
		memcpy(session, v, n + 1);
		return 0;
	}
	if (strcmp(key, "cursor") == 0) {
		errno = 0;
		if (n == 0 || !isdigit((unsigned char)v[0]))
			return -1;
		*cursor = strtoull(v, &end, 10);
		return *end != '\0' || errno != 0 ? -1 : 0;
	}
	return 0;
}

int
handshake_query(const char *query, struct sel *sel,
    char session[HANDSHAKE_SESSION_MAX + 1], uint64_t *cursor)
{
	const char *p, *amp, *eq, *next;
	char key[16], *v;
	size_t klen, n;
	int rv = 0;

	session[0] = '\0';
	*cursor = 0;
	for (p = query; p != NULL && *p != '\0' && rv == 0; p = next) {
		amp = p + strcspn(p, "&");
		next = *amp == '&' ? amp + 1 : amp;
		eq = memchr(p, '=', amp - p);
		klen = (eq != NULL ? eq : amp) - p;
		if (klen == 0 || klen >= sizeof key)
			continue;
		memcpy(key, p, klen);
		key[klen] = '\0';
		eq = eq != NULL ? eq + 1 : amp;
		n = amp - eq;
		v = xmalloc(n + 1);
		if (handshake_unescape(eq, n, v, &n) == -1 || strlen(v) != n ||
		    handshake_param(key, v, n, sel, session, cursor) == -1)
			rv = 400;
		free(v);
	}
	if (rv != 0)
		group_sel_free(sel);
	else
		group_sel_normalize(sel);
	return rv;
}

/*
 * Client messages. The JSON reader knows just enough for the subscribe
 * message: one object whose values are strings, numbers, booleans, null or
 * arrays of those; anything deeper is refused.
 */
struct json {
	const char *p;
	const char *end;
};

static void
json_ws(struct json *j)
{
	while (j->p < j->end &&
	    (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
json_lit(struct json *j, char ch)
{
	json_ws(j);
	if (j->p >= j->end || *j->p != ch)
		return -1;
	j->p++;
	return 0;
}

/* A string into out (size max); escapes beyond \u00XX are refused. */
static int
json_string(struct json *j, char *out, size_t max)
{
	size_t n = 0;
	int ch, hi, lo;

	if (json_lit(j, '"') == -1)
		return -1;
	while (j->p < j->end && *j->p != '"') {
		ch = (unsigned char)*j->p++;
		if (ch == '\\') {
			if (j->p >= j->end)
				return -1;
			ch = (unsigned char)*j->p++;
			if (ch == 'u') {
				if (j->end - j->p < 4 || j->p[0] != '0' ||
				    j->p[1] != '0' ||
				    (hi = handshake_hex(j->p[2])) < 0 ||
				    (lo = handshake_hex(j->p[3])) < 0)
					return -1;
				ch = hi << 4 | lo;
				j->p += 4;
			} else if (ch == 'n')
				ch = '\n';
			else if (ch == 't')
				ch = '\t';
			else if (ch != '"' && ch != '\\' && ch != '/')
				return -1;
		}
		if (ch == 0 || n + 1 >= max)
			return -1;
		out[n++] = ch;
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	out[n] = '\0';
	return 0;
}

static int
json_number(struct json *j, double *v)
{
	char buf[64], *end;
	size_t n = 0;

	json_ws(j);
	while (j->p + n < j->end && n < sizeof buf - 1 &&
	    strchr("+-.0123456789eE", j->p[n]) != NULL && j->p[n] != '\0')
		n++;
	if (n == 0)
		return -1;
	memcpy(buf, j->p, n);
	buf[n] = '\0';
	*v = strtod(buf, &end);
	if (*end != '\0')
		return -1;
	j->p += n;
	return 0;
}

/* A scalar we do not need: string, number, true, false, null. */
static int
json_skip_scalar(struct json *j)
{
	static const char *const words[] = { "true", "false", "null" };
	char buf[PROTO_NAME_MAX + 1];
	size_t i, n;
	double v;

	json_ws(j);
	if (j->p < j->end && *j->p == '"')
		return json_string(j, buf, sizeof buf);
	for (i = 0; i < 3; i++) {
		n = strlen(words[i]);
		if ((size_t)(j->end - j->p) >= n &&
		    strncmp(j->p, words[i], n) == 0) {
			j->p += n;
			return 0;
		}
	}
	return json_number(j, &v);
}

static int
json_prefixes(struct json *j, struct sel *sel)
{
	char buf[PROTO_NAME_MAX + 1];

	if (json_lit(j, '[') == -1)
		return -1;
	json_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return 0;
	}
	do {
		if (json_string(j, buf, sizeof buf) == -1 ||
		    group_sel_add(sel, buf, strlen(buf)) == -1)
			return -1;
	} while (json_lit(j, ',') == 0);
	return json_lit(j, ']');
}

static int
json_value(struct json *j, const char *key, struct sel *sel, int *is_sub)
{
	char buf[32];

	json_ws(j);
	if (strcmp(key, "type") == 0) {
		if (j->p < j->end && *j->p != '"')
			return json_skip_scalar(j);
		if (json_string(j, buf, sizeof buf) == -1)
			return 0; /* long: not "subscribe" */
		*is_sub = strcmp(buf, "subscribe") == 0;
		return 0;
	}
	if (strcmp(key, "prefix") == 0)
		return json_prefixes(j, sel);
	if (strcmp(key, "rate") == 0)
		return json_number(j, &sel->rate);
	if (j->p < j->end && *j->p == '[') {
		j->p++;
		json_ws(j);
		if (j->p < j->end && *j->p == ']')
			return j->p++, 0;
		do {
			if (json_skip_scalar(j) == -1)
				return -1;
		} while (json_lit(j, ',') == 0);
		return json_lit(j, ']');
	}
	return json_skip_scalar(j);
}

static int
subscribe_json(const char *p, size_t len, struct sel *sel, int *is_sub)
{
	struct json j = { p, p + len };
	char key[256];

	if (json_lit(&j, '{') == -1)
		return -1;
	json_ws(&j);
	if (j.p < j.end && *j.p == '}')
		j.p++;
	else {
		do {
			if (json_string(&j, key, sizeof key) == -1 ||
			    json_lit(&j, ':') == -1 ||
			    json_value(&j, key, sel, is_sub) == -1)
				return -1;
		} while (json_lit(&j, ',') == 0);
		if (json_lit(&j, '}') == -1)
			return -1;
	}
	json_ws(&j);
	return j.p == j.end ? 0 : -1;
}

static int
mp_is(const msgpack_object *o, const char *s)
{
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
	    memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

static int
subscribe_mp_field(const msgpack_object_kv *kv, struct sel *sel, int *is_sub)
{
	const msgpack_object *v = &kv->val;
	uint32_t i;

	if (mp_is(&kv->key, "type"))
		*is_sub = mp_is(v, "subscribe");
	else if (mp_is(&kv->key, "rate")) {
		if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			sel->rate = (double)v->via.u64;
		else if (v->type == MSGPACK_OBJECT_FLOAT64 ||
		    v->type == MSGPACK_OBJECT_FLOAT32)
			sel->rate = v->via.f64;
		else
			return -1;
	} else if (mp_is(&kv->key, "prefix")) {
		if (v->type != MSGPACK_OBJECT_ARRAY)
			return -1;
		for (i = 0; i < v->via.array.size; i++) {
			if (v->via.array.ptr[i].type != MSGPACK_OBJECT_STR ||
			    group_sel_add(sel, v->via.array.ptr[i].via.str.ptr,
			        v->via.array.ptr[i].via.str.size) == -1)
				return -1;
		}
	}
	return 0;
}

static int
subscribe_msgpack(const char *p, size_t len, struct sel *sel, int *is_sub)
{
	msgpack_unpacked u;
	size_t off = 0;
	uint32_t i;
	int rv = 0;

	if (proto_msgpack_fits(p, len) != 0)
		return -1;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, p, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != len || u.data.type != MSGPACK_OBJECT_MAP)
		rv = -1;
	for (i = 0; rv == 0 && i < u.data.via.map.size; i++)
		rv = subscribe_mp_field(&u.data.via.map.ptr[i], sel, is_sub);
	msgpack_unpacked_destroy(&u);
	return rv;
}

int
handshake_subscribe(const char *p, size_t len, int binary, struct sel *sel)
{
	int is_sub = 0, rv;

	sel->n = 0;
	sel->rate = 0;
	if (binary)
		rv = subscribe_msgpack(p, len, sel, &is_sub);
	else
		rv = subscribe_json(p, len, sel, &is_sub);
	if (rv == 0 && !is_sub)
		rv = 1;
	else if (rv == 0 && sel->rate != 0 &&
	    !(sel->rate >= GROUP_RATE_MIN && sel->rate <= GROUP_RATE_MAX))
		rv = -1;
	if (rv != 0)
		group_sel_free(sel);
	else
		group_sel_normalize(sel);
	return rv;
}
