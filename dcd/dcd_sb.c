// SPDX-License-Identifier: GPL-2.0
/*
 * dcd: the superblocks (dcd_format.h). The cache disk's, two copies written
 * one after the other at format, assemble, every tail move and stop, read
 * and checked at assemble; and the data disk's header, which says whether
 * the cache disk's log may hold newer copies of its blocks.
 */
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/uuid.h>
#include <dcdmirror/kernel/fields.h>
#include <dcdmirror/kernel/sync_io.h>
#include "dcd.h"

static_assert(sizeof(struct dcd_sb) == DCD_BLOCK_SIZE);
static_assert(sizeof(struct dcd_data_sb) == DCD_BLOCK_SIZE);

/*
 * Sizes that follow from the RAM buffer's (see dcd_dev): a ring of
 * DCD_NR_BUFS buffers, fewer (two at least) for a small one. Segments of up
 * to half the buffer are accepted in the log, as versions with two halves
 * wrote them.
 */
void dcd_buffer_geometry(struct dcd_dev *dc)
{
	unsigned int blocks = dc->buffer_bytes / DCD_BLOCK_SIZE;

	dc->nbufs = clamp_t(unsigned int, blocks / DCD_BUF_MIN_BLOCKS, 2, DCD_NR_BUFS);
	dc->slots = blocks / dc->nbufs;
	dc->max_disc = max_t(unsigned int, dc->slots, 16);
	dc->seg_max_blocks = blocks / 2;
	dc->hdr_max_blocks = DIV_ROUND_UP(sizeof(struct dcd_seg_hdr) +
					  (size_t)(dc->seg_max_blocks +
						   max_t(unsigned int, dc->seg_max_blocks, 16)) *
					  sizeof(struct dcd_seg_ext), DCD_BLOCK_SIZE);
}

/* The smallest log that takes two segments of half the buffer (and some room). */
static u64 dcd_min_log_blocks(struct dcd_dev *dc)
{
	return 2 * (u64)(dc->seg_max_blocks + dc->hdr_max_blocks) + 16;
}

static int dcd_block_io(struct block_device *bdev, blk_opf_t opf, u64 block, void *buf)
{
	struct page *page = virt_to_page(buf);

	return sync_io_pages(bdev, opf, block * DCD_SECT_PER_BLOCK, &page,
			     DCD_BLOCK_SIZE, DCD_BLOCK_SIZE);
}

static void dcd_fill_sb(struct dcd_dev *dc, struct dcd_sb *sb, u32 state,
			u64 tail, u64 tail_seq, u64 head, u64 head_seq)
{
	memset(sb, 0, sizeof(*sb));
	sb->magic = cpu_to_le64(DCD_SB_MAGIC);
	sb->version = cpu_to_le32(DCD_FORMAT_VERSION);
	memcpy(sb->uuid, dc->uuid, sizeof(sb->uuid));
	sb->block_size = cpu_to_le32(DCD_BLOCK_SIZE);
	sb->state = cpu_to_le32(state);
	sb->cache_blocks = cpu_to_le64(dc->cache_blocks);
	sb->data_sectors = cpu_to_le64(dc->data_sectors);
	sb->log_start = cpu_to_le64(dc->log_start);
	sb->log_blocks = cpu_to_le64(dc->log_blocks);
	sb->tail_pos = cpu_to_le64(tail);
	sb->tail_seq = cpu_to_le64(tail_seq);
	sb->head_pos = cpu_to_le64(head);
	sb->head_seq = cpu_to_le64(head_seq);
	sb->buffer_bytes = cpu_to_le64(dc->buffer_bytes);
	sb->bypass_bytes = cpu_to_le64(dc->bypass_bytes);
	sb->mode = cpu_to_le32(dc->mode);
	sb->idle_ms = cpu_to_le32(READ_ONCE(dc->idle_ms));
	sb->max_age_ms = cpu_to_le32(READ_ONCE(dc->max_age_ms));
	sb->high_watermark = cpu_to_le32(READ_ONCE(dc->high_watermark));
	sb->ctime = cpu_to_le64(dc->ctime);
	sb->utime = cpu_to_le64(ktime_get_real_seconds());
	sb->clean_stops = cpu_to_le64(dc->clean_stops);
	sb->unclean_starts = cpu_to_le64(dc->unclean_starts);
	sb->sb_seq = cpu_to_le64(dc->sb_seq);
	sb->data_offset = cpu_to_le64(dc->data_offset);
	sb->crc = cpu_to_le32(crc32c_field_zeroed(sb, sizeof(*sb), &sb->crc));
}

