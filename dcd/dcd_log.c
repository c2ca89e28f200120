// SPDX-License-Identifier: GPL-2.0
/*
 * dcd: the cache disk. Superblock, log segments, the log writer and the
 * recovery scan that rebuilds the index from the log.
 */
#include <linux/crc32.h>
#include <linux/delay.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uuid.h>
#include <linux/vmalloc.h>
#include "dcd.h"

struct dcd_sync_io {
	atomic_t pending;
	blk_status_t status;
	struct completion done;
};

static void dcd_sync_init(struct dcd_sync_io *s)
{
	atomic_set(&s->pending, 1);
	s->status = BLK_STS_OK;
	init_completion(&s->done);
}

static void dcd_sync_endio(struct bio *bio)
{
	struct dcd_sync_io *s = bio->bi_private;

	if (bio->bi_status)
		WRITE_ONCE(s->status, bio->bi_status);
	bio_put(bio);
	if (atomic_dec_and_test(&s->pending))
		complete(&s->done);
}

static int dcd_sync_wait(struct dcd_sync_io *s)
{
	if (!atomic_dec_and_test(&s->pending))
		wait_for_completion_io(&s->done);
	return blk_status_to_errno(READ_ONCE(s->status));
}

/* Submit nr pages as consecutive blocks from sector on; caller waits. */
static void dcd_submit_pages(struct dcd_sync_io *s, struct block_device *bdev,
			     blk_opf_t opf, sector_t sector,
			     struct page **pages, unsigned int nr)
{
	while (nr) {
		unsigned int n = min_t(unsigned int, nr, BIO_MAX_VECS);
		struct bio *bio = bio_alloc(bdev, n, opf, GFP_NOIO);
		unsigned int i;

		bio->bi_iter.bi_sector = sector;
		bio->bi_end_io = dcd_sync_endio;
		bio->bi_private = s;
		for (i = 0; i < n; i++)
			__bio_add_page(bio, pages[i], DCD_BLOCK_SIZE, 0);
		atomic_inc(&s->pending);
		submit_bio(bio);
		pages += n;
		nr -= n;
		sector += (sector_t)n * DCD_SECT_PER_BLOCK;
	}
}

int dcd_rw_pages(struct block_device *bdev, blk_opf_t opf, sector_t sector,
		 struct page **pages, unsigned int nr)
{
	struct dcd_sync_io s;

	dcd_sync_init(&s);
	dcd_submit_pages(&s, bdev, opf, sector, pages, nr);
	return dcd_sync_wait(&s);
}

/* Synchronous I/O on vmalloc memory of whole blocks. */
int dcd_rw_vmem(struct block_device *bdev, blk_opf_t opf, sector_t sector,
		void *buf, size_t len)
{
	unsigned int i, nr = len >> DCD_BLOCK_SHIFT;
	struct page **pages;
	int ret;

	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		pages[i] = vmalloc_to_page(buf + ((size_t)i << DCD_BLOCK_SHIFT));
	if (op_is_write(opf))
		flush_kernel_vmap_range(buf, len);
	ret = dcd_rw_pages(bdev, opf, sector, pages, nr);
	if (!op_is_write(opf))
		invalidate_kernel_vmap_range(buf, len);
	kvfree(pages);
	return ret;
}

static u32 dcd_crc_page(u32 crc, struct page *page)
{
	void *p = kmap_local_page(page);

	crc = __crc32c_le(crc, p, DCD_BLOCK_SIZE);
	kunmap_local(p);
	return crc;
}

static sector_t dcd_log_sector(struct dcd_dev *dc, u64 pos)
{
	return (dc->log_start + pos) * DCD_SECT_PER_BLOCK;
}

/* ---- superblock ---- */

