// SPDX-License-Identifier: GPL-2.0
/*
 * dcd: destage. Logged blocks are copied to the data disk in LBA order,
 * adjacent blocks merged into one write, when the device has seen no
 * foreground I/O (reads from the data disk, writes of any kind: destage
 * reads compete with log writes on the cache disk) for idle_ms or, also
 * under load, when the log passes its high watermark.
 * Index entries go away, and the log tail moves, only after the data disk has
 * flushed the copies. A batch does not run while a write that bypasses the
 * buffer is in flight to the data disk.
 */
#include <linux/delay.h>

#include <dcdmirror/kernel/sync_io.h>
#include "dcd.h"

/*
 * Submit runs of pages[from..to): a run continues while key[] grows by one
 * per page. Each run becomes one bio (or a few, BIO_MAX_VECS pages each).
 */
static int dcd_runs_io(struct dcd_dev *dc, struct block_device *bdev,
		       blk_opf_t opf, u64 base, const u64 *key,
		       unsigned int from, unsigned int to)
{
	struct sync_io s;
	unsigned int i = from;

	sync_io_init(&s);
	while (i < to) {
		unsigned int j = i + 1, k;
		struct bio *bio;

		while (j < to && key[j] == key[j - 1] + 1 && j - i < BIO_MAX_VECS)
			j++;
		bio = bio_alloc(bdev, j - i, opf, GFP_NOIO);
		bio->bi_iter.bi_sector = (base + key[i]) * DCD_SECT_PER_BLOCK;
		for (k = i; k < j; k++)
			__bio_add_page(bio, dc->dpages[k], DCD_BLOCK_SIZE, 0);
		sync_io_submit(&s, bio);
		i = j;
	}
	return sync_io_wait(&s);
}

/*
 * The log has work: the buffer holds data, or segments are to be written.
 * Read without lock: a hint for destage to step aside.
 */
static bool dcd_log_busy(struct dcd_dev *dc)
{
	struct dcd_buf *b = READ_ONCE(dc->active);

	return READ_ONCE(dc->nsealed) || READ_ONCE(b->n) || READ_ONCE(b->ndisc);
}

/*
 * Read the logged copies of dpos[0..count) into dpages in rounds: a segment
 * write queued behind destage waits for one round, not for a whole batch.
 * A round is DCD_DESTAGE_READS blocks while the log has work and doubles,
 * up to DCD_DESTAGE_READS_IDLE, while it stays idle (a cache disk with
 * high latency needs depth to destage at its rate); the first round is
 * round blocks. With yield, stop after
 * a round that finds the log busy. Returns the number of blocks read (a
 * prefix), or a negative error.
 */
static int dcd_read_logged(struct dcd_dev *dc, unsigned int count, unsigned int round,
			   bool yield)
{
	unsigned int done = 0;

	while (done < count) {
		unsigned int to = min(count, done + round);
		int ret;

		/* in flight: a segment write sent now waits behind them */
		atomic_add(to - done, &dc->destage_reads_inflight);
		ret = dcd_runs_io(dc, dc->cache_bdev, REQ_OP_READ, dc->log_start,
				  dc->dpos, done, to);
		atomic_sub(to - done, &dc->destage_reads_inflight);
		if (ret) {
			dcd_err(dc, "destage: cache disk read failed (error %d)\n", ret);
			return ret;
		}
		done = to;
		if (!dcd_log_busy(dc)) {
			round = min(round * 2, DCD_DESTAGE_READS_IDLE);
			continue;
		}
		round = DCD_DESTAGE_READS;
		if (yield && done < count) {
			atomic64_inc(&dc->stats.destage_yields);
			break;
		}
	}
	return done;
}

/*
 * Destage up to DCD_DESTAGE_BLOCKS logged blocks from the cursor on, reading
 * them in rounds from round blocks on (dcd_read_logged()); with yield (no
 * log pressure), fewer when the log gets work meanwhile.
 * Returns how many, or a negative error; *wrapped is set when the scan
 * reached the end of the device. Caller holds destage_mutex.
 */