/*
 * Write the superblock with the given tail: both copies, one after the
 * other, each durable before the next. A torn write leaves the other copy
 * as it was, and the caller uses the new tail (reuses the space before it)
 * only once both are written: either copy leads to an intact log. Caller
 * holds sb_mutex.
 */
int dcd_put_sb(struct dcd_dev *dc, u32 state, u64 tail, u64 tail_seq,
	       u64 head, u64 head_seq)
{
	int i, ret = 0;

	lockdep_assert_held(&dc->sb_mutex);
	dc->sb_seq++;
	dcd_fill_sb(dc, dc->sb, state, tail, tail_seq, head, head_seq);
	for (i = 0; i < DCD_SB_COPIES && !ret; i++)
		ret = dcd_block_io(dc->cache_bdev, REQ_OP_WRITE | REQ_SYNC | REQ_FUA |
				   (i ? 0 : REQ_PREFLUSH), i, dc->sb);
	return ret;
}

/* The superblock as the device is now. */
int dcd_write_sb(struct dcd_dev *dc, u32 state)
{
	u64 tail, tail_seq, head, head_seq;
	int ret;

	mutex_lock(&dc->sb_mutex);
	mutex_lock(&dc->lock);
	tail = dc->tail;
	tail_seq = dc->tail_seq;
	head = dc->head;
	head_seq = dc->next_seq;
	mutex_unlock(&dc->lock);
	ret = dcd_put_sb(dc, state, tail, tail_seq, head, head_seq);
	mutex_unlock(&dc->sb_mutex);
	return ret;
}

/* ---- the data disk's header ---- */

/*
 * Read the data disk's header into dc->dsb: 0 if it is one (magic, checksum,
 * version, block size), -ENODATA if there is none, else an error.
 */
static int dcd_read_data_sb(struct dcd_dev *dc)
{
	struct dcd_data_sb *d = dc->dsb;
	int ret = dcd_block_io(dc->data_bdev, REQ_OP_READ, 0, d);

	if (ret)
		return ret;
	if (le64_to_cpu(d->magic) != DCD_DATA_MAGIC ||
	    crc32c_field_zeroed(d, sizeof(*d), &d->crc) != le32_to_cpu(d->crc) ||
	    le32_to_cpu(d->version) != DCD_FORMAT_VERSION ||
	    le32_to_cpu(d->block_size) != DCD_BLOCK_SIZE)
		return -ENODATA;
	return 0;
}

/* Write the data disk's header with state (DCD_DATA_*), durably. */
int dcd_put_data_sb(struct dcd_dev *dc, u32 state)
{
	struct dcd_data_sb *d = dc->dsb;

	if (!dc->data_offset)
		return 0;	/* version 1 layout: no header */
	memset(d, 0, sizeof(*d));
	d->magic = cpu_to_le64(DCD_DATA_MAGIC);
	d->version = cpu_to_le32(DCD_FORMAT_VERSION);
	memcpy(d->uuid, dc->uuid, sizeof(d->uuid));
	d->block_size = cpu_to_le32(DCD_BLOCK_SIZE);
	d->state = cpu_to_le32(state);
	d->data_offset = cpu_to_le64(dc->data_offset);
	d->data_blocks = cpu_to_le64(dc->nr_blocks);
	d->utime = cpu_to_le64(ktime_get_real_seconds());
	d->crc = cpu_to_le32(crc32c_field_zeroed(d, sizeof(*d), &d->crc));
	return dcd_block_io(dc->data_bdev, REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA,
			    0, d);
}

