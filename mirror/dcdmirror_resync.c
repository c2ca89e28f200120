// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror resync: a thread per array copies the chunks whose bitmap bits
 * are set from the in-sync leg to the leg being rebuilt, one chunk at a
 * time under the bitmap's chunk barrier (writes to that chunk wait, as
 * raid1's barrier), at most resync_rate KiB/s, and pausing briefly when
 * the array has foreground I/O. Every few seconds it checkpoints: the
 * copied chunks' bits are cleared and the superblocks record its place,
 * so that a resync stopped midway resumes there at the next assemble.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <dcdmirror/mirror_format.h>
#include <dcdmirror/kernel/page_array.h>
#include <dcdmirror/kernel/sync_io.h>

#include "dcdmirror.h"

#define RESYNC_PAGES		64	/* a copy step: 256 KiB */
#define RESYNC_STEP_SECTORS	(RESYNC_PAGES << (PAGE_SHIFT - SECTOR_SHIFT))
/* a checkpoint (see mirror_format.h) after this long or this much copied */
#define RESYNC_CKPT_MS		3000
#define RESYNC_CKPT_BYTES	(64ULL << 20)
/* with foreground I/O it pauses unless it is slower than this, KiB/s */
#define RESYNC_YIELD_FLOOR	1024

/*
 * Test hook: the resync waits this long before each chunk, outside the I/O
 * path, so that tests can change the legs (fail, remove) between two
 * chunks. 0 (the default) in normal use.
 */
static unsigned int dcdmirror_resync_chunk_delay_ms;
module_param_named(resync_chunk_delay_ms, dcdmirror_resync_chunk_delay_ms, uint, 0644);
MODULE_PARM_DESC(resync_chunk_delay_ms,
		 "test hook: the resync waits this long before each chunk (ms, default 0)");

/* The leg to rebuild: REBUILDING, not faulty, present. -1 if none. */
static int dcdmirror_resync_target(struct dcdmirror *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++) {
		struct dcdmirror_leg *leg = &m->legs[i];

		if (leg->bdev && test_bit(DCDMIRROR_LEG_REBUILDING_BIT, &leg->flags) &&
		    !test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags))
			return i;
	}
	return -1;
}

bool dcdmirror_resync_active(struct dcdmirror *m)
{
	return dcdmirror_resync_target(m) >= 0;
}

/* A resync may start (also one held after unreadable chunks). */
void dcdmirror_resync_kick(struct dcdmirror *m)
{
	spin_lock_irq(&m->resync_lock);
	m->resync_held = false;
	spin_unlock_irq(&m->resync_lock);
	wake_up(&m->resync_wq);
}

/*
 * May the resync use leg dst? Inside dcdmirror_io_begin() only: a removal
 * (which clears bdev) waits for it to end.
 */
static bool dcdmirror_resync_target_ok(struct dcdmirror *m, unsigned int dst)
{
	return m->legs[dst].bdev &&
	       !test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[dst].flags);
}

/* Synchronous I/O of sectors at sector of leg i, from or to pages. */
int dcdmirror_sync_io(struct dcdmirror *m, unsigned int i, sector_t sector,
		      unsigned int sectors, struct page **pages, blk_opf_t opf)
{
	struct dcdmirror_leg *leg = &m->legs[i];
	size_t bytes = (size_t)sectors << SECTOR_SHIFT;
	int ret;

	if (op_is_write(opf)) {
		this_cpu_inc(leg->stats->writes);
		this_cpu_add(leg->stats->write_bytes, bytes);
	} else {
		this_cpu_inc(leg->stats->reads);
		this_cpu_add(leg->stats->read_bytes, bytes);
	}
	ret = dcdmirror_leg_io(m, i, opf, sector, pages, bytes, PAGE_SIZE);
	if (ret)
		this_cpu_inc(leg->stats->errors);
	return ret;
}

/*
 * Copy one chunk from leg src to leg dst; bytes copied in *bytes. Inside
 * dcdmirror_io_begin(). -ENODATA: the source could not read it (the chunk
 * keeps its bit); -ENODEV: dst is gone or faulty; else a write error of
 * dst.
 */
static int dcdmirror_resync_chunk(struct dcdmirror *m, unsigned int src,
				  unsigned int dst, u64 chunk,
				  struct page **pages, u64 *bytes)
{
	sector_t s = chunk << m->bm.chunk_shift;
	sector_t end = min_t(sector_t, s + (1ULL << m->bm.chunk_shift), m->sectors);
	int ret = 0;

