/*
 * vigild: the vigil supervisor. This file only reads the command line and
 * the config file; supervisor.c does the work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "supervisor/supervisor.h"

static void __attribute__((noreturn)) usage(int status)
{
	fprintf(
	    status == 0 ? stdout : stderr, "usage: vigild [-fhnv] [-c file]\n");
	exit(status);
}

int
main(int argc, char **argv)
{
	struct config cf;
	const char *path = NULL;
	char err[512];
	int ch, fflag = 0, nflag = 0, verbose = 0;

	while ((ch = getopt(argc, argv, "c:fhnv")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			fflag = 1;
			break;
		case 'h':
			usage(0);
		case 'n':
			nflag = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);

	log_init("vigild", verbose, 0);
	if (!fflag && !nflag) {
		log_warnx("daemon mode is not implemented yet: use -f");
		return EXIT_USAGE;
	}
	if (path == NULL && access(config_default_path(), F_OK) == 0)
		path = config_default_path();
	if (config_load(&cf, path, err, sizeof err) == -1 ||
	    supervisor_check(&cf, err, sizeof err) == -1) {
		log_warnx("%s", err);
		return EXIT_CONFIG;
	}
	if (nflag) {
		fprintf(stderr, "configuration OK\n");
		config_free(&cf);
		return 0;
	}
	ch = supervisor_run(&cf, verbose);
	config_free(&cf);
	return ch;
}
