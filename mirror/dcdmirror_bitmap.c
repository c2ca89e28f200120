// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror write-intent bitmap (layout in mirror_format.h), after md's
 * bitmap: a write counts itself in each chunk it covers; if a chunk's bit is
 * not yet on disk the write is queued until a worker has written the bitmap
 * block (FUA) to every working leg (in async mode, to the local leg only:
 * the remote leg gets it later, see dcdmirror_bitmap_lazy()). A daemon
 * clears the bits of chunks that stayed without writes for a whole period,
 * and only while every leg is in sync, so that the set bits cover all a
 * stale leg may lack.
 * A bitmap write that clears bits is preceded by a flush of the leg (as
 * md's bitmap writes are): the writes to those chunks completed, but may
 * still be in a volatile disk cache, and must not be lost in a crash that
 * keeps the cleared bit.
 */
#include <linux/bio.h>
#include <linux/bitops.h>
#include <linux/blkdev.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <dcdmirror/kernel/page_array.h>
#include <dcdmirror/kernel/sync_io.h>
#include <dcdmirror/mirror_format.h>

#include "dcdmirror.h"

#define BITS_PER_BLOCK		(DCDMIRROR_BITMAP_BLOCK * 8)
#define SECTORS_PER_BLOCK	(DCDMIRROR_BITMAP_BLOCK >> SECTOR_SHIFT)
#define MAX_BLOCKS		(DCDMIRROR_BITMAP_MAX_BYTES / DCDMIRROR_BITMAP_BLOCK)

unsigned int dcdmirror_bitmap_delay_ms = 5000;
module_param_named(bitmap_delay_ms, dcdmirror_bitmap_delay_ms, uint, 0644);
MODULE_PARM_DESC(bitmap_delay_ms,
		 "a chunk's bit is cleared after this long without writes (default 5000)");

static unsigned long dcdmirror_bitmap_delay(void)
{
	return msecs_to_jiffies(max(dcdmirror_bitmap_delay_ms, 100U));
}

/*
 * The chunk for an array of sectors: chunk_bytes if given (a power of two
 * whose bitmap fits max_bytes of the metadata area), else 64 KiB doubled
 * until it fits.
 */
int dcdmirror_bitmap_chunk_shift(sector_t sectors, u32 chunk_bytes, u32 max_bytes, u32 *shift)
{
	u64 max_bits = (u64)min_t(u32, max_bytes, DCDMIRROR_BITMAP_MAX_BYTES) /
		       DCDMIRROR_BITMAP_BLOCK * BITS_PER_BLOCK;
	u32 s;

	if (chunk_bytes) {
		if (!is_power_of_2(chunk_bytes) ||
		    chunk_bytes < DCDMIRROR_BITMAP_MIN_CHUNK || chunk_bytes > SZ_1G)
			return -EINVAL;
		s = ilog2(chunk_bytes) - SECTOR_SHIFT;
		if (DIV_ROUND_UP_ULL(sectors, 1ULL << s) > max_bits)
			return -EFBIG;
	} else {
		s = ilog2(DCDMIRROR_BITMAP_DEF_CHUNK) - SECTOR_SHIFT;
		while (DIV_ROUND_UP_ULL(sectors, 1ULL << s) > max_bits)
			s++;
	}
	*shift = s;
	return 0;
}

static void dcdmirror_bitmap_daemon(struct work_struct *work);
static void dcdmirror_bitmap_flush_work(struct work_struct *work);

int dcdmirror_bitmap_init(struct dcdmirror *m, u32 chunk_shift)
{
	struct dcdmirror_bitmap *bm = &m->bm;

	spin_lock_init(&bm->lock);
	INIT_LIST_HEAD(&bm->pending);
	init_waitqueue_head(&bm->wait);
	mutex_init(&bm->write_mutex);
	INIT_WORK(&bm->flush_work, dcdmirror_bitmap_flush_work);
	INIT_DELAYED_WORK(&bm->daemon, dcdmirror_bitmap_daemon);
	bm->resync_chunk = U64_MAX;
	bm->fix_first = U64_MAX;
	bm->fix_last = U64_MAX;
	bm->chunk_shift = chunk_shift;
	bm->chunks = DIV_ROUND_UP_ULL(m->sectors, 1ULL << chunk_shift);
	bm->nr_blocks = DIV_ROUND_UP_ULL(bm->chunks, BITS_PER_BLOCK);
	if (WARN_ON_ONCE(bm->nr_blocks > MAX_BLOCKS || !bm->nr_blocks))
		return -EINVAL;
	bm->bits = kvzalloc(bm->nr_blocks * DCDMIRROR_BITMAP_BLOCK, GFP_KERNEL);
	bm->recent = kvcalloc(BITS_TO_LONGS(bm->chunks), sizeof(long), GFP_KERNEL);
	bm->synced = kvcalloc(BITS_TO_LONGS(bm->chunks), sizeof(long), GFP_KERNEL);
	bm->count = kvcalloc(bm->chunks, sizeof(u16), GFP_KERNEL);
	bm->pages = page_array_alloc(bm->nr_blocks);
	if (!bm->bits || !bm->recent || !bm->synced || !bm->count || !bm->pages)
		return -ENOMEM;
	return dcdmirror_al_init(m);
}

/* Also after a failed init; the daemon and workers must be stopped. */
void dcdmirror_bitmap_exit(struct dcdmirror *m)
{
	struct dcdmirror_bitmap *bm = &m->bm;

	dcdmirror_al_exit(m);
	page_array_free(bm->pages, bm->nr_blocks);
	kvfree(bm->count);
	kvfree(bm->recent);
	kvfree(bm->synced);
	kvfree(bm->bits);
	bm->synced = NULL;
	bm->pages = NULL;
	bm->count = NULL;
	bm->recent = NULL;
	bm->bits = NULL;
}

/* Start the write of blocks [first, first + n) of leg i's bitmap, from bm->pages. */
static void dcdmirror_bitmap_write_start(struct dcdmirror *m, unsigned int i,
					 struct dcdmirror_leg_req *r, unsigned int first,
					 unsigned int n, blk_opf_t flush)
{
	struct dcdmirror_leg *leg = &m->legs[i];

	atomic64_inc(&m->meta_writes);
	dcdmirror_leg_io_start(m, i, r, REQ_OP_WRITE | REQ_SYNC | REQ_FUA | flush,
			       leg->bitmap_sector + (sector_t)first * SECTORS_PER_BLOCK,
			       m->bm.pages + first, (size_t)n * DCDMIRROR_BITMAP_BLOCK,
			       DCDMIRROR_BITMAP_BLOCK);
}

/*
 * May leg i get its bitmap blocks later? The remote leg, while the local
 * leg is in sync, in either mode: the remote leg's bitmap is read only
 * when it is the source at assemble, that is when it has more events than
 * the local leg, which only a superblock write after the local leg left
 * gives it, and dcdmirror_sb_write() first brings its bitmap up to date
 * (dcdmirror_bitmap_flush_lazy()). A crash of either site leaves the
 * local leg's bitmap, written before every write, to decide; a failback
 * or a split brain resolved copies the union of both legs' bitmaps. In
 * sync mode too this saves a round trip to the remote site before a write
 * that sets a bit.
 */
static bool dcdmirror_bitmap_lazy(struct dcdmirror *m, unsigned int i)
{
	unsigned int j;

	if (m->legs[i].role != DCDMIRROR_ROLE_REMOTE)
		return false;
	for (j = 0; j < m->nr_legs; j++)
		if (m->legs[j].role == DCDMIRROR_ROLE_LOCAL)
			return m->legs[j].bdev &&
			       !test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[j].flags) &&
			       !test_bit(DCDMIRROR_LEG_REBUILDING_BIT, &m->legs[j].flags);
	return false;
}

