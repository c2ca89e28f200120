// SPDX-License-Identifier: GPL-2.0
/*
 * spc-replay: replay an SPC-format block trace (the UMass/SPC trace format:
 * "ASU,LBA,size,opcode,timestamp", LBA in 512-byte sectors, size in bytes,
 * opcode r/R/w/W, timestamp in seconds) against a block device with O_DIRECT,
 * the way the iSCSI mirroring paper replays its traces: a pool of issuing
 * threads (16 by default), each issuing one request at the time the trace
 * gives and waiting for its completion.
 *
 * See usage() for the options and the exact rules (address mapping, skipped
 * requests, write coalescing, data stamps and verification).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SECTOR 512
#define STAMP_MAGIC 0x53504352504c4159ULL /* "SPCRPLAY" */
#define MAX_THREADS 1024
#define MAX_COALESCE 64

static const char *prog = "spc-replay";

enum op { OP_READ, OP_WRITE };
enum status { ST_PENDING, ST_OK, ST_SKIPPED, ST_ERROR, ST_SHORT, ST_UNSENT };

struct req {
	double t;		/* trace timestamp, seconds */
	uint64_t lba;		/* trace LBA, 512-byte sectors */
	uint64_t size;		/* trace size, bytes */
	unsigned asu;
	enum op op;
	/* mapped onto the device */
	uint64_t off, len;
	/* results */
	enum status st;
	int64_t due_ns, issue_ns, done_ns;	/* relative to the replay start */
	long unit;				/* dispatch unit */
};

struct unit {
	long id;
	enum op op;
	int64_t due_ns, issue_ns, done_ns;
	int merged;		/* extents actually sent */
	int errors, shorts;
	bool skipped;
	int n;
	long idx[];		/* the requests, up to --coalesce of them */
};

struct worker {
	pthread_t thr;
	int id;
	pthread_cond_t cond;
	struct unit *job;	/* set by the dispatcher, cleared when done */
	bool quit;
	void *rbuf;		/* read buffer of max_len bytes */
	aio_context_t ctx;
	bool have_aio;
};

static struct {
	const char *trace, *dev, *csv, *log;
	int threads;
	double speed;
	double start, duration;
	bool map_scale;
	double skip_bound_ms;
	int coalesce;
	double coalesce_wait_ms;
	uint64_t seed;
	bool verify;
	bool no_reads;
	bool quiet;
} opt = {
	.threads = 16, .speed = 1.0, .start = 0, .duration = -1, .skip_bound_ms = 0,
	.coalesce = 1, .coalesce_wait_ms = 100, .seed = 1,
};

static struct req *reqs;
static long nreqs;
static struct unit **units;
static long nunits, units_cap;
static int fd;
static uint64_t dev_bytes, lbs, max_len;
static unsigned nasu;
static long bad_lines;
static int first_err;		/* errno of the first failed transfer */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static struct worker *workers;
static int *free_stack, nfree;
static struct timespec t0;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		die("out of memory");
	return p;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)(ts.tv_sec - t0.tv_sec) * 1000000000LL + (ts.tv_nsec - t0.tv_nsec);
}

