// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror: a bio-based RAID1 of a local and a remote block device
 * (/dev/dcdmirrorN), driven through /dev/dcdmirror-control.
 */
#define pr_fmt(fmt) "dcdmirror: " fmt

#include <linux/blkdev.h>
#include <linux/kernel.h>
#include <linux/module.h>
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

static const char *const dcdmirror_role_names[] = {
	[DCDMIRROR_ROLE_LOCAL] = "local",
	[DCDMIRROR_ROLE_REMOTE] = "remote",
};

static const char *const dcdmirror_mode_names[] = {
	[DCDMIRROR_MODE_SYNC] = "sync",
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
	int ret = 0;

	spin_lock_irq(&m->open_lock);
	if (m->dying)
		ret = -ENXIO;
	else
		m->open_count++;
	spin_unlock_irq(&m->open_lock);
	return ret;
}

static void dcdmirror_release(struct gendisk *disk, fmode_t mode)
{
	struct dcdmirror *m = disk->private_data;

	spin_lock_irq(&m->open_lock);
	m->open_count--;
	spin_unlock_irq(&m->open_lock);
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
	return DCDMIRROR_LEG_IN_SYNC;
}

static const char *const dcdmirror_leg_state_names[] = {
	[DCDMIRROR_LEG_IN_SYNC] = "in_sync",
	[DCDMIRROR_LEG_FAULTY] = "faulty",
	[DCDMIRROR_LEG_MISSING] = "missing",
};

static bool dcdmirror_degraded(struct dcdmirror *m)
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
			  dcdmirror_mode_names[dev_to_dcdmirror(dev)->mode]);
}
static DEVICE_ATTR_RO(mode);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);

	return sysfs_emit(buf, "%s%s\n",
			  atomic_read(&m->inflight) ? "active" : "clean",
			  dcdmirror_degraded(m) ? ", degraded" : "");
}
static DEVICE_ATTR_RO(state);

/* One line per leg: "INDEX ROLE NAME MAJOR:MINOR STATE". */
static ssize_t legs_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	unsigned int i;
	int len = 0;

	for (i = 0; i < m->nr_legs; i++) {
		struct dcdmirror_leg *leg = &m->legs[i];

		len += sysfs_emit_at(buf, len, "%u %s %pg %u:%u %s\n", i,
				     dcdmirror_role_names[leg->role], leg->bdev,
				     MAJOR(leg->dev), MINOR(leg->dev),
				     dcdmirror_leg_state_names[dcdmirror_leg_state(leg)]);
	}
	return len;
}
static DEVICE_ATTR_RO(legs);

static struct attribute *dcdmirror_attrs[] = {
	&dev_attr_mode.attr,
	&dev_attr_state.attr,
	&dev_attr_legs.attr,
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

	/* Flushes and FUA are passed to the legs, which drop what they lack. */
	blk_queue_write_cache(q, true, true);
}