/* One leg's part of a bitmap write: its blocks, written range by range. */
struct dcdmirror_bitmap_leg_write {
	DECLARE_BITMAP(blocks, 256);
	unsigned int next;		/* the first block not yet started */
	blk_opf_t flush;		/* REQ_PREFLUSH on its first range */
	bool active;
	struct dcdmirror_leg_req req;
};

/*
 * What leg i gets of a bitmap write (see dcdmirror_bitmap_write()), in w:
 * false if nothing now, because it is out, or lazy (lazy set then).
 */
static bool dcdmirror_bitmap_write_plan(struct dcdmirror *m, unsigned int i,
					unsigned long *blocks, bool lazy_only,
					blk_opf_t preflush,
					struct dcdmirror_bitmap_leg_write *w, bool *lazy)
{
	struct dcdmirror_leg *leg = &m->legs[i];

	*lazy = false;
	w->active = false;
	w->next = 0;
	w->flush = preflush;
	if (!leg->bdev || test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags))
		return false;
	if (lazy_only && leg->role != DCDMIRROR_ROLE_REMOTE)
		return false;
	spin_lock_irq(&m->bm.lock);
	if (!lazy_only && dcdmirror_bitmap_lazy(m, i)) {
		bitmap_or(m->bm.lazy_blocks, m->bm.lazy_blocks, blocks, 256);
		m->bm.lazy_writes++;
		spin_unlock_irq(&m->bm.lock);
		*lazy = true;
		return false;
	}
	if (lazy_only)
		bitmap_copy(w->blocks, m->bm.lazy_blocks, 256);
	else if (leg->role == DCDMIRROR_ROLE_REMOTE)
		bitmap_or(w->blocks, blocks, m->bm.lazy_blocks, 256);
	else
		bitmap_copy(w->blocks, blocks, 256);
	if (leg->role == DCDMIRROR_ROLE_REMOTE) {
		if (!bitmap_empty(m->bm.lazy_blocks, 256))
			w->flush = REQ_PREFLUSH;
		bitmap_zero(m->bm.lazy_blocks, 256);
	}
	spin_unlock_irq(&m->bm.lock);
	w->active = true;
	return true;
}

