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
	return dc->buf[dcd_ent_loc(e) - DCD_LOC_BUF0].pages[dcd_ent_pos(e)];
}

static void dcd_log_read_endio(struct bio *bio)
{
	struct dcd_rio *rio = container_of(bio, struct dcd_rio, bio);
	struct dcd_dev *dc = rio->dc;
	struct bio *parent = rio->parent;

	if (bio->bi_status && !parent->bi_status)
		parent->bi_status = bio->bi_status;
	bio_put(bio);
	if (atomic_dec_and_test(&dc->log_reads))
		wake_up_all(&dc->wq_head);
	bio_endio(parent);
}

enum dcd_src { DCD_SRC_DATA, DCD_SRC_LOG, DCD_SRC_BUF };

static void dcd_read(struct dcd_dev *dc, struct bio *bio)
{
	for (;;) {
		u64 lba = bio->bi_iter.bi_sector / DCD_SECT_PER_BLOCK;
		u32 n = bio->bi_iter.bi_size >> DCD_BLOCK_SHIFT, run = 1;
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
			atomic_inc(&dc->log_reads);
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
 * The active buffer is full: hand it to the log writer, or wait for the
 * writer to take it. Drops and retakes lock when it waits.
 */
static void dcd_make_room(struct dcd_dev *dc)
{
	lockdep_assert_held(&dc->lock);
	if (!dc->flushing) {
		dc->force_seal = true;
		dcd_maybe_seal(dc);
		return;
	}
	dc->force_seal = true;
	mutex_unlock(&dc->lock);
	wait_event(dc->wq_head, !READ_ONCE(dc->flushing) || READ_ONCE(dc->failed));
	mutex_lock(&dc->lock);
}

static void dcd_arm_kick(struct dcd_dev *dc)
{
	queue_delayed_work(dc->wq, &dc->kick_work,
			   msecs_to_jiffies(DCD_LOG_IDLE_MS));
}

static void dcd_forget_range(struct dcd_dev *dc, u64 first, u64 last)
{
	unsigned long idx;
	void *e;

	lockdep_assert_held(&dc->lock);
	xa_for_each_range(&dc->map, idx, e, first, last) {
		unsigned int loc = dcd_ent_loc(e);

		if (loc == DCD_LOC_LOG) {
			dc->log_entries--;
			dcd_seg_unref(dc, dcd_ent_pos(e));
		} else {
			struct dcd_buf *b = &dc->buf[loc - DCD_LOC_BUF0];

			/*
			 * A slot of the active buffer is left out of its
			 * segment; the flushing buffer is not changed, its
			 * segment comes before the one with this record.
			 */
			if (b == dc->active)
				b->lba[dcd_ent_pos(e)] = DCD_LBA_DEAD;
			dc->buf_entries--;
		}
		xa_erase(&dc->map, idx);
	}
}

/*
 * Forget cached copies of blocks [lba, lba + count) and put a discard record
 * into the active buffer, so that recovery does not bring older copies back.
 * Record and forgetting happen under one hold of lock, so both land in the
 * same buffer.
 */
static int dcd_invalidate(struct dcd_dev *dc, u64 lba, u64 count)
{
	mutex_lock(&dc->lock);
	while (count) {
		struct dcd_buf *b = dc->active;
		u32 c = min_t(u64, count, U32_MAX >> 1);
		struct dcd_seg_ext *d;

		if (dc->failed || dc->dying) {
			mutex_unlock(&dc->lock);
			return -EIO;
		}
		d = b->ndisc ? &b->disc[b->ndisc - 1] : NULL;
		if (d && le64_to_cpu(d->lba) + le32_to_cpu(d->count) == lba &&
		    le32_to_cpu(d->count) + (u64)c <= U32_MAX >> 1) {
			le32_add_cpu(&d->count, c);
		} else if (b->ndisc < dc->max_disc) {
			if (dcd_buf_empty(b))
				b->first_jif = jiffies;
			d = &b->disc[b->ndisc++];
			d->lba = cpu_to_le64(lba);
			d->slot = cpu_to_le32(DCD_EXT_DISCARD);
			d->count = cpu_to_le32(c);
		} else {
			dcd_make_room(dc);
			continue;
		}
		dcd_forget_range(dc, lba, lba + c - 1);
		lba += c;
		count -= c;
	}
	dc->data_dirty = true;
	dc->last_write = jiffies;
	dcd_maybe_seal(dc);
	if (!dc->flushing && !dcd_buf_empty(dc->active))
		dcd_arm_kick(dc);
	mutex_unlock(&dc->lock);
	return 0;
}

/* Discard, write-zeroes and large writes: forget cached copies, pass on. */
static void dcd_pass_to_data(struct dcd_dev *dc, struct bio *bio)
{
	u64 lba = bio->bi_iter.bi_sector / DCD_SECT_PER_BLOCK;
	u64 count = bio->bi_iter.bi_size >> DCD_BLOCK_SHIFT;

	if (count && dcd_invalidate(dc, lba, count)) {
		bio_io_error(bio);
		return;
	}
	/* a destage batch in flight must not land after this write */
	mutex_lock(&dc->destage_mutex);
	mutex_unlock(&dc->destage_mutex);
	WRITE_ONCE(dc->last_data_io, jiffies);
	bio_set_dev(bio, dc->data_bdev);
	submit_bio_noacct(bio);
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
		if (e && dcd_ent_loc(e) == DCD_LOC_BUF0 + b->idx) {
			slot = dcd_ent_pos(e);
		} else {
			void *old;

			if (b->n == dc->slots) {
				dcd_make_room(dc);
				continue;
			}
			slot = b->n;
			old = xa_store(&dc->map, lba + i,
				       dcd_mkent(DCD_LOC_BUF0 + b->idx, slot),
				       GFP_NOIO);
			if (xa_is_err(old)) {
				mutex_unlock(&dc->lock);
				bio->bi_status = BLK_STS_RESOURCE;
				bio_endio(bio);
				return;
			}
			b->lba[slot] = lba + i;
			if (!b->n && !b->ndisc)
				b->first_jif = jiffies;
			b->n++;
			if (!old) {
				dc->buf_entries++;
			} else if (dcd_ent_loc(old) == DCD_LOC_LOG) {
				dc->log_entries--;
				dc->buf_entries++;
				dcd_seg_unref(dc, dcd_ent_pos(old));
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
		atomic64_inc(&dc->stats.flushes);
		if (!dcd_buf_empty(dc->active)) {
			if (bio_list_empty(&dc->waiters_active))
				dc->waiters_since = jiffies;
			bio_list_add(&dc->waiters_active, bio);
			dc->force_seal = true;
			dcd_maybe_seal(dc);
			bio = NULL;
		} else if (dc->flushing) {
			if (bio_list_empty(&dc->waiters_flushing))
				dc->waiters_since = jiffies;
			bio_list_add(&dc->waiters_flushing, bio);
			bio = NULL;
		} else if (dc->data_dirty) {
			dc->waiters_since = jiffies;
			bio_list_add(&dc->waiters_now, bio);
			queue_work(dc->wq, &dc->log_work);
			bio = NULL;
		}
	} else if (sync) {
		atomic64_inc(&dc->stats.flushes);
	}
	if (!dc->flushing && !dcd_buf_empty(dc->active))
		dcd_arm_kick(dc);
	mutex_unlock(&dc->lock);
	atomic64_add(ktime_get_ns() - start, &dc->stats.write_lat_ns);
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