static void sleep_until(int64_t ns)
{
	struct timespec ts;
	int64_t abs = (int64_t)t0.tv_sec * 1000000000LL + t0.tv_nsec + ns;

	ts.tv_sec = abs / 1000000000LL;
	ts.tv_nsec = abs % 1000000000LL;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* ---- data stamps ---------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/*
 * Every 512-byte sector a write carries: magic, run seed, request index,
 * device byte offset of the sector, then 60 words derived from those.
 */
static void stamp_sector(uint64_t *w, long idx, uint64_t devoff)
{
	uint64_t s = mix(opt.seed ^ mix((uint64_t)idx * 0x9e3779b97f4a7c15ULL ^ devoff));
	int i;

	w[0] = STAMP_MAGIC;
	w[1] = opt.seed;
	w[2] = (uint64_t)idx;
	w[3] = devoff;
	for (i = 4; i < SECTOR / 8; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		w[i] = s;
	}
}

static void stamp(void *buf, long idx, uint64_t devoff, uint64_t len)
{
	uint64_t k;

	for (k = 0; k < len; k += SECTOR)
		stamp_sector((uint64_t *)((char *)buf + k), idx, devoff + k);
}

/* ---- trace ------------------------------------------------------------------ */

static void read_trace(void)
{
	FILE *f = strcmp(opt.trace, "-") ? fopen(opt.trace, "r") : stdin;
	char line[512];
	long cap = 4096, lineno = 0;
	double first = NAN;

	if (!f)
		die("%s: %s", opt.trace, strerror(errno));
	reqs = xcalloc(cap, sizeof(*reqs));
	while (fgets(line, sizeof(line), f)) {
		unsigned asu;
		unsigned long long lba, size;
		char op;
		double t;
		struct req *r;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%u,%llu,%llu,%c,%lf", &asu, &lba, &size, &op, &t) != 5 ||
		    !strchr("rRwW", op) || size == 0 || !(t >= 0) || asu > 65535) {
			if (bad_lines++ < 5)
				fprintf(stderr, "%s: %s:%ld: not an SPC record, ignored\n",
					prog, opt.trace, lineno);
			continue;
		}
		if (isnan(first))
			first = t;
		if (t < opt.start || (opt.duration >= 0 && t >= opt.start + opt.duration))
			continue;
		if (opt.no_reads && (op == 'r' || op == 'R'))
			continue;
		if (nreqs == cap) {
			cap *= 2;
			reqs = realloc(reqs, cap * sizeof(*reqs));
			if (!reqs)
				die("out of memory");
		}
		r = &reqs[nreqs++];
		memset(r, 0, sizeof(*r));
		r->asu = asu;
		r->lba = lba;
		r->size = size;
		r->op = (op == 'w' || op == 'W') ? OP_WRITE : OP_READ;
		r->t = t;
		if (asu + 1 > nasu)
			nasu = asu + 1;
	}
	if (f != stdin)
		fclose(f);
	if (!nreqs)
		die("%s: no requests in the selected window", opt.trace);
	/* the trace must be in time order; a stable fix-up if it is not quite */
	for (long i = 1; i < nreqs; i++)
		if (reqs[i].t < reqs[i - 1].t)
			reqs[i].t = reqs[i - 1].t;
}

/*
 * Map ASU+LBA onto the device: the device is cut into one equal slice per
 * ASU (ASUs 0..max seen), each a multiple of the logical block size.
 *   modulo: byte offset = LBA*512 mod slice
 *   scale:  byte offset = LBA*512 * (slice - len) / (highest end in this ASU)
 * Offsets are rounded down, lengths up, to the logical block size (O_DIRECT);
 * a length is capped at the slice, and a request that would cross the end of
 * its slice is moved back to end there.
 */
static void map_requests(void)
{
	uint64_t slice = dev_bytes / nasu / lbs * lbs;
	uint64_t *maxend = xcalloc(nasu, sizeof(*maxend));
	long i;

	if (slice < lbs)
		die("%s: %" PRIu64 " bytes are too small for %u ASUs", opt.dev, dev_bytes, nasu);
	for (i = 0; i < nreqs; i++) {
		uint64_t end = reqs[i].lba * SECTOR + reqs[i].size;

		if (end > maxend[reqs[i].asu])
			maxend[reqs[i].asu] = end;
	}
	for (i = 0; i < nreqs; i++) {
		struct req *r = &reqs[i];
		uint64_t base = r->asu * slice, o = r->lba * SECTOR, len;

		len = (r->size + lbs - 1) / lbs * lbs;
		if (len > slice)
			len = slice;
		if (opt.map_scale && maxend[r->asu] > slice)
			o = (uint64_t)((long double)o * (slice - len) / maxend[r->asu]);
		else
			o %= slice;
		o = o / lbs * lbs;
		if (o + len > slice)
			o = slice - len;
		r->off = base + o;
		r->len = len;
		if (len > max_len)
			max_len = len;
	}
	free(maxend);
}

/* ---- issuing ------------------------------------------------------------------ */

struct extent {
	uint64_t off, len;
	void *buf;
};

static int cmp_off(const void *a, const void *b)
{
	const struct req *x = &reqs[*(const long *)a], *y = &reqs[*(const long *)b];

	return x->off < y->off ? -1 : x->off > y->off;
}

static void *xmemalign(uint64_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len))
		die("out of memory (%" PRIu64 " bytes)", len);
	return p;
}

