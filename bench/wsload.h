/*
 * wsload(1 in bench/): a WebSocket load generator for vigil-gateway and its
 * floor. The parent forks workers that each hold a share of the
 * connections and measure every frame they receive; the parent publishes
 * samples on the bus, samples the server's CPU and memory from /proc and
 * merges what the workers report over a pipe. This header is what the
 * parent, the workers, the frame parser and the histogram share.
 */
#ifndef VIGIL_WSLOAD_H
#define VIGIL_WSLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

/*
 * Latency histogram: log-scale buckets of 1% width from WSLOAD_HIST_MIN ms
 * up to 10 s; bucket 0 holds everything below the minimum and the last
 * one everything above the maximum.
 */
#define WSLOAD_HIST_MIN 0.01     /* ms */
#define WSLOAD_HIST_GROWTH 1.01  /* ratio between bucket bounds */
#define WSLOAD_HIST_BUCKETS 1392 /* 0.01 ms * 1.01^1390 > 10 s */

struct wsload_hist {
	uint64_t count[WSLOAD_HIST_BUCKETS];
	uint64_t n;
	double sum; /* ms */
	double max; /* ms */
};

void wsload_hist_add(struct wsload_hist *h, double ms);
void wsload_hist_merge(struct wsload_hist *into, const struct wsload_hist *h);
/* The latency below which a fraction q (0..1) of the values lie, in ms. */
double wsload_hist_quantile(const struct wsload_hist *h, double q);

/* What a frame from the gateway (or the floor) tells the client. */
enum wsload_kind {
	WSLOAD_OTHER = 0,
	WSLOAD_HELLO,
	WSLOAD_SNAPSHOT,
	WSLOAD_BATCH,  /* "batch": cursor, t (sent), samples */
	WSLOAD_SAMPLE, /* the older "sample": seq, t (collected) */
};

struct wsload_frame {
	enum wsload_kind kind;
	int has_t;
	double t_ms;     /* top-level t */
	int has_cursor;  /* batch and snapshot */
	uint64_t cursor; /* or, for a sample, its seq */
	size_t nsamples; /* entries of samples (batch), 1 for a sample */
	int has_st;
	double st_ms; /* t of the first sample in a batch */
};

/* Read the keys above from one msgpack map; -1 if it is not one. */
int wsload_frame_msgpack(const uint8_t *p, size_t len, struct wsload_frame *f);
/* The same from a JSON object, by a shallow scan; -1 if it is not one. */
int wsload_frame_json(const char *p, size_t len, struct wsload_frame *f);
/*
 * Find the value of a top-level key in a msgpack map: its offset and
 * length in p. 0 if found, -1 if not or if p is not a map.
 */
int wsload_frame_find(const uint8_t *p, size_t len, const char *key,
    size_t *off, size_t *vlen);

/* Wall clock in ms with sub-ms precision. */
double wsload_now_ms(void);

/* Counters one worker keeps over the measured window. */
struct wsload_counts {
	uint64_t conns;            /* upgraded connections */
	uint64_t failed;           /* connects or upgrades that failed */
	uint64_t closed;           /* closed by the server during the run */
	uint64_t stalled;          /* clients that stopped reading */
	uint64_t frames;           /* update frames (batch or sample) */
	uint64_t samples;          /* samples in them */
	uint64_t bytes;            /* payload bytes of every message */
	uint64_t lost;             /* samples missing from cursor gaps */
	uint64_t reordered;        /* frames whose cursor went back */
	uint64_t snapshots;        /* snapshots after the hello one */
	uint64_t other;            /* other messages */
	uint64_t stall_bytes;      /* drained from stalled clients at the end */
	uint64_t stall_kernel;     /* of which in socket buffers */
	uint64_t stall_queued_max; /* user-space queue estimate, bytes */
	uint64_t min_frames;       /* fewest frames on one live client */
	uint64_t max_frames;
};

/* A worker's report to the parent over the pipe. */
#define WSLOAD_REPORT_READY 1 /* every connection tried */
#define WSLOAD_REPORT_FINAL 2 /* counts of the window */

struct wsload_report {
	int kind;
	struct wsload_counts c;
	struct wsload_hist lat; /* kernel receive time - frame t */
	struct wsload_hist e2e; /* kernel receive time - first sample t */
	struct wsload_hist app; /* when the worker got to it - frame t */
};

/* The part of the options a worker needs. */
struct wsload_opts {
	struct sockaddr_in dst;
	char host[64]; /* Host: header */
	char path[512];
	char proto[64]; /* subprotocol, "" for none */
	int json;
	unsigned conns;    /* this worker's share */
	unsigned stall;    /* of which stalled */
	unsigned first;    /* index of the first connection, for addresses */
	unsigned naddr;    /* source addresses 127.0.0.2 ... */
	unsigned inflight; /* handshakes at once */
	unsigned max_msg;  /* bytes */
	int stall_rcvbuf;  /* SO_RCVBUF of a stalled client */
	char capture[256]; /* write the first update frame here */
};

/*
 * Run one worker: connect, report READY on wfd, count after a 'S' byte on
 * rfd, report FINAL after an 'E' byte, then return.
 */
int wsload_worker_run(const struct wsload_opts *o, int rfd, int wfd);

#endif
