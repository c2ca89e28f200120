// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror remote timeout (DRBD's timeout/ko-count, md's failfast, with a
 * bound): a cut link must not stall the array for the 13-16 s the iSCSI
 * initiator and sd take to fail a command.
 *
 * Every write the remote leg gets from the I/O path is on timeout_list,
 * oldest first, until it completes; a timer looks at the oldest. Time is
 * counted from progress, not from arrival: the oldest is overdue when
 * remote_timeout_ms have passed since it was submitted and since the last
 * remote write completed, whichever is later, so that writes queued behind
 * others on a slow link that still completes them are not counted against
 * it (async mode's lag, a burst larger than the link carries in the
 * timeout). An overdue one fails the remote leg (never the last in-sync
 * one): its chunks stay dirty in the bitmap, and the writes that waited
 * for it complete with the local leg's status, once the superblocks
 * record the failure (held_list), as after any leg failure. Such a write's
 * remote clone carries a copy of the data (made when it is sent, as async
 * mode's), so the caller's pages, which go back to it when the write
 * completes, are never read by a remote command still in flight.
 *
 * Metadata I/O to the remote leg (bitmap blocks, superblocks, cache
 * flushes, resync and check steps) waits as long, counted the same way (a
 * bitmap write behind async mode's lag on a slow link is not overdue while
 * the lag drains), then fails the leg too. Its bios carry a copy of the
 * data in pages of their own, freed when the last of them completes: the
 * caller's buffers (the superblock
 * page, refilled at once for the next leg, the bitmap's pages) are never
 * read or written by a command given up on, which the initiator may still
 * send once the link is back. Such bios stay counted in meta_abandoned.
 *
 * The default, DCDMIRROR_REMOTE_TIMEOUT_DEFAULT (5 s), is longer than a LAN
 * blip or an iSCSI NOP-Out round trip over the paper's WAN (a few hundred
 * ms), and about a third of the 13-16 s the initiator takes: a path that
 * recovers within it costs nothing, and a full resync is never the price
 * of a short stall. OFF waits as long as the leg does (no copy is made).
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/jiffies.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <dcdmirror/kernel/sync_io.h>

#include "dcdmirror.h"

/* Does leg i get its writes under the timeout? */
bool dcdmirror_timed_leg(struct dcdmirror *m, unsigned int i)
{
	return m->legs[i].role == DCDMIRROR_ROLE_REMOTE &&
	       READ_ONCE(m->remote_timeout_ms) != DCDMIRROR_REMOTE_TIMEOUT_OFF;
}

/*
 * Fail leg i for an I/O (what) that did not complete in ms: true if it is
 * faulty now (false: it is the last in-sync leg, which is waited for). Any
 * context; the timer calls it holding timeout_lock.
 */
static bool dcdmirror_timeout_fail(struct dcdmirror *m, unsigned int i, const char *what,
				   unsigned int ms)
{
	if (test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[i].flags))
		return true;
	if (!dcdmirror_fail_leg(m, i)) {
		dcdmirror_err_ratelimited(m, "%pg: %s not completed in %u ms, but it is the last in-sync leg: waiting for it\n",
					  m->legs[i].bdev, what, ms);
		return false;
	}
	dcdmirror_err(m, "%pg (%s leg): %s not completed in %u ms (remote_timeout_ms): leg failed\n",
		      m->legs[i].bdev, dcdmirror_role_name(&m->legs[i]), what, ms);
	atomic64_inc(&m->remote_timeouts);
	/* flushes and overlapping writes waiting for its async writes go on */
	wake_up_all(&m->async_wait);
	return true;
}

/*
 * A remote write is about to be sent: it is watched from now on (its time
 * counts from its submission: see dcdmirror_timeout_sent()). Any context.
 */
void dcdmirror_timeout_add(struct dcdmirror *m, struct bio *bio)
{
	struct dcdmirror_clone *c = to_clone(bio);
	unsigned long flags;

	c->timed = true;
	c->released = false;
	c->sent = jiffies;
	spin_lock_irqsave(&m->timeout_lock, flags);
	/* an idle leg's last completion says nothing of this burst */
	if (list_empty(&m->timeout_list))
		WRITE_ONCE(m->remote_last_done, jiffies);
	list_add_tail(&c->timeout_node, &m->timeout_list);
	/* sent as the leg failed: let go now, not a timeout later */
	if (test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[c->leg].flags))
		mod_timer(&m->timeout_timer, jiffies);
	else if (!timer_pending(&m->timeout_timer))
		mod_timer(&m->timeout_timer,
			  jiffies + msecs_to_jiffies(READ_ONCE(m->remote_timeout_ms)));
	spin_unlock_irqrestore(&m->timeout_lock, flags);
}

