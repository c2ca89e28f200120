// SPDX-License-Identifier: GPL-2.0
/*
 * dcd: the bio entry. Writes are copied into the active buffer and completed;
 * reads are served from the buffer, the log or the data disk, splitting a bio
 * only where its blocks change place.
 */
#include <linux/delay.h>
#include <linux/highmem.h>
#include "dcd.h"

/*
 * Copy one 4096-byte block between page and the bio at *it (to_bio: from the
 * page into the bio), and advance *it past it.
 */
static void dcd_copy_block(struct bio *bio, struct bvec_iter *it,
			   struct page *page, bool to_bio)
{
	char *p = kmap_local_page(page);
	unsigned int done = 0;

	while (done < DCD_BLOCK_SIZE) {
		struct bio_vec bv = bio_iter_iovec(bio, *it);

		bv.bv_len = min_t(unsigned int, bv.bv_len, DCD_BLOCK_SIZE - done);
		if (to_bio)
			memcpy_to_bvec(&bv, p + done);
		else
			memcpy_from_bvec(p + done, &bv);
		done += bv.bv_len;
		bio_advance_iter_single(bio, it, bv.bv_len);
	}
	kunmap_local(p);
}

static struct page *dcd_buf_page(struct dcd_dev *dc, void *e)
{
	u64 ring_slot = dcd_ent_pos(e);

	return dcd_slot_buf(dc, ring_slot)->pages[dcd_slot_in_buf(dc, ring_slot)];
}

static void dcd_log_read_endio(struct bio *bio)
{
	struct dcd_rio *rio = container_of(bio, struct dcd_rio, bio);
	struct dcd_dev *dc = rio->dc;
	struct bio *parent = rio->parent;

	if (bio->bi_status && !parent->bi_status)
		parent->bi_status = bio->bi_status;
	/* the tail may pass the segment now: tell a log writer that waits */
	if (atomic_dec_and_test(&rio->seg->readers) && READ_ONCE(dc->space_wanted))
		dcd_destage_kick(dc, true);
	bio_put(bio);
	bio_endio(parent);
}

enum dcd_src { DCD_SRC_DATA, DCD_SRC_LOG, DCD_SRC_BUF };

static void dcd_read(struct dcd_dev *dc, struct bio *bio)
{
	for (;;) {
		u64 lba = bio->bi_iter.bi_sector / DCD_SECT_PER_BLOCK;
		u32 n = bio->bi_iter.bi_size >> DCD_BLOCK_SHIFT, run = 1;
		struct dcd_seg *seg = NULL;
		enum dcd_src src;
		struct bio *part;
		u64 pos = 0;
		void *e;

		mutex_lock(&dc->lock);
		e = xa_load(&dc->map, lba);
		if (!e) {
			unsigned long idx = lba;

			src = DCD_SRC_DATA;
			if (n > 1 && xa_find(&dc->map, &idx, lba + n - 1, XA_PRESENT))
				run = idx - lba;
			else
				run = n;
		} else if (dcd_ent_loc(e) == DCD_LOC_LOG) {
			src = DCD_SRC_LOG;
			pos = dcd_ent_pos(e);
			while (run < n) {
				e = xa_load(&dc->map, lba + run);
				if (!e || dcd_ent_loc(e) != DCD_LOC_LOG ||
				    dcd_ent_pos(e) != pos + run)
					break;
				run++;
			}
			/* a run lies in one segment: each has a header */
			seg = dcd_seg_find(dc, pos);
			atomic_inc(&seg->readers);
		} else {
			struct bvec_iter it = bio->bi_iter;

			src = DCD_SRC_BUF;
			dcd_copy_block(bio, &it, dcd_buf_page(dc, e), true);
			while (run < n) {
				e = xa_load(&dc->map, lba + run);
				if (!e || dcd_ent_loc(e) == DCD_LOC_LOG)
					break;
				dcd_copy_block(bio, &it, dcd_buf_page(dc, e), true);
				run++;
			}
		}
		mutex_unlock(&dc->lock);

		part = bio;
		if (run < n) {
			part = bio_split(bio, run * DCD_SECT_PER_BLOCK, GFP_NOIO,
					 &dc->bs);
			if (src != DCD_SRC_LOG)
				bio_chain(part, bio);
		}

		switch (src) {
		case DCD_SRC_DATA:
			atomic64_add(run, &dc->stats.read_hits_data);
			WRITE_ONCE(dc->last_data_io, jiffies);
			bio_set_dev(part, dc->data_bdev);
			part->bi_iter.bi_sector = dcd_data_sector(dc, part->bi_iter.bi_sector);
			submit_bio_noacct(part);
			break;
		case DCD_SRC_BUF:
			atomic64_add(run, &dc->stats.read_hits_buffer);
			bio_endio(part);
			break;
		case DCD_SRC_LOG: {
			struct dcd_rio *rio;
			struct bio *clone = part;

			atomic64_add(run, &dc->stats.read_hits_log);
			if (part == bio)
				clone = bio_alloc_clone(dc->cache_bdev, bio,
							GFP_NOIO, &dc->bs);
			else
				bio_inc_remaining(bio);
			rio = container_of(clone, struct dcd_rio, bio);
			rio->dc = dc;
			rio->parent = bio;
			rio->seg = seg;
			bio_set_dev(clone, dc->cache_bdev);
			clone->bi_iter.bi_sector = dcd_log_sector(dc, pos);
			clone->bi_end_io = dcd_log_read_endio;
			submit_bio_noacct(clone);
			break;
		}
		}
		if (part == bio)
			return;
	}
}

