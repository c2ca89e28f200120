// SPDX-License-Identifier: GPL-2.0
/*
 * dcd: the cache disk's superblock (block 0, dcd_format.h): written at
 * format, assemble, every tail move and stop; read and checked at assemble.
 */
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/uuid.h>
#include <dcdmirror/kernel/fields.h>
#include <dcdmirror/kernel/sync_io.h>
#include "dcd.h"

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
	sb->crc = cpu_to_le32(crc32c_field_zeroed(sb, sizeof(*sb), &sb->crc));
}

/* Write the superblock with the given tail. Caller holds sb_mutex. */
int dcd_put_sb(struct dcd_dev *dc, u32 state, u64 tail, u64 tail_seq,
	       u64 head, u64 head_seq)
{
	struct page *page = virt_to_page(dc->sb);

	lockdep_assert_held(&dc->sb_mutex);
	dcd_fill_sb(dc, dc->sb, state, tail, tail_seq, head, head_seq);
	return sync_io_pages(dc->cache_bdev,
			     REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA,
			     0, &page, DCD_BLOCK_SIZE, DCD_BLOCK_SIZE);
}

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

int dcd_format(struct dcd_dev *dc, char *err)
{
	u64 min_blocks = DCD_LOG_START + 2 * (u64)(dc->slots + dc->hdr_max_blocks) + 16;
	int ret;

	dc->cache_blocks = bdev_nr_bytes(dc->cache_bdev) >> DCD_BLOCK_SHIFT;
	if (dc->cache_blocks < min_blocks) {
		snprintf(err, DCD_ERROR_LEN,
			 "cache disk too small: %llu KiB, a %llu KiB buffer needs %llu KiB",
			 dc->cache_blocks * 4, dc->buffer_bytes >> 10, min_blocks * 4);
		return -ENOSPC;
	}
	dc->log_start = DCD_LOG_START;
	dc->log_blocks = dc->cache_blocks - DCD_LOG_START;
	generate_random_uuid(dc->uuid);
	dc->ctime = ktime_get_real_seconds();
	dc->head = 0;
	dc->tail = 0;
	dc->tail_seq = 1;
	dc->next_seq = 1;
	mutex_lock(&dc->sb_mutex);
	ret = dcd_put_sb(dc, DCD_STATE_ACTIVE, 0, 1, 0, 1);
	mutex_unlock(&dc->sb_mutex);
	if (ret)
		snprintf(err, DCD_ERROR_LEN,
			 "cannot write the cache disk superblock: error %d", ret);
	return ret;
}

int dcd_read_sb(struct dcd_dev *dc, char *err)
{
	struct dcd_sb *sb = dc->sb;
	struct page *page = virt_to_page(sb);
	int ret;

	ret = sync_io_pages(dc->cache_bdev, REQ_OP_READ, 0, &page, DCD_BLOCK_SIZE,
			    DCD_BLOCK_SIZE);
	if (ret) {
		snprintf(err, DCD_ERROR_LEN, "cannot read the cache disk superblock: error %d",
			 ret);
		return ret;
	}
	if (le64_to_cpu(sb->magic) != DCD_SB_MAGIC) {
		snprintf(err, DCD_ERROR_LEN, "no dcd superblock on the cache disk");
		return -EINVAL;
	}
	if (crc32c_field_zeroed(sb, sizeof(*sb), &sb->crc) != le32_to_cpu(sb->crc)) {
		snprintf(err, DCD_ERROR_LEN, "cache disk superblock checksum is wrong");
		return -EINVAL;
	}
	if (le32_to_cpu(sb->version) != DCD_FORMAT_VERSION ||
	    le32_to_cpu(sb->block_size) != DCD_BLOCK_SIZE) {
		snprintf(err, DCD_ERROR_LEN, "cache disk superblock version %u is not supported",
			 le32_to_cpu(sb->version));
		return -EINVAL;
	}
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

	if (le64_to_cpu(sb->data_sectors) != bdev_nr_sectors(dc->data_bdev)) {
		snprintf(err, DCD_ERROR_LEN,
			 "data disk has %llu sectors, the cache disk was formatted for %llu",
			 (u64)bdev_nr_sectors(dc->data_bdev),
			 le64_to_cpu(sb->data_sectors));
		return -EINVAL;
	}
	dc->data_sectors = le64_to_cpu(sb->data_sectors);
	if (dc->cache_blocks > bdev_nr_bytes(dc->cache_bdev) >> DCD_BLOCK_SHIFT ||
	    dc->log_start < 1 || dc->log_blocks < 16 ||
	    dc->log_start + dc->log_blocks > dc->cache_blocks ||
	    dc->tail >= dc->log_blocks || dc->mode > DCD_MODE_NVRAM ||
	    dc->buffer_bytes < DCD_BUFFER_MIN || dc->buffer_bytes > DCD_BUFFER_MAX ||
	    dc->high_watermark < DCD_WATERMARK_MIN ||
	    dc->high_watermark > DCD_WATERMARK_MAX ||
	    dc->idle_ms > DCD_IDLE_MS_MAX ||
	    dc->max_age_ms < DCD_MAX_AGE_MS_MIN || dc->max_age_ms > DCD_MAX_AGE_MS_MAX) {
		snprintf(err, DCD_ERROR_LEN, "cache disk superblock is inconsistent");
		return -EINVAL;
	}
	return 0;
}
