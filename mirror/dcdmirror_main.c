// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror: a bio-based RAID1 of a local and a remote block device
 * (/dev/dcdmirrorN), driven through /dev/dcdmirror-control.
 */
#define pr_fmt(fmt) "dcdmirror: " fmt

#include <linux/blkdev.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include <dcdmirror/mirror_format.h>

#include "dcdmirror.h"

/* Exclusive opens of the legs: the holder is the array. */
#define DCDMIRROR_LEG_MODE	(FMODE_READ | FMODE_WRITE | FMODE_EXCL)

/* serializes create/stop/info and protects the device list */
DEFINE_MUTEX(dcdmirror_devices_lock);
LIST_HEAD(dcdmirror_devices);

static int dcdmirror_major;

/* WAIT sleepers: woken, with gen moved, when a resync ends or an array stops */
static DECLARE_WAIT_QUEUE_HEAD(dcdmirror_resync_waitq);
static atomic_t dcdmirror_resync_gen = ATOMIC_INIT(0);

void dcdmirror_resync_done(void)
{
	atomic_inc(&dcdmirror_resync_gen);
	wake_up_all(&dcdmirror_resync_waitq);
}

static const char *const dcdmirror_mode_names[] = {
	[DCDMIRROR_MODE_SYNC] = "sync",
	[DCDMIRROR_MODE_ASYNC] = "async",
};

/* Called with dcdmirror_devices_lock held. */
struct dcdmirror *dcdmirror_find(unsigned int index)
{
	struct dcdmirror *m;

	lockdep_assert_held(&dcdmirror_devices_lock);
	list_for_each_entry(m, &dcdmirror_devices, node)
		if (m->index == index)
			return m;
	return NULL;
}

static int dcdmirror_open(struct block_device *bdev, fmode_t mode)
{
	struct dcdmirror *m = bdev->bd_disk->private_data;

	return dcd_open_gate_enter(&m->gate);
}

static void dcdmirror_release(struct gendisk *disk, fmode_t mode)
{
	struct dcdmirror *m = disk->private_data;

	dcd_open_gate_leave(&m->gate);
}

static const struct block_device_operations dcdmirror_fops = {
	.owner = THIS_MODULE,
	.submit_bio = dcdmirror_submit_bio,
	.open = dcdmirror_open,
	.release = dcdmirror_release,
};

unsigned int dcdmirror_leg_state(struct dcdmirror_leg *leg)
{
	if (!leg->bdev)
		return DCDMIRROR_LEG_MISSING;
	if (test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags))
		return DCDMIRROR_LEG_FAULTY;
	if (test_bit(DCDMIRROR_LEG_REBUILDING_BIT, &leg->flags))
		return DCDMIRROR_LEG_REBUILDING;
	return DCDMIRROR_LEG_IN_SYNC;
}

static const char *const dcdmirror_leg_state_names[] = {
	[DCDMIRROR_LEG_IN_SYNC] = "in_sync",
	[DCDMIRROR_LEG_FAULTY] = "faulty",
	[DCDMIRROR_LEG_MISSING] = "missing",
	[DCDMIRROR_LEG_REBUILDING] = "rebuilding",
};

bool dcdmirror_degraded(struct dcdmirror *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++)
		if (dcdmirror_leg_state(&m->legs[i]) != DCDMIRROR_LEG_IN_SYNC)
			return true;
	return false;
}

/* sysfs: /sys/block/dcdmirrorN/dcdmirror/ */

static struct dcdmirror *dev_to_dcdmirror(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  dcdmirror_mode_names[READ_ONCE(dev_to_dcdmirror(dev)->mode)]);
}

void dcdmirror_set_mode(struct dcdmirror *m, unsigned int mode)
{
	if (READ_ONCE(m->mode) == mode)
		return;
	/* writes already accepted keep the mode they saw */
	WRITE_ONCE(m->mode, mode);
	pr_info("dcdmirror%u: mode %s\n", m->index, dcdmirror_mode_names[mode]);
}

static ssize_t mode_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t len)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	int mode = sysfs_match_string(dcdmirror_mode_names, buf);

	if (mode < 0) {
		pr_err("dcdmirror%u: mode must be sync or async\n", m->index);
		return -EINVAL;
	}
	dcdmirror_set_mode(m, mode);
	return len;
}
static DEVICE_ATTR_RW(mode);

/* "KIB MS": the async lag bound, in bytes and in age of the oldest write */
static ssize_t max_lag_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);

	return sysfs_emit(buf, "%u %u\n", READ_ONCE(m->max_lag_kib),
			  READ_ONCE(m->max_lag_ms));
}

static ssize_t max_lag_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t len)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	unsigned int kib, ms;

	if (sscanf(buf, "%u %u", &kib, &ms) != 2 || !kib || !ms ||
	    kib > DCDMIRROR_MAX_LAG_KIB_MAX || ms > DCDMIRROR_MAX_LAG_MS_MAX) {
		pr_err("dcdmirror%u: max_lag takes \"KIB MS\" (1..%u KiB, 1..%u ms)\n",
		       m->index, DCDMIRROR_MAX_LAG_KIB_MAX, DCDMIRROR_MAX_LAG_MS_MAX);
		return -EINVAL;
	}
	WRITE_ONCE(m->max_lag_kib, kib);
	WRITE_ONCE(m->max_lag_ms, ms);
	wake_up_all(&m->async_wait);
	return len;
}
static DEVICE_ATTR_RW(max_lag);

static const char *const dcdmirror_async_flush_names[] = { "both", "local" };

/* what a flush waits for in async mode: "both" legs, or the "local" one */
static ssize_t async_flush_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);

	return sysfs_emit(buf, "%s\n", dcdmirror_async_flush_names
			  [!!(READ_ONCE(m->async_flags) & DCDMIRROR_ASYNC_FLUSH_LOCAL)]);
}

static ssize_t async_flush_store(struct device *dev, struct device_attribute *attr,
				 const char *buf, size_t len)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	int v = sysfs_match_string(dcdmirror_async_flush_names, buf);

	if (v < 0) {
		pr_err("dcdmirror%u: async_flush must be both or local\n", m->index);
		return -EINVAL;
	}
	WRITE_ONCE(m->async_flags, v ? DCDMIRROR_ASYNC_FLUSH_LOCAL : 0);
	return len;
}
static DEVICE_ATTR_RW(async_flush);