static void note_result(struct unit *u, int64_t res, uint64_t want)
{
	if (res < 0) {
		int zero = 0;

		__atomic_compare_exchange_n(&first_err, &zero, (int)-res, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		u->errors++;
	}
	else if ((uint64_t)res != want)
		u->shorts++;
}

static void issue_unit(struct worker *w, struct unit *u)
{
	struct extent ext[MAX_COALESCE];
	int n = 0, i, in_ext[MAX_COALESCE];
	int64_t res;

	if (u->op == OP_READ) {
		struct req *r = &reqs[u->idx[0]];

		u->issue_ns = now_ns();
		res = pread(fd, w->rbuf, r->len, r->off);
		u->done_ns = now_ns();
		if (res < 0)
			res = -errno;
		note_result(u, res, r->len);
		u->merged = 1;
		return;
	}
	/* writes: sort by offset, merge contiguous, non-overlapping neighbours */
	if (u->n > 1)
		qsort(u->idx, u->n, sizeof(u->idx[0]), cmp_off);
	for (i = 0; i < u->n; i++) {
		struct req *r = &reqs[u->idx[i]];

		if (n && ext[n - 1].off + ext[n - 1].len == r->off) {
			ext[n - 1].len += r->len;
		} else {
			ext[n].off = r->off;
			ext[n].len = r->len;
			n++;
		}
		in_ext[i] = n - 1;
	}
	for (i = 0; i < n; i++)
		ext[i].buf = xmemalign(ext[i].len);
	for (i = 0; i < u->n; i++) {
		struct req *r = &reqs[u->idx[i]];
		int e = in_ext[i];

		stamp((char *)ext[e].buf + (r->off - ext[e].off), u->idx[i], r->off, r->len);
	}
	u->merged = n;
	if (n == 1 || !w->have_aio) {
		u->issue_ns = now_ns();
		for (i = 0; i < n; i++) {
			res = pwrite(fd, ext[i].buf, ext[i].len, ext[i].off);
			if (res < 0)
				res = -errno;
			note_result(u, res, ext[i].len);
		}
		u->done_ns = now_ns();
	} else {
		/* one submission of all extents; the unit is done with the last */
		struct iocb cbs[MAX_COALESCE], *cbp[MAX_COALESCE];
		struct io_event ev[MAX_COALESCE];
		int got = 0, sent;

		memset(cbs, 0, sizeof(cbs));
		for (i = 0; i < n; i++) {
			cbs[i].aio_fildes = fd;
			cbs[i].aio_lio_opcode = IOCB_CMD_PWRITE;
			cbs[i].aio_buf = (uint64_t)(uintptr_t)ext[i].buf;
			cbs[i].aio_nbytes = ext[i].len;
			cbs[i].aio_offset = ext[i].off;
			cbs[i].aio_data = i;
			cbp[i] = &cbs[i];
		}
		u->issue_ns = now_ns();
		sent = syscall(SYS_io_submit, w->ctx, n, cbp);
		if (sent < 0)
			sent = 0;
		/* whatever io_submit did not take goes out synchronously */
		for (i = sent; i < n; i++) {
			res = pwrite(fd, ext[i].buf, ext[i].len, ext[i].off);
			if (res < 0)
				res = -errno;
			note_result(u, res, ext[i].len);
		}
		while (got < sent) {
			int k = syscall(SYS_io_getevents, w->ctx, sent - got, sent - got, ev, NULL);

			if (k < 0) {
				if (errno == EINTR)
					continue;
				/* cannot reap: count the rest as errors */
				u->errors += sent - got;
				break;
			}
			for (i = 0; i < k; i++)
				note_result(u, (int64_t)ev[i].res, ext[ev[i].data].len);
			got += k;
		}
		u->done_ns = now_ns();
	}
	for (i = 0; i < n; i++)
		free(ext[i].buf);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&lock);
	for (;;) {
		struct unit *u;

		while (!w->job && !w->quit)
			pthread_cond_wait(&w->cond, &lock);
		if (!w->job)
			break;
		u = w->job;
		pthread_mutex_unlock(&lock);
		issue_unit(w, u);
		pthread_mutex_lock(&lock);
		w->job = NULL;
		free_stack[nfree++] = w->id;
		pthread_cond_signal(&freed);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

static struct unit *new_unit(enum op op)
{
	struct unit *u = xcalloc(1, sizeof(*u) + opt.coalesce * sizeof(u->idx[0]));

	if (nunits == units_cap) {
		units_cap = units_cap ? units_cap * 2 : 4096;
		units = realloc(units, units_cap * sizeof(*units));
		if (!units)
			die("out of memory");
	}
	u->id = nunits;
	u->op = op;
	units[nunits++] = u;
	return u;
}

/*
 * Hand unit U, due at U->due_ns, to a free thread. The rule for skipped
 * requests: when every thread is busy at the unit's due time, the dispatcher
 * waits for one to be freed until due + skip bound (0 by default, the paper's
 * rule: a request that finds all 16 threads blocked is skipped); if none is
 * freed by then, the unit's requests are skipped (never issued). A unit that
 * found a thread late is issued late and its lateness counted.
 */
static void dispatch(struct unit *u)
{
	int64_t bound = u->due_ns + (int64_t)(opt.skip_bound_ms * 1e6);
	int i;

	pthread_mutex_lock(&lock);
	while (!nfree) {
		int64_t t = now_ns();
		struct timespec ts;
		int64_t abs;

		if (t >= bound)
			break;
		abs = (int64_t)t0.tv_sec * 1000000000LL + t0.tv_nsec + bound;
		ts.tv_sec = abs / 1000000000LL;
		ts.tv_nsec = abs % 1000000000LL;
		pthread_cond_timedwait(&freed, &lock, &ts);
	}
	if (!nfree) {
		pthread_mutex_unlock(&lock);
		u->skipped = true;
		for (i = 0; i < u->n; i++)
			reqs[u->idx[i]].st = ST_SKIPPED;
		return;
	}
	{
		struct worker *w = &workers[free_stack[--nfree]];

		for (i = 0; i < u->n; i++)
			reqs[u->idx[i]].st = ST_PENDING;
		w->job = u;
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&lock);
}

static void replay(void)
{
	double tfirst = reqs[0].t;
	struct unit *batch = NULL;
	int64_t batch_deadline = 0;
	long i;

	for (i = 0; i < nreqs; i++) {
		reqs[i].due_ns = (int64_t)((reqs[i].t - tfirst) / opt.speed * 1e9);
		reqs[i].st = ST_UNSENT;
		reqs[i].unit = -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nreqs; i++) {
		struct req *r = &reqs[i];
		struct unit *u;

		/* a pending batch whose wait ran out before this request goes first */
		if (batch && batch_deadline <= r->due_ns) {
			sleep_until(batch_deadline);
			batch->due_ns = batch_deadline;
			dispatch(batch);
			batch = NULL;
		}
		sleep_until(r->due_ns);
		if (r->op == OP_WRITE && opt.coalesce > 1) {
			if (!batch) {
				batch = new_unit(OP_WRITE);
				batch_deadline = r->due_ns + (int64_t)(opt.coalesce_wait_ms * 1e6);
			}
			batch->idx[batch->n++] = i;
			r->unit = batch->id;
			if (batch->n == opt.coalesce) {
				batch->due_ns = r->due_ns;
				dispatch(batch);
				batch = NULL;
			}
			continue;
		}
		u = new_unit(r->op);
		u->idx[u->n++] = i;
		u->due_ns = r->due_ns;
		r->unit = u->id;
		dispatch(u);
	}
	if (batch) {
		sleep_until(batch_deadline);
		batch->due_ns = batch_deadline;
		dispatch(batch);
	}
	/* wait for every thread */
	pthread_mutex_lock(&lock);
	for (i = 0; i < opt.threads; i++)
		workers[i].quit = true;
	for (i = 0; i < opt.threads; i++)
		pthread_cond_signal(&workers[i].cond);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < opt.threads; i++)
		pthread_join(workers[i].thr, NULL);
	/* per-request results from their units */
	for (i = 0; i < nunits; i++) {
		struct unit *u = units[i];
		int k;

		for (k = 0; k < u->n; k++) {
			struct req *r = &reqs[u->idx[k]];

			r->unit = u->id;
			if (u->skipped)
				continue;
			r->issue_ns = u->issue_ns;
			r->done_ns = u->done_ns;
			r->st = u->errors ? ST_ERROR : u->shorts ? ST_SHORT : ST_OK;
		}
	}
}

/* ---- results ------------------------------------------------------------------ */

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, long n, double p)
{
	long k;

	if (!n)
		return 0;
	k = (long)ceil(p / 100.0 * n) - 1;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return v[k];
}

