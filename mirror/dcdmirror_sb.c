// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror superblocks: one at the end of each leg (mirror_format.h), so
 * that an array can be assembled again and a stale leg recognized.
 */
#define pr_fmt(fmt) "dcdmirror: " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/gfp.h>
#include <linux/timekeeping.h>
#include <linux/uuid.h>
#include <dcdmirror/mirror_format.h>

#include "dcdmirror.h"

static int dcdmirror_sb_io(struct block_device *bdev, sector_t sector,
			   struct page *page, blk_opf_t opf)
{
	struct bio bio;
	struct bio_vec bvec;
	int ret;

	bio_init(&bio, bdev, &bvec, 1, opf);
	bio.bi_iter.bi_sector = sector;
	__bio_add_page(&bio, page, DCDMIRROR_SB_SIZE, 0);
	ret = submit_bio_wait(&bio);
	bio_uninit(&bio);
	return ret;
}

static u32 dcdmirror_sb_crc(struct dcdmirror_sb *sb)
{
	__le32 saved = sb->crc;
	u32 crc;

	sb->crc = 0;
	crc = __crc32c_le(~0U, (void *)sb, DCDMIRROR_SB_SIZE);
	sb->crc = saved;
	return crc;
}

/* New superblocks for create: a new uuid, the data area below the metadata. */
int dcdmirror_sb_init(struct dcdmirror *m, struct dcdmirror_ioc_create *c)
{
	unsigned int lbs = bdev_logical_block_size(m->legs[0].bdev);
	sector_t sectors = ~(sector_t)0;
	unsigned int i;

	if (lbs > DCDMIRROR_SB_SIZE) {
		dcdmirror_create_err(c, "logical block size %u is larger than the superblock", lbs);
		return -EINVAL;
	}
	for (i = 0; i < m->nr_legs; i++) {
		sector_t n = bdev_nr_sectors(m->legs[i].bdev);

		if (dcdmirror_data_sectors(n) < 8) {
			dcdmirror_create_err(c, "%pg: too small for a superblock",
					     m->legs[i].bdev);
			return -EINVAL;
		}
		m->legs[i].sb_sector = dcdmirror_sb_sector(n);
		sectors = min_t(sector_t, sectors, dcdmirror_data_sectors(n));
	}
	m->sectors = round_down(sectors, lbs >> SECTOR_SHIFT);
	m->sb_page = alloc_page(GFP_KERNEL);
	if (!m->sb_page) {
		dcdmirror_create_err(c, "out of memory");
		return -ENOMEM;
	}
	generate_random_uuid(m->uuid);
	m->ctime = ktime_get_real_seconds();
	m->events = 0;
	m->has_sb = true;
	return 0;
}

/* Read and check the superblock of leg i into sb (a page). */
static int dcdmirror_sb_read(struct dcdmirror *m, unsigned int i,
			     struct page *page, struct dcdmirror_ioc_create *c)
{
	struct dcdmirror_leg *leg = &m->legs[i];
	struct dcdmirror_sb *sb = page_address(page);
	int ret;

	leg->sb_sector = dcdmirror_sb_sector(bdev_nr_sectors(leg->bdev));
	if (dcdmirror_data_sectors(bdev_nr_sectors(leg->bdev)) < 8) {
		dcdmirror_create_err(c, "%pg: no dcdmirror superblock (too small)", leg->bdev);
		return -EINVAL;
	}
	ret = dcdmirror_sb_io(leg->bdev, leg->sb_sector, page, REQ_OP_READ);
	if (ret) {
		dcdmirror_create_err(c, "%pg: cannot read the superblock: error %d",
				     leg->bdev, ret);
		return ret;
	}
	if (le64_to_cpu(sb->magic) != DCDMIRROR_SB_MAGIC) {
		dcdmirror_create_err(c, "%pg: no dcdmirror superblock", leg->bdev);
		return -EINVAL;
	}
	if (le32_to_cpu(sb->crc) != dcdmirror_sb_crc(sb)) {
		dcdmirror_create_err(c, "%pg: superblock checksum is wrong", leg->bdev);
		return -EINVAL;
	}
	if (le32_to_cpu(sb->version) != DCDMIRROR_SB_VERSION) {
		dcdmirror_create_err(c, "%pg: superblock version %u is not supported",
				     leg->bdev, le32_to_cpu(sb->version));
		return -EINVAL;
	}
	if (le32_to_cpu(sb->nr_legs) != m->nr_legs ||
	    le32_to_cpu(sb->leg) >= m->nr_legs ||
	    le32_to_cpu(sb->mode) != DCDMIRROR_MODE_SYNC ||
	    le64_to_cpu(sb->sb_sector) != leg->sb_sector) {
		dcdmirror_create_err(c, "%pg: superblock describes another layout",
				     leg->bdev);
		return -EINVAL;
	}
	if (le32_to_cpu(sb->leg) != i) {
		dcdmirror_create_err(c, "%pg is the %s leg of its array, given as the %s one",
				     leg->bdev, le32_to_cpu(sb->leg) ? "remote" : "local",
				     i ? "remote" : "local");
		return -EINVAL;
	}
	if (le32_to_cpu(sb->logical_block_size) != bdev_logical_block_size(leg->bdev)) {
		dcdmirror_create_err(c, "%pg: logical block size %u, the superblock says %u",
				     leg->bdev, bdev_logical_block_size(leg->bdev),
				     le32_to_cpu(sb->logical_block_size));
		return -EINVAL;
	}
	if (le64_to_cpu(sb->array_sectors) >
	    dcdmirror_data_sectors(bdev_nr_sectors(leg->bdev)) ||
	    !sb->array_sectors) {
		dcdmirror_create_err(c, "%pg: smaller than the array", leg->bdev);
		return -EINVAL;
	}
	return 0;
}