/*
 * The active buffer is full: seal it, or wait until the log writer has
 * logged the oldest sealed buffer if every other one is sealed. Drops and
 * retakes lock when it waits.
 */
static void dcd_make_room(struct dcd_dev *dc)
{
	u64 start, waited;

	lockdep_assert_held(&dc->lock);
	if (dcd_seal_full(dc))
		return;
	mutex_unlock(&dc->lock);
	start = ktime_get_ns();
	wait_event(dc->wq_head, READ_ONCE(dc->nsealed) + 1 < dc->nbufs ||
		   READ_ONCE(dc->failed));
	waited = ktime_get_ns() - start;
	atomic64_inc(&dc->stats.room_waits);
	atomic64_add(waited, &dc->stats.room_wait_ns);
	dcd_stat_max(&dc->stats.room_wait_max_ns, waited);
	mutex_lock(&dc->lock);
}

static void dcd_arm_kick(struct dcd_dev *dc)
{
	queue_delayed_work(dc->wq, &dc->kick_work,
			   msecs_to_jiffies(DCD_LOG_IDLE_MS));
}

/*
 * Forget the cached copies of blocks [first, last], superseded by a discard
 * record in the active buffer (the log keeps them until it is committed,
 * see struct dcd_buf). A slot of the active buffer is left out of its
 * segment; a slot of a sealed buffer stays in its segment, which comes
 * before the one with the record, or is left out if the record's buffer
 * goes into the same segment (dcd_build_hdr()).
 */
static void dcd_forget_range(struct dcd_dev *dc, u64 first, u64 last)
{
	unsigned long idx;
	void *e;

	lockdep_assert_held(&dc->lock);
	xa_for_each_range(&dc->map, idx, e, first, last) {
		unsigned int loc = dcd_ent_loc(e);

		if (loc == DCD_LOC_LOG) {
			dc->log_entries--;
			dcd_seg_supersede(dc, dcd_ent_pos(e), dc->active);
		} else {
			struct dcd_buf *b = dcd_slot_buf(dc, dcd_ent_pos(e));
			unsigned int j = dcd_slot_in_buf(dc, dcd_ent_pos(e));

			if (b == dc->active)
				b->lba[j] = DCD_LBA_DEAD;
			else
				WRITE_ONCE(b->sup[j], DCD_SUP_RECORD | dc->active->idx);
			/* the data disk has newer data than the copy it replaced */
			b->prev[j] = DCD_PREV_NONE;
			dc->buf_entries--;
		}
		xa_erase(&dc->map, idx);
	}
}

/*
 * Reserve a discard record for a bio about to go to the data disk (see
 * dcd_dev.disc_reserved). -EIO if the device failed or stops.
 */