/* response-time figures (ms) of the issued units of one kind (-1: all) */
static void resp_stats(const char *pfx, int op)
{
	double *v = xcalloc(nunits, sizeof(*v)), sum = 0;
	long n = 0, i, in500 = 0, in1000 = 0;

	for (i = 0; i < nunits; i++) {
		struct unit *u = units[i];

		if (u->skipped || (op >= 0 && (int)u->op != op))
			continue;
		v[n] = (u->done_ns - u->issue_ns) / 1e6;
		sum += v[n];
		in500 += v[n] <= 500;
		in1000 += v[n] <= 1000;
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_dbl);
	printf("%sios=%ld\n", pfx, n);
	printf("%sresp_avg_ms=%.3f\n", pfx, n ? sum / n : 0);
	printf("%sresp_min_ms=%.3f\n", pfx, n ? v[0] : 0);
	printf("%sresp_p50_ms=%.3f\n", pfx, pct(v, n, 50));
	printf("%sresp_p99_ms=%.3f\n", pfx, pct(v, n, 99));
	printf("%sresp_max_ms=%.3f\n", pfx, n ? v[n - 1] : 0);
	printf("%swithin_500ms_pct=%.2f\n", pfx, n ? 100.0 * in500 / n : 0);
	printf("%swithin_1s_pct=%.2f\n", pfx, n ? 100.0 * in1000 / n : 0);
	free(v);
}

