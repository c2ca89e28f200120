// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror I/O path: reads go to the local leg, writes (and flushes,
 * discards, write-zeroes) are cloned to every working leg (also one being
 * resynced) and complete when all clones have completed. A write first
 * marks its chunks in the write-intent bitmap.
 */
#define pr_fmt(fmt) "dcdmirror: " fmt

#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/ktime.h>
#include <linux/mempool.h>

#include "dcdmirror.h"

#define DCDMIRROR_IO_POOL	64

/* Retries of failed reads and superblock updates: they sleep or submit. */
struct workqueue_struct *dcdmirror_wq;

static inline struct dcdmirror_clone *to_clone(struct bio *bio)
{
	return container_of(bio, struct dcdmirror_clone, bio);
}

static void dcdmirror_io_done(struct dcdmirror_io *io)
{
	struct dcdmirror *m = io->m;
	struct bio *master = io->master;

	/*
	 * It succeeded if a leg has it and every leg that failed it is now
	 * faulty, so that no working leg misses it.
	 */
	master->bi_status = io->done_ok && !io->hard_error ? BLK_STS_OK : io->status;
	if (!master->bi_status && !io->done_ok)
		master->bi_status = BLK_STS_IOERR;
	if (io->bitmap)
		dcdmirror_bitmap_end_write(m, io);
	bio_end_io_acct(master, io->start_time);
	mempool_free(io, &m->io_pool);
	bio_endio(master);
	dcdmirror_io_end(m);
}

static bool dcdmirror_leg_in_sync(struct dcdmirror_leg *leg)
{
	return !test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags) &&
	       !test_bit(DCDMIRROR_LEG_REBUILDING_BIT, &leg->flags);
}

/*
 * Mark leg i faulty, unless it is the last in-sync one (md does the same:
 * the array then fails the I/O instead). A leg being resynced can always
 * fail. Returns true if the leg is faulty. Any context.
 */
bool dcdmirror_fail_leg(struct dcdmirror *m, unsigned int i)
{
	struct dcdmirror_leg *leg = &m->legs[i];
	unsigned int j, others = 0;
	unsigned long flags;
	bool newly = false;

	spin_lock_irqsave(&m->state_lock, flags);
	if (!test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags)) {
		for (j = 0; j < m->nr_legs; j++)
			if (j != i && dcdmirror_leg_in_sync(&m->legs[j]))
				others++;
		if (others || test_bit(DCDMIRROR_LEG_REBUILDING_BIT, &leg->flags)) {
			set_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags);
			newly = true;
		}
	}
	spin_unlock_irqrestore(&m->state_lock, flags);
	if (newly) {
		/* before the failed write ends: its bits stay set */
		dcdmirror_bitmap_allow_clear(m, false);
		pr_err("dcdmirror%u: %pg (%s leg) failed: marked faulty, running degraded\n",
		       m->index, leg->bdev,
		       leg->role == DCDMIRROR_ROLE_LOCAL ? "local" : "remote");
		queue_work(dcdmirror_wq, &m->sb_work);
		wake_up(&m->resync_wq);
	}
	return test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags);
}

static struct bio *dcdmirror_clone(struct dcdmirror_io *io, unsigned int i);

/* A read failed on a leg now faulty: ask another one, from process context. */
static void dcdmirror_read_retry(struct work_struct *work)
{
	struct dcdmirror_io *io = container_of(work, struct dcdmirror_io, retry);
	int r = dcdmirror_read_leg(io->m);

	if (r < 0) {
		dcdmirror_io_done(io);
		return;
	}
	io->status = BLK_STS_OK;
	io->hard_error = false;
	io->read_leg = r;
	atomic_set(&io->remaining, 1);
	submit_bio_noacct(dcdmirror_clone(io, r));
}

