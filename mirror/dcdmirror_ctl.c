// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror control device: /dev/dcdmirror-control takes the ioctls of
 * include/uapi/dcdmirror/mirror.h, checks their structs and hands them
 * to the arrays; GET_INFO's answer is filled in here.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <dcdmirror/kernel/fields.h>

#include "dcdmirror.h"

/* The header every request starts with: version and size must match. */
static int dcdmirror_check_hdr(const char *what, u32 version, u32 size,
			       size_t expect)
{
	if (version != DCDMIRROR_IOCTL_VERSION) {
		pr_err("dcdmirror: %s: unsupported ioctl version %u (expected %u)\n",
		       what, version, DCDMIRROR_IOCTL_VERSION);
		return -EINVAL;
	}
	if (size != expect) {
		pr_err("dcdmirror: %s: ioctl struct size %u, expected %zu\n",
		       what, size, expect);
		return -EINVAL;
	}
	return 0;
}

static int dcdmirror_check_index(const char *what, u32 index)
{
	if (index >= DCDMIRROR_MAX_DEVICES) {
		pr_err("dcdmirror: %s: device index %u out of range (0..%u)\n",
		       what, index, DCDMIRROR_MAX_DEVICES - 1);
		return -EINVAL;
	}
	return 0;
}

/* Bounds of async mode; zero stands for the default or no change. */
static int dcdmirror_check_async(const char *what, u32 kib, u32 ms, u32 flags)
{
	if (kib > DCDMIRROR_MAX_LAG_KIB_MAX) {
		pr_err("dcdmirror: %s: max lag %u KiB out of range (1..%u)\n", what, kib,
		       DCDMIRROR_MAX_LAG_KIB_MAX);
		return -EINVAL;
	}
	if (ms > DCDMIRROR_MAX_LAG_MS_MAX) {
		pr_err("dcdmirror: %s: max lag %u ms out of range (1..%u)\n", what, ms,
		       DCDMIRROR_MAX_LAG_MS_MAX);
		return -EINVAL;
	}
	if (flags & ~DCDMIRROR_ASYNC_FLUSH_LOCAL) {
		pr_err("dcdmirror: %s: unknown async flags 0x%x\n", what, flags);
		return -EINVAL;
	}
	return 0;
}

/* A remote timeout of create or set: 0 (default, unchanged), OFF or in range. */
static bool dcdmirror_remote_timeout_ok(u32 ms)
{
	return !ms || ms == DCDMIRROR_REMOTE_TIMEOUT_OFF ||
	       (ms >= DCDMIRROR_REMOTE_TIMEOUT_MIN && ms <= DCDMIRROR_REMOTE_TIMEOUT_MAX);
}

/* The flags of assemble that start without a leg or resolve a split brain. */
static int dcdmirror_check_assemble(struct dcdmirror_ioc_create *c)
{
	bool missing = !c->legs[1].major && !c->legs[1].minor;
	u32 discard = c->flags & (DCDMIRROR_CREATE_DISCARD_LOCAL |
				  DCDMIRROR_CREATE_DISCARD_REMOTE);

	if (!(c->flags & DCDMIRROR_CREATE_ASSEMBLE) &&
	    (c->flags & DCDMIRROR_CREATE_RUN || c->flags & DCDMIRROR_CREATE_TAKEOVER || discard)) {
		dcdmirror_create_err(c, "--run, --takeover and --discard are options of assemble");
		return -EINVAL;
	}
	if (!c->legs[0].major && !c->legs[0].minor) {
		dcdmirror_create_err(c, "the local leg cannot be missing");
		return -EINVAL;
	}
	if (missing && !(c->flags & DCDMIRROR_CREATE_RUN)) {
		dcdmirror_create_err(c, "the remote leg is missing: --run starts the array degraded on the local leg");
		return -EINVAL;
	}
	if (c->flags & DCDMIRROR_CREATE_TAKEOVER && !missing) {
		dcdmirror_create_err(c, "--takeover is given with the remote leg missing (--remote missing --run)");
		return -EINVAL;
	}
	if (c->flags & DCDMIRROR_CREATE_TAKEOVER && !(c->flags & DCDMIRROR_CREATE_RUN)) {
		dcdmirror_create_err(c, "--takeover needs --run: the array starts degraded");
		return -EINVAL;
	}
	if (discard && missing) {
		dcdmirror_create_err(c, "--discard needs both legs: it resolves a split brain between them");
		return -EINVAL;
	}
	if (discard == (DCDMIRROR_CREATE_DISCARD_LOCAL | DCDMIRROR_CREATE_DISCARD_REMOTE)) {
		dcdmirror_create_err(c, "--discard names one leg, local or remote");
		return -EINVAL;
	}
	if (!dcdmirror_remote_timeout_ok(c->remote_timeout_ms)) {
		dcdmirror_create_err(c, "remote timeout %u ms out of range (%u..%u, or off)",
				     c->remote_timeout_ms, DCDMIRROR_REMOTE_TIMEOUT_MIN,
				     DCDMIRROR_REMOTE_TIMEOUT_MAX);
		return -EINVAL;
	}
	if (c->al_extents > DCDMIRROR_AL_EXTENTS_MAX) {
		dcdmirror_create_err(c, "activity log of %u extents out of range (%u..%u)",
				     c->al_extents, DCDMIRROR_AL_EXTENTS_MIN,
				     DCDMIRROR_AL_EXTENTS_MAX);
		return -EINVAL;
	}
	return 0;
}