static void report(double elapsed)
{
	long r = 0, w = 0, sr = 0, sw = 0, errs = 0, shorts = 0, coalesced = 0, batches = 0;
	long merged_away = 0, late = 0;
	double late_sum = 0, late_max = 0;
	long i;

	for (i = 0; i < nreqs; i++) {
		bool wr = reqs[i].op == OP_WRITE;

		wr ? w++ : r++;
		if (reqs[i].st == ST_SKIPPED)
			wr ? sw++ : sr++;
	}
	for (i = 0; i < nunits; i++) {
		struct unit *u = units[i];
		double l;

		if (u->skipped)
			continue;
		errs += u->errors;
		shorts += u->shorts;
		if (u->op == OP_WRITE && u->n > 1) {
			batches++;
			coalesced += u->n;
			merged_away += u->n - u->merged;
		}
		l = (u->issue_ns - u->due_ns) / 1e6;
		if (l > 1.0)
			late++;
		late_sum += l;
		if (l > late_max)
			late_max = l;
	}
	printf("trace=%s\ndevice=%s\n", opt.trace, opt.dev);
	printf("device_bytes=%" PRIu64 "\nlogical_block=%" PRIu64 "\nasus=%u\n", dev_bytes, lbs, nasu);
	printf("threads=%d\nspeed=%g\nskip_bound_ms=%g\ncoalesce=%d\ncoalesce_wait_ms=%g\n",
	       opt.threads, opt.speed, opt.skip_bound_ms, opt.coalesce, opt.coalesce_wait_ms);
	printf("map=%s\nseed=%" PRIu64 "\n", opt.map_scale ? "scale" : "modulo", opt.seed);
	printf("bad_lines=%ld\n", bad_lines);
	printf("requests=%ld\nreads=%ld\nwrites=%ld\n", nreqs, r, w);
	printf("trace_span_s=%.3f\nelapsed_s=%.3f\n", (reqs[nreqs - 1].t - reqs[0].t) / opt.speed,
	       elapsed);
	printf("skipped=%ld\nskipped_reads=%ld\nskipped_writes=%ld\n", sr + sw, sr, sw);
	printf("skipped_pct=%.3f\nskipped_writes_pct=%.3f\n", 100.0 * (sr + sw) / nreqs,
	       w ? 100.0 * sw / w : 0);
	printf("units=%ld\nbatches=%ld\ncoalesced_writes=%ld\nmerged_writes=%ld\n",
	       nunits, batches, coalesced, merged_away);
	printf("io_errors=%ld\nshort_ios=%ld\n", errs, shorts);
	printf("late_units=%ld\nlate_avg_ms=%.3f\nlate_max_ms=%.3f\n", late,
	       nunits ? late_sum / nunits : 0, late_max);
	resp_stats("", -1);
	resp_stats("read_", OP_READ);
	resp_stats("write_", OP_WRITE);
	if (errs || shorts)
		fprintf(stderr, "%s: %ld I/O errors, %ld short transfers (first error: %s)\n",
			prog, errs, shorts, first_err ? strerror(first_err) : "none");
}

static void write_csv(void)
{
	FILE *f = fopen(opt.csv, "w");
	long i;

	if (!f)
		die("%s: %s", opt.csv, strerror(errno));
	fprintf(f, "unit,first_req,nreq,op,due_s,issue_s,resp_ms,bytes,status\n");
	for (i = 0; i < nunits; i++) {
		struct unit *u = units[i];
		uint64_t bytes = 0;
		int k;

		for (k = 0; k < u->n; k++)
			bytes += reqs[u->idx[k]].len;
		if (u->skipped)
			fprintf(f, "%ld,%ld,%d,%c,%.6f,,,%" PRIu64 ",skip\n", u->id, u->idx[0], u->n,
				u->op == OP_WRITE ? 'W' : 'R', u->due_ns / 1e9, bytes);
		else
			fprintf(f, "%ld,%ld,%d,%c,%.6f,%.6f,%.3f,%" PRIu64 ",%s\n", u->id, u->idx[0],
				u->n, u->op == OP_WRITE ? 'W' : 'R', u->due_ns / 1e9,
				u->issue_ns / 1e9, (u->done_ns - u->issue_ns) / 1e6, bytes,
				u->errors ? "error" : u->shorts ? "short" : "ok");
	}
	if (fclose(f))
		die("%s: %s", opt.csv, strerror(errno));
}

