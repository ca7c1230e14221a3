/*
 * Benchmarks of the collectors. "cost" times, in one run and interleaved,
 * each collector's real per-tick work (read, parse, compute, build and
 * encode the sample) against a floor: a minimal loop that only reads the
 * same files and scans their numbers. "parse" measures StatsD lines parsed
 * and aggregated per second on one core. "send" paces StatsD datagrams to
 * a UDP port for the ingest test.
 *
 * usage: collectors_bench cost rounds ticks
 *        collectors_bench parse seconds
 *        collectors_bench send port lines_per_sec seconds lines_per_dgram
 */
#include <sys/socket.h>
#include <sys/statvfs.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proto.h"
#include "collectors/devices.h"
#include "collectors/memory.h"
#include "collectors/statsd.h"
#include "collectors/system.h"

static volatile uint64_t bench_sink;

static double
bench_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The floor: read a file and add up every number in it. */
static void
floor_file(const char *path)
{
	static char buf[1 << 16];
	uint64_t sum = 0, v = 0;
	ssize_t n, i;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (i = 0; i < n; i++) {
			if (isdigit((unsigned char)buf[i]))
				v = v * 10 + (uint64_t)(buf[i] - '0');
			else {
				sum += v;
				v = 0;
			}
		}
	}
	close(fd);
	bench_sink += sum + v;
}

/* statvfs on every mount the collector would report. */
static void
floor_mounts(void)
{
	char dev[512], dir[512], type[64];
	struct statvfs vfs;
	FILE *fp;

	if ((fp = fopen("/proc/mounts", "r")) == NULL)
		return;
	while (fscanf(fp, "%511s %511s %63s %*[^\n]", dev, dir, type) == 3) {
		if (devices_fs_wanted(type) && statvfs(dir, &vfs) == 0)
			bench_sink += vfs.f_blocks;
	}
	fclose(fp);
}

static void
floor_system(void)
{
	static const char *const files[] = { "/proc/stat", "/proc/loadavg",
		"/proc/uptime", "/proc/net/dev", "/proc/diskstats",
		"/proc/pressure/cpu", "/proc/pressure/io" };
	size_t i;

	for (i = 0; i < sizeof files / sizeof files[0]; i++)
		floor_file(files[i]);
	floor_mounts();
}