static void dcd_fill_sb(struct dcd_dev *dc, struct dcd_sb *sb, u32 state,
			u64 tail, u64 tail_seq, u64 head, u64 head_seq)
{
	memset(sb, 0, sizeof(*sb));
	sb->magic = cpu_to_le64(DCD_SB_MAGIC);
	sb->version = cpu_to_le32(DCD_FORMAT_VERSION);
	memcpy(sb->uuid, dc->uuid, sizeof(sb->uuid));
	sb->block_size = cpu_to_le32(DCD_BLOCK_SIZE);
	sb->state = cpu_to_le32(state);
	sb->cache_blocks = cpu_to_le64(dc->cache_blocks);
	sb->data_sectors = cpu_to_le64(dc->data_sectors);
	sb->log_start = cpu_to_le64(dc->log_start);
	sb->log_blocks = cpu_to_le64(dc->log_blocks);
	sb->tail_pos = cpu_to_le64(tail);
	sb->tail_seq = cpu_to_le64(tail_seq);
	sb->head_pos = cpu_to_le64(head);
	sb->head_seq = cpu_to_le64(head_seq);
	sb->buffer_bytes = cpu_to_le64(dc->buffer_bytes);
	sb->bypass_bytes = cpu_to_le64(dc->bypass_bytes);
	sb->mode = cpu_to_le32(dc->mode);
	sb->idle_ms = cpu_to_le32(READ_ONCE(dc->idle_ms));
	sb->max_age_ms = cpu_to_le32(READ_ONCE(dc->max_age_ms));
	sb->high_watermark = cpu_to_le32(READ_ONCE(dc->high_watermark));
	sb->ctime = cpu_to_le64(dc->ctime);
	sb->utime = cpu_to_le64(ktime_get_real_seconds());
	sb->clean_stops = cpu_to_le64(dc->clean_stops);
	sb->unclean_starts = cpu_to_le64(dc->unclean_starts);
	sb->crc = cpu_to_le32(__crc32c_le(~0U, (void *)sb, sizeof(*sb)));
}

/* Write the superblock with the given tail. Caller holds sb_mutex. */
static int dcd_put_sb(struct dcd_dev *dc, u32 state, u64 tail, u64 tail_seq,
		      u64 head, u64 head_seq)
{
	struct page *page = virt_to_page(dc->sb);

	lockdep_assert_held(&dc->sb_mutex);
	dcd_fill_sb(dc, dc->sb, state, tail, tail_seq, head, head_seq);
	return dcd_rw_pages(dc->cache_bdev,
			    REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA,
			    0, &page, 1);
}

int dcd_write_sb(struct dcd_dev *dc, u32 state)
{
	u64 tail, tail_seq, head, head_seq;
	int ret;

	mutex_lock(&dc->sb_mutex);
	mutex_lock(&dc->lock);
	tail = dc->tail;
	tail_seq = dc->tail_seq;
	head = dc->head;
	head_seq = dc->next_seq;
	mutex_unlock(&dc->lock);
	ret = dcd_put_sb(dc, state, tail, tail_seq, head, head_seq);
	mutex_unlock(&dc->sb_mutex);
	return ret;
}

int dcd_format(struct dcd_dev *dc, char *err)
{
	u64 min_blocks = DCD_LOG_START + 2 * (u64)(dc->slots + dc->hdr_max_blocks) + 16;
	int ret;

	dc->cache_blocks = bdev_nr_bytes(dc->cache_bdev) >> DCD_BLOCK_SHIFT;
	if (dc->cache_blocks < min_blocks) {
		snprintf(err, DCD_ERROR_LEN,
			 "cache disk too small: %llu KiB, a %llu KiB buffer needs %llu KiB",
			 dc->cache_blocks * 4, dc->buffer_bytes >> 10, min_blocks * 4);
		return -ENOSPC;
	}
	dc->log_start = DCD_LOG_START;
	dc->log_blocks = dc->cache_blocks - DCD_LOG_START;
	generate_random_uuid(dc->uuid);
	dc->ctime = ktime_get_real_seconds();
	dc->head = 0;
	dc->tail = 0;
	dc->tail_seq = 1;
	dc->next_seq = 1;
	mutex_lock(&dc->sb_mutex);
	ret = dcd_put_sb(dc, DCD_STATE_ACTIVE, 0, 1, 0, 1);
	mutex_unlock(&dc->sb_mutex);
	if (ret)
		snprintf(err, DCD_ERROR_LEN,
			 "cannot write the cache disk superblock: error %d", ret);
	return ret;
}

/* ---- segments ---- */

static void dcd_seg_insert(struct dcd_dev *dc, struct dcd_seg *seg)
{
	struct rb_node **p = &dc->seg_tree.rb_node, *parent = NULL;

	while (*p) {
		struct dcd_seg *s = rb_entry(*p, struct dcd_seg, node);

		parent = *p;
		if (seg->pos < s->pos)
			p = &(*p)->rb_left;
		else
			p = &(*p)->rb_right;
	}
	rb_link_node(&seg->node, parent, p);
	rb_insert_color(&seg->node, &dc->seg_tree);
	list_add_tail(&seg->list, &dc->segs);
}

static struct dcd_seg *dcd_seg_find(struct dcd_dev *dc, u64 pos)
{
	struct rb_node *n = dc->seg_tree.rb_node;
	struct dcd_seg *best = NULL;

	while (n) {
		struct dcd_seg *s = rb_entry(n, struct dcd_seg, node);

		if (s->pos <= pos) {
			best = s;
			n = n->rb_right;
		} else {
			n = n->rb_left;
		}
	}
	if (best && pos < best->pos + best->nr_blocks)
		return best;
	return NULL;
}

