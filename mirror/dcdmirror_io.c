// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror I/O path: reads go to the local leg, writes (and flushes,
 * discards, write-zeroes) are cloned to every working leg (also one being
 * resynced) and complete when all clones have completed (in async mode the
 * remote one later, dcdmirror_async.c). A write first marks its chunks in
 * the write-intent bitmap. A read a leg fails is served by another in-sync
 * leg, and the range is then rewritten on the failing leg
 * (dcdmirror_fix.c).
 */
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/ktime.h>
#include <linux/mempool.h>
#include <linux/module.h>

#include "dcdmirror.h"

#define DCDMIRROR_IO_POOL	64

/*
 * The work items, on three workqueues. Each is WQ_MEM_RECLAIM: under memory
 * pressure its rescuer runs its items one at a time, so no item may wait
 * for another one of the same workqueue.
 * dcdmirror_send_wq: send_work, which only submits bios.
 * dcdmirror_wq: bitmap writes, the bitmap daemon, superblock updates: they
 *   wait for I/O, and for behind clones that send_work's requests free.
 * dcdmirror_fix_wq: read retries and read error rewrites: they wait for
 *   writes in flight, which the other two complete (and release).
 */
struct workqueue_struct *dcdmirror_wq;
struct workqueue_struct *dcdmirror_send_wq;
struct workqueue_struct *dcdmirror_fix_wq;

/*
 * Test hook: at most this many items of each workqueue run at once, on all
 * CPUs together (the workqueues are then unbound); 1 runs them one at a
 * time as a rescuer does under memory pressure. 0 (the default): the
 * workqueues' defaults.
 */
static unsigned int dcdmirror_wq_max_active;
module_param_named(wq_max_active, dcdmirror_wq_max_active, uint, 0444);
MODULE_PARM_DESC(wq_max_active,
		 "test hook: items of each workqueue run at once (default 0: no limit of ours)");

int dcdmirror_wq_init(void)
{
	unsigned int max = min_t(unsigned int, dcdmirror_wq_max_active, WQ_MAX_ACTIVE);
	/* the hook's limit holds for all CPUs together: unbound */
	unsigned int flags = WQ_MEM_RECLAIM | (max ? WQ_UNBOUND : 0);

	dcdmirror_wq = alloc_workqueue("dcdmirror", flags, max);
	dcdmirror_send_wq = alloc_workqueue("dcdmirror_send", flags, max);
	dcdmirror_fix_wq = alloc_workqueue("dcdmirror_fix", flags, max);
	if (dcdmirror_wq && dcdmirror_send_wq && dcdmirror_fix_wq)
		return 0;
	dcdmirror_wq_exit();
	return -ENOMEM;
}

void dcdmirror_wq_exit(void)
{
	if (dcdmirror_fix_wq)
		destroy_workqueue(dcdmirror_fix_wq);
	if (dcdmirror_send_wq)
		destroy_workqueue(dcdmirror_send_wq);
	if (dcdmirror_wq)
		destroy_workqueue(dcdmirror_wq);
	dcdmirror_fix_wq = NULL;
	dcdmirror_send_wq = NULL;
	dcdmirror_wq = NULL;
}

/*
 * A write completing while a leg failure is not yet in the superblocks
 * waits for sb_work (see held_list): true if io is held. It keeps one count
 * in io->remaining until dcdmirror_io_release(). Any context.
 */
static bool dcdmirror_hold(struct dcdmirror_io *io)
{
	struct dcdmirror *m = io->m;
	struct bio *master = io->master;
	unsigned long flags;
	bool held = false;

	if (!m->has_sb || !(op_is_write(bio_op(master)) || op_is_flush(master->bi_opf)))
		return false;
	spin_lock_irqsave(&m->state_lock, flags);
	if (m->fail_seq != m->sb_seq) {
		io->hold_seq = m->fail_seq;
		atomic_inc(&io->remaining);
		list_add_tail(&io->node, &m->held_list);
		held = true;
	}
	spin_unlock_irqrestore(&m->state_lock, flags);
	return held;
}

