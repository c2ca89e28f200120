// SPDX-License-Identifier: GPL-2.0
/*
 * dcd: module, control device /dev/dcd-control, device setup and teardown,
 * sysfs statistics under /sys/block/dcdN/dcd/.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "dcd.h"

static int dcd_major;
/* ctl_mutex protects devs[]; taken before any lock of a device. */
static DEFINE_MUTEX(ctl_mutex);
static struct dcd_dev *devs[DCD_MAX_DEVICES];

static int dcd_open(struct block_device *bdev, fmode_t mode)
{
	struct dcd_dev *dc = bdev->bd_disk->private_data;

	return dcd_open_gate_enter(&dc->gate);
}

static void dcd_release(struct gendisk *disk, fmode_t mode)
{
	struct dcd_dev *dc = disk->private_data;

	dcd_open_gate_leave(&dc->gate);
}

static const struct block_device_operations dcd_fops = {
	.owner = THIS_MODULE,
	.submit_bio = dcd_submit_bio,
	.open = dcd_open,
	.release = dcd_release,
};

/* ---- statistics ---- */

static u64 dcd_avg(atomic64_t *sum, atomic64_t *n)
{
	u64 c = atomic64_read(n);

	return c ? div64_u64(atomic64_read(sum), c) : 0;
}

void dcd_fill_detail(struct dcd_dev *dc, struct dcd_ioc_detail *d)
{
	struct dcd_stats *st = &dc->stats;

	d->cache_major = MAJOR(dc->cache_bdev->bd_dev);
	d->cache_minor = MINOR(dc->cache_bdev->bd_dev);
	d->data_major = MAJOR(dc->data_bdev->bd_dev);
	d->data_minor = MINOR(dc->data_bdev->bd_dev);
	memcpy(d->uuid, dc->uuid, sizeof(d->uuid));
	d->size_bytes = dc->nr_blocks << DCD_BLOCK_SHIFT;
	d->buffer_bytes = dc->buffer_bytes;
	d->bypass_bytes = READ_ONCE(dc->bypass_bytes);
	d->mode = dc->mode;
	d->idle_ms = READ_ONCE(dc->idle_ms);
	d->max_age_ms = READ_ONCE(dc->max_age_ms);
	d->high_watermark = READ_ONCE(dc->high_watermark);
	d->log_bytes = dc->log_blocks << DCD_BLOCK_SHIFT;

	mutex_lock(&dc->lock);
	d->flags = (dc->unclean ? DCD_DETAIL_UNCLEAN : 0) |
		   (dc->failed ? DCD_DETAIL_FAILED : 0);
	d->log_used_bytes = dcd_log_used(dc) << DCD_BLOCK_SHIFT;
	d->buffer_used_bytes = (u64)(dc->active->n +
				     (dc->flushing ? dc->flushing->n : 0)) << DCD_BLOCK_SHIFT;
	d->dirty_bytes = (dc->buf_entries + dc->log_entries) << DCD_BLOCK_SHIFT;
	d->head_seq = dc->next_seq;
	d->tail_seq = dc->tail_seq;
	mutex_unlock(&dc->lock);

	d->segments_written = atomic64_read(&st->segments_written);
	d->log_bytes_written = atomic64_read(&st->log_bytes_written);
	d->bytes_destaged = atomic64_read(&st->bytes_destaged);
	d->destage_runs = atomic64_read(&st->destage_runs);
	d->idle_periods = atomic64_read(&st->idle_periods);
	d->read_hits_buffer = atomic64_read(&st->read_hits_buffer);
	d->read_hits_log = atomic64_read(&st->read_hits_log);
	d->read_hits_data = atomic64_read(&st->read_hits_data);
	d->writes = atomic64_read(&st->writes);
	d->bypass_writes = atomic64_read(&st->bypass_writes);
	d->flushes = atomic64_read(&st->flushes);
	d->write_lat_ns = dcd_avg(&st->write_lat_ns, &st->writes);
	d->flush_lat_ns = dcd_avg(&st->flush_lat_ns, &st->flushes);
	d->paced_writes = atomic64_read(&st->paced_writes);
	d->pace_wait_ns = dcd_avg(&st->paced_ns, &st->paced_writes);
}