static void dcdmirror_clone_endio(struct bio *bio)
{
	struct dcdmirror_clone *c = to_clone(bio);
	struct dcdmirror_io *io = c->io;
	struct dcdmirror *m = io->m;
	struct dcdmirror_leg *leg = &m->legs[c->leg];
	blk_status_t status = bio->bi_status;
	bool is_read = !op_is_write(bio_op(bio)) && !op_is_flush(bio->bi_opf);
	u64 ns = ktime_get_ns() - c->start_ns, max;
	int r;

	atomic64_add(ns, &leg->stats.lat_ns);
	atomic64_inc(&leg->stats.lat_count);
	max = atomic64_read(&leg->stats.lat_max_ns);
	while (ns > max) {
		u64 old = atomic64_cmpxchg(&leg->stats.lat_max_ns, max, ns);

		if (old == max)
			break;
		max = old;
	}
	if (status) {
		atomic64_inc(&leg->stats.errors);
		pr_err_ratelimited("dcdmirror%u: %pg: %s error %d at sector %llu\n",
				   m->index, leg->bdev, is_read ? "read" : "write",
				   blk_status_to_errno(status),
				   (unsigned long long)bio->bi_iter.bi_sector);
		/*
		 * An unsupported discard, a failed readahead or a would-block
		 * say nothing about the leg's health.
		 */
		if (status == BLK_STS_NOTSUPP || status == BLK_STS_AGAIN ||
		    (bio->bi_opf & REQ_RAHEAD) || !dcdmirror_fail_leg(m, c->leg))
			WRITE_ONCE(io->hard_error, true);
		cmpxchg(&io->status, BLK_STS_OK, status);
	} else {
		WRITE_ONCE(io->done_ok, true);
	}
	bio_put(bio);
	if (!atomic_dec_and_test(&io->remaining))
		return;
	if (is_read && io->status) {
		r = dcdmirror_read_leg(m);
		if (r >= 0 && r != io->read_leg) {
			queue_work(dcdmirror_wq, &io->retry);
			return;
		}
	}
	dcdmirror_io_done(io);
}

static void dcdmirror_account(struct dcdmirror_leg *leg, struct bio *bio)
{
	if (op_is_write(bio_op(bio)) || op_is_flush(bio->bi_opf)) {
		atomic64_inc(&leg->stats.writes);
		if (bio_has_data(bio))
			atomic64_add(bio->bi_iter.bi_size, &leg->stats.write_bytes);
	} else {
		atomic64_inc(&leg->stats.reads);
		atomic64_add(bio->bi_iter.bi_size, &leg->stats.read_bytes);
	}
}

static struct bio *dcdmirror_clone(struct dcdmirror_io *io, unsigned int i)
{
	struct dcdmirror *m = io->m;
	struct dcdmirror_clone *c;
	struct bio *clone;

	/* GFP_NOIO from a bio_set: cannot fail (mempool backed) */
	clone = bio_alloc_clone(m->legs[i].bdev, io->master, GFP_NOIO, &m->bs);
	c = to_clone(clone);
	c->io = io;
	c->leg = i;
	c->start_ns = ktime_get_ns();
	clone->bi_end_io = dcdmirror_clone_endio;
	clone->bi_private = io;
	dcdmirror_account(&m->legs[i], clone);
	return clone;
}

/* The leg reads are served from: the local one unless it is not in sync. */
int dcdmirror_read_leg(struct dcdmirror *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++)
		if (m->legs[i].role == DCDMIRROR_ROLE_LOCAL &&
		    dcdmirror_leg_in_sync(&m->legs[i]))
			return i;
	for (i = 0; i < m->nr_legs; i++)
		if (dcdmirror_leg_in_sync(&m->legs[i]))
			return i;
	return -1;
}

/*
 * Enter the I/O path; waits while the legs are being changed. The
 * barrier pairs with dcdmirror_suspend(): either it sees suspended, or
 * the suspender sees our count.
 */
void dcdmirror_io_begin(struct dcdmirror *m)
{
	for (;;) {
		atomic_inc(&m->inflight);
		/* count before reading suspended: pairs with dcdmirror_suspend() */
		smp_mb__after_atomic();
		if (!READ_ONCE(m->suspended))
			return;
		dcdmirror_io_end(m);
		wait_event(m->suspend_wait, !READ_ONCE(m->suspended));
	}
}