static int dcd_reserve_record(struct dcd_dev *dc)
{
	mutex_lock(&dc->lock);
	for (;;) {
		if (dc->failed || dc->dying) {
			mutex_unlock(&dc->lock);
			return -EIO;
		}
		if (dc->active->ndisc + dc->disc_reserved < dc->max_disc)
			break;
		if (dcd_buf_empty(dc->active)) {
			/* all of it is reserved: wait for a completion */
			mutex_unlock(&dc->lock);
			wait_event(dc->wq_head, READ_ONCE(dc->disc_reserved) < dc->max_disc ||
				   READ_ONCE(dc->failed));
			mutex_lock(&dc->lock);
			continue;
		}
		dcd_make_room(dc);
	}
	dc->disc_reserved++;
	mutex_unlock(&dc->lock);
	return 0;
}

/*
 * Blocks [lba, lba + count) are on the data disk now (a bypass write, a
 * discard, a write-zeroes): forget their cached copies, and put the
 * reserved discard record into the active buffer, so that recovery does
 * not bring older copies back. That buffer flushes the data disk before
 * its segment is written: the record is not durable before the data.
 * Caller holds lock.
 */
static void dcd_add_record(struct dcd_dev *dc, u64 lba, u64 count)
{
	struct dcd_buf *b = dc->active;
	struct dcd_seg_ext *d = b->ndisc ? &b->disc[b->ndisc - 1] : NULL;

	lockdep_assert_held(&dc->lock);
	dc->disc_reserved--;
	if (d && le64_to_cpu(d->lba) + le32_to_cpu(d->count) == lba &&
	    le32_to_cpu(d->count) + count <= DCD_EXT_MAX_BLOCKS) {
		le32_add_cpu(&d->count, count);
	} else {
		if (dcd_buf_empty(b))
			b->first_jif = jiffies;
		d = &b->disc[b->ndisc++];
		d->lba = cpu_to_le64(lba);
		d->slot = cpu_to_le32(DCD_EXT_DISCARD);
		d->count = cpu_to_le32(count);
	}
	/* in nvram mode the data disk was flushed before (dcd_bypass_done()) */
	if (dc->mode == DCD_MODE_SAFE)
		b->data_flush = true;
	dcd_forget_range(dc, lba, lba + count - 1);
	dc->last_write = jiffies;
	dcd_maybe_seal(dc);
	if (!dc->nsealed && !dcd_buf_empty(dc->active))
		dcd_arm_kick(dc);
}

/*
 * A bypass bio completed on the data disk: in nvram mode its data is made
 * durable first (a flush there completes at once, so the record must not
 * outlive the data), then the record goes in, then the parent completes:
 * a read after it finds the data disk's copy.
 */
static void dcd_bypass_done(struct work_struct *work)
{
	struct dcd_bypass *bp = container_of(work, struct dcd_bypass, work);
	struct dcd_dev *dc = bp->dc;
	struct bio *parent = bp->parent;
	blk_status_t status = bp->clone.bi_status;

	if (!status && dc->mode == DCD_MODE_NVRAM && blkdev_issue_flush(dc->data_bdev))
		status = BLK_STS_IOERR;
	mutex_lock(&dc->lock);
	if (!status)
		dcd_add_record(dc, bp->lba, bp->count);
	else
		/* the cached copies stay: the data disk may not have it */
		dc->disc_reserved--;
	mutex_unlock(&dc->lock);
	bio_put(&bp->clone);
	/* before the parent ends: a stop waits for none in flight */
	atomic_dec(&dc->bypass_inflight);
	wake_up_all(&dc->wq_head);
	parent->bi_status = status;
	bio_endio(parent);
}

static void dcd_bypass_endio(struct bio *clone)
{
	struct dcd_bypass *bp = container_of(clone, struct dcd_bypass, clone);

	queue_work(bp->dc->bwq, &bp->work);
}

/*
 * Discard, write-zeroes and large writes go to the data disk. Their cached
 * copies stay until they complete (a read in between finds the previous
 * data), and no destage batch runs meanwhile: it could write an older copy
 * over them.
 */