static struct dcd_dev *dcd_from_dev(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

#define DCD_DETAIL_ATTR(_name, _field)					\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct dcd_ioc_detail d = {};					\
									\
	dcd_fill_detail(dcd_from_dev(dev), &d);				\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)d._field);	\
}									\
static DEVICE_ATTR_RO(_name)

DCD_DETAIL_ATTR(buffer_bytes, buffer_bytes);
DCD_DETAIL_ATTR(buffer_used_bytes, buffer_used_bytes);
DCD_DETAIL_ATTR(log_bytes, log_bytes);
DCD_DETAIL_ATTR(log_used_bytes, log_used_bytes);
DCD_DETAIL_ATTR(dirty_bytes, dirty_bytes);
DCD_DETAIL_ATTR(head_seq, head_seq);
DCD_DETAIL_ATTR(tail_seq, tail_seq);
DCD_DETAIL_ATTR(segments_written, segments_written);
DCD_DETAIL_ATTR(log_bytes_written, log_bytes_written);
DCD_DETAIL_ATTR(bytes_destaged, bytes_destaged);
DCD_DETAIL_ATTR(destage_runs, destage_runs);
DCD_DETAIL_ATTR(idle_periods, idle_periods);
DCD_DETAIL_ATTR(read_hits_buffer, read_hits_buffer);
DCD_DETAIL_ATTR(read_hits_log, read_hits_log);
DCD_DETAIL_ATTR(paced_writes, paced_writes);
DCD_DETAIL_ATTR(pace_wait_ns, pace_wait_ns);
DCD_DETAIL_ATTR(read_hits_data, read_hits_data);
DCD_DETAIL_ATTR(writes, writes);
DCD_DETAIL_ATTR(bypass_writes, bypass_writes);
DCD_DETAIL_ATTR(flushes, flushes);
DCD_DETAIL_ATTR(write_lat_ns, write_lat_ns);
DCD_DETAIL_ATTR(flush_lat_ns, flush_lat_ns);

static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", dcd_from_dev(dev)->mode == DCD_MODE_NVRAM ?
			  "nvram" : "safe");
}
static DEVICE_ATTR_RO(mode);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct dcd_dev *dc = dcd_from_dev(dev);

	if (READ_ONCE(dc->failed))
		return sysfs_emit(buf, "failed\n");
	return sysfs_emit(buf, "%s\n", dc->unclean ? "unclean-start" : "clean");
}
static DEVICE_ATTR_RO(state);

/* Tunables: value ranges as for dcdctl create. */
static ssize_t dcd_store_u32(struct device *dev, const char *buf, size_t len,
			     u32 *p, u32 min, u32 max)
{
	u32 v;
	int ret = kstrtou32(buf, 0, &v);

	if (ret)
		return ret;
	if (v < min || v > max)
		return -EINVAL;
	WRITE_ONCE(*p, v);
	return len;
}

static ssize_t idle_ms_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dcd_from_dev(dev)->idle_ms));
}

static ssize_t idle_ms_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t len)
{
	return dcd_store_u32(dev, buf, len, &dcd_from_dev(dev)->idle_ms, 0,
			     DCD_IDLE_MS_MAX);
}
static DEVICE_ATTR_RW(idle_ms);

static ssize_t max_age_ms_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dcd_from_dev(dev)->max_age_ms));
}

static ssize_t max_age_ms_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t len)
{
	return dcd_store_u32(dev, buf, len, &dcd_from_dev(dev)->max_age_ms,
			     DCD_MAX_AGE_MS_MIN, DCD_MAX_AGE_MS_MAX);
}
static DEVICE_ATTR_RW(max_age_ms);

static ssize_t high_watermark_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(dcd_from_dev(dev)->high_watermark));
}

static ssize_t high_watermark_store(struct device *dev,
				    struct device_attribute *attr,
				    const char *buf, size_t len)
{
	return dcd_store_u32(dev, buf, len, &dcd_from_dev(dev)->high_watermark,
			     DCD_WATERMARK_MIN, DCD_WATERMARK_MAX);
}
static DEVICE_ATTR_RW(high_watermark);

/* 0: never bypass the buffer */
static ssize_t bypass_bytes_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  READ_ONCE(dcd_from_dev(dev)->bypass_bytes));
}