/*
 * The write of clone bio, or of every write a merged request carries, is
 * submitted now: its time counts from here (async mode's writes wait in
 * send_list before). Before submit_bio_noacct(). Any context.
 */
void dcdmirror_timeout_sent(struct bio *bio)
{
	struct dcdmirror_clone *c = to_clone(bio);
	unsigned long now = jiffies;
	struct bio *part;

	if (!c->parts) {
		WRITE_ONCE(c->sent, now);
		return;
	}
	for (part = c->parts; part; part = part->bi_next)
		WRITE_ONCE(to_clone(part)->sent, now);
}

/*
 * A watched remote write completed: off the list, and the remote leg made
 * progress. True if the timer released its master already (its foreground
 * count is dropped).
 */
bool dcdmirror_timeout_done(struct dcdmirror *m, struct dcdmirror_clone *c)
{
	unsigned long flags;
	bool released;

	spin_lock_irqsave(&m->timeout_lock, flags);
	list_del_init(&c->timeout_node);
	WRITE_ONCE(m->remote_last_done, jiffies);
	released = c->released;
	spin_unlock_irqrestore(&m->timeout_lock, flags);
	return released;
}

/*
 * When remote I/O submitted at from is overdue: ms after it or after the
 * last remote write completed, whichever is later. Any context (read
 * without timeout_lock it is a moment old, which only delays the verdict).
 */
static unsigned long dcdmirror_progress_due(struct dcdmirror *m, unsigned long from,
					    unsigned int ms)
{
	unsigned long done = READ_ONCE(m->remote_last_done);

	if (time_after(done, from))
		from = done;
	return from + msecs_to_jiffies(ms);
}

/* When the oldest write c is overdue. timeout_lock held. */
static unsigned long dcdmirror_timeout_due(struct dcdmirror *m, struct dcdmirror_clone *c,
					   unsigned int ms)
{
	return dcdmirror_progress_due(m, READ_ONCE(c->sent), ms);
}

/*
 * The oldest remote write is overdue: fail the leg, then let every write
 * out on a faulty leg complete without it (also those of a leg that failed
 * otherwise: dcdmirror_fail_leg() runs the timer). A released write's io
 * keeps one count of its own until the master has been dealt with.
 */
static void dcdmirror_timeout_fn(struct timer_list *t)
{
	struct dcdmirror *m = from_timer(m, t, timeout_timer);
	unsigned int ms = READ_ONCE(m->remote_timeout_ms);
	struct dcdmirror_clone *c;
	struct dcdmirror_io *io;
	unsigned long flags, due;

	spin_lock_irqsave(&m->timeout_lock, flags);
	/* OFF: dcdmirror_set_remote_timeout() looks again when set */
	while (ms != DCDMIRROR_REMOTE_TIMEOUT_OFF &&
	       (c = list_first_entry_or_null(&m->timeout_list, struct dcdmirror_clone,
					     timeout_node))) {
		if (!test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[c->leg].flags)) {
			due = dcdmirror_timeout_due(m, c, ms);
			if (time_before(jiffies, due)) {
				mod_timer(&m->timeout_timer, due);
				break;
			}
			/*
			 * Failed under the lock, while c is still the oldest
			 * and overdue: a completion cannot come in between.
			 */
			if (!dcdmirror_timeout_fail(m, c->leg, "write", ms)) {
				mod_timer(&m->timeout_timer, jiffies + msecs_to_jiffies(ms));
				break;
			}
		}
		/* the leg is faulty: every write still out on it is let go */
		list_del_init(&c->timeout_node);
		c->released = true;
		if (c->behind)
			continue;
		io = c->io;
		atomic_inc(&io->remaining);
		spin_unlock_irqrestore(&m->timeout_lock, flags);
		dcdmirror_fg_done(io, true);
		spin_lock_irqsave(&m->timeout_lock, flags);
	}
	spin_unlock_irqrestore(&m->timeout_lock, flags);
}

