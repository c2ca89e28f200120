// SPDX-License-Identifier: GPL-2.0
/*
 * dcd: statistics and tunables, in sysfs under /sys/block/dcdN/dcd/ and in
 * the DETAIL ioctl.
 */
#include <linux/sysfs.h>
#include "dcd.h"

static u64 dcd_avg(atomic64_t *sum, atomic64_t *n)
{
	u64 c = atomic64_read(n);

	return c ? div64_u64(atomic64_read(sum), c) : 0;
}

void dcd_fill_detail(struct dcd_dev *dc, struct dcd_ioc_detail *d)
{
	struct dcd_stats *st = &dc->stats;
	unsigned int i;

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
	d->buffer_used_bytes = 0;
	for (i = 0; i < dc->nbufs; i++)
		d->buffer_used_bytes += (u64)dc->buf[i].n << DCD_BLOCK_SHIFT;
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
	d->write_lat_max_ns = atomic64_read(&st->write_lat_max_ns);
	d->room_waits = atomic64_read(&st->room_waits);
	d->room_wait_ns = dcd_avg(&st->room_wait_ns, &st->room_waits);
	d->room_wait_max_ns = atomic64_read(&st->room_wait_max_ns);
	d->destage_reads_busy = atomic64_read(&st->destage_reads_busy);
	d->bytes_buffered = atomic64_read(&st->bytes_buffered);
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
DCD_DETAIL_ATTR(write_lat_max_ns, write_lat_max_ns);
DCD_DETAIL_ATTR(room_waits, room_waits);
DCD_DETAIL_ATTR(room_wait_ns, room_wait_ns);
DCD_DETAIL_ATTR(room_wait_max_ns, room_wait_max_ns);
DCD_DETAIL_ATTR(destage_reads_busy, destage_reads_busy);
DCD_DETAIL_ATTR(bytes_buffered, bytes_buffered);

/* Counters only sysfs shows (struct dcd_ioc_detail has no room for them). */
#define DCD_STAT_ATTR(_name, _field)					\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)		\
			  atomic64_read(&dcd_from_dev(dev)->stats._field));	\
}									\
static DEVICE_ATTR_RO(_name)

DCD_STAT_ATTR(destage_yields, destage_yields);
DCD_STAT_ATTR(index_alloc_waits, index_alloc_waits);
DCD_STAT_ATTR(seg_write_ns, seg_write_ns);
DCD_STAT_ATTR(seg_write_max_ns, seg_write_max_ns);
DCD_STAT_ATTR(buffers_logged, buffers_logged);
DCD_STAT_ATTR(space_waits, space_waits);
DCD_STAT_ATTR(space_wait_ns, space_wait_ns);
DCD_STAT_ATTR(space_wait_max_ns, space_wait_max_ns);
DCD_STAT_ATTR(commit_holds, commit_holds);
DCD_STAT_ATTR(commit_hold_ns, commit_hold_ns);

/*
 * Writes by their time in the driver: one line per non-empty bucket,
 * "LOW_US HIGH_US COUNT" for [LOW_US, HIGH_US) (the first bucket starts at
 * 0, the last one holds everything above its low end).
 */
static ssize_t write_lat_histogram_show(struct device *dev,
					struct device_attribute *attr, char *buf)
{
	struct dcd_dev *dc = dcd_from_dev(dev);
	unsigned int k;
	int len = 0;

	for (k = 0; k < DCD_LAT_BUCKETS; k++) {
		u64 n = atomic64_read(&dc->stats.write_lat_hist[k]);

		if (n)
			len += sysfs_emit_at(buf, len, "%llu %llu %llu\n",
					     k ? 1ULL << k : 0ULL, 2ULL << k,
					     (unsigned long long)n);
	}
	return len;
}
static DEVICE_ATTR_RO(write_lat_histogram);

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

/* Tunables: u32 fields of the device, value ranges as for dcdctl create. */
struct dcd_tunable {
	struct device_attribute attr;
	size_t offset;			/* of the field in struct dcd_dev */
	u32 min, max;
};

static u32 *dcd_tunable_field(struct device *dev, struct device_attribute *attr)
{
	struct dcd_tunable *t = container_of(attr, struct dcd_tunable, attr);

	return (u32 *)((char *)dcd_from_dev(dev) + t->offset);
}

static ssize_t dcd_tunable_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(*dcd_tunable_field(dev, attr)));
}

static ssize_t dcd_tunable_store(struct device *dev, struct device_attribute *attr,
				 const char *buf, size_t len)
{
	struct dcd_tunable *t = container_of(attr, struct dcd_tunable, attr);
	u32 v;
	int ret = kstrtou32(buf, 0, &v);

	if (ret)
		return ret;
	if (v < t->min || v > t->max)
		return -EINVAL;
	WRITE_ONCE(*dcd_tunable_field(dev, attr), v);
	return len;
}

#define DCD_TUNABLE(_field, _min, _max)					\
static struct dcd_tunable dcd_tunable_##_field = {			\
	.attr = {							\
		.attr = { .name = #_field, .mode = 0644 },		\
		.show = dcd_tunable_show,				\
		.store = dcd_tunable_store,				\
	},								\
	.offset = offsetof(struct dcd_dev, _field),			\
	.min = _min,							\
	.max = _max,							\
}

DCD_TUNABLE(idle_ms, 0, DCD_IDLE_MS_MAX);
DCD_TUNABLE(max_age_ms, DCD_MAX_AGE_MS_MIN, DCD_MAX_AGE_MS_MAX);
DCD_TUNABLE(high_watermark, DCD_WATERMARK_MIN, DCD_WATERMARK_MAX);
DCD_TUNABLE(max_batch_us, 0, DCD_MAX_BATCH_US_MAX);

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
	&dev_attr_write_lat_max_ns.attr,
	&dev_attr_room_waits.attr,
	&dev_attr_room_wait_ns.attr,
	&dev_attr_room_wait_max_ns.attr,
	&dev_attr_destage_reads_busy.attr,
	&dev_attr_bytes_buffered.attr,
	&dev_attr_write_lat_histogram.attr,
	&dev_attr_destage_yields.attr,
	&dev_attr_buffers_logged.attr,
	&dev_attr_index_alloc_waits.attr,
	&dev_attr_seg_write_ns.attr,
	&dev_attr_seg_write_max_ns.attr,
	&dev_attr_space_waits.attr,
	&dev_attr_space_wait_ns.attr,
	&dev_attr_space_wait_max_ns.attr,
	&dev_attr_commit_holds.attr,
	&dev_attr_commit_hold_ns.attr,
	&dcd_tunable_idle_ms.attr.attr,
	&dcd_tunable_max_age_ms.attr.attr,
	&dcd_tunable_high_watermark.attr.attr,
	&dcd_tunable_max_batch_us.attr.attr,
	&dev_attr_bypass_bytes.attr,
	NULL,
};

static const struct attribute_group dcd_attr_group = {
	.name = "dcd",
	.attrs = dcd_attrs,
};

const struct attribute_group *dcd_attr_groups[] = {
	&dcd_attr_group,
	NULL,
};
