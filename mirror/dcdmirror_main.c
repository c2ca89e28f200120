// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror: a bio-based RAID1 of a local and a remote block device
 * (/dev/dcdmirrorN), driven through /dev/dcdmirror-control. The module, the
 * list of arrays, and an array's lifecycle: create or assemble, stop, wait
 * for its resync, change its settings.
 */
#include <linux/blkdev.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <dcdmirror/mirror_format.h>

#include "dcdmirror.h"

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

/* The array /dev/dcdmirror<index>; called with dcdmirror_devices_lock held. */
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

	return open_gate_enter(&m->gate);
}

static void dcdmirror_release(struct gendisk *disk, fmode_t mode)
{
	struct dcdmirror *m = disk->private_data;

	open_gate_leave(&m->gate);
}

static const struct block_device_operations dcdmirror_fops = {
	.owner = THIS_MODULE,
	.submit_bio = dcdmirror_submit_bio,
	.open = dcdmirror_open,
	.release = dcdmirror_release,
};

void dcdmirror_set_mode(struct dcdmirror *m, unsigned int mode)
{
	if (READ_ONCE(m->mode) == mode)
		return;
	/* writes already accepted keep the mode they saw */
	WRITE_ONCE(m->mode, mode);
	dcdmirror_info(m, "mode %s\n", dcdmirror_mode_names[mode]);
}

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
	dcdmirror_err_index(c->index, "%s\n", c->error);
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
		if (!dev && i) {
			/* missing: it gets no I/O, every write sets its bits */
			set_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags);
			continue;
		}
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

		if (!bdev)
			continue;
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
	/* superblocks are of version 4: the activity log's ring below them */
	u32 max_bytes = c->flags & DCDMIRROR_CREATE_SUPERBLOCK ? DCDMIRROR_BITMAP_MAX_BYTES_V4 :
								 DCDMIRROR_BITMAP_MAX_BYTES;
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
	if (c->flags & DCDMIRROR_CREATE_SUPERBLOCK) {
		m->al.nr = c->al_extents ?: DCDMIRROR_AL_EXTENTS_DEFAULT;
		m->al.shift = DCDMIRROR_AL_DEF_SHIFT;
	}
	ret = dcdmirror_bitmap_chunk_shift(m->sectors, c->bitmap_chunk, max_bytes, &shift);
	if (ret == -EFBIG) {
		dcdmirror_create_err(c, "bitmap chunk %u bytes is too small: the bitmap of %llu sectors would not fit %u bytes",
				     c->bitmap_chunk, (unsigned long long)m->sectors, max_bytes);
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

/* An array with its locks and lists, no legs yet. */
static struct dcdmirror *dcdmirror_alloc(struct dcdmirror_ioc_create *c)
{
	struct dcdmirror *m = kzalloc(sizeof(*m), GFP_KERNEL);
	unsigned int i;

	if (!m)
		return NULL;
	m->index = c->index;
	m->mode = c->mode;
	m->max_lag_kib = c->max_lag_kib ?: DCDMIRROR_MAX_LAG_KIB_DEFAULT;
	m->max_lag_ms = c->max_lag_ms ?: DCDMIRROR_MAX_LAG_MS_DEFAULT;
	m->async_flags = c->async_flags;
	m->max_read_errors = DCDMIRROR_MAX_READ_ERRORS;
	/* assemble: the superblock's unless given (dcdmirror_sb_settings()) */
	m->remote_timeout_ms = c->remote_timeout_ms ?: DCDMIRROR_REMOTE_TIMEOUT_DEFAULT;
	dcdmirror_timeout_init(m);
	/* a leg failing at the first superblock write wakes async_wait */
	dcdmirror_async_init(m);
	m->nr_legs = DCDMIRROR_MAX_LEGS;
	open_gate_init(&m->gate);
	dcdmirror_events_init(m);
	spin_lock_init(&m->state_lock);
	spin_lock_init(&m->resync_lock);
	mutex_init(&m->sb_lock);
	mutex_init(&m->cfg_lock);
	INIT_WORK(&m->sb_work, dcdmirror_sb_work);
	INIT_LIST_HEAD(&m->held_list);
	atomic_set(&m->inflight, 0);
	init_waitqueue_head(&m->inflight_wait);
	init_waitqueue_head(&m->suspend_wait);
	init_waitqueue_head(&m->resync_wq);
	atomic64_set(&m->fg_ios, 0);
	for (i = 0; i < m->nr_legs; i++) {
		m->legs[i].stats = alloc_percpu(struct dcdmirror_leg_counters);
		if (!m->legs[i].stats) {
			while (i--)
				free_percpu(m->legs[i].stats);
			kfree(m);
			return NULL;
		}
	}
	return m;
}

static void dcdmirror_free(struct dcdmirror *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++)
		free_percpu(m->legs[i].stats);
	kfree(m);
}

/*
 * The metadata of a new or assembled array on disk before it runs: the
 * superblocks say ACTIVE until a clean stop (a crash leaves them so), and
 * the bitmap is written.
 */