/* Start from the legs' superblocks: they must agree. */
int dcdmirror_sb_assemble(struct dcdmirror *m, struct dcdmirror_ioc_create *c)
{
	struct dcdmirror_sb *sb, *sb0;
	struct page *page0;
	unsigned int i;
	int ret;

	page0 = alloc_page(GFP_KERNEL);
	m->sb_page = alloc_page(GFP_KERNEL);
	if (!page0 || !m->sb_page) {
		dcdmirror_create_err(c, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	sb0 = page_address(page0);
	sb = page_address(m->sb_page);
	ret = dcdmirror_sb_read(m, 0, page0, c);
	if (ret)
		goto out;
	for (i = 1; i < m->nr_legs; i++) {
		ret = dcdmirror_sb_read(m, i, m->sb_page, c);
		if (ret)
			goto out;
		ret = -EINVAL;
		if (memcmp(sb->uuid, sb0->uuid, sizeof(sb->uuid)) ||
		    sb->array_sectors != sb0->array_sectors) {
			dcdmirror_create_err(c, "%pg and %pg belong to different arrays",
					     m->legs[0].bdev, m->legs[i].bdev);
			goto out;
		}
		if (sb->events != sb0->events) {
			dcdmirror_create_err(c, "%pg has events %llu, %pg %llu: the legs are out of sync",
					     m->legs[0].bdev, le64_to_cpu(sb0->events),
					     m->legs[i].bdev, le64_to_cpu(sb->events));
			goto out;
		}
		if (sb->state != sb0->state)
			m->unclean = true;
	}
	memcpy(m->uuid, sb0->uuid, sizeof(m->uuid));
	m->sectors = le64_to_cpu(sb0->array_sectors);
	m->mode = le32_to_cpu(sb0->mode);
	m->events = le64_to_cpu(sb0->events);
	m->ctime = le64_to_cpu(sb0->ctime);
	if (le32_to_cpu(sb0->state) != DCDMIRROR_SB_CLEAN)
		m->unclean = true;
	if (m->unclean)
		pr_warn("dcdmirror%u: was not stopped cleanly: the legs may differ where writes were in flight\n",
			c->index);
	m->has_sb = true;
	ret = 0;
out:
	if (page0)
		__free_page(page0);
	return ret;
}

/*
 * Write every leg's superblock with state and the next events count. The
 * flush before makes the data written so far durable before CLEAN is.
 */
int dcdmirror_sb_write(struct dcdmirror *m, u32 state)
{
	struct dcdmirror_sb *sb = page_address(m->sb_page);
	unsigned int i, j;
	int ret, err = 0;

	m->events++;
	for (i = 0; i < m->nr_legs; i++) {
		struct dcdmirror_leg *leg = &m->legs[i];

		/* a faulty leg keeps its older events: assemble sees it stale */
		if (test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags))
			continue;

		memset(sb, 0, DCDMIRROR_SB_SIZE);
		sb->magic = cpu_to_le64(DCDMIRROR_SB_MAGIC);
		sb->version = cpu_to_le32(DCDMIRROR_SB_VERSION);
		memcpy(sb->uuid, m->uuid, sizeof(sb->uuid));
		sb->leg = cpu_to_le32(i);
		sb->role = cpu_to_le32(leg->role);
		sb->nr_legs = cpu_to_le32(m->nr_legs);
		sb->mode = cpu_to_le32(m->mode);
		sb->state = cpu_to_le32(state);
		sb->logical_block_size = cpu_to_le32(bdev_logical_block_size(leg->bdev));
		sb->array_sectors = cpu_to_le64(m->sectors);
		sb->sb_sector = cpu_to_le64(leg->sb_sector);
		sb->leg_sectors = cpu_to_le64(bdev_nr_sectors(leg->bdev));
		sb->events = cpu_to_le64(m->events);
		sb->ctime = cpu_to_le64(m->ctime);
		sb->utime = cpu_to_le64(ktime_get_real_seconds());
		for (j = 0; j < m->nr_legs && j < ARRAY_SIZE(sb->leg_state); j++)
			sb->leg_state[j] = cpu_to_le32(dcdmirror_leg_state(&m->legs[j]));
		sb->crc = cpu_to_le32(dcdmirror_sb_crc(sb));
		ret = dcdmirror_sb_io(leg->bdev, leg->sb_sector, m->sb_page,
				      REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA);
		if (ret) {
			pr_err("dcdmirror%u: %pg: superblock write failed: error %d\n",
			       m->index, leg->bdev, ret);
			err = err ?: ret;
		}
	}
	return err;
}

/* A leg became faulty: record it in the superblocks of the others. */
void dcdmirror_sb_work(struct work_struct *work)
{
	struct dcdmirror *m = container_of(work, struct dcdmirror, sb_work);

	mutex_lock(&m->sb_lock);
	if (m->has_sb)
		dcdmirror_sb_write(m, DCDMIRROR_SB_ACTIVE);
	mutex_unlock(&m->sb_lock);
}

void dcdmirror_sb_exit(struct dcdmirror *m)
{
	if (m->sb_page)
		__free_page(m->sb_page);
	m->sb_page = NULL;
}