/*
 * "bytes=B max_bytes=M oldest_us=U remote_inflight_bytes=R writes=W
 * behind=N flush_waits=F": the async lag (bytes accepted, not yet on the
 * remote leg), its high-water mark, the age of the oldest such write, the
 * bytes out at the remote leg, async writes accepted, of them completed
 * before the remote leg had them, and flushes that waited for the remote.
 */
static ssize_t lag_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	u64 lag, lag_max, oldest, writes, behind, waits, remote = 0;
	unsigned int i;

	dcdmirror_async_stats(m, &lag, &lag_max, &oldest);
	spin_lock_irq(&m->async_lock);
	writes = m->async_writes;
	behind = m->behind_writes;
	waits = m->flush_waits;
	spin_unlock_irq(&m->async_lock);
	for (i = 0; i < m->nr_legs; i++)
		if (m->legs[i].role == DCDMIRROR_ROLE_REMOTE)
			remote += atomic64_read(&m->legs[i].stats.inflight_bytes);
	return sysfs_emit(buf,
			  "bytes=%llu max_bytes=%llu oldest_us=%llu remote_inflight_bytes=%llu writes=%llu behind=%llu flush_waits=%llu\n",
			  lag, lag_max, oldest, remote, writes, behind, waits);
}
static DEVICE_ATTR_RO(lag);

/*
 * "requests=N merged=M": remote requests sent by async mode's batching, and
 * the writes merged into another's request (M writes fewer requests).
 */
static ssize_t coalesce_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	u64 reqs, merged = 0;
	unsigned int i;

	spin_lock_irq(&m->async_lock);
	reqs = m->sent_requests;
	spin_unlock_irq(&m->async_lock);
	for (i = 0; i < m->nr_legs; i++)
		merged += atomic64_read(&m->legs[i].stats.merged);
	return sysfs_emit(buf, "requests=%llu merged=%llu\n", reqs, merged);
}
static DEVICE_ATTR_RO(coalesce);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);

	return sysfs_emit(buf, "%s%s%s\n",
			  atomic_read(&m->inflight) ? "active" : "clean",
			  dcdmirror_degraded(m) ? ", degraded" : "",
			  dcdmirror_resync_active(m) ? ", resyncing" : "");
}
static DEVICE_ATTR_RO(state);

static ssize_t resync_rate_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dev_to_dcdmirror(dev)->resync_rate));
}

static ssize_t resync_rate_store(struct device *dev, struct device_attribute *attr,
				 const char *buf, size_t len)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	unsigned int rate;
	int ret;

	ret = kstrtouint(buf, 10, &rate);
	if (ret)
		return ret;
	if (rate < DCDMIRROR_RESYNC_RATE_MIN || rate > DCDMIRROR_RESYNC_RATE_MAX) {
		pr_err("dcdmirror%u: resync_rate %u out of range (%u..%u KiB/s)\n",
		       m->index, rate, DCDMIRROR_RESYNC_RATE_MIN, DCDMIRROR_RESYNC_RATE_MAX);
		return -EINVAL;
	}
	WRITE_ONCE(m->resync_rate, rate);
	dcdmirror_resync_kick(m);
	return len;
}
static DEVICE_ATTR_RW(resync_rate);

/*
 * "STATE leg=N chunks=DONE/TOTAL bytes=B speed=KiB/s eta=s barrier_waits=W
 * start=S pos=P checkpoint=C checkpoints=K": the resync running, or the
 * last one (W: writes that waited for a chunk being copied or a read
 * error's rewrite, since the array started; S: the chunk it started or
 * resumed at, P: the chunk it is at, C: the one the superblocks record,
 * K: checkpoints written); "none" if there was none.
 */
static ssize_t resync_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	struct dcdmirror_resync_stats rs;
	u64 speed, eta, waits, ckpt;

	dcdmirror_resync_progress(m, &rs, &speed, &eta);
	if (!rs.started)
		return sysfs_emit(buf, "%s\n",
				  dcdmirror_resync_active(m) ? "pending" : "none");
	spin_lock_irq(&m->bm.lock);
	waits = m->bm.barrier_waits;
	spin_unlock_irq(&m->bm.lock);
	mutex_lock(&m->sb_lock);
	ckpt = m->resync_ckpt;
	mutex_unlock(&m->sb_lock);
	return sysfs_emit(buf,
			  "%s leg=%u chunks=%llu/%llu bytes=%llu speed=%llu eta=%llu barrier_waits=%llu start=%llu pos=%llu checkpoint=%llu checkpoints=%llu\n",
			  !rs.end ? "running" : m->resync_failed ? "failed" : "done",
			  rs.leg, rs.chunks, rs.total, rs.bytes, speed, eta, waits,
			  rs.start_chunk, rs.pos, ckpt, rs.checkpoints);
}
static DEVICE_ATTR_RO(resync);

/*
 * "CHUNK_BYTES CHUNKS DIRTY DEFERRED OWED": DEFERRED counts the bitmap
 * writes async mode did not wait for on the remote leg, OWED the blocks
 * the remote leg has yet to get.
 */
static ssize_t bitmap_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	u64 deferred, owed;

	spin_lock_irq(&m->bm.lock);
	deferred = m->bm.lazy_writes;
	owed = bitmap_weight(m->bm.lazy_blocks, 256);
	spin_unlock_irq(&m->bm.lock);
	return sysfs_emit(buf, "%u %llu %llu %llu %llu\n", 512U << m->bm.chunk_shift,
			  m->bm.chunks, dcdmirror_bitmap_weight(m), deferred, owed);
}
static DEVICE_ATTR_RO(bitmap);

static u64 dcdmirror_lat_avg_us(struct dcdmirror_leg *leg)
{
	u64 n = atomic64_read(&leg->stats.lat_count);

	return n ? div64_u64(atomic64_read(&leg->stats.lat_ns), n) / 1000 : 0;
}

/* One line per leg: "INDEX AVG_US MAX_US" of its bios' completion times. */
static ssize_t latency_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	unsigned int i;
	int len = 0;

	for (i = 0; i < m->nr_legs; i++)
		len += sysfs_emit_at(buf, len, "%u %llu %llu\n", i,
				     dcdmirror_lat_avg_us(&m->legs[i]),
				     atomic64_read(&m->legs[i].stats.lat_max_ns) / 1000);
	return len;
}
static DEVICE_ATTR_RO(latency);

