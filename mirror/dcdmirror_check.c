// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror check (online verify, as md's sync_action=check|repair and
 * drbdadm verify): the resync thread reads every chunk from both in-sync
 * legs under the chunk's barrier (writes to it wait, those in flight are
 * waited for, also async ones on their way to the remote leg), compares
 * them, counts and logs the chunks that differ and, with repair, copies
 * the source leg's data over them. It runs at the resync rate and yields
 * to foreground I/O as the resync does; it stops when a leg leaves sync.
 */
#include <linux/blkdev.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ratelimit.h>
#include <dcdmirror/kernel/page_array.h>

#include "dcdmirror.h"

#define CHECK_PAGES		64	/* a compare step: 256 KiB per leg */
#define CHECK_STEP_SECTORS	(CHECK_PAGES << (PAGE_SHIFT - SECTOR_SHIFT))

/* Internal to check_request: a check is asked for. */
#define DCDMIRROR_CHECK_PENDING	BIT(31)

/* Both legs present and in sync: there is something to compare. */
static bool dcdmirror_check_possible(struct dcdmirror *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++)
		if (!m->legs[i].bdev || !dcdmirror_leg_in_sync(&m->legs[i]))
			return false;
	return true;
}

bool dcdmirror_check_pending(struct dcdmirror *m)
{
	return READ_ONCE(m->check_request) & DCDMIRROR_CHECK_PENDING;
}

/* A check is asked for or runs: WAIT waits for it. */
bool dcdmirror_check_busy(struct dcdmirror *m)
{
	bool busy;

	spin_lock_irq(&m->resync_lock);
	busy = m->check_request & DCDMIRROR_CHECK_PENDING ||
	       m->check.state == DCDMIRROR_CHECK_RUNNING;
	spin_unlock_irq(&m->resync_lock);
	return busy;
}

/* The CHECK ioctl: start one (flags REPAIR) or stop the one running (CANCEL). */
int dcdmirror_check_start(unsigned int index, u32 flags)
{
	struct dcdmirror *m;
	int ret = 0;

	mutex_lock(&dcdmirror_devices_lock);
	m = dcdmirror_find(index);
	if (!m) {
		mutex_unlock(&dcdmirror_devices_lock);
		return -ENODEV;
	}
	spin_lock_irq(&m->resync_lock);
	if (flags & DCDMIRROR_CHECK_CANCEL) {
		m->check_request &= ~DCDMIRROR_CHECK_PENDING;
		m->check_cancel = m->check.state == DCDMIRROR_CHECK_RUNNING;
	} else if (m->check_request & DCDMIRROR_CHECK_PENDING ||
		   m->check.state == DCDMIRROR_CHECK_RUNNING) {
		ret = -EALREADY;
	} else if (!dcdmirror_check_possible(m) || dcdmirror_resync_active(m)) {
		ret = -EBUSY;
	} else {
		m->check_request = DCDMIRROR_CHECK_PENDING | (flags & DCDMIRROR_CHECK_REPAIR);
		m->check_cancel = false;
	}
	spin_unlock_irq(&m->resync_lock);
	if (ret == -EALREADY)
		dcdmirror_err(m, "check: one is running already\n");
	else if (ret == -EBUSY)
		dcdmirror_err(m, "check: a leg is not in sync (or is being resynced): nothing to compare\n");
	if (!ret && !(flags & DCDMIRROR_CHECK_CANCEL))
		wake_up(&m->resync_wq);
	mutex_unlock(&dcdmirror_devices_lock);
	return ret;
}

/* What one chunk's comparison found. */
enum dcdmirror_check_result {
	DCDMIRROR_CHECK_SAME,
	DCDMIRROR_CHECK_DIFFERS,
	DCDMIRROR_CHECK_REPAIRED,
	DCDMIRROR_CHECK_FAILED,		/* a leg failed: the check stops */
};

/* Copy the source's step at s over leg dst; a write error fails dst. */
static enum dcdmirror_check_result
dcdmirror_check_repair(struct dcdmirror *m, unsigned int dst, sector_t s, unsigned int n,
		       struct page **pages)
{
	int ret = dcdmirror_sync_io(m, dst, s, n, pages, REQ_OP_WRITE);

