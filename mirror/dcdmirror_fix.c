// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror read error correction (md raid1's fix_read_error): a read the
 * local leg failed is served by another in-sync leg; the range is then
 * rewritten on the failing leg under a barrier on its bitmap chunks and read
 * back. The leg fails only if that does not work or it has had more than
 * max_read_errors read errors (halved each hour).
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/timekeeping.h>
#include <dcdmirror/kernel/page_array.h>

#include "dcdmirror.h"

/*
 * A read another leg served after leg io->fix_leg failed it: the master
 * has its data, and completes (without error) once fix_work has rewritten
 * the range on the failing leg, as md's raid1 retries a read only after
 * fix_read_error: when the read returns, the leg is corrected or faulty.
 */
void dcdmirror_fix_queue(struct dcdmirror_io *io)
{
	struct dcdmirror *m = io->m;
	unsigned long flags;

	spin_lock_irqsave(&m->fix_lock, flags);
	list_add_tail(&io->node, &m->fix_list);
	spin_unlock_irqrestore(&m->fix_lock, flags);
	queue_work(dcdmirror_fix_wq, &m->fix_work);
}

/* Attempts at rewriting a step of a read error's range before the leg fails */
#define DCDMIRROR_FIX_ATTEMPTS	3

#define DCDMIRROR_FIX_SECTORS	(DCDMIRROR_FIX_PAGES << (PAGE_SHIFT - SECTOR_SHIFT))

/* md's check_decay_read_errors: halve the count for each hour without one. */
static unsigned int dcdmirror_read_errors_inc(struct dcdmirror_leg *leg)
{
	time64_t now = ktime_get_seconds();
	u64 hours = leg->last_read_error ? (now - leg->last_read_error) / 3600 : 0;

	leg->last_read_error = now;
	if (hours >= 32)
		WRITE_ONCE(leg->read_errors, 0);
	else
		WRITE_ONCE(leg->read_errors, leg->read_errors >> hours);
	WRITE_ONCE(leg->read_errors, leg->read_errors + 1);
	return leg->read_errors;
}

/*
 * Rewrite sectors [s, s + n) of leg bad from leg src, and read them back:
 * 0 if bad now returns what src has; -EIO if src could not be read (bad is
 * left as it is); -EREMOTEIO if bad could not be fixed. *fixed counts the
 * read errors of bad this corrected (the re-reads that failed, then were
 * fixed by another attempt, count too).
 */
static int dcdmirror_fix_step(struct dcdmirror *m, unsigned int src,
			      unsigned int bad, sector_t s, unsigned int n,
			      unsigned int *fixed)
{
	struct page **good = m->fix_pages, **back = m->fix_pages + DCDMIRROR_FIX_PAGES;
	unsigned int attempt, errors = 0;
	int ret;

	ret = dcdmirror_sync_io(m, src, s, n, good, REQ_OP_READ);
	if (ret) {
		dcdmirror_err_ratelimited(m, "%pg: read error %d at sector %llu while correcting a read error of %pg\n",
					  m->legs[src].bdev, ret, (unsigned long long)s,
					  m->legs[bad].bdev);
		return -EIO;
	}
	for (attempt = 0; attempt < DCDMIRROR_FIX_ATTEMPTS; attempt++) {
		ret = dcdmirror_sync_io(m, bad, s, n, good, REQ_OP_WRITE);
		if (ret) {
			dcdmirror_err(m, "%pg: write error %d at sector %llu rewriting a read error\n",
				      m->legs[bad].bdev, ret, (unsigned long long)s);
			return -EREMOTEIO;
		}
		ret = dcdmirror_sync_io(m, bad, s, n, back, REQ_OP_READ);
		if (!ret && page_array_equal(good, back, (size_t)n << SECTOR_SHIFT)) {
			*fixed += errors;
			return 0;
		}
		if (ret)
			errors++;
		dcdmirror_err_ratelimited(m, "%pg: sectors %llu-%llu %s after the rewrite (attempt %u of %u)\n",
					  m->legs[bad].bdev, (unsigned long long)s,
					  (unsigned long long)(s + n - 1),
					  ret ? "unreadable" : "differ", attempt + 1,
					  DCDMIRROR_FIX_ATTEMPTS);
	}
	return -EREMOTEIO;
}