/* One line per leg: "INDEX ROLE NAME MAJOR:MINOR STATE". */
static ssize_t legs_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	unsigned int i;
	int len = 0;

	/* a leg's device may be released meanwhile: cfg_lock keeps it */
	mutex_lock(&m->cfg_lock);
	for (i = 0; i < m->nr_legs; i++) {
		struct dcdmirror_leg *leg = &m->legs[i];
		const char *state = dcdmirror_leg_state_names[dcdmirror_leg_state(leg)];

		if (leg->bdev)
			len += sysfs_emit_at(buf, len, "%u %s %pg %u:%u %s\n", i,
					     dcdmirror_role_name(leg), leg->bdev,
					     MAJOR(leg->dev), MINOR(leg->dev), state);
		else
			len += sysfs_emit_at(buf, len, "%u %s - 0:0 %s\n", i,
					     dcdmirror_role_name(leg), state);
	}
	mutex_unlock(&m->cfg_lock);
	return len;
}
static DEVICE_ATTR_RO(legs);

/* a leg with more read errors than this (halved each hour) is failed */
static ssize_t max_read_errors_show(struct device *dev, struct device_attribute *attr,
				    char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dev_to_dcdmirror(dev)->max_read_errors));
}

static ssize_t max_read_errors_store(struct device *dev, struct device_attribute *attr,
				     const char *buf, size_t len)
{
	unsigned int n;
	int ret;

	ret = kstrtouint(buf, 10, &n);
	if (ret)
		return ret;
	WRITE_ONCE(dev_to_dcdmirror(dev)->max_read_errors, n);
	return len;
}
static DEVICE_ATTR_RW(max_read_errors);

/*
 * One line per leg: "INDEX CORRECTED SECTORS RECENT": read errors
 * corrected by a rewrite, the sectors rewritten, and the read errors
 * counted against max_read_errors.
 */
static ssize_t read_errors_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	unsigned int i;
	int len = 0;

	for (i = 0; i < m->nr_legs; i++)
		len += sysfs_emit_at(buf, len, "%u %llu %llu %u\n", i,
				     atomic64_read(&m->legs[i].stats.corrected),
				     atomic64_read(&m->legs[i].stats.corrected_sectors),
				     READ_ONCE(m->legs[i].read_errors));
	return len;
}
static DEVICE_ATTR_RO(read_errors);

static struct attribute *dcdmirror_attrs[] = {
	&dev_attr_mode.attr,
	&dev_attr_state.attr,
	&dev_attr_legs.attr,
	&dev_attr_resync_rate.attr,
	&dev_attr_resync.attr,
	&dev_attr_bitmap.attr,
	&dev_attr_latency.attr,
	&dev_attr_max_lag.attr,
	&dev_attr_async_flush.attr,
	&dev_attr_lag.attr,
	&dev_attr_coalesce.attr,
	&dev_attr_max_read_errors.attr,
	&dev_attr_read_errors.attr,
	NULL,
};

static const struct attribute_group dcdmirror_attr_group = {
	.name = "dcdmirror",
	.attrs = dcdmirror_attrs,
};

static const struct attribute_group *dcdmirror_attr_groups[] = {
	&dcdmirror_attr_group,
	NULL,
};

static void dcdmirror_put_legs(struct dcdmirror *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++) {
		if (m->legs[i].bdev)
			blkdev_put(m->legs[i].bdev, DCDMIRROR_LEG_MODE);
		m->legs[i].bdev = NULL;
	}
}

/* The reason of a refused create: to the caller and to the kernel log. */
void dcdmirror_create_err(struct dcdmirror_ioc_create *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	pr_err("dcdmirror%u: %s\n", c->index, c->error);
}

static int dcdmirror_get_legs(struct dcdmirror *m,
			      struct dcdmirror_ioc_create *c)
{
	unsigned int i, lbs0 = 0;

	for (i = 0; i < m->nr_legs; i++) {
		struct dcdmirror_leg *leg = &m->legs[i];
		struct block_device *bdev;
		dev_t dev = MKDEV(c->legs[i].major, c->legs[i].minor);

		if (MAJOR(dev) != c->legs[i].major ||
		    MINOR(dev) != c->legs[i].minor) {
			dcdmirror_create_err(c, "leg %u: invalid device number %u:%u", i,
					     c->legs[i].major, c->legs[i].minor);
			return -EINVAL;
		}
		if (i && dev == m->legs[0].dev) {
			dcdmirror_create_err(c, "%u:%u given as both legs: the legs must be different devices",
					     MAJOR(dev), MINOR(dev));
			return -EINVAL;
		}
		leg->dev = dev;
		leg->role = i == 0 ? DCDMIRROR_ROLE_LOCAL : DCDMIRROR_ROLE_REMOTE;
		bdev = blkdev_get_by_dev(dev, DCDMIRROR_LEG_MODE, m);
		if (IS_ERR(bdev)) {
			int ret = PTR_ERR(bdev);

			if (ret == -EBUSY)
				dcdmirror_create_err(c, "%u:%u: device is in use",
						     MAJOR(dev), MINOR(dev));
			else if (ret == -ENXIO || ret == -ENODEV)
				dcdmirror_create_err(c, "%u:%u: no such device",
						     MAJOR(dev), MINOR(dev));
			else
				dcdmirror_create_err(c, "%u:%u: cannot open: error %d",
						     MAJOR(dev), MINOR(dev), ret);
			return ret;
		}
		leg->bdev = bdev;
		if (bdev_read_only(bdev)) {
			dcdmirror_create_err(c, "%pg: device is read-only", bdev);
			return -EROFS;
		}
		if (!i) {
			lbs0 = bdev_logical_block_size(bdev);
		} else if (bdev_logical_block_size(bdev) != lbs0) {
			dcdmirror_create_err(c, "%pg and %pg have different logical block sizes (%u and %u bytes)",
					     m->legs[0].bdev, bdev, lbs0,
					     bdev_logical_block_size(bdev));
			return -EINVAL;
		}
	}
	return 0;
}

static void dcdmirror_set_limits(struct dcdmirror *m)
{
	struct request_queue *q = m->disk->queue;
	unsigned int discard = UINT_MAX, secure = UINT_MAX, i;

	blk_set_stacking_limits(&q->limits);
	for (i = 0; i < m->nr_legs; i++) {
		struct block_device *bdev = m->legs[i].bdev;

		disk_stack_limits(m->disk, bdev, 0);
		discard = min(discard, bdev_max_discard_sectors(bdev));
		secure = min(secure, bdev_max_secure_erase_sectors(bdev));
	}
	/*
	 * Stacking keeps discard if any leg has it; a mirror may only offer
	 * what every leg does, or the legs would differ after a discard.
	 */
	blk_queue_max_discard_sectors(q, discard);
	blk_queue_max_secure_erase_sectors(q, secure);
	/* write-zeroes is stacked with min(): 0 unless every leg has it */

	/* an async write's copy for the remote leg fits one bio's vectors */
	blk_queue_max_hw_sectors(q, min_t(unsigned int, queue_max_hw_sectors(q),
					  BIO_MAX_VECS << (PAGE_SHIFT - SECTOR_SHIFT)));

	/* Flushes and FUA are passed to the legs, which drop what they lack. */
	blk_queue_write_cache(q, true, true);
}

