// SPDX-License-Identifier: GPL-2.0
/*
 * dcd: recovery at assemble. The log is scanned from the tail the superblock
 * records; every segment with the expected sequence number and correct
 * checksums is applied to the index, in order, and the first one that is not
 * ends the log.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <dcdmirror/kernel/fields.h>
#include <dcdmirror/kernel/sync_io.h>
#include "dcd.h"

/* Synchronous read of len bytes (whole blocks) into vmalloc memory. */
static int dcd_read_vmem(struct block_device *bdev, sector_t sector, void *buf,
			 size_t len)
{
	unsigned int i, nr = len >> DCD_BLOCK_SHIFT;
	struct page **pages;
	int ret;

	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		pages[i] = vmalloc_to_page(buf + ((size_t)i << DCD_BLOCK_SHIFT));
	ret = sync_io_pages(bdev, REQ_OP_READ, sector, pages, len, DCD_BLOCK_SIZE);
	invalidate_kernel_vmap_range(buf, len);
	kvfree(pages);
	return ret;
}

/* The extents of the header in dc->hdr lie within the device and the segment. */
static bool dcd_check_extents(struct dcd_dev *dc, u32 nr_ext, u32 data_blocks)
{
	struct dcd_seg_ext *ext = (struct dcd_seg_ext *)((struct dcd_seg_hdr *)dc->hdr + 1);
	u32 i;

	for (i = 0; i < nr_ext; i++) {
		u64 lba = le64_to_cpu(ext[i].lba);
		u32 slot = le32_to_cpu(ext[i].slot), count = le32_to_cpu(ext[i].count);

		if (!count || lba + count > dc->nr_blocks || lba + count < lba)
			return false;
		if (slot != DCD_EXT_DISCARD && (u64)slot + count > data_blocks)
			return false;
	}
	return true;
}

/* The crc32c of the segment's data blocks, read in batches into dc->dpages. */
static int dcd_data_crc(struct dcd_dev *dc, u64 pos, u32 data_blocks, u32 *crc)
{
	u64 done;
	u32 i;

	*crc = ~0U;
	for (done = 0; done < data_blocks; ) {
		unsigned int m = min_t(u64, data_blocks - done, DCD_DESTAGE_BLOCKS);

		if (sync_io_pages(dc->cache_bdev, REQ_OP_READ, dcd_log_sector(dc, pos + done),
				  dc->dpages, (size_t)m << DCD_BLOCK_SHIFT, DCD_BLOCK_SIZE))
			return -EIO;
		for (i = 0; i < m; i++)
			*crc = dcd_crc_page(*crc, dc->dpages[i]);
		done += m;
	}
	return 0;
}

/* Read and check the segment at pos expecting seq; returns its blocks. */
static u32 dcd_check_seg(struct dcd_dev *dc, u64 pos, u64 seq)
{
	struct dcd_seg_hdr *h = dc->hdr;
	u32 hdr_blocks, data_blocks, nr_ext, crc;

	if (pos >= dc->log_blocks)
		return 0;
	if (dcd_read_vmem(dc->cache_bdev, dcd_log_sector(dc, pos), dc->hdr, DCD_BLOCK_SIZE))
		return 0;
	hdr_blocks = le32_to_cpu(h->hdr_blocks);
	data_blocks = le32_to_cpu(h->data_blocks);
	nr_ext = le32_to_cpu(h->nr_ext);
	if (le64_to_cpu(h->magic) != DCD_SEG_MAGIC || le64_to_cpu(h->seq) != seq ||
	    memcmp(h->uuid, dc->uuid, sizeof(h->uuid)) ||
	    !hdr_blocks || hdr_blocks > dc->hdr_max_blocks ||
	    data_blocks > dc->seg_max_blocks ||
	    pos + hdr_blocks + data_blocks > dc->log_blocks ||
	    nr_ext > DCD_SEG_EXT_PER_HDR(hdr_blocks))
		return 0;
	if (hdr_blocks > 1 &&
	    dcd_read_vmem(dc->cache_bdev, dcd_log_sector(dc, pos + 1),
			  dc->hdr + DCD_BLOCK_SIZE,
			  (size_t)(hdr_blocks - 1) << DCD_BLOCK_SHIFT))
		return 0;
	if (crc32c_field_zeroed(dc->hdr, (size_t)hdr_blocks << DCD_BLOCK_SHIFT,
				&h->hdr_crc) != le32_to_cpu(h->hdr_crc))
		return 0;
	if (!dcd_check_extents(dc, nr_ext, data_blocks))
		return 0;
	if (dcd_data_crc(dc, pos + hdr_blocks, data_blocks, &crc) ||
	    crc != le32_to_cpu(h->data_crc))
		return 0;
	return hdr_blocks + data_blocks;
}