/* A new timeout (or OFF) from set or sysfs: the writes out are looked at again. */
void dcdmirror_set_remote_timeout(struct dcdmirror *m, unsigned int ms)
{
	unsigned long flags;

	WRITE_ONCE(m->remote_timeout_ms, ms);
	spin_lock_irqsave(&m->timeout_lock, flags);
	if (!list_empty(&m->timeout_list))
		mod_timer(&m->timeout_timer, jiffies);
	spin_unlock_irqrestore(&m->timeout_lock, flags);
	if (ms == DCDMIRROR_REMOTE_TIMEOUT_OFF)
		dcdmirror_info(m, "remote timeout off\n");
	else
		dcdmirror_info(m, "remote timeout %u ms\n", ms);
}

/* Synchronous I/O that the waiter may give up on: freed by the last of both. */
struct dcdmirror_timed_io {
	struct sync_io s;
	struct dcdmirror *m;
	refcount_t users;		/* the waiter, and the bios as a whole */
	bool abandoned;			/* counted in m->meta_abandoned */
	unsigned int nr_pages;
	struct page *pages[];		/* the bios' copy of the data */
};

static void dcdmirror_timed_free(struct dcdmirror_timed_io *t)
{
	unsigned int i;

	for (i = 0; i < t->nr_pages; i++)
		if (t->pages[i])
			__free_page(t->pages[i]);
	kfree(t);
}

/* Any context (the last bio's completion). */
static void dcdmirror_timed_put(struct dcdmirror_timed_io *t)
{
	struct dcdmirror *m;
	bool abandoned;

	if (!refcount_dec_and_test(&t->users))
		return;
	/* the last one sees what the other wrote before its put */
	m = t->m;
	abandoned = t->abandoned;
	dcdmirror_timed_free(t);
	if (abandoned && atomic_dec_and_test(&m->meta_abandoned))
		wake_up_all(&m->abandoned_wait);
}

/*
 * The state of a timed I/O of len bytes from or to pages (per_page bytes of
 * each, see sync_io_add_pages()), with pages of its own: for a write a
 * copy of the data. NULL without the memory.
 */
static struct dcdmirror_timed_io *dcdmirror_timed_alloc(struct dcdmirror *m, blk_opf_t opf,
							struct page **pages, size_t len,
							unsigned int per_page)
{
	unsigned int nr = pages ? DIV_ROUND_UP(len, per_page) : 0, i;
	struct dcdmirror_timed_io *t;

	t = kzalloc(struct_size(t, pages, nr), GFP_NOIO | __GFP_NOWARN);
	if (!t)
		return NULL;
	t->m = m;
	refcount_set(&t->users, 2);
	t->nr_pages = nr;
	for (i = 0; i < nr; i++) {
		t->pages[i] = alloc_page(GFP_NOIO | __GFP_NOWARN);
		if (!t->pages[i]) {
			dcdmirror_timed_free(t);
			return NULL;
		}
		if (op_is_write(opf))
			memcpy_page(t->pages[i], 0, pages[i], 0,
				    min_t(size_t, len - (size_t)i * per_page, per_page));
	}
	return t;
}

/* A read completed in time: its data to the caller's pages. */
static void dcdmirror_timed_copy_back(struct dcdmirror_timed_io *t, struct page **pages,
				      size_t len, unsigned int per_page)
{
	unsigned int i;

	for (i = 0; i < t->nr_pages; i++)
		memcpy_page(pages[i], 0, t->pages[i], 0,
			    min_t(size_t, len - (size_t)i * per_page, per_page));
}

/*
 * Wait for done, submitted at from, while the remote leg makes progress: a
 * metadata write or flush queued behind async writes on a slow link (in
 * the same TCP stream) waits for them as they complete, as a write does
 * (dcdmirror_progress_due()). False if it is overdue.
 */
static bool dcdmirror_timed_wait(struct dcdmirror *m, struct completion *done,
				 unsigned long from, unsigned int ms)
{
	unsigned long due;

	for (;;) {
		due = dcdmirror_progress_due(m, from, ms);
		if (!time_before(jiffies, due))
			return try_wait_for_completion(done);
		if (wait_for_completion_io_timeout(done, due - jiffies))
			return true;
	}
}

static void dcdmirror_timed_endio(struct bio *bio)
{
	struct sync_io *s = bio->bi_private;

	if (bio->bi_status)
		WRITE_ONCE(s->status, bio->bi_status);
	bio_put(bio);
	if (atomic_dec_and_test(&s->pending)) {
		complete(&s->done);
		dcdmirror_timed_put(container_of(s, struct dcdmirror_timed_io, s));
	}
}