/* Size, bitmap and initial state of a new array (not assembled). */
static int dcdmirror_create_new(struct dcdmirror *m, struct dcdmirror_ioc_create *c)
{
	sector_t sectors;
	u32 shift;
	int ret;
	unsigned int i;

	if (c->flags & DCDMIRROR_CREATE_SUPERBLOCK) {
		ret = dcdmirror_sb_init(m, c);
		if (ret)
			return ret;
	} else {
		sectors = bdev_nr_sectors(m->legs[0].bdev);
		for (i = 1; i < m->nr_legs; i++)
			sectors = min(sectors, bdev_nr_sectors(m->legs[i].bdev));
		m->sectors = round_down(sectors,
					bdev_logical_block_size(m->legs[0].bdev) >> SECTOR_SHIFT);
	}
	if (!m->sectors) {
		dcdmirror_create_err(c, "a leg has a size of zero");
		return -EINVAL;
	}
	m->resync_rate = c->resync_rate ?: DCDMIRROR_RESYNC_RATE_DEFAULT;
	ret = dcdmirror_bitmap_chunk_shift(m->sectors, c->bitmap_chunk, &shift);
	if (ret == -EFBIG) {
		dcdmirror_create_err(c, "bitmap chunk %u bytes is too small: the bitmap of %llu sectors would not fit %u bytes",
				     c->bitmap_chunk, (unsigned long long)m->sectors,
				     DCDMIRROR_BITMAP_MAX_BYTES);
		return ret;
	}
	if (ret) {
		dcdmirror_create_err(c, "bitmap chunk %u bytes: must be a power of two from %u bytes to 1 GiB",
				     c->bitmap_chunk, DCDMIRROR_BITMAP_MIN_CHUNK);
		return ret;
	}
	ret = dcdmirror_bitmap_init(m, shift);
	if (ret) {
		dcdmirror_create_err(c, "out of memory");
		return ret;
	}
	/* the whole area: whatever was there before is not ours */
	spin_lock_irq(&m->bm.lock);
	bitmap_set(m->bm.dirty_blocks, 0, m->bm.nr_blocks);
	spin_unlock_irq(&m->bm.lock);
	/* as md: the remote leg is copied from the local one, unless told */
	if (!(c->flags & DCDMIRROR_CREATE_ASSUME_CLEAN)) {
		set_bit(DCDMIRROR_LEG_REBUILDING_BIT, &m->legs[1].flags);
		m->legs[1].base_events = 0;
		dcdmirror_resync_new(m, true);
		dcdmirror_bitmap_set_all(m);
	}
	return 0;
}

int dcdmirror_create(struct dcdmirror_ioc_create *c)
{
	struct dcdmirror *m;
	unsigned int i;
	int ret;

	mutex_lock(&dcdmirror_devices_lock);
	if (dcdmirror_find(c->index)) {
		dcdmirror_create_err(c, "/dev/dcdmirror%u already exists", c->index);
		ret = -EEXIST;
		goto out_unlock;
	}

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	m->index = c->index;
	m->mode = c->mode;
	m->max_lag_kib = c->max_lag_kib ?: DCDMIRROR_MAX_LAG_KIB_DEFAULT;
	m->max_lag_ms = c->max_lag_ms ?: DCDMIRROR_MAX_LAG_MS_DEFAULT;
	m->async_flags = c->async_flags;
	m->max_read_errors = DCDMIRROR_MAX_READ_ERRORS;
	m->nr_legs = DCDMIRROR_MAX_LEGS;
	dcd_open_gate_init(&m->gate);
	spin_lock_init(&m->state_lock);
	spin_lock_init(&m->resync_lock);
	mutex_init(&m->sb_lock);
	mutex_init(&m->cfg_lock);
	INIT_WORK(&m->sb_work, dcdmirror_sb_work);
	atomic_set(&m->inflight, 0);
	init_waitqueue_head(&m->inflight_wait);
	init_waitqueue_head(&m->suspend_wait);
	init_waitqueue_head(&m->resync_wq);
	atomic64_set(&m->fg_ios, 0);

	ret = dcdmirror_get_legs(m, c);
	if (ret)
		goto out_put_legs;

	if (c->flags & DCDMIRROR_CREATE_ASSEMBLE)
		ret = dcdmirror_sb_assemble(m, c);
	else
		ret = dcdmirror_create_new(m, c);
	if (ret)
		goto out_put_legs;
	/* ACTIVE until a clean stop: a crash leaves it so */
	if (m->has_sb) {
		ret = dcdmirror_sb_write(m, DCDMIRROR_SB_ACTIVE);
		if (ret) {
			dcdmirror_create_err(c, "cannot write the superblocks: error %d", ret);
			goto out_put_legs;
		}
	} else if (!dcdmirror_degraded(m)) {
		dcdmirror_bitmap_allow_clear(m, true);
	}
	ret = dcdmirror_bitmap_flush(m);
	if (ret) {
		dcdmirror_create_err(c, "cannot write the bitmap: error %d", ret);
		goto out_put_legs;
	}

	ret = dcdmirror_io_init(m);
	if (ret) {
		dcdmirror_create_err(c, "out of memory");
		goto out_put_legs;
	}

	m->disk = blk_alloc_disk(NUMA_NO_NODE);
	if (!m->disk) {
		dcdmirror_create_err(c, "out of memory");
		ret = -ENOMEM;
		goto out_io_exit;
	}
	m->disk->major = dcdmirror_major;
	m->disk->first_minor = m->index;
	m->disk->minors = 1;
	m->disk->flags |= GENHD_FL_NO_PART;
	m->disk->fops = &dcdmirror_fops;
	m->disk->private_data = m;
	snprintf(m->disk->disk_name, DISK_NAME_LEN, "dcdmirror%u", m->index);
	dcdmirror_set_limits(m);
	set_capacity(m->disk, m->sectors);

	ret = dcdmirror_resync_init(m);
	if (ret) {
		dcdmirror_create_err(c, "cannot start the resync thread: error %d", ret);
		goto out_put_disk;
	}

	/* linked before add_disk: the symlinks appear with the disk */
	for (i = 0; i < m->nr_legs; i++) {
		ret = bd_link_disk_holder(m->legs[i].bdev, m->disk);
		if (ret) {
			dcdmirror_create_err(c, "%pg: cannot link holder: error %d",
					     m->legs[i].bdev, ret);
			while (i--)
				bd_unlink_disk_holder(m->legs[i].bdev, m->disk);
			goto out_resync_exit;
		}
	}

	ret = device_add_disk(NULL, m->disk, dcdmirror_attr_groups);
	if (ret) {
		dcdmirror_create_err(c, "cannot add disk: error %d", ret);
		goto out_unlink;
	}

	/* each array pins the module: rmmod fails while one exists */
	__module_get(THIS_MODULE);
	list_add_tail(&m->node, &dcdmirror_devices);
	queue_delayed_work(dcdmirror_wq, &m->bm.daemon,
			   msecs_to_jiffies(dcdmirror_bitmap_delay_ms));
	dcdmirror_resync_kick(m);
	mutex_unlock(&dcdmirror_devices_lock);
	pr_info("dcdmirror%u: %s over %pg (local) and %pg (remote), %llu sectors, bitmap chunk %u KiB%s%s\n",
		m->index, c->flags & DCDMIRROR_CREATE_ASSEMBLE ? "assembled" : "created",
		m->legs[0].bdev, m->legs[1].bdev, (unsigned long long)m->sectors,
		1U << (m->bm.chunk_shift - 1), m->has_sb ? ", superblocks" : "",
		dcdmirror_resync_active(m) ? ", resync needed" : "");
	return 0;

out_unlink:
	for (i = 0; i < m->nr_legs; i++)
		bd_unlink_disk_holder(m->legs[i].bdev, m->disk);
out_resync_exit:
	dcdmirror_resync_exit(m);
out_put_disk:
	put_disk(m->disk);
out_io_exit:
	dcdmirror_io_exit(m);
out_put_legs:
	/* a failed bitmap write may have queued a superblock update */
	flush_work(&m->sb_work);
	dcdmirror_bitmap_exit(m);
	dcdmirror_sb_exit(m);
	dcdmirror_put_legs(m);
	kfree(m);
out_unlock:
	mutex_unlock(&dcdmirror_devices_lock);
	return ret;
}

