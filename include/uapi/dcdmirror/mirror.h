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
#ifndef DCDMIRROR_UAPI_MIRROR_H
#define DCDMIRROR_UAPI_MIRROR_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DCDMIRROR_CONTROL_NAME		"dcdmirror-control"
#define DCDMIRROR_IOCTL_VERSION		3
#define DCDMIRROR_MAX_DEVICES		256	/* /dev/dcdmirror0..255 */
#define DCDMIRROR_MAX_LEGS		2
#define DCDMIRROR_ERROR_LEN		512

/* Role of a leg: reads go to the local leg while it works. */
#define DCDMIRROR_ROLE_LOCAL		0
#define DCDMIRROR_ROLE_REMOTE		1

/* mode: how a write completes */
#define DCDMIRROR_MODE_SYNC		0	/* when both legs have it */
#define DCDMIRROR_MODE_ASYNC		1	/* when the local leg has it; the
						 * remote copy follows, at most
						 * max_lag behind
						 */

/*
 * async_flags: what a flush or FUA write promises in async mode. Default:
 * it waits until every remote write accepted before it has completed, and
 * is sent to both legs (the data is on stable media at both sites).
 * FLUSH_LOCAL: it is sent to the local leg only as a flush; toward the
 * remote leg it is an ordinary async write (stable locally only).
 */
#define DCDMIRROR_ASYNC_FLUSH_LOCAL	(1U << 0)

/* async lag bounds: 0 in create or set means the default or unchanged */
#define DCDMIRROR_MAX_LAG_KIB_DEFAULT	4096
#define DCDMIRROR_MAX_LAG_KIB_MAX	(1U << 20)	/* 1 GiB */
#define DCDMIRROR_MAX_LAG_MS_DEFAULT	1000
#define DCDMIRROR_MAX_LAG_MS_MAX	3600000

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
#define DCDMIRROR_CREATE_ASSUME_CLEAN	(1U << 2)	/* the legs are equal:
							 * no initial full sync
							 */
/* assemble only: */
#define DCDMIRROR_CREATE_RUN		(1U << 3)	/* with a leg missing
							 * (0:0): run degraded
							 */
#define DCDMIRROR_CREATE_TAKEOVER	(1U << 4)	/* the one leg given (as
							 * legs[0]) was the
							 * remote one: it takes
							 * over (with RUN)
							 */
#define DCDMIRROR_CREATE_DISCARD_LOCAL	(1U << 5)	/* split brain: throw
							 * away the writes of
							 * legs[0] since then
							 */
#define DCDMIRROR_CREATE_DISCARD_REMOTE	(1U << 6)	/* ... of legs[1] */

/* remote_timeout_ms: 0 in create or set means the default or unchanged */
#define DCDMIRROR_REMOTE_TIMEOUT_DEFAULT	5000
#define DCDMIRROR_REMOTE_TIMEOUT_OFF		0xffffffffU	/* never */
#define DCDMIRROR_REMOTE_TIMEOUT_MIN		100
#define DCDMIRROR_REMOTE_TIMEOUT_MAX		3600000

/* activity log: extents in its set (al_extents); 0 means the default */
#define DCDMIRROR_AL_EXTENTS_DEFAULT	256
#define DCDMIRROR_AL_EXTENTS_MIN	1
#define DCDMIRROR_AL_EXTENTS_MAX	1000

/* dcdmirror_ioc_info.flags (out) */
#define DCDMIRROR_INFO_DEGRADED		(1U << 0)	/* a leg is not in sync */
#define DCDMIRROR_INFO_SUPERBLOCK	(1U << 1)	/* legs carry superblocks */
#define DCDMIRROR_INFO_UNCLEAN		(1U << 2)	/* assembled after a stop
							 * that was not clean
							 */
#define DCDMIRROR_INFO_RESYNC		(1U << 3)	/* a leg is being
							 * resynced
							 */