static ssize_t bypass_bytes_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t len)
{
	u64 v;
	int ret = kstrtou64(buf, 0, &v);

	if (ret)
		return ret;
	if (v && v < DCD_BLOCK_SIZE)
		return -EINVAL;
	WRITE_ONCE(dcd_from_dev(dev)->bypass_bytes, v);
	return len;
}
static DEVICE_ATTR_RW(bypass_bytes);

static struct attribute *dcd_attrs[] = {
	&dev_attr_mode.attr,
	&dev_attr_state.attr,
	&dev_attr_buffer_bytes.attr,
	&dev_attr_buffer_used_bytes.attr,
	&dev_attr_log_bytes.attr,
	&dev_attr_log_used_bytes.attr,
	&dev_attr_dirty_bytes.attr,
	&dev_attr_head_seq.attr,
	&dev_attr_tail_seq.attr,
	&dev_attr_segments_written.attr,
	&dev_attr_log_bytes_written.attr,
	&dev_attr_bytes_destaged.attr,
	&dev_attr_destage_runs.attr,
	&dev_attr_idle_periods.attr,
	&dev_attr_read_hits_buffer.attr,
	&dev_attr_read_hits_log.attr,
	&dev_attr_read_hits_data.attr,
	&dev_attr_writes.attr,
	&dev_attr_bypass_writes.attr,
	&dev_attr_flushes.attr,
	&dev_attr_write_lat_ns.attr,
	&dev_attr_flush_lat_ns.attr,
	&dev_attr_paced_writes.attr,
	&dev_attr_pace_wait_ns.attr,
	&dev_attr_idle_ms.attr,
	&dev_attr_max_age_ms.attr,
	&dev_attr_high_watermark.attr,
	&dev_attr_bypass_bytes.attr,
	NULL,
};

static const struct attribute_group dcd_attr_group = {
	.name = "dcd",
	.attrs = dcd_attrs,
};

static const struct attribute_group *dcd_attr_groups[] = {
	&dcd_attr_group,
	NULL,
};

/* ---- setup and teardown ---- */

static void dcd_free_pages(struct page **pages, unsigned int n)
{
	unsigned int i;

	if (!pages)
		return;
	for (i = 0; i < n; i++)
		if (pages[i])
			__free_page(pages[i]);
	kvfree(pages);
}

static struct page **dcd_alloc_pages(unsigned int n)
{
	struct page **pages = kvcalloc(n, sizeof(*pages), GFP_KERNEL);
	unsigned int i;

	if (!pages)
		return NULL;
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i]) {
			dcd_free_pages(pages, n);
			return NULL;
		}
	}
	return pages;
}

