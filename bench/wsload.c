/*
 * wsload: WebSocket load generator for vigil-gateway and for wsfloor, its
 * floor. It forks workers (each with its share of the connections, see
 * wsload_worker.c) before it touches libevent or nng, waits until every
 * connection is upgraded, then opens the measured window: it publishes
 * samples on the gateway's bus at the given rate, samples the server's
 * CPU time and RSS from /proc at both ends, and merges the workers'
 * counts and latency histograms. It prints one key=value line for scripts
 * and a short summary for people.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>

#include "bench/wsload.h"
#include "common/bus.h"
#include "common/log.h"
#include "common/proto.h"

#define WSLOAD_WORKERS_MAX 16
#define WSLOAD_PER_WORKER 9000 /* connections, below the fd limit */

struct proc_figures {
	double cpu_s;
	long rss_kb;
	long hwm_kb;
};

struct wsload {
	struct wsload_opts o;
	unsigned conns;
	double rate;
	double duration;
	unsigned nvalues;
	unsigned stall;
	unsigned workers;
	unsigned settle_ms;
	unsigned grace_ms;
	long gwpid;
	const char *bus;
	const char *label;
	pid_t pid[WSLOAD_WORKERS_MAX];
	int ctl[WSLOAD_WORKERS_MAX];
	int rep[WSLOAD_WORKERS_MAX];
	struct wsload_report total;
	uint64_t published;
	long rss_max_kb;
};

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: wsload [-n conns] [-r rate] [-d seconds] [-u url] "
	    "[-p subprotocol]\n"
	    "              [-g pid] [-b bus] [-V values] [-w workers] "
	    "[-s stalled]\n"
	    "              [-a addresses] [-l label]\n");
	exit(64);
}

static int
wsload_url(struct wsload_opts *o, const char *url)
{
	char host[64];
	const char *p, *slash;
	unsigned port = 80;
	size_t hl;

	if (strncmp(url, "ws://", 5) != 0)
		return -1;
	p = url + 5;
	slash = strchr(p, '/');
	hl = slash ? (size_t)(slash - p) : strlen(p);
	if (hl == 0 || hl >= sizeof host)
		return -1;
	memcpy(host, p, hl);
	host[hl] = '\0';
	snprintf(o->host, sizeof o->host, "%s", host);
	snprintf(o->path, sizeof o->path, "%s", slash ? slash : "/");
	if ((p = strchr(host, ':')) != NULL) {
		port = (unsigned)strtoul(p + 1, NULL, 10);
		host[p - host] = '\0';
	}
	memset(&o->dst, 0, sizeof o->dst);
	o->dst.sin_family = AF_INET;
	o->dst.sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &o->dst.sin_addr) == 1 ? 0 : -1;
}

