/*
 * A bus subscriber for the collectors' integration tests: listens on the
 * bus url given, and prints every sample and metadata message it receives
 * as one JSON line on standard output until it has run for the seconds
 * given. The tests read the bus through it, without the gateway.
 *
 * usage: collectors_sub url seconds
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>

#include "common/bus.h"
#include "common/log.h"
#include "common/proto.h"

/* A JSON string: process names and mount points may hold anything. */
static void
print_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
print_sample(const struct proto_sample *s)
{
	size_t i;

	printf("{\"type\":\"sample\",\"src\":\"%s\",\"seq\":%llu,\"t\":%lld,"
	       "\"vals\":{",
	    s->source, (unsigned long long)s->seq, (long long)s->time_ns);
	for (i = 0; i < s->nvalues; i++)
		printf("%s\"%s\":%.17g", i ? "," : "", s->values[i].name,
		    s->values[i].value);
	printf("},\"text\":{");
	for (i = 0; i < s->ntexts; i++) {
		printf("%s\"%s\":", i ? "," : "", s->texts[i].name);
		print_str(s->texts[i].value);
	}
	printf("}}\n");
}

static void
print_meta(const struct proto_meta *m)
{
	size_t i;

	printf("{\"type\":\"meta\",\"src\":\"%s\",\"seq\":%llu,\"series\":[",
	    m->source, (unsigned long long)m->seq);
	for (i = 0; i < m->nseries; i++) {
		printf("%s{\"name\":\"%s\",\"unit\":\"%s\",\"kind\":\"%s\","
		       "\"desc\":",
		    i ? "," : "", m->series[i].name, m->series[i].unit,
		    m->series[i].kind);
		print_str(m->series[i].desc);
		putchar('}');
	}
	printf("]}\n");
}

static void
handle(const void *body, size_t len)
{
	struct proto_sample s;
	struct proto_meta m;
	const char *topic;
	const void *payload;
	size_t plen;
	char err[256];

	if (proto_split(body, len, &topic, &payload, &plen) != 0)
		return;
	if (strncmp(topic, PROTO_TOPIC_SAMPLE, strlen(PROTO_TOPIC_SAMPLE)) ==
	    0) {
		memset(&s, 0, sizeof s);
		if (proto_sample_decode(payload, plen, &s, err, sizeof err) ==
		    0)
			print_sample(&s);
		else
			printf("{\"type\":\"error\",\"error\":\"%s\"}\n", err);
		proto_sample_free(&s);
	} else if (strncmp(topic, PROTO_TOPIC_META, strlen(PROTO_TOPIC_META)) ==
	    0) {
		memset(&m, 0, sizeof m);
		if (proto_meta_decode(payload, plen, &m, err, sizeof err) == 0)
			print_meta(&m);
		else
			printf("{\"type\":\"error\",\"error\":\"%s\"}\n", err);
		proto_meta_free(&m);
	}
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	nng_socket sock;
	nng_msg *msg;
	int64_t end;
	int rv;

	if (argc != 3) {
		fprintf(stderr, "usage: collectors_sub url seconds\n");
		return 64;
	}
	log_init("collectors_sub", 0, 0);
	if (bus_sub_listen(&sock, argv[1], "", 8192) != 0)
		return 1;
	nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 100);
	printf("{\"type\":\"listening\"}\n");
	fflush(stdout);
	end = proto_mono_ns() + (int64_t)(atof(argv[2]) * 1e9);
	while (proto_mono_ns() < end) {
		if ((rv = nng_recvmsg(sock, &msg, 0)) != 0)
			continue;
		handle(nng_msg_body(msg), nng_msg_len(msg));
		nng_msg_free(msg);
	}
	nng_close(sock);
	bus_unlink(argv[1]);
	return 0;
}
