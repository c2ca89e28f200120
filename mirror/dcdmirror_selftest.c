// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror selftest hook, for tests only: a write-only parameter that plants
 * one defect of a kind the debug kernel's checkers must report, to show that
 * they run and that their reports fail the suite (make check-debug). Nothing
 * happens unless it is written:
 *
 *   echo leak >/sys/module/dcdmirror/parameters/selftest_defect
 *	leaks one allocation of 128 bytes (kmemleak)
 *   echo lock-order >/sys/module/dcdmirror/parameters/selftest_defect
 *	takes two mutexes in one order, then in the other (lockdep)
 */
#define pr_fmt(fmt) "dcdmirror: " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

#define DCDMIRROR_SELFTEST_LEAK_BYTES 128

static DEFINE_MUTEX(dcdmirror_selftest_first);
static DEFINE_MUTEX(dcdmirror_selftest_second);

/* The pointer is dropped on return: the object is unreferenced. */
static noinline int dcdmirror_selftest_leak(void)
{
	void *p = kmalloc(DCDMIRROR_SELFTEST_LEAK_BYTES, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	memset(p, 0xdc, DCDMIRROR_SELFTEST_LEAK_BYTES);
	pr_warn("selftest: leaked one allocation of %d bytes\n",
		DCDMIRROR_SELFTEST_LEAK_BYTES);
	return 0;
}

/* One thread cannot deadlock with itself, but lockdep sees the inversion. */
static noinline void dcdmirror_selftest_lock_order(void)
{
	mutex_lock(&dcdmirror_selftest_first);
	mutex_lock(&dcdmirror_selftest_second);
	mutex_unlock(&dcdmirror_selftest_second);
	mutex_unlock(&dcdmirror_selftest_first);

	mutex_lock(&dcdmirror_selftest_second);
	mutex_lock(&dcdmirror_selftest_first);
	mutex_unlock(&dcdmirror_selftest_first);
	mutex_unlock(&dcdmirror_selftest_second);
	pr_warn("selftest: took two mutexes in both orders\n");
}

static int dcdmirror_selftest_set(const char *val,
				  const struct kernel_param *kp)
{
	if (sysfs_streq(val, "leak"))
		return dcdmirror_selftest_leak();
	if (sysfs_streq(val, "lock-order")) {
		dcdmirror_selftest_lock_order();
		return 0;
	}
	return -EINVAL;
}

static const struct kernel_param_ops dcdmirror_selftest_ops = {
	.set = dcdmirror_selftest_set,
};

module_param_cb(selftest_defect, &dcdmirror_selftest_ops, NULL, 0200);
MODULE_PARM_DESC(selftest_defect,
		 "test hook: plant a defect for the kernel's checkers (leak, lock-order); nothing by default");
