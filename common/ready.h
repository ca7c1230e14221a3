/*
 * Readiness and liveness towards vigild, in the manner of s6: vigild gives
 * each child an fd number in VIGIL_READY_FD. The child writes "ready" on it
 * once its sockets are up, then "alive" every VIGIL_HEARTBEAT_MS from a
 * timer on its event loop, so a child whose loop is stuck or stopped goes
 * silent and vigild's watchdog replaces it. Without the variables (a role
 * run by hand) both are no-ops.
 */
#ifndef VIGIL_READY_H
#define VIGIL_READY_H

#define READY_ENV "VIGIL_READY_FD"
#define READY_HEARTBEAT_ENV "VIGIL_HEARTBEAT_MS"

struct event_base;

/* Report readiness; then send heartbeats on base until ready_free(). */
void ready_notify(struct event_base *base);
void ready_free(void);

#endif