static int dcd_destage_batch(struct dcd_dev *dc, unsigned int round, bool yield,
			     bool *wrapped)
{
	unsigned int count = 0, k;
	unsigned long idx;
	void *e;
	int ret;

	lockdep_assert_held(&dc->destage_mutex);
	/* no bypass write in flight: the batch could land after it */
	wait_event(dc->wq_head, !atomic_read(&dc->bypass_inflight));
	mutex_lock(&dc->lock);
	xa_for_each_start(&dc->map, idx, e, dc->destage_cursor) {
		if (dcd_ent_loc(e) != DCD_LOC_LOG)
			continue;
		dc->dlba[count] = idx;
		dc->dpos[count] = dcd_ent_pos(e);
		if (++count == DCD_DESTAGE_BLOCKS)
			break;
	}
	*wrapped = count < DCD_DESTAGE_BLOCKS;
	dc->destage_cursor = *wrapped ? 0 : dc->dlba[count - 1] + 1;
	mutex_unlock(&dc->lock);
	if (!count)
		return 0;

	/* runs of consecutive log positions become single reads */
	ret = dcd_read_logged(dc, count, round, yield);
	if (ret < 0)
		return ret;
	if (ret < count) {
		/* the log got work: the rest waits for the next round */
		count = ret;
		*wrapped = false;
		mutex_lock(&dc->lock);
		dc->destage_cursor = dc->dlba[count - 1] + 1;
		mutex_unlock(&dc->lock);
	}
	ret = dcd_runs_io(dc, dc->data_bdev, REQ_OP_WRITE, dc->data_offset, dc->dlba, 0, count);
	if (!ret)
		ret = blkdev_issue_flush(dc->data_bdev);
	if (ret) {
		dcd_err(dc, "destage: data disk write failed (error %d)\n", ret);
		return ret;
	}

	mutex_lock(&dc->lock);
	for (k = 0; k < count; k++) {
		/* a newer copy arrived meanwhile: it stays cached */
		if (xa_load(&dc->map, dc->dlba[k]) !=
		    dcd_mkent(DCD_LOC_LOG, dc->dpos[k]))
			continue;
		xa_erase(&dc->map, dc->dlba[k]);
		dc->log_entries--;
		dcd_seg_unref(dc, dc->dpos[k]);
	}
	mutex_unlock(&dc->lock);
	atomic64_add((u64)count << DCD_BLOCK_SHIFT, &dc->stats.bytes_destaged);
	atomic64_inc(&dc->stats.destage_runs);
	return count;
}

/*
 * Is slot j of b its block's newest copy, or replaced only by writes into
 * later buffers (not by a discard or bypass write, whose data is on the
 * data disk)? Follows the newest copy's chain of prev[] back through the
 * sealed buffers. Caller holds lock.
 */
static bool dcd_slot_is_newest(struct dcd_dev *dc, struct dcd_buf *b, unsigned int j)
{
	u64 want = dcd_ring_slot(dc, b, j), at, prev;
	unsigned int hops;
	void *e;

	if (b->lba[j] == DCD_LBA_DEAD)
		return false;
	e = xa_load(&dc->map, b->lba[j]);
	if (!e || dcd_ent_loc(e) != DCD_LOC_BUF)
		return false;
	at = dcd_ent_pos(e);
	for (hops = 0; hops < dc->nbufs; hops++) {
		if (at == want)
			return true;
		prev = dcd_slot_buf(dc, at)->prev[dcd_slot_in_buf(dc, at)];
		if (prev == DCD_PREV_NONE || !(prev & DCD_PREV_BUF))
			return false;
		at = prev & ~DCD_PREV_BUF;
	}
	return false;
}

/*
 * The log writer waits for room, and the tail segment is kept only by pins
 * (struct dcd_buf): the copies it holds were replaced by a buffer not yet
 * committed, most likely the one that waits, so the tail would never move.
 * Write the copies the buffers name (each the newest durable version of its
 * block) to the data disk and flush it; the other pins need only the
 * flush. The segment may then go: a crash before the buffer is committed
 * finds those versions on the data disk. Returns 1 if pins were dropped,
 * 0 if there was nothing to do, or a negative error. Caller holds
 * destage_mutex (no segment is freed, and no bypass write starts).
 */