/*
 * Write every active leg's blocks, the legs in parallel; on each leg a
 * range starts once the one before it, which carries the flush, has
 * completed. Each leg ends in done or in failed (not failed yet: the
 * caller does that). First error, or 0.
 */
static int dcdmirror_bitmap_write_legs(struct dcdmirror *m, struct dcdmirror_bitmap_leg_write *w,
				       unsigned long *done, unsigned long *failed)
{
	unsigned long started;
	unsigned int i, b, e;
	int ret, err = 0;

	do {
		started = 0;
		for (i = 0; i < m->nr_legs; i++) {
			if (!w[i].active)
				continue;
			b = find_next_bit(w[i].blocks, m->bm.nr_blocks, w[i].next);
			if (b >= m->bm.nr_blocks) {
				w[i].active = false;
				__set_bit(i, done);
				continue;
			}
			e = find_next_zero_bit(w[i].blocks, m->bm.nr_blocks, b);
			w[i].next = e;
			dcdmirror_bitmap_write_start(m, i, &w[i].req, b, e - b, w[i].flush);
			w[i].flush = 0;
			__set_bit(i, &started);
		}
		for_each_set_bit(i, &started, m->nr_legs) {
			ret = dcdmirror_leg_io_end(m, &w[i].req);
			if (!ret)
				continue;
			dcdmirror_err(m, "%pg: bitmap write failed: error %d\n", m->legs[i].bdev,
				      ret);
			err = err ?: ret;
			w[i].active = false;
			__set_bit(i, failed);
		}
	} while (started);
	return err;
}

/*
 * Write the blocks set in blocks to every working leg, with write_mutex
 * held (bm->pages hold each block's last image). A remote leg that may
 * wait (dcdmirror_bitmap_lazy()) gets them later; one that may not gets
 * those it was owed too. lazy_only: write the owed blocks only, to the
 * remote legs (blocks is ignored). preflush: flush each leg first (the
 * blocks clear bits); owed blocks may clear bits too, so a leg that gets
 * them is always flushed first. The legs get them in parallel.
 */
static int dcdmirror_bitmap_write(struct dcdmirror *m, unsigned long *blocks,
				  bool lazy_only, blk_opf_t preflush,
				  bool *recorded)
{
	struct dcdmirror_bitmap_leg_write w[DCDMIRROR_MAX_LEGS];
	unsigned long done = 0, failed = 0, lazy_legs = 0, again = 0;
	unsigned int i;
	bool lazy;
	int err;

	for (i = 0; i < m->nr_legs; i++) {
		dcdmirror_bitmap_write_plan(m, i, blocks, lazy_only, preflush, &w[i], &lazy);
		if (lazy)
			__set_bit(i, &lazy_legs);
	}
	err = dcdmirror_bitmap_write_legs(m, w, &done, &failed);
	/* a leg that cannot record intent cannot be trusted */
	for_each_set_bit(i, &failed, m->nr_legs)
		dcdmirror_fail_leg(m, i);
	/*
	 * The local leg failed it: a remote leg that was to get the blocks
	 * later gets them now, with those it was owed (they include these),
	 * as the writes that wait will be on it alone.
	 */
	if (failed) {
		for_each_set_bit(i, &lazy_legs, m->nr_legs)
			if (dcdmirror_bitmap_write_plan(m, i, blocks, true, REQ_PREFLUSH, &w[i],
							&lazy))
				__set_bit(i, &again);
		if (again) {
			failed = 0;
			err = dcdmirror_bitmap_write_legs(m, w, &done, &failed) ?: err;
			for_each_set_bit(i, &failed, m->nr_legs)
				dcdmirror_fail_leg(m, i);
		}
	}
	/*
	 * Recorded if an in-sync leg has the blocks on disk (a lazy remote
	 * leg's local leg has them). Not if the last in-sync leg failed the
	 * write (it cannot be failed): the caller must not let the writes go.
	 */
	if (recorded) {
		*recorded = false;
		for (i = 0; i < m->nr_legs; i++)
			if ((done & BIT(i)) && dcdmirror_leg_in_sync(&m->legs[i]))
				*recorded = true;
	}
	return err;
}