static long dcdmirror_ioc_create(void __user *arg)
{
	struct dcdmirror_ioc_create *c;
	long ret;

	c = memdup_user(arg, sizeof(*c));
	if (IS_ERR(c))
		return PTR_ERR(c);
	ret = dcdmirror_check_hdr("create", c->version, c->size, sizeof(*c));
	if (ret)
		goto out;
	ret = dcdmirror_check_index("create", c->index);
	if (ret)
		goto out;
	if ((c->flags & ~(DCDMIRROR_CREATE_SUPERBLOCK | DCDMIRROR_CREATE_ASSEMBLE |
			  DCDMIRROR_CREATE_ASSUME_CLEAN | DCDMIRROR_CREATE_RUN |
			  DCDMIRROR_CREATE_TAKEOVER | DCDMIRROR_CREATE_DISCARD_LOCAL |
			  DCDMIRROR_CREATE_DISCARD_REMOTE)) ||
	    (c->flags & DCDMIRROR_CREATE_ASSEMBLE &&
	     c->flags & (DCDMIRROR_CREATE_SUPERBLOCK | DCDMIRROR_CREATE_ASSUME_CLEAN)) ||
	    !fields_zero(c->reserved, sizeof(c->reserved))) {
		pr_err("dcdmirror: create: unknown flags 0x%x or reserved fields set\n",
		       c->flags);
		ret = -EINVAL;
		goto out;
	}
	if (c->mode != DCDMIRROR_MODE_SYNC && c->mode != DCDMIRROR_MODE_ASYNC) {
		pr_err("dcdmirror: create: unknown mode %u\n", c->mode);
		ret = -EINVAL;
		goto out;
	}
	if (dcdmirror_check_async("create", c->max_lag_kib, c->max_lag_ms,
				  c->async_flags)) {
		ret = -EINVAL;
		goto out;
	}
	if (c->resync_rate && (c->resync_rate < DCDMIRROR_RESYNC_RATE_MIN ||
			       c->resync_rate > DCDMIRROR_RESYNC_RATE_MAX)) {
		pr_err("dcdmirror: create: resync rate %u out of range (%u..%u KiB/s)\n",
		       c->resync_rate, DCDMIRROR_RESYNC_RATE_MIN, DCDMIRROR_RESYNC_RATE_MAX);
		ret = -EINVAL;
		goto out;
	}
	if (c->flags & DCDMIRROR_CREATE_ASSEMBLE && (c->resync_rate || c->bitmap_chunk)) {
		pr_err("dcdmirror: create: assemble takes the resync rate and the bitmap chunk from the superblocks\n");
		ret = -EINVAL;
		goto out;
	}
	memset(c->error, 0, sizeof(c->error));
	ret = dcdmirror_check_assemble(c);
	if (!ret)
		ret = dcdmirror_create(c);
	/* the reason goes back even on failure */
	if (copy_to_user(arg, c, sizeof(*c)))
		ret = -EFAULT;
out:
	kfree(c);
	return ret;
}