/*
 * Called with dcdmirror_devices_lock held; m is already off the list. A
 * resync running is stopped first; the leg it rebuilds stays stale on disk.
 */
static void dcdmirror_destroy(struct dcdmirror *m, bool clean)
{
	unsigned int i;

	dcdmirror_resync_exit(m);
	/* before del_gendisk, which drops the slaves/ dir the links live in */
	for (i = 0; i < m->nr_legs; i++)
		if (m->legs[i].bdev)
			bd_unlink_disk_holder(m->legs[i].bdev, m->disk);
	del_gendisk(m->disk);
	/* del_gendisk stops new bios; wait for those still at the legs */
	wait_event(m->inflight_wait, !atomic_read(&m->inflight));
	/* the last completion may still be in wake_up() under gate.lock */
	spin_lock_irq(&m->gate.lock);
	spin_unlock_irq(&m->gate.lock);
	cancel_delayed_work_sync(&m->bm.daemon);
	flush_work(&m->bm.flush_work);
	put_disk(m->disk);
	dcdmirror_io_exit(m);
	flush_work(&m->sb_work);
	/* every write has completed: the in-sync legs are equal */
	mutex_lock(&m->sb_lock);
	if (m->has_sb && clean) {
		dcdmirror_bitmap_clear_all(m);
		dcdmirror_bitmap_flush(m);
		dcdmirror_sb_write(m, DCDMIRROR_SB_CLEAN);
	}
	mutex_unlock(&m->sb_lock);
	dcdmirror_bitmap_exit(m);
	dcdmirror_sb_exit(m);
	dcdmirror_put_legs(m);
	pr_info("dcdmirror%u: stopped%s\n", m->index,
		clean ? "" : " without marking it clean");
	kfree(m);
	dcdmirror_resync_done();
}

int dcdmirror_stop(unsigned int index, u32 flags)
{
	struct dcdmirror *m;
	int ret = 0;

	mutex_lock(&dcdmirror_devices_lock);
	m = dcdmirror_find(index);
	if (!m) {
		pr_err("dcdmirror%u: cannot stop: no such device\n", index);
		ret = -ENODEV;
		goto out;
	}
	/* from here opens fail, so del_gendisk finds it unused */
	ret = dcd_open_gate_close(&m->gate);
	if (ret) {
		pr_err("dcdmirror%u: cannot stop: device is open\n", index);
		goto out;
	}
	list_del(&m->node);
	dcdmirror_destroy(m, !(flags & DCDMIRROR_STOP_UNCLEAN));
	module_put(THIS_MODULE);
out:
	mutex_unlock(&dcdmirror_devices_lock);
	return ret;
}

/* The reason of a refused leg operation: to the caller and to the log. */
static __printf(2, 3)
void dcdmirror_op_err(struct dcdmirror_ioc_leg_op *op, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(op->error, sizeof(op->error), fmt, ap);
	va_end(ap);
	pr_err("dcdmirror%u: %s\n", op->index, op->error);
}

/* The slot an operation names: by number or by device; -1 if none. */
static int dcdmirror_op_slot(struct dcdmirror *m, struct dcdmirror_ioc_leg_op *op)
{
	dev_t dev = MKDEV(op->major, op->minor);
	unsigned int i;

	if (op->slot != DCDMIRROR_LEG_BY_DEV)
		return op->slot < m->nr_legs ? op->slot : -1;
	for (i = 0; i < m->nr_legs; i++)
		if (m->legs[i].bdev && m->legs[i].dev == dev)
			return i;
	return -1;
}

static int dcdmirror_leg_fail_op(struct dcdmirror *m, struct dcdmirror_ioc_leg_op *op,
				 unsigned int i)
{
	struct dcdmirror_leg *leg = &m->legs[i];

	if (!leg->bdev) {
		dcdmirror_op_err(op, "the %s leg is missing", dcdmirror_role_name(leg));
		return -ENODEV;
	}
	if (test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags)) {
		dcdmirror_op_err(op, "%pg is already faulty", leg->bdev);
		return -EINVAL;
	}
	if (!dcdmirror_fail_leg(m, i)) {
		dcdmirror_op_err(op, "%pg is the last in-sync leg: not failed", leg->bdev);
		return -EBUSY;
	}
	return 0;
}