static void dcd_free(struct dcd_dev *dc)
{
	struct dcd_seg *seg, *tmp;
	unsigned int i;

	list_for_each_entry_safe(seg, tmp, &dc->segs, list)
		kfree(seg);
	xa_destroy(&dc->map);
	for (i = 0; i < 2; i++) {
		dcd_free_pages(dc->buf[i].pages, dc->slots);
		kvfree(dc->buf[i].lba);
		kvfree(dc->buf[i].disc);
	}
	dcd_free_pages(dc->dpages, DCD_DESTAGE_BLOCKS);
	kvfree(dc->dlba);
	kvfree(dc->dpos);
	vfree(dc->hdr);
	kvfree(dc->segpages);
	if (dc->sb)
		free_page((unsigned long)dc->sb);
	if (dc->wq)
		destroy_workqueue(dc->wq);
	if (dc->dwq)
		destroy_workqueue(dc->dwq);
	bioset_exit(&dc->bs);
	if (dc->cache_bdev)
		blkdev_put(dc->cache_bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	if (dc->data_bdev)
		blkdev_put(dc->data_bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	kfree(dc);
}

static int dcd_alloc(struct dcd_dev *dc)
{
	unsigned int i;

	dc->slots = dc->buffer_bytes / 2 / DCD_BLOCK_SIZE;
	dc->max_disc = max_t(unsigned int, dc->slots, 16);
	dc->hdr_max_blocks = DIV_ROUND_UP(sizeof(struct dcd_seg_hdr) +
					  (size_t)(dc->slots + dc->max_disc) *
					  sizeof(struct dcd_seg_ext), DCD_BLOCK_SIZE);
	for (i = 0; i < 2; i++) {
		struct dcd_buf *b = &dc->buf[i];

		b->idx = i;
		b->pages = dcd_alloc_pages(dc->slots);
		b->lba = kvcalloc(dc->slots, sizeof(*b->lba), GFP_KERNEL);
		b->disc = kvcalloc(dc->max_disc, sizeof(*b->disc), GFP_KERNEL);
		if (!b->pages || !b->lba || !b->disc)
			return -ENOMEM;
	}
	dc->active = &dc->buf[0];
	dc->dpages = dcd_alloc_pages(DCD_DESTAGE_BLOCKS);
	dc->dlba = kvcalloc(DCD_DESTAGE_BLOCKS, sizeof(u64), GFP_KERNEL);
	dc->dpos = kvcalloc(DCD_DESTAGE_BLOCKS, sizeof(u64), GFP_KERNEL);
	dc->hdr = vzalloc((size_t)dc->hdr_max_blocks << DCD_BLOCK_SHIFT);
	dc->segpages = kvcalloc(dc->hdr_max_blocks + dc->slots, sizeof(*dc->segpages),
				GFP_KERNEL);
	if (!dc->dpages || !dc->dlba || !dc->dpos || !dc->hdr || !dc->segpages)
		return -ENOMEM;
	return 0;
}

static struct block_device *dcd_open_leg(struct dcd_dev *dc, u32 major,
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

static int dcd_check_params(struct dcd_ioc_create *c, char *err)
{
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
	blk_queue_max_hw_sectors(q, 8192);
	if (bdev_max_discard_sectors(dc->data_bdev)) {
		blk_queue_max_discard_sectors(q, UINT_MAX >> SECTOR_SHIFT);
		q->limits.discard_granularity = DCD_BLOCK_SIZE;
	}
	if (bdev_write_zeroes_sectors(dc->data_bdev))
		blk_queue_max_write_zeroes_sectors(q, UINT_MAX >> SECTOR_SHIFT);
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

static int dcd_create(struct dcd_ioc_create *c)
{
	bool format = c->flags & DCD_CREATE_FORMAT;
	char *err = c->error;
	struct dcd_dev *dc;
	struct page *sbp;
	int ret;

	if (c->index >= DCD_MAX_DEVICES) {
		snprintf(err, DCD_ERROR_LEN, "device number %u is above %u", c->index,
			 DCD_MAX_DEVICES - 1);
		return -EINVAL;
	}
	if (format) {
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
		ret = dcd_check_params(c, err);
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

	dc = kzalloc(sizeof(*dc), GFP_KERNEL);
	if (!dc)
		return -ENOMEM;
	dc->index = c->index;
	mutex_init(&dc->lock);
	mutex_init(&dc->destage_mutex);
	mutex_init(&dc->sb_mutex);
	xa_init(&dc->map);
	INIT_LIST_HEAD(&dc->segs);
	dc->seg_tree = RB_ROOT;
	bio_list_init(&dc->waiters_active);
	bio_list_init(&dc->waiters_flushing);
	bio_list_init(&dc->waiters_now);
	init_waitqueue_head(&dc->wq_head);
	dcd_open_gate_init(&dc->gate);
	spin_lock_init(&dc->pace_lock);
	INIT_WORK(&dc->log_work, dcd_log_work);
	INIT_DELAYED_WORK(&dc->kick_work, dcd_kick_work);
	INIT_DELAYED_WORK(&dc->destage_work, dcd_destage_work);
	dc->last_write = jiffies;
	dc->last_data_io = jiffies;

	ret = bioset_init(&dc->bs, BIO_POOL_SIZE, offsetof(struct dcd_rio, bio),
			  BIOSET_NEED_RESCUER);
	if (ret)
		goto out_free;
	dc->wq = alloc_workqueue("dcd%u", WQ_MEM_RECLAIM | WQ_UNBOUND, 2, c->index);
	dc->dwq = alloc_workqueue("dcd%u_destage", WQ_MEM_RECLAIM | WQ_UNBOUND, 1,
				  c->index);
	sbp = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!dc->wq || !dc->dwq || !sbp) {
		if (sbp)
			__free_page(sbp);
		ret = -ENOMEM;
		goto out_free;
	}
	dc->sb = page_address(sbp);

	dc->cache_bdev = dcd_open_leg(dc, c->cache_major, c->cache_minor, "cache", err);
	if (IS_ERR(dc->cache_bdev)) {
		ret = PTR_ERR(dc->cache_bdev);
		dc->cache_bdev = NULL;
		goto out_free;
	}
	dc->data_bdev = dcd_open_leg(dc, c->data_major, c->data_minor, "data", err);
	if (IS_ERR(dc->data_bdev)) {
		ret = PTR_ERR(dc->data_bdev);
		dc->data_bdev = NULL;
		goto out_free;
	}
	if (bdev_whole(dc->cache_bdev) == bdev_whole(dc->data_bdev))
		pr_warn("dcd%u: cache and data disk are on the same disk\n", c->index);

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
	dc->nr_blocks = dc->data_sectors / DCD_SECT_PER_BLOCK;
	if (!dc->nr_blocks) {
		snprintf(err, DCD_ERROR_LEN, "data disk is smaller than 4096 bytes");
		ret = -EINVAL;
		goto out_free;
	}
	ret = dcd_alloc(dc);
	if (ret) {
		snprintf(err, DCD_ERROR_LEN, "out of memory for a %llu KiB buffer",
			 dc->buffer_bytes >> 10);
		goto out_free;
	}
	if (format) {
		ret = dcd_format(dc, err);
	} else {
		ret = dcd_recover(dc, c->flags & DCD_CREATE_FORCE, err);
		if (!ret) {
			if (dc->unclean) {
				dc->unclean_starts++;
				if (dc->mode == DCD_MODE_NVRAM)
					pr_warn("dcd%u: unclean restart in nvram mode: the RAM buffer was lost\n",
						dc->index);
				else
					pr_info("dcd%u: unclean restart; writes after the last completed flush may be lost\n",
						dc->index);
			}
			ret = dcd_write_sb(dc, DCD_STATE_ACTIVE);
			if (ret)
				snprintf(err, DCD_ERROR_LEN,
					 "cannot write the superblock: error %d", ret);
		}
	}
	if (ret)
		goto out_free;

	ret = dcd_add_disk(dc);
	if (ret) {
		snprintf(err, DCD_ERROR_LEN, "cannot add the disk: error %d", ret);
		goto out_free;
	}
	devs[c->index] = dc;
	pr_info("dcd%u: %s, cache %pg, data %pg, %s mode, %llu KiB buffer, %llu KiB log\n",
		dc->index, format ? "created" : "assembled", dc->cache_bdev, dc->data_bdev,
		dc->mode == DCD_MODE_NVRAM ? "nvram" : "safe", dc->buffer_bytes >> 10,
		dc->log_blocks * (DCD_BLOCK_SIZE >> 10));
	if (dc->log_entries)
		dcd_destage_kick(dc, false);
	return 0;

out_free:
	dcd_free(dc);
	return ret;
}

static void dcd_destroy(struct dcd_dev *dc, bool no_log)
{
	int ret = 0;

	del_gendisk(dc->disk);
	if (no_log) {
		mutex_lock(&dc->lock);
		dc->dying = true;
		mutex_unlock(&dc->lock);
	} else {
		ret = dcd_log_sync(dc);
	}
	cancel_delayed_work_sync(&dc->kick_work);
	flush_work(&dc->log_work);
	mutex_lock(&dc->lock);
	dc->dying = true;
	mutex_unlock(&dc->lock);
	cancel_delayed_work_sync(&dc->kick_work);
	cancel_delayed_work_sync(&dc->destage_work);
	flush_workqueue(dc->wq);
	flush_workqueue(dc->dwq);

	/* nothing is open: no flush can be waiting, but be sure */
	dcd_end_all_waiters(dc);
	/* what bypassed the buffer, too */
	if (!no_log && !ret && !dc->failed)
		ret = blkdev_issue_flush(dc->data_bdev);
	if (!no_log && !ret && !dc->failed) {
		dc->clean_stops++;
		ret = dcd_write_sb(dc, DCD_STATE_CLEAN);
		if (ret)
			pr_err("dcd%u: superblock write at stop failed (error %d)\n",
			       dc->index, ret);
	}
	pr_info("dcd%u: stopped%s\n", dc->index,
		no_log ? " without logging the buffer" : ret ? " uncleanly" : "");
	put_disk(dc->disk);
	dcd_free(dc);
}

static int dcd_stop(struct dcd_ioc_dev *d)
{
	struct dcd_dev *dc;

	if (d->index >= DCD_MAX_DEVICES || !devs[d->index])
		return -ENODEV;
	if (d->flags & ~DCD_STOP_NO_LOG)
		return -EINVAL;
	dc = devs[d->index];
	if (dcd_open_gate_close(&dc->gate)) {
		pr_err("dcd%u: cannot stop: device is open\n", dc->index);
		return -EBUSY;
	}
	devs[d->index] = NULL;
	dcd_destroy(dc, d->flags & DCD_STOP_NO_LOG);
	return 0;
}

static bool dcd_reserved_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static long dcd_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	long ret;

	switch (cmd) {
	case DCD_IOC_CREATE: {
		struct dcd_ioc_create *c = kzalloc(sizeof(*c), GFP_KERNEL);

		if (!c)
			return -ENOMEM;
		if (copy_from_user(c, argp, sizeof(*c))) {
			kfree(c);
			return -EFAULT;
		}
		if (c->version != DCD_IOCTL_VERSION || c->size != sizeof(*c) ||
		    !dcd_reserved_zero(c->reserved, sizeof(c->reserved)) ||
		    (c->flags & ~(DCD_CREATE_FORMAT | DCD_CREATE_FORCE))) {
			kfree(c);
			return -EINVAL;
		}
		memset(c->error, 0, sizeof(c->error));
		mutex_lock(&ctl_mutex);
		ret = dcd_create(c);
		mutex_unlock(&ctl_mutex);
		if (ret) {
			c->error[DCD_ERROR_LEN - 1] = 0;
			if (c->error[0])
				pr_err("dcd%u: %s\n", c->index, c->error);
			if (copy_to_user(argp, c, sizeof(*c)))
				ret = -EFAULT;
		}
		kfree(c);
		return ret;
	}
	case DCD_IOC_STOP:
	case DCD_IOC_FLUSH: {
		struct dcd_ioc_dev d;

		if (copy_from_user(&d, argp, sizeof(d)))
			return -EFAULT;
		if (d.version != DCD_IOCTL_VERSION || d.size != sizeof(d) ||
		    !dcd_reserved_zero(d.reserved, sizeof(d.reserved)))
			return -EINVAL;
		mutex_lock(&ctl_mutex);
		if (cmd == DCD_IOC_STOP) {
			ret = dcd_stop(&d);
		} else if (d.index >= DCD_MAX_DEVICES || !devs[d.index]) {
			ret = -ENODEV;
		} else if (d.flags) {
			ret = -EINVAL;
		} else {
			struct dcd_dev *dc = devs[d.index];

			ret = dcd_log_sync(dc);
			if (!ret)
				ret = dcd_destage_all(dc);
		}
		mutex_unlock(&ctl_mutex);
		return ret;
	}
	case DCD_IOC_DETAIL: {
		struct dcd_ioc_detail *d = kzalloc(sizeof(*d), GFP_KERNEL);
		u32 index;

		if (!d)
			return -ENOMEM;
		if (copy_from_user(d, argp, sizeof(*d))) {
			kfree(d);
			return -EFAULT;
		}
		if (d->version != DCD_IOCTL_VERSION || d->size != sizeof(*d)) {
			kfree(d);
			return -EINVAL;
		}
		index = d->index;
		memset(d, 0, sizeof(*d));
		d->version = DCD_IOCTL_VERSION;
		d->size = sizeof(*d);
		d->index = index;
		mutex_lock(&ctl_mutex);
		if (index >= DCD_MAX_DEVICES || !devs[index]) {
			ret = -ENODEV;
		} else {
			dcd_fill_detail(devs[index], d);
			ret = 0;
		}
		mutex_unlock(&ctl_mutex);
		if (!ret && copy_to_user(argp, d, sizeof(*d)))
			ret = -EFAULT;
		kfree(d);
		return ret;
	}
	default:
		return -ENOTTY;
	}
}

static const struct file_operations dcd_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = dcd_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice dcd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = DCD_CONTROL_NAME,
	.fops = &dcd_ctl_fops,
};

static int __init dcd_init(void)
{
	int ret;

	dcd_major = register_blkdev(0, "dcd");
	if (dcd_major < 0)
		return dcd_major;
	ret = misc_register(&dcd_misc);
	if (ret)
		unregister_blkdev(dcd_major, "dcd");
	return ret;
}

static void __exit dcd_exit(void)
{
	unsigned int i;

	misc_deregister(&dcd_misc);
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