static long dcdmirror_ioc_stop(void __user *arg)
{
	struct dcdmirror_ioc_dev d;
	long ret;

	if (copy_from_user(&d, arg, sizeof(d)))
		return -EFAULT;
	ret = dcdmirror_check_hdr("stop", d.version, d.size, sizeof(d));
	if (ret)
		return ret;
	ret = dcdmirror_check_index("stop", d.index);
	if (ret)
		return ret;
	if ((d.flags & ~DCDMIRROR_STOP_UNCLEAN) ||
	    !fields_zero(d.reserved, sizeof(d.reserved))) {
		pr_err("dcdmirror: stop: unknown flags 0x%x or reserved fields set\n",
		       d.flags);
		return -EINVAL;
	}
	return dcdmirror_stop(d.index, d.flags);
}

static long dcdmirror_ioc_wait(void __user *arg)
{
	struct dcdmirror_ioc_dev d;
	long ret;

	if (copy_from_user(&d, arg, sizeof(d)))
		return -EFAULT;
	ret = dcdmirror_check_hdr("wait", d.version, d.size, sizeof(d));
	if (ret)
		return ret;
	ret = dcdmirror_check_index("wait", d.index);
	if (ret)
		return ret;
	if (d.flags || !fields_zero(d.reserved, sizeof(d.reserved))) {
		pr_err("dcdmirror: wait: unknown flags 0x%x or reserved fields set\n", d.flags);
		return -EINVAL;
	}
	return dcdmirror_wait(d.index);
}

static long dcdmirror_ioc_check(void __user *arg)
{
	struct dcdmirror_ioc_dev d;
	long ret;

	if (copy_from_user(&d, arg, sizeof(d)))
		return -EFAULT;
	ret = dcdmirror_check_hdr("check", d.version, d.size, sizeof(d));
	if (ret)
		return ret;
	ret = dcdmirror_check_index("check", d.index);
	if (ret)
		return ret;
	if ((d.flags & ~(DCDMIRROR_CHECK_REPAIR | DCDMIRROR_CHECK_CANCEL)) ||
	    d.flags == (DCDMIRROR_CHECK_REPAIR | DCDMIRROR_CHECK_CANCEL) ||
	    !fields_zero(d.reserved, sizeof(d.reserved))) {
		pr_err("dcdmirror: check: unknown flags 0x%x or reserved fields set\n", d.flags);
		return -EINVAL;
	}
	return dcdmirror_check_start(d.index, d.flags);
}

static long dcdmirror_ioc_leg_op(void __user *arg)
{
	struct dcdmirror_ioc_leg_op *op;
	long ret;

	op = memdup_user(arg, sizeof(*op));
	if (IS_ERR(op))
		return PTR_ERR(op);
	ret = dcdmirror_check_hdr("leg", op->version, op->size, sizeof(*op));
	if (ret)
		goto out;
	ret = dcdmirror_check_index("leg", op->index);
	if (ret)
		goto out;
	if (op->op < DCDMIRROR_LEG_OP_FAIL || op->op > DCDMIRROR_LEG_OP_ADD ||
	    op->flags & ~DCDMIRROR_LEG_ADD_DISCARD ||
	    (op->flags && op->op != DCDMIRROR_LEG_OP_ADD) ||
	    !fields_zero(op->reserved, sizeof(op->reserved))) {
		pr_err("dcdmirror: leg: unknown operation %u, flags 0x%x or reserved fields set\n",
		       op->op, op->flags);
		ret = -EINVAL;
		goto out;
	}
	memset(op->error, 0, sizeof(op->error));
	ret = dcdmirror_leg_op(op);
	if (copy_to_user(arg, op, sizeof(*op)))
		ret = -EFAULT;
out:
	kfree(op);
	return ret;
}

