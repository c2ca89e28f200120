// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror I/O path: reads go to the local leg, writes (and flushes,
 * discards, write-zeroes) are cloned to every working leg (also one being
 * resynced) and complete when all clones have completed. A write first
 * marks its chunks in the write-intent bitmap. A read a leg fails is
 * served by another in-sync leg, and the range is then rewritten on the
 * failing leg (dcdmirror_fix_read()), which fails only if that does not
 * work or it has too many read errors.
 */
#define pr_fmt(fmt) "dcdmirror: " fmt

#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/ktime.h>
#include <linux/mempool.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "dcdmirror.h"

#define DCDMIRROR_IO_POOL	64
/* largest request coalescing makes of contiguous remote writes */
#define DCDMIRROR_COALESCE_MAX	(BIO_MAX_VECS * PAGE_SIZE)

/* Retries of failed reads and superblock updates: they sleep or submit. */
struct workqueue_struct *dcdmirror_wq;

static inline struct dcdmirror_clone *to_clone(struct bio *bio)
{
	return container_of(bio, struct dcdmirror_clone, bio);
}

/* No async write is on its way to the remote leg. */
static bool dcdmirror_async_idle(struct dcdmirror *m)
{
	return list_empty_careful(&m->async_list);
}

static void dcdmirror_master_end(struct dcdmirror_io *io)
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
	bio_end_io_acct(master, io->start_time);
	bio_endio(master);
}

/* An async write has reached the remote leg (or failed it): off the list. */
static void dcdmirror_async_remove(struct dcdmirror *m, struct dcdmirror_io *io)
{
	unsigned long flags;

	spin_lock_irqsave(&m->async_lock, flags);
	list_del(&io->async_node);
	m->lag_bytes -= (u64)io->nr_sectors << SECTOR_SHIFT;
	spin_unlock_irqrestore(&m->async_lock, flags);
	wake_up_all(&m->async_wait);
}

/* Every clone has completed: end the master if not yet, release the io. */
static void dcdmirror_io_done(struct dcdmirror_io *io)
{
	struct dcdmirror *m = io->m;

	if (!io->master_ended)
		dcdmirror_master_end(io);
	/* the bits stay set until the remote leg has it too */
	if (io->bitmap)
		dcdmirror_bitmap_end_write(m, io);
	if (io->async)
		dcdmirror_async_remove(m, io);
	mempool_free(io, &m->io_pool);
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
		       dcdmirror_role_name(leg));
		queue_work(dcdmirror_wq, &m->sb_work);
		wake_up(&m->resync_wq);
	}
	return test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags);
}

static struct bio *dcdmirror_clone(struct dcdmirror_io *io, unsigned int i);

/*
 * The in-sync leg a failed read goes to next: the local one first, none
 * that failed it already. -1 if none is left.
 */
static int dcdmirror_read_alt(struct dcdmirror *m, unsigned long tried)
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
	/* the remote leg may lack async writes still in flight */
	if (m->legs[r].role != DCDMIRROR_ROLE_LOCAL)
		wait_event(m->async_wait, dcdmirror_async_idle(m));
	io->status = BLK_STS_OK;
	io->hard_error = false;
	io->read_leg = r;
	atomic_set(&io->remaining, 1);
	submit_bio_noacct(dcdmirror_clone(io, r));
}

/*
 * A read another leg served after leg io->fix_leg failed it: the master
 * has its data, and completes (without error) once fix_work has rewritten
 * the range on the failing leg, as md's raid1 retries a read only after
 * fix_read_error: when the read returns, the leg is corrected or faulty.
 */
static void dcdmirror_fix_queue(struct dcdmirror_io *io)
{
	struct dcdmirror *m = io->m;
	unsigned long flags;

	spin_lock_irqsave(&m->fix_lock, flags);
	list_add_tail(&io->node, &m->fix_list);
	spin_unlock_irqrestore(&m->fix_lock, flags);
	queue_work(dcdmirror_wq, &m->fix_work);
}