static int dcdmirror_write_meta(struct dcdmirror *m, struct dcdmirror_ioc_create *c)
{
	int ret;

	if (m->has_sb) {
		ret = dcdmirror_sb_write(m, DCDMIRROR_SB_ACTIVE);
		if (ret) {
			dcdmirror_create_err(c, "cannot write the superblocks: error %d", ret);
			return ret;
		}
	} else if (!dcdmirror_degraded(m)) {
		dcdmirror_bitmap_allow_clear(m, true);
	}
	ret = dcdmirror_bitmap_flush(m);
	if (ret)
		dcdmirror_create_err(c, "cannot write the bitmap: error %d", ret);
	return ret;
}

/* The block device /dev/dcdmirrorN over the legs, with its resync thread. */
static int dcdmirror_add_disk(struct dcdmirror *m, struct dcdmirror_ioc_create *c)
{
	unsigned int i;
	int ret;

	m->disk = blk_alloc_disk(NUMA_NO_NODE);
	if (!m->disk) {
		dcdmirror_create_err(c, "out of memory");
		return -ENOMEM;
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
		if (!m->legs[i].bdev)
			continue;
		ret = bd_link_disk_holder(m->legs[i].bdev, m->disk);
		if (ret) {
			dcdmirror_create_err(c, "%pg: cannot link holder: error %d",
					     m->legs[i].bdev, ret);
			goto out_unlink;
		}
	}
	ret = device_add_disk(NULL, m->disk, dcdmirror_attr_groups);
	if (!ret)
		return 0;
	dcdmirror_create_err(c, "cannot add disk: error %d", ret);
out_unlink:
	while (i--)
		if (m->legs[i].bdev)
			bd_unlink_disk_holder(m->legs[i].bdev, m->disk);
	dcdmirror_resync_exit(m);
out_put_disk:
	put_disk(m->disk);
	return ret;
}

/* An array started without a leg (assemble --run) is degraded from the start. */
static void dcdmirror_event_missing(struct dcdmirror *m)
{
	struct event e;
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++) {
		if (m->legs[i].bdev)
			continue;
		dcdmirror_event_init(m->index, &e, "degraded", "state");
		dcdmirror_event_add_leg(&e, &m->legs[i]);
		event_add(&e, "DCDMIRROR_LEG_STATE", "missing");
		dcdmirror_event_post(m, &e);
	}
}

int dcdmirror_create(struct dcdmirror_ioc_create *c)
{
	char remote[BDEVNAME_SIZE] = "missing";
	struct dcdmirror *m;
	int ret;

	mutex_lock(&dcdmirror_devices_lock);
	if (dcdmirror_find(c->index)) {
		dcdmirror_create_err(c, "/dev/dcdmirror%u already exists", c->index);
		ret = -EEXIST;
		goto out_unlock;
	}
	m = dcdmirror_alloc(c);
	if (!m) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ret = dcdmirror_get_legs(m, c);
	if (ret)
		goto out_put_legs;
	if (c->flags & DCDMIRROR_CREATE_ASSEMBLE)
		ret = dcdmirror_sb_assemble(m, c);
	else
		ret = dcdmirror_create_new(m, c);
	if (ret)
		goto out_put_legs;
	ret = dcdmirror_write_meta(m, c);
	if (ret)
		goto out_put_legs;
	ret = dcdmirror_io_init(m);
	if (ret) {
		dcdmirror_create_err(c, "out of memory");
		goto out_put_legs;
	}
	ret = dcdmirror_add_disk(m, c);
	if (ret)
		goto out_io_exit;
	dcdmirror_events_start(m);
	dcdmirror_event_missing(m);

	/* each array pins the module: rmmod fails while one exists */
	__module_get(THIS_MODULE);
	list_add_tail(&m->node, &dcdmirror_devices);
	queue_delayed_work(dcdmirror_wq, &m->bm.daemon,
			   msecs_to_jiffies(dcdmirror_bitmap_delay_ms));
	dcdmirror_resync_kick(m);
	mutex_unlock(&dcdmirror_devices_lock);
	if (m->legs[1].bdev)
		snprintf(remote, sizeof(remote), "%pg", m->legs[1].bdev);
	dcdmirror_info(m, "%s over %pg (local) and %s (remote), %llu sectors, bitmap chunk %u KiB%s%s\n",
		       c->flags & DCDMIRROR_CREATE_ASSEMBLE ? "assembled" : "created",
		       m->legs[0].bdev, remote, (unsigned long long)m->sectors,
		       1U << (m->bm.chunk_shift - 1), m->has_sb ? ", superblocks" : "",
		       dcdmirror_resync_active(m) ? ", resync needed" : "");
	return 0;

out_io_exit:
	dcdmirror_io_exit(m);
out_put_legs:
	/* a failed bitmap write may have queued a superblock update */
	flush_work(&m->sb_work);
	dcdmirror_timeout_exit(m);
	dcdmirror_bitmap_exit(m);
	dcdmirror_sb_exit(m);
	dcdmirror_put_legs(m);
	dcdmirror_free(m);
out_unlock:
	mutex_unlock(&dcdmirror_devices_lock);
	return ret;
}