	*bytes = 0;
	if (!dcdmirror_resync_target_ok(m, dst))
		return -ENODEV;
	dcdmirror_bitmap_lock_chunk(m, chunk);
	while (s < end) {
		unsigned int n = min_t(sector_t, end - s, RESYNC_STEP_SECTORS);

		ret = dcdmirror_sync_io(m, src, s, n, pages, REQ_OP_READ);
		if (ret) {
			/* the only copy is unreadable: not dst's fault */
			dcdmirror_err(m, "resync: read error on %pg (the source) at sectors %llu-%llu (error %d): chunk %llu not copied, its bit stays set\n",
				      m->legs[src].bdev, (unsigned long long)s,
				      (unsigned long long)(s + n - 1), ret, chunk);
			ret = -ENODATA;
			break;
		}
		ret = dcdmirror_sync_io(m, dst, s, n, pages, REQ_OP_WRITE);
		if (ret) {
			dcdmirror_err(m, "resync: write error %d on %pg at sector %llu\n", ret,
				      m->legs[dst].bdev, (unsigned long long)s);
			break;
		}
		s += n;
		*bytes += (u64)n << SECTOR_SHIFT;
	}
	dcdmirror_bitmap_unlock_chunk(m);
	return ret;
}

/* Sleep up to ms; false if the thread is to stop. */
bool dcdmirror_resync_sleep(struct dcdmirror *m, unsigned int ms)
{
	wait_event_interruptible_timeout(m->resync_wq, kthread_should_stop(),
					 msecs_to_jiffies(ms));
	return !kthread_should_stop();
}

/*
 * Keep to the rate: bytes copied since mark may not be more than rate
 * allows for the time since mark. The mark moves when the rate changes.
 */
bool dcdmirror_resync_throttle(struct dcdmirror *m, unsigned long *mark,
			       u64 *mark_bytes, unsigned int *rate, u64 bytes)
{
	for (;;) {
		unsigned int r = READ_ONCE(m->resync_rate);
		u64 need, elapsed;

		if (r != *rate) {
			*rate = r;
			*mark = jiffies;
			*mark_bytes = bytes;
		}
		need = div_u64((bytes - *mark_bytes) * 1000, (u64)r * 1024);
		elapsed = jiffies_to_msecs(jiffies - *mark);
		if (need <= elapsed)
			return true;
		if (!dcdmirror_resync_sleep(m, min_t(u64, need - elapsed, 100)))
			return false;
	}
}

/*
 * A new resync of the leg about to be rebuilt, from chunk 0; full: every
 * chunk is to be copied (its bits are all set). Under sb_lock, or before
 * the array runs.
 */
void dcdmirror_resync_new(struct dcdmirror *m, bool full)
{
	m->resync_ckpt = 0;
	m->resync_full = full;
	get_random_bytes(&m->resync_id, sizeof(m->resync_id));
}

/*
 * Record that the chunks copied so far are on leg dst (see "Resync
 * checkpoint" in mirror_format.h): dst flushes its cache, the bits of the
 * chunks copied since the last checkpoint are cleared and written, and
 * then the superblocks say where a resync stopped here resumes (pos).
 */
static bool dcdmirror_resync_checkpoint(struct dcdmirror *m, unsigned int dst,
					u64 pos)
{
	int ret;

	dcdmirror_io_begin(m);
	if (!dcdmirror_resync_target_ok(m, dst)) {
		dcdmirror_io_end(m);
		return false;
	}
	ret = dcdmirror_leg_io(m, dst, REQ_OP_WRITE | REQ_PREFLUSH, 0, NULL, 0, 0);
	if (ret) {
		dcdmirror_err(m, "resync: cache flush of %pg failed: error %d\n", m->legs[dst].bdev,
			      ret);
		dcdmirror_fail_leg(m, dst);
	}
	dcdmirror_io_end(m);
	if (ret)
		return false;
	dcdmirror_bitmap_clear_synced(m, dst);
	dcdmirror_bitmap_flush(m);
	mutex_lock(&m->sb_lock);
	if (!test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[dst].flags)) {
		m->resync_ckpt = pos;
		if (m->has_sb)
			dcdmirror_sb_write(m, DCDMIRROR_SB_ACTIVE);
	}
	mutex_unlock(&m->sb_lock);
	spin_lock_irq(&m->resync_lock);
	m->resync.checkpoints++;
	spin_unlock_irq(&m->resync_lock);
	return true;
}