static void dcdmirror_clone_endio(struct bio *bio)
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
		 * say nothing about the leg's health. A read error does not
		 * fail the leg either: the read goes to another leg, and the
		 * range is rewritten (dcdmirror_fix_read()).
		 */
		if (status == BLK_STS_NOTSUPP || status == BLK_STS_AGAIN)
			retry_ok = false;
		if (is_read || !retry_ok || !dcdmirror_fail_leg(m, c->leg))
			WRITE_ONCE(io->hard_error, true);
		cmpxchg(&io->status, BLK_STS_OK, status);
	} else {
		WRITE_ONCE(io->done_ok, true);
	}
	/* bi_iter may have been advanced by the leg: use what was sent */
	atomic64_sub(c->bytes, &leg->stats.inflight_bytes);
	if (c->behind)
		bio_free_pages(bio);
	/*
	 * The master of a write waits for the foreground clones only, if they
	 * succeeded: an async write's remote copy completes later. If the
	 * local leg failed it, the master waits for the remote one.
	 */
	if (!is_read && !c->behind && atomic_dec_and_test(&io->fg_remaining) &&
	    READ_ONCE(io->done_ok) && !READ_ONCE(io->hard_error))
		dcdmirror_master_end(io);
	bio_put(bio);
	if (!atomic_dec_and_test(&io->remaining))
		return;
	if (is_read && io->status && retry_ok) {
		io->read_tried |= BIT(leg_nr);
		/* the first leg that failed it is rewritten, if in sync */
		if (io->fix_leg < 0 && dcdmirror_leg_in_sync(leg))
			io->fix_leg = leg_nr;
		if (dcdmirror_read_alt(m, io->read_tried) >= 0) {
			queue_work(dcdmirror_wq, &io->retry);
			return;
		}
	} else if (is_read && !io->status && io->fix_leg >= 0) {
		dcdmirror_fix_queue(io);
		return;
	}
	dcdmirror_io_done(io);
}

static void dcdmirror_account(struct dcdmirror_leg *leg, struct bio *bio)
{
	to_clone(bio)->bytes = bio->bi_iter.bi_size;
	if (op_is_write(bio_op(bio)) || op_is_flush(bio->bi_opf)) {
		atomic64_inc(&leg->stats.writes);
		if (bio_has_data(bio))
			atomic64_add(bio->bi_iter.bi_size, &leg->stats.write_bytes);
		atomic64_add(bio->bi_iter.bi_size, &leg->stats.inflight_bytes);
	} else {
		atomic64_inc(&leg->stats.reads);
		atomic64_add(bio->bi_iter.bi_size, &leg->stats.read_bytes);
		atomic64_add(bio->bi_iter.bi_size, &leg->stats.inflight_bytes);
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
	c->parts = NULL;
	clone->bi_end_io = dcdmirror_clone_endio;
	clone->bi_private = io;
	dcdmirror_account(&m->legs[i], clone);
	return clone;
}

/*
 * The remote write of an async write: the master bio completes before it
 * does and its pages go back to the caller, so the data is copied into
 * pages of our own (as md's write-behind does). NULL if that memory is
 * not available: the write is then sent in lock-step instead.
 */
static struct bio *dcdmirror_behind_clone(struct dcdmirror_io *io,
					  unsigned int i)
{
	struct dcdmirror *m = io->m;
	struct bio *master = io->master;
	unsigned int size = master->bi_iter.bi_size, nr = 0, len;
	bool data = bio_has_data(master);
	struct dcdmirror_clone *c;
	struct page *page;
	struct bio *b;

	if (data) {
		nr = DIV_ROUND_UP(size, PAGE_SIZE);
		if (nr > BIO_MAX_VECS)
			return NULL;
	}
	/* GFP_NOIO from a bio_set: cannot fail (mempool backed) */
	b = bio_alloc_bioset(m->legs[i].bdev, nr, master->bi_opf, GFP_NOIO,
			     &m->behind_bs);
	b->bi_iter.bi_sector = master->bi_iter.bi_sector;
	b->bi_ioprio = master->bi_ioprio;
	if (data) {
		while (size) {
			page = alloc_page(GFP_NOIO | __GFP_NOWARN);
			if (!page)
				goto fail;
			len = min_t(unsigned int, size, PAGE_SIZE);
			if (bio_add_page(b, page, len, 0) != len) {
				__free_page(page);
				goto fail;
			}
			size -= len;
		}
		bio_copy_data(b, master);
	} else {
		/* discard, write zeroes, an empty flush: a range only */
		b->bi_iter.bi_size = size;
	}
	c = to_clone(b);
	c->io = io;
	c->leg = i;
	c->start_ns = ktime_get_ns();
	c->behind = true;
	c->parts = NULL;
	b->bi_end_io = dcdmirror_clone_endio;
	b->bi_private = io;
	dcdmirror_account(&m->legs[i], b);
	return b;

fail:
	bio_free_pages(b);
	bio_put(b);
	return NULL;
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

static bool dcdmirror_local_in_sync(struct dcdmirror *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++)
		if (m->legs[i].role == DCDMIRROR_ROLE_LOCAL)
			return m->legs[i].bdev && dcdmirror_leg_in_sync(&m->legs[i]);
	return false;
}

/*
 * Send a write to every working leg (also those being resynced). An async
 * write goes to the remote leg as a behind clone, if the local leg is in
 * sync (else there is nothing to complete it early on).
 */
void dcdmirror_dispatch_write(struct dcdmirror_io *io)
{
	struct dcdmirror *m = io->m;
	struct bio *clones[DCDMIRROR_MAX_LEGS];
	unsigned int i, n = 0, behind = 0;
	bool early = io->async && dcdmirror_local_in_sync(m);

	for (i = 0; i < m->nr_legs; i++) {
		if (!m->legs[i].bdev ||
		    test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[i].flags))
			continue;
		clones[n] = NULL;
		if (early && m->legs[i].role == DCDMIRROR_ROLE_REMOTE)
			clones[n] = dcdmirror_behind_clone(io, i);
		if (clones[n])
			behind++;
		else
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
		if (!to_clone(clones[i])->behind) {
			submit_bio_noacct(clones[i]);
			continue;
		}
		/* to the remote leg in a batch, see dcdmirror_send_work() */
		spin_lock_irq(&m->async_lock);
		bio_list_add(&m->send_list, clones[i]);
		spin_unlock_irq(&m->async_lock);
		queue_work(dcdmirror_wq, &m->send_work);
	}
}