static void dcd_pass_to_data(struct dcd_dev *dc, struct bio *bio)
{
	struct dcd_bypass *bp;
	struct bio *clone;

	if (!bio->bi_iter.bi_size) {
		bio_endio(bio);
		return;
	}
	if (dcd_reserve_record(dc)) {
		bio_io_error(bio);
		return;
	}
	mutex_lock(&dc->destage_mutex);
	atomic_inc(&dc->bypass_inflight);
	mutex_unlock(&dc->destage_mutex);
	/* GFP_NOIO from a bio_set: cannot fail (mempool backed) */
	clone = bio_alloc_clone(dc->data_bdev, bio, GFP_NOIO, &dc->bypass_bs);
	bp = container_of(clone, struct dcd_bypass, clone);
	bp->dc = dc;
	bp->parent = bio;
	bp->lba = bio->bi_iter.bi_sector / DCD_SECT_PER_BLOCK;
	bp->count = bio->bi_iter.bi_size >> DCD_BLOCK_SHIFT;
	INIT_WORK(&bp->work, dcd_bypass_done);
	clone->bi_iter.bi_sector = dcd_data_sector(dc, clone->bi_iter.bi_sector);
	clone->bi_end_io = dcd_bypass_endio;
	WRITE_ONCE(dc->last_data_io, jiffies);
	submit_bio_noacct(clone);
}

/*
 * Pace writers as the log fills. The log keeps every version of a block and
 * its tail moves only when a destage sweep in LBA order has written the tail
 * segments' blocks to the data disk; if writes fill the log before a sweep
 * ends, every write waits for the rest of the sweep (tens of seconds on a
 * rotating data disk). So from halfway between the high watermark and a
 * full log, writes are spaced out, from no gap there to DCD_PACE_MAX_US at a
 * full log: the ingest slows down gradually and the sweep gets the time it
 * needs.
 */
static void dcd_pace(struct dcd_dev *dc)
{
	unsigned int fill = READ_ONCE(dc->log_fill);
	unsigned int hwm = READ_ONCE(dc->high_watermark);
	unsigned int start = hwm + (100 - hwm) / 2;
	u64 gap, now, slot;

	if (fill <= start)
		return;
	gap = div_u64((u64)DCD_PACE_MAX_US * NSEC_PER_USEC * min(fill - start, 100 - start),
		      100 - start);
	now = ktime_get_ns();
	spin_lock(&dc->pace_lock);
	slot = max(now, dc->pace_next);
	dc->pace_next = slot + gap;
	spin_unlock(&dc->pace_lock);
	if (slot <= now)
		return;
	atomic64_inc(&dc->stats.paced_writes);
	atomic64_add(slot - now, &dc->stats.paced_ns);
	fsleep(div_u64(slot - now, NSEC_PER_USEC));
}

/* A write's time in the driver: its sum, maximum and histogram bucket. */
static void dcd_count_write_latency(struct dcd_dev *dc, u64 ns)
{
	u64 us = div_u64(ns, NSEC_PER_USEC);
	unsigned int k = us < 2 ? 0 : min_t(unsigned int, ilog2(us), DCD_LAT_BUCKETS - 1);

	atomic64_add(ns, &dc->stats.write_lat_ns);
	dcd_stat_max(&dc->stats.write_lat_max_ns, ns);
	atomic64_inc(&dc->stats.write_lat_hist[k]);
}

