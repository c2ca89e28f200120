/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * On-disk format of a dcd cache disk. Shared by dcd.ko and dcdctl.
 *
 * All fields are little endian; all sizes and positions are in 4096-byte
 * blocks unless named otherwise. Checksums are crc32c (Castagnoli), seed ~0,
 * computed with the checksum field itself set to zero.
 *
 * Cache disk layout:
 *   blocks 0 and 1               superblock (struct dcd_sb, rest zero), two
 *                                copies (version 2): each update bumps
 *                                sb_seq and writes block 0, then block 1,
 *                                each durable before the next; the valid
 *                                copy with the highest sb_seq is the
 *                                superblock, so a torn write leaves the
 *                                one before, and a new tail's space is
 *                                reused only once both copies have it.
 *                                Version 1 has block 0 only.
 *   blocks [log_start, log_start + log_blocks)   circular log of segments
 *
 * Data disk layout (version 2): block 0 holds struct dcd_data_sb, which
 * names the cache disk (uuid) and says whether the data disk alone holds
 * every block's newest copy (CLEAN) or the cache disk's log may hold newer
 * ones (DIRTY, from the moment the device runs until a stop that left
 * nothing in the cache); the device's blocks start at data_offset. The
 * data disk is thus never mistaken for a plain copy of the device while
 * its log holds newer data. Version 1 has no header (data_offset 0).
 *
 * A segment is written at a log position p (relative to log_start):
 *   blocks [p, p + hdr_blocks)                   header: struct dcd_seg_hdr
 *                                                followed by nr_ext
 *                                                struct dcd_seg_ext
 *   blocks [p + hdr_blocks, p + hdr_blocks + data_blocks)   data blocks
 * A segment never wraps: when it does not fit before the end of the log it
 * is written at position 0 instead. The segment after the one at p of
 * nr_blocks blocks starts at p + nr_blocks or, if it did not fit there, at 0;
 * it carries the next sequence number. Recovery starts at tail_pos expecting
 * tail_seq and stops at the first position holding no valid segment with the
 * expected sequence number, magic and uuid and correct checksums.
 *
 * The tail in the superblock only moves after the data disk has flushed every
 * block whose newest copy lived in the segments it leaves behind.
 */
#ifndef DCDMIRROR_DCD_FORMAT_H
#define DCDMIRROR_DCD_FORMAT_H

#include <linux/types.h>

#define DCD_BLOCK_SIZE		4096
#define DCD_BLOCK_SHIFT		12
#define DCD_SB_MAGIC		0x5342204443442d31ULL	/* "1-DCD BS" */
#define DCD_SEG_MAGIC		0x4745532044434431ULL	/* "1DCD SEG" */
#define DCD_DATA_MAGIC		0x41544144444344ULL	/* "DCDDATA" */
#define DCD_FORMAT_VERSION	2	/* 1: one superblock, no data disk header */
#define DCD_FORMAT_VERSION_MIN	1
#define DCD_SB_COPIES		2	/* blocks 0 and 1 */
#define DCD_LOG_START		8	/* blocks; room for a larger superblock */
#define DCD_DATA_OFFSET		1	/* blocks: the data disk's header */

/* dcd_data_sb.state */
#define DCD_DATA_CLEAN		1	/* this disk alone holds the device */
#define DCD_DATA_DIRTY		2	/* the cache disk's log may hold newer
					 * copies of its blocks
					 */

/* dcd_sb.state */
#define DCD_STATE_CLEAN		1	/* stopped cleanly; buffer was logged */
#define DCD_STATE_ACTIVE	2	/* running, or stopped without logging */

/* dcd_sb.mode */
#define DCD_SB_MODE_SAFE	0
#define DCD_SB_MODE_NVRAM	1

struct dcd_sb {
	__le64 magic;			/* DCD_SB_MAGIC */
	__le32 version;			/* DCD_FORMAT_VERSION */
	__le32 crc;			/* crc32c of the 4096-byte block */
	__u8   uuid[16];		/* random, also in every segment */
	__le32 block_size;		/* 4096 */
	__le32 state;			/* DCD_STATE_* */
	__le64 cache_blocks;		/* cache disk size when formatted */
	__le64 data_sectors;		/* data disk size (512-byte sectors) */
	__le64 log_start;		/* first log block */
	__le64 log_blocks;		/* log size */
	__le64 tail_pos;		/* oldest live segment (log position) */
	__le64 tail_seq;		/* its sequence number */
	__le64 head_pos;		/* next free position at clean stop */
	__le64 head_seq;		/* next sequence number at clean stop */
	__le64 buffer_bytes;		/* RAM buffer (the whole ring) */
	__le64 bypass_bytes;		/* writes this large go to the data disk */
	__le32 mode;			/* DCD_SB_MODE_* */
	__le32 idle_ms;			/* destage after this much data disk idle */
	__le32 max_age_ms;		/* buffered data is logged within this */
	__le32 high_watermark;		/* percent of the log: destage under load */
	__le64 ctime;			/* format time, seconds since the epoch */
	__le64 utime;			/* last superblock write */
	__le64 clean_stops;		/* times stopped cleanly */
	__le64 unclean_starts;		/* times assembled after an unclean stop */
	/* version 2 (zero in version 1) */
	__le64 sb_seq;			/* this copy's place in the order */
	__le64 data_offset;		/* data disk blocks before the device's */
	__u8   reserved[3912];		/* zero */
};

/* Block 0 of a version 2 data disk. */
struct dcd_data_sb {
	__le64 magic;			/* DCD_DATA_MAGIC */
	__le32 version;			/* DCD_FORMAT_VERSION */
	__le32 crc;			/* crc32c of the 4096-byte block */
	__u8   uuid[16];		/* of the cache disk's superblock */
	__le32 block_size;		/* 4096 */
	__le32 state;			/* DCD_DATA_* */
	__le64 data_offset;		/* blocks before the device's block 0 */
	__le64 data_blocks;		/* the device's size */
	__le64 utime;			/* last written, seconds since the epoch */
	__u8   reserved[4032];		/* zero */
};

/* dcd_seg_ext.slot of an extent that discards rather than carries data */
#define DCD_EXT_DISCARD		0xffffffffU

struct dcd_seg_ext {
	__le64 lba;			/* first block on the device (4096-byte) */
	__le32 slot;			/* first data block in the segment, or
					 * DCD_EXT_DISCARD: these blocks are no
					 * longer cached
					 */
	__le32 count;			/* blocks */
};

/*
 * Within one segment the DISCARD extents apply before the DATA extents:
 * a block written after a discard in the same segment is kept, a block
 * discarded after being written is simply left out of the DATA extents.
 */
struct dcd_seg_hdr {
	__le64 magic;			/* DCD_SEG_MAGIC */
	__le64 seq;			/* sequence number */
	__u8   uuid[16];		/* of the superblock */
	__le32 hdr_crc;			/* crc32c of hdr_blocks blocks */
	__le32 data_crc;		/* crc32c of the data blocks */
	__le32 hdr_blocks;		/* header blocks, >= 1 */
	__le32 data_blocks;		/* data blocks */
	__le32 nr_ext;			/* extents following this header */
	__le32 reserved0;		/* zero */
	__le64 ctime_ns;		/* when the segment was sealed */
	__le64 reserved[4];		/* zero */
};

#define DCD_SEG_EXT_PER_HDR(blocks) \
	(((blocks) * DCD_BLOCK_SIZE - sizeof(struct dcd_seg_hdr)) / \
	 sizeof(struct dcd_seg_ext))

#endif /* DCDMIRROR_DCD_FORMAT_H */
