// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror I/O path: reads go to the local leg, writes (and flushes,
 * discards, write-zeroes) are cloned to every leg and complete when all
 * clones have completed.
 */
#define pr_fmt(fmt) "dcdmirror: " fmt

#include <linux/blkdev.h>
#include <linux/bio.h>
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
	unsigned long flags;

	/*
	 * It succeeded if a leg has it and every leg that failed it is now
	 * faulty, so that no working leg misses it.
	 */
	master->bi_status = io->done_ok && !io->hard_error ? BLK_STS_OK : io->status;
	bio_end_io_acct(master, io->start_time);
	mempool_free(io, &m->io_pool);
	bio_endio(master);
	/*
	 * Drop to zero under open_lock: stop waits for zero and then takes
	 * open_lock, so m stays valid until wake_up() has returned.
	 */
	if (atomic_dec_and_lock_irqsave(&m->inflight, &m->open_lock, flags)) {
		wake_up(&m->inflight_wait);
		spin_unlock_irqrestore(&m->open_lock, flags);
	}
}

/*
 * Mark leg i faulty, unless it is the last working one (md does the same:
 * the array then fails the I/O instead). Returns true if the leg is faulty.
 */
static bool dcdmirror_fail_leg(struct dcdmirror *m, unsigned int i)
{
	struct dcdmirror_leg *leg = &m->legs[i];
	unsigned int j, working = 0;
	unsigned long flags;
	bool newly = false;

	spin_lock_irqsave(&m->state_lock, flags);
	if (!test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags)) {
		for (j = 0; j < m->nr_legs; j++)
			if (!test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[j].flags))
				working++;
		if (working > 1) {
			set_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags);
			newly = true;
		}
	}
	spin_unlock_irqrestore(&m->state_lock, flags);
	if (newly) {
		pr_err("dcdmirror%u: %pg (%s leg) failed: marked faulty, running degraded\n",
		       m->index, leg->bdev,
		       leg->role == DCDMIRROR_ROLE_LOCAL ? "local" : "remote");
		queue_work(dcdmirror_wq, &m->sb_work);
	}
	return test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags);
}

static struct bio *dcdmirror_clone(struct dcdmirror_io *io, unsigned int i);
static int dcdmirror_read_leg(struct dcdmirror *m);

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
	int r;

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
	clone->bi_end_io = dcdmirror_clone_endio;
	clone->bi_private = io;
	dcdmirror_account(&m->legs[i], clone);
	return clone;
}

/* The leg reads are served from: the local one unless it is faulty. */
static int dcdmirror_read_leg(struct dcdmirror *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++)
		if (m->legs[i].role == DCDMIRROR_ROLE_LOCAL &&
		    !test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[i].flags))
			return i;
	for (i = 0; i < m->nr_legs; i++)
		if (!test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[i].flags))
			return i;
	return -1;
}

void dcdmirror_submit_bio(struct bio *bio)
{
	struct dcdmirror *m = bio->bi_bdev->bd_disk->private_data;
	struct bio *clones[DCDMIRROR_MAX_LEGS];
	unsigned int legs[DCDMIRROR_MAX_LEGS];
	struct dcdmirror_io *io;
	unsigned int i, n = 0;
	int r;

	bio = bio_split_to_limits(bio);
	if (!bio)
		return;

	if (op_is_write(bio_op(bio)) || op_is_flush(bio->bi_opf)) {
		for (i = 0; i < m->nr_legs; i++)
			if (!test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[i].flags))
				legs[n++] = i;
	} else {
		r = dcdmirror_read_leg(m);
		if (r >= 0)
			legs[n++] = r;
	}
	if (!n) {
		bio_io_error(bio);
		return;
	}

	atomic_inc(&m->inflight);
	io = mempool_alloc(&m->io_pool, GFP_NOIO);
	io->m = m;
	io->master = bio;
	io->status = BLK_STS_OK;
	io->done_ok = false;
	io->hard_error = false;
	io->read_leg = legs[0];
	INIT_WORK(&io->retry, dcdmirror_read_retry);
	io->start_time = bio_start_io_acct(bio);
	/* all clones exist before the first one is sent: remaining is final */
	atomic_set(&io->remaining, n);
	for (i = 0; i < n; i++)
		clones[i] = dcdmirror_clone(io, legs[i]);
	for (i = 0; i < n; i++)
		submit_bio_noacct(clones[i]);
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