static int dcd_destage_pinned(struct dcd_dev *dc)
{
	unsigned int count = 0, i, j, k;
	struct dcd_seg *seg;
	bool all = true;
	u64 first, end;
	int ret;

	lockdep_assert_held(&dc->destage_mutex);
	wait_event(dc->wq_head, !atomic_read(&dc->bypass_inflight));
	mutex_lock(&dc->lock);
	seg = list_first_entry_or_null(&dc->segs, struct dcd_seg, list);
	if (!dc->space_wanted || !seg || !seg->written || seg->live ||
	    seg->pin_gen <= dc->committed_gen) {
		mutex_unlock(&dc->lock);
		return 0;
	}
	first = seg->pos + seg->hdr_blocks;
	end = seg->pos + seg->nr_blocks;
	/* the buffers not yet committed: the sealed ones and the active one */
	for (i = 0; i < dc->nbufs; i++) {
		struct dcd_buf *b = &dc->buf[i];

		for (j = 0; j < b->n; j++) {
			if (b->prev[j] < first || b->prev[j] >= end ||
			    !dcd_slot_is_newest(dc, b, j))
				continue;
			if (count == DCD_DESTAGE_BLOCKS) {
				all = false;
				continue;
			}
			dc->dlba[count] = b->lba[j];
			dc->dpos[count] = b->prev[j];
			dc->dslot[count] = dcd_ring_slot(dc, b, j);
			count++;
		}
	}
	mutex_unlock(&dc->lock);

	if (count) {
		ret = dcd_read_logged(dc, count, DCD_DESTAGE_READS, false);
		if (ret < 0)
			return ret;
		ret = dcd_runs_io(dc, dc->data_bdev, REQ_OP_WRITE, dc->data_offset, dc->dlba,
				  0, count);
		if (ret) {
			dcd_err(dc, "destage: data disk write failed (error %d)\n", ret);
			return ret;
		}
	}
	ret = blkdev_issue_flush(dc->data_bdev);
	if (ret) {
		dcd_err(dc, "destage: data disk flush failed (error %d)\n", ret);
		return ret;
	}

	mutex_lock(&dc->lock);
	for (k = 0; k < count; k++) {
		struct dcd_buf *b = dcd_slot_buf(dc, dc->dslot[k]);

		j = dcd_slot_in_buf(dc, dc->dslot[k]);
		/* committed meanwhile: the pin went with it */
		if (j >= b->n || b->prev[j] != dc->dpos[k])
			continue;
		b->prev[j] = DCD_PREV_NONE;
	}
	/*
	 * Every named copy is on the data disk now, and the other pins
	 * (records, and slots they superseded) had their data there before
	 * the flush; the segment has no index entry, so it gets no new pin.
	 */
	if (all)
		seg->pin_gen = 0;
	mutex_unlock(&dc->lock);
	atomic64_add((u64)count << DCD_BLOCK_SHIFT, &dc->stats.bytes_destaged);
	return 1;
}

static void dcd_destage_failed(struct dcd_dev *dc)
{
	mutex_lock(&dc->lock);
	dcd_set_failed(dc, "destage");
	wake_up_all(&dc->wq_head);
	mutex_unlock(&dc->lock);
}

void dcd_destage_kick(struct dcd_dev *dc, bool now)
{
	if (now)
		mod_delayed_work(dc->dwq, &dc->destage_work, 0);
	else
		queue_delayed_work(dc->dwq, &dc->destage_work,
				   msecs_to_jiffies(READ_ONCE(dc->idle_ms)));
}