/*
 * Bring the bitmap of the remote leg up to date: the blocks it was owed
 * in async mode (see dcdmirror_bitmap_lazy()). Process context.
 */
void dcdmirror_bitmap_flush_lazy(struct dcdmirror *m)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	bool owed;

	if (!m->has_sb || !bm->pages)
		return;
	mutex_lock(&bm->write_mutex);
	spin_lock_irq(&bm->lock);
	owed = !bitmap_empty(bm->lazy_blocks, 256);
	spin_unlock_irq(&bm->lock);
	if (owed)
		dcdmirror_bitmap_write(m, NULL, true, REQ_PREFLUSH, NULL);
	mutex_unlock(&bm->write_mutex);
}

/*
 * Flush the cache of every working leg but skip (-1: none), write_mutex
 * held (the legs' devices stay meanwhile). A leg whose flush does not
 * succeed is failed; why says in its message what the flush was for. True
 * if every one flushed. Process context.
 */
bool dcdmirror_flush_legs_locked(struct dcdmirror *m, int skip, const char *why)
{
	struct dcdmirror_leg_req r[DCDMIRROR_MAX_LEGS];
	unsigned long started = 0, failed = 0;
	unsigned int i;
	int ret;

	/* all of them at once: over the WAN the remote one is a round trip */
	for (i = 0; i < m->nr_legs; i++) {
		struct dcdmirror_leg *leg = &m->legs[i];

		if (i == skip || !leg->bdev || test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags))
			continue;
		dcdmirror_leg_io_start(m, i, &r[i], REQ_OP_WRITE | REQ_PREFLUSH, 0, NULL, 0, 0);
		__set_bit(i, &started);
	}
	for_each_set_bit(i, &started, m->nr_legs) {
		ret = dcdmirror_leg_io_end(m, &r[i]);
		if (!ret)
			continue;
		dcdmirror_err(m, "%pg: cache flush before %s failed: error %d\n",
			      m->legs[i].bdev, why, ret);
		__set_bit(i, &failed);
	}
	/* once every flush has ended: a failure may change the others' state */
	for_each_set_bit(i, &failed, m->nr_legs)
		dcdmirror_fail_leg(m, i);
	return !failed;
}

/*
 * Flush the cache of every working leg before bits are cleared: the writes
 * to the chunks to be cleared have completed, but may still be in a
 * volatile cache, the remote leg's too, which in async mode gets its
 * bitmap blocks (and with them a flush) only after the local leg has the
 * cleared ones. A leg whose flush does not succeed is failed. True if
 * every working leg flushed. Process context.
 */
bool dcdmirror_bitmap_flush_legs(struct dcdmirror *m)
{
	bool ok;

	mutex_lock(&m->bm.write_mutex);
	ok = dcdmirror_flush_legs_locked(m, -1, "clearing bits");
	mutex_unlock(&m->bm.write_mutex);
	return ok;
}

/*
 * Write the dirty bitmap blocks, then send the writes that waited for them.
 * Process context. Writes queued after the snapshot wait for the next call.
 */
