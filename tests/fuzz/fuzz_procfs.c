/*
 * Fuzz target for the /proc parsers (collectors/procfs.c, devices.c and
 * procs.c). They read files under a root directory, so the input is
 * written to the file one of them reads under a temporary root made once
 * and removed at exit. The first byte chooses the parser; the rest is the
 * file. procs_parse_stat takes a buffer, so it gets the input directly,
 * without a NUL after it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/devices.h"
#include "collectors/procfs.h"
#include "collectors/procs.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_DEVICES_MAX 16

static const char *const fuzz_files[] = {
	"proc/stat",
	"proc/loadavg",
	"proc/uptime",
	"proc/meminfo",
	"proc/vmstat",
	"proc/pressure/io",
	"proc/net/dev",
	"proc/diskstats",
	"proc/mounts",
};
#define FUZZ_NFILES (sizeof fuzz_files / sizeof fuzz_files[0])

static char fuzz_root[256]; /* short, so every path under it fits */

static void
fuzz_cleanup(void)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < FUZZ_NFILES; i++) {
		snprintf(path, sizeof path, "%s/%s", fuzz_root, fuzz_files[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/proc/pressure", fuzz_root);
	rmdir(path);
	snprintf(path, sizeof path, "%s/proc/net", fuzz_root);
	rmdir(path);
	snprintf(path, sizeof path, "%s/proc", fuzz_root);
	rmdir(path);
	rmdir(fuzz_root);
}

static void
fuzz_mkroot(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX];
	int n;

	n = snprintf(fuzz_root, sizeof fuzz_root, "%s/vigil-fuzz.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof fuzz_root ||
	    mkdtemp(fuzz_root) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(fuzz_cleanup);
	snprintf(path, sizeof path, "%s/proc", fuzz_root);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/proc/net", fuzz_root);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/proc/pressure", fuzz_root);
	mkdir(path, 0700);
}

static void
fuzz_write(const char *file, const uint8_t *p, size_t len)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", fuzz_root, file);
	if ((fp = fopen(path, "wb")) == NULL || fwrite(p, 1, len, fp) != len ||
	    fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

static void
fuzz_parse(unsigned which)
{
	struct procfs_stat st;
	struct procfs_loadavg la;
	struct procfs_meminfo mi;
	struct procfs_vmstat vm;
	struct procfs_psi psi;
	struct devices_net net[FUZZ_DEVICES_MAX];
	struct devices_disk disk[FUZZ_DEVICES_MAX];
	struct devices_mount mnt[FUZZ_DEVICES_MAX];
	double d;
	int more;

	switch (which) {
	case 0:
		if (procfs_read_stat(fuzz_root, &st) == 0)
			procfs_stat_free(&st);
		break;
	case 1:
		(void)procfs_read_loadavg(fuzz_root, &la);
		break;
	case 2:
		(void)procfs_read_uptime(fuzz_root, &d);
		break;
	case 3:
		(void)procfs_read_meminfo(fuzz_root, &mi);
		break;
	case 4:
		(void)procfs_read_vmstat(fuzz_root, &vm);
		break;
	case 5:
		(void)procfs_read_psi(fuzz_root, "io", &psi);
		break;
	case 6:
		(void)devices_read_net(fuzz_root, net, FUZZ_DEVICES_MAX, &more);
		break;
	case 7:
		(void)devices_read_disks(fuzz_root, disk, FUZZ_DEVICES_MAX,
		    &more);
		break;
	default:
		(void)devices_read_mounts(fuzz_root, mnt, FUZZ_DEVICES_MAX,
		    &more);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procs_entry e;
	unsigned which;
	char *copy;

	if (size == 0)
		return 0;
	if (fuzz_root[0] == '\0')
		fuzz_mkroot();
	which = data[0] % (FUZZ_NFILES + 1);
	if (which == FUZZ_NFILES) {
		/* An exact-size copy: the parser must stop at len. */
		if ((copy = malloc(size - 1)) == NULL)
			return 0;
		memcpy(copy, data + 1, size - 1);
		(void)procs_parse_stat(copy, size - 1, 4096, &e);
		free(copy);
		return 0;
	}
	fuzz_write(fuzz_files[which], data + 1, size - 1);
	fuzz_parse(which);
	return 0;
}
