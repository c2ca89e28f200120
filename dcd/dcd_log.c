// SPDX-License-Identifier: GPL-2.0
/*
 * dcd: the log writer. The RAM buffer's ring of buffers is sealed in turn and
 * written as one segment each, in ring order, to the circular log on the
 * cache disk; flush waiters complete once their segment is on stable media;
 * the tail moves past segments no index entry points into any more.
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

	if (seg)
		atomic_set(&seg->readers, 0);
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

/* Keep seg until buffer b is committed (see struct dcd_buf). Caller holds lock. */
static void dcd_seg_pin(struct dcd_seg *seg, struct dcd_buf *b)
{
	seg->pin_gen = max(seg->pin_gen, b->gen);
}

/*
 * The index entry into the log at pos is superseded by a copy in buffer b
 * (a write or a discard record), not yet committed: the segment is pinned
 * for b instead. Caller holds lock.
 */
void dcd_seg_supersede(struct dcd_dev *dc, u64 pos, struct dcd_buf *b)
{
	struct dcd_seg *seg = dcd_seg_find(dc, pos);

	if (WARN_ON_ONCE(!seg || !seg->live))
		return;
	seg->live--;
	dcd_seg_pin(seg, b);
}

static bool dcd_seg_pinned(struct dcd_dev *dc, struct dcd_seg *seg)
{
	return seg->pin_gen > dc->committed_gen;
}