/*
 * Format: the data disk may carry a header of an earlier cache disk. A
 * CLEAN one keeps its data (a new cache disk over a whole data disk); a
 * DIRTY one is refused unless discard_dirty: that cache disk's log holds
 * newer copies of its blocks. Sets the layout (data_offset, nr_blocks).
 */
static int dcd_format_data_disk(struct dcd_dev *dc, bool discard_dirty, char *err)
{
	struct dcd_data_sb *d = dc->dsb;
	int ret = dcd_read_data_sb(dc);

	if (ret && ret != -ENODATA) {
		snprintf(err, DCD_ERROR_LEN, "cannot read the data disk: error %d", ret);
		return ret;
	}
	if (!ret && le32_to_cpu(d->state) != DCD_DATA_CLEAN && !discard_dirty) {
		snprintf(err, DCD_ERROR_LEN,
			 "data disk %pg is dirty: the log of cache disk %pUb holds newer data (assemble with it, or --discard-dirty)",
			 dc->data_bdev, d->uuid);
		return -EBUSY;
	}
	if (!ret && le32_to_cpu(d->state) != DCD_DATA_CLEAN)
		dcd_warn(dc, "data disk %pg was dirty: the newer data in the log of cache disk %pUb is given up\n",
			 dc->data_bdev, d->uuid);
	dc->data_offset = DCD_DATA_OFFSET;
	if (dc->data_sectors / DCD_SECT_PER_BLOCK <= dc->data_offset) {
		snprintf(err, DCD_ERROR_LEN, "data disk is smaller than 8 KiB");
		return -EINVAL;
	}
	dc->nr_blocks = dc->data_sectors / DCD_SECT_PER_BLOCK - dc->data_offset;
	return 0;
}

/* Assemble: the data disk's header must name this cache disk and its layout. */
static int dcd_check_data_disk(struct dcd_dev *dc, char *err)
{
	struct dcd_data_sb *d = dc->dsb;
	int ret;

	if (!dc->data_offset)
		return 0;	/* version 1 layout: no header */
	ret = dcd_read_data_sb(dc);
	if (ret == -ENODATA) {
		snprintf(err, DCD_ERROR_LEN, "data disk %pg has no dcd data disk header",
			 dc->data_bdev);
		return -EINVAL;
	}
	if (ret) {
		snprintf(err, DCD_ERROR_LEN, "cannot read the data disk header: error %d", ret);
		return ret;
	}
	if (memcmp(d->uuid, dc->uuid, sizeof(d->uuid))) {
		snprintf(err, DCD_ERROR_LEN, "data disk %pg belongs to cache disk %pUb, not %pUb",
			 dc->data_bdev, d->uuid, dc->uuid);
		return -EINVAL;
	}
	if (le64_to_cpu(d->data_offset) != dc->data_offset ||
	    le64_to_cpu(d->data_blocks) != dc->nr_blocks ||
	    (le32_to_cpu(d->state) != DCD_DATA_CLEAN && le32_to_cpu(d->state) != DCD_DATA_DIRTY)) {
		snprintf(err, DCD_ERROR_LEN, "data disk %pg: its header is inconsistent",
			 dc->data_bdev);
		return -EINVAL;
	}
	return 0;
}

int dcd_format(struct dcd_dev *dc, bool discard_dirty, char *err)
{
	u64 min_blocks = DCD_LOG_START + dcd_min_log_blocks(dc);
	int ret;

	dc->cache_blocks = bdev_nr_bytes(dc->cache_bdev) >> DCD_BLOCK_SHIFT;
	if (dc->cache_blocks < min_blocks) {
		snprintf(err, DCD_ERROR_LEN,
			 "cache disk too small: %llu KiB, a %llu KiB buffer needs %llu KiB",
			 dc->cache_blocks * 4, dc->buffer_bytes >> 10, min_blocks * 4);
		return -ENOSPC;
	}
	ret = dcd_format_data_disk(dc, discard_dirty, err);
	if (ret)
		return ret;
	dc->log_start = DCD_LOG_START;
	dc->log_blocks = dc->cache_blocks - DCD_LOG_START;
	generate_random_uuid(dc->uuid);
	dc->ctime = ktime_get_real_seconds();
	dc->head = 0;
	dc->tail = 0;
	dc->tail_seq = 1;
	dc->next_seq = 1;
	dc->sb_seq = 0;
	/* dirty before any write is taken */
	ret = dcd_put_data_sb(dc, DCD_DATA_DIRTY);
	if (ret) {
		snprintf(err, DCD_ERROR_LEN, "cannot write the data disk header: error %d", ret);
		return ret;
	}
	ret = dcd_write_sb(dc, DCD_STATE_ACTIVE);
	if (ret)
		snprintf(err, DCD_ERROR_LEN,
			 "cannot write the cache disk superblock: error %d", ret);
	return ret;
}

