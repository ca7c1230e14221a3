/*
 * wsfloor: the floor for vigil-gateway's broadcast cost. It does the least
 * a WebSocket server must do to deliver one frame per tick to N clients:
 * accept, answer the upgrade with a 101 (the key is not even checked),
 * then each tick patch the cursor and time into one pre-built frame and
 * write(2) it to every socket. The payload is a frame the gateway sent
 * (captured by wsload --capture) or a synthetic sample of the same shape,
 * so wsload measures both servers with the same client and the same bytes.
 * A short write keeps the rest for the next tick; a client whose socket is
 * full skips the tick, which is counted.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench/wsload.h"
#include "common/proto.h"
#include "common/xmalloc.h"

#define FLOOR_FDS 65536
#define FLOOR_REQ_MAX 4096
#define FLOOR_FRAME_MAX (1 << 20)

struct floor_client {
	struct event *ev;
	int open;
	unsigned slot; /* in floor.open while open */
	size_t reqlen;
	char *req;  /* the upgrade request until it is complete */
	char *rest; /* the end of a frame after a short write */
	size_t restlen;
};

struct floor {
	struct event_base *base;
	struct floor_client *c[FLOOR_FDS];
	int open[FLOOR_FDS]; /* fds of the upgraded clients, dense */
	unsigned nopen;
	uint8_t *frame; /* header + map, cursor and t patched per tick */
	size_t len;
	size_t cursor_off, t_off;
	uint64_t cursor;
	uint64_t ticks, writes, skipped, short_writes;
};

static void
floor_client_free(struct floor *fl, int fd)
{
	struct floor_client *c = fl->c[fd];

	if (c->open) {
		fl->open[c->slot] = fl->open[--fl->nopen];
		fl->c[fl->open[c->slot]]->slot = c->slot;
	}
	event_free(c->ev);
	free(c->req);
	free(c->rest);
	free(c);
	fl->c[fd] = NULL;
	close(fd);
}

static int
floor_upgrade(struct floor *fl, int fd, struct floor_client *c)
{
	static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\n"
	                           "Upgrade: websocket\r\n"
	                           "Connection: Upgrade\r\n"
	                           "Sec-WebSocket-Accept: "
	                           "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	                           "Sec-WebSocket-Protocol: vigil.msgpack\r\n"
	                           "\r\n";
	ssize_t n;

	n = read(fd, c->req + c->reqlen, FLOOR_REQ_MAX - c->reqlen);
	if (n <= 0)
		return n == -1 && errno == EAGAIN ? 0 : -1;
	c->reqlen += (size_t)n;
	if (memmem(c->req, c->reqlen, "\r\n\r\n", 4) == NULL)
		return c->reqlen < FLOOR_REQ_MAX ? 0 : -1;
	if (write(fd, resp, sizeof resp - 1) != sizeof resp - 1)
		return -1;
	free(c->req);
	c->req = NULL;
	c->open = 1;
	c->slot = fl->nopen;
	fl->open[fl->nopen++] = fd;
	return 0;
}

static void
floor_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct floor *fl = arg;
	struct floor_client *c = fl->c[fd];
	char buf[4096];
	ssize_t n;

	(void)what;
	if (!c->open) {
		if (floor_upgrade(fl, fd, c) == -1)
			floor_client_free(fl, fd);
		return;
	}
	/* Whatever a client sends (a close) is read and dropped. */
	n = read(fd, buf, sizeof buf);
	if (n == 0 || (n == -1 && errno != EAGAIN))
		floor_client_free(fl, fd);
}

static void
floor_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct floor *fl = arg;
	struct floor_client *c;
	int fd;

	(void)what;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) != -1) {
		if (fd >= FLOOR_FDS) {
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof *c);
		c->req = xmalloc(FLOOR_REQ_MAX);
		c->ev = event_new(fl->base, fd, EV_READ | EV_PERSIST,
		    floor_read_cb, fl);
		event_add(c->ev, NULL);
		fl->c[fd] = c;
	}
}

static void
floor_put_be(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* One client, one frame: finish the last one first, else skip this. */
static void
floor_send(struct floor *fl, int fd, struct floor_client *c)
{
	ssize_t n;

	if (c->restlen > 0) {
		n = write(fd, c->rest, c->restlen);
		if (n > 0 && (size_t)n < c->restlen)
			memmove(c->rest, c->rest + n, c->restlen - (size_t)n);
		if (n > 0)
			c->restlen -= (size_t)n;
		if (c->restlen > 0) {
			fl->skipped++;
			return;
		}
	}
	n = write(fd, fl->frame, fl->len);
	if (n == (ssize_t)fl->len) {
		fl->writes++;
		return;
	}
	if (n <= 0) {
		fl->skipped++;
		return;
	}
	fl->short_writes++;
	fl->writes++;
	c->restlen = fl->len - (size_t)n;
	c->rest = xreallocarray(c->rest, 1, c->restlen);
	memcpy(c->rest, fl->frame + n, c->restlen);
}

static void
floor_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct floor *fl = arg;
	unsigned i;

	(void)fd;
	(void)what;
	fl->ticks++;
	floor_put_be(fl->frame + fl->cursor_off, ++fl->cursor);
	floor_put_be(fl->frame + fl->t_off, (uint64_t)proto_now_ns() / 1000000);
	for (i = 0; i < fl->nopen; i++)
		floor_send(fl, fl->open[i], fl->c[fl->open[i]]);
}

static size_t
floor_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	p[0] = (uint8_t)(0xa0 | n);
	memcpy(p + 1, s, n);
	return n + 1;
}

/*
 * The frame: WebSocket header, then {type: "batch", cursor, t, samples}
 * with samples taken from the captured frame (or the one sample wrapped in
 * an array when the capture is a plain sample or a bus message).
 */
