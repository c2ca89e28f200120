// SPDX-License-Identifier: GPL-2.0
/*
 * dcd: the module and the devices' lifecycle: create (format) or assemble a
 * device over a cache disk and a data disk, stop it, flush it.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <dcdmirror/kernel/page_array.h>
#include "dcd.h"

static int dcd_major;
/* ctl_mutex protects devs[]; taken before any lock of a device. */
static DEFINE_MUTEX(ctl_mutex);
static struct dcd_dev *devs[DCD_MAX_DEVICES];

static int dcd_open(struct block_device *bdev, fmode_t mode)
{
	struct dcd_dev *dc = bdev->bd_disk->private_data;

	return open_gate_enter(&dc->gate);
}

static void dcd_release(struct gendisk *disk, fmode_t mode)
{
	struct dcd_dev *dc = disk->private_data;

	open_gate_leave(&dc->gate);
}

static const struct block_device_operations dcd_fops = {
	.owner = THIS_MODULE,
	.submit_bio = dcd_submit_bio,
	.open = dcd_open,
	.release = dcd_release,
};

/* ---- setup and teardown ---- */

static void dcd_free(struct dcd_dev *dc)
{
	struct dcd_seg *seg, *tmp;
	unsigned int i;

	list_for_each_entry_safe(seg, tmp, &dc->segs, list)
		kfree(seg);
	xa_destroy(&dc->map);
	for (i = 0; dc->buf && i < dc->nbufs; i++) {
		page_array_free(dc->buf[i].pages, dc->slots);
		kvfree(dc->buf[i].lba);
		kvfree(dc->buf[i].prev);
		kvfree(dc->buf[i].sup);
		kvfree(dc->buf[i].disc);
	}
	kfree(dc->buf);
	page_array_free(dc->dpages, DCD_DESTAGE_BLOCKS);
	kvfree(dc->dlba);
	kvfree(dc->dpos);
	kvfree(dc->dslot);
	vfree(dc->hdr);
	kvfree(dc->segpages);
	if (dc->sb)
		free_page((unsigned long)dc->sb);
	if (dc->dsb)
		free_page((unsigned long)dc->dsb);
	if (dc->wq)
		destroy_workqueue(dc->wq);
	if (dc->dwq)
		destroy_workqueue(dc->dwq);
	if (dc->bwq)
		destroy_workqueue(dc->bwq);
	bioset_exit(&dc->bs);
	bioset_exit(&dc->bypass_bs);
	if (dc->cache_bdev)
		blkdev_put(dc->cache_bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	if (dc->data_bdev)
		blkdev_put(dc->data_bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	kfree(dc);
}

/* The buffers, sized by buffer_bytes. */
static int dcd_alloc_buffers(struct dcd_dev *dc)
{
	unsigned int i;

	dcd_buffer_geometry(dc);
	dc->buf = kcalloc(dc->nbufs, sizeof(*dc->buf), GFP_KERNEL);
	if (!dc->buf)
		return -ENOMEM;
	for (i = 0; i < dc->nbufs; i++) {
		struct dcd_buf *b = &dc->buf[i];

		b->idx = i;
		bio_list_init(&b->waiters);
		b->pages = page_array_alloc(dc->slots);
		b->lba = kvcalloc(dc->slots, sizeof(*b->lba), GFP_KERNEL);
		b->prev = kvcalloc(dc->slots, sizeof(*b->prev), GFP_KERNEL);
		b->sup = kvmalloc_array(dc->slots, sizeof(*b->sup), GFP_KERNEL);
		b->disc = kvcalloc(dc->max_disc, sizeof(*b->disc), GFP_KERNEL);
		if (!b->pages || !b->lba || !b->prev || !b->sup || !b->disc)
			return -ENOMEM;
		memset(b->sup, 0xff, dc->slots * sizeof(*b->sup));
	}
	dc->active = &dc->buf[0];
	dc->active->gen = 1;
	dc->next_gen = 2;
	dc->dpages = page_array_alloc(DCD_DESTAGE_BLOCKS);
	dc->dlba = kvcalloc(DCD_DESTAGE_BLOCKS, sizeof(u64), GFP_KERNEL);
	dc->dpos = kvcalloc(DCD_DESTAGE_BLOCKS, sizeof(u64), GFP_KERNEL);
	dc->dslot = kvcalloc(DCD_DESTAGE_BLOCKS, sizeof(u32), GFP_KERNEL);
	dc->hdr = vzalloc((size_t)dc->hdr_max_blocks << DCD_BLOCK_SHIFT);
	dc->segpages = kvcalloc(dc->hdr_max_blocks + dc->seg_max_blocks, sizeof(*dc->segpages),
				GFP_KERNEL);
	if (!dc->dpages || !dc->dlba || !dc->dpos || !dc->dslot || !dc->hdr || !dc->segpages)
		return -ENOMEM;
	return 0;
}

static struct block_device *dcd_open_disk(struct dcd_dev *dc, u32 major,
					  u32 minor, const char *what, char *err)
{
	dev_t dev = MKDEV(major, minor);
	struct block_device *bdev;

	if (MAJOR(dev) != major || MINOR(dev) != minor) {
		snprintf(err, DCD_ERROR_LEN, "%s disk %u:%u: bad device number",
			 what, major, minor);
		return ERR_PTR(-EINVAL);
	}
	bdev = blkdev_get_by_dev(dev, FMODE_READ | FMODE_WRITE | FMODE_EXCL, dc);
	if (IS_ERR(bdev)) {
		if (PTR_ERR(bdev) == -EBUSY)
			snprintf(err, DCD_ERROR_LEN,
				 "%s disk %u:%u is in use (mounted, or part of another device)",
				 what, major, minor);
		else
			snprintf(err, DCD_ERROR_LEN, "cannot open %s disk %u:%u: error %ld",
				 what, major, minor, PTR_ERR(bdev));
		return bdev;
	}
	if (bdev_logical_block_size(bdev) > DCD_BLOCK_SIZE) {
		snprintf(err, DCD_ERROR_LEN, "%s disk %pg has blocks larger than 4096 bytes",
			 what, bdev);
		blkdev_put(bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
		return ERR_PTR(-EINVAL);
	}
	return bdev;
}

/* Both disks, exclusively. */
static int dcd_open_disks(struct dcd_dev *dc, struct dcd_ioc_create *c)
{
	struct block_device *bdev;

	bdev = dcd_open_disk(dc, c->cache_major, c->cache_minor, "cache", c->error);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	dc->cache_bdev = bdev;
	bdev = dcd_open_disk(dc, c->data_major, c->data_minor, "data", c->error);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	dc->data_bdev = bdev;
	if (bdev_whole(dc->cache_bdev) == bdev_whole(dc->data_bdev))
		dcd_warn(dc, "cache and data disk are on the same disk\n");
	return 0;
}

/* Format: the defaults for what is not given, then the ranges. */
static int dcd_check_params(struct dcd_ioc_create *c)
{
	char *err = c->error;

	if (!c->buffer_bytes)
		c->buffer_bytes = DCD_DEFAULT_BUFFER;
	if (!c->bypass_bytes)
		c->bypass_bytes = DCD_DEFAULT_BYPASS;
	else if (c->bypass_bytes == ~0ULL)
		c->bypass_bytes = 0;
	if (!c->idle_ms)
		c->idle_ms = DCD_DEFAULT_IDLE_MS;
	if (!c->max_age_ms)
		c->max_age_ms = DCD_DEFAULT_MAX_AGE_MS;
	if (!c->high_watermark)
		c->high_watermark = DCD_DEFAULT_WATERMARK;
	if (c->mode > DCD_MODE_NVRAM) {
		snprintf(err, DCD_ERROR_LEN, "mode %u is not safe (0) or nvram (1)", c->mode);
		return -EINVAL;
	}
	if (c->buffer_bytes < DCD_BUFFER_MIN || c->buffer_bytes > DCD_BUFFER_MAX ||
	    c->buffer_bytes % (2 * DCD_BLOCK_SIZE)) {
		snprintf(err, DCD_ERROR_LEN,
			 "buffer size %llu must be a multiple of 8 KiB from 64 KiB to 1 GiB",
			 c->buffer_bytes);
		return -EINVAL;
	}
	if (c->idle_ms > DCD_IDLE_MS_MAX) {
		snprintf(err, DCD_ERROR_LEN, "idle-ms %u is above %u", c->idle_ms,
			 DCD_IDLE_MS_MAX);
		return -EINVAL;
	}
	if (c->max_age_ms < DCD_MAX_AGE_MS_MIN || c->max_age_ms > DCD_MAX_AGE_MS_MAX) {
		snprintf(err, DCD_ERROR_LEN, "max-age-ms %u is not within %u..%u",
			 c->max_age_ms, DCD_MAX_AGE_MS_MIN, DCD_MAX_AGE_MS_MAX);
		return -EINVAL;
	}
	if (c->high_watermark < DCD_WATERMARK_MIN || c->high_watermark > DCD_WATERMARK_MAX) {
		snprintf(err, DCD_ERROR_LEN, "high watermark %u%% is not within %u..%u",
			 c->high_watermark, DCD_WATERMARK_MIN, DCD_WATERMARK_MAX);
		return -EINVAL;
	}
	return 0;
}

static int dcd_add_disk(struct dcd_dev *dc)
{
	struct gendisk *disk;
	struct request_queue *q;
	int ret;

	disk = blk_alloc_disk(NUMA_NO_NODE);
	if (!disk)
		return -ENOMEM;
	disk->major = dcd_major;
	disk->first_minor = dc->index;
	disk->minors = 1;
	disk->fops = &dcd_fops;
	disk->private_data = dc;
	disk->flags |= GENHD_FL_NO_PART;
	snprintf(disk->disk_name, DISK_NAME_LEN, "dcd%u", dc->index);
	q = disk->queue;
	blk_queue_logical_block_size(q, DCD_BLOCK_SIZE);
	blk_queue_physical_block_size(q, DCD_BLOCK_SIZE);
	blk_queue_io_min(q, DCD_BLOCK_SIZE);
	blk_queue_max_hw_sectors(q, DCD_MAX_IO_SECTORS);
	if (bdev_max_discard_sectors(dc->data_bdev)) {
		blk_queue_max_discard_sectors(q, DCD_MAX_ZERO_SECTORS);
		q->limits.discard_granularity = DCD_BLOCK_SIZE;
	}
	if (bdev_write_zeroes_sectors(dc->data_bdev))
		blk_queue_max_write_zeroes_sectors(q, DCD_MAX_ZERO_SECTORS);
	blk_queue_write_cache(q, true, true);
	set_capacity(disk, dc->nr_blocks * DCD_SECT_PER_BLOCK);
	dc->disk = disk;
	ret = device_add_disk(NULL, disk, dcd_attr_groups);
	if (ret) {
		dc->disk = NULL;
		put_disk(disk);
	}
	return ret;
}

/* A device with its locks, lists and workers, no disks yet. */
static struct dcd_dev *dcd_new(u32 index)
{
	struct dcd_dev *dc = kzalloc(sizeof(*dc), GFP_KERNEL);
	struct page *sbp, *dsbp;

	if (!dc)
		return NULL;
	dc->index = index;
	mutex_init(&dc->lock);
	mutex_init(&dc->destage_mutex);
	mutex_init(&dc->sb_mutex);
	xa_init(&dc->map);
	INIT_LIST_HEAD(&dc->segs);
	dc->seg_tree = RB_ROOT;
	init_waitqueue_head(&dc->wq_head);
	init_waitqueue_head(&dc->commit_wq);
	dc->max_batch_us = DCD_DEFAULT_MAX_BATCH_US;
	open_gate_init(&dc->gate);
	dcd_events_init(dc);
	spin_lock_init(&dc->pace_lock);
	INIT_WORK(&dc->log_work, dcd_log_work);
	INIT_DELAYED_WORK(&dc->kick_work, dcd_kick_work);
	INIT_DELAYED_WORK(&dc->destage_work, dcd_destage_work);
	dc->last_write = jiffies;
	dc->last_data_io = jiffies;

	atomic_set(&dc->bypass_inflight, 0);
	atomic_set(&dc->destage_reads_inflight, 0);
	if (bioset_init(&dc->bs, BIO_POOL_SIZE, offsetof(struct dcd_rio, bio),
			BIOSET_NEED_RESCUER) ||
	    bioset_init(&dc->bypass_bs, BIO_POOL_SIZE, offsetof(struct dcd_bypass, clone), 0))
		goto out_free;
	dc->wq = alloc_workqueue("dcd%u", WQ_MEM_RECLAIM | WQ_UNBOUND, 2, index);
	dc->dwq = alloc_workqueue("dcd%u_destage", WQ_MEM_RECLAIM | WQ_UNBOUND, 1, index);
	/* bypass completions wait for nothing: any number may run */
	dc->bwq = alloc_workqueue("dcd%u_bypass", WQ_MEM_RECLAIM | WQ_UNBOUND, 0, index);
	sbp = alloc_page(GFP_KERNEL | __GFP_ZERO);
	dsbp = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (sbp)
		dc->sb = page_address(sbp);
	if (dsbp)
		dc->dsb = page_address(dsbp);
	if (!dc->wq || !dc->dwq || !dc->bwq || !sbp || !dsbp)
		goto out_free;
	return dc;

out_free:
	dcd_free(dc);
	return NULL;
}

/* Assemble: the log is read back; the superblock then says ACTIVE. */
static int dcd_assemble(struct dcd_dev *dc, bool force, char *err)
{
	int ret = dcd_recover(dc, force, err);

	if (ret)
		return ret;
	if (dc->unclean) {
		dc->unclean_starts++;
		if (dc->mode == DCD_MODE_NVRAM)
			dcd_warn(dc, "unclean restart in nvram mode: the RAM buffer was lost\n");
		else
			dcd_info(dc, "unclean restart: writes after the last flush may be lost\n");
	}
	/* both copies again: one may have been torn */
	ret = dcd_write_sb(dc, DCD_STATE_ACTIVE);
	if (ret) {
		snprintf(err, DCD_ERROR_LEN, "cannot write the superblock: error %d", ret);
		return ret;
	}
	ret = dcd_put_data_sb(dc, DCD_DATA_DIRTY);
	if (ret)
		snprintf(err, DCD_ERROR_LEN, "cannot write the data disk header: error %d", ret);
	return ret;
}

/* Create (format) or assemble a device. Caller holds ctl_mutex. */
static int dcd_create_locked(struct dcd_ioc_create *c)
{
	bool format = c->flags & DCD_CREATE_FORMAT;
	char *err = c->error;
	struct dcd_dev *dc;
	int ret;

	if (c->index >= DCD_MAX_DEVICES) {
		snprintf(err, DCD_ERROR_LEN, "device number %u is above %u", c->index,
			 DCD_MAX_DEVICES - 1);
		return -EINVAL;
	}
	if (format) {
		ret = dcd_check_params(c);
		if (ret)
			return ret;
	}
	if (c->cache_major == c->data_major && c->cache_minor == c->data_minor) {
		snprintf(err, DCD_ERROR_LEN, "cache and data disk are the same device");
		return -EINVAL;
	}
	if (devs[c->index]) {
		snprintf(err, DCD_ERROR_LEN, "dcd%u already exists", c->index);
		return -EEXIST;
	}

	dc = dcd_new(c->index);
	if (!dc)
		return -ENOMEM;
	ret = dcd_open_disks(dc, c);
	if (ret)
		goto out_free;
	if (format) {
		dc->mode = c->mode;
		dc->buffer_bytes = c->buffer_bytes;
		dc->bypass_bytes = c->bypass_bytes;
		dc->idle_ms = c->idle_ms;
		dc->max_age_ms = c->max_age_ms;
		dc->high_watermark = c->high_watermark;
		dc->data_sectors = bdev_nr_sectors(dc->data_bdev);
	} else {
		ret = dcd_read_sb(dc, err);
		if (ret)
			goto out_free;
	}
	ret = dcd_alloc_buffers(dc);
	if (ret) {
		snprintf(err, DCD_ERROR_LEN, "out of memory for a %llu KiB buffer",
			 dc->buffer_bytes >> 10);
		goto out_free;
	}
	ret = format ? dcd_format(dc, c->flags & DCD_CREATE_DISCARD_DIRTY, err) :
		       dcd_assemble(dc, c->flags & DCD_CREATE_FORCE, err);
	if (ret)
		goto out_free;

	ret = dcd_add_disk(dc);
	if (ret) {
		snprintf(err, DCD_ERROR_LEN, "cannot add the disk: error %d", ret);
		goto out_free;
	}
	devs[c->index] = dc;
	dcd_events_start(dc);
	dcd_info(dc, "%s, cache %pg, data %pg, %s mode, %llu KiB buffer, %llu KiB log\n",
		 format ? "created" : "assembled", dc->cache_bdev, dc->data_bdev,
		 dc->mode == DCD_MODE_NVRAM ? "nvram" : "safe", dc->buffer_bytes >> 10,
		 dc->log_blocks * (DCD_BLOCK_SIZE >> 10));
	if (dc->log_entries)
		dcd_destage_kick(dc, false);
	return 0;

out_free:
	dcd_free(dc);
	return ret;
}

int dcd_create(struct dcd_ioc_create *c)
{
	int ret;

	mutex_lock(&ctl_mutex);
	ret = dcd_create_locked(c);
	mutex_unlock(&ctl_mutex);
	return ret;
}

static void dcd_destroy(struct dcd_dev *dc, bool no_log)
{
	int ret = 0;

	/* the events queued go out while the disk is still there */
	dcd_events_stop(dc);
	del_gendisk(dc->disk);
	if (no_log) {
		mutex_lock(&dc->lock);
		dc->dying = true;
		dcd_end_hold(dc);
		mutex_unlock(&dc->lock);
	} else {
		ret = dcd_log_sync(dc);
	}
	cancel_delayed_work_sync(&dc->kick_work);
	flush_work(&dc->log_work);
	mutex_lock(&dc->lock);
	dc->dying = true;
	dcd_end_hold(dc);
	mutex_unlock(&dc->lock);
	cancel_delayed_work_sync(&dc->kick_work);
	cancel_delayed_work_sync(&dc->destage_work);
	flush_workqueue(dc->wq);
	flush_workqueue(dc->dwq);
	/* the device is closed, but bypass completions may still run */
	wait_event(dc->wq_head, !atomic_read(&dc->bypass_inflight));
	flush_workqueue(dc->bwq);

	/* nothing is open: no flush can be waiting, but be sure */
	dcd_end_all_waiters(dc);
	/* what bypassed the buffer, too */
	if (!no_log && !ret && !dc->failed)
		ret = blkdev_issue_flush(dc->data_bdev);
	/* nothing left in the cache: the data disk alone holds the device */
	if (!no_log && !ret && !dc->failed && !dcd_log_used(dc) && !dc->log_entries)
		ret = dcd_put_data_sb(dc, DCD_DATA_CLEAN);
	if (!no_log && !ret && !dc->failed) {
		dc->clean_stops++;
		ret = dcd_write_sb(dc, DCD_STATE_CLEAN);
		if (ret)
			dcd_err(dc, "superblock write at stop failed (error %d)\n", ret);
	}
	dcd_info(dc, "stopped%s\n",
		 no_log ? " without logging the buffer" : ret ? " uncleanly" : "");
	put_disk(dc->disk);
	dcd_free(dc);
}

int dcd_stop(struct dcd_ioc_dev *d)
{
	struct dcd_dev *dc;
	int ret = 0;

	mutex_lock(&ctl_mutex);
	dc = d->index < DCD_MAX_DEVICES ? devs[d->index] : NULL;
	if (!dc) {
		ret = -ENODEV;
	} else if (d->flags & ~DCD_STOP_NO_LOG) {
		ret = -EINVAL;
	} else if (open_gate_close(&dc->gate)) {
		dcd_err(dc, "cannot stop: device is open\n");
		ret = -EBUSY;
	} else {
		devs[d->index] = NULL;
		dcd_destroy(dc, d->flags & DCD_STOP_NO_LOG);
	}
	mutex_unlock(&ctl_mutex);
	return ret;
}

/* Log the buffer and destage everything (dcdctl flush). */
int dcd_flush(struct dcd_ioc_dev *d)
{
	struct dcd_dev *dc;
	int ret;

	mutex_lock(&ctl_mutex);
	dc = d->index < DCD_MAX_DEVICES ? devs[d->index] : NULL;
	if (!dc) {
		ret = -ENODEV;
	} else if (d->flags) {
		ret = -EINVAL;
	} else {
		ret = dcd_log_sync(dc);
		if (!ret)
			ret = dcd_destage_all(dc);
	}
	mutex_unlock(&ctl_mutex);
	return ret;
}

int dcd_detail(u32 index, struct dcd_ioc_detail *d)
{
	int ret = 0;

	mutex_lock(&ctl_mutex);
	if (index >= DCD_MAX_DEVICES || !devs[index])
		ret = -ENODEV;
	else
		dcd_fill_detail(devs[index], d);
	mutex_unlock(&ctl_mutex);
	return ret;
}

static int __init dcd_init(void)
{
	int ret;

	dcd_major = register_blkdev(0, "dcd");
	if (dcd_major < 0)
		return dcd_major;
	ret = dcd_ctl_init();
	if (ret)
		unregister_blkdev(dcd_major, "dcd");
	return ret;
}

/* Devices that are not open do not pin the module: they are stopped here. */
static void __exit dcd_exit(void)
{
	unsigned int i;

	dcd_ctl_exit();
	mutex_lock(&ctl_mutex);
	for (i = 0; i < DCD_MAX_DEVICES; i++) {
		if (devs[i]) {
			dcd_destroy(devs[i], false);
			devs[i] = NULL;
		}
	}
	mutex_unlock(&ctl_mutex);
	unregister_blkdev(dcd_major, "dcd");
}

module_init(dcd_init);
module_exit(dcd_exit);
MODULE_DESCRIPTION("dcd: disk caching disk block device with a RAM buffer and a log on a cache disk");
MODULE_LICENSE("GPL");
