// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror legs: their states, a leg failing (marked faulty, never the last
 * in-sync one), and the leg verbs fail, remove and add (re-add by bitmap).
 */
#include <linux/blkdev.h>
#include <linux/slab.h>
#include <dcdmirror/mirror_format.h>

#include "dcdmirror.h"

/*
 * Mark leg i faulty, unless it is the last in-sync one (md does the same:
 * the array then fails the I/O instead). A leg being resynced can always
 * fail. Returns true if the leg is faulty. Writes completing from now on
 * wait until sb_work has recorded the failure (see held_list); while the
 * array stops, its last superblock write records it instead. Any context
 * (the remote timeout's timer calls it holding timeout_lock: no lock of the
 * timeout's is taken here).
 */
bool dcdmirror_fail_leg(struct dcdmirror *m, unsigned int i)
{
	struct dcdmirror_leg *leg = &m->legs[i];
	unsigned int j, others = 0;
	unsigned long flags;
	bool newly = false, was_in_sync = false, stopping;
	struct event e;

	spin_lock_irqsave(&m->state_lock, flags);
	if (!test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags)) {
		for (j = 0; j < m->nr_legs; j++)
			if (j != i && dcdmirror_leg_in_sync(&m->legs[j]))
				others++;
		if (others || test_bit(DCDMIRROR_LEG_REBUILDING_BIT, &leg->flags)) {
			/* in sync, the other one too (others): no longer */
			was_in_sync = dcdmirror_leg_in_sync(leg);
			set_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags);
			m->fail_seq++;
			newly = true;
		}
	}
	stopping = m->stopping;
	spin_unlock_irqrestore(&m->state_lock, flags);
	if (newly) {
		/* before the failed write ends: its bits stay set */
		dcdmirror_bitmap_allow_clear(m, false);
		dcdmirror_err(m, "%pg (%s leg) failed: marked faulty, running degraded\n",
			      leg->bdev, dcdmirror_role_name(leg));
		dcdmirror_event_init(m->index, &e, "leg_faulty", "legs");
		dcdmirror_event_add_leg(&e, leg);
		dcdmirror_event_post(m, &e);
		if (was_in_sync) {
			dcdmirror_event_init(m->index, &e, "degraded", "state");
			dcdmirror_event_add_leg(&e, leg);
			event_add(&e, "DCDMIRROR_LEG_STATE", "faulty");
			dcdmirror_event_post(m, &e);
		}
		if (!stopping)
			queue_work(dcdmirror_wq, &m->sb_work);
		wake_up(&m->resync_wq);
		/* its writes under the remote timeout go now (dcdmirror_timeout.c) */
		mod_timer(&m->timeout_timer, jiffies);
	}
	return test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags);
}

/* The failures so far (see fail_seq). */
u64 dcdmirror_fail_seq(struct dcdmirror *m)
{
	u64 seq;

	spin_lock_irq(&m->state_lock);
	seq = m->fail_seq;
	spin_unlock_irq(&m->state_lock);
	return seq;
}

/*
 * The superblocks have been written with the failures up to seq: end the
 * writes held for them. Process context.
 */
void dcdmirror_release_held(struct dcdmirror *m, u64 seq)
{
	struct dcdmirror_io *io, *tmp;
	LIST_HEAD(list);

	spin_lock_irq(&m->state_lock);
	m->sb_seq = max(m->sb_seq, seq);
	list_for_each_entry_safe(io, tmp, &m->held_list, node)
		if (io->hold_seq <= m->sb_seq)
			list_move_tail(&io->node, &list);
	spin_unlock_irq(&m->state_lock);
	list_for_each_entry_safe(io, tmp, &list, node) {
		list_del_init(&io->node);
		dcdmirror_io_release(io);
	}
}

/* Does the local leg have every write? */
bool dcdmirror_local_in_sync(struct dcdmirror *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++)
		if (m->legs[i].role == DCDMIRROR_ROLE_LOCAL)
			return m->legs[i].bdev && dcdmirror_leg_in_sync(&m->legs[i]);
	return false;
}

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

bool dcdmirror_degraded(struct dcdmirror *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++)
		if (dcdmirror_leg_state(&m->legs[i]) != DCDMIRROR_LEG_IN_SYNC)
			return true;
	return false;
}

