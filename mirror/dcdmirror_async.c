// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror async mode: a write completes when the local leg has it, and its
 * remote write follows with a copy of the data (behind clone), at most
 * max_lag behind (bytes and age). Writes that overlap one still on its way
 * to the remote leg wait for it; flushes wait for the remote leg unless
 * async_flush is "local". The remote writes gathered while the sender is
 * busy go out as one plugged batch, contiguous ones merged into one request
 * (the paper's initiator-side coalescing).
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "dcdmirror.h"

/*
 * Largest request coalescing makes of contiguous remote writes: 256 KiB is
 * on the paper's WAN link (2.4 Mbit/s) for under a second, so that the
 * requests of a lag drain one after another well inside the remote timeout
 * (which counts from the last completion); 1 MiB took 3.5 s.
 */
#define DCDMIRROR_COALESCE_MAX	SZ_256K

/* Does the remote leg get writes (present, not faulty)? */
bool dcdmirror_remote_working(struct dcdmirror *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++)
		if (m->legs[i].role == DCDMIRROR_ROLE_REMOTE && m->legs[i].bdev &&
		    !test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[i].flags))
			return true;
	return false;
}

/* No async write is on its way to the remote leg. */
bool dcdmirror_async_idle(struct dcdmirror *m)
{
	return list_empty_careful(&m->async_list);
}

/*
 * Is an async write to [sector, sector + nr_sectors) still on its way to
 * the remote leg? A read from the remote leg waits for those only (new
 * writes keep the list from ever being empty).
 */
bool dcdmirror_async_busy(struct dcdmirror *m, sector_t sector,
			  unsigned int nr_sectors)
{
	sector_t end = sector + nr_sectors;
	struct dcdmirror_io *a;
	unsigned long flags;
	bool busy = false;

	spin_lock_irqsave(&m->async_lock, flags);
	list_for_each_entry(a, &m->async_list, async_node) {
		if (a->nr_sectors && a->sector < end && sector < a->sector + a->nr_sectors) {
			busy = true;
			break;
		}
	}
	spin_unlock_irqrestore(&m->async_lock, flags);
	return busy;
}

/*
 * The lag has fallen below half its bound, in bytes and in age: the next
 * write that waits for the bound sends lag_above_bound again (once per
 * crossing, not once per write at the bound). Under async_lock.
 */
static void dcdmirror_lag_rearm(struct dcdmirror *m)
{
	struct dcdmirror_io *first;

	if (!m->lag_over || m->lag_bytes * 2 > (u64)READ_ONCE(m->max_lag_kib) << 10)
		return;
	first = list_first_entry_or_null(&m->async_list, struct dcdmirror_io, async_node);
	if (first && (ktime_get_ns() - first->async_ns) * 2 >=
		     (u64)READ_ONCE(m->max_lag_ms) * NSEC_PER_MSEC)
		return;
	m->lag_over = false;
}

/*
 * A write waits for the lag bound: lag_above_bound, unless sent since the
 * lag was last below half of it. Under async_lock (irqs off).
 */
static void dcdmirror_lag_event(struct dcdmirror *m, struct dcdmirror_io *first)
{
	struct event e;

	if (m->lag_over)
		return;
	m->lag_over = true;
	dcdmirror_event_init(m->index, &e, "lag_above_bound", "lag");
	event_add(&e, "DCDMIRROR_LAG_BYTES", "%llu", m->lag_bytes);
	event_add(&e, "DCDMIRROR_LAG_MS", "%llu",
		  div_u64(ktime_get_ns() - first->async_ns, NSEC_PER_MSEC));
	event_add(&e, "DCDMIRROR_MAX_LAG_KIB", "%u", READ_ONCE(m->max_lag_kib));
	event_add(&e, "DCDMIRROR_MAX_LAG_MS", "%u", READ_ONCE(m->max_lag_ms));
	dcdmirror_event_post(m, &e);
}