static int dcdmirror_leg_remove_op(struct dcdmirror *m, struct dcdmirror_ioc_leg_op *op,
				   unsigned int i)
{
	struct dcdmirror_leg *leg = &m->legs[i];
	struct block_device *bdev = leg->bdev;

	if (!bdev) {
		dcdmirror_op_err(op, "the %s leg is missing already",
				 dcdmirror_role_name(leg));
		return -ENODEV;
	}
	if (!test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags)) {
		dcdmirror_op_err(op, "%pg is not faulty: fail it first", bdev);
		return -EBUSY;
	}
	/* no bio, resync step, bitmap or superblock write may use it now */
	flush_work(&m->sb_work);
	dcdmirror_suspend(m);
	mutex_lock(&m->sb_lock);
	mutex_lock(&m->bm.write_mutex);
	mutex_lock(&m->cfg_lock);
	leg->bdev = NULL;
	mutex_unlock(&m->cfg_lock);
	mutex_unlock(&m->bm.write_mutex);
	mutex_unlock(&m->sb_lock);
	dcdmirror_resume(m);
	bd_unlink_disk_holder(bdev, m->disk);
	pr_info("dcdmirror%u: %pg (%s leg) removed\n", m->index, bdev,
		dcdmirror_role_name(leg));
	blkdev_put(bdev, DCDMIRROR_LEG_MODE);
	return 0;
}

static int dcdmirror_leg_add_op(struct dcdmirror *m, struct dcdmirror_ioc_leg_op *op)
{
	dev_t dev = MKDEV(op->major, op->minor);
	struct block_device *bdev = NULL;
	struct dcdmirror_leg *leg;
	bool readd = false, by_bitmap = false;
	unsigned int i;
	u64 events = 0;
	int ret;

	if (MAJOR(dev) != op->major || MINOR(dev) != op->minor) {
		dcdmirror_op_err(op, "invalid device number %u:%u", op->major, op->minor);
		return -EINVAL;
	}
	if (dev == disk_devt(m->disk)) {
		dcdmirror_op_err(op, "an array cannot be a leg of itself");
		return -EINVAL;
	}
	for (i = 0; i < m->nr_legs; i++) {
		leg = &m->legs[i];
		if (leg->bdev && leg->dev == dev) {
			if (!test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags)) {
				dcdmirror_op_err(op, "%pg is already a working leg", leg->bdev);
				return -EBUSY;
			}
			readd = true;
			bdev = leg->bdev;
			break;
		}
	}
	if (!readd) {
		for (i = 0; i < m->nr_legs; i++)
			if (!m->legs[i].bdev)
				break;
		if (i == m->nr_legs) {
			dcdmirror_op_err(op, "no missing leg to add %u:%u as: remove one first",
					 MAJOR(dev), MINOR(dev));
			return -EBUSY;
		}
		leg = &m->legs[i];
		bdev = blkdev_get_by_dev(dev, DCDMIRROR_LEG_MODE, m);
		if (IS_ERR(bdev)) {
			ret = PTR_ERR(bdev);
			if (ret == -EBUSY)
				dcdmirror_op_err(op, "%u:%u: device is in use",
						 MAJOR(dev), MINOR(dev));
			else
				dcdmirror_op_err(op, "%u:%u: cannot open: error %d",
						 MAJOR(dev), MINOR(dev), ret);
			return ret;
		}
		ret = -EINVAL;
		if (bdev_read_only(bdev)) {
			dcdmirror_op_err(op, "%pg: device is read-only", bdev);
			ret = -EROFS;
			goto out_put;
		}
		if (bdev_logical_block_size(bdev) != queue_logical_block_size(m->disk->queue)) {
			dcdmirror_op_err(op, "%pg: logical block size %u, the array's is %u", bdev,
					 bdev_logical_block_size(bdev),
					 queue_logical_block_size(m->disk->queue));
			goto out_put;
		}
		if ((m->has_sb ? dcdmirror_data_sectors(bdev_nr_sectors(bdev)) :
				 bdev_nr_sectors(bdev)) < m->sectors) {
			dcdmirror_op_err(op, "%pg is too small for the array", bdev);
			goto out_put;
		}
	}
	if (m->has_sb) {
		ret = dcdmirror_sb_check_leg(m, i, bdev, &events);
		if (ret == -ENOMEM) {
			dcdmirror_op_err(op, "out of memory");
			goto out_put;
		}
		by_bitmap = !ret;
		leg->sb_sector = dcdmirror_sb_sector(bdev_nr_sectors(bdev));
		leg->bitmap_sector = dcdmirror_bitmap_sector(bdev_nr_sectors(bdev));
	} else {
		/* without superblocks only the bitmap kept since it left tells */
		by_bitmap = readd;
	}
	if (!readd) {
		ret = bd_link_disk_holder(bdev, m->disk);
		if (ret) {
			dcdmirror_op_err(op, "%pg: cannot link holder: error %d", bdev, ret);
			goto out_put;
		}
	}
	/* the legs change only with no I/O in progress */
	dcdmirror_suspend(m);
	mutex_lock(&m->sb_lock);
	if (!by_bitmap)
		dcdmirror_bitmap_set_all(m);
	mutex_lock(&m->cfg_lock);
	spin_lock_irq(&m->state_lock);
	leg->bdev = bdev;
	leg->dev = dev;
	leg->base_events = by_bitmap ? events : 0;
	/* as md's new rdev: the read errors of before do not count */
	leg->read_errors = 0;
	set_bit(DCDMIRROR_LEG_REBUILDING_BIT, &leg->flags);
	clear_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags);
	spin_unlock_irq(&m->state_lock);
	mutex_unlock(&m->cfg_lock);
	dcdmirror_resync_new(m, !by_bitmap);
	dcdmirror_bitmap_allow_clear(m, false);
	if (m->has_sb)
		dcdmirror_sb_write(m, DCDMIRROR_SB_ACTIVE);
	mutex_unlock(&m->sb_lock);
	dcdmirror_resume(m);
	/* the whole bitmap to the new leg, the set bits to all */
	spin_lock_irq(&m->bm.lock);
	bitmap_set(m->bm.dirty_blocks, 0, m->bm.nr_blocks);
	spin_unlock_irq(&m->bm.lock);
	dcdmirror_bitmap_flush(m);
	spin_lock_irq(&m->resync_lock);
	m->resync_failed = false;
	spin_unlock_irq(&m->resync_lock);
	pr_info("dcdmirror%u: %pg %s as the %s leg: %s resync\n", m->index, bdev,
		readd ? "re-added" : "added", dcdmirror_role_name(leg),
		by_bitmap ? "bitmap" : "full");
	dcdmirror_resync_kick(m);
	return 0;