static void dcd_write(struct dcd_dev *dc, struct bio *bio)
{
	u64 lba = bio->bi_iter.bi_sector / DCD_SECT_PER_BLOCK;
	u32 n = bio->bi_iter.bi_size >> DCD_BLOCK_SHIFT, i = 0;
	bool sync = bio->bi_opf & (REQ_PREFLUSH | REQ_FUA);
	struct bvec_iter it = bio->bi_iter;
	u64 start = ktime_get_ns();
	u64 bypass = READ_ONCE(dc->bypass_bytes);

	atomic64_inc(&dc->stats.writes);
	if (n && !sync && bypass && bio->bi_iter.bi_size >= bypass) {
		atomic64_inc(&dc->stats.bypass_writes);
		dcd_pass_to_data(dc, bio);
		return;
	}
	if (n)
		dcd_pace(dc);

	mutex_lock(&dc->lock);
	for (;;) {
		struct dcd_buf *b = dc->active;
		unsigned int slot;
		void *e;

		/* also an empty flush: the log writer stopped for good */
		if (dc->failed || dc->dying) {
			mutex_unlock(&dc->lock);
			bio_io_error(bio);
			return;
		}
		if (i == n)
			break;
		e = xa_load(&dc->map, lba + i);
		if (e && dcd_ent_loc(e) == DCD_LOC_BUF &&
		    dcd_slot_buf(dc, dcd_ent_pos(e)) == b) {
			slot = dcd_slot_in_buf(dc, dcd_ent_pos(e));
		} else {
			void *old;

			if (b->n == dc->slots) {
				dcd_make_room(dc);
				continue;
			}
			slot = b->n;
			old = xa_store(&dc->map, lba + i,
				       dcd_mkent(DCD_LOC_BUF, dcd_ring_slot(dc, b, slot)),
				       GFP_NOIO);
			if (xa_is_err(old)) {
				/*
				 * No memory for an index node even after
				 * reclaim: wait and try again (nothing
				 * changed) rather than fail the write.
				 */
				atomic64_inc(&dc->stats.index_alloc_waits);
				mutex_unlock(&dc->lock);
				msleep(20);
				mutex_lock(&dc->lock);
				continue;
			}
			b->lba[slot] = lba + i;
			b->prev[slot] = DCD_PREV_NONE;
			if (!b->n && !b->ndisc)
				b->first_jif = jiffies;
			b->n++;
			if (!old) {
				dc->buf_entries++;
			} else if (dcd_ent_loc(old) == DCD_LOC_LOG) {
				dc->log_entries--;
				dc->buf_entries++;
				dcd_seg_supersede(dc, dcd_ent_pos(old), b);
				b->prev[slot] = dcd_ent_pos(old);
			} else {
				/* a copy in a sealed buffer */
				u64 os = dcd_ent_pos(old);

				WRITE_ONCE(dcd_slot_buf(dc, os)->sup[dcd_slot_in_buf(dc, os)],
					   dcd_ring_slot(dc, b, slot));
				b->prev[slot] = DCD_PREV_BUF | os;
			}
		}
		dcd_copy_block(bio, &it, b->pages[slot], false);
		i++;
	}
	dc->last_write = jiffies;
	/* destage reads compete with the log on the cache disk: wait for idle */
	WRITE_ONCE(dc->last_data_io, jiffies);
	dcd_maybe_seal(dc);

	if (sync && dc->mode == DCD_MODE_SAFE) {
		/* wait for the buffer with the last write: active, or sealed last */
		struct dcd_buf *w = dcd_buf_empty(dc->active) ? dcd_newest_sealed(dc) : dc->active;

		atomic64_inc(&dc->stats.flushes);
		if (w) {
			if (bio_list_empty(&w->waiters))
				w->waiters_since = jiffies;
			bio_list_add(&w->waiters, bio);
			w->nwaiters++;
			if (w == dc->active) {
				dc->force_seal = true;
				dcd_flush_joined(dc);
				dcd_maybe_seal(dc);
			}
			bio = NULL;
		}
	} else if (sync) {
		atomic64_inc(&dc->stats.flushes);
	}
	if (!dc->nsealed && !dcd_buf_empty(dc->active))
		dcd_arm_kick(dc);
	mutex_unlock(&dc->lock);
	atomic64_add((u64)n << DCD_BLOCK_SHIFT, &dc->stats.bytes_buffered);
	dcd_count_write_latency(dc, ktime_get_ns() - start);
	if (bio)
		bio_endio(bio);
}

void dcd_submit_bio(struct bio *bio)
{
	struct dcd_dev *dc = bio->bi_bdev->bd_disk->private_data;

	if ((bio->bi_iter.bi_sector | (bio->bi_iter.bi_size >> SECTOR_SHIFT)) &
	    (DCD_SECT_PER_BLOCK - 1) ||
	    bio_end_sector(bio) > dc->nr_blocks * DCD_SECT_PER_BLOCK) {
		bio_io_error(bio);
		return;
	}
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		if (!bio->bi_iter.bi_size) {
			bio_endio(bio);
			return;
		}
		dcd_read(dc, bio);
		break;
	case REQ_OP_WRITE:
		dcd_write(dc, bio);
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		dcd_pass_to_data(dc, bio);
		break;
	default:
		bio->bi_status = BLK_STS_NOTSUPP;
		bio_endio(bio);
		break;
	}
}