/* End the master bio; false if it is held until the superblocks are written. */
static bool dcdmirror_master_end(struct dcdmirror_io *io)
{
	struct bio *master = io->master;

	/*
	 * It succeeded if a leg has it and every leg that failed it is now
	 * faulty, so that no working leg misses it.
	 */
	master->bi_status = io->done_ok && !io->hard_error ? BLK_STS_OK : io->status;
	if (!master->bi_status && !io->done_ok)
		master->bi_status = BLK_STS_IOERR;
	io->master_ended = true;
	if (dcdmirror_hold(io))
		return false;
	bio_end_io_acct(master, io->start_time);
	bio_endio(master);
	return true;
}

/* The superblocks record the failures io was held for: end its master. */
void dcdmirror_io_release(struct dcdmirror_io *io)
{
	bio_end_io_acct(io->master, io->start_time);
	bio_endio(io->master);
	if (atomic_dec_and_test(&io->remaining))
		dcdmirror_io_done(io);
}

/* Every clone has completed: end the master if not yet, release the io. */
void dcdmirror_io_done(struct dcdmirror_io *io)
{
	struct dcdmirror *m = io->m;

	/* held: dcdmirror_io_release() calls again */
	if (!io->master_ended && !dcdmirror_master_end(io))
		return;
	/* the bits stay set until the remote leg has it too */
	if (io->bitmap)
		dcdmirror_bitmap_end_write(m, io);
	if (io->async)
		dcdmirror_async_remove(m, io);
	mempool_free(io, &m->io_pool);
	dcdmirror_io_end(m);
}

void dcdmirror_account(struct dcdmirror_leg *leg, struct bio *bio)
{
	unsigned int bytes = bio->bi_iter.bi_size;

	to_clone(bio)->bytes = bytes;
	this_cpu_add(leg->stats->inflight_bytes, bytes);
	if (op_is_write(bio_op(bio)) || op_is_flush(bio->bi_opf)) {
		this_cpu_inc(leg->stats->writes);
		if (bio_has_data(bio))
			this_cpu_add(leg->stats->write_bytes, bytes);
	} else {
		this_cpu_inc(leg->stats->reads);
		this_cpu_add(leg->stats->read_bytes, bytes);
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
	c->behind = false;
	c->own_pages = false;
	c->timed = false;
	c->parts = NULL;
	clone->bi_end_io = dcdmirror_clone_endio;
	clone->bi_private = io;
	dcdmirror_account(&m->legs[i], clone);
	return clone;
}

/*
 * The in-sync leg a failed read goes to next: the local one first, none
 * that failed it already. -1 if none is left.
 */
int dcdmirror_read_alt(struct dcdmirror *m, unsigned long tried)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++)
		if (!(tried & BIT(i)) && m->legs[i].role == DCDMIRROR_ROLE_LOCAL &&
		    m->legs[i].bdev && dcdmirror_leg_in_sync(&m->legs[i]))
			return i;
	for (i = 0; i < m->nr_legs; i++)
		if (!(tried & BIT(i)) && m->legs[i].bdev &&
		    dcdmirror_leg_in_sync(&m->legs[i]))
			return i;
	return -1;
}

/* A read failed on a leg: ask another one, from process context. */
static void dcdmirror_read_retry(struct work_struct *work)
{
	struct dcdmirror_io *io = container_of(work, struct dcdmirror_io, retry);
	struct dcdmirror *m = io->m;
	int r = dcdmirror_read_alt(m, io->read_tried);

	if (r < 0) {
		/* no other leg has it: the error goes up */
		dcdmirror_io_done(io);
		return;
	}
	/* the remote leg may lack async writes to the range still in flight */
	if (m->legs[r].role != DCDMIRROR_ROLE_LOCAL)
		wait_event(m->async_wait, !dcdmirror_async_busy(m, io->sector, io->nr_sectors));
	io->status = BLK_STS_OK;
	io->hard_error = false;
	io->read_leg = r;
	atomic_set(&io->remaining, 1);
	submit_bio_noacct(dcdmirror_clone(io, r));
}

