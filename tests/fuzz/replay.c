/*
 * A main() for the fuzz targets without libFuzzer: every argument is an
 * input file, or a directory whose regular files are inputs, and each one
 * is fed to LLVMFuzzerTestOneInput in a buffer of exactly its size, so the
 * sanitizers see an overread as they would under the fuzzer. A crash is
 * the failure; the exit status is 1 only when an input cannot be read.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"

#define REPLAY_INPUT_MAX (16 * 1024 * 1024)

static int
replay_file(const char *path)
{
	FILE *fp;
	uint8_t *buf;
	long len;
	int rv = -1;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    len > REPLAY_INPUT_MAX || fseek(fp, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: cannot size\n", path);
		fclose(fp);
		return -1;
	}
	/* malloc(0) may give NULL: keep one spare byte, never read. */
	if ((buf = malloc((size_t)len + 1)) != NULL &&
	    fread(buf, 1, (size_t)len, fp) == (size_t)len) {
		LLVMFuzzerTestOneInput(len > 0 ? buf : NULL, (size_t)len);
		rv = 0;
	} else
		fprintf(stderr, "%s: cannot read\n", path);
	free(buf);
	fclose(fp);
	return rv;
}

static int
replay_dir(const char *dir, unsigned *n)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int rv = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (replay_file(path) != 0)
			rv = -1;
		(*n)++;
	}
	closedir(d);
	return rv;
}

int
main(int argc, char **argv)
{
	struct stat sb;
	unsigned n = 0;
	int i, rv = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			if (replay_dir(argv[i], &n) != 0)
				rv = 1;
		} else {
			if (replay_file(argv[i]) != 0)
				rv = 1;
			n++;
		}
	}
	printf("%s: %u inputs replayed\n", argv[0], n);
	return rv;
}
