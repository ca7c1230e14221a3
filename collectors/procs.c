/*
 * Top processes by RSS: one pass over the numeric entries of ROOT/proc,
 * one read(2) of each stat file, and an insertion into a sorted array of
 * the n largest. n is small (the [memory] top key, at most 1000), so the
 * insertion is cheaper than a heap would be for the usual 10.
 */
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/procfs.h"
#include "collectors/procs.h"

#define PROCS_RSS_FIELD 24 /* 1-based, man proc(5) */

int
procs_parse_stat(const char *buf, size_t len, uint64_t pagesize,
    struct procs_entry *e)
{
	const char *open, *close = NULL, *p, *q, *end = buf + len;
	uint64_t pid, v;
	size_t nlen;
	int field;

	if ((open = memchr(buf, '(', len)) == NULL)
		return -1;
	/* The name may hold ')' itself: the last one ends it. */
	for (p = open; p < end; p++) {
		if (*p == ')')
			close = p;
	}
	p = buf;
	if (close == NULL || procfs_number(&p, &pid) != 0 || p + 1 != open ||
	    pid > INT64_MAX)
		return -1;
	nlen = (size_t)(close - open - 1);
	if (nlen > PROCS_COMM_MAX)
		nlen = PROCS_COMM_MAX;
	memcpy(e->name, open + 1, nlen);
	e->name[nlen] = '\0';
	e->pid = (int64_t)pid;
	/* Field 3, the state, is one letter; numbers follow. */
	p = close + 1;
	if (end - p < 3 || p[0] != ' ' || !isalpha((unsigned char)p[1]))
		return -1;
	p += 2;
	for (field = 4; field <= PROCS_RSS_FIELD; field++) {
		/*
		 * Fields 4..24 are decimal; some may be negative. Each must
		 * end before end: buf need not hold a NUL to stop strtoull.
		 */
		while (p < end && *p == ' ')
			p++;
		if (p < end && *p == '-')
			p++;
		for (q = p; q < end && isdigit((unsigned char)*q); q++)
			;
		if (q == p || q == end || procfs_number(&p, &v) != 0)
			return -1;
	}
	e->rss = v * pagesize;
	return 0;
}

/* 1 when a ranks before b: more RSS, then the lower pid. */
static int
procs_before(const struct procs_entry *a, const struct procs_entry *b)
{
	return a->rss > b->rss || (a->rss == b->rss && a->pid < b->pid);
}

/* Insert e into the sorted out[0..*n), keeping at most max. */
static void
procs_insert(struct procs_entry *out, size_t *n, size_t max,
    const struct procs_entry *e)
{
	size_t i = *n;

	if (max == 0 || (i == max && !procs_before(e, &out[max - 1])))
		return;
	if (i == max)
		i--;
	while (i > 0 && procs_before(e, &out[i - 1])) {
		out[i] = out[i - 1];
		i--;
	}
	out[i] = *e;
	if (*n < max)
		(*n)++;
}

static int
procs_read_one(int dirfd, const char *pid, uint64_t pagesize,
    struct procs_entry *e)
{
	char path[300], buf[2048];
	ssize_t len;
	int fd;

	snprintf(path, sizeof path, "%s/stat", pid);
	if ((fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	return procs_parse_stat(buf, (size_t)len, pagesize, e);
}

int
procs_top(const char *root, size_t n, uint64_t pagesize,
    struct procs_entry *out)
{
	char path[PATH_MAX];
	struct procs_entry e;
	struct dirent *de;
	DIR *dir;
	size_t count = 0;

	snprintf(path, sizeof path, "%s/proc", root);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (procs_read_one(dirfd(dir), de->d_name, pagesize, &e) != 0 ||
		    e.rss == 0)
			continue;
		procs_insert(out, &count, n, &e);
	}
	closedir(dir);
	return (int)count;
}