/* A merged request completed: so did each write it carried. */
static void dcdmirror_merged_endio(struct bio *req)
{
	struct bio *part, *next;

	for (part = to_clone(req)->parts; part; part = next) {
		next = part->bi_next;
		part->bi_next = NULL;
		part->bi_status = req->bi_status;
		dcdmirror_clone_endio(part);
	}
	bio_put(req);
}

/* Pages a request may need for the data of bio (a bound). */
static unsigned int dcdmirror_pages(struct bio *bio)
{
	return to_clone(bio)->parts ? bio->bi_vcnt :
	       DIV_ROUND_UP(bio->bi_iter.bi_size, PAGE_SIZE);
}

static void dcdmirror_add_part(struct bio *req, struct bio *part)
{
	struct bvec_iter_all iter;
	struct bio_vec *bv;

	/* cannot fail: dcdmirror_merge() checked the room */
	bio_for_each_segment_all(bv, part, iter)
		bio_add_page(req, bv->bv_page, bv->bv_len, bv->bv_offset);
	part->bi_next = to_clone(req)->parts;
	to_clone(req)->parts = part;
}

/*
 * Merge next into *cur if it continues it: plain writes with the same
 * flags, contiguous, within DCDMIRROR_COALESCE_MAX. The first merge
 * replaces *cur by a request carrying it. Async writes on their way never
 * overlap (see dcdmirror_async_admit()), so merging cannot reorder two
 * writes of the same block.
 */
static bool dcdmirror_merge(struct dcdmirror *m, struct bio **cur,
			    struct bio *next)
{
	struct bio *c = *cur, *req;
	struct dcdmirror_clone *rc;