#define DCDMIRROR_INFO_CHECK		(1U << 4)	/* a check is running */
#define DCDMIRROR_INFO_ACTIVITY_LOG	(1U << 5)	/* writes are logged in
							 * an activity log
							 */

/* dcdmirror_ioc_info.check_state */
#define DCDMIRROR_CHECK_NONE		0	/* never checked */
#define DCDMIRROR_CHECK_RUNNING		1
#define DCDMIRROR_CHECK_DONE		2
#define DCDMIRROR_CHECK_STOPPED		3	/* stopped before its end */

/* dcdmirror_ioc_leg_info.state */
#define DCDMIRROR_LEG_IN_SYNC		0
#define DCDMIRROR_LEG_FAULTY		1
#define DCDMIRROR_LEG_MISSING		2	/* removed: no device */
#define DCDMIRROR_LEG_REBUILDING	3	/* gets writes, being resynced */

/* Limits of the resync rate, KiB/s */
#define DCDMIRROR_RESYNC_RATE_DEFAULT	102400
#define DCDMIRROR_RESYNC_RATE_MIN	64
#define DCDMIRROR_RESYNC_RATE_MAX	(16U << 20)

struct dcdmirror_ioc_leg {
	__u32 major;
	__u32 minor;
};

/*
 * legs[0] is the local leg, legs[1] the remote one. With ASSEMBLE the mode
 * and the size come from the superblocks; with superblocks of version 4,
 * the legs' generations decide which one is the source, whatever their
 * roles were (older versions must be given in their roles, unless given
 * alone). A leg 0:0 is missing (ASSEMBLE with RUN only).
 */
struct dcdmirror_ioc_create {
	__u32 version;
	__u32 size;
	__u32 index;		/* N of /dev/dcdmirrorN */
	__u32 flags;		/* DCDMIRROR_CREATE_* */
	struct dcdmirror_ioc_leg legs[DCDMIRROR_MAX_LEGS];
	__u32 mode;		/* DCDMIRROR_MODE_* */
	__u32 bitmap_chunk;	/* bytes a bitmap bit covers, a power of two;
				 * 0: 64 KiB or the smallest that fits
				 */
	__u32 resync_rate;	/* KiB/s, 0: the default */
	__u32 max_lag_kib;	/* async: accepted bytes not yet on the
				 * remote leg before writes wait; 0: default
				 */
	__u32 max_lag_ms;	/* async: age of the oldest of them; 0: default */
	__u32 async_flags;	/* DCDMIRROR_ASYNC_* */
	__u32 remote_timeout_ms;	/* a remote write that takes longer fails
					 * the remote leg; 0: default (assemble:
					 * the superblock's), or _OFF
					 */
	__u32 al_extents;	/* activity log extents; 0: default */
	__u32 reserved[4];
	char error[DCDMIRROR_ERROR_LEN];	/* out */
};

/* dcdmirror_ioc_dev.flags of STOP */
#define DCDMIRROR_STOP_UNCLEAN		(1U << 0)	/* test hook: leave the
							 * superblocks ACTIVE
							 * and the bitmap as
							 * it is, as a crash
							 */

/* dcdmirror_ioc_dev.flags of CHECK */
#define DCDMIRROR_CHECK_REPAIR		(1U << 0)	/* copy the source leg's
							 * data over the chunks
							 * that differ
							 */
#define DCDMIRROR_CHECK_CANCEL		(1U << 1)	/* stop a running check */

/*
 * STOP: the device must not be open (EBUSY otherwise); a resync running is
 * stopped first. WAIT: sleeps (interruptibly) until no leg is being
 * resynced and no check runs; EIO if the last resync failed, flags 0.
 * CHECK: compare the legs chunk by chunk at the resync rate while the
 * array is in use (EBUSY while a leg is not in sync).
 */
struct dcdmirror_ioc_dev {
	__u32 version;
	__u32 size;
	__u32 index;
	__u32 flags;		/* DCDMIRROR_STOP_* */
	__u32 reserved[4];
};