/* The reason of a refused leg operation: to the caller and to the log. */
static __printf(2, 3)
void dcdmirror_op_err(struct dcdmirror_ioc_leg_op *op, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(op->error, sizeof(op->error), fmt, ap);
	va_end(ap);
	dcdmirror_err_index(op->index, "%s\n", op->error);
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
	struct event e;

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
	dcdmirror_info(m, "%pg (%s leg) removed\n", bdev, dcdmirror_role_name(leg));
	dcdmirror_event_init(m->index, &e, "leg_removed", "legs");
	event_add(&e, "DCDMIRROR_LEG", "%s", dcdmirror_role_name(leg));
	event_add(&e, "DCDMIRROR_LEG_DEVICE", "%pg", bdev);
	dcdmirror_event_post(m, &e);
	blkdev_put(bdev, DCDMIRROR_LEG_MODE);
	return 0;
}

/*
 * The slot a device is added into: the faulty leg holding the same device
 * (a re-add, *readd set), else the missing one. -1 with the reason in op.
 */
static int dcdmirror_add_slot(struct dcdmirror *m, struct dcdmirror_ioc_leg_op *op,
			      dev_t dev, bool *readd)
{
	unsigned int i;

	*readd = false;
	for (i = 0; i < m->nr_legs; i++) {
		struct dcdmirror_leg *leg = &m->legs[i];

		if (leg->bdev && leg->dev == dev) {
			if (!test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags)) {
				dcdmirror_op_err(op, "%pg is already a working leg", leg->bdev);
				return -1;
			}
			*readd = true;
			return i;
		}
	}
	for (i = 0; i < m->nr_legs; i++)
		if (!m->legs[i].bdev)
			return i;
	dcdmirror_op_err(op, "no missing leg to add %u:%u as: remove one first",
			 MAJOR(dev), MINOR(dev));
	return -1;
}

/* Open a new leg's device exclusively and check that it fits the array. */
static struct block_device *dcdmirror_add_open(struct dcdmirror *m,
					       struct dcdmirror_ioc_leg_op *op, dev_t dev)
{
	struct block_device *bdev;
	int ret = -EINVAL;

	bdev = blkdev_get_by_dev(dev, DCDMIRROR_LEG_MODE, m);
	if (IS_ERR(bdev)) {
		if (PTR_ERR(bdev) == -EBUSY)
			dcdmirror_op_err(op, "%u:%u: device is in use", MAJOR(dev), MINOR(dev));
		else
			dcdmirror_op_err(op, "%u:%u: cannot open: error %ld",
					 MAJOR(dev), MINOR(dev), PTR_ERR(bdev));
		return bdev;
	}
	if (bdev_read_only(bdev)) {
		dcdmirror_op_err(op, "%pg: device is read-only", bdev);
		ret = -EROFS;
	} else if (bdev_logical_block_size(bdev) != queue_logical_block_size(m->disk->queue)) {
		dcdmirror_op_err(op, "%pg: logical block size %u, the array's is %u", bdev,
				 bdev_logical_block_size(bdev),
				 queue_logical_block_size(m->disk->queue));
	} else if ((m->has_sb ? dcdmirror_data_sectors(bdev_nr_sectors(bdev)) :
				bdev_nr_sectors(bdev)) < m->sectors) {
		dcdmirror_op_err(op, "%pg is too small for the array", bdev);
	} else {
		ret = bd_link_disk_holder(bdev, m->disk);
		if (!ret)
			return bdev;
		dcdmirror_op_err(op, "%pg: cannot link holder: error %d", bdev, ret);
	}
	blkdev_put(bdev, DCDMIRROR_LEG_MODE);
	return ERR_PTR(ret);
}

/*
 * Put bdev into slot i as a leg to rebuild, with no I/O in flight, and
 * record it in the superblocks; by_bitmap: the set bits are what it lacks
 * (its superblock's events in events), else all are set.
 */
static void dcdmirror_add_install(struct dcdmirror *m, unsigned int i,
				  struct block_device *bdev, dev_t dev,
				  struct dcdmirror_add *add)
{
	struct dcdmirror_leg *leg = &m->legs[i];
	bool by_bitmap = add->by_bitmap;
	struct event e;

