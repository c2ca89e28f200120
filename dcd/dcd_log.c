// SPDX-License-Identifier: GPL-2.0
/*
 * dcd: the log writer. The RAM buffer's halves are sealed in turn and written
 * as one segment each to the circular log on the cache disk; flush waiters
 * complete once their segment is on stable media; the tail moves past
 * segments no index entry points into any more.
 */
#include <linux/delay.h>
#include <linux/slab.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <dcdmirror/kernel/sync_io.h>
#include "dcd.h"

/* ---- segments ---- */

void dcd_seg_insert(struct dcd_dev *dc, struct dcd_seg *seg)
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

struct dcd_seg *dcd_seg_alloc(gfp_t gfp)
{
	struct dcd_seg *seg = kzalloc(sizeof(*seg), gfp);

	if (seg) {
		INIT_LIST_HEAD(&seg->pin_node[0]);
		INIT_LIST_HEAD(&seg->pin_node[1]);
		atomic_set(&seg->readers, 0);
	}
	return seg;
}

/* The segment holding log position pos, or NULL. Caller holds lock. */
struct dcd_seg *dcd_seg_find(struct dcd_dev *dc, u64 pos)
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

/*
 * An index entry into the log at pos went away: its copy is on the data
 * disk, or its successor is committed. Caller holds lock.
 */
void dcd_seg_unref(struct dcd_dev *dc, u64 pos)
{
	struct dcd_seg *seg = dcd_seg_find(dc, pos);

	if (WARN_ON_ONCE(!seg || !seg->live))
		return;
	seg->live--;
}

/* Keep a pin on seg for buffer b (see struct dcd_buf). Caller holds lock. */
static void dcd_seg_pin(struct dcd_seg *seg, struct dcd_buf *b)
{
	seg->pins[b->idx]++;
	if (list_empty(&seg->pin_node[b->idx]))
		list_add_tail(&seg->pin_node[b->idx], &b->pinned);
}

/*
 * The index entry into the log at pos is superseded by a copy in buffer b
 * (a write or a discard record), not yet committed: the segment keeps a
 * pin for b instead. Caller holds lock.
 */
void dcd_seg_supersede(struct dcd_dev *dc, u64 pos, struct dcd_buf *b)
{
	struct dcd_seg *seg = dcd_seg_find(dc, pos);

	if (WARN_ON_ONCE(!seg || !seg->live))
		return;
	seg->live--;
	dcd_seg_pin(seg, b);
}

/*
 * n of seg's pins for buffer b are no longer needed: the copies are on the
 * data disk (dcd_destage_pinned()). Caller holds lock.
 */
void dcd_seg_unpin(struct dcd_seg *seg, struct dcd_buf *b, u32 n)
{
	seg->pins[b->idx] -= min(n, seg->pins[b->idx]);
	if (!seg->pins[b->idx])
		list_del_init(&seg->pin_node[b->idx]);
}

/* Buffer b is committed: the copies it superseded may go. Caller holds lock. */
static void dcd_release_pins(struct dcd_buf *b)
{
	struct dcd_seg *seg, *tmp;

	list_for_each_entry_safe(seg, tmp, &b->pinned, pin_node[b->idx]) {
		seg->pins[b->idx] = 0;
		list_del_init(&seg->pin_node[b->idx]);
	}
}

/* Nothing in the log needs seg any more, and nothing reads from it. */
static bool dcd_seg_unused(struct dcd_seg *seg)
{
	return seg->written && !seg->live && !seg->pins[0] && !seg->pins[1] &&
	       !atomic_read(&seg->readers);
}

/*
 * The oldest segment is held only by reads in flight (dcd_destage_all()
 * waits for them: once its blocks are destaged no new read finds it).
 */