/*
 * A foreground clone of a write is done (or was let go by the remote
 * timeout): the master of a write waits for the foreground clones only,
 * if they succeeded (an async write's remote copy completes later; if the
 * local leg failed it, the master waits for the remote one). put: drop a
 * count of io->remaining the caller held. Any context.
 */
void dcdmirror_fg_done(struct dcdmirror_io *io, bool put)
{
	if (atomic_dec_and_test(&io->fg_remaining) && READ_ONCE(io->done_ok) &&
	    !READ_ONCE(io->hard_error))
		dcdmirror_master_end(io);
	if (put && atomic_dec_and_test(&io->remaining))
		dcdmirror_io_done(io);
}

void dcdmirror_clone_endio(struct bio *bio)
{
	struct dcdmirror_clone *c = to_clone(bio);
	struct dcdmirror_io *io = c->io;
	struct dcdmirror *m = io->m;
	struct dcdmirror_leg *leg = &m->legs[c->leg];
	blk_status_t status = bio->bi_status;
	bool is_read = !op_is_write(bio_op(bio)) && !op_is_flush(bio->bi_opf);
	bool retry_ok = !(bio->bi_opf & REQ_RAHEAD);
	unsigned int leg_nr = c->leg;
	u64 ns = ktime_get_ns() - c->start_ns, max;
	bool released = false;

	this_cpu_add(leg->stats->lat_ns, ns);
	this_cpu_inc(leg->stats->lat_count);
	/* this CPU's maximum: others do not touch it, an interrupt may */
	max = this_cpu_read(leg->stats->lat_max_ns);
	while (ns > max) {
		u64 old = this_cpu_cmpxchg(leg->stats->lat_max_ns, max, ns);

		if (old == max)
			break;
		max = old;
	}
	if (status) {
		this_cpu_inc(leg->stats->errors);
		dcdmirror_err_ratelimited(m, "%pg: %s error %d at sector %llu\n", leg->bdev,
					  is_read ? "read" : "write", blk_status_to_errno(status),
					  (unsigned long long)bio->bi_iter.bi_sector);
		/*
		 * An unsupported discard or a failed readahead say nothing
		 * about the leg's health. A read error does not fail the
		 * leg either: the read goes to another leg, and the range is
		 * rewritten (dcdmirror_fix.c).
		 */
		if (status == BLK_STS_NOTSUPP)
			retry_ok = false;
		if (is_read || !retry_ok || !dcdmirror_fail_leg(m, c->leg))
			WRITE_ONCE(io->hard_error, true);
		cmpxchg(&io->status, BLK_STS_OK, status);
	} else {
		WRITE_ONCE(io->done_ok, true);
	}
	/* bi_iter may have been advanced by the leg: use what was sent */
	this_cpu_sub(leg->stats->inflight_bytes, c->bytes);
	if (c->own_pages)
		bio_free_pages(bio);
	/* released by the remote timeout: its master was dealt with */
	if (c->timed && dcdmirror_timeout_done(m, c))
		released = true;
	if (!is_read && !c->behind && !released)
		dcdmirror_fg_done(io, false);
	bio_put(bio);
	if (!atomic_dec_and_test(&io->remaining))
		return;
	if (is_read && io->status && retry_ok) {
		io->read_tried |= BIT(leg_nr);
		/* the first leg that failed it is rewritten, if in sync */
		if (io->fix_leg < 0 && dcdmirror_leg_in_sync(leg))
			io->fix_leg = leg_nr;
		if (dcdmirror_read_alt(m, io->read_tried) >= 0) {
			queue_work(dcdmirror_fix_wq, &io->retry);
			return;
		}
	} else if (is_read && !io->status && io->fix_leg >= 0) {
		dcdmirror_fix_queue(io);
		return;
	}
	dcdmirror_io_done(io);
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

/*
 * Send a write to every working leg (also those being resynced). An async
 * write goes to the remote leg as a behind clone, if the local leg is in
 * sync (else there is nothing to complete it early on); a sync one, under
 * the remote timeout, as a copy the master may stop waiting for.
 */
void dcdmirror_dispatch_write(struct dcdmirror_io *io)
{
	struct dcdmirror *m = io->m;
	struct bio *clones[DCDMIRROR_MAX_LEGS];
	unsigned int i, n = 0, behind = 0;
	bool early = io->async && dcdmirror_local_in_sync(m);

	for (i = 0; i < m->nr_legs; i++) {
		bool remote = m->legs[i].role == DCDMIRROR_ROLE_REMOTE;

		if (!m->legs[i].bdev ||
		    test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[i].flags))
			continue;
		clones[n] = NULL;
		if (early && remote)
			clones[n] = dcdmirror_copy_clone(io, i, true);
		else if (remote && dcdmirror_timed_leg(m, i) && dcdmirror_local_in_sync(m))
			clones[n] = dcdmirror_copy_clone(io, i, false);
		if (clones[n] && to_clone(clones[n])->behind)
			behind++;
		else if (!clones[n])
			clones[n] = dcdmirror_clone(io, i);
		n++;
	}
	if (!n) {
		io->status = BLK_STS_IOERR;
		dcdmirror_io_done(io);
		return;
	}
	if (behind) {
		spin_lock_irq(&m->async_lock);
		m->behind_writes++;
		spin_unlock_irq(&m->async_lock);
	}
	/* all clones exist before the first one is sent: the counts are final */
	atomic_set(&io->fg_remaining, n - behind);
	atomic_set(&io->remaining, n);
	for (i = 0; i < n; i++) {
		struct dcdmirror_clone *c = to_clone(clones[i]);

		if (!c->behind) {
			if (c->own_pages)
				dcdmirror_timeout_add(m, clones[i]);
			submit_bio_noacct(clones[i]);
			continue;
		}
		/* to the remote leg in a batch (dcdmirror_async.c) */
		dcdmirror_async_send(m, clones[i]);
	}
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
	io->al = false;
	io->master_ended = false;
	io->async = false;
	io->read_tried = 0;
	io->fix_leg = -1;
	io->sector = bio->bi_iter.bi_sector;
	io->nr_sectors = bio_sectors(bio);
	INIT_LIST_HEAD(&io->node);
	INIT_WORK(&io->retry, dcdmirror_read_retry);
	io->start_time = bio_start_io_acct(bio);

	if (op_is_write(bio_op(bio)) || op_is_flush(bio->bi_opf)) {
		if (bio_sectors(bio))
			atomic64_inc(&m->data_writes);
		dcdmirror_async_start(m, io);
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
	/* the remote leg may lack async writes to the range still in flight */
	if (m->legs[r].role != DCDMIRROR_ROLE_LOCAL)
		wait_event(m->async_wait, !dcdmirror_async_busy(m, io->sector, io->nr_sectors));
	io->read_leg = r;
	atomic_set(&io->remaining, 1);
	submit_bio_noacct(dcdmirror_clone(io, r));
}

int dcdmirror_io_init(struct dcdmirror *m)
{
	int ret;

	ret = dcdmirror_fix_init(m);
	if (ret)
		return ret;
	ret = mempool_init_kmalloc_pool(&m->io_pool, DCDMIRROR_IO_POOL,
					sizeof(struct dcdmirror_io));
	if (ret)
		goto out_fix;
	ret = bioset_init(&m->bs, BIO_POOL_SIZE,
			  offsetof(struct dcdmirror_clone, bio), 0);
	if (ret)
		goto out_pool;
	ret = bioset_init(&m->behind_bs, BIO_POOL_SIZE,
			  offsetof(struct dcdmirror_clone, bio), BIOSET_NEED_BVECS);
	if (ret)
		goto out_bs;
	return 0;

out_bs:
	bioset_exit(&m->bs);
out_pool:
	mempool_exit(&m->io_pool);
out_fix:
	dcdmirror_fix_exit(m);
	return ret;
}

void dcdmirror_io_exit(struct dcdmirror *m)
{
	/* no bio is left (inflight is zero), but the workers may still run */
	dcdmirror_async_exit(m);
	dcdmirror_fix_exit(m);
	bioset_exit(&m->behind_bs);
	bioset_exit(&m->bs);
	mempool_exit(&m->io_pool);
}
