/*
 * One load-generator worker: its share of the WebSocket connections on one
 * libevent base. Each connection binds a loopback source address
 * (127.0.0.2 and up) before it connects, so that many thousands of them do
 * not run out of ports; it writes the upgrade request itself, checks the
 * 101 and hands the stream to a wslay client context. Every update frame
 * is timed against the wall clock (latency = now - frame t) and its
 * cursor checked for gaps and reordering. Stalled clients stop reading
 * after the hello; at the end they resume, and the bytes they drain before
 * the server's catch-up snapshot, less what sat in the socket buffers,
 * estimate what the server had queued for them.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <wslay/wslay.h>

#include "bench/wsload.h"
#include "common/xmalloc.h"

#define WORKER_HEADER_MAX 8192 /* bytes of the 101 response */
#define WORKER_HANDSHAKE_S 20  /* connect + upgrade */
#define WORKER_DRAIN_MS 2000   /* stalled clients drain this long */

enum conn_state {
	CONN_IDLE,
	CONN_UPGRADING,
	CONN_OPEN,
	CONN_STALLED,
	CONN_DRAINING,
	CONN_DONE,
};

struct conn {
	struct worker *w;
	unsigned idx;
	enum conn_state state;
	int stall;
	struct bufferevent *bev; /* connect and upgrade only */
	int fd;
	struct event *ev; /* reads once upgraded */
	uint8_t *left;    /* bytes read with the 101 */
	size_t leftlen, leftoff;
	double rx_ms; /* kernel receive time of the last bytes read */
	wslay_event_context_ptr ctx;
	int has_cursor;
	uint64_t cursor;
	uint64_t frames;
	uint64_t drained; /* wire bytes after resume, before a snapshot */
	uint64_t kernel;  /* of which in socket buffers at the resume */
	int drain_done;
};

struct worker {
	const struct wsload_opts *o;
	struct event_base *base;
	struct event *ctl_ev;
	struct event *drain_ev;
	int wfd;
	struct conn *conns;
	unsigned next;
	unsigned inflight;
	unsigned done; /* connections upgraded or failed */
	int ready_sent;
	int measuring;
	int captured;
	uint32_t rnd;
	struct wsload_report r;
};

static void worker_start_more(struct worker *);
static void conn_close(struct conn *, int);

/* The first failure of each worker says why; the rest are counted. */
static void
conn_failed(struct conn *c, const char *why, int err)
{
	static int told;

	if (!told++)
		fprintf(stderr, "wsload: connection %u: %s%s%s\n", c->idx, why,
		    err ? ": " : "", err ? strerror(err) : "");
	conn_close(c, 1);
}

static void
conn_close(struct conn *c, int failed)
{
	struct worker *w = c->w;

	if (c->state == CONN_DONE)
		return;
	if (c->state == CONN_IDLE || c->state == CONN_UPGRADING) {
		w->inflight--;
		w->done++;
		w->r.c.failed += failed;
	} else
		w->r.c.closed++;
	c->state = CONN_DONE;
	if (c->ctx != NULL)
		wslay_event_context_free(c->ctx);
	c->ctx = NULL;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = NULL;
	if (c->ev != NULL) {
		event_free(c->ev);
		close(c->fd);
	}
	c->ev = NULL;
	free(c->left);
	c->left = NULL;
	worker_start_more(w);
}

/* The software receive timestamp the kernel attached, in ms. */
static void
conn_rx_time(struct conn *c, struct msghdr *mh)
{
	struct cmsghdr *cm;
	struct timespec ts;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(cm), sizeof ts);
			c->rx_ms =
			    (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
			return;
		}
	}
	c->rx_ms = wsload_now_ms();
}