	if (bio_op(next) != REQ_OP_WRITE || next->bi_opf != c->bi_opf ||
	    next->bi_opf & (REQ_PREFLUSH | REQ_FUA) ||
	    next->bi_bdev != c->bi_bdev ||
	    bio_end_sector(c) != next->bi_iter.bi_sector ||
	    c->bi_iter.bi_size + next->bi_iter.bi_size > DCDMIRROR_COALESCE_MAX ||
	    dcdmirror_pages(c) + dcdmirror_pages(next) > BIO_MAX_VECS)
		return false;
	if (!to_clone(c)->parts) {
		/*
		 * Without waiting: the bio_set's reserve may be held by the
		 * writes queued here, which only this worker sends. Without
		 * a request, the writes go unmerged.
		 */
		req = bio_alloc_bioset(c->bi_bdev, BIO_MAX_VECS, c->bi_opf,
				       GFP_NOWAIT | __GFP_NOWARN, &m->behind_bs);
		if (!req)
			return false;
		req->bi_iter.bi_sector = c->bi_iter.bi_sector;
		req->bi_ioprio = c->bi_ioprio;
		req->bi_end_io = dcdmirror_merged_endio;
		rc = to_clone(req);
		rc->io = NULL;
		rc->leg = to_clone(c)->leg;
		rc->behind = false;
		rc->parts = NULL;
		dcdmirror_add_part(req, c);
		*cur = req;
	}
	dcdmirror_add_part(*cur, next);
	atomic64_inc(&m->legs[to_clone(next)->leg].stats.merged);
	return true;
}

/*
 * Send the remote writes gathered in send_list, in their order, as one
 * plugged batch, merging each run of contiguous ones into one request.
 */
static void dcdmirror_send_work(struct work_struct *work)
{
	struct dcdmirror *m = container_of(work, struct dcdmirror, send_work);
	struct bio *bio, *cur = NULL;
	struct bio_list list;
	struct blk_plug plug;
	u64 reqs = 0;

	spin_lock_irq(&m->async_lock);
	list = m->send_list;
	bio_list_init(&m->send_list);
	spin_unlock_irq(&m->async_lock);

	blk_start_plug(&plug);
	while ((bio = bio_list_pop(&list))) {
		if (cur && dcdmirror_merge(m, &cur, bio))
			continue;
		if (cur) {
			submit_bio_noacct(cur);
			reqs++;
		}
		cur = bio;
	}
	if (cur) {
		submit_bio_noacct(cur);
		reqs++;
	}
	blk_finish_plug(&plug);
	spin_lock_irq(&m->async_lock);
	m->sent_requests += reqs;
	spin_unlock_irq(&m->async_lock);
}

/* The lag: bytes of async writes not yet on the remote leg, and the age. */
void dcdmirror_async_stats(struct dcdmirror *m, u64 *lag, u64 *lag_max,
			   u64 *oldest_us)
{
	struct dcdmirror_io *first;

	spin_lock_irq(&m->async_lock);
	*lag = m->lag_bytes;
	*lag_max = m->lag_max_bytes;
	first = list_first_entry_or_null(&m->async_list, struct dcdmirror_io,
					 async_node);
	*oldest_us = first ? div_u64(ktime_get_ns() - first->async_ns, 1000) : 0;
	spin_unlock_irq(&m->async_lock);
}

/*
 * May io start? Not while it overlaps an async write still on its way to
 * the remote leg. An async one (async set) also waits while the lag is at
 * its bound, unless nothing is in flight (so that one write larger than
 * the bound still goes); once admitted it is on the list. Under
 * async_lock, so that checking and joining is one step.
 */