/* An index entry into the log at pos went away. Caller holds lock. */
void dcd_seg_unref(struct dcd_dev *dc, u64 pos)
{
	struct dcd_seg *seg = dcd_seg_find(dc, pos);

	if (WARN_ON_ONCE(!seg || !seg->live))
		return;
	seg->live--;
}

static bool dcd_log_empty(struct dcd_dev *dc)
{
	return dc->tail == dc->head && list_empty(&dc->segs);
}

/* Blocks between tail and head, wrap gap included. Caller holds lock. */
u64 dcd_log_used(struct dcd_dev *dc)
{
	if (dcd_log_empty(dc))
		return 0;
	if (dc->head > dc->tail)
		return dc->head - dc->tail;
	return dc->log_blocks - dc->tail + dc->head;
}

/* After head or tail moved: the fill that dcd_pace() reads. Caller holds lock. */
void dcd_update_fill(struct dcd_dev *dc)
{
	WRITE_ONCE(dc->log_fill,
		   (unsigned int)div64_u64(dcd_log_used(dc) * 100, dc->log_blocks));
}

/* Where a segment of n blocks goes, if it fits. Caller holds lock. */
static bool dcd_place(struct dcd_dev *dc, u64 n, u64 *pos)
{
	u64 l = dc->log_blocks;

	if (dcd_log_empty(dc)) {
		*pos = dc->head + n <= l ? dc->head : 0;
		return true;
	}
	if (dc->head > dc->tail) {
		if (dc->head + n <= l) {
			*pos = dc->head;
			return true;
		}
		if (n <= dc->tail) {
			*pos = 0;
			return true;
		}
		return false;
	}
	if (dc->head + n <= dc->tail) {
		*pos = dc->head;
		return true;
	}
	return false;
}

/* Hand the active buffer to the log writer. Caller holds lock. */
static void dcd_seal(struct dcd_dev *dc)
{
	struct dcd_buf *b = dc->active;

	dc->flushing = b;
	dc->active = &dc->buf[!b->idx];
	dc->seals++;
	dc->force_seal = false;
	bio_list_merge(&dc->waiters_flushing, &dc->waiters_active);
	bio_list_init(&dc->waiters_active);
	queue_work(dc->wq, &dc->log_work);
}

/* Log the active buffer if it is due and the log writer is free. */
void dcd_maybe_seal(struct dcd_dev *dc)
{
	struct dcd_buf *b = dc->active;
	unsigned long now = jiffies;
	bool due;

	lockdep_assert_held(&dc->lock);
	if (dc->flushing || dc->failed || dc->dying)
		return;
	if (dcd_buf_empty(b)) {
		dc->force_seal = false;
		return;
	}
	due = dc->force_seal || !bio_list_empty(&dc->waiters_active) ||
	      b->n * 100 >= dc->slots * DCD_BUF_WATERMARK ||
	      b->ndisc * 100 >= dc->max_disc * DCD_BUF_WATERMARK ||
	      time_after_eq(now, b->first_jif +
			    msecs_to_jiffies(READ_ONCE(dc->max_age_ms))) ||
	      time_after_eq(now, dc->last_write +
			    msecs_to_jiffies(DCD_LOG_IDLE_MS));
	if (due)
		dcd_seal(dc);
}

void dcd_kick_work(struct work_struct *work)
{
	struct dcd_dev *dc = container_of(to_delayed_work(work),
					  struct dcd_dev, kick_work);
	struct dcd_buf *b;

	mutex_lock(&dc->lock);
	dcd_maybe_seal(dc);
	b = dc->active;
	if (!dc->flushing && !dcd_buf_empty(b) && !dc->failed && !dc->dying) {
		unsigned long now = jiffies;
		unsigned long t1 = b->first_jif +
				   msecs_to_jiffies(READ_ONCE(dc->max_age_ms));
		unsigned long t2 = dc->last_write +
				   msecs_to_jiffies(DCD_LOG_IDLE_MS);
		unsigned long t = time_before(t1, t2) ? t1 : t2;

		queue_delayed_work(dc->wq, &dc->kick_work,
				   time_after(t, now) ? t - now : 1);
	}
	mutex_unlock(&dc->lock);
}