/* An async write has reached the remote leg (or failed it): off the list. */
void dcdmirror_async_remove(struct dcdmirror *m, struct dcdmirror_io *io)
{
	unsigned long flags;

	spin_lock_irqsave(&m->async_lock, flags);
	list_del(&io->async_node);
	m->lag_bytes -= (u64)io->nr_sectors << SECTOR_SHIFT;
	dcdmirror_lag_rearm(m);
	spin_unlock_irqrestore(&m->async_lock, flags);
	wake_up_all(&m->async_wait);
}

/*
 * A clone for leg i with a copy of the data in pages of our own (as md's
 * write-behind does): the master bio may complete before it does, and its
 * pages go back to the caller. behind: an async write's remote write,
 * which the master does not wait for; else a write watched by the remote
 * timeout, which the master waits for unless the timer lets it go. NULL
 * if that memory is not available: the write is then sent with the
 * caller's pages, in lock-step, unwatched.
 */
struct bio *dcdmirror_copy_clone(struct dcdmirror_io *io, unsigned int i, bool behind)
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
	c->behind = behind;
	c->own_pages = true;
	c->timed = false;
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

/*
 * Test hook: a merged request's completion waits this long (busy, it may
 * run in interrupt context; at most 1000 ms) after its last write has
 * completed, when a stop may already have freed the array. 0 (the
 * default) in normal use.
 */
static unsigned int dcdmirror_merged_end_delay_ms;
module_param_named(merged_end_delay_ms, dcdmirror_merged_end_delay_ms, uint, 0644);
MODULE_PARM_DESC(merged_end_delay_ms,
		 "test hook: delay the end of a merged remote request after its writes completed (ms, default 0, at most 1000)");

