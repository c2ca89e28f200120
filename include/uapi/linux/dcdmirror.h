/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dcdmirror: RAID1 of a local and a remote block device.
 * Control interface of /dev/dcdmirror-control.
 *
 * Every struct starts with version (DCDMIRROR_IOCTL_VERSION) and size (the
 * sizeof the struct as the caller knows it); the kernel refuses other values
 * with EINVAL. Reserved fields and unknown flags must be zero on input, and
 * reserved fields are zero on output. On failure of CREATE the kernel puts a
 * one-line reason into error[].
 */
#ifndef _UAPI_LINUX_DCDMIRROR_H
#define _UAPI_LINUX_DCDMIRROR_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DCDMIRROR_CONTROL_NAME		"dcdmirror-control"
#define DCDMIRROR_IOCTL_VERSION		1
#define DCDMIRROR_MAX_DEVICES		256	/* /dev/dcdmirror0..255 */
#define DCDMIRROR_MAX_LEGS		2
#define DCDMIRROR_ERROR_LEN		128

/* Role of a leg: reads go to the local leg while it works. */
#define DCDMIRROR_ROLE_LOCAL		0
#define DCDMIRROR_ROLE_REMOTE		1

/* mode: how a write completes */
#define DCDMIRROR_MODE_SYNC		0	/* when both legs have it */

/* dcdmirror_ioc_info.state */
#define DCDMIRROR_STATE_CLEAN		0	/* no write in flight */
#define DCDMIRROR_STATE_ACTIVE		1	/* writes in flight */

/* dcdmirror_ioc_create.flags */
#define DCDMIRROR_CREATE_SUPERBLOCK	(1U << 0)	/* write a superblock at
							 * the end of each leg
							 */
#define DCDMIRROR_CREATE_ASSEMBLE	(1U << 1)	/* start from the legs'
							 * superblocks
							 */

/* dcdmirror_ioc_info.flags (out) */
#define DCDMIRROR_INFO_DEGRADED		(1U << 0)	/* a leg is not in sync */
#define DCDMIRROR_INFO_SUPERBLOCK	(1U << 1)	/* legs carry superblocks */
#define DCDMIRROR_INFO_UNCLEAN		(1U << 2)	/* assembled after a stop
							 * that was not clean
							 */

/* dcdmirror_ioc_leg_info.state */
#define DCDMIRROR_LEG_IN_SYNC		0
#define DCDMIRROR_LEG_FAULTY		1
#define DCDMIRROR_LEG_MISSING		2

struct dcdmirror_ioc_leg {
	__u32 major;
	__u32 minor;
};

/*
 * legs[0] is the local leg, legs[1] the remote one. With ASSEMBLE the mode
 * and the size come from the superblocks, whose roles must match legs[].
 */
struct dcdmirror_ioc_create {
	__u32 version;
	__u32 size;
	__u32 index;		/* N of /dev/dcdmirrorN */
	__u32 flags;		/* DCDMIRROR_CREATE_* */
	struct dcdmirror_ioc_leg legs[DCDMIRROR_MAX_LEGS];
	__u32 mode;		/* DCDMIRROR_MODE_* */
	__u32 reserved[7];
	char error[DCDMIRROR_ERROR_LEN];	/* out */
};

/* STOP: the device must not be open (EBUSY otherwise). */
struct dcdmirror_ioc_dev {
	__u32 version;
	__u32 size;
	__u32 index;
	__u32 flags;		/* 0 */
	__u32 reserved[4];
};

struct dcdmirror_ioc_leg_info {
	__u32 major;
	__u32 minor;
	__u32 role;		/* DCDMIRROR_ROLE_* */
	__u32 state;		/* DCDMIRROR_LEG_* */
	__u64 size_bytes;	/* whole leg */
	__u64 reads;		/* bios sent to the leg */
	__u64 writes;		/* including flushes, discards */
	__u64 read_bytes;
	__u64 write_bytes;
	__u64 errors;		/* bios the leg failed */
	__u64 reserved[4];
};

/* GET_INFO: index in, the rest out. */
struct dcdmirror_ioc_info {
	__u32 version;
	__u32 size;
	__u32 index;
	__u32 flags;		/* out: DCDMIRROR_INFO_* */
	__u32 mode;		/* DCDMIRROR_MODE_* */
	__u32 state;		/* DCDMIRROR_STATE_* */
	__u32 nr_legs;
	__u32 logical_block_size;
	__u64 size_bytes;	/* array size */
	__u32 open_count;
	__u32 reserved32;
	__u64 inflight;		/* bios in flight */
	__u8  uuid[16];		/* INFO_SUPERBLOCK only */
	__u64 events;		/* INFO_SUPERBLOCK only */
	__u64 reserved[3];
	struct dcdmirror_ioc_leg_info legs[DCDMIRROR_MAX_LEGS];
};

#define DCDMIRROR_IOC_MAGIC	0xDD
#define DCDMIRROR_IOC_CREATE	_IOWR(DCDMIRROR_IOC_MAGIC, 0x01, \
				      struct dcdmirror_ioc_create)
#define DCDMIRROR_IOC_STOP	_IOW(DCDMIRROR_IOC_MAGIC, 0x02, \
				     struct dcdmirror_ioc_dev)
#define DCDMIRROR_IOC_GET_INFO	_IOWR(DCDMIRROR_IOC_MAGIC, 0x03, \
				      struct dcdmirror_ioc_info)

#endif /* _UAPI_LINUX_DCDMIRROR_H */