/* ---- reading the cache disk's superblock ---- */

/* A copy is one if magic, checksum and version are. */
static bool dcd_sb_valid(struct dcd_sb *sb)
{
	u32 version = le32_to_cpu(sb->version);

	return le64_to_cpu(sb->magic) == DCD_SB_MAGIC &&
	       crc32c_field_zeroed(sb, sizeof(*sb), &sb->crc) == le32_to_cpu(sb->crc) &&
	       version >= DCD_FORMAT_VERSION_MIN && version <= DCD_FORMAT_VERSION;
}

/*
 * Read both copies into dc->sb (and dc->dsb as scratch) and keep the newest
 * valid one in dc->sb. Version 1 has block 0 only.
 */
static int dcd_read_sb_copies(struct dcd_dev *dc, char *err)
{
	struct dcd_sb *sb = dc->sb, *other = (struct dcd_sb *)dc->dsb;
	bool ok0, ok1;
	int ret;

	ret = dcd_block_io(dc->cache_bdev, REQ_OP_READ, 0, sb);
	if (!ret)
		ret = dcd_block_io(dc->cache_bdev, REQ_OP_READ, 1, other);
	if (ret) {
		snprintf(err, DCD_ERROR_LEN, "cannot read the cache disk superblock: error %d",
			 ret);
		return ret;
	}
	ok0 = dcd_sb_valid(sb);
	ok1 = dcd_sb_valid(other) && le32_to_cpu(other->version) >= 2;
	if (ok1 && (!ok0 || le64_to_cpu(other->sb_seq) > le64_to_cpu(sb->sb_seq)))
		memcpy(sb, other, sizeof(*sb));
	if (ok0 || ok1)
		return 0;
	/* neither: block 0 says why */
	if (le64_to_cpu(sb->magic) != DCD_SB_MAGIC)
		snprintf(err, DCD_ERROR_LEN, "no dcd superblock on the cache disk");
	else if (crc32c_field_zeroed(sb, sizeof(*sb), &sb->crc) != le32_to_cpu(sb->crc))
		snprintf(err, DCD_ERROR_LEN,
			 "cache disk superblock checksum is wrong (both copies)");
	else
		snprintf(err, DCD_ERROR_LEN, "cache disk superblock version %u is not supported",
			 le32_to_cpu(sb->version));
	return -EINVAL;
}

/*
 * Every field of the superblock in dc, as read, within what this device
 * can be: a checksum is no proof. Returns the first field that is not.
 */
