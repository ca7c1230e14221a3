/*
 * Role health on the bus: vigild PUB-dials the bus and publishes, every
 * health_interval, one vigil.health message with each role's state, pid,
 * uptime, restarts, last exit and next retry, and its process's CPU %, RSS
 * and open fds read from /proc.
 */
#ifndef VIGIL_HEALTH_H
#define VIGIL_HEALTH_H

#include <stdint.h>

struct config;
struct child;
struct event_base;
struct proto_role;

void health_open(struct event_base *base, const struct config *cf);
/* After a reload: redial if the bus moved, take the new interval. */
void health_reopen(const struct config *cf);
void health_close(void);

/* What vigild knows of c, without /proc; now is the monotonic ns. */
void health_fill(const struct child *c, int64_t now, struct proto_role *r);

/*
 * Resource use of c's process from /proc under root ("/" normally): CPU %
 * since the last call for the same pid, RSS and open fds. 0 or -1.
 */
int health_proc(struct child *c, const char *root, int64_t now,
    struct proto_role *r);

#endif
