/*
 * vigil-gateway(8): parse options, read the configuration and run the
 * gateway in the foreground.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>
#include <nng/nng.h>

#include "common/config.h"
#include "common/log.h"
#include "gateway/gateway.h"

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: vigil-gateway [-hv] [-c file]\n");
	exit(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	struct config cf;
	const char *path = NULL;
	char err[512];
	int ch, verbose = 0, rv;

	while ((ch = getopt(argc, argv, "c:hv")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			fprintf(stdout,
			    "usage: vigil-gateway [-hv] [-c file]\n");
			return 0;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("vigil-gateway", verbose, 0);
	if (path == NULL && access(config_default_path(), F_OK) == 0)
		path = config_default_path();
	if (config_load(&cf, path, err, sizeof err) == -1) {
		fprintf(stderr, "vigil-gateway: %s\n", err);
		return EXIT_CONFIG;
	}
	if (config_make_rundir(&cf) == -1) {
		config_free(&cf);
		return 1;
	}
	rv = gateway_run(&cf);
	config_free(&cf);
	nng_fini();
	libevent_global_shutdown();
	return rv == 0 ? 0 : 1;
}