static bool dcdmirror_async_admit(struct dcdmirror *m, struct dcdmirror_io *io,
				  bool async)
{
	u64 bytes = (u64)io->nr_sectors << SECTOR_SHIFT;
	sector_t end = io->sector + io->nr_sectors;
	struct dcdmirror_io *a, *first;
	bool ok = true;

	spin_lock_irq(&m->async_lock);
	list_for_each_entry(a, &m->async_list, async_node) {
		if (io->nr_sectors && a->nr_sectors && a->sector < end &&
		    io->sector < a->sector + a->nr_sectors) {
			ok = false;
			goto out;
		}
	}
	if (!async)
		goto out;
	first = list_first_entry_or_null(&m->async_list, struct dcdmirror_io,
					 async_node);
	if (first &&
	    (m->lag_bytes + bytes > (u64)READ_ONCE(m->max_lag_kib) << 10 ||
	     ktime_get_ns() - first->async_ns >=
	     (u64)READ_ONCE(m->max_lag_ms) * NSEC_PER_MSEC)) {
		ok = false;
		goto out;
	}
	io->async = true;
	io->seq = ++m->async_seq;
	io->async_ns = ktime_get_ns();
	list_add_tail(&io->async_node, &m->async_list);
	m->lag_bytes += bytes;
	m->lag_max_bytes = max(m->lag_max_bytes, m->lag_bytes);
	m->async_writes++;
out:
	spin_unlock_irq(&m->async_lock);
	return ok;
}

/* Have all async writes up to seq reached the remote leg? */
static bool dcdmirror_async_reached(struct dcdmirror *m, u64 seq)
{
	struct dcdmirror_io *first;
	bool ok;

	spin_lock_irq(&m->async_lock);
	first = list_first_entry_or_null(&m->async_list, struct dcdmirror_io,
					 async_node);
	ok = !first || first->seq > seq;
	spin_unlock_irq(&m->async_lock);
	return ok;
}

/*
 * Order a write against the async writes in flight (see async_list), and
 * decide whether it is async itself. A flush or FUA write waits until
 * every async write accepted before it is on the remote leg (also after
 * a switch to sync mode), and then goes to both legs in lock-step, unless
 * async mode with FLUSH_LOCAL says that a local flush is enough.
 */
static void dcdmirror_async_start(struct dcdmirror *m, struct dcdmirror_io *io)
{
	struct bio *bio = io->master;
	bool mode_async = READ_ONCE(m->mode) == DCDMIRROR_MODE_ASYNC;
	bool async = mode_async && dcdmirror_local_in_sync(m);
	u64 seq;

	if ((bio->bi_opf & (REQ_PREFLUSH | REQ_FUA)) &&
	    !(mode_async && READ_ONCE(m->async_flags) & DCDMIRROR_ASYNC_FLUSH_LOCAL)) {
		async = false;
		spin_lock_irq(&m->async_lock);
		seq = m->async_seq;
		if (!list_empty(&m->async_list))
			m->flush_waits++;
		spin_unlock_irq(&m->async_lock);
		wait_event(m->async_wait, dcdmirror_async_reached(m, seq));
	}
	if (!async && dcdmirror_async_idle(m))
		return;
	wait_event(m->async_wait, dcdmirror_async_admit(m, io, async));
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
	/* the remote leg may lack async writes still in flight */
	if (m->legs[r].role != DCDMIRROR_ROLE_LOCAL)
		wait_event(m->async_wait, dcdmirror_async_idle(m));
	io->read_leg = r;
	atomic_set(&io->remaining, 1);
	submit_bio_noacct(dcdmirror_clone(io, r));
}

