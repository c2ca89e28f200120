// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror control device: /dev/dcdmirror-control takes the ioctls of
 * include/uapi/linux/dcdmirror.h.
 */
#define pr_fmt(fmt) "dcdmirror: " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dcdmirror.h"

static bool dcdmirror_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* The header every request starts with: version and size must match. */
static int dcdmirror_check_hdr(const char *what, u32 version, u32 size,
			       size_t expect)
{
	if (version != DCDMIRROR_IOCTL_VERSION) {
		pr_err("%s: unsupported ioctl version %u (expected %u)\n",
		       what, version, DCDMIRROR_IOCTL_VERSION);
		return -EINVAL;
	}
	if (size != expect) {
		pr_err("%s: ioctl struct size %u, expected %zu\n",
		       what, size, expect);
		return -EINVAL;
	}
	return 0;
}

static int dcdmirror_check_index(const char *what, u32 index)
{
	if (index >= DCDMIRROR_MAX_DEVICES) {
		pr_err("%s: device index %u out of range (0..%u)\n",
		       what, index, DCDMIRROR_MAX_DEVICES - 1);
		return -EINVAL;
	}
	return 0;
}

/* Bounds of async mode; zero stands for the default or no change. */
static int dcdmirror_check_async(const char *what, u32 kib, u32 ms, u32 flags)
{
	if (kib > DCDMIRROR_MAX_LAG_KIB_MAX) {
		pr_err("%s: max lag %u KiB out of range (1..%u)\n", what, kib,
		       DCDMIRROR_MAX_LAG_KIB_MAX);
		return -EINVAL;
	}
	if (ms > DCDMIRROR_MAX_LAG_MS_MAX) {
		pr_err("%s: max lag %u ms out of range (1..%u)\n", what, ms,
		       DCDMIRROR_MAX_LAG_MS_MAX);
		return -EINVAL;
	}
	if (flags & ~DCDMIRROR_ASYNC_FLUSH_LOCAL) {
		pr_err("%s: unknown async flags 0x%x\n", what, flags);
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
			  DCDMIRROR_CREATE_ASSUME_CLEAN)) ||
	    (c->flags & DCDMIRROR_CREATE_ASSEMBLE &&
	     c->flags & (DCDMIRROR_CREATE_SUPERBLOCK | DCDMIRROR_CREATE_ASSUME_CLEAN)) ||
	    !dcdmirror_zero(c->reserved, sizeof(c->reserved))) {
		pr_err("create: unknown flags 0x%x or reserved fields set\n",
		       c->flags);
		ret = -EINVAL;
		goto out;
	}
	if (c->mode != DCDMIRROR_MODE_SYNC && c->mode != DCDMIRROR_MODE_ASYNC) {
		pr_err("create: unknown mode %u\n", c->mode);
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
		pr_err("create: resync rate %u out of range (%u..%u KiB/s)\n",
		       c->resync_rate, DCDMIRROR_RESYNC_RATE_MIN, DCDMIRROR_RESYNC_RATE_MAX);
		ret = -EINVAL;
		goto out;
	}
	if (c->flags & DCDMIRROR_CREATE_ASSEMBLE && (c->resync_rate || c->bitmap_chunk)) {
		pr_err("create: assemble takes the resync rate and the bitmap chunk from the superblocks\n");
		ret = -EINVAL;
		goto out;
	}
	memset(c->error, 0, sizeof(c->error));
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
	    !dcdmirror_zero(d.reserved, sizeof(d.reserved))) {
		pr_err("stop: unknown flags 0x%x or reserved fields set\n",
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
	if (d.flags || !dcdmirror_zero(d.reserved, sizeof(d.reserved))) {
		pr_err("wait: unknown flags 0x%x or reserved fields set\n", d.flags);
		return -EINVAL;
	}
	return dcdmirror_wait(d.index);
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
	if (op->op < DCDMIRROR_LEG_OP_FAIL || op->op > DCDMIRROR_LEG_OP_ADD || op->flags ||
	    !dcdmirror_zero(op->reserved, sizeof(op->reserved))) {
		pr_err("leg: unknown operation %u, flags 0x%x or reserved fields set\n",
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
	    !dcdmirror_zero(set.reserved, sizeof(set.reserved)) ||
	    (!(set.flags & DCDMIRROR_SET_MODE) && set.mode) ||
	    (!(set.flags & DCDMIRROR_SET_ASYNC_FLAGS) && set.async_flags)) {
		pr_err("set: unknown flags 0x%x or reserved fields set\n", set.flags);
		return -EINVAL;
	}
	if (set.resync_rate && (set.resync_rate < DCDMIRROR_RESYNC_RATE_MIN ||
				set.resync_rate > DCDMIRROR_RESYNC_RATE_MAX)) {
		pr_err("set: resync rate %u out of range (%u..%u KiB/s)\n",
		       set.resync_rate, DCDMIRROR_RESYNC_RATE_MIN, DCDMIRROR_RESYNC_RATE_MAX);
		return -EINVAL;
	}
	if (set.flags & DCDMIRROR_SET_MODE && set.mode != DCDMIRROR_MODE_SYNC &&
	    set.mode != DCDMIRROR_MODE_ASYNC) {
		pr_err("set: unknown mode %u\n", set.mode);
		return -EINVAL;
	}
	if (dcdmirror_check_async("set", set.max_lag_kib, set.max_lag_ms,
				  set.async_flags))
		return -EINVAL;
	return dcdmirror_set(&set);
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
		pr_err("info: unknown flags 0x%x\n", info->flags);
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
	return misc_register(&dcdmirror_misc);
}

void dcdmirror_ctl_exit(void)
{
	misc_deregister(&dcdmirror_misc);
}