	if (!ret)
		return DCDMIRROR_CHECK_REPAIRED;
	dcdmirror_err(m, "check: repair write error %d on %pg at sector %llu\n", ret,
		      m->legs[dst].bdev, (unsigned long long)s);
	dcdmirror_fail_leg(m, dst);
	return DCDMIRROR_CHECK_FAILED;
}

/*
 * Compare chunk on legs src and dst (and repair: copy src's data over a
 * step that differs). Inside dcdmirror_io_begin(), under the chunk's
 * barrier. A read error stops the check (the leg is not failed: a read
 * error on a leg is the read-fix path's business); a repair write error
 * fails dst, as a resync's would.
 */
static enum dcdmirror_check_result
dcdmirror_check_chunk(struct dcdmirror *m, unsigned int src, unsigned int dst, u64 chunk,
		      struct page **a, struct page **b, bool repair, u64 *bytes)
{
	sector_t s = chunk << m->bm.chunk_shift;
	sector_t end = min_t(sector_t, s + (1ULL << m->bm.chunk_shift), m->sectors);
	enum dcdmirror_check_result res = DCDMIRROR_CHECK_SAME;
	unsigned int legs[2] = { src, dst }, k;
	int ret;

	if (!dcdmirror_check_possible(m))
		return DCDMIRROR_CHECK_FAILED;
	dcdmirror_bitmap_lock_chunk(m, chunk);
	while (s < end) {
		unsigned int n = min_t(sector_t, end - s, CHECK_STEP_SECTORS);

		for (k = 0; k < 2; k++) {
			ret = dcdmirror_sync_io(m, legs[k], s, n, k ? b : a, REQ_OP_READ);
			if (ret) {
				dcdmirror_err(m, "check: read error %d on %pg at sectors %llu-%llu: the check stops\n",
					      ret, m->legs[legs[k]].bdev, (unsigned long long)s,
					      (unsigned long long)(s + n - 1));
				res = DCDMIRROR_CHECK_FAILED;
				goto out;
			}
		}
		*bytes += (u64)n << SECTOR_SHIFT;
		if (!page_array_equal(a, b, (size_t)n << SECTOR_SHIFT)) {
			if (res == DCDMIRROR_CHECK_SAME)
				res = DCDMIRROR_CHECK_DIFFERS;
			if (repair) {
				res = dcdmirror_check_repair(m, dst, s, n, a);
				if (res == DCDMIRROR_CHECK_FAILED)
					goto out;
			}
		}
		s += n;
	}
out:
	dcdmirror_bitmap_unlock_chunk(m);
	return res;
}

/* The end of a check: state and the line in the kernel log. */
static void dcdmirror_check_end(struct dcdmirror *m, u32 state)
{
	struct dcdmirror_check_stats cs;
	struct event e;

	spin_lock_irq(&m->resync_lock);
	m->check.state = state;
	m->check.end = jiffies ?: 1;
	m->check_cancel = false;
	cs = m->check;
	spin_unlock_irq(&m->resync_lock);
	if (state == DCDMIRROR_CHECK_DONE)
		dcdmirror_info(m, "check done: %llu of %llu chunks differ, %llu repaired (%u ms)\n",
			       cs.mismatches, cs.total, cs.repaired,
			       jiffies_to_msecs(cs.end - cs.start));
	else
		dcdmirror_warn(m, "check stopped at chunk %llu of %llu: %llu chunks differ so far, %llu repaired\n",
			       cs.pos, cs.total, cs.mismatches, cs.repaired);
	if (cs.mismatches) {
		dcdmirror_event_init(m->index, &e, "check_mismatches", "check");
		event_add(&e, "DCDMIRROR_CHUNKS", "%llu", cs.mismatches);
		event_add(&e, "DCDMIRROR_REPAIRED", "%llu", cs.repaired);
		event_add(&e, "DCDMIRROR_CHECK", "%s",
			  state == DCDMIRROR_CHECK_DONE ? "done" : "stopped");
		dcdmirror_event_post(m, &e);
	}
	dcdmirror_resync_done();
}