static void
wsload_options(struct wsload *l, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "stall", required_argument, NULL, 's' },
		{ "stall-rcvbuf", required_argument, NULL, 'R' },
		{ "settle", required_argument, NULL, 'S' },
		{ "grace", required_argument, NULL, 'G' },
		{ "capture", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = "ws://127.0.0.1:8420/ws";
	int ch;

	l->conns = 1000;
	l->rate = 10;
	l->duration = 10;
	l->nvalues = 48;
	l->settle_ms = 1000;
	l->grace_ms = 500;
	l->label = "run";
	snprintf(l->o.proto, sizeof l->o.proto, "vigil.msgpack");
	l->o.inflight = 256;
	l->o.max_msg = 64 << 20;
	l->o.stall_rcvbuf = 4096;
	while ((ch = getopt_long(argc, argv,
	            "a:b:d:g:hl:n:p:r:s:u:V:w:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			l->o.naddr = (unsigned)atoi(optarg);
			break;
		case 'b':
			l->bus = optarg;
			break;
		case 'd':
			l->duration = atof(optarg);
			break;
		case 'g':
			l->gwpid = atol(optarg);
			break;
		case 'l':
			l->label = optarg;
			break;
		case 'n':
			l->conns = (unsigned)atoi(optarg);
			break;
		case 'p':
			snprintf(l->o.proto, sizeof l->o.proto, "%s", optarg);
			break;
		case 'r':
			l->rate = atof(optarg);
			break;
		case 's':
			l->stall = (unsigned)atoi(optarg);
			break;
		case 'u':
			url = optarg;
			break;
		case 'V':
			l->nvalues = (unsigned)atoi(optarg);
			break;
		case 'w':
			l->workers = (unsigned)atoi(optarg);
			break;
		case 'R':
			l->o.stall_rcvbuf = atoi(optarg);
			break;
		case 'S':
			l->settle_ms = (unsigned)atoi(optarg);
			break;
		case 'G':
			l->grace_ms = (unsigned)atoi(optarg);
			break;
		case 'C':
			snprintf(l->o.capture, sizeof l->o.capture, "%s",
			    optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || wsload_url(&l->o, url) == -1 || l->rate < 0 ||
	    l->rate > 1000 || l->duration <= 0 || l->stall > l->conns)
		usage();
	l->o.json = strcmp(l->o.proto, "vigil.json") == 0;
	if (l->workers == 0)
		l->workers =
		    (l->conns + WSLOAD_PER_WORKER - 1) / WSLOAD_PER_WORKER;
	if (l->workers == 0)
		l->workers = 1;
	if (l->workers > WSLOAD_WORKERS_MAX)
		usage();
	if (l->o.naddr == 0)
		l->o.naddr = 1 + l->conns / 2000;
	if (l->o.naddr > 250)
		l->o.naddr = 250;
}

static int
proc_read(long pid, struct proc_figures *pf)
{
	char path[64], buf[2048], *p;
	unsigned long ut, st;
	FILE *fp;

	memset(pf, 0, sizeof *pf);
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(buf, sizeof buf, fp);
	fclose(fp);
	if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	        &ut, &st) != 2)
		return -1;
	pf->cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(buf, sizeof buf, fp) != NULL) {
		sscanf(buf, "VmRSS: %ld", &pf->rss_kb);
		sscanf(buf, "VmHWM: %ld", &pf->hwm_kb);
	}
	fclose(fp);
	return 0;
}

static void
wsload_fork(struct wsload *l)
{
	struct wsload_opts o;
	int ctl[2], rep[2];
	unsigned i, share, first = 0, stall = l->stall;

	for (i = 0; i < l->workers; i++) {
		o = l->o;
		share = l->conns / l->workers + (i < l->conns % l->workers);
		o.conns = share;
		o.first = first;
		o.stall = stall < share ? stall : share;
		if (i > 0)
			o.capture[0] = '\0';
		stall -= o.stall;
		first += share;
		if (pipe(ctl) == -1 || pipe(rep) == -1)
			fatal("pipe");
		if ((l->pid[i] = fork()) == -1)
			fatal("fork");
		if (l->pid[i] == 0) {
			close(ctl[1]);
			close(rep[0]);
			signal(SIGPIPE, SIG_IGN);
			_exit(
			    wsload_worker_run(&o, ctl[0], rep[1]) == 0 ? 0 : 1);
		}
		close(ctl[0]);
		close(rep[1]);
		l->ctl[i] = ctl[1];
		l->rep[i] = rep[0];
	}
}

static int
wsload_collect(struct wsload *l, int kind)
{
	struct wsload_report r;
	struct wsload_counts *t = &l->total.c;
	unsigned i;
	size_t got;
	ssize_t n;

	memset(&l->total, 0, sizeof l->total);
	t->min_frames = UINT64_MAX;
	for (i = 0; i < l->workers; i++) {
		for (got = 0; got < sizeof r; got += (size_t)n)
			if ((n = read(l->rep[i], (char *)&r + got,
			         sizeof r - got)) <= 0) {
				fprintf(stderr, "wsload: worker %u is gone\n",
				    i);
				return -1;
			}
		if (r.kind != kind)
			return -1;
		t->conns += r.c.conns;
		t->failed += r.c.failed;
		t->closed += r.c.closed;
		t->frames += r.c.frames;
		t->samples += r.c.samples;
		t->bytes += r.c.bytes;
		t->lost += r.c.lost;
		t->reordered += r.c.reordered;
		t->snapshots += r.c.snapshots;
		t->other += r.c.other;
		t->stalled += r.c.stalled;
		t->stall_bytes += r.c.stall_bytes;
		if (r.c.stall_kernel > t->stall_kernel)
			t->stall_kernel = r.c.stall_kernel;
		if (r.c.stall_queued_max > t->stall_queued_max)
			t->stall_queued_max = r.c.stall_queued_max;
		if (r.c.min_frames < t->min_frames && r.c.conns > r.c.stalled)
			t->min_frames = r.c.min_frames;
		if (r.c.max_frames > t->max_frames)
			t->max_frames = r.c.max_frames;
		wsload_hist_merge(&l->total.lat, &r.lat);
		wsload_hist_merge(&l->total.e2e, &r.e2e);
		wsload_hist_merge(&l->total.app, &r.app);
	}
	if (t->min_frames == UINT64_MAX)
		t->min_frames = 0;
	return 0;
}