int dcdmirror_create(struct dcdmirror_ioc_create *c)
{
	struct dcdmirror *m;
	sector_t sectors;
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
	m->nr_legs = DCDMIRROR_MAX_LEGS;
	spin_lock_init(&m->open_lock);
	spin_lock_init(&m->state_lock);
	mutex_init(&m->sb_lock);
	INIT_WORK(&m->sb_work, dcdmirror_sb_work);
	atomic_set(&m->inflight, 0);
	init_waitqueue_head(&m->inflight_wait);

	ret = dcdmirror_get_legs(m, c);
	if (ret)
		goto out_put_legs;

	if (c->flags & DCDMIRROR_CREATE_ASSEMBLE) {
		ret = dcdmirror_sb_assemble(m, c);
	} else if (c->flags & DCDMIRROR_CREATE_SUPERBLOCK) {
		ret = dcdmirror_sb_init(m, c);
	} else {
		sectors = bdev_nr_sectors(m->legs[0].bdev);
		for (i = 1; i < m->nr_legs; i++)
			sectors = min(sectors, bdev_nr_sectors(m->legs[i].bdev));
		m->sectors = round_down(sectors,
					bdev_logical_block_size(m->legs[0].bdev) >> SECTOR_SHIFT);
	}
	if (ret)
		goto out_put_legs;
	if (!m->sectors) {
		dcdmirror_create_err(c, "a leg has a size of zero");
		ret = -EINVAL;
		goto out_put_legs;
	}
	/* ACTIVE until a clean stop: a crash leaves it so */
	if (m->has_sb) {
		ret = dcdmirror_sb_write(m, DCDMIRROR_SB_ACTIVE);
		if (ret) {
			dcdmirror_create_err(c, "cannot write the superblocks: error %d", ret);
			goto out_put_legs;
		}
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

	/* linked before add_disk: the symlinks appear with the disk */
	for (i = 0; i < m->nr_legs; i++) {
		ret = bd_link_disk_holder(m->legs[i].bdev, m->disk);
		if (ret) {
			dcdmirror_create_err(c, "%pg: cannot link holder: error %d",
					     m->legs[i].bdev, ret);
			while (i--)
				bd_unlink_disk_holder(m->legs[i].bdev, m->disk);
			goto out_put_disk;
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
	mutex_unlock(&dcdmirror_devices_lock);
	pr_info("dcdmirror%u: %s over %pg (local) and %pg (remote), %llu sectors%s\n",
		m->index, c->flags & DCDMIRROR_CREATE_ASSEMBLE ? "assembled" : "created",
		m->legs[0].bdev, m->legs[1].bdev, (unsigned long long)m->sectors,
		m->has_sb ? ", superblocks" : "");
	return 0;

out_unlink:
	for (i = 0; i < m->nr_legs; i++)
		bd_unlink_disk_holder(m->legs[i].bdev, m->disk);
out_put_disk:
	put_disk(m->disk);
out_io_exit:
	dcdmirror_io_exit(m);
out_put_legs:
	dcdmirror_sb_exit(m);
	dcdmirror_put_legs(m);
	kfree(m);
out_unlock:
	mutex_unlock(&dcdmirror_devices_lock);
	return ret;
}

/* Called with dcdmirror_devices_lock held; m is already off the list. */
static void dcdmirror_destroy(struct dcdmirror *m)
{
	unsigned int i;

	/* before del_gendisk, which drops the slaves/ dir the links live in */
	for (i = 0; i < m->nr_legs; i++)
		bd_unlink_disk_holder(m->legs[i].bdev, m->disk);
	del_gendisk(m->disk);
	/* del_gendisk stops new bios; wait for those still at the legs */
	wait_event(m->inflight_wait, !atomic_read(&m->inflight));
	/* the last completion may still be in wake_up() under open_lock */
	spin_lock_irq(&m->open_lock);
	spin_unlock_irq(&m->open_lock);
	put_disk(m->disk);
	dcdmirror_io_exit(m);
	flush_work(&m->sb_work);
	/* every write has completed: the working legs are equal */
	mutex_lock(&m->sb_lock);
	if (m->has_sb)
		dcdmirror_sb_write(m, DCDMIRROR_SB_CLEAN);
	mutex_unlock(&m->sb_lock);
	dcdmirror_sb_exit(m);
	dcdmirror_put_legs(m);
	pr_info("dcdmirror%u: stopped\n", m->index);
	kfree(m);
}

int dcdmirror_stop(unsigned int index)
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
	spin_lock_irq(&m->open_lock);
	if (m->open_count) {
		ret = -EBUSY;
	} else {
		/* from here opens fail, so del_gendisk finds it unused */
		m->dying = true;
	}
	spin_unlock_irq(&m->open_lock);
	if (ret) {
		pr_err("dcdmirror%u: cannot stop: device is open\n", index);
		goto out;
	}
	list_del(&m->node);
	dcdmirror_destroy(m);
	module_put(THIS_MODULE);
out:
	mutex_unlock(&dcdmirror_devices_lock);
	return ret;
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
}

/* Fills info for info->index; the caller has zeroed the out fields. */
int dcdmirror_get_info(struct dcdmirror_ioc_info *info)
{
	struct dcdmirror *m;
	unsigned int i;

	mutex_lock(&dcdmirror_devices_lock);
	m = dcdmirror_find(info->index);
	if (!m) {
		mutex_unlock(&dcdmirror_devices_lock);
		return -ENODEV;
	}
	info->mode = m->mode;
	info->inflight = atomic_read(&m->inflight);
	info->state = info->inflight ? DCDMIRROR_STATE_ACTIVE :
				       DCDMIRROR_STATE_CLEAN;
	if (dcdmirror_degraded(m))
		info->flags |= DCDMIRROR_INFO_DEGRADED;
	if (m->has_sb) {
		info->flags |= DCDMIRROR_INFO_SUPERBLOCK;
		memcpy(info->uuid, m->uuid, sizeof(info->uuid));
		info->events = m->events;
	}
	if (m->unclean)
		info->flags |= DCDMIRROR_INFO_UNCLEAN;
	info->nr_legs = m->nr_legs;
	info->logical_block_size = queue_logical_block_size(m->disk->queue);
	info->size_bytes = (u64)m->sectors << SECTOR_SHIFT;
	spin_lock_irq(&m->open_lock);
	info->open_count = m->open_count;
	spin_unlock_irq(&m->open_lock);
	for (i = 0; i < m->nr_legs; i++)
		dcdmirror_leg_info(&m->legs[i], &info->legs[i]);
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
	ret = dcdmirror_ctl_init();
	if (ret)
		goto out_blkdev;
	return 0;

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
	/* every array holds a module reference, so none should be left */
	mutex_lock(&dcdmirror_devices_lock);
	list_for_each_entry_safe(m, tmp, &dcdmirror_devices, node) {
		list_del(&m->node);
		dcdmirror_destroy(m);
	}
	mutex_unlock(&dcdmirror_devices_lock);
	unregister_blkdev(dcdmirror_major, "dcdmirror");
	destroy_workqueue(dcdmirror_wq);
}

module_init(dcdmirror_init);
module_exit(dcdmirror_exit);
MODULE_DESCRIPTION("RAID1 of a local and a remote block device");
MODULE_LICENSE("GPL");