/* Build the header of buffer b; returns its size in blocks. */
static u32 dcd_build_hdr(struct dcd_dev *dc, struct dcd_buf *b)
{
	struct dcd_seg_hdr *h = dc->hdr;
	struct dcd_seg_ext *ext = (struct dcd_seg_ext *)(h + 1);
	struct dcd_seg_ext *last = NULL;
	u32 nr = 0, i;

	memset(h, 0, (size_t)dc->hdr_max_blocks << DCD_BLOCK_SHIFT);
	for (i = 0; i < b->ndisc; i++)
		ext[nr++] = b->disc[i];
	for (i = 0; i < b->n; i++) {
		u64 lba = b->lba[i];

		if (lba == DCD_LBA_DEAD) {
			last = NULL;
			continue;
		}
		if (last && le64_to_cpu(last->lba) + le32_to_cpu(last->count) == lba) {
			le32_add_cpu(&last->count, 1);
			continue;
		}
		last = &ext[nr++];
		last->lba = cpu_to_le64(lba);
		last->slot = cpu_to_le32(i);
		last->count = cpu_to_le32(1);
	}
	h->magic = cpu_to_le64(DCD_SEG_MAGIC);
	memcpy(h->uuid, dc->uuid, sizeof(h->uuid));
	h->data_blocks = cpu_to_le32(b->n);
	h->nr_ext = cpu_to_le32(nr);
	h->ctime_ns = cpu_to_le64(ktime_get_real_ns());
	return DIV_ROUND_UP(sizeof(*h) + nr * sizeof(*ext), DCD_BLOCK_SIZE);
}

/* Point index entries of the logged buffer at the log. Caller holds lock. */
static void dcd_convert(struct dcd_dev *dc, struct dcd_buf *b,
			struct dcd_seg *seg)
{
	u64 base = seg->pos + seg->hdr_blocks;
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		void *e;

		if (b->lba[i] == DCD_LBA_DEAD)
			continue;
		e = xa_load(&dc->map, b->lba[i]);
		if (e != dcd_mkent(DCD_LOC_BUF0 + b->idx, i))
			continue;
		/* replacing a present entry allocates nothing */
		xa_store(&dc->map, b->lba[i],
			 dcd_mkent(DCD_LOC_LOG, base + i), GFP_NOIO);
		dc->buf_entries--;
		dc->log_entries++;
		seg->live++;
	}
}

static void dcd_end_waiters(struct dcd_dev *dc, struct bio_list *list,
			    blk_status_t status, unsigned long since)
{
	u64 lat = jiffies_to_nsecs(jiffies - since);
	struct bio *bio;

	while ((bio = bio_list_pop(list))) {
		atomic64_add(lat, &dc->stats.flush_lat_ns);
		bio->bi_status = status;
		bio_endio(bio);
	}
}

static void dcd_finish_waiters(struct dcd_dev *dc, struct bio_list *list,
			       unsigned long since)
{
	blk_status_t status = BLK_STS_OK;
	bool data_flush;

	if (bio_list_empty(list))
		return;
	mutex_lock(&dc->lock);
	data_flush = dc->data_dirty;
	dc->data_dirty = false;
	if (dc->failed)
		status = BLK_STS_IOERR;
	mutex_unlock(&dc->lock);
	if (data_flush && !status && blkdev_issue_flush(dc->data_bdev)) {
		pr_err("dcd%u: data disk flush failed\n", dc->index);
		status = BLK_STS_IOERR;
	}
	dcd_end_waiters(dc, list, status, since);
}