/* Nothing in the log needs seg any more, and nothing reads from it. */
static bool dcd_seg_unused(struct dcd_dev *dc, struct dcd_seg *seg)
{
	return seg->written && !seg->live && !dcd_seg_pinned(dc, seg) &&
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
	held = seg && seg->written && !seg->live && !dcd_seg_pinned(dc, seg) &&
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

/* The buffer the log writer takes next, or NULL. Caller holds lock. */
static struct dcd_buf *dcd_oldest_sealed(struct dcd_dev *dc)
{
	if (!dc->nsealed)
		return NULL;
	return &dc->buf[(dc->active->idx + dc->nbufs - dc->nsealed) % dc->nbufs];
}

/* The buffer sealed last, or NULL if none waits. Caller holds lock. */
struct dcd_buf *dcd_newest_sealed(struct dcd_dev *dc)
{
	if (!dc->nsealed)
		return NULL;
	return &dc->buf[(dc->active->idx + dc->nbufs - 1) % dc->nbufs];
}

/*
 * Hand the active buffer to the log writer; the next one in the ring, free
 * (nsealed < nbufs - 1), takes writes. Caller holds lock.
 */
static void dcd_seal(struct dcd_dev *dc)
{
	struct dcd_buf *next = dcd_buf_next(dc, dc->active);

	dc->nsealed++;
	next->gen = dc->next_gen++;
	dc->active = next;
	dc->seals++;
	dc->force_seal = false;
	queue_work(dc->wq, &dc->log_work);
	/* a held commit ends: the writer has a buffer to log */
	dcd_end_hold(dc);
}

/*
 * The active buffer is full and the next one is free: seal it (make room
 * for a write). Returns false if every other buffer is sealed. Caller holds
 * lock.
 */
bool dcd_seal_full(struct dcd_dev *dc)
{
	lockdep_assert_held(&dc->lock);
	if (dc->nsealed + 1 >= dc->nbufs)
		return false;
	dcd_seal(dc);
	return true;
}

/*
 * Log the active buffer if it is due and the log writer is free. While the
 * writer is busy, flushes and age wait for it: the next segment takes all
 * that came meanwhile.
 */
void dcd_maybe_seal(struct dcd_dev *dc)
{
	struct dcd_buf *b = dc->active;
	unsigned long now = jiffies;
	bool full;

	lockdep_assert_held(&dc->lock);
	if (dc->nsealed || dc->failed || dc->dying)
		return;
	if (dcd_buf_empty(b)) {
		dc->force_seal = false;
		return;
	}
	full = b->n * 100 >= dc->slots * DCD_BUF_WATERMARK ||
	       b->ndisc * 100 >= dc->max_disc * DCD_BUF_WATERMARK ||
	       time_after_eq(now, b->first_jif +
			     msecs_to_jiffies(READ_ONCE(dc->max_age_ms)));
	/* flushes and idleness wait while the writer holds the commit */
	if (full || (!dc->commit_hold &&
		     (dc->force_seal || !bio_list_empty(&b->waiters) ||
		      time_after_eq(now, dc->last_write +
				    msecs_to_jiffies(DCD_LOG_IDLE_MS)))))
		dcd_seal(dc);
}

/*
 * End a held commit (dcd_batch_hold()) now: a seal, a sync, a failure or
 * teardown must not wait for more flushes. Caller holds lock.
 */
void dcd_end_hold(struct dcd_dev *dc)
{
	lockdep_assert_held(&dc->lock);
	if (dc->commit_hold) {
		dc->commit_hold = false;
		wake_up(&dc->commit_wq);
	}
}

/*
 * A flush joined the active buffer (caller holds lock): a held commit ends
 * once as many flushes wait as the hold expects.
 */
void dcd_flush_joined(struct dcd_dev *dc)
{
	lockdep_assert_held(&dc->lock);
	if (dc->active->nwaiters >= dc->commit_expect)
		dcd_end_hold(dc);
}

void dcd_kick_work(struct work_struct *work)
{
	struct dcd_dev *dc = container_of(to_delayed_work(work),
					  struct dcd_dev, kick_work);
	struct dcd_buf *b;

	mutex_lock(&dc->lock);
	dcd_maybe_seal(dc);
	b = dc->active;
	/* a held commit re-arms the kick when it ends (dcd_batch_wait()) */
	if (!dc->nsealed && !dcd_buf_empty(b) && !dc->failed && !dc->dying &&
	    !dc->commit_hold) {
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

/*
 * The sealed buffers logged together as one segment, oldest first: every
 * sealed one that fits when the writer gets to them (group commit: buffers
 * sealed while a segment was being written go out in the next one).
 */
struct dcd_batch {
	unsigned int nr;
	u32 data_blocks;
	struct dcd_buf *bufs[DCD_NR_BUFS];
};

/* Take the oldest sealed buffers that fit in one segment. Caller holds lock. */
static void dcd_batch_take(struct dcd_dev *dc, struct dcd_batch *bt)
{
	u32 ext_max = DCD_SEG_EXT_PER_HDR(dc->hdr_max_blocks), ext = 0;
	struct dcd_buf *b = dcd_oldest_sealed(dc);

	bt->nr = 0;
	bt->data_blocks = 0;
	while (b && bt->nr < dc->nsealed) {
		if (bt->nr && (bt->data_blocks + b->n > dc->seg_max_blocks ||
			       ext + b->n + b->ndisc > ext_max))
			break;
		bt->bufs[bt->nr++] = b;
		bt->data_blocks += b->n;
		ext += b->n + b->ndisc;
		b = dcd_buf_next(dc, b);
	}
}

/* Is buffer idx one of the batch's (they are consecutive in the ring)? */
static bool dcd_batch_has(struct dcd_dev *dc, struct dcd_batch *bt, unsigned int idx)
{
	return (idx + dc->nbufs - bt->bufs[0]->idx) % dc->nbufs < bt->nr;
}

/*
 * Is the successor of slot i of b (sup[]) in the batch: a write into a later
 * buffer of it, or a discard record there?
 */
static bool dcd_batch_supersedes(struct dcd_dev *dc, struct dcd_batch *bt,
				 struct dcd_buf *b, unsigned int i)
{
	/* sup changes under lock, but never to a buffer of the batch */
	u32 sup = READ_ONCE(b->sup[i]);

	if (sup == DCD_SUP_NONE)
		return false;
	if (sup & DCD_SUP_RECORD)
		return dcd_batch_has(dc, bt, sup & ~DCD_SUP_RECORD);
	return dcd_batch_has(dc, bt, dcd_slot_buf(dc, sup)->idx);
}

/*
 * Build the header of the batch's segment; returns its size in blocks. The
 * data blocks are the buffers' slots one after the other. A slot whose
 * successor is in the batch too is left out: discard extents apply before
 * data extents within a segment, so a copy that a later write replaced and
 * a later record then discarded would come back.
 */
static u32 dcd_build_hdr(struct dcd_dev *dc, struct dcd_batch *bt)
{
	struct dcd_seg_hdr *h = dc->hdr;
	struct dcd_seg_ext *ext = (struct dcd_seg_ext *)(h + 1);
	struct dcd_seg_ext *last = NULL;
	u32 nr = 0, i, j, blocks, base = 0;
	size_t used;

	/* the extents fill what they use; the rest of the last block is zeroed below */
	memset(h, 0, sizeof(*h));
	for (j = 0; j < bt->nr; j++)
		for (i = 0; i < bt->bufs[j]->ndisc; i++)
			ext[nr++] = bt->bufs[j]->disc[i];
	for (j = 0; j < bt->nr; j++) {
		struct dcd_buf *b = bt->bufs[j];

		for (i = 0; i < b->n; i++) {
			u64 lba = b->lba[i];

			if (lba == DCD_LBA_DEAD || dcd_batch_supersedes(dc, bt, b, i)) {
				last = NULL;
				continue;
			}
			if (last && le64_to_cpu(last->lba) + le32_to_cpu(last->count) == lba) {
				le32_add_cpu(&last->count, 1);
				continue;
			}
			last = &ext[nr++];
			last->lba = cpu_to_le64(lba);
			last->slot = cpu_to_le32(base + i);
			last->count = cpu_to_le32(1);
		}
		base += b->n;
	}
	h->magic = cpu_to_le64(DCD_SEG_MAGIC);
	memcpy(h->uuid, dc->uuid, sizeof(h->uuid));
	h->data_blocks = cpu_to_le32(bt->data_blocks);
	h->nr_ext = cpu_to_le32(nr);
	h->ctime_ns = cpu_to_le64(ktime_get_real_ns());
	used = sizeof(*h) + nr * sizeof(*ext);
	blocks = DIV_ROUND_UP(used, DCD_BLOCK_SIZE);
	memset((char *)h + used, 0, ((size_t)blocks << DCD_BLOCK_SHIFT) - used);
	return blocks;
}

/*
 * Slot i of the logged buffer b (now in seg at pos) was superseded by a
 * later buffer: pin seg for that buffer, and the successor's slot that
 * named the copy names its log position now. Caller holds lock.
 */
static void dcd_pass_pin(struct dcd_dev *dc, struct dcd_buf *b, unsigned int i,
			 struct dcd_seg *seg, u64 pos)
{
	u32 sup = b->sup[i];
	struct dcd_buf *c;
	unsigned int j;

	if (sup & DCD_SUP_RECORD) {
		dcd_seg_pin(seg, &dc->buf[sup & ~DCD_SUP_RECORD]);
		return;
	}
	c = dcd_slot_buf(dc, sup);
	j = dcd_slot_in_buf(dc, sup);
	dcd_seg_pin(seg, c);
	if (c->prev[j] == (DCD_PREV_BUF | dcd_ring_slot(dc, b, i)))
		c->prev[j] = pos;
}

/*
 * Point index entries of the logged buffer b, whose slots are at log
 * position base on in seg, at the log; its copies that a later buffer
 * superseded are pinned for it (dcd_pass_pin()). Caller holds lock.
 */
static void dcd_convert(struct dcd_dev *dc, struct dcd_buf *b,
			struct dcd_seg *seg, u64 base)
{
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		void *e;

		if (b->lba[i] == DCD_LBA_DEAD)
			continue;
		if (b->sup[i] != DCD_SUP_NONE) {
			dcd_pass_pin(dc, b, i, seg, base + i);
			continue;
		}
		e = xa_load(&dc->map, b->lba[i]);
		if (WARN_ON_ONCE(e != dcd_mkent(DCD_LOC_BUF, dcd_ring_slot(dc, b, i))))
			continue;
		/* replacing a present entry allocates nothing */
		xa_store(&dc->map, b->lba[i],
			 dcd_mkent(DCD_LOC_LOG, base + i), GFP_NOIO);
		dc->buf_entries--;
		dc->log_entries++;
		seg->live++;
	}
	memset(b->sup, 0xff, b->n * sizeof(*b->sup));
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
	u64 pos, gen, start = 0;

	for (;;) {
		mutex_lock(&dc->lock);
		if (dc->failed)
			return -EIO;
		if (dcd_place(dc, n, &pos))
			break;
		if (!start)
			start = ktime_get_ns();
		gen = dc->space_gen;
		dc->space_wanted = true;
		mutex_unlock(&dc->lock);
		dcd_destage_kick(dc, true);
		wait_event_timeout(dc->wq_head,
				   READ_ONCE(dc->space_gen) != gen ||
				   READ_ONCE(dc->failed), HZ);
	}
	dc->space_wanted = false;
	if (start) {
		u64 waited = ktime_get_ns() - start;

		atomic64_inc(&dc->stats.space_waits);
		atomic64_add(waited, &dc->stats.space_wait_ns);
		dcd_stat_max(&dc->stats.space_wait_max_ns, waited);
	}
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
 * Write seg, the header in dc->hdr and the data of the batch's buffers (crc:
 * their data checksum), in one go; in safe mode then on stable media: a
 * segment of one bio is written FUA, a larger one is followed by a cache
 * disk flush (earlier segments were on stable media when they completed).
 * The data disk is flushed first if a buffer holds records of bypass
 * writes: a record may not be durable before the data it stands for.
 */
static int dcd_seg_write(struct dcd_dev *dc, struct dcd_seg *seg,
			 struct dcd_batch *bt, u32 crc)
{
	struct dcd_seg_hdr *h = dc->hdr;
	size_t len = (size_t)seg->hdr_blocks << DCD_BLOCK_SHIFT;
	bool fua, data_flush = false;
	struct page **p;
	unsigned int i;
	int ret;

	for (i = 0; i < bt->nr; i++)
		data_flush |= bt->bufs[i]->data_flush;
	if (data_flush) {
		ret = blkdev_issue_flush(dc->data_bdev);
		if (ret) {
			dcd_err(dc, "data disk flush failed (error %d)\n", ret);
			return ret;
		}
		for (i = 0; i < bt->nr; i++)
			bt->bufs[i]->data_flush = false;
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
	p = dc->segpages + seg->hdr_blocks;
	for (i = 0; i < bt->nr; i++) {
		memcpy(p, bt->bufs[i]->pages, bt->bufs[i]->n * sizeof(*p));
		p += bt->bufs[i]->n;
	}
	/* a FUA covers its own bio only: a segment of several gets a flush */
	fua = dc->mode == DCD_MODE_SAFE && seg->nr_blocks <= BIO_MAX_VECS;
	ret = sync_io_pages(dc->cache_bdev, REQ_OP_WRITE | REQ_SYNC | (fua ? REQ_FUA : 0),
			    dcd_log_sector(dc, seg->pos), dc->segpages,
			    (size_t)seg->nr_blocks << DCD_BLOCK_SHIFT, DCD_BLOCK_SIZE);
	if (!ret && dc->mode == DCD_MODE_SAFE && !fua)
		ret = blkdev_issue_flush(dc->cache_bdev);
	return ret;
}

/* Every buffer's flush waiters, into list. Caller holds lock. */
static void dcd_take_all_waiters(struct dcd_dev *dc, struct bio_list *list)
{
	unsigned int i;

	for (i = 0; i < dc->nbufs; i++) {
		bio_list_merge(list, &dc->buf[i].waiters);
		bio_list_init(&dc->buf[i].waiters);
		dc->buf[i].nwaiters = 0;
	}
}

/*
 * The segment write of the batch, the oldest sealed buffers, ended (ret):
 * their entries now point into the log, or the device has failed. Collects
 * the flush waiters it serves into done and returns their number. Caller
 * holds lock.
 */
static unsigned int dcd_seg_written(struct dcd_dev *dc, struct dcd_batch *bt,
				    struct dcd_seg *seg, int ret,
				    struct bio_list *done)
{
	unsigned int i, served = 0;
	u64 base;

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
		dcd_take_all_waiters(dc, done);
		dc->logged += bt->nr;
		return 0;
	}
	base = seg->pos + seg->hdr_blocks;
	for (i = 0; i < bt->nr; i++) {
		struct dcd_buf *b = bt->bufs[i];

		dcd_convert(dc, b, seg, base);
		base += b->n;
		/* the copies it superseded may go (dcd_seg_pinned()) */
		dc->committed_gen = b->gen;
		b->n = 0;
		b->ndisc = 0;
		bio_list_merge(done, &b->waiters);
		bio_list_init(&b->waiters);
		served += b->nwaiters;
		b->nwaiters = 0;
	}
	seg->written = true;
	dc->nsealed -= bt->nr;
	dc->logged += bt->nr;
	atomic64_inc(&dc->stats.segments_written);
	atomic64_add(bt->nr, &dc->stats.buffers_logged);
	atomic64_add((u64)seg->nr_blocks << DCD_BLOCK_SHIFT, &dc->stats.log_bytes_written);
	return served;
}

/*
 * After a segment or a hold: log the active buffer if due, else kick it
 * (dcd_kick_work()) when its data waits. Caller holds lock.
 */
static void dcd_seal_or_kick(struct dcd_dev *dc)
{
	dcd_maybe_seal(dc);
	if (!dc->nsealed && !dcd_buf_empty(dc->active))
		queue_delayed_work(dc->wq, &dc->kick_work, 1);
}

/*
 * Commit batching, after jbd2's: a segment that served the flushes of
 * several writers is followed by those writers' next flushes, which come a
 * moment after their completion. Sealing the active buffer at once for the
 * first of them (or for the flushes that waited meanwhile) would leave the
 * rest to the segment after, halving what each segment serves; so the log
 * writer holds the seal until the writers it served and those already
 * waiting are all back, for at most the average segment write time (capped
 * by max_batch_us). A lone writer (one flush per segment) is never held.
 * Returns the hold time in ns, 0 for none. Caller holds lock; the device
 * has not failed. Every end of a hold goes through dcd_end_hold().
 */
static u64 dcd_batch_hold(struct dcd_dev *dc, unsigned int served)
{
	unsigned int expect = served + dc->active->nwaiters;
	u64 ns = min_t(u64, dc->commit_avg_ns,
		       (u64)READ_ONCE(dc->max_batch_us) * NSEC_PER_USEC);

	if (expect < 2 || !ns || dc->nsealed || dc->dying ||
	    dc->active->nwaiters >= expect)
		return 0;
	dc->commit_hold = true;
	dc->commit_expect = expect;
	return ns;
}

/*
 * The hold of dcd_batch_hold() for at most ns, then seal as due. If the
 * device failed meanwhile (destage), no segment follows: the flushes that
 * joined during the hold fail here.
 */
static void dcd_batch_wait(struct dcd_dev *dc, u64 ns)
{
	struct bio_list orphans = BIO_EMPTY_LIST;
	u64 start = ktime_get_ns();
	bool held = READ_ONCE(dc->commit_hold);

	wait_event_hrtimeout(dc->commit_wq, !READ_ONCE(dc->commit_hold),
			     ns_to_ktime(ns));
	mutex_lock(&dc->lock);
	dc->commit_hold = false;
	if (dc->failed)
		dcd_take_all_waiters(dc, &orphans);
	dcd_seal_or_kick(dc);
	mutex_unlock(&dc->lock);
	dcd_end_waiters(dc, &orphans, BLK_STS_IOERR, jiffies);
	if (held) {
		atomic64_inc(&dc->stats.commit_holds);
		atomic64_add(ktime_get_ns() - start, &dc->stats.commit_hold_ns);
	}
}

/* Write the oldest sealed buffers as a segment. Returns false when none is left. */
static bool dcd_log_one(struct dcd_dev *dc)
{
	struct bio_list done = BIO_EMPTY_LIST, orphans = BIO_EMPTY_LIST;
	struct dcd_batch bt;
	struct dcd_seg *seg;
	unsigned long since;
	u32 hdr_blocks, crc;
	unsigned int i, j, served;
	u64 hold = 0;
	int ret;

	mutex_lock(&dc->lock);
	dcd_batch_take(dc, &bt);
	mutex_unlock(&dc->lock);
	if (!bt.nr)
		return false;

	/* A sealed buffer's slots do not change until it is logged. */
	hdr_blocks = dcd_build_hdr(dc, &bt);
	crc = ~0U;
	for (j = 0; j < bt.nr; j++)
		for (i = 0; i < bt.bufs[j]->n; i++)
			crc = dcd_crc_page(crc, bt.bufs[j]->pages[i]);

	seg = dcd_seg_alloc(GFP_NOIO);
	while (!seg) {
		msleep(20);
		seg = dcd_seg_alloc(GFP_NOIO);
	}
	ret = dcd_log_reserve(dc, seg, hdr_blocks + bt.data_blocks, hdr_blocks);
	if (ret) {
		kfree(seg);
		seg = NULL;
	} else {
		u64 start = ktime_get_ns(), took;

		mutex_unlock(&dc->lock);
		ret = dcd_seg_write(dc, seg, &bt, crc);
		took = ktime_get_ns() - start;
		atomic64_add(took, &dc->stats.seg_write_ns);
		dcd_stat_max(&dc->stats.seg_write_max_ns, took);
		mutex_lock(&dc->lock);
		dc->commit_avg_ns = dc->commit_avg_ns ?
			dc->commit_avg_ns - dc->commit_avg_ns / 8 + took / 8 : took;
	}
	since = jiffies;
	for (j = 0; j < bt.nr; j++)
		if (!bio_list_empty(&bt.bufs[j]->waiters) &&
		    time_before(bt.bufs[j]->waiters_since, since))
			since = bt.bufs[j]->waiters_since;
	served = dcd_seg_written(dc, &bt, seg, ret, &done);
	/* failed meanwhile (destage): flushes on the active buffer wait in vain */
	if (dc->failed)
		dcd_take_all_waiters(dc, &orphans);
	else
		hold = dcd_batch_hold(dc, served);
	dcd_seal_or_kick(dc);
	wake_up_all(&dc->wq_head);
	mutex_unlock(&dc->lock);

	dcd_end_waiters(dc, &done, ret ? BLK_STS_IOERR : BLK_STS_OK, since);
	dcd_end_waiters(dc, &orphans, BLK_STS_IOERR, since);
	if (ret)
		return false;
	dcd_destage_kick(dc, false);
	if (hold)
		dcd_batch_wait(dc, hold);
	return true;
}

/* The log writer: the sealed buffers, oldest first, a batch per segment. */
void dcd_log_work(struct work_struct *work)
{
	struct dcd_dev *dc = container_of(work, struct dcd_dev, log_work);

	while (dcd_log_one(dc))
		cond_resched();
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
		/* the next seal is of the active buffer */
		need = dc->seals + 1;
		dc->force_seal = true;
		dcd_end_hold(dc);
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
	dcd_take_all_waiters(dc, &list);
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
		if (!dcd_seg_unused(dc, seg))
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