/* Run the check asked for; in the resync thread. */
void dcdmirror_check_run(struct dcdmirror *m)
{
	static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 10);
	unsigned long mark = jiffies;
	u64 mark_bytes = 0, bytes = 0, chunk, fg = atomic64_read(&m->fg_ios);
	unsigned int rate = READ_ONCE(m->resync_rate);
	struct page **a, **b = NULL;
	int src = dcdmirror_read_leg(m);
	u32 state = DCDMIRROR_CHECK_STOPPED;
	bool repair;

	spin_lock_irq(&m->resync_lock);
	repair = m->check_request & DCDMIRROR_CHECK_REPAIR;
	m->check_request &= ~DCDMIRROR_CHECK_PENDING;
	memset(&m->check, 0, sizeof(m->check));
	m->check.state = DCDMIRROR_CHECK_RUNNING;
	m->check.flags = repair ? DCDMIRROR_CHECK_REPAIR : 0;
	m->check.total = m->bm.chunks;
	m->check.start = jiffies;
	spin_unlock_irq(&m->resync_lock);

	a = page_array_alloc(CHECK_PAGES);
	if (a)
		b = page_array_alloc(CHECK_PAGES);
	if (!b || src < 0) {
		dcdmirror_err(m, "check: %s\n", b ? "no leg in sync" : "out of memory");
		goto out;
	}
	dcdmirror_info(m, "check%s of %llu chunks of %u KiB, %pg against %pg\n",
		       repair ? " and repair" : "", m->bm.chunks, 1U << (m->bm.chunk_shift - 1),
		       m->legs[src].bdev, m->legs[!src].bdev);
	for (chunk = 0; chunk < m->bm.chunks; chunk++) {
		enum dcdmirror_check_result res;
		sector_t s = chunk << m->bm.chunk_shift;
		sector_t last = min_t(sector_t, m->sectors, s + (1ULL << m->bm.chunk_shift)) - 1;

		if (kthread_should_stop() || READ_ONCE(m->check_cancel))
			goto out;
		if (atomic64_read(&m->fg_ios) != fg) {
			fg = atomic64_read(&m->fg_ios);
			if (!dcdmirror_resync_sleep(m, 5))
				goto out;
		}
		dcdmirror_io_begin(m);
		res = dcdmirror_check_chunk(m, src, !src, chunk, a, b, repair, &bytes);
		dcdmirror_io_end(m);
		if (res == DCDMIRROR_CHECK_FAILED)
			goto out;
		if (res != DCDMIRROR_CHECK_SAME && __ratelimit(&rs))
			dcdmirror_warn(m, "check: chunk %llu (sectors %llu-%llu) differs%s\n",
				       chunk, (unsigned long long)s, (unsigned long long)last,
				       res == DCDMIRROR_CHECK_REPAIRED ? ": repaired" : "");
		spin_lock_irq(&m->resync_lock);
		m->check.pos = chunk + 1;
		m->check.bytes = bytes;
		if (res != DCDMIRROR_CHECK_SAME)
			m->check.mismatches++;
		if (res == DCDMIRROR_CHECK_REPAIRED)
			m->check.repaired++;
		spin_unlock_irq(&m->resync_lock);
		if (!dcdmirror_resync_throttle(m, &mark, &mark_bytes, &rate, bytes))
			goto out;
	}
	state = DCDMIRROR_CHECK_DONE;
out:
	page_array_free(b, CHECK_PAGES);
	page_array_free(a, CHECK_PAGES);
	dcdmirror_check_end(m, state);
}

void dcdmirror_check_progress(struct dcdmirror *m, struct dcdmirror_check_stats *cs,
			      u64 *speed, u64 *eta)
{
	u64 ms, left;

	spin_lock_irq(&m->resync_lock);
	*cs = m->check;
	spin_unlock_irq(&m->resync_lock);
	*speed = 0;
	*eta = 0;
	if (cs->state == DCDMIRROR_CHECK_NONE)
		return;
	ms = jiffies_to_msecs((cs->end ?: jiffies) - cs->start) + 1;
	*speed = div_u64(cs->bytes * 1000, ms * 1024);
	left = cs->total - min(cs->pos, cs->total);
	if (*speed && cs->state == DCDMIRROR_CHECK_RUNNING)
		*eta = div_u64(left << (m->bm.chunk_shift - 1), *speed);
}