void dcd_log_work(struct work_struct *work)
{
	struct dcd_dev *dc = container_of(work, struct dcd_dev, log_work);
	struct bio_list done = BIO_EMPTY_LIST;
	struct dcd_seg *seg;
	struct dcd_buf *b;
	unsigned long since;
	u32 hdr_blocks, crc;
	u64 n, pos, gen;
	unsigned int i;
	int ret;

	mutex_lock(&dc->lock);
	b = dc->flushing;
	since = dc->waiters_since;
	bio_list_merge(&done, &dc->waiters_now);
	bio_list_init(&dc->waiters_now);
	mutex_unlock(&dc->lock);
	dcd_finish_waiters(dc, &done, since);
	if (!b)
		return;

	/* The flushing buffer does not change until it is logged. */
	hdr_blocks = dcd_build_hdr(dc, b);
	crc = ~0U;
	for (i = 0; i < b->n; i++)
		crc = dcd_crc_page(crc, b->pages[i]);
	n = hdr_blocks + b->n;

	seg = kzalloc(sizeof(*seg), GFP_NOIO);
	while (!seg) {
		msleep(20);
		seg = kzalloc(sizeof(*seg), GFP_NOIO);
	}

	for (;;) {
		mutex_lock(&dc->lock);
		if (dc->failed || dcd_place(dc, n, &pos))
			break;
		gen = dc->space_gen;
		dc->space_wanted = true;
		mutex_unlock(&dc->lock);
		dcd_destage_kick(dc, true);
		wait_event_timeout(dc->wq_head,
				   READ_ONCE(dc->space_gen) != gen ||
				   READ_ONCE(dc->failed), HZ);
	}
	if (dc->failed) {
		ret = -EIO;
		kfree(seg);
		seg = NULL;
		goto out_locked;
	}
	dc->space_wanted = false;
	seg->seq = dc->next_seq++;
	seg->pos = pos;
	seg->nr_blocks = n;
	seg->hdr_blocks = hdr_blocks;
	dcd_seg_insert(dc, seg);
	dc->head = pos + n;
	if (dc->head == dc->log_blocks)
		dc->head = 0;
	dcd_update_fill(dc);
	mutex_unlock(&dc->lock);

	{
		struct dcd_seg_hdr *h = dc->hdr;
		size_t len = (size_t)hdr_blocks << DCD_BLOCK_SHIFT;

		h->seq = cpu_to_le64(seg->seq);
		h->hdr_blocks = cpu_to_le32(hdr_blocks);
		h->data_crc = cpu_to_le32(crc);
		h->hdr_crc = cpu_to_le32(__crc32c_le(~0U, (void *)h, len));
		flush_kernel_vmap_range(dc->hdr, len);
		/* header and data go out together: one write for a small segment */
		for (i = 0; i < hdr_blocks; i++)
			dc->segpages[i] = vmalloc_to_page(dc->hdr +
							  ((size_t)i << DCD_BLOCK_SHIFT));
		memcpy(dc->segpages + hdr_blocks, b->pages, b->n * sizeof(*b->pages));
		ret = dcd_rw_pages(dc->cache_bdev, REQ_OP_WRITE | REQ_SYNC,
				   dcd_log_sector(dc, pos), dc->segpages, n);
	}
	if (!ret && dc->mode == DCD_MODE_SAFE)
		ret = blkdev_issue_flush(dc->cache_bdev);

	mutex_lock(&dc->lock);
out_locked:
	if (ret) {
		if (!dc->failed)
			pr_err("dcd%u: cache disk write failed (error %d); writes now fail\n",
			       dc->index, ret);
		dc->failed = true;
		/* the segment may be half written: nothing may point there */
		if (seg) {
			seg->written = true;
			seg->live = 0;
		}
		/* no segment will be written any more: nobody may wait */
		bio_list_merge(&done, &dc->waiters_active);
		bio_list_init(&dc->waiters_active);
		bio_list_merge(&done, &dc->waiters_now);
		bio_list_init(&dc->waiters_now);
	} else {
		dcd_convert(dc, b, seg);
		seg->written = true;
		atomic64_inc(&dc->stats.segments_written);
		atomic64_add(n << DCD_BLOCK_SHIFT, &dc->stats.log_bytes_written);
		b->n = 0;
		b->ndisc = 0;
		dc->flushing = NULL;
	}
	dc->logged++;
	since = dc->waiters_since;
	bio_list_merge(&done, &dc->waiters_flushing);
	bio_list_init(&dc->waiters_flushing);
	if (!bio_list_empty(&dc->waiters_active))
		dc->force_seal = true;
	dcd_maybe_seal(dc);
	if (!dc->flushing && !dcd_buf_empty(dc->active))
		queue_delayed_work(dc->wq, &dc->kick_work, 1);
	wake_up_all(&dc->wq_head);
	mutex_unlock(&dc->lock);

	dcd_finish_waiters(dc, &done, since);
	if (!ret)
		dcd_destage_kick(dc, false);
}

/*
 * Log everything buffered so far and wait for it. Returns -EIO when the
 * cache disk failed.
 */
int dcd_log_sync(struct dcd_dev *dc)
{
	u64 need;

	mutex_lock(&dc->lock);
	if (!dcd_buf_empty(dc->active)) {
		need = dc->seals + 1;
		dc->force_seal = true;
		dcd_maybe_seal(dc);
	} else {
		need = dc->seals;
	}
	mutex_unlock(&dc->lock);
	wait_event(dc->wq_head, READ_ONCE(dc->logged) >= need ||
		   READ_ONCE(dc->failed));
	return READ_ONCE(dc->failed) ? -EIO : 0;
}

/* Teardown: whatever still waits fails. Workers are stopped. */
void dcd_end_all_waiters(struct dcd_dev *dc)
{
	struct bio_list list = BIO_EMPTY_LIST;

	mutex_lock(&dc->lock);
	bio_list_merge(&list, &dc->waiters_active);
	bio_list_merge(&list, &dc->waiters_flushing);
	bio_list_merge(&list, &dc->waiters_now);
	bio_list_init(&dc->waiters_active);
	bio_list_init(&dc->waiters_flushing);
	bio_list_init(&dc->waiters_now);
	mutex_unlock(&dc->lock);
	dcd_end_waiters(dc, &list, BLK_STS_IOERR, jiffies);
}