/* dcdmirror_ioc_leg_op.op */
#define DCDMIRROR_LEG_OP_FAIL		1	/* mark faulty */
#define DCDMIRROR_LEG_OP_REMOVE		2	/* release a faulty leg */
#define DCDMIRROR_LEG_OP_ADD		3	/* into a missing or faulty slot */

/*
 * LEG_OP: FAIL and REMOVE name the leg by slot (0 local, 1 remote) or, with
 * slot DCDMIRROR_LEG_BY_DEV, by major:minor. ADD takes major:minor; the slot
 * is the one missing, or the faulty one holding the same device (re-add).
 * A leg whose generation the array's descends from is resynced by bitmap,
 * an older or foreign one fully; one that was written on its own since
 * (split brain) is refused unless flags has ADD_DISCARD: its own writes
 * are thrown away. On failure error[] says why.
 */
#define DCDMIRROR_LEG_ADD_DISCARD	(1U << 0)
#define DCDMIRROR_LEG_BY_DEV		0xffffffffU
struct dcdmirror_ioc_leg_op {
	__u32 version;
	__u32 size;
	__u32 index;
	__u32 op;		/* DCDMIRROR_LEG_OP_* */
	__u32 slot;		/* or DCDMIRROR_LEG_BY_DEV */
	__u32 major;
	__u32 minor;
	__u32 flags;		/* ADD: DCDMIRROR_LEG_ADD_*, else 0 */
	__u32 reserved[4];
	char error[DCDMIRROR_ERROR_LEN];	/* out */
};

/* dcdmirror_ioc_set.flags: which of the fields with a valid zero to apply */
#define DCDMIRROR_SET_MODE		(1U << 0)
#define DCDMIRROR_SET_ASYNC_FLAGS	(1U << 1)