bool dcd_tail_held_by_reads(struct dcd_dev *dc)
{
	struct dcd_seg *seg;
	bool held;

	mutex_lock(&dc->lock);
	seg = list_first_entry_or_null(&dc->segs, struct dcd_seg, list);
	held = seg && seg->written && !seg->live && !seg->pins[0] && !seg->pins[1] &&
	       atomic_read(&seg->readers);
	mutex_unlock(&dc->lock);
	return held;
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
	unsigned int pct = div64_u64(dcd_log_used(dc) * 100, dc->log_blocks);

	WRITE_ONCE(dc->log_fill, pct);
	dcd_event_fill(dc, pct);
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

/* ---- sealing the buffer ---- */

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

/* ---- writing a segment ---- */

/* Build the header of buffer b; returns its size in blocks. */
static u32 dcd_build_hdr(struct dcd_dev *dc, struct dcd_buf *b)
{
	struct dcd_seg_hdr *h = dc->hdr;
	struct dcd_seg_ext *ext = (struct dcd_seg_ext *)(h + 1);
	struct dcd_seg_ext *last = NULL;
	u32 nr = 0, i, blocks;
	size_t used;

	/* the extents fill what they use; the rest of the last block is zeroed below */
	memset(h, 0, sizeof(*h));
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
	used = sizeof(*h) + nr * sizeof(*ext);
	blocks = DIV_ROUND_UP(used, DCD_BLOCK_SIZE);
	memset((char *)h + used, 0, ((size_t)blocks << DCD_BLOCK_SHIFT) - used);
	return blocks;
}

/*
 * Point index entries of the logged buffer b at the log; its copies that
 * the other buffer superseded are pinned for it. Caller holds lock.
 */
static void dcd_convert(struct dcd_dev *dc, struct dcd_buf *b,
			struct dcd_seg *seg)
{
	struct dcd_buf *next = &dc->buf[!b->idx];
	u64 base = seg->pos + seg->hdr_blocks;
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		void *e;

		if (b->lba[i] == DCD_LBA_DEAD)
			continue;
		if (test_bit(i, b->superseded)) {
			dcd_seg_pin(seg, next);
			/* the slot of next that replaced it names it now */
			e = xa_load(&dc->map, b->lba[i]);
			if (e && dcd_ent_loc(e) == DCD_LOC_BUF0 + next->idx &&
			    next->prev[dcd_ent_pos(e)] == (DCD_PREV_BUF | i))
				next->prev[dcd_ent_pos(e)] = base + i;
			continue;
		}
		e = xa_load(&dc->map, b->lba[i]);
		if (WARN_ON_ONCE(e != dcd_mkent(DCD_LOC_BUF0 + b->idx, i)))
			continue;
		/* replacing a present entry allocates nothing */
		xa_store(&dc->map, b->lba[i],
			 dcd_mkent(DCD_LOC_LOG, base + i), GFP_NOIO);
		dc->buf_entries--;
		dc->log_entries++;
		seg->live++;
	}
	bitmap_zero(b->superseded, dc->slots);
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

/*
 * Find room for seg (n blocks) in the log, waiting for destage to free the
 * tail if needed, and put it at the head. Returns with lock held; -EIO if
 * the device failed meanwhile (seg is then not in the log).
 */
static int dcd_log_reserve(struct dcd_dev *dc, struct dcd_seg *seg, u64 n,
			   u32 hdr_blocks)
{
	u64 pos, gen;

	for (;;) {
		mutex_lock(&dc->lock);
		if (dc->failed)
			return -EIO;
		if (dcd_place(dc, n, &pos))
			break;
		gen = dc->space_gen;
		dc->space_wanted = true;
		mutex_unlock(&dc->lock);
		dcd_destage_kick(dc, true);
		wait_event_timeout(dc->wq_head,
				   READ_ONCE(dc->space_gen) != gen ||
				   READ_ONCE(dc->failed), HZ);
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
	return 0;
}

/*
 * Write seg, the header in dc->hdr and the data of buffer b (crc: its data
 * checksum), in one go; in safe mode then on stable media: a segment of one
 * bio is written FUA, a larger one is followed by a cache disk flush
 * (earlier segments were on stable media when they completed). The data
 * disk is flushed first if b holds records of bypass writes: a record may
 * not be durable before the data it stands for.
 */
static int dcd_seg_write(struct dcd_dev *dc, struct dcd_seg *seg,
			 struct dcd_buf *b, u32 crc)
{
	struct dcd_seg_hdr *h = dc->hdr;
	size_t len = (size_t)seg->hdr_blocks << DCD_BLOCK_SHIFT;
	unsigned int i;
	bool fua;
	int ret;

	if (b->data_flush) {
		ret = blkdev_issue_flush(dc->data_bdev);
		if (ret) {
			dcd_err(dc, "data disk flush failed (error %d)\n", ret);
			return ret;
		}
		b->data_flush = false;
	}

	atomic64_add(atomic_read(&dc->destage_reads_inflight), &dc->stats.destage_reads_busy);
	h->seq = cpu_to_le64(seg->seq);
	h->hdr_blocks = cpu_to_le32(seg->hdr_blocks);
	h->data_crc = cpu_to_le32(crc);
	h->hdr_crc = cpu_to_le32(crc32c(~0U, h, len));
	flush_kernel_vmap_range(dc->hdr, len);
	/* header and data go out together: one write for a small segment */
	for (i = 0; i < seg->hdr_blocks; i++)
		dc->segpages[i] = vmalloc_to_page(dc->hdr + ((size_t)i << DCD_BLOCK_SHIFT));
	memcpy(dc->segpages + seg->hdr_blocks, b->pages, b->n * sizeof(*b->pages));
	/* a FUA covers its own bio only: a segment of several gets a flush */
	fua = dc->mode == DCD_MODE_SAFE && seg->nr_blocks <= BIO_MAX_VECS;
	ret = sync_io_pages(dc->cache_bdev, REQ_OP_WRITE | REQ_SYNC | (fua ? REQ_FUA : 0),
			    dcd_log_sector(dc, seg->pos), dc->segpages,
			    (size_t)seg->nr_blocks << DCD_BLOCK_SHIFT, DCD_BLOCK_SIZE);
	if (!ret && dc->mode == DCD_MODE_SAFE && !fua)
		ret = blkdev_issue_flush(dc->cache_bdev);
	return ret;
}

/*
 * The segment write of buffer b ended (ret): its entries now point into the
 * log, or the device has failed. Collects the flush waiters it serves into
 * done. Caller holds lock.
 */
static void dcd_seg_written(struct dcd_dev *dc, struct dcd_buf *b,
			    struct dcd_seg *seg, int ret, struct bio_list *done)
{
	if (ret) {
		if (!dc->failed)
			dcd_err(dc, "cache disk write failed (error %d); writes now fail\n", ret);
		dcd_set_failed(dc, "cache_write");
		/* the segment may be half written: nothing may point there */
		if (seg) {
			seg->written = true;
			seg->live = 0;
		}
		/* no segment will be written any more: nobody may wait */
		bio_list_merge(done, &dc->waiters_active);
		bio_list_init(&dc->waiters_active);
	} else {
		dcd_convert(dc, b, seg);
		seg->written = true;
		dcd_release_pins(b);
		atomic64_inc(&dc->stats.segments_written);
		atomic64_add((u64)seg->nr_blocks << DCD_BLOCK_SHIFT,
			     &dc->stats.log_bytes_written);
		b->n = 0;
		b->ndisc = 0;
		dc->flushing = NULL;
	}
	dc->logged++;
	bio_list_merge(done, &dc->waiters_flushing);
	bio_list_init(&dc->waiters_flushing);
}

void dcd_log_work(struct work_struct *work)
{
	struct dcd_dev *dc = container_of(work, struct dcd_dev, log_work);
	struct bio_list done = BIO_EMPTY_LIST;
	struct dcd_seg *seg;
	struct dcd_buf *b;
	unsigned long since;
	u32 hdr_blocks, crc;
	unsigned int i;
	int ret;

	mutex_lock(&dc->lock);
	b = dc->flushing;
	mutex_unlock(&dc->lock);
	if (!b)
		return;

	/* The flushing buffer does not change until it is logged. */
	hdr_blocks = dcd_build_hdr(dc, b);
	crc = ~0U;
	for (i = 0; i < b->n; i++)
		crc = dcd_crc_page(crc, b->pages[i]);

	seg = dcd_seg_alloc(GFP_NOIO);
	while (!seg) {
		msleep(20);
		seg = dcd_seg_alloc(GFP_NOIO);
	}
	ret = dcd_log_reserve(dc, seg, hdr_blocks + b->n, hdr_blocks);
	if (ret) {
		kfree(seg);
		seg = NULL;
	} else {
		u64 start = ktime_get_ns(), took;

		mutex_unlock(&dc->lock);
		ret = dcd_seg_write(dc, seg, b, crc);
		took = ktime_get_ns() - start;
		atomic64_add(took, &dc->stats.seg_write_ns);
		dcd_stat_max(&dc->stats.seg_write_max_ns, took);
		mutex_lock(&dc->lock);
	}
	dcd_seg_written(dc, b, seg, ret, &done);
	since = dc->waiters_since;
	if (!bio_list_empty(&dc->waiters_active))
		dc->force_seal = true;
	dcd_maybe_seal(dc);
	if (!dc->flushing && !dcd_buf_empty(dc->active))
		queue_delayed_work(dc->wq, &dc->kick_work, 1);
	wake_up_all(&dc->wq_head);
	mutex_unlock(&dc->lock);

	dcd_end_waiters(dc, &done, ret ? BLK_STS_IOERR : BLK_STS_OK, since);
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
	bio_list_init(&dc->waiters_active);
	bio_list_init(&dc->waiters_flushing);
	mutex_unlock(&dc->lock);
	dcd_end_waiters(dc, &list, BLK_STS_IOERR, jiffies);
}

/* ---- the tail ---- */

/*
 * Free the oldest segments that nothing needs any more (no index entry, no
 * pin, no read in flight: dcd_seg_unused()) and move the tail past them:
 * first in the superblock, then in memory, so the space is reused only
 * once the superblock no longer leads there. The data disk has flushed
 * what was destaged from them (a batch flushes before it drops entries),
 * and what bypassed the buffer (its record's segment was written after a
 * data disk flush). Caller holds destage_mutex.
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
		if (!dcd_seg_unused(seg))
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

	ret = dcd_put_sb(dc, DCD_STATE_ACTIVE, tail, tail_seq, 0, 0);
	if (ret) {
		dcd_err(dc, "superblock write failed (error %d)\n", ret);
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
