/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * On-disk format of a dcdmirror leg. Shared by dcdmirror.ko and dcdctl.
 *
 * As md's v1.0 metadata, the superblock sits at the end of each leg so that
 * a leg read alone is a plain copy of the array from sector 0:
 *
 *   sectors [0, array_sectors)          the array's data
 *   the last DCDMIRROR_META_SECTORS     metadata area (rounded down to 4 KiB):
 *     bitmap_sector (its first sector)  the write-intent bitmap, at most
 *                                       DCDMIRROR_BITMAP_MAX_BYTES
 *     sb_sector                         the superblock, its last 4096 bytes
 *
 * All fields are little endian. crc is crc32c (Castagnoli), seed ~0, no
 * final xor, over the 4096-byte block with crc set to zero. events grows by
 * one at each create, assemble, stop, failure and end of a resync, on every
 * in-sync leg at once; a leg with fewer events than another missed writes.
 * A leg being resynced keeps the events it had when it joined, so that it
 * stays stale until the resync has ended.
 *
 * Write-intent bitmap: bit n covers array bytes [n * chunk, (n + 1) * chunk)
 * with chunk = bitmap_chunk_sectors * 512; bit n is bit (n % 8) of byte
 * n / 8 (little endian bit order), bitmap_chunks bits in all, the rest of
 * the last 4 KiB block zero. Both legs carry the same bitmap while in sync.
 * A bit is set and written (FUA) before a write to its chunk is sent to the
 * legs; it is cleared some seconds after the last write to the chunk
 * completed on every leg, and never while a leg is faulty, missing or
 * being resynced: then the set bits are what a stale leg lacks.
 * events_cleared is the events count since when no bit has been cleared
 * while a leg was out: a stale leg with at least that many events is
 * brought up to date by copying the chunks whose bits are set; an older or
 * foreign leg needs a full copy.
 *
 * Resync checkpoint (version 3): a resync clears the bit of each chunk it
 * has copied (after a cache flush of the leg it rebuilds), and the only
 * exception to the rule above: these chunks are what that leg no longer
 * lacks. Every few seconds, and when it is stopped, it writes the bitmap
 * and then both superblocks with resync_flags ACTIVE, resync_leg,
 * resync_id and resync_offset: below resync_offset, every chunk the leg
 * lacks has its bit set (copied chunks are clear, chunks written since are
 * set again). A full resync (flag FULL) has not looked at the chunks from
 * resync_offset on: assemble sets all their bits again and resumes there,
 * if the stale leg's superblock carries the same resync_id. A bitmap
 * resync simply goes on with the bits left. resync_offset is a multiple of
 * the bitmap chunk; resync_flags is 0 when no leg is being rebuilt.
 */
#ifndef DCDMIRROR_MIRROR_FORMAT_H
#define DCDMIRROR_MIRROR_FORMAT_H

#include <linux/types.h>

#define DCDMIRROR_SB_MAGIC		0x315252494d444344ULL	/* "DCDMIRR1" */
#define DCDMIRROR_SB_VERSION		3	/* 2: no resync checkpoint */
#define DCDMIRROR_SB_VERSION_MIN	2
#define DCDMIRROR_SB_SIZE		4096
#define DCDMIRROR_META_SECTORS		2048	/* 1 MiB */
/* the bitmap area: the metadata area less the superblock */
#define DCDMIRROR_BITMAP_MAX_BYTES	(DCDMIRROR_META_SECTORS * 512 - DCDMIRROR_SB_SIZE)
#define DCDMIRROR_BITMAP_BLOCK		4096	/* unit of bitmap writes */
#define DCDMIRROR_BITMAP_MIN_CHUNK	4096
#define DCDMIRROR_BITMAP_DEF_CHUNK	65536	/* doubled until it fits */

/* dcdmirror_sb.resync_flags */
#define DCDMIRROR_SB_RESYNC_ACTIVE	1	/* resync_* describe a resync */
#define DCDMIRROR_SB_RESYNC_FULL	2	/* it copies every chunk at and
						 * above resync_offset
						 */

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
	__le64 bitmap_sector;		/* first sector of the bitmap on this leg */
	__le32 bitmap_chunk_sectors;	/* bytes covered by a bit, in sectors */
	__le32 resync_rate;		/* KiB/s */
	__le64 bitmap_chunks;		/* bits in the bitmap */
	__le64 events_cleared;		/* see above */
	__le32 max_lag_kib;		/* async mode bounds; 0: default */
	__le32 max_lag_ms;
	__le32 async_flags;		/* DCDMIRROR_ASYNC_* */
	/* version 3: the resync checkpoint (zero in version 2) */
	__le32 resync_flags;		/* DCDMIRROR_SB_RESYNC_* */
	__le64 resync_offset;		/* checkpoint, array sectors */
	__le64 resync_id;		/* names the resync, on both legs */
	__le32 resync_leg;		/* the leg being rebuilt */
	__u8   reserved[3916];		/* zero */
};

/* Where the superblock of a leg of leg_sectors sectors is. */
static inline __u64 dcdmirror_sb_sector(__u64 leg_sectors)
{
	return (leg_sectors & ~7ULL) - DCDMIRROR_SB_SIZE / 512;
}

/* Where the bitmap of a leg of leg_sectors sectors starts. */
static inline __u64 dcdmirror_bitmap_sector(__u64 leg_sectors)
{
	return (leg_sectors & ~7ULL) - DCDMIRROR_META_SECTORS;
}

/* The largest data area a leg of leg_sectors sectors can hold. */
static inline __u64 dcdmirror_data_sectors(__u64 leg_sectors)
{
	__u64 end = leg_sectors & ~7ULL;

	return end > DCDMIRROR_META_SECTORS ? end - DCDMIRROR_META_SECTORS : 0;
}

#endif /* DCDMIRROR_MIRROR_FORMAT_H */