static long dcdmirror_ioc_set(void __user *arg)
{
	struct dcdmirror_ioc_set set;
	long ret;

	if (copy_from_user(&set, arg, sizeof(set)))
		return -EFAULT;
	ret = dcdmirror_check_hdr("set", set.version, set.size, sizeof(set));
	if (ret)
		return ret;
	ret = dcdmirror_check_index("set", set.index);
	if (ret)
		return ret;
	if ((set.flags & ~(DCDMIRROR_SET_MODE | DCDMIRROR_SET_ASYNC_FLAGS)) ||
	    !fields_zero(set.reserved, sizeof(set.reserved)) ||
	    (!(set.flags & DCDMIRROR_SET_MODE) && set.mode) ||
	    (!(set.flags & DCDMIRROR_SET_ASYNC_FLAGS) && set.async_flags)) {
		pr_err("dcdmirror: set: unknown flags 0x%x or reserved fields set\n", set.flags);
		return -EINVAL;
	}
	if (set.resync_rate && (set.resync_rate < DCDMIRROR_RESYNC_RATE_MIN ||
				set.resync_rate > DCDMIRROR_RESYNC_RATE_MAX)) {
		pr_err("dcdmirror: set: resync rate %u out of range (%u..%u KiB/s)\n",
		       set.resync_rate, DCDMIRROR_RESYNC_RATE_MIN, DCDMIRROR_RESYNC_RATE_MAX);
		return -EINVAL;
	}
	if (set.flags & DCDMIRROR_SET_MODE && set.mode != DCDMIRROR_MODE_SYNC &&
	    set.mode != DCDMIRROR_MODE_ASYNC) {
		pr_err("dcdmirror: set: unknown mode %u\n", set.mode);
		return -EINVAL;
	}
	if (dcdmirror_check_async("set", set.max_lag_kib, set.max_lag_ms,
				  set.async_flags))
		return -EINVAL;
	if (!dcdmirror_remote_timeout_ok(set.remote_timeout_ms)) {
		pr_err("dcdmirror: set: remote timeout %u ms out of range (%u..%u, or off)\n",
		       set.remote_timeout_ms, DCDMIRROR_REMOTE_TIMEOUT_MIN,
		       DCDMIRROR_REMOTE_TIMEOUT_MAX);
		return -EINVAL;
	}
	return dcdmirror_set(&set);
}

static void dcdmirror_leg_info(struct dcdmirror_leg *leg,
			       struct dcdmirror_ioc_leg_info *li)
{
	struct dcdmirror_leg_counters sum;

	dcdmirror_leg_counters_sum(leg, &sum);
	li->major = MAJOR(leg->dev);
	li->minor = MINOR(leg->dev);
	li->role = leg->role;
	li->state = dcdmirror_leg_state(leg);
	li->size_bytes = leg->bdev ? bdev_nr_bytes(leg->bdev) : 0;
	li->reads = sum.reads;
	li->writes = sum.writes;
	li->read_bytes = sum.read_bytes;
	li->write_bytes = sum.write_bytes;
	li->errors = sum.errors;
	li->lat_avg_us = dcdmirror_lat_avg_us(&sum);
	li->lat_max_us = div_u64(sum.lat_max_ns, 1000);
	li->inflight_bytes = sum.inflight_bytes;
	li->merged = sum.merged;
	li->corrected = sum.corrected;
	li->corrected_sectors = sum.corrected_sectors;
	li->read_errors = READ_ONCE(leg->read_errors);
}

/* The generation of the in-sync legs and the leg reads come from. */
static void dcdmirror_gen_info(struct dcdmirror *m, struct dcdmirror_ioc_info *info)
{
	int src = dcdmirror_read_leg(m);

	info->source_leg = src < 0 ? DCDMIRROR_LEG_BY_DEV : src;
	if (!m->has_sb)
		return;
	mutex_lock(&m->sb_lock);
	info->gen_current = m->gen.uuid;
	info->gen_bitmap = m->gen.bitmap;
	info->gen_history[0] = m->gen.history[0];
	info->gen_history[1] = m->gen.history[1];
	info->gen_time = m->gen.time;
	info->gen_flags = m->gen.flags;
	memcpy(info->gen_host, m->gen.host, sizeof(info->gen_host));
	mutex_unlock(&m->sb_lock);
}

