/*
 * Helpers around the nng pub/sub sockets of the sample bus. They log the
 * nng error where it happens, so callers only check for -1.
 */

#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/transport/ipc/ipc.h>

#include "common/bus.h"
#include "common/log.h"

#define BUS_IPC_PREFIX "ipc://"

int
bus_pub_dial(nng_socket *sock, const char *url)
{
	int rv;

	if ((rv = nng_pub0_open(sock)) != 0) {
		log_warnx("bus: pub open: %s", nng_strerror(rv));
		return -1;
	}
	/* Redial quickly when the gateway restarts, but never spin. */
	nng_socket_set_ms(*sock, NNG_OPT_RECONNMINT, 50);
	nng_socket_set_ms(*sock, NNG_OPT_RECONNMAXT, 1000);
	if ((rv = nng_dial(*sock, url, NULL, NNG_FLAG_NONBLOCK)) != 0) {
		log_warnx("bus: dial %s: %s", url, nng_strerror(rv));
		nng_close(*sock);
		return -1;
	}
	return 0;
}

int
bus_sub_listen(nng_socket *sock, const char *url, const char *prefix,
    int recvbuf)
{
	nng_listener l;
	int rv;

	if ((rv = nng_sub0_open(sock)) != 0) {
		log_warnx("bus: sub open: %s", nng_strerror(rv));
		return -1;
	}
	if ((rv = nng_socket_set(*sock, NNG_OPT_SUB_SUBSCRIBE, prefix,
	         strlen(prefix))) != 0 ||
	    (rv = nng_socket_set_int(*sock, NNG_OPT_RECVBUF, recvbuf)) != 0) {
		log_warnx("bus: sub options: %s", nng_strerror(rv));
		goto fail;
	}
	if ((rv = nng_listener_create(&l, *sock, url)) != 0) {
		log_warnx("bus: listener %s: %s", url, nng_strerror(rv));
		goto fail;
	}
	if (strncmp(url, BUS_IPC_PREFIX, strlen(BUS_IPC_PREFIX)) == 0 &&
	    (rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, 0600)) !=
	        0) {
		log_warnx("bus: ipc permissions: %s", nng_strerror(rv));
		goto fail;
	}
	if ((rv = nng_listener_start(l, 0)) != 0) {
		log_warnx("bus: listen %s: %s", url, nng_strerror(rv));
		goto fail;
	}
	return 0;
fail:
	nng_close(*sock);
	return -1;
}

int
bus_recv_fd(nng_socket sock, int *fd)
{
	int rv;

	if ((rv = nng_socket_get_int(sock, NNG_OPT_RECVFD, fd)) != 0) {
		log_warnx("bus: receive fd: %s", nng_strerror(rv));
		return -1;
	}
	return 0;
}

int
bus_send(nng_socket sock, const char *topic, const void *payload, size_t len)
{
	nng_msg *m = NULL;
	int rv;

	if ((rv = nng_msg_alloc(&m, 0)) != 0 ||
	    (rv = nng_msg_append(m, topic, strlen(topic) + 1)) != 0 ||
	    (rv = nng_msg_append(m, payload, len)) != 0)
		goto fail;
	if ((rv = nng_sendmsg(sock, m, NNG_FLAG_NONBLOCK)) != 0)
		goto fail;
	return 0;
fail:
	log_warnx("bus: send %s: %s", topic, nng_strerror(rv));
	if (m != NULL)
		nng_msg_free(m);
	return -1;
}

void
bus_unlink(const char *url)
{
	const char *path;

	if (url == NULL ||
	    strncmp(url, BUS_IPC_PREFIX, strlen(BUS_IPC_PREFIX)) != 0)
		return;
	path = url + strlen(BUS_IPC_PREFIX);
	if (unlink(path) == 0)
		log_debug("bus: removed %s", path);
}
