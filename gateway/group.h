/*
 * Subscription groups. Clients that chose the same series prefixes, rate
 * and subprotocol share a group: each batch, snapshot and metadata message
 * of the group is encoded once into a shared frame and referenced by every
 * member's output. Groups flush on the batch timer when their rate allows.
 */
#ifndef VIGIL_GATEWAY_GROUP_H
#define VIGIL_GATEWAY_GROUP_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "gateway/enc.h"

struct conn;
struct gateway;
struct series;

#define GROUP_PREFIX_MAX 64 /* prefixes in one selection */
#define GROUP_RATE_MIN 0.1  /* frames per second */
#define GROUP_RATE_MAX 100.0

/* What a client asked for: series prefixes (none: all) and a rate. */
struct sel {
	char *prefixes[GROUP_PREFIX_MAX];
	size_t n;
	double rate; /* frames per second; 0: every batch interval */
};

struct group {
	TAILQ_ENTRY(group) entry;
	TAILQ_HEAD(, conn) conns;
	unsigned nconns;
	enum enc_format fmt;
	char **prefixes;
	size_t n;
	double rate;
	int64_t gap;        /* ms between two frames, from rate */
	uint64_t last;      /* cursor of the newest sample sent */
	int64_t last_flush; /* monotonic ms */
	struct frame *snap; /* the full snapshot at snap_at, cached */
	uint64_t snap_at;
	struct frame *meta; /* every series' metadata, at meta_gen */
	uint64_t meta_gen;
};

enum group_bp {
	GROUP_SEND,
	GROUP_SKIP,
	GROUP_CLOSE,
};

/*
 * Backpressure: what to do with a frame of len bytes for a client with
 * queued bytes waiting and a limit of cap. A frame goes out if the queue
 * stays within cap or is empty; otherwise it is skipped, and once the
 * client has been over since lag_since (-1: it was not) for lag_timeout
 * ms, it is closed.
 */
enum group_bp group_backpressure(size_t queued, size_t len, size_t cap,
    int64_t lag_since, int64_t now, int64_t lag_timeout);

/* Add a prefix (copied); -1 if too many or too long. */
int group_sel_add(struct sel *sel, const char *p, size_t len);
/* Sort and deduplicate the prefixes. */
void group_sel_normalize(struct sel *sel);
void group_sel_free(struct sel *sel);

/* Put c in the group of (fmt, sel), made if missing. */
struct group *group_join(struct gateway *gw, struct conn *c,
    enum enc_format fmt, const struct sel *sel);
void group_leave(struct gateway *gw, struct conn *c);
void group_free_all(struct gateway *gw);

/* The hello for a format (a new reference). */
struct frame *group_hello(struct gateway *gw, enum enc_format fmt);
/* The metadata of the group's series (a new reference). */
struct frame *group_meta(struct gateway *gw, struct group *g);
/*
 * The group's history after cursor after up to its last batch (after 0:
 * all of it), flagged as a resume when after > 0. A new reference.
 */
struct frame *group_snapshot(struct gateway *gw, struct group *g,
    uint64_t after);
/* Send every group that is due (all when force) its batch. */
void group_flush(struct gateway *gw, int64_t now, int force);
/* Send the new or changed metadata to every client. */
void group_meta_changed(struct gateway *gw, struct series **changed, size_t n);
/* The last role health in fmt (a new reference), or NULL. */
struct frame *group_health_frame(struct gateway *gw, enum enc_format fmt);
/* Send the last role health to every client. */
void group_health(struct gateway *gw);

#endif