	dcdmirror_suspend(m);
	mutex_lock(&m->sb_lock);
	/* what it may hold that the array lacks is copied over too */
	if (by_bitmap && add->merge_bits &&
	    dcdmirror_bitmap_read(m, bdev, dcdmirror_bitmap_sector(bdev_nr_sectors(bdev)), true)) {
		dcdmirror_warn(m, "%pg: cannot read its bitmap: full resync\n", bdev);
		by_bitmap = false;
	}
	if (!by_bitmap)
		dcdmirror_bitmap_set_all(m);
	if (add->id)
		leg->id = add->id;
	else
		dcdmirror_gen_new_leg(m, i);
	leg->gen = add->gen;
	if (by_bitmap)
		dcdmirror_gen_rebuild(m, i);
	/* suspended: no write sets a bit until the resync counts them */
	dcdmirror_event_init(m->index, &e, "leg_added", "legs");
	event_add(&e, "DCDMIRROR_LEG", "%s", dcdmirror_role_name(leg));
	event_add(&e, "DCDMIRROR_LEG_DEVICE", "%pg", bdev);
	event_add(&e, "DCDMIRROR_RESYNC", "%s", by_bitmap ? "bitmap" : "full");
	event_add(&e, "DCDMIRROR_CHUNKS", "%llu", dcdmirror_bitmap_weight(m));
	mutex_lock(&m->cfg_lock);
	spin_lock_irq(&m->state_lock);
	leg->bdev = bdev;
	leg->dev = dev;
	leg->base_events = by_bitmap ? add->events : 0;
	/* as md's new rdev: the read errors of before do not count */
	leg->read_errors = 0;
	set_bit(DCDMIRROR_LEG_REBUILDING_BIT, &leg->flags);
	clear_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags);
	/* before the resync thread can see the leg: its resync_started follows */
	dcdmirror_event_post(m, &e);
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
}

static int dcdmirror_leg_add_op(struct dcdmirror *m, struct dcdmirror_ioc_leg_op *op)
{
	dev_t dev = MKDEV(op->major, op->minor);
	struct block_device *bdev;
	struct dcdmirror_add add = { };
	bool readd;
	int i, ret;

	if (MAJOR(dev) != op->major || MINOR(dev) != op->minor) {
		dcdmirror_op_err(op, "invalid device number %u:%u", op->major, op->minor);
		return -EINVAL;
	}
	if (dev == disk_devt(m->disk)) {
		dcdmirror_op_err(op, "an array cannot be a leg of itself");
		return -EINVAL;
	}
	i = dcdmirror_add_slot(m, op, dev, &readd);
	if (i < 0)
		return -EBUSY;
	/* metadata writes given up on must not land after the new ones */
	dcdmirror_wait_abandoned(m);
	bdev = readd ? m->legs[i].bdev : dcdmirror_add_open(m, op, dev);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	if (m->has_sb) {
		mutex_lock(&m->sb_lock);
		ret = dcdmirror_sb_check_leg(m, i, bdev, op->flags & DCDMIRROR_LEG_ADD_DISCARD,
					     &add, op->error);
		mutex_unlock(&m->sb_lock);
		if (ret) {
			if (ret == -ENOMEM)
				dcdmirror_op_err(op, "out of memory");
			else
				dcdmirror_err_index(op->index, "%s\n", op->error);
			if (!readd) {
				bd_unlink_disk_holder(bdev, m->disk);
				blkdev_put(bdev, DCDMIRROR_LEG_MODE);
			}
			return ret;
		}
		m->legs[i].sb_sector = dcdmirror_sb_sector(bdev_nr_sectors(bdev));
		m->legs[i].bitmap_sector = dcdmirror_bitmap_sector(bdev_nr_sectors(bdev));
	} else {
		/* without superblocks only the bitmap kept since it left tells */
		add.by_bitmap = readd;
	}
	dcdmirror_add_install(m, i, bdev, dev, &add);
	dcdmirror_info(m, "%pg %s as the %s leg: %s resync of %llu chunks%s\n", bdev,
		       readd ? "re-added" : "added", dcdmirror_role_name(&m->legs[i]),
		       add.by_bitmap ? "bitmap" : "full", dcdmirror_bitmap_weight(m),
		       add.discarded ? ", its own writes discarded" : "");
	dcdmirror_resync_kick(m);
	return 0;
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

/* A leg's counters summed over the CPUs. */
void dcdmirror_leg_counters_sum(struct dcdmirror_leg *leg,
				struct dcdmirror_leg_counters *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct dcdmirror_leg_counters *c = per_cpu_ptr(leg->stats, cpu);

		sum->reads += c->reads;
		sum->writes += c->writes;
		sum->read_bytes += c->read_bytes;
		sum->write_bytes += c->write_bytes;
		sum->errors += c->errors;
		sum->lat_ns += c->lat_ns;
		sum->lat_count += c->lat_count;
		sum->lat_max_ns = max(sum->lat_max_ns, c->lat_max_ns);
		sum->inflight_bytes += c->inflight_bytes;
		sum->merged += c->merged;
		sum->corrected += c->corrected;
		sum->corrected_sectors += c->corrected_sectors;
	}
	/* a completion summed before its submission on another CPU */
	sum->inflight_bytes = max_t(s64, sum->inflight_bytes, 0);
}
