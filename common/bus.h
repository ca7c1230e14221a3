/*
 * The sample bus: nng pub/sub over ipc://RUNDIR/bus. The gateway's SUB
 * socket listens; every publisher PUB-dials it and redials on its own when
 * the gateway restarts. A message is a topic (printable ASCII) and a NUL,
 * then one msgpack map (see proto.h).
 */
#ifndef VIGIL_BUS_H
#define VIGIL_BUS_H

#include <stddef.h>

#include <nng/nng.h>

/* Open a PUB socket and start a non-blocking dial to url. */
int bus_pub_dial(nng_socket *sock, const char *url);
/*
 * Open a SUB socket subscribed to every topic starting with prefix ("" for
 * all), with a receive buffer of recvbuf messages, and listen on url.
 * An ipc:// socket is made owner read/write only.
 */
int bus_sub_listen(nng_socket *sock, const char *url, const char *prefix,
    int recvbuf);
/* The fd that becomes readable when a message waits (for libevent). */
int bus_recv_fd(nng_socket sock, int *fd);
/* Send topic + NUL + payload without blocking; 0 or -1 (logged). */
int bus_send(nng_socket sock, const char *topic, const void *payload,
    size_t len);
/* Remove the socket file behind an ipc:// url; other schemes: no-op. */
void bus_unlink(const char *url);

#endif