static void
wsload_tell(struct wsload *l, char ch)
{
	unsigned i;

	for (i = 0; i < l->workers; i++)
		if (write(l->ctl[i], &ch, 1) != 1)
			fatal("wsload: worker %u control", i);
}

/* Series names like the system collector's, so frames have a real size. */
static void
wsload_sample(struct proto_sample *s, unsigned nvalues, uint64_t seq)
{
	static const char *kinds[] = { "user", "nice", "system", "iowait",
		"irq", "softirq", "steal", "idle", "busy" };
	char name[64];
	unsigned i;

	proto_sample_clear(s);
	s->seq = seq;
	s->time_ns = proto_now_ns();
	for (i = 0; i < nvalues; i++) {
		snprintf(name, sizeof name, "cpu.%u.%s", i / 9, kinds[i % 9]);
		proto_sample_add(s, name, (double)(rand() % 10000) / 100.0);
	}
}

static void
wsload_sleep_until(double ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1e3);
	ts.tv_nsec = (long)(fmod(ms, 1e3) * 1e6);
	while (
	    clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void
wsload_rss_peek(struct wsload *l)
{
	struct proc_figures pf;

	if (l->gwpid > 0 && proc_read(l->gwpid, &pf) == 0 &&
	    pf.rss_kb > l->rss_max_kb)
		l->rss_max_kb = pf.rss_kb;
}

/* Publish for the duration (or just wait, without a bus). */
static void
wsload_publish(struct wsload *l, nng_socket pub, int have_pub)
{
	struct proto_sample s;
	double t0 = wsload_now_ms(), next, end = t0 + l->duration * 1e3;
	double peek = t0;
	char topic[64], *buf;
	size_t len;
	uint64_t seq = 0;

	proto_sample_init(&s, "bench", "bench",
	    (uint32_t)(l->rate > 0 ? 1000 / l->rate : 0));
	snprintf(topic, sizeof topic, "%sbench", PROTO_TOPIC_SAMPLE);
	for (next = t0; next < end;) {
		wsload_sleep_until(next);
		if (have_pub && l->rate > 0) {
			wsload_sample(&s, l->nvalues, ++seq);
			if (proto_sample_encode(&s, &buf, &len) == 0) {
				if (bus_send(pub, topic, buf, len) == 0)
					l->published++;
				free(buf);
			}
		}
		if (wsload_now_ms() >= peek) {
			wsload_rss_peek(l);
			peek += 100;
		}
		next += l->rate > 0 ? 1e3 / l->rate : 100;
	}
	proto_sample_free(&s);
}

static void
wsload_print(struct wsload *l, const struct proc_figures *p0,
    const struct proc_figures *p1, const struct proc_figures *pb,
    double window_s)
{
	const struct wsload_counts *t = &l->total.c;
	const struct wsload_hist *h = &l->total.lat, *e = &l->total.e2e;
	double cpu = p1->cpu_s - p0->cpu_s;
	double perconn = t->conns > 0
	    ? (double)(p0->rss_kb - pb->rss_kb) * 1024 / (double)t->conns
	    : 0;
	double us = t->frames > 0 ? cpu * 1e6 / (double)t->frames : 0;
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	printf("wsload label=%s n=%u conns=%" PRIu64 " failed=%" PRIu64
	       " rate=%g dur=%.3f published=%" PRIu64 " frames=%" PRIu64
	       " fps=%.1f samples=%" PRIu64 " bytes=%" PRIu64 " lost=%" PRIu64
	       " reordered=%" PRIu64 " closed=%" PRIu64 " snapshots=%" PRIu64
	       " min_frames=%" PRIu64 " max_frames=%" PRIu64,
	    l->label, l->conns, t->conns, t->failed, l->rate, window_s,
	    l->published, t->frames, (double)t->frames / window_s, t->samples,
	    t->bytes, t->lost, t->reordered, t->closed, t->snapshots,
	    t->min_frames, t->max_frames);
	printf(" p50=%.3f p99=%.3f p999=%.3f max=%.3f mean=%.3f"
	       " e2e_p50=%.3f e2e_p99=%.3f app_p50=%.3f app_p99=%.3f",
	    wsload_hist_quantile(h, .5), wsload_hist_quantile(h, .99),
	    wsload_hist_quantile(h, .999), h->max,
	    h->n ? h->sum / (double)h->n : 0, wsload_hist_quantile(e, .5),
	    wsload_hist_quantile(e, .99),
	    wsload_hist_quantile(&l->total.app, .5),
	    wsload_hist_quantile(&l->total.app, .99));
	printf(" cpu_s=%.3f us_per_frame=%.3f rss_before_kb=%ld"
	       " rss_start_kb=%ld rss_end_kb=%ld rss_max_kb=%ld hwm_kb=%ld"
	       " rss_per_conn_b=%.0f",
	    cpu, us, pb->rss_kb, p0->rss_kb, p1->rss_kb, l->rss_max_kb,
	    p1->hwm_kb, perconn);
	printf(" stalled=%" PRIu64 " stall_drained=%" PRIu64
	       " stall_kernel_max=%" PRIu64 " stall_queued_max=%" PRIu64
	       " gen_cpu_s=%.2f\n",
	    t->stalled, t->stall_bytes, t->stall_kernel, t->stall_queued_max,
	    (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	        (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	fprintf(stderr,
	    "%s: %" PRIu64 "/%u connected, %.0f frames/s, latency p50 %.2f "
	    "p99 %.2f max %.2f ms, lost %" PRIu64 ", server %.2f us CPU/frame, "
	    "RSS %ld kB (%.0f B/conn)\n",
	    l->label, t->conns, l->conns, (double)t->frames / window_s,
	    wsload_hist_quantile(h, .5), wsload_hist_quantile(h, .99), h->max,
	    t->lost, us, p1->rss_kb, perconn);
}

static void
wsload_reap(struct wsload *l, int kill_them)
{
	unsigned i;
	int status;

	for (i = 0; i < l->workers; i++) {
		if (l->pid[i] <= 0)
			continue;
		close(l->ctl[i]);
		close(l->rep[i]);
		if (kill_them)
			kill(l->pid[i], SIGTERM);
		waitpid(l->pid[i], &status, 0);
		l->pid[i] = 0;
	}
}

static int
wsload_run(struct wsload *l)
{
	struct proc_figures pb, p0, p1;
	nng_socket pub;
	int have_pub = 0;
	double w0, w1;

	memset(&pb, 0, sizeof pb);
	if (l->gwpid > 0 && proc_read(l->gwpid, &pb) == -1) {
		fprintf(stderr, "wsload: no process %ld\n", l->gwpid);
		return -1;
	}
	wsload_fork(l);
	if (l->bus != NULL && bus_pub_dial(&pub, l->bus) == 0)
		have_pub = 1;
	if (wsload_collect(l, WSLOAD_REPORT_READY) == -1)
		return -1;
	fprintf(stderr, "%s: %" PRIu64 " connected, %" PRIu64 " failed\n",
	    l->label, l->total.c.conns, l->total.c.failed);
	wsload_sleep_until(wsload_now_ms() + l->settle_ms);
	wsload_tell(l, 'S');
	w0 = wsload_now_ms();
	if (l->gwpid > 0)
		proc_read(l->gwpid, &p0);
	wsload_publish(l, pub, have_pub);
	wsload_sleep_until(wsload_now_ms() + l->grace_ms);
	if (l->gwpid > 0)
		proc_read(l->gwpid, &p1);
	w1 = wsload_now_ms();
	wsload_tell(l, 'E');
	if (wsload_collect(l, WSLOAD_REPORT_FINAL) == -1)
		return -1;
	wsload_reap(l, 0);
	if (l->gwpid <= 0)
		memset(&p0, 0, sizeof p0), p1 = p0;
	if (have_pub)
		nng_close(pub);
	wsload_print(l, &p0, &p1, &pb, (w1 - w0) / 1e3);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct wsload l;
	int rv;

	memset(&l, 0, sizeof l);
	log_init("wsload", 0, 0);
	wsload_options(&l, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	rv = wsload_run(&l);
	wsload_reap(&l, 1);
	return rv == 0 ? 0 : 1;
}