static const char *st_name[] = { "pending", "ok", "skip", "error", "short", "unsent" };

static void write_log(void)
{
	FILE *f = fopen(opt.log, "w");
	long i;

	if (!f)
		die("%s: %s", opt.log, strerror(errno));
	fprintf(f, "# spc-replay seed=%" PRIu64 "\n", opt.seed);
	for (i = 0; i < nreqs; i++)
		fprintf(f, "%ld,%c,%" PRIu64 ",%" PRIu64 ",%s,%" PRId64 ",%" PRId64 "\n", i,
			reqs[i].op == OP_WRITE ? 'W' : 'R', reqs[i].off, reqs[i].len,
			st_name[reqs[i].st], reqs[i].issue_ns, reqs[i].done_ns);
	if (fclose(f))
		die("%s: %s", opt.log, strerror(errno));
}

static void read_log(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256], op, st[16];
	long cap = 4096;

	if (!f)
		die("%s: %s", path, strerror(errno));
	reqs = xcalloc(cap, sizeof(*reqs));
	while (fgets(line, sizeof(line), f)) {
		long idx;
		uint64_t off, len;
		int64_t is, ds;
		int k;

		if (sscanf(line, "# spc-replay seed=%" SCNu64, &opt.seed) == 1)
			continue;
		if (sscanf(line, "%ld,%c,%" SCNu64 ",%" SCNu64 ",%15[a-z],%" SCNd64 ",%" SCNd64,
			   &idx, &op, &off, &len, st, &is, &ds) != 7 || idx != nreqs)
			die("%s: bad log line: %s", path, line);
		if (nreqs == cap) {
			cap *= 2;
			reqs = realloc(reqs, cap * sizeof(*reqs));
			if (!reqs)
				die("out of memory");
		}
		memset(&reqs[nreqs], 0, sizeof(reqs[0]));
		reqs[nreqs].op = op == 'W' ? OP_WRITE : OP_READ;
		reqs[nreqs].off = off;
		reqs[nreqs].len = len;
		reqs[nreqs].issue_ns = is;
		reqs[nreqs].done_ns = ds;
		reqs[nreqs].st = ST_UNSENT;
		for (k = 0; k < 6; k++)
			if (!strcmp(st, st_name[k]))
				reqs[nreqs].st = k;
		nreqs++;
	}
	fclose(f);
}

/*
 * Verification: every sector covered by a write that completed without error
 * must hold the stamp of a write W that covers it, that was issued and not
 * skipped, whose data are intact, and that is not older than any other
 * completed write W' covering the sector that was issued after W completed
 * (W' must then have overwritten W). Writes in flight together may land in
 * either order. A stamp of this run (same seed) found anywhere must come
 * from an issued write covering that sector.
 */
static long verify(void)
{
	uint64_t nsec = dev_bytes / SECTOR, s, chunk = 1 << 20, pos;
	int64_t *maxiss = malloc(nsec * sizeof(*maxiss));
	uint64_t *buf = xmemalign(chunk), expect[SECTOR / 8];
	long bad = 0, checked = 0, i;

	if (!maxiss)
		die("out of memory");
	for (s = 0; s < nsec; s++)
		maxiss[s] = -1;
	for (i = 0; i < nreqs; i++) {
		struct req *r = &reqs[i];

		if (r->op != OP_WRITE || r->st != ST_OK)
			continue;
		for (s = r->off / SECTOR; s < (r->off + r->len) / SECTOR && s < nsec; s++)
			if (r->issue_ns > maxiss[s])
				maxiss[s] = r->issue_ns;
	}
	for (pos = 0; pos < nsec * SECTOR; pos += chunk) {
		uint64_t n = nsec * SECTOR - pos < chunk ? nsec * SECTOR - pos : chunk;
		ssize_t got = pread(fd, buf, n, pos);

		if (got != (ssize_t)n) {
			fprintf(stderr, "%s: verify: read at %" PRIu64 ": %s\n", prog, pos,
				got < 0 ? strerror(errno) : "short read");
			bad++;
			continue;
		}
		for (s = 0; s < n / SECTOR; s++) {
			uint64_t *w = buf + s * (SECTOR / 8), off = pos + s * SECTOR;
			int64_t m = maxiss[off / SECTOR];
			const char *why = NULL;
			struct req *r = NULL;

			if (w[0] == STAMP_MAGIC && w[1] == opt.seed) {
				if (w[2] >= (uint64_t)nreqs)
					why = "stamp of an unknown request";
				else
					r = &reqs[w[2]];
				if (r && (r->op != OP_WRITE || off < r->off || off >= r->off + r->len))
					why = "stamp of a request that does not cover this sector";
				else if (r && r->st != ST_OK && r->st != ST_ERROR && r->st != ST_SHORT)
					why = "stamp of a write that was never issued";
				else if (r && m >= 0 && r->done_ns < m)
					why = "stale data: a later write issued after this one completed is missing";
				if (!why) {
					stamp_sector(expect, w[2], off);
					if (memcmp(expect, w, SECTOR))
						why = "stamped sector with damaged contents";
				}
			} else if (m >= 0) {
				why = "completed write missing (no stamp of this run)";
			}
			if (m >= 0)
				checked++;
			if (why) {
				if (bad < 10)
					fprintf(stderr, "%s: verify: sector %" PRIu64 ": %s\n", prog,
						off / SECTOR, why);
				bad++;
			}
		}
	}
	printf("verify_sectors=%ld\nverify_bad=%ld\n", checked, bad);
	free(maxiss);
	free(buf);
	return bad;
}

