/*
 * Readiness notification, in the manner of s6: vigild gives each child an
 * fd number in VIGIL_READY_FD; the child writes one line to it once its
 * sockets are up, then closes it. Standalone (no variable) it is a no-op.
 */
#ifndef VIGIL_READY_H
#define VIGIL_READY_H

#define READY_ENV "VIGIL_READY_FD"

void ready_notify(void);

#endif