/* A merged request completed: so did each write it carried. */
static void dcdmirror_merged_endio(struct bio *req)
{
	unsigned int delay = min(READ_ONCE(dcdmirror_merged_end_delay_ms), 1000U);
	struct bio *part = to_clone(req)->parts, *next;
	blk_status_t status = req->bi_status;

	/*
	 * Put first: the last write's end may let a stop free the array and
	 * its bio_set. The writes own the pages, req only points at them.
	 */
	bio_put(req);
	for (; part; part = next) {
		next = part->bi_next;
		part->bi_next = NULL;
		part->bi_status = status;
		dcdmirror_clone_endio(part);
	}
	if (delay)
		mdelay(delay);
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
		rc->own_pages = false;
		rc->timed = false;
		rc->parts = NULL;
		dcdmirror_add_part(req, c);
		*cur = req;
	}
	dcdmirror_add_part(*cur, next);
	this_cpu_inc(m->legs[to_clone(next)->leg].stats->merged);
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

	/* the remote timeout counts from each submission (which may wait) */
	blk_start_plug(&plug);
	while ((bio = bio_list_pop(&list))) {
		if (cur && dcdmirror_merge(m, &cur, bio))
			continue;
		if (cur) {
			dcdmirror_timeout_sent(cur);
			submit_bio_noacct(cur);
			reqs++;
		}
		cur = bio;
	}
	if (cur) {
		dcdmirror_timeout_sent(cur);
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
 * the bound still goes); once admitted it is on the list. With the remote
 * leg not working it is not async (no remote write to be behind): the
 * writes still on the list, given up on by the remote timeout, hold the
 * lag until their commands end, and must not hold up the others. Under
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
	/* a write the remote leg will not get cannot overtake one there */
	list_for_each_entry(a, &m->async_list, async_node) {
		if (io->nr_sectors && a->nr_sectors && a->sector < end &&
		    io->sector < a->sector + a->nr_sectors && dcdmirror_remote_working(m)) {
			ok = false;
			goto out;
		}
	}
	if (!async || !dcdmirror_remote_working(m))
		goto out;
	first = list_first_entry_or_null(&m->async_list, struct dcdmirror_io,
					 async_node);
	if (first &&
	    (m->lag_bytes + bytes > (u64)READ_ONCE(m->max_lag_kib) << 10 ||
	     ktime_get_ns() - first->async_ns >=
	     (u64)READ_ONCE(m->max_lag_ms) * NSEC_PER_MSEC)) {
		dcdmirror_lag_event(m, first);
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
 * async mode with FLUSH_LOCAL says that a local flush is enough. If the
 * remote leg fails meanwhile, the array is degraded and the flush
 * completes on the local leg alone, as md's and DRBD's do: the promise
 * holds for flushes completed while the remote leg was in sync.
 */
void dcdmirror_async_start(struct dcdmirror *m, struct dcdmirror_io *io)
{
	struct bio *bio = io->master;
	bool mode_async = READ_ONCE(m->mode) == DCDMIRROR_MODE_ASYNC;
	bool async = mode_async && dcdmirror_local_in_sync(m) && dcdmirror_remote_working(m);
	u64 seq;

	if ((bio->bi_opf & (REQ_PREFLUSH | REQ_FUA)) &&
	    !(mode_async && READ_ONCE(m->async_flags) & DCDMIRROR_ASYNC_FLUSH_LOCAL)) {
		async = false;
		spin_lock_irq(&m->async_lock);
		seq = m->async_seq;
		if (!list_empty(&m->async_list))
			m->flush_waits++;
		spin_unlock_irq(&m->async_lock);
		wait_event(m->async_wait, dcdmirror_async_reached(m, seq) ||
			   !dcdmirror_remote_working(m));
	}
	if (!async && dcdmirror_async_idle(m))
		return;
	wait_event(m->async_wait, dcdmirror_async_admit(m, io, async));
}

/*
 * The remote writes submitted under one plug (an io_submit of a batch, a
 * filesystem's writeback) gather here and join send_list when the plug is
 * flushed, so that send_work finds them together and merges the contiguous
 * ones (md's raid1 batches its submissions per plug the same way).
 */
struct dcdmirror_send_plug {
	struct blk_plug_cb cb;
	struct bio_list bios;
};

static void dcdmirror_send_unplug(struct blk_plug_cb *cb, bool from_schedule)
{
	struct dcdmirror_send_plug *plug = container_of(cb, struct dcdmirror_send_plug, cb);
	struct dcdmirror *m = cb->data;

	spin_lock_irq(&m->async_lock);
	bio_list_merge(&m->send_list, &plug->bios);
	spin_unlock_irq(&m->async_lock);
	queue_work(dcdmirror_send_wq, &m->send_work);
	kfree(plug);
}

/*
 * Queue a behind clone for the remote leg; send_work sends the batch. The
 * remote timeout counts from here, plug time included.
 */
void dcdmirror_async_send(struct dcdmirror *m, struct bio *clone)
{
	struct blk_plug_cb *cb;

	if (dcdmirror_timed_leg(m, to_clone(clone)->leg))
		dcdmirror_timeout_add(m, clone);
	cb = blk_check_plugged(dcdmirror_send_unplug, m, sizeof(struct dcdmirror_send_plug));
	if (cb) {
		bio_list_add(&container_of(cb, struct dcdmirror_send_plug, cb)->bios, clone);
		return;
	}
	spin_lock_irq(&m->async_lock);
	bio_list_add(&m->send_list, clone);
	spin_unlock_irq(&m->async_lock);
	queue_work(dcdmirror_send_wq, &m->send_work);
}

void dcdmirror_async_init(struct dcdmirror *m)
{
	spin_lock_init(&m->async_lock);
	INIT_LIST_HEAD(&m->async_list);
	init_waitqueue_head(&m->async_wait);
	bio_list_init(&m->send_list);
	INIT_WORK(&m->send_work, dcdmirror_send_work);
}

/* No write is left (inflight is zero), but the sender may still run. */
void dcdmirror_async_exit(struct dcdmirror *m)
{
	flush_work(&m->send_work);
}