/* A resync's walk over the bitmap, from its checkpoint on. */
struct dcdmirror_walk {
	unsigned int src, dst;
	u64 start;			/* the checkpoint it began at */
	u64 chunk;			/* the next chunk it looks at */
	u64 end;			/* where this lap ends */
	u64 bytes;			/* copied so far */
	u64 unreadable;			/* chunks the source could not read */
	bool wrapped;			/* in the lap below the checkpoint */
};

/* Where a checkpoint puts it: the whole lap above done once wrapped. */
static u64 dcdmirror_walk_ckpt(struct dcdmirror *m, struct dcdmirror_walk *w)
{
	return w->wrapped ? m->bm.chunks : w->chunk;
}

/*
 * Event name about the resync of leg dst, with its chunks (to copy, or
 * copied); the caller adds what else it has and posts it. In the resync
 * thread: cfg_lock keeps the leg's device, which a removal may release
 * once the resync has let go of the leg.
 */
static void dcdmirror_resync_event(struct dcdmirror *m, struct event *e, const char *name,
				   unsigned int dst, u64 chunks)
{
	dcdmirror_event_init(m->index, e, name, "resync");
	mutex_lock(&m->cfg_lock);
	dcdmirror_event_add_leg(e, &m->legs[dst]);
	mutex_unlock(&m->cfg_lock);
	event_add(e, "DCDMIRROR_CHUNKS", "%llu", chunks);
}

/* The progress a new walk starts from; returns the chunk it starts at. */
static u64 dcdmirror_resync_begin(struct dcdmirror *m, unsigned int src,
				  unsigned int dst)
{
	struct event e;
	u64 start, total;

	mutex_lock(&m->sb_lock);
	start = min(m->resync_ckpt, m->bm.chunks);
	mutex_unlock(&m->sb_lock);
	/* copies of an earlier resync are no business of this one */
	spin_lock_irq(&m->bm.lock);
	bitmap_zero(m->bm.synced, m->bm.chunks);
	spin_unlock_irq(&m->bm.lock);
	/*
	 * Counted before resync_lock: bm.lock comes first in the lock order,
	 * and the count must not run with interrupts off under another lock.
	 */
	total = dcdmirror_bitmap_weight(m);
	spin_lock_irq(&m->resync_lock);
	m->resync.leg = dst;
	m->resync.total = total;
	m->resync.chunks = 0;
	m->resync.bytes = 0;
	m->resync.start_chunk = start;
	m->resync.pos = start;
	m->resync.checkpoints = 0;
	m->resync.unreadable = 0;
	m->resync.start = jiffies;
	m->resync.end = 0;
	m->resync.started = true;
	m->resync_failed = false;
	spin_unlock_irq(&m->resync_lock);
	dcdmirror_resync_event(m, &e, "resync_started", dst, total);
	if (start)
		event_add(&e, "DCDMIRROR_START_CHUNK", "%llu", start);
	dcdmirror_event_post(m, &e);
	if (start)
		dcdmirror_info(m, "resync of %pg from %pg resumes at chunk %llu (sector %llu): %llu chunks of %u KiB\n",
			       m->legs[dst].bdev, m->legs[src].bdev, start,
			       start << m->bm.chunk_shift, total, 1U << (m->bm.chunk_shift - 1));
	else
		dcdmirror_info(m, "resync of %pg from %pg: %llu chunks of %u KiB\n",
			       m->legs[dst].bdev, m->legs[src].bdev, total,
			       1U << (m->bm.chunk_shift - 1));
	return start;
}

/* The next chunk to copy, false when the walk is through. */
static bool dcdmirror_walk_next(struct dcdmirror *m, struct dcdmirror_walk *w)
{
	for (;;) {
		if (dcdmirror_bitmap_next(m, &w->chunk) && w->chunk < w->end)
			return true;
		if (w->wrapped || !w->start)
			return false;
		/* below the checkpoint: chunks written since */
		w->wrapped = true;
		w->chunk = 0;
		w->end = w->start;
	}
}

/* Count a chunk copied (or failed) in the progress readers see. */
static void dcdmirror_resync_account(struct dcdmirror *m, struct dcdmirror_walk *w,
				     bool copied)
{
	if (copied)
		dcdmirror_bitmap_synced(m, w->chunk);
	spin_lock_irq(&m->resync_lock);
	m->resync.bytes = w->bytes;
	if (copied)
		m->resync.chunks++;
	m->resync.pos = w->chunk + 1;
	m->resync.unreadable = w->unreadable;
	/* chunks written ahead of it during the walk count too */
	m->resync.total = max(m->resync.total, m->resync.chunks);
	spin_unlock_irq(&m->resync_lock);
}