static const char *dcd_sb_bad_field(struct dcd_dev *dc, struct dcd_sb *sb)
{
	u64 disk_blocks = bdev_nr_bytes(dc->cache_bdev) >> DCD_BLOCK_SHIFT;
	u32 state = le32_to_cpu(sb->state);

	if (le32_to_cpu(sb->block_size) != DCD_BLOCK_SIZE)
		return "block size";
	if (state != DCD_STATE_CLEAN && state != DCD_STATE_ACTIVE)
		return "state";
	if (dc->mode > DCD_MODE_NVRAM)
		return "mode";
	if (!dc->cache_blocks || dc->cache_blocks > disk_blocks)
		return "cache disk size";
	/* written so that no sum can overflow */
	if (dc->log_start < DCD_SB_COPIES || dc->log_start >= dc->cache_blocks ||
	    dc->log_blocks > dc->cache_blocks - dc->log_start)
		return "log place";
	if (dc->buffer_bytes < DCD_BUFFER_MIN || dc->buffer_bytes > DCD_BUFFER_MAX ||
	    dc->buffer_bytes % (2 * DCD_BLOCK_SIZE))
		return "buffer size";
	if (dc->bypass_bytes && dc->bypass_bytes < DCD_BLOCK_SIZE)
		return "bypass size";
	dcd_buffer_geometry(dc);
	if (dc->log_blocks < dcd_min_log_blocks(dc))
		return "log size (a segment would not fit)";
	if (dc->tail >= dc->log_blocks || !dc->tail_seq)
		return "log tail";
	/* an active superblock's head is 0 (recovery finds the head) */
	if (dc->head >= dc->log_blocks ||
	    (state == DCD_STATE_CLEAN && dc->next_seq < dc->tail_seq))
		return "log head";
	if (dc->high_watermark < DCD_WATERMARK_MIN || dc->high_watermark > DCD_WATERMARK_MAX ||
	    dc->idle_ms > DCD_IDLE_MS_MAX ||
	    dc->max_age_ms < DCD_MAX_AGE_MS_MIN || dc->max_age_ms > DCD_MAX_AGE_MS_MAX)
		return "tunables";
	if (dc->data_offset != 0 && dc->data_offset != DCD_DATA_OFFSET)
		return "data disk offset";
	if (dc->data_sectors / DCD_SECT_PER_BLOCK <= dc->data_offset)
		return "data disk size";
	return NULL;
}

int dcd_read_sb(struct dcd_dev *dc, char *err)
{
	struct dcd_sb *sb = dc->sb;
	const char *bad;
	int ret;

	ret = dcd_read_sb_copies(dc, err);
	if (ret)
		return ret;
	memcpy(dc->uuid, sb->uuid, sizeof(dc->uuid));
	dc->cache_blocks = le64_to_cpu(sb->cache_blocks);
	dc->log_start = le64_to_cpu(sb->log_start);
	dc->log_blocks = le64_to_cpu(sb->log_blocks);
	dc->buffer_bytes = le64_to_cpu(sb->buffer_bytes);
	dc->bypass_bytes = le64_to_cpu(sb->bypass_bytes);
	dc->mode = le32_to_cpu(sb->mode);
	dc->idle_ms = le32_to_cpu(sb->idle_ms);
	dc->max_age_ms = le32_to_cpu(sb->max_age_ms);
	dc->high_watermark = le32_to_cpu(sb->high_watermark);
	dc->ctime = le64_to_cpu(sb->ctime);
	dc->clean_stops = le64_to_cpu(sb->clean_stops);
	dc->unclean_starts = le64_to_cpu(sb->unclean_starts);
	dc->tail = le64_to_cpu(sb->tail_pos);
	dc->tail_seq = le64_to_cpu(sb->tail_seq);
	dc->unclean = le32_to_cpu(sb->state) != DCD_STATE_CLEAN;
	/* where a clean stop left the log: recovery must end there */
	dc->head = le64_to_cpu(sb->head_pos);
	dc->next_seq = le64_to_cpu(sb->head_seq);
	dc->sb_seq = le64_to_cpu(sb->sb_seq);
	dc->data_offset = le64_to_cpu(sb->data_offset);
	dc->data_sectors = le64_to_cpu(sb->data_sectors);

	if (dc->data_sectors != bdev_nr_sectors(dc->data_bdev)) {
		snprintf(err, DCD_ERROR_LEN,
			 "data disk has %llu sectors, the cache disk was formatted for %llu",
			 (u64)bdev_nr_sectors(dc->data_bdev), dc->data_sectors);
		return -EINVAL;
	}
	bad = dcd_sb_bad_field(dc, sb);
	if (bad) {
		snprintf(err, DCD_ERROR_LEN, "cache disk superblock is inconsistent: %s", bad);
		return -EINVAL;
	}
	dc->nr_blocks = dc->data_sectors / DCD_SECT_PER_BLOCK - dc->data_offset;
	return dcd_check_data_disk(dc, err);
}
