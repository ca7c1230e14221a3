/*
 * The control socket of vigild (see vigild(8), CONTROL PROTOCOL): a unix
 * stream socket, mode 0600, that takes one request line per connection
 * from a peer of vigild's own uid or root, and answers one JSON line.
 */
#ifndef VIGIL_CONTROL_H
#define VIGIL_CONTROL_H

#include <stddef.h>

struct event_base;

/* Longest request line, newline included. */
#define CONTROL_LINE_MAX 256
/* Connections served at once; more are closed at once. */
#define CONTROL_CLIENTS_MAX 16
/* A client has this long to send its request. */
#define CONTROL_TIMEOUT_MS 2000

/* Listen on path (an old socket file there is replaced); 0 or -1. */
int control_open(struct event_base *base, const char *path);
/* Close every connection and the listener; remove the socket file. */
void control_close(void);

/*
 * Carry out one request line (without its newline) and write the JSON
 * reply, NUL-terminated, into out. Returns 1 if vigild must shut down
 * once the reply is sent, else 0.
 */
int control_handle(const char *line, char *out, size_t outlen);

#endif