/*
 * Start I/O of leg i: len bytes at sector from or to pages (see
 * sync_io_add_pages()), or with pages NULL a cache flush; r holds it until
 * dcdmirror_leg_io_end(). I/O of several legs started before any ends goes
 * to them in parallel. Process context.
 */
void dcdmirror_leg_io_start(struct dcdmirror *m, unsigned int i, struct dcdmirror_leg_req *r,
			    blk_opf_t opf, sector_t sector, struct page **pages, size_t len,
			    unsigned int per_page)
{
	struct block_device *bdev = m->legs[i].bdev;

	r->ms = READ_ONCE(m->remote_timeout_ms);
	r->opf = opf;
	r->pages = pages;
	r->len = len;
	r->per_page = per_page;
	r->t = NULL;
	r->s = &r->plain;
	if (dcdmirror_timed_leg(m, i))
		r->t = dcdmirror_timed_alloc(m, opf, pages, len, per_page);
	/* without the memory: wait as long as the leg takes */
	if (r->t)
		r->s = &r->t->s;
	sync_io_init(r->s);
	if (r->t)
		r->s->end_io = dcdmirror_timed_endio;
	r->leg = i;
	r->sent = jiffies;
	if (pages) {
		sync_io_add_pages(r->s, bdev, opf, sector, r->t ? r->t->pages : pages, len,
				  per_page);
	} else {
		/* GFP_NOIO from fs_bio_set: waits for memory, cannot fail */
		struct bio *bio = bio_alloc(bdev, 0, REQ_OP_WRITE | REQ_PREFLUSH, GFP_NOIO);

		sync_io_submit(r->s, bio);
	}
}

/*
 * Wait for the I/O r holds. On the remote leg it waits until
 * remote_timeout_ms pass without progress (its own completion or a remote
 * write's), then fails the leg and returns -ETIMEDOUT; the bios it gives up
 * on have pages of their own, and the caller's may be reused at once.
 * Process context.
 */
int dcdmirror_leg_io_end(struct dcdmirror *m, struct dcdmirror_leg_req *r)
{
	struct dcdmirror_timed_io *t = r->t;
	struct sync_io *s = r->s;
	int ret;

	if (!t)
		return sync_io_wait(s);
	if (atomic_dec_and_test(&s->pending)) {
		/* all done already: the bios' share is ours to drop */
		dcdmirror_timed_put(t);
	} else if (!dcdmirror_timed_wait(m, &s->done, r->sent, r->ms)) {
		const char *what = op_is_write(r->opf) ? "metadata write" : "read";

		if (dcdmirror_timeout_fail(m, r->leg, what, r->ms)) {
			atomic_inc(&m->meta_abandoned);
			t->abandoned = true;
			dcdmirror_timed_put(t);
			return -ETIMEDOUT;
		}
		wait_for_completion_io(&s->done);
	}
	ret = blk_status_to_errno(READ_ONCE(s->status));
	if (!ret && r->pages && !op_is_write(r->opf))
		dcdmirror_timed_copy_back(t, r->pages, r->len, r->per_page);
	dcdmirror_timed_put(t);
	return ret;
}

/* Synchronous I/O of leg i (dcdmirror_leg_io_start(), then its end). */
int dcdmirror_leg_io(struct dcdmirror *m, unsigned int i, blk_opf_t opf, sector_t sector,
		     struct page **pages, size_t len, unsigned int per_page)
{
	struct dcdmirror_leg_req r;

	dcdmirror_leg_io_start(m, i, &r, opf, sector, pages, len, per_page);
	return dcdmirror_leg_io_end(m, &r);
}

/*
 * Wait for the bios given up on: metadata writes that must not land after
 * newer ones (a leg added), or the array about to be freed.
 */
void dcdmirror_wait_abandoned(struct dcdmirror *m)
{
	wait_event(m->abandoned_wait, !atomic_read(&m->meta_abandoned));
}

void dcdmirror_timeout_init(struct dcdmirror *m)
{
	spin_lock_init(&m->timeout_lock);
	INIT_LIST_HEAD(&m->timeout_list);
	timer_setup(&m->timeout_timer, dcdmirror_timeout_fn, 0);
	atomic_set(&m->meta_abandoned, 0);
	init_waitqueue_head(&m->abandoned_wait);
	atomic64_set(&m->remote_timeouts, 0);
}

/* No write is left (inflight is zero); the timer may still run once. */
void dcdmirror_timeout_exit(struct dcdmirror *m)
{
	del_timer_sync(&m->timeout_timer);
	dcdmirror_wait_abandoned(m);
}