out_put:
	if (!readd)
		blkdev_put(bdev, DCDMIRROR_LEG_MODE);
	return ret;
}

int dcdmirror_leg_op(struct dcdmirror_ioc_leg_op *op)
{
	struct dcdmirror *m;
	int ret, i;

	mutex_lock(&dcdmirror_devices_lock);
	m = dcdmirror_find(op->index);
	if (!m) {
		dcdmirror_op_err(op, "/dev/dcdmirror%u: no such mirror", op->index);
		ret = -ENODEV;
		goto out;
	}
	if (op->op == DCDMIRROR_LEG_OP_ADD) {
		ret = dcdmirror_leg_add_op(m, op);
		goto out;
	}
	i = dcdmirror_op_slot(m, op);
	if (i < 0) {
		if (op->slot == DCDMIRROR_LEG_BY_DEV)
			dcdmirror_op_err(op, "%u:%u is not a leg of /dev/dcdmirror%u",
					 op->major, op->minor, op->index);
		else
			dcdmirror_op_err(op, "no leg %u", op->slot);
		ret = -ENODEV;
		goto out;
	}
	if (op->op == DCDMIRROR_LEG_OP_FAIL)
		ret = dcdmirror_leg_fail_op(m, op, i);
	else
		ret = dcdmirror_leg_remove_op(m, op, i);
out:
	mutex_unlock(&dcdmirror_devices_lock);
	return ret;
}

/* Sleep until no leg of the array waits for or is in a resync. */
int dcdmirror_wait(unsigned int index)
{
	struct dcdmirror *m;
	bool active, failed;
	int gen, ret;

	for (;;) {
		gen = atomic_read(&dcdmirror_resync_gen);
		mutex_lock(&dcdmirror_devices_lock);
		m = dcdmirror_find(index);
		if (!m) {
			mutex_unlock(&dcdmirror_devices_lock);
			return -ENODEV;
		}
		active = dcdmirror_resync_active(m);
		failed = READ_ONCE(m->resync_failed);
		mutex_unlock(&dcdmirror_devices_lock);
		if (!active)
			return failed ? -EIO : 0;
		ret = wait_event_interruptible(dcdmirror_resync_waitq,
					       atomic_read(&dcdmirror_resync_gen) != gen);
		if (ret)
			return ret;
	}
}

int dcdmirror_set(struct dcdmirror_ioc_set *set)
{
	struct dcdmirror *m;

	mutex_lock(&dcdmirror_devices_lock);
	m = dcdmirror_find(set->index);
	if (!m) {
		mutex_unlock(&dcdmirror_devices_lock);
		return -ENODEV;
	}
	if (set->resync_rate) {
		WRITE_ONCE(m->resync_rate, set->resync_rate);
		pr_info("dcdmirror%u: resync rate %u KiB/s\n", m->index, set->resync_rate);
		dcdmirror_resync_kick(m);
	}
	if (set->max_lag_kib)
		WRITE_ONCE(m->max_lag_kib, set->max_lag_kib);
	if (set->max_lag_ms)
		WRITE_ONCE(m->max_lag_ms, set->max_lag_ms);
	if (set->flags & DCDMIRROR_SET_ASYNC_FLAGS)
		WRITE_ONCE(m->async_flags, set->async_flags);
	if (set->flags & DCDMIRROR_SET_MODE)
		dcdmirror_set_mode(m, set->mode);
	/* a larger bound may let waiting writes go */
	wake_up_all(&m->async_wait);
	mutex_unlock(&dcdmirror_devices_lock);
	return 0;
}

static void dcdmirror_leg_info(struct dcdmirror_leg *leg,
			       struct dcdmirror_ioc_leg_info *li)
{
	li->major = MAJOR(leg->dev);
	li->minor = MINOR(leg->dev);
	li->role = leg->role;
	li->state = dcdmirror_leg_state(leg);
	li->size_bytes = leg->bdev ? bdev_nr_bytes(leg->bdev) : 0;
	li->reads = atomic64_read(&leg->stats.reads);
	li->writes = atomic64_read(&leg->stats.writes);
	li->read_bytes = atomic64_read(&leg->stats.read_bytes);
	li->write_bytes = atomic64_read(&leg->stats.write_bytes);
	li->errors = atomic64_read(&leg->stats.errors);
	li->lat_avg_us = dcdmirror_lat_avg_us(leg);
	li->lat_max_us = div_u64(atomic64_read(&leg->stats.lat_max_ns), 1000);
	li->inflight_bytes = atomic64_read(&leg->stats.inflight_bytes);
	li->merged = atomic64_read(&leg->stats.merged);
	li->corrected = atomic64_read(&leg->stats.corrected);
	li->corrected_sectors = atomic64_read(&leg->stats.corrected_sectors);
	li->read_errors = READ_ONCE(leg->read_errors);
}