/*
 * Copy the chunks whose bits are set to leg w->dst: from the checkpoint to
 * the end, then those below it (set again by writes since, or by a crash).
 * A chunk the source cannot read keeps its bit, and the walk goes on
 * (w->unreadable counts them). True when the walk got through; false when
 * stopped or dst failed.
 */
static bool dcdmirror_resync_walk(struct dcdmirror *m, struct dcdmirror_walk *w,
				  struct page **pages)
{
	unsigned long mark = jiffies, ckpt_time = jiffies;
	u64 mark_bytes = 0, ckpt_bytes = 0, fg = atomic64_read(&m->fg_ios), n;
	unsigned int rate = READ_ONCE(m->resync_rate);
	int ret;

	while (dcdmirror_walk_next(m, w)) {
		if (kthread_should_stop() ||
		    test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[w->dst].flags) ||
		    dcdmirror_read_leg(m) != w->src)
			return false;
		/* yield to foreground I/O, unless that would starve the resync */
		if (atomic64_read(&m->fg_ios) != fg) {
			u64 ms = jiffies_to_msecs(jiffies - m->resync.start) + 1;

			fg = atomic64_read(&m->fg_ios);
			/* ~KiB/s */
			if (div_u64(w->bytes, ms) > RESYNC_YIELD_FLOOR &&
			    !dcdmirror_resync_sleep(m, 5))
				return false;
		}
		if (READ_ONCE(dcdmirror_resync_chunk_delay_ms) &&
		    !dcdmirror_resync_sleep(m, READ_ONCE(dcdmirror_resync_chunk_delay_ms)))
			return false;
		dcdmirror_io_begin(m);
		ret = dcdmirror_resync_chunk(m, w->src, w->dst, w->chunk, pages, &n);
		dcdmirror_io_end(m);
		if (ret == -ENODEV)
			return false;
		w->bytes += n;
		if (ret == -ENODATA)
			w->unreadable++;
		dcdmirror_resync_account(m, w, !ret);
		if (ret && ret != -ENODATA) {
			/* a leg being rebuilt can always fail; the source not */
			dcdmirror_fail_leg(m, w->dst);
			return false;
		}
		w->chunk++;
		if (w->bytes - ckpt_bytes >= RESYNC_CKPT_BYTES ||
		    time_after_eq(jiffies, ckpt_time + msecs_to_jiffies(RESYNC_CKPT_MS))) {
			dcdmirror_resync_checkpoint(m, w->dst, dcdmirror_walk_ckpt(m, w));
			ckpt_bytes = w->bytes;
			ckpt_time = jiffies;
		}
		if (!dcdmirror_resync_throttle(m, &mark, &mark_bytes, &rate, w->bytes))
			return false;
	}
	return true;
}

/*
 * Every chunk is copied: leg dst is in sync, on disk first, and only then
 * may bits be cleared. False if it failed meanwhile.
 */
static bool dcdmirror_resync_end(struct dcdmirror *m, unsigned int dst)
{
	bool ok = false;

	mutex_lock(&m->sb_lock);
	spin_lock_irq(&m->state_lock);
	if (!test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[dst].flags)) {
		clear_bit(DCDMIRROR_LEG_REBUILDING_BIT, &m->legs[dst].flags);
		ok = true;
	}
	spin_unlock_irq(&m->state_lock);
	if (ok)
		m->resync_ckpt = 0;
	/* the rebuilt leg's superblock first (see dcdmirror_sb_write()) */
	if (ok)
		m->sb_first = dst;
	if (ok && m->has_sb)
		dcdmirror_sb_write(m, DCDMIRROR_SB_ACTIVE);
	else if (ok && !dcdmirror_degraded(m))
		dcdmirror_bitmap_allow_clear(m, true);
	mutex_unlock(&m->sb_lock);
	return ok;
}