static void dcd_forget(struct dcd_dev *dc, u64 lba)
{
	void *e = xa_erase(&dc->map, lba);

	if (e) {
		dc->log_entries--;
		dcd_seg_unref(dc, dcd_ent_pos(e));
	}
}

/* Apply the segment in dc->hdr to the index. Caller holds lock. */
static int dcd_apply_seg(struct dcd_dev *dc, struct dcd_seg *seg)
{
	struct dcd_seg_hdr *h = dc->hdr;
	struct dcd_seg_ext *ext = (struct dcd_seg_ext *)(h + 1);
	u32 nr_ext = le32_to_cpu(h->nr_ext), i, k;
	u64 base = seg->pos + seg->hdr_blocks;

	for (i = 0; i < nr_ext; i++) {
		u64 lba = le64_to_cpu(ext[i].lba), last;
		unsigned long idx;
		void *e;

		if (le32_to_cpu(ext[i].slot) != DCD_EXT_DISCARD)
			continue;
		last = lba + le32_to_cpu(ext[i].count) - 1;
		xa_for_each_range(&dc->map, idx, e, lba, last)
			dcd_forget(dc, idx);
	}
	for (i = 0; i < nr_ext; i++) {
		u64 lba = le64_to_cpu(ext[i].lba);
		u32 slot = le32_to_cpu(ext[i].slot);

		if (slot == DCD_EXT_DISCARD)
			continue;
		for (k = 0; k < le32_to_cpu(ext[i].count); k++) {
			void *old = xa_store(&dc->map, lba + k,
					     dcd_mkent(DCD_LOC_LOG, base + slot + k),
					     GFP_KERNEL);

			if (xa_is_err(old))
				return xa_err(old);
			if (old) {
				dc->log_entries--;
				dcd_seg_unref(dc, dcd_ent_pos(old));
			}
			dc->log_entries++;
			seg->live++;
		}
	}
	return 0;
}

/* Add the checked segment at pos of n blocks to the log and the index. */
static int dcd_recover_seg(struct dcd_dev *dc, u64 pos, u64 seq, u32 n, char *err)
{
	struct dcd_seg *seg = dcd_seg_alloc(GFP_KERNEL);
	int ret;

	if (!seg) {
		snprintf(err, DCD_ERROR_LEN, "out of memory");
		return -ENOMEM;
	}
	seg->seq = seq;
	seg->pos = pos;
	seg->nr_blocks = n;
	seg->hdr_blocks = le32_to_cpu(((struct dcd_seg_hdr *)dc->hdr)->hdr_blocks);
	seg->written = true;
	mutex_lock(&dc->lock);
	dcd_seg_insert(dc, seg);
	ret = dcd_apply_seg(dc, seg);
	mutex_unlock(&dc->lock);
	if (ret)
		snprintf(err, DCD_ERROR_LEN, "out of memory rebuilding the index");
	return ret;
}

/*
 * Scan the log from the tail: each segment must carry the next sequence
 * number and correct checksums; the first one that does not ends the log.
 * After an unclean stop that is where the last, torn, segment was. After a
 * clean stop the superblock says where the log ends: ending before it means
 * a damaged cache disk and lost data, refused unless force is set.
 */
int dcd_recover(struct dcd_dev *dc, bool force, char *err)
{
	u64 pos = dc->tail, seq = dc->tail_seq, scanned = 0, nsegs = 0;
	u64 clean_head = dc->head, clean_seq = dc->next_seq;
	int ret;

	for (;;) {
		u64 at = pos;
		u32 n = dcd_check_seg(dc, at, seq);

		if (!n && at) {
			at = 0;
			n = dcd_check_seg(dc, at, seq);
		}
		if (!n || scanned + n > dc->log_blocks)
			break;
		pos = at;
		ret = dcd_recover_seg(dc, pos, seq, n, err);
		if (ret)
			return ret;
		scanned += n;
		nsegs++;
		pos += n;
		if (pos == dc->log_blocks)
			pos = 0;
		seq++;
	}
	dc->head = pos;
	dc->next_seq = seq;
	if (nsegs == 0)
		dc->head = dc->tail;
	dcd_update_fill(dc);
	if (!dc->unclean && (dc->next_seq != clean_seq ||
			     (nsegs && dc->head != clean_head))) {
		if (!force) {
			snprintf(err, DCD_ERROR_LEN,
				 "cache log damaged: it ends at segment %llu, the clean stop left %llu; --force accepts the loss",
				 dc->next_seq, clean_seq);
			return -EUCLEAN;
		}
		dcd_warn(dc, "log ends at segment %llu, the clean stop left it at %llu: segments lost (forced)\n",
			 dc->next_seq, clean_seq);
	}
	dcd_info(dc, "log recovered: %llu segments from seq %llu, %llu cached blocks\n", nsegs,
		 dc->tail_seq, dc->log_entries);
	return 0;
}