/*
 * Free the oldest segments that no index entry points into any more and
 * move the tail past them: first in the superblock, then in memory, so the
 * space is reused only once the superblock no longer leads there. The data
 * disk must have flushed what was destaged from them. Caller holds
 * destage_mutex.
 */
int dcd_advance_tail(struct dcd_dev *dc)
{
	struct dcd_seg *seg, *tmp;
	u64 tail, tail_seq;
	bool freed = false;
	int ret = 0;

	mutex_lock(&dc->sb_mutex);
	mutex_lock(&dc->lock);
	list_for_each_entry_safe(seg, tmp, &dc->segs, list) {
		if (!seg->written || seg->live)
			break;
		list_del(&seg->list);
		rb_erase(&seg->node, &dc->seg_tree);
		kfree(seg);
		freed = true;
	}
	seg = list_first_entry_or_null(&dc->segs, struct dcd_seg, list);
	if (seg) {
		tail = seg->pos;
		tail_seq = seg->seq;
	} else {
		tail = dc->head;
		tail_seq = dc->next_seq;
	}
	mutex_unlock(&dc->lock);
	if (!freed)
		goto out;

	/* reads that found a block in the freed segments finish first */
	wait_event(dc->wq_head, !atomic_read(&dc->log_reads));
	ret = dcd_put_sb(dc, DCD_STATE_ACTIVE, tail, tail_seq, 0, 0);
	if (ret) {
		pr_err("dcd%u: superblock write failed (error %d)\n",
		       dc->index, ret);
		goto out;
	}
	mutex_lock(&dc->lock);
	dc->tail = tail;
	dc->tail_seq = tail_seq;
	dcd_update_fill(dc);
	dc->space_gen++;
	wake_up_all(&dc->wq_head);
	mutex_unlock(&dc->lock);
out:
	mutex_unlock(&dc->sb_mutex);
	return ret;
}

/* ---- assemble: superblock check and log recovery ---- */

int dcd_read_sb(struct dcd_dev *dc, char *err)
{
	struct dcd_sb *sb = dc->sb;
	struct page *page = virt_to_page(sb);
	u32 crc;
	int ret;

	ret = dcd_rw_pages(dc->cache_bdev, REQ_OP_READ, 0, &page, 1);
	if (ret) {
		snprintf(err, DCD_ERROR_LEN, "cannot read the cache disk superblock: error %d",
			 ret);
		return ret;
	}
	if (le64_to_cpu(sb->magic) != DCD_SB_MAGIC) {
		snprintf(err, DCD_ERROR_LEN, "no dcd superblock on the cache disk");
		return -EINVAL;
	}
	crc = le32_to_cpu(sb->crc);
	sb->crc = 0;
	if (__crc32c_le(~0U, (void *)sb, sizeof(*sb)) != crc) {
		snprintf(err, DCD_ERROR_LEN, "cache disk superblock checksum is wrong");
		return -EINVAL;
	}
	if (le32_to_cpu(sb->version) != DCD_FORMAT_VERSION ||
	    le32_to_cpu(sb->block_size) != DCD_BLOCK_SIZE) {
		snprintf(err, DCD_ERROR_LEN, "cache disk superblock version %u is not supported",
			 le32_to_cpu(sb->version));
		return -EINVAL;
	}
	memcpy(dc->uuid, sb->uuid, sizeof(dc->uuid));
	dc->cache_blocks = le64_to_cpu(sb->cache_blocks);
	dc->log_start = le64_to_cpu(sb->log_start);
	dc->log_blocks = le64_to_cpu(sb->log_blocks);
	dc->buffer_bytes = le64_to_cpu(sb->buffer_bytes);
	dc->bypass_bytes = le64_to_cpu(sb->bypass_bytes);
	dc->mode = le32_to_cpu(sb->mode);
	dc->idle_ms = le32_to_cpu(sb->idle_ms);
	dc->max_age_ms = le32_to_cpu(sb->max_age_ms);
	dc->high_watermark = le32_to_cpu(sb->high_watermark);
	dc->ctime = le64_to_cpu(sb->ctime);
	dc->clean_stops = le64_to_cpu(sb->clean_stops);
	dc->unclean_starts = le64_to_cpu(sb->unclean_starts);
	dc->tail = le64_to_cpu(sb->tail_pos);
	dc->tail_seq = le64_to_cpu(sb->tail_seq);
	dc->unclean = le32_to_cpu(sb->state) != DCD_STATE_CLEAN;
	/* where a clean stop left the log: recovery must end there */
	dc->head = le64_to_cpu(sb->head_pos);
	dc->next_seq = le64_to_cpu(sb->head_seq);

	if (le64_to_cpu(sb->data_sectors) != bdev_nr_sectors(dc->data_bdev)) {
		snprintf(err, DCD_ERROR_LEN,
			 "data disk has %llu sectors, the cache disk was formatted for %llu",
			 (u64)bdev_nr_sectors(dc->data_bdev),
			 le64_to_cpu(sb->data_sectors));
		return -EINVAL;
	}
	dc->data_sectors = le64_to_cpu(sb->data_sectors);
	if (dc->cache_blocks > bdev_nr_bytes(dc->cache_bdev) >> DCD_BLOCK_SHIFT ||
	    dc->log_start < 1 || dc->log_blocks < 16 ||
	    dc->log_start + dc->log_blocks > dc->cache_blocks ||
	    dc->tail >= dc->log_blocks || dc->mode > DCD_MODE_NVRAM ||
	    dc->buffer_bytes < DCD_BUFFER_MIN || dc->buffer_bytes > DCD_BUFFER_MAX ||
	    dc->high_watermark < DCD_WATERMARK_MIN ||
	    dc->high_watermark > DCD_WATERMARK_MAX ||
	    dc->idle_ms > DCD_IDLE_MS_MAX ||
	    dc->max_age_ms < DCD_MAX_AGE_MS_MIN || dc->max_age_ms > DCD_MAX_AGE_MS_MAX) {
		snprintf(err, DCD_ERROR_LEN, "cache disk superblock is inconsistent");
		return -EINVAL;
	}
	return 0;
}