/* SET: change run-time parameters; a zero field is left as it is. */
struct dcdmirror_ioc_set {
	__u32 version;
	__u32 size;
	__u32 index;
	__u32 flags;		/* DCDMIRROR_SET_* */
	__u32 resync_rate;	/* KiB/s */
	__u32 mode;		/* with SET_MODE */
	__u32 max_lag_kib;
	__u32 max_lag_ms;
	__u32 async_flags;	/* with SET_ASYNC_FLAGS */
	__u32 remote_timeout_ms;	/* or DCDMIRROR_REMOTE_TIMEOUT_OFF */
	__u32 reserved[2];
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
	__u64 lat_avg_us;	/* average completion time of its bios */
	__u64 lat_max_us;	/* the longest */
	__u64 inflight_bytes;	/* written to the leg, not yet completed */
	__u64 merged;		/* writes sent merged into another's request
				 * (async mode coalescing)
				 */
	__u64 corrected;	/* read errors corrected: the range was
				 * rewritten from another leg and read back
				 */
	__u64 corrected_sectors;	/* sectors rewritten for them */
	__u32 read_errors;	/* counted against max_read_errors (halved
				 * for each hour without one)
				 */
	__u32 reserved;
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
	__u32 async_flags;	/* DCDMIRROR_ASYNC_* */
	__u64 inflight;		/* bios in flight */
	__u8  uuid[16];		/* INFO_SUPERBLOCK only */
	__u64 events;		/* INFO_SUPERBLOCK only */
	__u64 events_cleared;	/* INFO_SUPERBLOCK only */
	__u32 bitmap_chunk;	/* bytes */
	__u32 resync_rate;	/* KiB/s, the limit */
	__u64 bitmap_chunks;	/* bits */
	__u64 bitmap_dirty;	/* bits set */
	/* the resync running (INFO_RESYNC) or else the last one */
	__u32 resync_leg;	/* target slot */
	__u32 resync_speed;	/* KiB/s, average since it started */
	__u64 resync_total;	/* chunks to copy, as known at start */
	__u64 resync_chunks;	/* chunks copied */
	__u64 resync_bytes;	/* bytes copied */
	__u64 resync_msecs;	/* time it has run */
	__u64 resync_eta;	/* seconds left, estimated */
	__u64 lag_bytes;	/* async: accepted, not yet on the remote leg */
	__u64 lag_max_bytes;	/* the most seen since the array started */
	__u64 lag_oldest_us;	/* age of the oldest of them */
	__u32 max_lag_kib;
	__u32 max_lag_ms;
	__u32 max_read_errors;	/* a leg with more read errors is failed */
	__u32 resync_full;	/* 1: the resync copies every chunk from its
				 * checkpoint on, not only those marked
				 */
	__u64 resync_start;	/* chunk it started (or resumed) at */
	__u64 resync_pos;	/* chunk it is at */
	__u64 resync_checkpoint;	/* chunk in the superblocks: assemble
					 * resumes there
					 */
	struct dcdmirror_ioc_leg_info legs[DCDMIRROR_MAX_LEGS];
	/* generation of the in-sync legs (INFO_SUPERBLOCK, version 4) */
	__u64 gen_current;
	__u64 gen_bitmap;	/* the bits record writes since it; 0: none */
	__u64 gen_history[2];
	__u64 gen_time;		/* gen_current began, seconds since the epoch */
	__u32 gen_flags;	/* DCDMIRROR_GEN_* (mirror_format.h) */
	__u32 source_leg;	/* the leg reads come from (the sync source);
				 * 0xffffffff: none
				 */
	char  gen_host[32];	/* where gen_current began */
	__u32 remote_timeout_ms;	/* or DCDMIRROR_REMOTE_TIMEOUT_OFF */
	__u32 check_state;	/* DCDMIRROR_CHECK_* */
	__u32 check_flags;	/* DCDMIRROR_CHECK_REPAIR of the last check */
	__u32 check_speed;	/* KiB/s */
	__u64 check_total;	/* chunks */
	__u64 check_pos;	/* chunks compared */
	__u64 check_mismatches;	/* chunks that differed */
	__u64 check_repaired;	/* of them, copied over */
	__u64 check_msecs;
	/* activity log (INFO_ACTIVITY_LOG) */
	__u32 al_extents;	/* size of its set */
	__u32 al_extent_kib;	/* an extent */
	__u32 al_used;		/* extents in the set now */
	__u32 al_reserved;
	__u64 al_hits;		/* writes whose extents were in the set */
	__u64 al_misses;	/* writes that had to add one */
	__u64 al_evictions;	/* extents that left the set */
	__u64 al_transactions;	/* transactions written */
	__u64 al_waits;		/* writes that waited for one */
	__u64 meta_writes;	/* metadata writes: bitmap blocks, log
				 * transactions, superblocks
				 */
	__u64 data_writes;	/* writes to the array */
	__u64 reserved[4];
};

#define DCDMIRROR_IOC_MAGIC	0xDD
#define DCDMIRROR_IOC_CREATE	_IOWR(DCDMIRROR_IOC_MAGIC, 0x01, \
				      struct dcdmirror_ioc_create)
#define DCDMIRROR_IOC_STOP	_IOW(DCDMIRROR_IOC_MAGIC, 0x02, \
				     struct dcdmirror_ioc_dev)
#define DCDMIRROR_IOC_GET_INFO	_IOWR(DCDMIRROR_IOC_MAGIC, 0x03, \
				      struct dcdmirror_ioc_info)
#define DCDMIRROR_IOC_LEG_OP	_IOWR(DCDMIRROR_IOC_MAGIC, 0x04, \
				      struct dcdmirror_ioc_leg_op)
#define DCDMIRROR_IOC_WAIT	_IOW(DCDMIRROR_IOC_MAGIC, 0x05, \
				     struct dcdmirror_ioc_dev)
#define DCDMIRROR_IOC_SET	_IOW(DCDMIRROR_IOC_MAGIC, 0x06, \
				     struct dcdmirror_ioc_set)
#define DCDMIRROR_IOC_CHECK	_IOW(DCDMIRROR_IOC_MAGIC, 0x07, \
				     struct dcdmirror_ioc_dev)

#endif /* DCDMIRROR_UAPI_MIRROR_H */