int dcdmirror_bitmap_flush(struct dcdmirror *m)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	DECLARE_BITMAP(blocks, 256);
	struct dcdmirror_io *io, *tmp;
	bool recorded = true;
	blk_opf_t preflush;
	LIST_HEAD(list);
	unsigned int b, n = 0;
	int ret = 0;

	mutex_lock(&bm->write_mutex);
	spin_lock_irq(&bm->lock);
	/* the image written holds every bit cleared so far */
	preflush = bm->cleared ? REQ_PREFLUSH : 0;
	bm->cleared = false;
	list_splice_init(&bm->pending, &list);
	bitmap_copy(blocks, bm->dirty_blocks, 256);
	bitmap_or(bm->writing_blocks, bm->writing_blocks, blocks, 256);
	bitmap_zero(bm->dirty_blocks, 256);
	for_each_set_bit(b, blocks, bm->nr_blocks)
		memcpy(page_address(bm->pages[b]),
		       bm->bits + (size_t)b * DCDMIRROR_BITMAP_BLOCK,
		       DCDMIRROR_BITMAP_BLOCK);
	spin_unlock_irq(&bm->lock);

	if (m->has_sb && !bitmap_empty(blocks, 256))
		ret = dcdmirror_bitmap_write(m, blocks, false, preflush, &recorded);

	spin_lock_irq(&bm->lock);
	bitmap_andnot(bm->writing_blocks, bm->writing_blocks, blocks, 256);
	/* on no in-sync leg's disk: the next write to them writes them again */
	if (!recorded)
		bitmap_or(bm->dirty_blocks, bm->dirty_blocks, blocks, 256);
	spin_unlock_irq(&bm->lock);
	mutex_unlock(&bm->write_mutex);

	/*
	 * With a write failed on a leg that is now faulty the bits are on
	 * the others: go on. Recorded on no in-sync leg, a crash would leave
	 * no trace of the writes that waited: they fail.
	 */
	list_for_each_entry_safe(io, tmp, &list, node) {
		list_del_init(&io->node);
		if (recorded) {
			dcdmirror_dispatch_write(io);
			continue;
		}
		io->status = BLK_STS_IOERR;
		dcdmirror_io_done(io);
		n++;
	}
	if (n)
		dcdmirror_err_ratelimited(m, "the bitmap could not be written to an in-sync leg: %u writes failed\n",
					  n);
	return ret;
}

static void dcdmirror_bitmap_flush_work(struct work_struct *work)
{
	struct dcdmirror *m = container_of(work, struct dcdmirror, bm.flush_work);

	dcdmirror_bitmap_flush(m);
}

/* Read the bitmap of leg i into memory (assemble). */
/*
 * Read the bitmap at sector of bdev (a leg's, or a device being added) into
 * memory; merge: add its bits to those there (the union of two legs' bits:
 * what either may hold that the other lacks). Process context.
 */
int dcdmirror_bitmap_read(struct dcdmirror *m, struct block_device *bdev,
			  sector_t sector, bool merge)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	unsigned int b;
	u64 c;
	int ret;

	mutex_lock(&bm->write_mutex);
	ret = sync_io_pages(bdev, REQ_OP_READ, sector, bm->pages,
			    (size_t)bm->nr_blocks * DCDMIRROR_BITMAP_BLOCK, DCDMIRROR_BITMAP_BLOCK);
	if (ret)
		goto out;
	spin_lock_irq(&bm->lock);
	for (b = 0; b < bm->nr_blocks; b++) {
		u8 *bits = bm->bits + (size_t)b * DCDMIRROR_BITMAP_BLOCK;
		u8 *page = page_address(bm->pages[b]);
		unsigned int k;

		if (!merge) {
			memcpy(bits, page, DCDMIRROR_BITMAP_BLOCK);
			continue;
		}
		for (k = 0; k < DCDMIRROR_BITMAP_BLOCK; k++)
			bits[k] |= page[k];
		__set_bit(b, bm->dirty_blocks);
	}
	/* bits past the last chunk mean nothing: keep them zero */
	for (c = bm->chunks; c < (u64)bm->nr_blocks * BITS_PER_BLOCK; c++)
		__clear_bit_le(c, bm->bits);
	spin_unlock_irq(&bm->lock);
	/* the pages hold what is on that disk, not what was last written */
	for (b = 0; b < bm->nr_blocks; b++)
		memcpy(page_address(bm->pages[b]), bm->bits + (size_t)b * DCDMIRROR_BITMAP_BLOCK,
		       DCDMIRROR_BITMAP_BLOCK);
out:
	mutex_unlock(&bm->write_mutex);
	return ret;
}

/* Read the bitmap of leg i into memory (assemble); merge: see above. */
int dcdmirror_bitmap_load(struct dcdmirror *m, unsigned int i, bool merge)
{
	return dcdmirror_bitmap_read(m, m->legs[i].bdev, m->legs[i].bitmap_sector, merge);
}

/* Is a chunk of io under the resync's or a read fix's barrier? bm->lock held. */
static bool dcdmirror_bitmap_barred(struct dcdmirror_bitmap *bm,
				    struct dcdmirror_io *io)
{
	return (bm->resync_chunk >= io->first_chunk &&
		bm->resync_chunk <= io->last_chunk) ||
	       (bm->fix_first <= io->last_chunk && io->first_chunk <= bm->fix_last);
}