/* Fills info for info->index; the caller has zeroed the out fields. */
int dcdmirror_get_info(struct dcdmirror_ioc_info *info)
{
	struct dcdmirror_resync_stats rs;
	struct dcdmirror *m;
	unsigned int i;
	u64 speed, eta;

	mutex_lock(&dcdmirror_devices_lock);
	m = dcdmirror_find(info->index);
	if (!m) {
		mutex_unlock(&dcdmirror_devices_lock);
		return -ENODEV;
	}
	info->mode = READ_ONCE(m->mode);
	info->async_flags = READ_ONCE(m->async_flags);
	info->max_lag_kib = READ_ONCE(m->max_lag_kib);
	info->max_lag_ms = READ_ONCE(m->max_lag_ms);
	dcdmirror_async_stats(m, &info->lag_bytes, &info->lag_max_bytes,
			      &info->lag_oldest_us);
	info->bitmap_chunk = 512U << m->bm.chunk_shift;
	info->bitmap_chunks = m->bm.chunks;
	info->bitmap_dirty = dcdmirror_bitmap_weight(m);
	info->resync_rate = READ_ONCE(m->resync_rate);
	if (dcdmirror_resync_active(m))
		info->flags |= DCDMIRROR_INFO_RESYNC;
	dcdmirror_resync_progress(m, &rs, &speed, &eta);
	if (rs.started) {
		info->resync_leg = rs.leg;
		info->resync_speed = min_t(u64, speed, U32_MAX);
		info->resync_total = rs.total;
		info->resync_chunks = rs.chunks;
		info->resync_bytes = rs.bytes;
		info->resync_msecs = jiffies_to_msecs((rs.end ?: jiffies) - rs.start);
		info->resync_eta = rs.end ? 0 : eta;
		info->resync_start = rs.start_chunk;
		info->resync_pos = rs.pos;
	}
	info->max_read_errors = READ_ONCE(m->max_read_errors);
	info->inflight = atomic_read(&m->inflight);
	info->state = info->inflight ? DCDMIRROR_STATE_ACTIVE :
				       DCDMIRROR_STATE_CLEAN;
	if (dcdmirror_degraded(m))
		info->flags |= DCDMIRROR_INFO_DEGRADED;
	if (m->has_sb) {
		info->flags |= DCDMIRROR_INFO_SUPERBLOCK;
		memcpy(info->uuid, m->uuid, sizeof(info->uuid));
		mutex_lock(&m->sb_lock);
		info->events = m->events;
		info->events_cleared = m->events_cleared;
		mutex_unlock(&m->sb_lock);
	}
	if (dcdmirror_resync_active(m)) {
		mutex_lock(&m->sb_lock);
		info->resync_checkpoint = m->resync_ckpt;
		info->resync_full = m->resync_full;
		mutex_unlock(&m->sb_lock);
	}
	if (m->unclean)
		info->flags |= DCDMIRROR_INFO_UNCLEAN;
	info->nr_legs = m->nr_legs;
	info->logical_block_size = queue_logical_block_size(m->disk->queue);
	info->size_bytes = (u64)m->sectors << SECTOR_SHIFT;
	info->open_count = dcd_open_gate_count(&m->gate);
	for (i = 0; i < m->nr_legs; i++)
		dcdmirror_leg_info(&m->legs[i], &info->legs[i]);
	mutex_unlock(&dcdmirror_devices_lock);
	return 0;
}

/*
 * /proc/dcdmirror, in the manner of /proc/mdstat: per array its legs
 * ((F) faulty, (R) being rebuilt), [in-sync/all] [U_], the resync's
 * progress bar and the bitmap.
 */
static void dcdmirror_proc_array(struct seq_file *seq, struct dcdmirror *m)
{
	struct dcdmirror_resync_stats rs;
	unsigned int i, n = 0, permille, bar;
	u64 speed, eta;

	seq_printf(seq, "dcdmirror%u : active raid1", m->index);
	for (i = 0; i < m->nr_legs; i++) {
		struct dcdmirror_leg *leg = &m->legs[i];
		unsigned int st = dcdmirror_leg_state(leg);

		if (!leg->bdev)
			continue;
		seq_printf(seq, " %pg[%u]%s", leg->bdev, i,
			   st == DCDMIRROR_LEG_FAULTY ? "(F)" :
			   st == DCDMIRROR_LEG_REBUILDING ? "(R)" : "");
		if (st == DCDMIRROR_LEG_IN_SYNC)
			n++;
	}
	seq_printf(seq, "\n      %llu blocks [%u/%u] [", (unsigned long long)m->sectors / 2,
		   m->nr_legs, n);
	for (i = 0; i < m->nr_legs; i++)
		seq_putc(seq, dcdmirror_leg_state(&m->legs[i]) == DCDMIRROR_LEG_IN_SYNC ?
			 'U' : '_');
	seq_puts(seq, "]\n");
	dcdmirror_resync_progress(m, &rs, &speed, &eta);
	if (dcdmirror_resync_active(m)) {
		if (rs.started && !rs.end && rs.total) {
			permille = div64_u64(min(rs.chunks, rs.total) * 1000, rs.total);
			bar = permille / 50;
			seq_puts(seq, "      [");
			for (i = 0; i < 20; i++)
				seq_putc(seq, i < bar ? '=' : i == bar ? '>' : '.');
			seq_printf(seq, "]  resync = %u.%u%% (%llu/%llu chunks) finish=%llu.%llumin speed=%lluK/sec\n",
				   permille / 10, permille % 10, rs.chunks, rs.total,
				   eta / 60, (eta % 60) / 6, speed);
		} else {
			seq_puts(seq, "      resync=PENDING\n");
		}
	}
	seq_printf(seq, "      bitmap: %llu/%llu chunks dirty, %uKB chunk\n\n",
		   dcdmirror_bitmap_weight(m), m->bm.chunks, 1U << (m->bm.chunk_shift - 1));
}

static int dcdmirror_proc_show(struct seq_file *seq, void *v)
{
	struct dcdmirror *m;

	mutex_lock(&dcdmirror_devices_lock);
	list_for_each_entry(m, &dcdmirror_devices, node)
		dcdmirror_proc_array(seq, m);
	mutex_unlock(&dcdmirror_devices_lock);
	return 0;
}

static int __init dcdmirror_init(void)
{
	int ret;

	dcdmirror_wq = alloc_workqueue("dcdmirror", WQ_MEM_RECLAIM, 0);
	if (!dcdmirror_wq)
		return -ENOMEM;
	dcdmirror_major = register_blkdev(0, "dcdmirror");
	if (dcdmirror_major < 0) {
		ret = dcdmirror_major;
		goto out_wq;
	}
	if (!proc_create_single("dcdmirror", 0444, NULL, dcdmirror_proc_show)) {
		ret = -ENOMEM;
		goto out_blkdev;
	}
	ret = dcdmirror_ctl_init();
	if (ret)
		goto out_proc;
	return 0;

out_proc:
	remove_proc_entry("dcdmirror", NULL);
out_blkdev:
	unregister_blkdev(dcdmirror_major, "dcdmirror");
out_wq:
	destroy_workqueue(dcdmirror_wq);
	return ret;
}

static void __exit dcdmirror_exit(void)
{
	struct dcdmirror *m, *tmp;

	dcdmirror_ctl_exit();
	remove_proc_entry("dcdmirror", NULL);
	/* every array holds a module reference, so none should be left */
	mutex_lock(&dcdmirror_devices_lock);
	list_for_each_entry_safe(m, tmp, &dcdmirror_devices, node) {
		list_del(&m->node);
		dcdmirror_destroy(m, true);
	}
	mutex_unlock(&dcdmirror_devices_lock);
	unregister_blkdev(dcdmirror_major, "dcdmirror");
	destroy_workqueue(dcdmirror_wq);
}

module_init(dcdmirror_init);
module_exit(dcdmirror_exit);
MODULE_DESCRIPTION("RAID1 of a local and a remote block device");
MODULE_LICENSE("GPL");