/*
 * md's fix_read_error: leg io->fix_leg failed a read that another leg
 * served. Under a barrier on the range's chunks (no write to them may
 * interleave: raid1 freezes the array for this), read the range again
 * from an in-sync leg, write it to the failing leg and read it back. The
 * leg is failed if that does not work, or if it has had more than
 * max_read_errors read errors (halved each hour). Process context.
 */
static void dcdmirror_fix_read(struct dcdmirror *m, struct dcdmirror_io *io)
{
	unsigned int bad = io->fix_leg, fixed = 1, errs, max;
	struct dcdmirror_leg *leg = &m->legs[bad];
	struct dcdmirror_leg_counters sum;
	sector_t s, end = io->sector + io->nr_sectors;
	int src, ret = 0;

	if (!leg->bdev || !dcdmirror_leg_in_sync(leg))
		return;
	src = dcdmirror_read_alt(m, BIT(bad));
	if (src < 0)
		return;
	errs = dcdmirror_read_errors_inc(leg);
	max = READ_ONCE(m->max_read_errors);
	if (errs > max) {
		dcdmirror_err(m, "%pg (%s leg): %u read errors, more than max_read_errors %u\n",
			      leg->bdev, dcdmirror_role_name(leg), errs, max);
		dcdmirror_fail_leg(m, bad);
		return;
	}
	dcdmirror_bitmap_lock_range(m, io->sector >> m->bm.chunk_shift,
				    (end - 1) >> m->bm.chunk_shift);
	/*
	 * An async write to these chunks holds its count until the remote
	 * leg has it: with the barrier up, src has every write to them.
	 */
	for (s = io->sector; s < end && !ret; s += DCDMIRROR_FIX_SECTORS)
		ret = dcdmirror_fix_step(m, src, bad, s,
					 min_t(sector_t, end - s, DCDMIRROR_FIX_SECTORS),
					 &fixed);
	dcdmirror_bitmap_unlock_range(m);
	if (ret == -EREMOTEIO) {
		dcdmirror_err(m, "%pg (%s leg): read error at sectors %llu-%llu not corrected\n",
			      leg->bdev, dcdmirror_role_name(leg), (unsigned long long)io->sector,
			      (unsigned long long)end - 1);
		dcdmirror_fail_leg(m, bad);
		return;
	}
	if (ret)
		return;
	this_cpu_add(leg->stats->corrected, fixed);
	this_cpu_add(leg->stats->corrected_sectors, io->nr_sectors);
	dcdmirror_leg_counters_sum(leg, &sum);
	dcdmirror_info_ratelimited(m, "%pg (%s leg): read error corrected: sectors %llu-%llu rewritten from %pg (%llu corrected)\n",
				   leg->bdev, dcdmirror_role_name(leg),
				   (unsigned long long)io->sector, (unsigned long long)end - 1,
				   m->legs[src].bdev, sum.corrected);
}

/* Rewrites the ranges of read errors, one at a time (see dcdmirror_fix_read()). */
static void dcdmirror_fix_work(struct work_struct *work)
{
	struct dcdmirror *m = container_of(work, struct dcdmirror, fix_work);
	struct dcdmirror_io *io;

	for (;;) {
		spin_lock_irq(&m->fix_lock);
		io = list_first_entry_or_null(&m->fix_list, struct dcdmirror_io, node);
		if (io)
			list_del_init(&io->node);
		spin_unlock_irq(&m->fix_lock);
		if (!io)
			return;
		dcdmirror_fix_read(m, io);
		/* ends the master with the data the other leg gave it */
		dcdmirror_io_done(io);
	}
}

int dcdmirror_fix_init(struct dcdmirror *m)
{
	m->fix_pages = page_array_alloc(2 * DCDMIRROR_FIX_PAGES);
	if (!m->fix_pages)
		return -ENOMEM;
	spin_lock_init(&m->fix_lock);
	INIT_LIST_HEAD(&m->fix_list);
	INIT_WORK(&m->fix_work, dcdmirror_fix_work);
	return 0;
}

/* No read is left (inflight is zero), but the worker may still run. */
void dcdmirror_fix_exit(struct dcdmirror *m)
{
	if (!m->fix_pages)
		return;
	flush_work(&m->fix_work);
	page_array_free(m->fix_pages, 2 * DCDMIRROR_FIX_PAGES);
	m->fix_pages = NULL;
}