/* ---- main ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [options] TRACE DEVICE     replay TRACE (SPC format, '-' for stdin)\n"
"       %s --check LOG DEVICE         verify DEVICE against a replay's --log\n"
"\n"
"TRACE lines: ASU,LBA,size,opcode,timestamp (LBA in 512-byte sectors, size in\n"
"bytes, opcode r/R/w/W, timestamp in seconds); more fields are ignored, lines\n"
"starting with # are comments, other lines are counted as bad and skipped.\n"
"\n"
"  -t, --threads N        issuing threads (16); each issues one request and\n"
"                         waits for it before taking the next\n"
"  -s, --speed X          replay X times faster than the trace (1)\n"
"      --start SEC        first trace second to replay (0)\n"
"      --duration SEC     trace seconds to replay (all)\n"
"      --map modulo|scale ASU+LBA onto the device (modulo, see below)\n"
"      --skip-bound MS    how long a due request may wait for a free thread\n"
"                         before it is skipped (0: the paper's rule)\n"
"  -c, --coalesce N       gather up to N consecutive writes into one batch (1: off)\n"
"      --coalesce-wait MS send a partial batch MS after its first write (100)\n"
"      --csv FILE         one line per issued unit: unit,first_req,nreq,op,due_s,\n"
"                         issue_s,resp_ms,bytes,status\n"
"      --log FILE         one line per request (for --check)\n"
"      --seed N           run id written into every sector (1); give every run\n"
"                         on one device its own: --verify takes stamps with the\n"
"                         seed for this run's\n"
"      --verify           verify the device's contents after the replay\n"
"      --no-reads         replay the writes only\n"
"\n"
"Timing: request i is due at (t_i - t_0) / speed after the start. The replayer\n"
"sleeps until then and hands it to a free thread. Skipped requests: if all\n"
"threads are busy when a request (or a batch) is due, the dispatcher waits for\n"
"one until due + skip bound; if none is freed by then the request is skipped,\n"
"never issued, and counted (the paper's initiators skipped requests that found\n"
"all 16 threads blocked). Requests issued late are counted as late.\n"
"\n"
"Mapping: the device is cut into equal slices, one per ASU (0..highest ASU in\n"
"the replayed window). modulo: offset = LBA*512 mod slice; scale: offset =\n"
"LBA*512 * (slice - length) / highest end seen in that ASU. Offsets are rounded\n"
"down and lengths up to the logical block size (O_DIRECT); a request crossing\n"
"its slice's end is moved back to end there.\n"
"\n"
"Coalescing (the paper's initiator batching): with -c N, writes are held in a\n"
"batch from their due time; the batch is sent when it holds N writes or\n"
"coalesce-wait after its first write, whichever comes first (reads are not\n"
"held). A batch's writes are sorted by offset, contiguous ones merged into one\n"
"request, and the resulting requests submitted together (Linux AIO); the\n"
"batch's response time is until the last completes.\n"
"\n"
"Every written 512-byte sector carries a stamp (magic, seed, request index,\n"
"offset, derived words); --verify / --check read the device back and require\n"
"every completed write to be there unless a write issued after it completed\n"
"covers it, and every stamp of this run to be intact and from an issued write.\n"
"\n"
"Output: key=value lines (counts, response times in ms over issued units:\n"
"all, read_*, write_*). Exit status: 0, 1 on I/O errors, short transfers or\n"
"verification failures, 2 on bad usage.\n", prog, prog);
}

static double num(const char *o, const char *s, double lo)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= lo))
		die("%s: bad value '%s'", o, s);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "speed", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 'S' },
		{ "duration", required_argument, NULL, 'D' },
		{ "map", required_argument, NULL, 'm' },
		{ "skip-bound", required_argument, NULL, 'b' },
		{ "coalesce", required_argument, NULL, 'c' },
		{ "coalesce-wait", required_argument, NULL, 'W' },
		{ "csv", required_argument, NULL, 'C' },
		{ "log", required_argument, NULL, 'L' },
		{ "seed", required_argument, NULL, 'e' },
		{ "verify", no_argument, NULL, 'v' },
		{ "check", required_argument, NULL, 'K' },
		{ "no-reads", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *check = NULL;
	int c, i, rc = 0;
	int64_t t_end;
	long errs = 0;

	while ((c = getopt_long(argc, argv, "t:s:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 't': opt.threads = (int)num("--threads", optarg, 1); break;
		case 's': opt.speed = num("--speed", optarg, 1e-9); break;
		case 'S': opt.start = num("--start", optarg, 0); break;
		case 'D': opt.duration = num("--duration", optarg, 0); break;
		case 'm':
			if (!strcmp(optarg, "scale"))
				opt.map_scale = true;
			else if (strcmp(optarg, "modulo"))
				die("--map: modulo or scale, not '%s'", optarg);
			break;
		case 'b': opt.skip_bound_ms = num("--skip-bound", optarg, 0); break;
		case 'c': opt.coalesce = (int)num("--coalesce", optarg, 1); break;
		case 'W': opt.coalesce_wait_ms = num("--coalesce-wait", optarg, 0); break;
		case 'C': opt.csv = optarg; break;
		case 'L': opt.log = optarg; break;
		case 'e': opt.seed = (uint64_t)num("--seed", optarg, 0); break;
		case 'v': opt.verify = true; break;
		case 'K': check = optarg; break;
		case 'R': opt.no_reads = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (opt.threads > MAX_THREADS)
		die("--threads: at most %d", MAX_THREADS);
	if (opt.coalesce > MAX_COALESCE)
		die("--coalesce: at most %d", MAX_COALESCE);
	if (argc - optind != (check ? 1 : 2)) {
		usage(stderr);
		return 2;
	}
	if (!check)
		opt.trace = argv[optind++];
	opt.dev = argv[optind];

	fd = open(opt.dev, (check ? O_RDONLY : O_RDWR) | O_DIRECT);
	if (fd < 0)
		die("%s: %s", opt.dev, strerror(errno));
	{
		struct stat st;
		int ss = 512;

		if (fstat(fd, &st))
			die("%s: %s", opt.dev, strerror(errno));
		if (S_ISBLK(st.st_mode)) {
			if (ioctl(fd, BLKGETSIZE64, &dev_bytes) || ioctl(fd, BLKSSZGET, &ss))
				die("%s: %s", opt.dev, strerror(errno));
		} else {
			dev_bytes = st.st_size;
			ss = 4096;
		}
		lbs = ss < SECTOR ? SECTOR : (uint64_t)ss;
		dev_bytes = dev_bytes / lbs * lbs;
	}

	if (check) {
		read_log(check);
		return verify() ? 1 : 0;
	}

	read_trace();
	map_requests();
	workers = xcalloc(opt.threads, sizeof(*workers));
	free_stack = xcalloc(opt.threads, sizeof(*free_stack));
	for (i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		w->id = i;
		pthread_cond_init(&w->cond, NULL);
		w->rbuf = xmemalign(max_len);
		w->have_aio = opt.coalesce > 1 &&
			      syscall(SYS_io_setup, MAX_COALESCE, &w->ctx) == 0;
		free_stack[nfree++] = i;
		if (pthread_create(&w->thr, NULL, worker_main, w))
			die("pthread_create: %s", strerror(errno));
	}
	replay();
	t_end = now_ns();
	report(t_end / 1e9);
	for (i = 0; i < nunits; i++)
		errs += units[i]->errors + units[i]->shorts;
	if (opt.csv)
		write_csv();
	if (opt.log)
		write_log();
	if (errs)
		rc = 1;
	if (opt.verify && verify())
		rc = 1;
	fflush(stdout);
	return rc;
}