static void dcdmirror_free_fix_pages(struct dcdmirror *m)
{
	unsigned int i;

	if (!m->fix_pages)
		return;
	for (i = 0; i < 2 * DCDMIRROR_FIX_PAGES; i++)
		if (m->fix_pages[i])
			__free_page(m->fix_pages[i]);
	kfree(m->fix_pages);
	m->fix_pages = NULL;
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

static bool dcdmirror_pages_equal(struct page **a, struct page **b,
				  unsigned int bytes)
{
	unsigned int p, len;

	for (p = 0; bytes; p++, bytes -= len) {
		len = min_t(unsigned int, bytes, PAGE_SIZE);
		if (memcmp(page_address(a[p]), page_address(b[p]), len))
			return false;
	}
	return true;
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
		pr_err_ratelimited("dcdmirror%u: %pg: read error %d at sector %llu while correcting a read error of %pg\n",
				   m->index, m->legs[src].bdev, ret,
				   (unsigned long long)s, m->legs[bad].bdev);
		return -EIO;
	}
	for (attempt = 0; attempt < DCDMIRROR_FIX_ATTEMPTS; attempt++) {
		ret = dcdmirror_sync_io(m, bad, s, n, good, REQ_OP_WRITE);
		if (ret) {
			pr_err("dcdmirror%u: %pg: write error %d at sector %llu rewriting a read error\n",
			       m->index, m->legs[bad].bdev, ret, (unsigned long long)s);
			return -EREMOTEIO;
		}
		ret = dcdmirror_sync_io(m, bad, s, n, back, REQ_OP_READ);
		if (!ret && dcdmirror_pages_equal(good, back, n << SECTOR_SHIFT)) {
			*fixed += errors;
			return 0;
		}
		if (ret)
			errors++;
		pr_err_ratelimited("dcdmirror%u: %pg: sectors %llu-%llu %s after the rewrite (attempt %u of %u)\n",
				   m->index, m->legs[bad].bdev, (unsigned long long)s,
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
		pr_err("dcdmirror%u: %pg (%s leg): %u read errors, more than max_read_errors %u\n",
		       m->index, leg->bdev,
		       dcdmirror_role_name(leg), errs, max);
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
		pr_err("dcdmirror%u: %pg (%s leg): read error at sectors %llu-%llu not corrected\n",
		       m->index, leg->bdev,
		       dcdmirror_role_name(leg),
		       (unsigned long long)io->sector, (unsigned long long)end - 1);
		dcdmirror_fail_leg(m, bad);
		return;
	}
	if (ret)
		return;
	atomic64_add(fixed, &leg->stats.corrected);
	atomic64_add(io->nr_sectors, &leg->stats.corrected_sectors);
	pr_info_ratelimited("dcdmirror%u: %pg (%s leg): read error corrected: sectors %llu-%llu rewritten from %pg (%llu corrected)\n",
			    m->index, leg->bdev,
			    dcdmirror_role_name(leg),
			    (unsigned long long)io->sector, (unsigned long long)end - 1,
			    m->legs[src].bdev, atomic64_read(&leg->stats.corrected));
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

int dcdmirror_io_init(struct dcdmirror *m)
{
	unsigned int i;
	int ret;

	m->fix_pages = kcalloc(2 * DCDMIRROR_FIX_PAGES, sizeof(*m->fix_pages), GFP_KERNEL);
	if (!m->fix_pages)
		return -ENOMEM;
	for (i = 0; i < 2 * DCDMIRROR_FIX_PAGES; i++) {
		m->fix_pages[i] = alloc_page(GFP_KERNEL);
		if (!m->fix_pages[i]) {
			ret = -ENOMEM;
			goto out_pages;
		}
	}
	spin_lock_init(&m->fix_lock);
	INIT_LIST_HEAD(&m->fix_list);
	INIT_WORK(&m->fix_work, dcdmirror_fix_work);
	ret = mempool_init_kmalloc_pool(&m->io_pool, DCDMIRROR_IO_POOL,
					sizeof(struct dcdmirror_io));
	if (ret)
		goto out_pages;
	ret = bioset_init(&m->bs, BIO_POOL_SIZE,
			  offsetof(struct dcdmirror_clone, bio), 0);
	if (ret)
		goto out_pool;
	ret = bioset_init(&m->behind_bs, BIO_POOL_SIZE,
			  offsetof(struct dcdmirror_clone, bio), BIOSET_NEED_BVECS);
	if (ret)
		goto out_bs;
	spin_lock_init(&m->async_lock);
	INIT_LIST_HEAD(&m->async_list);
	init_waitqueue_head(&m->async_wait);
	bio_list_init(&m->send_list);
	INIT_WORK(&m->send_work, dcdmirror_send_work);
	return 0;

out_bs:
	bioset_exit(&m->bs);
out_pool:
	mempool_exit(&m->io_pool);
out_pages:
	dcdmirror_free_fix_pages(m);
	return ret;
}

void dcdmirror_io_exit(struct dcdmirror *m)
{
	/* no write is left (inflight is zero), but the workers may still run */
	flush_work(&m->send_work);
	flush_work(&m->fix_work);
	bioset_exit(&m->behind_bs);
	bioset_exit(&m->bs);
	mempool_exit(&m->io_pool);
	dcdmirror_free_fix_pages(m);
}
