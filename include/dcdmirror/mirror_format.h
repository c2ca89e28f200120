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
 *                                       DCDMIRROR_BITMAP_MAX_BYTES_V4
 *                                       (DCDMIRROR_BITMAP_MAX_BYTES if the
 *                                       array was created before version 4)
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
 *
 * Generations (version 4, as DRBD's data generation UUIDs): gen_current
 * names the data a leg holds; a new one is made on the legs that go on
 * taking writes when a leg stops getting them (it fails, is removed, is
 * missing at a degraded start, or the other site takes over), before any
 * such write completes, and gen_bitmap then keeps the one before: from it
 * on, the leg's bitmap records every chunk it wrote. gen_history keeps
 * older ones. A leg whose gen_current is the other's gen_bitmap is that
 * other's ancestor: it is rebuilt from it by bitmap (both legs' bits). Two
 * legs with the same gen_bitmap and different gen_current both wrote on
 * their own since then: split brain, refused until one side's writes are
 * discarded. leg_id names the leg device (roles may change at a
 * takeover), gen_time and gen_host say when and where gen_current began.
 * A leg being rebuilt carries DCDMIRROR_GEN_INCONSISTENT: never a source.
 *
 * Activity log (version 4, as DRBD's): a capacity-bounded set of extents
 * (al_extent_shift sectors each, at least a bitmap chunk) that may have
 * writes in flight, written on the local leg only (the remote leg's copy
 * when the local leg is out) as whole-set transactions in a ring of
 * al_slots 4 KiB blocks at al_sector, just below the superblock; the
 * valid one with the highest seq is the set. A write to an extent in the
 * set costs no metadata I/O; one that enters it waits for one transaction,
 * shared by every write that gathered meanwhile. After a crash, every
 * chunk of the extents in the set is resynced, and the bits set. While
 * every leg is in sync, writes set no bits: the bitmap records what a leg
 * lacks (a leg out, a failed write, a replayed log); the bits of an
 * extent leaving the set reach the disk before the transaction that drops
 * it does.
 */
#ifndef DCDMIRROR_MIRROR_FORMAT_H
#define DCDMIRROR_MIRROR_FORMAT_H

#include <linux/types.h>

#define DCDMIRROR_SB_MAGIC		0x315252494d444344ULL	/* "DCDMIRR1" */
#define DCDMIRROR_SB_VERSION		4	/* 3: no generations, no activity log */
#define DCDMIRROR_SB_VERSION_MIN	2	/* 2: no resync checkpoint */
#define DCDMIRROR_SB_SIZE		4096
#define DCDMIRROR_META_SECTORS		2048	/* 1 MiB */
/* the bitmap area of versions 2 and 3: the metadata area less the superblock */
#define DCDMIRROR_BITMAP_MAX_BYTES	(DCDMIRROR_META_SECTORS * 512 - DCDMIRROR_SB_SIZE)
/* version 4: the activity log's ring below the superblock, the bitmap below it */
#define DCDMIRROR_AL_SLOTS		8
#define DCDMIRROR_AL_SECTORS		(DCDMIRROR_AL_SLOTS * DCDMIRROR_SB_SIZE / 512)
#define DCDMIRROR_BITMAP_MAX_BYTES_V4	\
	(DCDMIRROR_BITMAP_MAX_BYTES - DCDMIRROR_AL_SLOTS * DCDMIRROR_SB_SIZE)
#define DCDMIRROR_AL_MAGIC		0x314c41524d444344ULL	/* "DCDMRAL1" */
#define DCDMIRROR_AL_MAX		1000	/* extents a transaction holds */
#define DCDMIRROR_AL_MIN_SHIFT		13	/* extents of at least 4 MiB */
#define DCDMIRROR_AL_DEF_SHIFT		13	/* of 4 MiB for a new array */
#define DCDMIRROR_AL_MAX_SHIFT		30
#define DCDMIRROR_BITMAP_BLOCK		4096	/* unit of bitmap writes */
#define DCDMIRROR_BITMAP_MIN_CHUNK	4096
#define DCDMIRROR_BITMAP_DEF_CHUNK	65536	/* doubled until it fits */

/* dcdmirror_sb.resync_flags */
#define DCDMIRROR_SB_RESYNC_ACTIVE	1	/* resync_* describe a resync */
#define DCDMIRROR_SB_RESYNC_FULL	2	/* it copies every chunk at and
						 * above resync_offset
						 */

/* dcdmirror_sb.gen_flags (version 4) */
#define DCDMIRROR_GEN_INCONSISTENT	1	/* being rebuilt: not a source */
#define DCDMIRROR_GEN_TAKEOVER		2	/* gen_current began at a takeover */

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
	/* version 4: generations (zero before) */
	__le32 gen_flags;		/* DCDMIRROR_GEN_* */
	__le64 gen_current;		/* the data generation; never 0 */
	__le64 gen_bitmap;		/* bits record writes since it; 0: none */
	__le64 gen_history[2];		/* older ones, [0] the newer */
	__le64 gen_time;		/* gen_current began, seconds since the epoch */
	__le64 leg_id;			/* this leg device's, random */
	__le64 peer_id;			/* the other leg's, when last in sync */
	__u8   gen_host[32];		/* host name where gen_current began */
	/* version 4: the activity log and the remote leg's timeout */
	__le64 al_sector;		/* first sector of the ring */
	__le32 al_slots;		/* DCDMIRROR_AL_SLOTS */
	__le32 al_extents;		/* size of the set, 1..DCDMIRROR_AL_MAX */
	__le32 al_extent_shift;		/* an extent: 1 << it sectors */
	__le32 remote_timeout_ms;	/* 0: the default (5000 ms); 0xffffffff:
					 * none (DCDMIRROR_REMOTE_TIMEOUT_* of
					 * uapi/dcdmirror/mirror.h)
					 */
	__u8   reserved[3800];		/* zero */
};

/*
 * A transaction of the activity log (version 4): the whole set. Written at
 * al_sector + (seq % al_slots) * 8 on the leg that holds the log.
 */
struct dcdmirror_al_tr {
	__le64 magic;			/* DCDMIRROR_AL_MAGIC */
	__le64 seq;			/* never 0, one more each transaction */
	__u8   uuid[16];		/* the array's */
	__le64 leg_id;			/* the leg it is written on */
	__le32 crc;			/* as the superblock's */
	__le32 nr_extents;		/* in extent[] */
	__le32 extent_shift;		/* as al_extent_shift */
	__le32 flags;			/* DCDMIRROR_AL_TR_* */
	__le32 extent[DCDMIRROR_AL_MAX];	/* extent numbers, ascending */
	__u8   reserved[40];		/* zero */
};

/* dcdmirror_al_tr.flags */
#define DCDMIRROR_AL_TR_CLEAN		1	/* written at a clean stop: empty */

/* Where the activity log's ring of a leg of leg_sectors sectors starts (version 4). */
static inline __u64 dcdmirror_al_sector(__u64 leg_sectors)
{
	return (leg_sectors & ~7ULL) - DCDMIRROR_SB_SIZE / 512 - DCDMIRROR_AL_SECTORS;
}

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