/* Straight from the socket, so that every read brings its timestamp. */
static ssize_t
conn_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *arg)
{
	struct conn *c = arg;
	char cbuf[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { buf, len };
	struct msghdr mh;
	ssize_t n;

	(void)flags;
	if (c->state == CONN_STALLED) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (c->leftoff < c->leftlen) {
		n = (ssize_t)(c->leftlen - c->leftoff);
		if ((size_t)n > len)
			n = (ssize_t)len;
		memcpy(buf, c->left + c->leftoff, (size_t)n);
		c->leftoff += (size_t)n;
		c->rx_ms = wsload_now_ms();
		return n;
	}
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof cbuf;
	n = recvmsg(c->fd, &mh, 0);
	if (n > 0) {
		conn_rx_time(c, &mh);
		return n;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
	else
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

/* Only a pong or the close reply: small, and dropped if it cannot go. */
static ssize_t
conn_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct conn *c = arg;
	ssize_t n;

	(void)flags;
	if ((n = write(c->fd, data, len)) > 0)
		return n;
	if (n == -1 && errno == EAGAIN)
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
	else
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static int
conn_genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    void *arg)
{
	struct conn *c = arg;
	size_t i;

	(void)ctx;
	for (i = 0; i < len; i++) {
		c->w->rnd ^= c->w->rnd << 13;
		c->w->rnd ^= c->w->rnd >> 17;
		c->w->rnd ^= c->w->rnd << 5;
		buf[i] = (uint8_t)c->w->rnd;
	}
	return 0;
}

/* Cursor bookkeeping: a batch of k samples moves the cursor by k. */
static void
conn_cursor(struct conn *c, const struct wsload_frame *f)
{
	struct wsload_counts *k = &c->w->r.c;

	if (!f->has_cursor)
		return;
	if (c->has_cursor && c->w->measuring) {
		if (f->cursor <= c->cursor)
			k->reordered++;
		else if (f->cursor - c->cursor > f->nsamples)
			k->lost += f->cursor - c->cursor - f->nsamples;
	}
	if (!c->has_cursor || f->cursor > c->cursor)
		c->cursor = f->cursor;
	c->has_cursor = 1;
}

static size_t
conn_wire_len(size_t len)
{
	return len + (len < 126 ? 2 : len < 65536 ? 4 : 10);
}

static void
conn_drain_msg(struct conn *c, const struct wsload_frame *f, size_t len)
{
	if (c->drain_done)
		return;
	if (f->kind == WSLOAD_SNAPSHOT)
		c->drain_done = 1;
	else
		c->drained += conn_wire_len(len);
}

/* Keep one update frame as it came, for wsfloor to send the same bytes. */
static void
conn_capture(struct conn *c, const uint8_t *msg, size_t len)
{
	FILE *fp;

	c->w->captured = 1;
	if ((fp = fopen(c->w->o->capture, "w")) == NULL)
		return;
	fwrite(msg, 1, len, fp);
	fclose(fp);
}

static void
conn_update(struct conn *c, const struct wsload_frame *f, double now)
{
	struct worker *w = c->w;
	double rx = c->rx_ms;

	conn_cursor(c, f);
	if (!w->measuring)
		return;
	c->frames++;
	w->r.c.frames++;
	w->r.c.samples += f->nsamples;
	if (f->has_t) {
		wsload_hist_add(&w->r.lat, rx - (double)f->t_ms);
		wsload_hist_add(&w->r.app, now - (double)f->t_ms);
	}
	/* A t that is not in ms (a bus sample in ns) is no latency. */
	if (f->has_st && f->kind == WSLOAD_BATCH &&
	    fabs(rx - (double)f->st_ms) < 1e7)
		wsload_hist_add(&w->r.e2e, rx - (double)f->st_ms);
}

static void
conn_msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
	struct conn *c = user;
	struct worker *w = c->w;
	struct wsload_frame f;
	double now = wsload_now_ms();
	int rv;

	(void)ctx;
	if (arg->opcode != WSLAY_TEXT_FRAME &&
	    arg->opcode != WSLAY_BINARY_FRAME)
		return;
	if (w->measuring)
		w->r.c.bytes += arg->msg_length;
	if (w->o->json)
		rv = wsload_frame_json((const char *)arg->msg, arg->msg_length,
		    &f);
	else
		rv = wsload_frame_msgpack(arg->msg, arg->msg_length, &f);
	if (rv == -1) {
		w->r.c.other++;
		return;
	}
	if (c->state == CONN_DRAINING)
		conn_drain_msg(c, &f, arg->msg_length);
	if ((f.kind == WSLOAD_BATCH || f.kind == WSLOAD_SAMPLE) &&
	    w->o->capture[0] && !w->captured && w->measuring)
		conn_capture(c, arg->msg, arg->msg_length);
	if (f.kind == WSLOAD_BATCH || f.kind == WSLOAD_SAMPLE)
		conn_update(c, &f, now);
	else if (f.kind == WSLOAD_SNAPSHOT) {
		if (c->has_cursor && w->measuring)
			w->r.c.snapshots++;
		c->has_cursor = 0;
		conn_cursor(c, &f);
	} else if (f.kind == WSLOAD_HELLO && c->stall) {
		c->state = CONN_STALLED;
		event_del(c->ev);
	} else if (f.kind != WSLOAD_HELLO)
		w->r.c.other++;
}

static const struct wslay_event_callbacks conn_callbacks = {
	.recv_callback = conn_recv_cb,
	.send_callback = conn_send_cb,
	.genmask_callback = conn_genmask_cb,
	.on_msg_recv_callback = conn_msg_cb,
};

static void
conn_pump(struct conn *c)
{
	if (wslay_event_recv(c->ctx) != 0 || wslay_event_send(c->ctx) != 0 ||
	    (!wslay_event_want_read(c->ctx) && !wslay_event_want_write(c->ctx)))
		conn_close(c, 0);
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_pump(arg);
}

/*
 * The 101 has arrived: from here wslay reads the socket itself, and the
 * bufferevent is dropped (what it read past the 101 is kept).
 */
static int
conn_upgraded(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr end;
	char status[13];
	int one = 1;

	end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos == -1)
		return evbuffer_get_length(in) > WORKER_HEADER_MAX ? -1 : 0;
	if (evbuffer_copyout(in, status, 12) != 12 ||
	    memcmp(status, "HTTP/1.1 101", 12) != 0)
		return -1;
	evbuffer_drain(in, (size_t)end.pos + 4);
	if ((c->leftlen = evbuffer_get_length(in)) > 0) {
		c->left = xmalloc(c->leftlen);
		evbuffer_remove(in, c->left, c->leftlen);
	}
	if (wslay_event_context_client_init(&c->ctx, &conn_callbacks, c) != 0)
		return -1;
	wslay_event_config_set_max_recv_msg_length(c->ctx, c->w->o->max_msg);
	c->fd = bufferevent_getfd(c->bev);
	bufferevent_setfd(c->bev, -1);
	bufferevent_free(c->bev);
	c->bev = NULL;
	setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
	c->ev =
	    event_new(c->w->base, c->fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	event_add(c->ev, NULL);
	c->state = CONN_OPEN;
	c->w->inflight--;
	c->w->done++;
	c->w->r.c.conns++;
	c->w->r.c.stalled += c->stall;
	worker_start_more(c->w);
	return 1;
}

static void
conn_readcb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	int rv;

	(void)bev;
	if ((rv = conn_upgraded(c)) == -1)
		conn_failed(c, "upgrade refused", 0);
	if (rv == 1)
		conn_pump(c);
}