/*
 * The last metadata of a clean stop, sb_lock held: every leg's cache
 * flushed, the bitmap cleared, the superblocks CLEAN. A leg failing one of
 * these writes queues no superblock update (m is about to be freed): the
 * next round records it on the others, at most one round per leg.
 */
static void dcdmirror_write_clean(struct dcdmirror *m)
{
	unsigned int round;
	u64 seq;

	for (round = 0; round <= m->nr_legs; round++) {
		seq = dcdmirror_fail_seq(m);
		/*
		 * The writes of the chunks it clears are stable on every leg;
		 * the activity log says that no write is in flight.
		 */
		if (dcdmirror_bitmap_flush_legs(m)) {
			dcdmirror_bitmap_clear_all(m);
			dcdmirror_al_write_clean(m);
		}
		dcdmirror_bitmap_flush(m);
		dcdmirror_sb_write(m, DCDMIRROR_SB_CLEAN);
		if (dcdmirror_fail_seq(m) == seq)
			break;
	}
}

/*
 * Called with dcdmirror_devices_lock held; m is already off the list. A
 * resync running is stopped first; the leg it rebuilds stays stale on disk.
 */
static void dcdmirror_destroy(struct dcdmirror *m, bool clean)
{
	unsigned int i;

	dcdmirror_resync_exit(m);
	/* the events queued go out while the disk is still there */
	dcdmirror_events_stop(m);
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
	flush_work(&m->al.work);
	put_disk(m->disk);
	dcdmirror_io_exit(m);
	flush_work(&m->sb_work);
	/* from here a failure queues no sb_work: nothing may run after the free */
	spin_lock_irq(&m->state_lock);
	m->stopping = true;
	spin_unlock_irq(&m->state_lock);
	/* every write has completed: the in-sync legs are equal */
	mutex_lock(&m->sb_lock);
	if (m->has_sb && clean)
		dcdmirror_write_clean(m);
	mutex_unlock(&m->sb_lock);
	/* metadata I/O given up on counts itself off m when it ends */
	dcdmirror_timeout_exit(m);
	dcdmirror_bitmap_exit(m);
	dcdmirror_sb_exit(m);
	dcdmirror_put_legs(m);
	dcdmirror_info(m, "stopped%s\n", clean ? "" : " without marking it clean");
	dcdmirror_free(m);
	dcdmirror_resync_done();
}

int dcdmirror_stop(unsigned int index, u32 flags)
{
	struct dcdmirror *m;
	int ret = 0;

	mutex_lock(&dcdmirror_devices_lock);
	m = dcdmirror_find(index);
	if (!m) {
		dcdmirror_err_index(index, "cannot stop: no such device\n");
		ret = -ENODEV;
		goto out;
	}
	/* from here opens fail, so del_gendisk finds it unused */
	ret = open_gate_close(&m->gate);
	if (ret) {
		dcdmirror_err(m, "cannot stop: device is open\n");
		goto out;
	}
	list_del(&m->node);
	dcdmirror_destroy(m, !(flags & DCDMIRROR_STOP_UNCLEAN));
	module_put(THIS_MODULE);
out:
	mutex_unlock(&dcdmirror_devices_lock);
	return ret;
}

/* Sleep until no leg of the array waits for or is in a resync, and no check runs. */
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
		/* held: it waits for a kick, not for time */
		active = (dcdmirror_resync_active(m) && !READ_ONCE(m->resync_held)) ||
			 dcdmirror_check_busy(m);
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
		dcdmirror_info(m, "resync rate %u KiB/s\n", set->resync_rate);
		dcdmirror_resync_kick(m);
	}
	if (set->remote_timeout_ms)
		dcdmirror_set_remote_timeout(m, set->remote_timeout_ms);
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

static int __init dcdmirror_init(void)
{
	int ret;

	ret = dcdmirror_wq_init();
	if (ret)
		return ret;
	dcdmirror_major = register_blkdev(0, "dcdmirror");
	if (dcdmirror_major < 0) {
		ret = dcdmirror_major;
		goto out_wq;
	}
	ret = dcdmirror_proc_init();
	if (ret)
		goto out_blkdev;
	ret = dcdmirror_ctl_init();
	if (ret)
		goto out_proc;
	return 0;

out_proc:
	dcdmirror_proc_exit();
out_blkdev:
	unregister_blkdev(dcdmirror_major, "dcdmirror");
out_wq:
	dcdmirror_wq_exit();
	return ret;
}

/* Every array holds a module reference: none is left here. */
static void __exit dcdmirror_exit(void)
{
	dcdmirror_ctl_exit();
	dcdmirror_proc_exit();
	unregister_blkdev(dcdmirror_major, "dcdmirror");
	dcdmirror_wq_exit();
}

module_init(dcdmirror_init);
module_exit(dcdmirror_exit);
MODULE_DESCRIPTION("RAID1 of a local and a remote block device");
MODULE_LICENSE("GPL");
