/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dcd: disk caching disk block device. Control interface of /dev/dcd-control.
 *
 * Every struct starts with version (DCD_IOCTL_VERSION) and size (sizeof the
 * struct as the caller knows it); the kernel refuses other values with
 * EINVAL. Reserved fields must be zero on input and are zero on output.
 * On failure of CREATE the kernel puts a one-line reason into error[].
 */
#ifndef DCDMIRROR_UAPI_DCD_H
#define DCDMIRROR_UAPI_DCD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DCD_CONTROL_NAME	"dcd-control"
#define DCD_IOCTL_VERSION	1
#define DCD_MAX_DEVICES		256
#define DCD_ERROR_LEN		128

/* mode */
#define DCD_MODE_SAFE		0	/* flush/FUA reach the cache disk first */
#define DCD_MODE_NVRAM		1	/* flush/FUA complete at once */

/* dcd_ioc_create.flags */
#define DCD_CREATE_FORMAT	(1U << 0)	/* write a new superblock */
#define DCD_CREATE_FORCE	(1U << 1)	/* assemble: accept a log that
						 * ends before a clean stop's end
						 * (damaged cache disk)
						 */
#define DCD_CREATE_DISCARD_DIRTY (1U << 2)	/* format: over a data disk
						 * marked dirty by another cache
						 * disk, giving up the newer data
						 * in that one's log
						 */

/* dcd_ioc_dev.flags for DCD_IOC_STOP */
#define DCD_STOP_NO_LOG		(1U << 0)	/* test hook: drop the RAM
						 * buffer, leave the superblock
						 * marked active (as a crash)
						 */

/* Limits checked by the kernel (and by dcdctl, for a friendlier message). */
#define DCD_BUFFER_MIN		(64ULL << 10)
#define DCD_BUFFER_MAX		(1ULL << 30)
#define DCD_IDLE_MS_MAX		600000
#define DCD_MAX_AGE_MS_MIN	1
#define DCD_MAX_AGE_MS_MAX	60000
#define DCD_WATERMARK_MIN	10
#define DCD_WATERMARK_MAX	95

struct dcd_ioc_create {
	__u32 version;
	__u32 size;
	__u32 index;		/* N of /dev/dcdN */
	__u32 flags;		/* DCD_CREATE_* */
	__u32 cache_major;
	__u32 cache_minor;
	__u32 data_major;
	__u32 data_minor;
	/* FORMAT only; assemble takes these from the superblock */
	__u64 buffer_bytes;	/* 0: default 32 MiB */
	__u64 bypass_bytes;	/* 0: default 1 MiB; ~0ULL: never bypass */
	__u32 mode;		/* DCD_MODE_* */
	__u32 idle_ms;		/* 0: default 200 */
	__u32 max_age_ms;	/* 0: default 100 */
	__u32 high_watermark;	/* percent; 0: default 50 */
	__u32 reserved[8];
	char error[DCD_ERROR_LEN];	/* out */
};

struct dcd_ioc_dev {
	__u32 version;
	__u32 size;
	__u32 index;
	__u32 flags;		/* DCD_STOP_* for STOP, else 0 */
	__u32 reserved[4];
};

/* dcd_ioc_detail.flags (out) */
#define DCD_DETAIL_UNCLEAN	(1U << 0)	/* assembled after unclean stop */
#define DCD_DETAIL_FAILED	(1U << 1)	/* a cache disk write failed */

struct dcd_ioc_detail {
	__u32 version;
	__u32 size;
	__u32 index;		/* in */
	__u32 flags;		/* out: DCD_DETAIL_* */
	__u32 cache_major;
	__u32 cache_minor;
	__u32 data_major;
	__u32 data_minor;
	__u8  uuid[16];
	__u64 size_bytes;	/* exported device */
	__u64 buffer_bytes;
	__u64 bypass_bytes;
	__u32 mode;
	__u32 idle_ms;
	__u32 max_age_ms;
	__u32 high_watermark;
	__u64 log_bytes;	/* log region */
	__u64 log_used_bytes;	/* tail to head, including wrap gaps */
	__u64 buffer_used_bytes;	/* every buffer of the ring */
	__u64 dirty_bytes;	/* cached, not yet on the data disk */
	__u64 head_seq;		/* next segment */
	__u64 tail_seq;		/* oldest live segment */
	__u64 segments_written;
	__u64 log_bytes_written;
	__u64 bytes_destaged;
	__u64 destage_runs;
	__u64 idle_periods;	/* data disk idle periods used to destage */
	__u64 read_hits_buffer;	/* 4 KiB blocks read from ... */
	__u64 read_hits_log;
	__u64 read_hits_data;
	__u64 writes;		/* write bios */
	__u64 bypass_writes;
	__u64 flushes;		/* flush and FUA requests */
	__u64 write_lat_ns;	/* average */
	__u64 flush_lat_ns;	/* average */
	__u64 paced_writes;	/* writes slowed as the log filled */
	__u64 pace_wait_ns;	/* their average delay */
	__u64 write_lat_max_ns;	/* longest write, waits included */
	__u64 room_waits;	/* writes that waited for buffer room */
	__u64 room_wait_ns;	/* their average wait */
	__u64 room_wait_max_ns;
	__u64 destage_reads_busy;	/* destage reads ahead of segment writes */
	__u64 bytes_buffered;	/* data written into the buffer */
};

#define DCD_IOC_MAGIC	0xDC
#define DCD_IOC_CREATE	_IOWR(DCD_IOC_MAGIC, 0x01, struct dcd_ioc_create)
#define DCD_IOC_STOP	_IOW(DCD_IOC_MAGIC, 0x02, struct dcd_ioc_dev)
#define DCD_IOC_FLUSH	_IOW(DCD_IOC_MAGIC, 0x03, struct dcd_ioc_dev)
#define DCD_IOC_DETAIL	_IOWR(DCD_IOC_MAGIC, 0x04, struct dcd_ioc_detail)

#endif /* DCDMIRROR_UAPI_DCD_H */