/* Read and check the segment at pos expecting seq; returns its blocks. */
static u32 dcd_check_seg(struct dcd_dev *dc, u64 pos, u64 seq)
{
	struct dcd_seg_hdr *h = dc->hdr;
	u32 hdr_blocks, data_blocks, nr_ext, crc, i;
	struct dcd_seg_ext *ext = (struct dcd_seg_ext *)(h + 1);
	u64 done;

	if (pos >= dc->log_blocks)
		return 0;
	if (dcd_rw_vmem(dc->cache_bdev, REQ_OP_READ, dcd_log_sector(dc, pos),
			dc->hdr, DCD_BLOCK_SIZE))
		return 0;
	hdr_blocks = le32_to_cpu(h->hdr_blocks);
	data_blocks = le32_to_cpu(h->data_blocks);
	nr_ext = le32_to_cpu(h->nr_ext);
	if (le64_to_cpu(h->magic) != DCD_SEG_MAGIC || le64_to_cpu(h->seq) != seq ||
	    memcmp(h->uuid, dc->uuid, sizeof(h->uuid)) ||
	    !hdr_blocks || hdr_blocks > dc->hdr_max_blocks ||
	    data_blocks > dc->slots ||
	    pos + hdr_blocks + data_blocks > dc->log_blocks ||
	    nr_ext > DCD_SEG_EXT_PER_HDR(hdr_blocks))
		return 0;
	if (hdr_blocks > 1 &&
	    dcd_rw_vmem(dc->cache_bdev, REQ_OP_READ, dcd_log_sector(dc, pos + 1),
			dc->hdr + DCD_BLOCK_SIZE,
			(size_t)(hdr_blocks - 1) << DCD_BLOCK_SHIFT))
		return 0;
	crc = le32_to_cpu(h->hdr_crc);
	h->hdr_crc = 0;
	if (__crc32c_le(~0U, dc->hdr, (size_t)hdr_blocks << DCD_BLOCK_SHIFT) != crc)
		return 0;
	h->hdr_crc = cpu_to_le32(crc);
	for (i = 0; i < nr_ext; i++) {
		u64 lba = le64_to_cpu(ext[i].lba);
		u32 slot = le32_to_cpu(ext[i].slot), count = le32_to_cpu(ext[i].count);

		if (!count || lba + count > dc->nr_blocks || lba + count < lba)
			return 0;
		if (slot != DCD_EXT_DISCARD && (u64)slot + count > data_blocks)
			return 0;
	}
	crc = ~0U;
	for (done = 0; done < data_blocks; ) {
		unsigned int m = min_t(u64, data_blocks - done, DCD_DESTAGE_BLOCKS);

		if (dcd_rw_pages(dc->cache_bdev, REQ_OP_READ,
				 dcd_log_sector(dc, pos + hdr_blocks + done),
				 dc->dpages, m))
			return 0;
		for (i = 0; i < m; i++)
			crc = dcd_crc_page(crc, dc->dpages[i]);
		done += m;
	}
	if (crc != le32_to_cpu(h->data_crc))
		return 0;
	return hdr_blocks + data_blocks;
}