static void dcdmirror_check_info(struct dcdmirror *m, struct dcdmirror_ioc_info *info)
{
	struct dcdmirror_check_stats cs;
	u64 speed, eta;

	dcdmirror_check_progress(m, &cs, &speed, &eta);
	if (cs.state == DCDMIRROR_CHECK_RUNNING)
		info->flags |= DCDMIRROR_INFO_CHECK;
	info->check_state = cs.state;
	info->check_flags = cs.flags;
	info->check_speed = min_t(u64, speed, U32_MAX);
	info->check_total = cs.total;
	info->check_pos = cs.pos;
	info->check_mismatches = cs.mismatches;
	info->check_repaired = cs.repaired;
	if (cs.state != DCDMIRROR_CHECK_NONE)
		info->check_msecs = jiffies_to_msecs((cs.end ?: jiffies) - cs.start);
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
	dcdmirror_gen_info(m, info);
	dcdmirror_check_info(m, info);
	info->remote_timeout_ms = READ_ONCE(m->remote_timeout_ms);
	if (m->al.enabled && m->has_sb) {
		struct dcdmirror_al_stats st;

		dcdmirror_al_stats(m, &st);
		info->flags |= DCDMIRROR_INFO_ACTIVITY_LOG;
		info->al_extents = st.extents;
		info->al_extent_kib = st.extent_bytes >> 10;
		info->al_used = st.used;
		info->al_hits = st.hits;
		info->al_misses = st.misses;
		info->al_evictions = st.evictions;
		info->al_transactions = st.transactions;
		info->al_waits = st.waits;
	}
	info->meta_writes = atomic64_read(&m->meta_writes);
	info->data_writes = atomic64_read(&m->data_writes);
	info->nr_legs = m->nr_legs;
	info->logical_block_size = queue_logical_block_size(m->disk->queue);
	info->size_bytes = (u64)m->sectors << SECTOR_SHIFT;
	info->open_count = open_gate_count(&m->gate);
	for (i = 0; i < m->nr_legs; i++)
		dcdmirror_leg_info(&m->legs[i], &info->legs[i]);
	mutex_unlock(&dcdmirror_devices_lock);
	return 0;
}

static long dcdmirror_ioc_get_info(void __user *arg)
{
	struct dcdmirror_ioc_info *info;
	u32 index;
	long ret;

	info = memdup_user(arg, sizeof(*info));
	if (IS_ERR(info))
		return PTR_ERR(info);
	ret = dcdmirror_check_hdr("info", info->version, info->size,
				  sizeof(*info));
	if (ret)
		goto out;
	ret = dcdmirror_check_index("info", info->index);
	if (ret)
		goto out;
	if (info->flags) {
		pr_err("dcdmirror: info: unknown flags 0x%x\n", info->flags);
		ret = -EINVAL;
		goto out;
	}
	/* everything else is output: start from zero */
	index = info->index;
	memset(info, 0, sizeof(*info));
	info->version = DCDMIRROR_IOCTL_VERSION;
	info->size = sizeof(*info);
	info->index = index;
	ret = dcdmirror_get_info(info);
	if (!ret && copy_to_user(arg, info, sizeof(*info)))
		ret = -EFAULT;
out:
	kfree(info);
	return ret;
}

static long dcdmirror_ctl_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (cmd) {
	case DCDMIRROR_IOC_CREATE:
		return dcdmirror_ioc_create(argp);
	case DCDMIRROR_IOC_STOP:
		return dcdmirror_ioc_stop(argp);
	case DCDMIRROR_IOC_GET_INFO:
		return dcdmirror_ioc_get_info(argp);
	case DCDMIRROR_IOC_LEG_OP:
		return dcdmirror_ioc_leg_op(argp);
	case DCDMIRROR_IOC_WAIT:
		return dcdmirror_ioc_wait(argp);
	case DCDMIRROR_IOC_SET:
		return dcdmirror_ioc_set(argp);
	case DCDMIRROR_IOC_CHECK:
		return dcdmirror_ioc_check(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations dcdmirror_ctl_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = dcdmirror_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice dcdmirror_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = DCDMIRROR_CONTROL_NAME,
	.fops = &dcdmirror_ctl_fops,
	.mode = 0600,
};

int dcdmirror_ctl_init(void)
{
	int ret;

	dcdmirror_ctl_events_init();
	ret = misc_register(&dcdmirror_misc);
	if (ret)
		return ret;
	dcdmirror_ctl_events_start(&dcdmirror_misc);
	return 0;
}

void dcdmirror_ctl_exit(void)
{
	dcdmirror_ctl_events_stop();
	misc_deregister(&dcdmirror_misc);
}