void dcd_destage_work(struct work_struct *work)
{
	struct dcd_dev *dc = container_of(to_delayed_work(work),
					  struct dcd_dev, destage_work);
	unsigned long idle_at;
	bool pressure, wrapped;
	int ret, pinned;

	mutex_lock(&dc->lock);
	if (dc->failed) {
		mutex_unlock(&dc->lock);
		return;
	}
	if (!dc->log_entries) {
		/* segments whose blocks were all overwritten can still go */
		mutex_unlock(&dc->lock);
		dc->idle_run = false;
		mutex_lock(&dc->destage_mutex);
		pinned = dcd_destage_pinned(dc);
		ret = pinned < 0 ? pinned : dcd_advance_tail(dc);
		mutex_unlock(&dc->destage_mutex);
		if (ret < 0)
			dcd_destage_failed(dc);
		else if (pinned > 0)
			/* the next segment may be kept only by pins too */
			queue_delayed_work(dc->dwq, &dc->destage_work, 0);
		return;
	}
	pressure = dc->space_wanted ||
		   dcd_log_used(dc) * 100 >= dc->log_blocks * READ_ONCE(dc->high_watermark);
	idle_at = READ_ONCE(dc->last_data_io) + msecs_to_jiffies(READ_ONCE(dc->idle_ms));
	mutex_unlock(&dc->lock);

	/*
	 * Idle means the cache disk too: a writer that waits for a segment
	 * write sends no I/O, yet the log is busy.
	 */
	if (!pressure && time_before(jiffies, idle_at)) {
		dc->idle_run = false;
		queue_delayed_work(dc->dwq, &dc->destage_work, idle_at - jiffies);
		return;
	}
	if (!pressure && dcd_log_busy(dc)) {
		dc->idle_run = false;
		queue_delayed_work(dc->dwq, &dc->destage_work,
				   max(msecs_to_jiffies(READ_ONCE(dc->idle_ms)), 1UL));
		return;
	}
	/* count each stretch of data disk idleness used for destaging once */
	if (!pressure && !dc->idle_run)
		atomic64_inc(&dc->stats.idle_periods);
	dc->idle_run = !pressure;

	mutex_lock(&dc->destage_mutex);
	ret = dcd_destage_batch(dc, DCD_DESTAGE_READS, !pressure, &wrapped);
	if (ret >= 0)
		ret = dcd_advance_tail(dc);
	if (!ret)
		ret = dcd_destage_pinned(dc);
	if (ret > 0)
		ret = dcd_advance_tail(dc);
	mutex_unlock(&dc->destage_mutex);
	if (ret < 0) {
		dcd_destage_failed(dc);
		return;
	}
	/* go on at once; the next round checks idleness and pressure again */
	queue_delayed_work(dc->dwq, &dc->destage_work, 0);
}

/* Destage everything logged so far and wait (dcdctl flush). */
int dcd_destage_all(struct dcd_dev *dc)
{
	unsigned int passes = 0, waits = 0;
	bool wrapped;
	int ret = 0;

	mutex_lock(&dc->destage_mutex);
	mutex_lock(&dc->lock);
	dc->destage_cursor = 0;
	mutex_unlock(&dc->lock);
	for (;;) {
		/* dcdctl flush: the whole batch at once, the caller waits for it */
		ret = dcd_destage_batch(dc, DCD_DESTAGE_BLOCKS, false, &wrapped);
		if (ret < 0)
			break;
		if (ret > 0) {
			ret = dcd_advance_tail(dc);
			if (ret)
				break;
		}
		if (wrapped) {
			/* new blocks may have been logged behind the cursor */
			if (!READ_ONCE(dc->log_entries) || ++passes >= 8)
				break;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
	}
	if (!ret)
		ret = dcd_advance_tail(dc);
	/*
	 * Reads that found a block in the log before it was destaged hold
	 * their segments; they end in milliseconds and no new one comes.
	 */
	while (!ret && dcd_tail_held_by_reads(dc) && ++waits <= DCD_READ_DRAIN_MS) {
		usleep_range(1000, 2000);
		ret = dcd_advance_tail(dc);
	}
	/* also what bypassed the buffer is on stable media now */
	if (!ret)
		ret = blkdev_issue_flush(dc->data_bdev);
	mutex_unlock(&dc->destage_mutex);
	if (ret < 0 && ret != -EINTR)
		dcd_destage_failed(dc);
	return ret;
}