static bool dcdmirror_bitmap_blocked(struct dcdmirror *m,
				     struct dcdmirror_io *io)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	unsigned long flags;
	bool blocked = false;
	u64 c;

	spin_lock_irqsave(&bm->lock, flags);
	if (dcdmirror_bitmap_barred(bm, io))
		blocked = true;
	for (c = io->first_chunk; c <= io->last_chunk && !blocked; c++)
		if (bm->count[c] == U16_MAX)
			blocked = true;
	spin_unlock_irqrestore(&bm->lock, flags);
	return blocked;
}

/*
 * Count io in its chunks. Returns true if io was queued until its bits are
 * on disk, or its extents in the activity log (a worker then sends it),
 * false if it may go now. While every leg is in sync a write goes under
 * the activity log and sets no bits (dcdmirror_al.c); else it sets the
 * bits of its chunks. Waits while the resync copies one of its chunks, a
 * read error in one of them is being rewritten, or the log's set has no
 * room for its extents. Process context.
 */
bool dcdmirror_bitmap_start_write(struct dcdmirror *m, struct dcdmirror_io *io)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	enum dcdmirror_al_entry al = DCDMIRROR_AL_NONE;
	bool need = false, waited = false;
	unsigned int blk;
	u64 c;

	for (;;) {
		spin_lock_irq(&bm->lock);
		if (!dcdmirror_bitmap_barred(bm, io)) {
			for (c = io->first_chunk; c <= io->last_chunk; c++)
				if (bm->count[c] == U16_MAX)
					break;
			if (c > io->last_chunk) {
				al = dcdmirror_al_enter(m, io);
				if (al != DCDMIRROR_AL_FULL)
					break;
				spin_unlock_irq(&bm->lock);
				wait_event(bm->wait, dcdmirror_al_room(m, io));
				continue;
			}
		} else if (!waited) {
			bm->barrier_waits++;
			waited = true;
		}
		spin_unlock_irq(&bm->lock);
		wait_event(bm->wait, !dcdmirror_bitmap_blocked(m, io));
	}
	for (c = io->first_chunk; c <= io->last_chunk; c++) {
		bm->count[c]++;
		__set_bit(c, bm->recent);
		if (al != DCDMIRROR_AL_NONE)
			continue;
		blk = c / BITS_PER_BLOCK;
		if (!test_bit_le(c, bm->bits) || test_bit(blk, bm->dirty_blocks) ||
		    test_bit(blk, bm->writing_blocks)) {
			__set_bit_le(c, bm->bits);
			__set_bit(blk, bm->dirty_blocks);
			need = m->has_sb;
		}
	}
	io->bitmap = true;
	if (al == DCDMIRROR_AL_QUEUED)
		dcdmirror_al_queue(m, io);
	else if (need)
		list_add_tail(&io->node, &bm->pending);
	spin_unlock_irq(&bm->lock);
	if (al == DCDMIRROR_AL_QUEUED)
		queue_work(dcdmirror_wq, &m->al.work);
	else if (need)
		queue_work(dcdmirror_wq, &bm->flush_work);
	return need || al == DCDMIRROR_AL_QUEUED;
}

/* io completed on every leg: any context. */
void dcdmirror_bitmap_end_write(struct dcdmirror *m, struct dcdmirror_io *io)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	unsigned long flags;
	u64 c;

	spin_lock_irqsave(&bm->lock, flags);
	for (c = io->first_chunk; c <= io->last_chunk; c++)
		bm->count[c]--;
	if (io->al)
		dcdmirror_al_leave(m, io);
	spin_unlock_irqrestore(&bm->lock, flags);
	io->bitmap = false;
	if (wq_has_sleeper(&bm->wait))
		wake_up(&bm->wait);
}

/*
 * Would the daemon clear a bit now? A chunk is cleared when it has no
 * write in flight and none started since the last pass (recent clear):
 * its writes all completed before that pass, so a flush of the legs now
 * covers them (and one whose count or recent bit changes is not cleared).
 */
static bool dcdmirror_bitmap_clearable(struct dcdmirror_bitmap *bm)
{
	unsigned int n = 0;
	bool found = false;
	u64 c = 0;

	spin_lock_irq(&bm->lock);
	while (bm->clear_ok) {
		c = find_next_bit_le(bm->bits, bm->chunks, c);
		if (c >= bm->chunks)
			break;
		if (!bm->count[c] && !test_bit(c, bm->recent)) {
			found = true;
			break;
		}
		if (!(++n % 1024)) {
			spin_unlock_irq(&bm->lock);
			cond_resched();
			spin_lock_irq(&bm->lock);
		}
		c++;
	}
	spin_unlock_irq(&bm->lock);
	return found;
}

