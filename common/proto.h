/*
 * The format of the messages on the bus, encoded with msgpack. The version,
 * the topics and every field are here and in vigil-protocol(7); bump
 * PROTO_VERSION when any of them changes.
 *
 * A bus message is the topic, a NUL byte, then one msgpack map. Every map
 * starts with the same head:
 *   "v"    uint    schema version (PROTO_VERSION)
 *   "src"  str     source role ("system", "memory", "metrics", "vigild")
 *   "host" str     host name
 *   "seq"  uint    per-publisher sequence number, +1 per message of any kind
 *   "t"    int     wall clock, ns since the epoch
 * A sample (topic vigil.sample.SRC) adds:
 *   "iv"   uint    sampling interval, ms
 *   "vals" map     series name (str) -> value (float or int)
 *   "text" map     optional: name (str) -> str, for labels such as a
 *                  process name or a mount point
 * Series metadata (vigil.meta.SRC) adds:
 *   "series" array of maps {"name", "unit", "kind", "desc"} (all str)
 * Role health from vigild (vigil.health) adds:
 *   "roles" array of maps {"name", "state" (str), "pid" (int), "uptime"
 *           (ms), "restarts" (uint), "exit" (str, last exit), "retry" (ms
 *           until the next start, 0 if none), "cpu" (%), "rss" (bytes),
 *           "fds" (uint)}
 */
#ifndef VIGIL_PROTO_H
#define VIGIL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1

/* Topics: a subscriber matches on a prefix of the body. */
#define PROTO_TOPIC_SAMPLE "vigil.sample." /* + source role */
#define PROTO_TOPIC_META "vigil.meta."     /* + source role */
#define PROTO_TOPIC_HEALTH "vigil.health"

/* Limits the decoder enforces; bigger messages are rejected. */
#define PROTO_SOURCE_MAX 32   /* bytes, without NUL */
#define PROTO_HOST_MAX 255    /* bytes, without NUL */
#define PROTO_NAME_MAX 200    /* series name, bytes, without NUL */
#define PROTO_VALUES_MAX 4096 /* values in one sample */
#define PROTO_TEXT_MAX 200    /* unit, kind, desc, state, exit: bytes */
#define PROTO_ROLES_MAX 32    /* roles in one health message */
#define PROTO_TEXTS_MAX 1024  /* text values in one sample */

struct proto_value {
	char *name;
	double value;
};

struct proto_text {
	char *name;
	char *value;
};

struct proto_sample {
	uint32_t version;
	char source[PROTO_SOURCE_MAX + 1];
	char host[PROTO_HOST_MAX + 1];
	uint64_t seq;
	int64_t time_ns;
	uint32_t interval_ms;
	size_t nvalues;
	size_t cap;
	struct proto_value *values;
	size_t ntexts;
	size_t tcap;
	struct proto_text *texts;
};

/* Start an empty sample; the caller sets seq and time_ns. */
void proto_sample_init(struct proto_sample *s, const char *source,
    const char *host, uint32_t interval_ms);
/* Append a value; the name is copied. */
void proto_sample_add(struct proto_sample *s, const char *name, double v);
/* Append a text value; both strings are copied. */
void proto_sample_add_text(struct proto_sample *s, const char *name,
    const char *value);
/* Drop all values but keep the header and the storage. */
void proto_sample_clear(struct proto_sample *s);
void proto_sample_free(struct proto_sample *s);

/*
 * Encode the map (without topic) into a malloc'd buffer; the caller frees
 * *buf. Returns 0 or -1.
 */
int proto_sample_encode(const struct proto_sample *s, char **buf, size_t *len);
/*
 * Decode a map into s, which the caller frees with proto_sample_free even
 * on error. Truncated input, trailing bytes, wrong types, a wrong version or
 * a limit exceeded return -1 with a reason in err.
 */
int proto_sample_decode(const void *buf, size_t len, struct proto_sample *s,
    char *err, size_t errlen);

/* Series kinds, as strings on the wire. */
#define PROTO_KIND_GAUGE "gauge"     /* a level: memory used, load */
#define PROTO_KIND_COUNTER "counter" /* grows; a total since start */
#define PROTO_KIND_RATE "rate"       /* per second, from two readings */

struct proto_series {
	char *name;
	char *unit; /* "%", "bytes", "bytes/s", "s", "/s", "" ... */
	char *kind; /* PROTO_KIND_* */
	char *desc; /* one line */
};

struct proto_meta {
	uint32_t version;
	char source[PROTO_SOURCE_MAX + 1];
	char host[PROTO_HOST_MAX + 1];
	uint64_t seq;
	int64_t time_ns;
	size_t nseries;
	size_t cap;
	struct proto_series *series;
};

void proto_meta_init(struct proto_meta *m, const char *source,
    const char *host);
/* Append a series description; the strings are copied. */
void proto_meta_add(struct proto_meta *m, const char *name, const char *unit,
    const char *kind, const char *desc);
void proto_meta_free(struct proto_meta *m);
int proto_meta_encode(const struct proto_meta *m, char **buf, size_t *len);
int proto_meta_decode(const void *buf, size_t len, struct proto_meta *m,
    char *err, size_t errlen);

struct proto_role {
	char name[PROTO_SOURCE_MAX + 1];
	char state[PROTO_TEXT_MAX + 1]; /* "ready", "backoff", ... */
	int64_t pid;                    /* 0 when not running */
	int64_t uptime_ms;
	uint64_t restarts;
	char exit[PROTO_TEXT_MAX + 1]; /* "exit 1", "signal 9", "" */
	int64_t retry_ms;              /* until the next start; 0: none */
	double cpu;                    /* % of one core */
	uint64_t rss;                  /* bytes */
	uint64_t fds;
};

struct proto_health {
	uint32_t version;
	char source[PROTO_SOURCE_MAX + 1];
	char host[PROTO_HOST_MAX + 1];
	uint64_t seq;
	int64_t time_ns;
	size_t nroles;
	struct proto_role roles[PROTO_ROLES_MAX];
};

int proto_health_encode(const struct proto_health *h, char **buf, size_t *len);
int proto_health_decode(const void *buf, size_t len, struct proto_health *h,
    char *err, size_t errlen);

/*
 * 0 when the msgpack object at the start of buf fits in len bytes, -1 when
 * it cannot: an array or map announcing more elements than bytes follow,
 * or a string longer than what is left. msgpack_unpack_next allocates what
 * such a header announces before it reads on, so a few bytes could ask for
 * gigabytes: check peer input with this first.
 */
int proto_msgpack_fits(const void *buf, size_t len);

/*
 * Split a bus message body into topic and payload. Returns -1 when there is
 * no NUL-terminated printable topic.
 */
int proto_split(const void *body, size_t len, const char **topic,
    const void **payload, size_t *plen);

/* Wall-clock time in ns, and monotonic time in ns. */
int64_t proto_now_ns(void);
int64_t proto_mono_ns(void);

#endif