/* One resync of leg dst, from the leg reads are served from. */
static void dcdmirror_resync_run(struct dcdmirror *m, unsigned int dst)
{
	struct dcdmirror_walk w = { .dst = dst, .end = m->bm.chunks };
	struct page **pages;
	bool ok = false, held = false, begun;
	struct event e;
	int src = dcdmirror_read_leg(m);

	if (src < 0 || src == dst)
		return;
	w.src = src;
	pages = page_array_alloc(RESYNC_PAGES);
	begun = pages;
	if (!pages) {
		dcdmirror_err(m, "resync: out of memory, retrying\n");
		dcdmirror_resync_sleep(m, 1000);
	} else {
		w.start = dcdmirror_resync_begin(m, src, dst);
		w.chunk = w.start;
		ok = dcdmirror_resync_walk(m, &w, pages);
		if (ok && w.unreadable) {
			/* the copied chunks are recorded; the others wait for a kick */
			if (dcdmirror_resync_checkpoint(m, dst, dcdmirror_walk_ckpt(m, &w)))
				dcdmirror_err(m, "resync of %pg incomplete: %llu chunks could not be read from %pg and keep their bits; it starts again when kicked (dcdctl set --resync-rate)\n",
					      m->legs[dst].bdev, w.unreadable, m->legs[src].bdev);
			held = true;
			ok = false;
		} else if (!ok && dcdmirror_resync_checkpoint(m, dst, dcdmirror_walk_ckpt(m, &w))) {
			/* stopped: where it was, so that the next assemble goes on from there */
			dcdmirror_info(m, "resync of %pg stopped after %llu chunks: checkpoint at chunk %llu\n",
				       m->legs[dst].bdev, m->resync.chunks,
				       dcdmirror_walk_ckpt(m, &w));
		}
		page_array_free(pages, RESYNC_PAGES);
		if (ok)
			ok = dcdmirror_resync_end(m, dst);
	}
	spin_lock_irq(&m->resync_lock);
	m->resync.end = jiffies ?: 1;
	if (!ok && !kthread_should_stop())
		m->resync_failed = true;
	m->resync_held = held;
	spin_unlock_irq(&m->resync_lock);
	if (ok)
		dcdmirror_info(m, "resync of %pg done: %llu chunks, %llu bytes in %u ms\n",
			       m->legs[dst].bdev, m->resync.chunks, w.bytes,
			       jiffies_to_msecs(m->resync.end - m->resync.start));
	else if (!held && !kthread_should_stop())
		dcdmirror_err(m, "resync of leg %u failed\n", dst);
	/* after its resync_started; a stop is no failure (assemble resumes it) */
	if (begun && (ok || !kthread_should_stop())) {
		dcdmirror_resync_event(m, &e, ok ? "resync_finished" : "resync_failed", dst,
				       m->resync.chunks);
		if (held)
			event_add(&e, "DCDMIRROR_UNREADABLE", "%llu", w.unreadable);
		dcdmirror_event_post(m, &e);
	}
	dcdmirror_resync_done();
}

static int dcdmirror_resync_thread(void *data)
{
	struct dcdmirror *m = data;
	int dst;

	while (!kthread_should_stop()) {
		wait_event_interruptible(m->resync_wq, kthread_should_stop() ||
					 (dcdmirror_resync_active(m) &&
					  !READ_ONCE(m->resync_held)) ||
					 dcdmirror_check_pending(m));
		if (kthread_should_stop())
			break;
		/* a resync first: a check compares in-sync legs only */
		dst = dcdmirror_resync_target(m);
		if (dst >= 0 && !READ_ONCE(m->resync_held))
			dcdmirror_resync_run(m, dst);
		else if (dcdmirror_check_pending(m))
			dcdmirror_check_run(m);
	}
	return 0;
}

int dcdmirror_resync_init(struct dcdmirror *m)
{
	struct task_struct *t;

	t = kthread_run(dcdmirror_resync_thread, m, "dcdmirror%u_sync", m->index);
	if (IS_ERR(t))
		return PTR_ERR(t);
	m->resync_thread = t;
	return 0;
}

/* Stops a resync running: the leg stays REBUILDING (and stale on disk). */
void dcdmirror_resync_exit(struct dcdmirror *m)
{
	if (m->resync_thread)
		kthread_stop(m->resync_thread);
	m->resync_thread = NULL;
}

void dcdmirror_resync_progress(struct dcdmirror *m,
			       struct dcdmirror_resync_stats *rs, u64 *speed,
			       u64 *eta)
{
	unsigned long end;
	u64 ms, left;

	spin_lock_irq(&m->resync_lock);
	*rs = m->resync;
	spin_unlock_irq(&m->resync_lock);
	if (!rs->started) {
		*speed = 0;
		*eta = 0;
		return;
	}
	end = rs->end ?: jiffies;
	ms = jiffies_to_msecs(end - rs->start) + 1;
	*speed = div_u64(rs->bytes * 1000, ms * 1024);	/* KiB/s */
	left = rs->total > rs->chunks ? rs->total - rs->chunks : 0;
	*eta = *speed ? div_u64((left << (m->bm.chunk_shift - 1)), *speed) : 0;
}