static void dcdmirror_bitmap_daemon(struct work_struct *work)
{
	struct dcdmirror *m = container_of(to_delayed_work(work), struct dcdmirror,
					   bm.daemon);
	struct dcdmirror_bitmap *bm = &m->bm;
	unsigned int n = 0;
	bool any = false;
	u64 c = 0;

	/* the writes of the chunks it clears are stable on every leg first */
	if (dcdmirror_bitmap_clearable(bm) && !dcdmirror_bitmap_flush_legs(m))
		goto out;
	spin_lock_irq(&bm->lock);
	while (bm->clear_ok) {
		c = find_next_bit_le(bm->bits, bm->chunks, c);
		if (c >= bm->chunks)
			break;
		/* after a full sync every bit is set: let interrupts in */
		if (!(++n % 1024)) {
			spin_unlock_irq(&bm->lock);
			cond_resched();
			spin_lock_irq(&bm->lock);
		}
		/* a chunk written since the last pass waits one more */
		if (!bm->count[c] && !__test_and_clear_bit(c, bm->recent)) {
			__clear_bit_le(c, bm->bits);
			__set_bit(c / BITS_PER_BLOCK, bm->dirty_blocks);
			bm->cleared = true;
			any = true;
		}
		c++;
	}
	spin_unlock_irq(&bm->lock);
	if (any)
		dcdmirror_bitmap_flush(m);
out:
	/* the remote leg's bitmap stays at most a period behind */
	dcdmirror_bitmap_flush_lazy(m);
	queue_delayed_work(dcdmirror_wq, &bm->daemon, dcdmirror_bitmap_delay());
}

/* Every chunk needs a copy (full sync); write it out with flush after. */
void dcdmirror_bitmap_set_all(struct dcdmirror *m)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	u64 c;

	spin_lock_irq(&bm->lock);
	memset(bm->bits, 0xff, bm->chunks / 8);
	for (c = round_down(bm->chunks, 8); c < bm->chunks; c++)
		__set_bit_le(c, bm->bits);
	bitmap_set(bm->dirty_blocks, 0, bm->nr_blocks);
	spin_unlock_irq(&bm->lock);
}

/* A clean stop with every leg in sync: nothing is dirty. */
void dcdmirror_bitmap_clear_all(struct dcdmirror *m)
{
	struct dcdmirror_bitmap *bm = &m->bm;

	spin_lock_irq(&bm->lock);
	if (bm->clear_ok) {
		memset(bm->bits, 0, (size_t)bm->nr_blocks * DCDMIRROR_BITMAP_BLOCK);
		bitmap_set(bm->dirty_blocks, 0, bm->nr_blocks);
		bm->cleared = true;
	}
	spin_unlock_irq(&bm->lock);
}

/*
 * Whether bits may be cleared: only once the superblocks say that every leg
 * is in sync. Any context.
 */
void dcdmirror_bitmap_allow_clear(struct dcdmirror *m, bool ok)
{
	unsigned long flags;

	spin_lock_irqsave(&m->bm.lock, flags);
	m->bm.clear_ok = ok;
	spin_unlock_irqrestore(&m->bm.lock, flags);
}

u64 dcdmirror_bitmap_weight(struct dcdmirror *m)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	u64 w;

	if (!bm->bits)
		return 0;
	spin_lock_irq(&bm->lock);
	w = memweight(bm->bits, (size_t)bm->nr_blocks * DCDMIRROR_BITMAP_BLOCK);
	spin_unlock_irq(&bm->lock);
	return w;
}

/* The first chunk at or after *chunk whose bit is set. */
bool dcdmirror_bitmap_next(struct dcdmirror *m, u64 *chunk)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	u64 c;

	spin_lock_irq(&bm->lock);
	c = *chunk < bm->chunks ? find_next_bit_le(bm->bits, bm->chunks, *chunk) :
				  bm->chunks;
	spin_unlock_irq(&bm->lock);
	*chunk = c;
	return c < bm->chunks;
}

static bool dcdmirror_bitmap_idle(struct dcdmirror *m, u64 chunk)
{
	bool idle;

	spin_lock_irq(&m->bm.lock);
	idle = !m->bm.count[chunk];
	spin_unlock_irq(&m->bm.lock);
	return idle;
}

