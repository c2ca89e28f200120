// SPDX-License-Identifier: GPL-2.0
/*
 * dcd: the control device /dev/dcd-control. Takes the ioctls of
 * include/uapi/dcdmirror/dcd.h, checks their structs and hands them to the
 * device lifecycle (dcd_main.c).
 */
#include <linux/capability.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <dcdmirror/kernel/fields.h>
#include "dcd.h"

static long dcd_ioc_create(struct dcd_ioc_create __user *argp)
{
	struct dcd_ioc_create *c;
	long ret;

	c = memdup_user(argp, sizeof(*c));
	if (IS_ERR(c))
		return PTR_ERR(c);
	if (c->version != DCD_IOCTL_VERSION || c->size != sizeof(*c) ||
	    !fields_zero(c->reserved, sizeof(c->reserved)) ||
	    (c->flags & ~(DCD_CREATE_FORMAT | DCD_CREATE_FORCE | DCD_CREATE_DISCARD_DIRTY))) {
		kfree(c);
		return -EINVAL;
	}
	memset(c->error, 0, sizeof(c->error));
	ret = dcd_create(c);
	if (ret) {
		c->error[DCD_ERROR_LEN - 1] = 0;
		if (c->error[0])
			dcd_err_index(c->index, "%s\n", c->error);
		if (copy_to_user(argp, c, sizeof(*c)))
			ret = -EFAULT;
	}
	kfree(c);
	return ret;
}

static long dcd_ioc_dev(unsigned int cmd, struct dcd_ioc_dev __user *argp)
{
	struct dcd_ioc_dev d;

	if (copy_from_user(&d, argp, sizeof(d)))
		return -EFAULT;
	if (d.version != DCD_IOCTL_VERSION || d.size != sizeof(d) ||
	    !fields_zero(d.reserved, sizeof(d.reserved)))
		return -EINVAL;
	if (cmd == DCD_IOC_STOP)
		return dcd_stop(&d);
	return dcd_flush(&d);
}

static long dcd_ioc_detail(struct dcd_ioc_detail __user *argp)
{
	struct dcd_ioc_detail *d = kzalloc(sizeof(*d), GFP_KERNEL);
	u32 index;
	long ret;

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
	/* everything but the index is output: start from zero */
	index = d->index;
	memset(d, 0, sizeof(*d));
	d->version = DCD_IOCTL_VERSION;
	d->size = sizeof(*d);
	d->index = index;
	ret = dcd_detail(index, d);
	if (!ret && copy_to_user(argp, d, sizeof(*d)))
		ret = -EFAULT;
	kfree(d);
	return ret;
}

static long dcd_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	/* the devices' data and disks: as md's and dcdmirror's control */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (cmd) {
	case DCD_IOC_CREATE:
		return dcd_ioc_create(argp);
	case DCD_IOC_STOP:
	case DCD_IOC_FLUSH:
		return dcd_ioc_dev(cmd, argp);
	case DCD_IOC_DETAIL:
		return dcd_ioc_detail(argp);
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
	.mode = 0600,
};

int dcd_ctl_init(void)
{
	return misc_register(&dcd_misc);
}

void dcd_ctl_exit(void)
{
	misc_deregister(&dcd_misc);
}
