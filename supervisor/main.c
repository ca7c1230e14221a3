/*
 * vigild: the vigil supervisor. This file reads the command line and the
 * config file, looks up the roles' user, takes the pidfile lock and
 * detaches; supervisor.c does the work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "supervisor/daemon.h"
#include "supervisor/spawn.h"
#include "supervisor/supervisor.h"

static void __attribute__((noreturn)) usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: vigild [-fhnv] [-c file]\n");
	exit(status);
}

/* Load and check the config and the user; exit 78 on any error. */
static void
main_config(struct config *cf, const char *path, struct spawn_cred *cred,
    int *drop)
{
	char err[512], *abs = NULL;
	int rv;

	if (path == NULL && access(config_default_path(), F_OK) == 0)
		path = config_default_path();
	/* The daemon runs in /: the path must not depend on the cwd. */
	if (path != NULL && (abs = realpath(path, NULL)) != NULL)
		path = abs;
	rv = config_load(cf, path, err, sizeof err);
	free(abs);
	if (rv == -1)
		goto fail;
	*drop = geteuid() == 0 && cf->user != NULL;
	if (geteuid() == 0 && cf->user == NULL)
		log_warnx("running from a build tree: roles keep uid 0; set "
		          "[vigild] user to run them unprivileged");
	if (*drop && spawn_cred_lookup(cf->user, cred, err, sizeof err) == -1)
		goto fail;
	return;
fail:
	log_warnx("%s", err);
	exit(EXIT_CONFIG);
}

int
main(int argc, char **argv)
{
	struct config cf;
	struct spawn_cred cred;
	const char *path = NULL;
	int ch, fflag = 0, nflag = 0, verbose = 0, drop = 0, lockfd;

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
	main_config(&cf, path, &cred, &drop);
	if (nflag) {
		fprintf(stderr, "configuration OK\n");
		config_free(&cf);
		return 0;
	}
	if (daemon_rundir(&cf, drop ? &cred : NULL) == -1 ||
	    (lockfd = daemon_lock(cf.pidfile)) == -1) {
		config_free(&cf);
		return 1;
	}
	if (!fflag) {
		daemon_detach();
		log_init("vigild", verbose, 1);
	}
	daemon_write_pid(lockfd);
	ch = supervisor_run(&cf, drop ? &cred : NULL, verbose);
	if (unlink(cf.pidfile) == -1)
		log_warn("unlink %s", cf.pidfile);
	close(lockfd);
	config_free(&cf);
	return ch;
}