void dcdmirror_io_end(struct dcdmirror *m)
{
	unsigned long flags;

	/*
	 * Drop to zero under gate.lock: stop waits for zero and then takes
	 * gate.lock, so m stays valid until wake_up() has returned.
	 */
	if (atomic_dec_and_lock_irqsave(&m->inflight, &m->gate.lock, flags)) {
		wake_up(&m->inflight_wait);
		spin_unlock_irqrestore(&m->gate.lock, flags);
	}
}

/* Wait until no bio and no resync step is in progress; new ones wait. */
void dcdmirror_suspend(struct dcdmirror *m)
{
	WRITE_ONCE(m->suspended, true);
	/* suspended before reading the count: pairs with dcdmirror_io_begin() */
	smp_mb();
	wait_event(m->inflight_wait, !atomic_read(&m->inflight));
}

void dcdmirror_resume(struct dcdmirror *m)
{
	WRITE_ONCE(m->suspended, false);
	wake_up_all(&m->suspend_wait);
}

/* Send a write to every working leg (also those being resynced). */
void dcdmirror_dispatch_write(struct dcdmirror_io *io)
{
	struct dcdmirror *m = io->m;
	struct bio *clones[DCDMIRROR_MAX_LEGS];
	unsigned int i, n = 0;

	for (i = 0; i < m->nr_legs; i++)
		if (m->legs[i].bdev &&
		    !test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[i].flags))
			clones[n++] = dcdmirror_clone(io, i);
	if (!n) {
		io->status = BLK_STS_IOERR;
		dcdmirror_io_done(io);
		return;
	}
	/* all clones exist before the first one is sent: remaining is final */
	atomic_set(&io->remaining, n);
	for (i = 0; i < n; i++)
		submit_bio_noacct(clones[i]);
}

void dcdmirror_submit_bio(struct bio *bio)
{
	struct dcdmirror *m = bio->bi_bdev->bd_disk->private_data;
	struct dcdmirror_io *io;
	int r;

	bio = bio_split_to_limits(bio);
	if (!bio)
		return;

	dcdmirror_io_begin(m);
	atomic64_inc(&m->fg_ios);
	io = mempool_alloc(&m->io_pool, GFP_NOIO);
	io->m = m;
	io->master = bio;
	io->status = BLK_STS_OK;
	io->done_ok = false;
	io->hard_error = false;
	io->bitmap = false;
	INIT_LIST_HEAD(&io->node);
	INIT_WORK(&io->retry, dcdmirror_read_retry);
	io->start_time = bio_start_io_acct(bio);

	if (op_is_write(bio_op(bio)) || op_is_flush(bio->bi_opf)) {
		if (bio_sectors(bio)) {
			io->first_chunk = bio->bi_iter.bi_sector >> m->bm.chunk_shift;
			io->last_chunk = (bio_end_sector(bio) - 1) >> m->bm.chunk_shift;
			/* queued until its bits are on disk: sent by the worker */
			if (dcdmirror_bitmap_start_write(m, io))
				return;
		}
		dcdmirror_dispatch_write(io);
		return;
	}
	r = dcdmirror_read_leg(m);
	if (r < 0) {
		io->status = BLK_STS_IOERR;
		dcdmirror_io_done(io);
		return;
	}
	io->read_leg = r;
	atomic_set(&io->remaining, 1);
	submit_bio_noacct(dcdmirror_clone(io, r));
}

int dcdmirror_io_init(struct dcdmirror *m)
{
	int ret;

	ret = mempool_init_kmalloc_pool(&m->io_pool, DCDMIRROR_IO_POOL,
					sizeof(struct dcdmirror_io));
	if (ret)
		return ret;
	ret = bioset_init(&m->bs, BIO_POOL_SIZE,
			  offsetof(struct dcdmirror_clone, bio), 0);
	if (ret)
		mempool_exit(&m->io_pool);
	return ret;
}

void dcdmirror_io_exit(struct dcdmirror *m)
{
	bioset_exit(&m->bs);
	mempool_exit(&m->io_pool);
}