/*
 * The resync's barrier: new writes to chunk wait, and the writes in flight
 * on it are waited for, so that the copy cannot overtake or be overtaken.
 */
void dcdmirror_bitmap_lock_chunk(struct dcdmirror *m, u64 chunk)
{
	spin_lock_irq(&m->bm.lock);
	m->bm.resync_chunk = chunk;
	spin_unlock_irq(&m->bm.lock);
	wait_event(m->bm.wait, dcdmirror_bitmap_idle(m, chunk));
}

void dcdmirror_bitmap_unlock_chunk(struct dcdmirror *m)
{
	spin_lock_irq(&m->bm.lock);
	m->bm.resync_chunk = U64_MAX;
	spin_unlock_irq(&m->bm.lock);
	wake_up(&m->bm.wait);
}

static bool dcdmirror_bitmap_range_idle(struct dcdmirror *m, u64 first, u64 last)
{
	bool idle = true;
	u64 c;

	spin_lock_irq(&m->bm.lock);
	for (c = first; c <= last && idle; c++)
		idle = !m->bm.count[c];
	spin_unlock_irq(&m->bm.lock);
	return idle;
}

/*
 * The barrier of a read error's rewrite (raid1's freeze around
 * fix_read_error, narrowed to the chunks of the range): new writes to
 * chunks [first, last] wait, those in flight are waited for. One range at
 * a time (the fix worker's). Process context.
 */
void dcdmirror_bitmap_lock_range(struct dcdmirror *m, u64 first, u64 last)
{
	spin_lock_irq(&m->bm.lock);
	m->bm.fix_first = first;
	m->bm.fix_last = last;
	spin_unlock_irq(&m->bm.lock);
	wait_event(m->bm.wait, dcdmirror_bitmap_range_idle(m, first, last));
}

void dcdmirror_bitmap_unlock_range(struct dcdmirror *m)
{
	spin_lock_irq(&m->bm.lock);
	m->bm.fix_first = U64_MAX;
	m->bm.fix_last = U64_MAX;
	spin_unlock_irq(&m->bm.lock);
	wake_up(&m->bm.wait);
}

/* The resync copied chunk: its bit may go at the next checkpoint. */
void dcdmirror_bitmap_synced(struct dcdmirror *m, u64 chunk)
{
	spin_lock_irq(&m->bm.lock);
	__set_bit(chunk, m->bm.synced);
	spin_unlock_irq(&m->bm.lock);
}

/*
 * A resync checkpoint, after leg (its target) has flushed its cache:
 * clear the bits of the chunks copied since the last one, unless a write
 * is in flight on the chunk (it may still fail on the leg) or the leg has
 * failed meanwhile (a write that failed on it left its bit set only
 * after the leg was marked faulty, under bm.lock here). A write that
 * completed after the copy went to the leg too: the leg has the chunk.
 * The bitmap flush that follows makes it durable.
 */
void dcdmirror_bitmap_clear_synced(struct dcdmirror *m, unsigned int leg)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	unsigned int n = 0;
	u64 c = 0;

	spin_lock_irq(&bm->lock);
	if (test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[leg].flags)) {
		bitmap_zero(bm->synced, bm->chunks);
		spin_unlock_irq(&bm->lock);
		return;
	}
	for (;;) {
		c = find_next_bit(bm->synced, bm->chunks, c);
		if (c >= bm->chunks)
			break;
		__clear_bit(c, bm->synced);
		if (!bm->count[c] && test_bit_le(c, bm->bits)) {
			__clear_bit_le(c, bm->bits);
			__set_bit(c / BITS_PER_BLOCK, bm->dirty_blocks);
			bm->cleared = true;
		}
		if (!(++n % 1024)) {
			spin_unlock_irq(&bm->lock);
			cond_resched();
			spin_lock_irq(&bm->lock);
			if (test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[leg].flags)) {
				bitmap_zero(bm->synced, bm->chunks);
				break;
			}
		}
		c++;
	}
	spin_unlock_irq(&bm->lock);
}

/*
 * A full resync resumed at chunk: every chunk from there on needs a copy,
 * whatever its bit (assemble).
 */
void dcdmirror_bitmap_set_from(struct dcdmirror *m, u64 chunk)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	u64 c;

	spin_lock_irq(&bm->lock);
	for (c = chunk; c < bm->chunks; c++)
		__set_bit_le(c, bm->bits);
	bitmap_set(bm->dirty_blocks, 0, bm->nr_blocks);
	spin_unlock_irq(&bm->lock);
}