static void
conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	conn_failed(c,
	    what & BEV_EVENT_TIMEOUT   ? "timed out"
	        : what & BEV_EVENT_EOF ? "closed by the server"
	                               : "connect",
	    what & BEV_EVENT_ERROR ? EVUTIL_SOCKET_ERROR() : 0);
}

static int
conn_socket(struct conn *c)
{
	const struct wsload_opts *o = c->w->o;
	struct sockaddr_in src;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	memset(&src, 0, sizeof src);
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + c->idx % o->naddr);
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
	if (c->stall && o->stall_rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->stall_rcvbuf,
		    sizeof o->stall_rcvbuf);
	if (bind(fd, (struct sockaddr *)&src, sizeof src) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
conn_start(struct conn *c)
{
	const struct wsload_opts *o = c->w->o;
	struct timeval tv = { WORKER_HANDSHAKE_S, 0 };
	int fd;

	c->w->inflight++;
	c->state = CONN_UPGRADING;
	if ((fd = conn_socket(c)) == -1 ||
	    (c->bev = bufferevent_socket_new(c->w->base, fd,
	         BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (fd != -1)
			close(fd);
		conn_failed(c, "socket", errno);
		return;
	}
	bufferevent_setcb(c->bev, conn_readcb, NULL, conn_eventcb, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	evbuffer_add_printf(bufferevent_get_output(c->bev),
	    "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
	    o->path, o->host, o->proto[0] ? "Sec-WebSocket-Protocol: " : "",
	    o->proto, o->proto[0] ? "\r\n" : "");
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&o->dst,
	        sizeof o->dst) == -1)
		conn_failed(c, "connect", errno);
}

static void
worker_send(struct worker *w, int kind)
{
	const char *p = (const char *)&w->r;
	size_t left = sizeof w->r;
	ssize_t n;

	w->r.kind = kind;
	while (left > 0) {
		if ((n = write(w->wfd, p, left)) == -1) {
			if (errno == EINTR)
				continue;
			perror("wsload worker: report");
			exit(1);
		}
		p += n;
		left -= (size_t)n;
	}
}

static void
worker_start_more(struct worker *w)
{
	while (w->next < w->o->conns && w->inflight < w->o->inflight)
		conn_start(&w->conns[w->next++]);
	if (!w->ready_sent && w->done == w->o->conns) {
		w->ready_sent = 1;
		worker_send(w, WSLOAD_REPORT_READY);
	}
}

/* Bytes of the connection in the kernel: ours to read, theirs to send. */
static uint64_t
worker_kernel_bytes(struct conn *c)
{
	struct sockaddr_in me;
	socklen_t sl = sizeof me;
	unsigned la, lp, ra, rp, tx, rx;
	char line[512];
	FILE *fp;
	int fd = c->fd, inq = 0;
	uint64_t sum;

	ioctl(fd, FIONREAD, &inq);
	sum = (uint64_t)inq + c->leftlen - c->leftoff;
	if (getsockname(fd, (struct sockaddr *)&me, &sl) == -1 ||
	    (fp = fopen("/proc/net/tcp", "r")) == NULL)
		return sum;
	while (fgets(line, sizeof line, fp) != NULL) {
		if (sscanf(line, " %*u: %x:%x %x:%x %*x %x:%x", &la, &lp, &ra,
		        &rp, &tx, &rx) != 6)
			continue;
		if (la == c->w->o->dst.sin_addr.s_addr &&
		    lp == ntohs(c->w->o->dst.sin_port) &&
		    ra == me.sin_addr.s_addr && rp == ntohs(me.sin_port)) {
			sum += tx;
			break;
		}
	}
	fclose(fp);
	return sum;
}

static void
worker_final(struct worker *w)
{
	struct wsload_counts *k = &w->r.c;
	uint64_t q;
	unsigned i;

	k->min_frames = UINT64_MAX;
	for (i = 0; i < w->o->conns; i++) {
		struct conn *c = &w->conns[i];

		if (c->stall) {
			k->stall_bytes += c->drained;
			q = c->drained > c->kernel ? c->drained - c->kernel : 0;
			if (q > k->stall_queued_max)
				k->stall_queued_max = q;
			continue;
		}
		if (c->state != CONN_OPEN)
			continue;
		if (c->frames < k->min_frames)
			k->min_frames = c->frames;
		if (c->frames > k->max_frames)
			k->max_frames = c->frames;
	}
	if (k->min_frames == UINT64_MAX)
		k->min_frames = 0;
	worker_send(w, WSLOAD_REPORT_FINAL);
	event_base_loopbreak(w->base);
}

static void
worker_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	worker_final(arg);
}

/*
 * End of the window: stalled clients note what the kernel holds for them
 * and start reading again; the rest stop counting.
 */
static void
worker_end(struct worker *w)
{
	struct timeval tv = { WORKER_DRAIN_MS / 1000,
		(WORKER_DRAIN_MS % 1000) * 1000 };
	uint64_t kb, kmax = 0;
	unsigned i, n = 0;

	w->measuring = 0;
	for (i = 0; i < w->o->conns; i++) {
		struct conn *c = &w->conns[i];

		if (!c->stall || c->state != CONN_STALLED)
			continue;
		if ((kb = c->kernel = worker_kernel_bytes(c)) > kmax)
			kmax = kb;
		c->state = CONN_DRAINING;
		event_add(c->ev, NULL);
		n++;
	}
	w->r.c.stall_kernel = kmax;
	if (n == 0) {
		worker_final(w);
		return;
	}
	/* The drained bytes count from here; subtract the kernel's share. */
	for (i = 0; i < w->o->conns; i++)
		if (w->conns[i].state == CONN_DRAINING)
			conn_pump(&w->conns[i]);
	w->drain_ev = evtimer_new(w->base, worker_drain_cb, w);
	evtimer_add(w->drain_ev, &tv);
}

static void
worker_ctl_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	char ch;
	unsigned i;

	(void)what;
	if (read(fd, &ch, 1) != 1) {
		event_base_loopbreak(w->base); /* the parent is gone */
		return;
	}
	if (ch == 'S') {
		memset(&w->r.c.frames, 0,
		    sizeof w->r.c - offsetof(struct wsload_counts, frames));
		memset(&w->r.lat, 0, sizeof w->r.lat);
		memset(&w->r.e2e, 0, sizeof w->r.e2e);
		memset(&w->r.app, 0, sizeof w->r.app);
		for (i = 0; i < w->o->conns; i++) {
			w->conns[i].frames = 0;
			w->conns[i].has_cursor = 0;
		}
		w->measuring = 1;
	} else if (ch == 'E')
		worker_end(w);
}

int
wsload_worker_run(const struct wsload_opts *o, int rfd, int wfd)
{
	struct worker w;
	unsigned i;

	memset(&w, 0, sizeof w);
	w.o = o;
	w.wfd = wfd;
	w.rnd = 2463534242u ^ (uint32_t)getpid();
	if ((w.base = event_base_new()) == NULL)
		return -1;
	w.conns = xcalloc(o->conns ? o->conns : 1, sizeof *w.conns);
	for (i = 0; i < o->conns; i++) {
		w.conns[i].w = &w;
		w.conns[i].idx = o->first + i;
		w.conns[i].stall = i < o->stall;
	}
	w.ctl_ev =
	    event_new(w.base, rfd, EV_READ | EV_PERSIST, worker_ctl_cb, &w);
	event_add(w.ctl_ev, NULL);
	worker_start_more(&w);
	event_base_dispatch(w.base);
	for (i = 0; i < o->conns; i++)
		if (w.conns[i].state != CONN_DONE) {
			w.conns[i].state = CONN_OPEN;
			conn_close(&w.conns[i], 0);
		}
	if (w.drain_ev != NULL)
		event_free(w.drain_ev);
	event_free(w.ctl_ev);
	event_base_free(w.base);
	free(w.conns);
	return 0;
}