static void
floor_build(struct floor *fl, const uint8_t *cap, size_t caplen)
{
	uint8_t *body = xmalloc(caplen + 64), *p = body;
	size_t off, vlen, blen, hl;

	*p++ = 0x84;
	p += floor_str(p, "type");
	p += floor_str(p, "batch");
	p += floor_str(p, "cursor");
	*p++ = 0xcf;
	fl->cursor_off = (size_t)(p - body);
	p += 8;
	p += floor_str(p, "t");
	*p++ = 0xd3;
	fl->t_off = (size_t)(p - body);
	p += 8;
	p += floor_str(p, "samples");
	if (wsload_frame_find(cap, caplen, "samples", &off, &vlen) == 0) {
		memcpy(p, cap + off, vlen);
		p += vlen;
	} else {
		*p++ = 0x91;
		memcpy(p, cap, caplen);
		p += caplen;
	}
	blen = (size_t)(p - body);
	hl = blen < 126 ? 2 : blen < 65536 ? 4 : 10;
	fl->frame = xmalloc(hl + blen);
	fl->frame[0] = 0x82;
	if (hl == 2)
		fl->frame[1] = (uint8_t)blen;
	else if (hl == 4) {
		fl->frame[1] = 126;
		fl->frame[2] = (uint8_t)(blen >> 8);
		fl->frame[3] = (uint8_t)blen;
	} else {
		fl->frame[1] = 127;
		floor_put_be(fl->frame + 2, blen);
	}
	memcpy(fl->frame + hl, body, blen);
	fl->len = hl + blen;
	fl->cursor_off += hl;
	fl->t_off += hl;
	free(body);
}

static uint8_t *
floor_payload(const char *path, size_t *len, unsigned nvalues)
{
	struct proto_sample s;
	uint8_t *buf;
	char name[64], *enc;
	FILE *fp;
	unsigned i;

	if (path != NULL) {
		if ((fp = fopen(path, "r")) == NULL) {
			perror(path);
			exit(1);
		}
		buf = xmalloc(FLOOR_FRAME_MAX);
		*len = fread(buf, 1, FLOOR_FRAME_MAX, fp);
		fclose(fp);
		return buf;
	}
	proto_sample_init(&s, "bench", "bench", 100);
	s.seq = 1;
	s.time_ns = proto_now_ns();
	for (i = 0; i < nvalues; i++) {
		snprintf(name, sizeof name, "cpu.%u.busy%u", i / 9, i % 9);
		proto_sample_add(&s, name, 12.34 + i);
	}
	if (proto_sample_encode(&s, &enc, len) == -1)
		exit(1);
	proto_sample_free(&s);
	return (uint8_t *)enc;
}

static int
floor_listen(const char *addr, unsigned port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int fd, one = 1;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    (fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    listen(fd, 65535) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == -1) {
		close(fd);
		return -1;
	}
	fprintf(stderr, "wsfloor: listening on %s:%u\n", addr,
	    ntohs(sa.sin_port));
	return fd;
}

static void
floor_stop_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: wsfloor [-a address] [-p port] [-r rate] "
	    "[-f frame] [-V values]\n");
	exit(64);
}

int
main(int argc, char *argv[])
{
	struct floor *fl = xcalloc(1, sizeof *fl);
	struct event *lev, *tick, *sterm, *sint;
	const char *addr = "127.0.0.1", *path = NULL;
	struct timeval tv;
	double rate = 10;
	unsigned port = 0, nvalues = 48;
	uint8_t *cap;
	size_t caplen;
	int ch, lfd, i;

	while ((ch = getopt(argc, argv, "a:f:p:r:V:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'f':
			path = optarg;
			break;
		case 'p':
			port = (unsigned)atoi(optarg);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'V':
			nvalues = (unsigned)atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || rate <= 0 || rate > 1000)
		usage();
	signal(SIGPIPE, SIG_IGN);
	cap = floor_payload(path, &caplen, nvalues);
	floor_build(fl, cap, caplen);
	free(cap);
	if ((lfd = floor_listen(addr, port)) == -1) {
		perror("wsfloor: listen");
		return 1;
	}
	fl->base = event_base_new();
	lev =
	    event_new(fl->base, lfd, EV_READ | EV_PERSIST, floor_accept_cb, fl);
	tick = event_new(fl->base, -1, EV_PERSIST, floor_tick_cb, fl);
	sterm = evsignal_new(fl->base, SIGTERM, floor_stop_cb, fl->base);
	sint = evsignal_new(fl->base, SIGINT, floor_stop_cb, fl->base);
	tv.tv_sec = (time_t)(1 / rate);
	tv.tv_usec = (suseconds_t)((1e6 / rate)) % 1000000;
	event_add(lev, NULL);
	event_add(tick, &tv);
	event_add(sterm, NULL);
	event_add(sint, NULL);
	fprintf(stderr, "wsfloor: frame of %zu bytes, %g/s\n", fl->len, rate);
	event_base_dispatch(fl->base);
	fprintf(stderr,
	    "wsfloor: ticks=%" PRIu64 " writes=%" PRIu64 " skipped=%" PRIu64
	    " short=%" PRIu64 " open=%u\n",
	    fl->ticks, fl->writes, fl->skipped, fl->short_writes, fl->nopen);
	for (i = 0; i < FLOOR_FDS; i++)
		if (fl->c[i] != NULL)
			floor_client_free(fl, i);
	event_free(lev);
	event_free(tick);
	event_free(sterm);
	event_free(sint);
	event_base_free(fl->base);
	close(lfd);
	free(fl->frame);
	free(fl);
	return 0;
}
