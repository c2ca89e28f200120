/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * On-disk format of a dcdmirror leg. Shared by dcdmirror.ko and dcdctl.
 *
 * As md's v1.0 metadata, the superblock sits at the end of each leg so that
 * a leg read alone is a plain copy of the array from sector 0:
 *
 *   sectors [0, array_sectors)          the array's data
 *   the last DCDMIRROR_META_SECTORS     metadata area (rounded down to 4 KiB):
 *                                       room for a write-intent bitmap,
 *                                       then the superblock in its last
 *                                       4096 bytes (sb_sector)
 *
 * All fields are little endian. crc is crc32c (Castagnoli), seed ~0, no
 * final xor, over the 4096-byte block with crc set to zero. events grows by
 * one at each create, assemble and stop, on every leg at once; a leg with
 * fewer events than another missed writes.
 */
#ifndef DCDMIRROR_MIRROR_FORMAT_H
#define DCDMIRROR_MIRROR_FORMAT_H

#include <linux/types.h>

#define DCDMIRROR_SB_MAGIC		0x315252494d444344ULL	/* "DCDMIRR1" */
#define DCDMIRROR_SB_VERSION		1
#define DCDMIRROR_SB_SIZE		4096
#define DCDMIRROR_META_SECTORS		2048	/* 1 MiB */

/* dcdmirror_sb.state */
#define DCDMIRROR_SB_CLEAN		1	/* stopped cleanly: legs equal */
#define DCDMIRROR_SB_ACTIVE		2	/* running, or it stopped dirty */

struct dcdmirror_sb {
	__le64 magic;			/* DCDMIRROR_SB_MAGIC */
	__le32 version;			/* DCDMIRROR_SB_VERSION */
	__le32 crc;
	__u8   uuid[16];		/* the array's, on every leg */
	__le32 leg;			/* index of this leg in the array */
	__le32 role;			/* DCDMIRROR_ROLE_* */
	__le32 nr_legs;
	__le32 mode;			/* DCDMIRROR_MODE_* */
	__le32 state;			/* DCDMIRROR_SB_* */
	__le32 logical_block_size;
	__le64 array_sectors;		/* data area, from sector 0 */
	__le64 sb_sector;		/* this superblock's place on the leg */
	__le64 leg_sectors;		/* leg size when written */
	__le64 events;
	__le64 ctime;			/* created, seconds since the epoch */
	__le64 utime;			/* last written */
	__le32 leg_state[2];		/* DCDMIRROR_LEG_* of each leg, as known */
	__u8   reserved[3984];		/* zero */
};

/* Where the superblock of a leg of leg_sectors sectors is. */
static inline __u64 dcdmirror_sb_sector(__u64 leg_sectors)
{
	return (leg_sectors & ~7ULL) - DCDMIRROR_SB_SIZE / 512;
}

/* The largest data area a leg of leg_sectors sectors can hold. */
static inline __u64 dcdmirror_data_sectors(__u64 leg_sectors)
{
	__u64 end = leg_sectors & ~7ULL;

	return end > DCDMIRROR_META_SECTORS ? end - DCDMIRROR_META_SECTORS : 0;
}

#endif /* DCDMIRROR_MIRROR_FORMAT_H */