static void
floor_memory(void)
{
	char path[300];
	struct dirent *de;
	DIR *dir;

	floor_file("/proc/meminfo");
	floor_file("/proc/vmstat");
	floor_file("/proc/pressure/memory");
	if ((dir = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		floor_file(path);
	}
	closedir(dir);
}

/* One tick of a collector: collect, then encode as the loop does. */
static void
tick(struct system *sys, struct memory *mem, struct proto_sample *s)
{
	char *buf;
	size_t len;

	proto_sample_clear(s);
	if (sys != NULL)
		system_collect(sys, "/", proto_mono_ns(), s);
	else
		memory_collect(mem, "/", proto_mono_ns(), s);
	if (proto_sample_encode(s, &buf, &len) == 0) {
		bench_sink += len;
		free(buf);
	}
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
bench_cost(int rounds, int ticks)
{
	struct system *sys = system_new("/", 256);
	struct memory *mem = memory_new("/", 10, 4096);
	struct proto_sample s;
	double r[4][64], t;
	int i, k, w;

	if (rounds > 64)
		rounds = 64;
	proto_sample_init(&s, "bench", "h", 1000);
	tick(sys, NULL, &s); /* the first reading has no rates */
	tick(NULL, mem, &s);
	for (i = 0; i < rounds; i++) {
		for (w = 0; w < 4; w++) {
			t = bench_cpu();
			for (k = 0; k < ticks; k++) {
				if (w == 0)
					tick(sys, NULL, &s);
				else if (w == 1)
					floor_system();
				else if (w == 2)
					tick(NULL, mem, &s);
				else
					floor_memory();
			}
			r[w][i] = (bench_cpu() - t) / ticks * 1e6;
		}
	}
	for (w = 0; w < 4; w++)
		qsort(r[w], (size_t)rounds, sizeof r[w][0], cmp);
	printf("system: %.1f us/tick, floor %.1f us, ratio %.2f "
	       "(median of %d rounds of %d ticks)\n",
	    r[0][rounds / 2], r[1][rounds / 2],
	    r[0][rounds / 2] / r[1][rounds / 2], rounds, ticks);
	printf("memory: %.1f us/tick, floor %.1f us, ratio %.2f\n",
	    r[2][rounds / 2], r[3][rounds / 2],
	    r[2][rounds / 2] / r[3][rounds / 2]);
	proto_sample_free(&s);
	system_free(sys);
	memory_free(mem);
	return 0;
}

/* A datagram of lines of every type, as clients send them. */
static size_t
bench_datagram(char *buf, size_t len, int lines, unsigned seed)
{
	static const char *const fmt[] = { "app.req.count:1|c",
		"app.req.time:%u|ms", "app.queue.depth:%u|g", "app.users:%u|s",
		"app.db.query:%u|ms|@0.5|#env:prod", "app.hits:%u|c|@0.1" };
	size_t off = 0;
	int i, n;

	for (i = 0; i < lines && off < len; i++) {
		n = snprintf(buf + off, len - off, fmt[(seed + i) % 6],
		    (seed * 7 + i) % 1000);
		if (n < 0 || (size_t)n + 1 >= len - off)
			break;
		off += (size_t)n;
		buf[off++] = '\n';
	}
	return off > 0 ? off - 1 : 0;
}

static int
bench_parse(double seconds)
{
	struct statsd *st = statsd_new(1000, 10000);
	struct proto_sample s;
	char buf[4096];
	uint64_t lines = 0;
	double t0 = bench_cpu(), t;
	size_t len;
	unsigned i = 0;

	proto_sample_init(&s, "bench", "h", 1000);
	len = bench_datagram(buf, sizeof buf, 20, 1);
	do {
		statsd_parse_datagram(st, buf, len);
		lines += 20;
		if (++i % 10000 == 0) { /* a flush per 200,000 lines */
			proto_sample_clear(&s);
			statsd_flush(st, 1.0, &s);
		}
	} while ((t = bench_cpu() - t0) < seconds);
	printf("statsd parse: %.0f lines/s on one core (%llu lines in %.2f s "
	       "CPU)\n",
	    (double)lines / t, (unsigned long long)lines, t);
	proto_sample_free(&s);
	statsd_free(st);
	return 0;
}

static int
bench_send(int port, double rate, double seconds, int per)
{
	struct sockaddr_in sin;
	char buf[8192];
	uint64_t sent = 0, due;
	int64_t t0 = proto_mono_ns(), now;
	size_t len;
	int fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return 1;
	len = bench_datagram(buf, sizeof buf, per, 3);
	while ((now = proto_mono_ns()) - t0 < (int64_t)(seconds * 1e9)) {
		due = (uint64_t)((double)(now - t0) / 1e9 * rate);
		while (sent + (uint64_t)per <= due) {
			if (sendto(fd, buf, len, 0, (struct sockaddr *)&sin,
			        sizeof sin) == (ssize_t)len)
				sent += (uint64_t)per;
		}
		usleep(200);
	}
	close(fd);
	printf("%llu\n", (unsigned long long)sent);
	return 0;
}

int
main(int argc, char **argv)
{
	log_init("collectors_bench", 0, 0);
	if (argc == 4 && strcmp(argv[1], "cost") == 0)
		return bench_cost(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "parse") == 0)
		return bench_parse(atof(argv[2]));
	if (argc == 6 && strcmp(argv[1], "send") == 0)
		return bench_send(atoi(argv[2]), atof(argv[3]), atof(argv[4]),
		    atoi(argv[5]));
	fprintf(stderr,
	    "usage: collectors_bench cost rounds ticks\n"
	    "       collectors_bench parse seconds\n"
	    "       collectors_bench send port lines_per_sec seconds "
	    "lines_per_dgram\n");
	return 64;
}