static void dcd_forget(struct dcd_dev *dc, u64 lba)
{
	void *e = xa_erase(&dc->map, lba);

	if (e) {
		dc->log_entries--;
		dcd_seg_unref(dc, dcd_ent_pos(e));
	}
}

/* Apply the segment in dc->hdr to the index. Caller holds lock. */
static int dcd_apply_seg(struct dcd_dev *dc, struct dcd_seg *seg)
{
	struct dcd_seg_hdr *h = dc->hdr;
	struct dcd_seg_ext *ext = (struct dcd_seg_ext *)(h + 1);
	u32 nr_ext = le32_to_cpu(h->nr_ext), i, k;
	u64 base = seg->pos + seg->hdr_blocks;

	for (i = 0; i < nr_ext; i++) {
		u64 lba = le64_to_cpu(ext[i].lba), last;
		unsigned long idx;
		void *e;

		if (le32_to_cpu(ext[i].slot) != DCD_EXT_DISCARD)
			continue;
		last = lba + le32_to_cpu(ext[i].count) - 1;
		xa_for_each_range(&dc->map, idx, e, lba, last)
			dcd_forget(dc, idx);
	}
	for (i = 0; i < nr_ext; i++) {
		u64 lba = le64_to_cpu(ext[i].lba);
		u32 slot = le32_to_cpu(ext[i].slot);

		if (slot == DCD_EXT_DISCARD)
			continue;
		for (k = 0; k < le32_to_cpu(ext[i].count); k++) {
			void *old = xa_store(&dc->map, lba + k,
					     dcd_mkent(DCD_LOC_LOG, base + slot + k),
					     GFP_KERNEL);

			if (xa_is_err(old))
				return xa_err(old);
			if (old) {
				dc->log_entries--;
				dcd_seg_unref(dc, dcd_ent_pos(old));
			}
			dc->log_entries++;
			seg->live++;
		}
	}
	return 0;
}

/*
 * Scan the log from the tail: each segment must carry the next sequence
 * number and correct checksums; the first one that does not ends the log.
 * After an unclean stop that is where the last, torn, segment was. After a
 * clean stop the superblock says where the log ends: ending before it means
 * a damaged cache disk and lost data, refused unless force is set.
 */
int dcd_recover(struct dcd_dev *dc, bool force, char *err)
{
	u64 pos = dc->tail, seq = dc->tail_seq, scanned = 0, nsegs = 0;
	u64 clean_head = dc->head, clean_seq = dc->next_seq;
	struct dcd_seg *seg;
	int ret;

	for (;;) {
		u64 at = pos;
		u32 n = dcd_check_seg(dc, at, seq);

		if (!n && at) {
			at = 0;
			n = dcd_check_seg(dc, at, seq);
		}
		if (!n || scanned + n > dc->log_blocks)
			break;
		pos = at;
		seg = kzalloc(sizeof(*seg), GFP_KERNEL);
		if (!seg) {
			snprintf(err, DCD_ERROR_LEN, "out of memory");
			return -ENOMEM;
		}
		seg->seq = seq;
		seg->pos = pos;
		seg->nr_blocks = n;
		seg->hdr_blocks = le32_to_cpu(((struct dcd_seg_hdr *)dc->hdr)->hdr_blocks);
		seg->written = true;
		mutex_lock(&dc->lock);
		dcd_seg_insert(dc, seg);
		ret = dcd_apply_seg(dc, seg);
		mutex_unlock(&dc->lock);
		if (ret) {
			snprintf(err, DCD_ERROR_LEN, "out of memory rebuilding the index");
			return ret;
		}
		scanned += n;
		nsegs++;
		pos += n;
		if (pos == dc->log_blocks)
			pos = 0;
		seq++;
	}
	dc->head = pos;
	dc->next_seq = seq;
	if (nsegs == 0)
		dc->head = dc->tail;
	dcd_update_fill(dc);
	if (!dc->unclean && (dc->next_seq != clean_seq ||
			     (nsegs && dc->head != clean_head))) {
		if (!force) {
			snprintf(err, DCD_ERROR_LEN,
				 "cache log damaged: it ends at segment %llu, the clean stop left %llu; --force accepts the loss",
				 dc->next_seq, clean_seq);
			return -EUCLEAN;
		}
		pr_warn("dcd%u: log ends at segment %llu, the clean stop left it at %llu: segments lost (forced)\n",
			dc->index, dc->next_seq, clean_seq);
	}
	pr_info("dcd%u: log recovered: %llu segments from seq %llu, %llu cached blocks\n",
		dc->index, nsegs, dc->tail_seq, dc->log_entries);
	return 0;
}
