// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror superblocks: one at the end of each leg (mirror_format.h), so
 * that an array can be assembled again and a stale leg recognized.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uuid.h>
#include <dcdmirror/kernel/fields.h>
#include <dcdmirror/kernel/sync_io.h>
#include <dcdmirror/mirror_format.h>

#include "dcdmirror.h"

static int dcdmirror_sb_io(struct block_device *bdev, sector_t sector,
			   struct page *page, blk_opf_t opf)
{
	return sync_io_pages(bdev, opf, sector, &page, DCDMIRROR_SB_SIZE,
			     DCDMIRROR_SB_SIZE);
}

static_assert(sizeof(struct dcdmirror_sb) == DCDMIRROR_SB_SIZE);
/*
 * An error line names two legs and their generations: two descriptions,
 * two device names (%pg, a disk name and a partition) and at most 128
 * bytes of text around them.
 */
static_assert(2 * DCDMIRROR_GEN_DESC_LEN + 2 * 48 + 128 <= DCDMIRROR_ERROR_LEN);

static u32 dcdmirror_sb_crc(struct dcdmirror_sb *sb)
{
	return crc32c_field_zeroed(sb, DCDMIRROR_SB_SIZE, &sb->crc);
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
		m->legs[i].bitmap_sector = dcdmirror_bitmap_sector(n);
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
	dcdmirror_gen_init(m);
	return 0;
}

/* A superblock field that cannot be: one line to the caller and the log. */
#define dcdmirror_sb_bad(c, bdev, fmt, ...) ({				\
	dcdmirror_create_err(c, "%pg: superblock: " fmt, bdev, ##__VA_ARGS__); \
	-EINVAL;							\
})

/*
 * The activity log's fields: all zero (an array without a log: its bitmap
 * takes the ring's place, or a superblock written before the log was
 * used), or the ring where mirror_format.h puts it and a set it can hold.
 */
static int dcdmirror_sb_check_al(struct dcdmirror_ioc_create *c, struct block_device *bdev,
				 struct dcdmirror_sb *sb)
{
	u32 slots = le32_to_cpu(sb->al_slots), extents = le32_to_cpu(sb->al_extents);
	u32 shift = le32_to_cpu(sb->al_extent_shift);

	if (!slots && !extents && !shift && !sb->al_sector)
		return 0;
	if (slots != DCDMIRROR_AL_SLOTS)
		return dcdmirror_sb_bad(c, bdev, "activity log of %u slots, not %u", slots,
					DCDMIRROR_AL_SLOTS);
	if (le64_to_cpu(sb->al_sector) != dcdmirror_al_sector(bdev_nr_sectors(bdev)))
		return dcdmirror_sb_bad(c, bdev, "activity log at sector %llu, it is at %llu",
					le64_to_cpu(sb->al_sector),
					dcdmirror_al_sector(bdev_nr_sectors(bdev)));
	if (extents < DCDMIRROR_AL_EXTENTS_MIN || extents > DCDMIRROR_AL_EXTENTS_MAX)
		return dcdmirror_sb_bad(c, bdev, "activity log of %u extents, not %u to %u",
					extents, DCDMIRROR_AL_EXTENTS_MIN,
					DCDMIRROR_AL_EXTENTS_MAX);
	if (shift < DCDMIRROR_AL_MIN_SHIFT || shift > DCDMIRROR_AL_MAX_SHIFT)
		return dcdmirror_sb_bad(c, bdev,
					"activity log extents of 2^%u sectors, not 2^%u to 2^%u",
					shift, DCDMIRROR_AL_MIN_SHIFT, DCDMIRROR_AL_MAX_SHIFT);
	return 0;
}

/* The version 4 fields: generations, leg id, timeout, activity log. */
static int dcdmirror_sb_check_gen(struct dcdmirror_ioc_create *c, struct block_device *bdev,
				  struct dcdmirror_sb *sb)
{
	u32 flags = le32_to_cpu(sb->gen_flags), tmo = le32_to_cpu(sb->remote_timeout_ms);

	if (flags & ~(DCDMIRROR_GEN_INCONSISTENT | DCDMIRROR_GEN_TAKEOVER))
		return dcdmirror_sb_bad(c, bdev, "generation flags 0x%x are unknown", flags);
	if (!sb->gen_current && !(flags & DCDMIRROR_GEN_INCONSISTENT))
		return dcdmirror_sb_bad(c, bdev, "no generation");
	if (!sb->leg_id)
		return dcdmirror_sb_bad(c, bdev, "no leg id");
	if (tmo && tmo != DCDMIRROR_REMOTE_TIMEOUT_OFF &&
	    (tmo < DCDMIRROR_REMOTE_TIMEOUT_MIN || tmo > DCDMIRROR_REMOTE_TIMEOUT_MAX))
		return dcdmirror_sb_bad(c, bdev, "remote timeout %u ms out of range", tmo);
	if (!memchr(sb->gen_host, 0, sizeof(sb->gen_host)))
		return dcdmirror_sb_bad(c, bdev, "host name not terminated");
	return dcdmirror_sb_check_al(c, bdev, sb);
}

/*
 * Every field of the superblock of bdev as leg i (magic, checksum and
 * version checked), before any is used: on-disk metadata is untrusted even
 * with a valid checksum. 0, or -EINVAL with the first wrong field named.
 */
static int dcdmirror_sb_check(struct dcdmirror *m, unsigned int i,
			      struct block_device *bdev, struct dcdmirror_sb *sb,
			      struct dcdmirror_ioc_create *c)
{
	struct dcdmirror_leg *leg = &m->legs[i];
	u64 array = le64_to_cpu(sb->array_sectors);
	u32 chunk = le32_to_cpu(sb->bitmap_chunk_sectors);
	u32 role = le32_to_cpu(sb->role), state = le32_to_cpu(sb->state);
	u32 flags = le32_to_cpu(sb->resync_flags);
	unsigned int lbs = bdev_logical_block_size(bdev), j;
	u32 shift;
	int ret;

	if (le32_to_cpu(sb->nr_legs) != m->nr_legs)
		return dcdmirror_sb_bad(c, bdev, "%u legs, an array has %u",
					le32_to_cpu(sb->nr_legs), m->nr_legs);
	if (le32_to_cpu(sb->leg) >= m->nr_legs)
		return dcdmirror_sb_bad(c, bdev, "leg %u: no such leg", le32_to_cpu(sb->leg));
	if (le64_to_cpu(sb->sb_sector) != leg->sb_sector)
		return dcdmirror_sb_bad(c, bdev, "says it is at sector %llu, it is at %llu",
					le64_to_cpu(sb->sb_sector), (u64)leg->sb_sector);
	if (role > DCDMIRROR_ROLE_REMOTE)
		return dcdmirror_sb_bad(c, bdev, "role %u is unknown", role);
	if (role != (le32_to_cpu(sb->leg) ? DCDMIRROR_ROLE_REMOTE : DCDMIRROR_ROLE_LOCAL))
		return dcdmirror_sb_bad(c, bdev, "role %s, but it is the %s leg",
					role == DCDMIRROR_ROLE_REMOTE ? "remote" : "local",
					le32_to_cpu(sb->leg) ? "remote" : "local");
	/*
	 * From version 4 on the generations decide, whatever the roles were;
	 * a leg assembled alone is judged by dcdmirror_sb_assemble_alone() (a
	 * former remote leg takes over).
	 */
	if (le32_to_cpu(sb->version) < 4 && le32_to_cpu(sb->leg) != i && m->legs[!i].bdev) {
		dcdmirror_create_err(c, "%pg is the %s leg of its array, given as the %s one",
				     bdev, le32_to_cpu(sb->leg) ? "remote" : "local",
				     i ? "remote" : "local");
		return -EINVAL;
	}
	if (le32_to_cpu(sb->version) >= 4) {
		ret = dcdmirror_sb_check_gen(c, bdev, sb);
		if (ret)
			return ret;
	}
	if (le32_to_cpu(sb->mode) > DCDMIRROR_MODE_ASYNC)
		return dcdmirror_sb_bad(c, bdev, "mode %u is unknown", le32_to_cpu(sb->mode));
	if (state != DCDMIRROR_SB_CLEAN && state != DCDMIRROR_SB_ACTIVE)
		return dcdmirror_sb_bad(c, bdev, "state %u is unknown", state);
	for (j = 0; j < m->nr_legs && j < ARRAY_SIZE(sb->leg_state); j++)
		if (le32_to_cpu(sb->leg_state[j]) > DCDMIRROR_LEG_REBUILDING)
			return dcdmirror_sb_bad(c, bdev, "leg %u state %u is unknown", j,
						le32_to_cpu(sb->leg_state[j]));
	if (le64_to_cpu(sb->leg_sectors) != bdev_nr_sectors(bdev))
		return dcdmirror_sb_bad(c, bdev,
					"written for a device of %llu sectors, this one has %llu",
					le64_to_cpu(sb->leg_sectors), (u64)bdev_nr_sectors(bdev));
	if (le32_to_cpu(sb->logical_block_size) != lbs) {
		dcdmirror_create_err(c, "%pg: logical block size %u, the superblock says %u",
				     bdev, lbs, le32_to_cpu(sb->logical_block_size));
		return -EINVAL;
	}
	if (!array || array > dcdmirror_data_sectors(bdev_nr_sectors(bdev))) {
		dcdmirror_create_err(c, "%pg: smaller than the array", bdev);
		return -EINVAL;
	}
	if (array & ((lbs >> SECTOR_SHIFT) - 1))
		return dcdmirror_sb_bad(c, bdev,
					"array of %llu sectors is not a multiple of the %u-byte logical block",
					array, lbs);
	if (!is_power_of_2(chunk))
		return dcdmirror_sb_bad(c, bdev, "bitmap chunk of %u sectors: not a power of two",
					chunk);
	if (chunk < DCDMIRROR_BITMAP_MIN_CHUNK >> SECTOR_SHIFT)
		return dcdmirror_sb_bad(c, bdev, "bitmap chunk of %u sectors: less than %u", chunk,
					DCDMIRROR_BITMAP_MIN_CHUNK >> SECTOR_SHIFT);
	if (chunk > SZ_1G >> SECTOR_SHIFT)
		return dcdmirror_sb_bad(c, bdev, "bitmap chunk of %u sectors: more than %u (1 GiB)",
					chunk, SZ_1G >> SECTOR_SHIFT);
	/* an array created before version 4 may have a larger one (and no log) */
	ret = dcdmirror_bitmap_chunk_shift(array, chunk << SECTOR_SHIFT,
					   DCDMIRROR_BITMAP_MAX_BYTES, &shift);
	if (ret)
		return dcdmirror_sb_bad(c, bdev,
					"the bitmap of %llu chunks of %u sectors is larger than its area of %u bytes",
					DIV_ROUND_UP_ULL(array, chunk), chunk,
					DCDMIRROR_BITMAP_MAX_BYTES);
	if (le64_to_cpu(sb->bitmap_sector) != leg->bitmap_sector)
		return dcdmirror_sb_bad(c, bdev, "bitmap at sector %llu, it is at %llu",
					le64_to_cpu(sb->bitmap_sector), (u64)leg->bitmap_sector);
	if (le64_to_cpu(sb->bitmap_chunks) != DIV_ROUND_UP_ULL(array, chunk))
		return dcdmirror_sb_bad(c, bdev, "%llu bitmap chunks, the array has %llu",
					le64_to_cpu(sb->bitmap_chunks),
					DIV_ROUND_UP_ULL(array, chunk));
	if (le64_to_cpu(sb->events_cleared) > le64_to_cpu(sb->events))
		return dcdmirror_sb_bad(c, bdev, "events_cleared %llu above events %llu",
					le64_to_cpu(sb->events_cleared), le64_to_cpu(sb->events));
	if (flags & ~(DCDMIRROR_SB_RESYNC_ACTIVE | DCDMIRROR_SB_RESYNC_FULL))
		return dcdmirror_sb_bad(c, bdev, "resync flags 0x%x are unknown", flags);
	if (!(flags & DCDMIRROR_SB_RESYNC_ACTIVE))
		return 0;
	if (le32_to_cpu(sb->resync_leg) >= m->nr_legs)
		return dcdmirror_sb_bad(c, bdev, "resync checkpoint of leg %u: no such leg",
					le32_to_cpu(sb->resync_leg));
	/* at most the end of the last chunk (a walk that went through) */
	if (le64_to_cpu(sb->resync_offset) > round_up(array, (u64)chunk) ||
	    le64_to_cpu(sb->resync_offset) & (chunk - 1))
		return dcdmirror_sb_bad(c, bdev,
					"resync checkpoint at sector %llu: not a chunk of the array",
					le64_to_cpu(sb->resync_offset));
	return 0;
}

/*
 * Read and check the superblock of bdev as leg i into sb (a page). Leaves
 * the leg's sb_sector and bitmap_sector set.
 */
static int dcdmirror_sb_read(struct dcdmirror *m, unsigned int i,
			     struct block_device *bdev, struct page *page,
			     struct dcdmirror_ioc_create *c)
{
	struct dcdmirror_leg *leg = &m->legs[i];
	struct dcdmirror_sb *sb = page_address(page);
	int ret;

	if (dcdmirror_data_sectors(bdev_nr_sectors(bdev)) < 8) {
		dcdmirror_create_err(c, "%pg: no dcdmirror superblock (too small)", bdev);
		return -EINVAL;
	}
	leg->sb_sector = dcdmirror_sb_sector(bdev_nr_sectors(bdev));
	leg->bitmap_sector = dcdmirror_bitmap_sector(bdev_nr_sectors(bdev));
	ret = dcdmirror_sb_io(bdev, leg->sb_sector, page, REQ_OP_READ);
	if (ret) {
		dcdmirror_create_err(c, "%pg: cannot read the superblock: error %d",
				     bdev, ret);
		return ret;
	}
	if (le64_to_cpu(sb->magic) != DCDMIRROR_SB_MAGIC) {
		dcdmirror_create_err(c, "%pg: no dcdmirror superblock", bdev);
		return -EINVAL;
	}
	if (le32_to_cpu(sb->crc) != dcdmirror_sb_crc(sb)) {
		dcdmirror_create_err(c, "%pg: superblock checksum is wrong", bdev);
		return -EINVAL;
	}
	if (le32_to_cpu(sb->version) < DCDMIRROR_SB_VERSION_MIN ||
	    le32_to_cpu(sb->version) > DCDMIRROR_SB_VERSION) {
		dcdmirror_create_err(c, "%pg: superblock version %u is not supported",
				     bdev, le32_to_cpu(sb->version));
		return -EINVAL;
	}
	return dcdmirror_sb_check(m, i, bdev, sb, c);
}

/*
 * Does the source's superblock record a checkpoint of a resync of leg
 * stale, and does stale's carry the same resync_id? Then it resumes:
 * resync_ckpt, resync_id and resync_full are set from it.
 */
static bool dcdmirror_sb_resume(struct dcdmirror *m, struct dcdmirror_sb *src,
				struct dcdmirror_sb *stale, unsigned int i)
{
	u32 flags = le32_to_cpu(src->resync_flags);
	u64 off = le64_to_cpu(src->resync_offset);

	if (!(flags & DCDMIRROR_SB_RESYNC_ACTIVE) ||
	    !(le32_to_cpu(stale->resync_flags) & DCDMIRROR_SB_RESYNC_ACTIVE) ||
	    le32_to_cpu(src->resync_leg) != i ||
	    !src->resync_id || src->resync_id != stale->resync_id ||
	    off & ((1ULL << m->bm.chunk_shift) - 1) ||
	    off >> m->bm.chunk_shift > m->bm.chunks)
		return false;
	m->resync_ckpt = off >> m->bm.chunk_shift;
	m->resync_id = le64_to_cpu(src->resync_id);
	m->resync_full = flags & DCDMIRROR_SB_RESYNC_FULL;
	return true;
}

/* The array's settings, from the source leg's superblock. */
static void dcdmirror_sb_settings(struct dcdmirror *m, struct dcdmirror_sb *sb,
				  struct dcdmirror_ioc_create *c)
{
	bool v4;
	u32 tmo;

	memcpy(m->uuid, sb->uuid, sizeof(m->uuid));
	m->sectors = le64_to_cpu(sb->array_sectors);
	m->mode = le32_to_cpu(sb->mode);
	m->max_lag_kib = le32_to_cpu(sb->max_lag_kib);
	if (!m->max_lag_kib || m->max_lag_kib > DCDMIRROR_MAX_LAG_KIB_MAX)
		m->max_lag_kib = DCDMIRROR_MAX_LAG_KIB_DEFAULT;
	m->max_lag_ms = le32_to_cpu(sb->max_lag_ms);
	if (!m->max_lag_ms || m->max_lag_ms > DCDMIRROR_MAX_LAG_MS_MAX)
		m->max_lag_ms = DCDMIRROR_MAX_LAG_MS_DEFAULT;
	m->async_flags = le32_to_cpu(sb->async_flags) & DCDMIRROR_ASYNC_FLUSH_LOCAL;
	m->events_cleared = le64_to_cpu(sb->events_cleared);
	m->ctime = le64_to_cpu(sb->ctime);
	m->resync_rate = le32_to_cpu(sb->resync_rate);
	if (m->resync_rate < DCDMIRROR_RESYNC_RATE_MIN ||
	    m->resync_rate > DCDMIRROR_RESYNC_RATE_MAX)
		m->resync_rate = DCDMIRROR_RESYNC_RATE_DEFAULT;
	/* the log's set: given at assemble, else the array's, else the default */
	v4 = le32_to_cpu(sb->version) >= 4;
	m->al.nr = c->al_extents ?: (v4 ? le32_to_cpu(sb->al_extents) : 0) ?:
		   DCDMIRROR_AL_EXTENTS_DEFAULT;
	m->al.shift = (v4 ? le32_to_cpu(sb->al_extent_shift) : 0) ?: DCDMIRROR_AL_DEF_SHIFT;
	/* given at assemble, else what the array had (0, none before version 4: the default) */
	tmo = v4 ? le32_to_cpu(sb->remote_timeout_ms) : 0;
	m->remote_timeout_ms = c->remote_timeout_ms ?: tmo ?: DCDMIRROR_REMOTE_TIMEOUT_DEFAULT;
}

/* The generation a leg's superblock records (none before version 4). */
static void dcdmirror_sb_gen(struct dcdmirror *m, unsigned int i, struct dcdmirror_sb *sb,
			     struct dcdmirror_gen *gen)
{
	memset(gen, 0, sizeof(*gen));
	if (le32_to_cpu(sb->version) < 4) {
		dcdmirror_gen_new_leg(m, i);
		return;
	}
	dcdmirror_gen_from_sb(gen, sb);
	m->legs[i].id = le64_to_cpu(sb->leg_id);
	m->legs[i].peer_id = le64_to_cpu(sb->peer_id);
}

/* Load the bitmap of leg i; or (merge) add its bits to those loaded. */
static int dcdmirror_sb_bits(struct dcdmirror *m, unsigned int i, bool merge,
			     struct dcdmirror_ioc_create *c)
{
	int ret = dcdmirror_bitmap_load(m, i, merge);

	if (ret)
		dcdmirror_create_err(c, "%pg: cannot read the bitmap: error %d",
				     m->legs[i].bdev, ret);
	/* every leg gets the bitmap as it is now at the first flush */
	spin_lock_irq(&m->bm.lock);
	bitmap_set(m->bm.dirty_blocks, 0, m->bm.nr_blocks);
	spin_unlock_irq(&m->bm.lock);
	return ret;
}

/*
 * Read the activity log of leg i, and after a crash (replay) set the bits
 * of its set (dcdmirror_al_read()).
 */
static int dcdmirror_sb_replay(struct dcdmirror *m, unsigned int i, struct dcdmirror_sb *sb,
			       bool replay, struct dcdmirror_ioc_create *c)
{
	int ret = le32_to_cpu(sb->version) >= 4 ? dcdmirror_al_read(m, i, sb, replay) : 0;

	if (ret)
		dcdmirror_create_err(c, "out of memory");
	return ret;
}

/*
 * Leg stale is to be rebuilt from the other (with the bits now set, or all
 * of them: full); a resync that was stopped resumes at its checkpoint. Its
 * generation (legs[stale].gen, what its superblock keeps meanwhile) is set;
 * by bitmap, it becomes the source's ancestor's (dcdmirror_gen_rebuild()).
 */
static void dcdmirror_sb_rebuild(struct dcdmirror *m, struct dcdmirror_sb **sb,
				 unsigned int src, unsigned int stale, bool full)
{
	set_bit(DCDMIRROR_LEG_REBUILDING_BIT, &m->legs[stale].flags);
	m->legs[stale].base_events = le64_to_cpu(sb[stale]->events);
	if (dcdmirror_sb_resume(m, sb[src], sb[stale], stale)) {
		/* a full one has not looked at the chunks from there on */
		full = full || m->resync_full;
		m->resync_full = full;
		if (full)
			dcdmirror_bitmap_set_from(m, m->resync_ckpt);
		dcdmirror_info(m, "the %s resync of %pg stopped at chunk %llu (sector %llu): it resumes there\n",
			       full ? "full" : "bitmap", m->legs[stale].bdev, m->resync_ckpt,
			       m->resync_ckpt << m->bm.chunk_shift);
	} else {
		dcdmirror_resync_new(m, full);
		if (full)
			dcdmirror_bitmap_set_all(m);
	}
	if (!full)
		dcdmirror_gen_rebuild(m, stale);
}

/*
 * Superblocks before version 4: the leg with more events is the source;
 * the other one is stale and resynced, by bitmap if it is recent enough.
 * After a stop that was not clean, the chunks the bitmap marks are copied
 * from the local leg to the remote one.
 */
static int dcdmirror_sb_assemble_events(struct dcdmirror *m, struct dcdmirror_sb **sb,
					struct dcdmirror_ioc_create *c)
{
	u64 ev0 = le64_to_cpu(sb[0]->events), ev1 = le64_to_cpu(sb[1]->events);
	unsigned int src = ev1 > ev0, stale = !src;
	bool full = false;
	int ret;

	dcdmirror_sb_settings(m, sb[src], c);
	m->events = max(ev0, ev1);
	ret = dcdmirror_bitmap_init(m, ilog2(le32_to_cpu(sb[src]->bitmap_chunk_sectors)));
	if (ret) {
		dcdmirror_create_err(c, "out of memory");
		return ret;
	}
	m->has_sb = true;
	ret = dcdmirror_sb_bits(m, src, false, c);
	if (ret)
		return ret;
	/* a new generation from now on: the superblocks become version 4 */
	dcdmirror_gen_init(m);
	if (ev0 != ev1) {
		/* bits were cleared after it left: the bitmap cannot tell */
		full = le64_to_cpu(sb[stale]->events) < m->events_cleared;
		dcdmirror_sb_rebuild(m, sb, src, stale, full);
		dcdmirror_warn(m, "%pg has events %llu, %pg %llu: %pg is stale, %s resync of %llu chunks\n",
			       m->legs[src].bdev, m->events, m->legs[stale].bdev,
			       le64_to_cpu(sb[stale]->events), m->legs[stale].bdev,
			       m->resync_full ? "full" : "bitmap", dcdmirror_bitmap_weight(m));
	} else if (m->unclean) {
		/* no resync was running: the rebuilt leg keeps older events */
		stale = 1;
		src = 0;
		dcdmirror_sb_rebuild(m, sb, src, stale, full);
		dcdmirror_warn(m, "was not stopped cleanly: resync of the chunks the bitmap marks (%llu)\n",
			       dcdmirror_bitmap_weight(m));
	}
	return 0;
}

/*
 * split_brain, on the control device: the array may not exist (assemble).
 * Refused at op "assemble" (both legs named), or at "add" of bdev as leg i.
 */
static void dcdmirror_split_brain_event(struct dcdmirror *m, const char *op, int i,
					struct block_device *bdev)
{
	struct event e;

	dcdmirror_event_init(m->index, &e, "split_brain", NULL);
	event_add(&e, "DCDMIRROR_OP", "%s", op);
	if (bdev) {
		event_add(&e, "DCDMIRROR_LEG", "%s", dcdmirror_role_name(&m->legs[i]));
		event_add(&e, "DCDMIRROR_LEG_DEVICE", "%pg", bdev);
	} else {
		event_add(&e, "DCDMIRROR_LOCAL_DEVICE", "%pg", m->legs[0].bdev);
		event_add(&e, "DCDMIRROR_REMOTE_DEVICE", "%pg", m->legs[1].bdev);
	}
	dcdmirror_ctl_event_post(&e);
}

/* Which leg is the source and how much of the other to copy: a split brain. */
static int dcdmirror_sb_split_brain(struct dcdmirror *m, struct dcdmirror_gen *gen,
				    struct dcdmirror_ioc_create *c, unsigned int *src)
{
	char g0[DCDMIRROR_GEN_DESC_LEN], g1[DCDMIRROR_GEN_DESC_LEN];

	if (c->flags & DCDMIRROR_CREATE_DISCARD_LOCAL) {
		*src = 1;
		return 0;
	}
	if (c->flags & DCDMIRROR_CREATE_DISCARD_REMOTE) {
		*src = 0;
		return 0;
	}
	dcdmirror_create_err(c, "split brain: %pg (%s) and %pg (%s) were both written since %016llx; --discard local|remote names the leg whose writes go",
			     m->legs[0].bdev, dcdmirror_gen_describe(&gen[0], g0, sizeof(g0)),
			     m->legs[1].bdev, dcdmirror_gen_describe(&gen[1], g1, sizeof(g1)),
			     gen[0].bitmap);
	dcdmirror_split_brain_event(m, "assemble", -1, NULL);
	return -EUCLEAN;
}

/*
 * Two legs of version 4: their generations say which is the source and
 * whether the other gets the bits (of both legs: what the source wrote
 * since the other left, and what the other may hold that the source does
 * not) or everything; a split brain is refused unless one side's writes
 * are to be discarded.
 */
static int dcdmirror_sb_assemble_gen(struct dcdmirror *m, struct dcdmirror_sb **sb,
				     struct dcdmirror_ioc_create *c)
{
	struct dcdmirror_gen gen[DCDMIRROR_MAX_LEGS];
	bool discard = c->flags & (DCDMIRROR_CREATE_DISCARD_LOCAL |
				   DCDMIRROR_CREATE_DISCARD_REMOTE);
	enum dcdmirror_gen_order order;
	unsigned int src = 0, i;
	bool full = false, copy = true;
	char g0[DCDMIRROR_GEN_DESC_LEN], g1[DCDMIRROR_GEN_DESC_LEN];
	int ret;

	for (i = 0; i < m->nr_legs; i++)
		dcdmirror_sb_gen(m, i, sb[i], &gen[i]);
	/* one of version 2 or 3 next to one that went on without it */
	for (i = 0; i < m->nr_legs; i++)
		if (le32_to_cpu(sb[i]->version) < 4)
			dcdmirror_gen_of_v3(sb[i], &gen[!i], le64_to_cpu(sb[!i]->events_cleared),
					    &gen[i]);
	order = dcdmirror_gen_compare(&gen[0], &gen[1], m->unclean);
	switch (order) {
	case DCDMIRROR_GEN_EQUAL:
		copy = false;
		break;
	case DCDMIRROR_GEN_UNCLEAN:
		/*
		 * From the leg that was the local one when it stopped, in
		 * whichever slot it is given now: in async mode only it has
		 * every write acknowledged (the other one lags).
		 */
		src = le32_to_cpu(sb[0]->role) != DCDMIRROR_ROLE_LOCAL &&
		      le32_to_cpu(sb[1]->role) == DCDMIRROR_ROLE_LOCAL;
		break;
	case DCDMIRROR_GEN_A_FULL:
		full = true;
		break;
	case DCDMIRROR_GEN_A_BITMAP:
		break;
	case DCDMIRROR_GEN_B_FULL:
		full = true;
		fallthrough;
	case DCDMIRROR_GEN_B_BITMAP:
		src = 1;
		break;
	case DCDMIRROR_GEN_SPLIT_FULL:
		full = true;
		fallthrough;
	case DCDMIRROR_GEN_SPLIT_BITMAP:
		ret = dcdmirror_sb_split_brain(m, gen, c, &src);
		if (ret)
			return ret;
		break;
	case DCDMIRROR_GEN_BOTH_INCONSISTENT:
		dcdmirror_create_err(c, "%pg and %pg are both being rebuilt: neither holds the data",
				     m->legs[0].bdev, m->legs[1].bdev);
		return -EINVAL;
	default:
		dcdmirror_gen_describe(&gen[0], g0, sizeof(g0));
		dcdmirror_gen_describe(&gen[1], g1, sizeof(g1));
		dcdmirror_create_err(c, "%pg (%s) and %pg (%s) hold unrelated data",
				     m->legs[0].bdev, g0, m->legs[1].bdev, g1);
		return -EINVAL;
	}
	if (discard && order != DCDMIRROR_GEN_SPLIT_BITMAP && order != DCDMIRROR_GEN_SPLIT_FULL) {
		dcdmirror_create_err(c, "--discard: %pg and %pg are not in split brain",
				     m->legs[0].bdev, m->legs[1].bdev);
		return -EINVAL;
	}
	dcdmirror_sb_settings(m, sb[src], c);
	m->events = max(le64_to_cpu(sb[0]->events), le64_to_cpu(sb[1]->events));
	m->gen = gen[src];
	m->gen.flags &= ~DCDMIRROR_GEN_INCONSISTENT;
	ret = dcdmirror_bitmap_init(m, ilog2(le32_to_cpu(sb[src]->bitmap_chunk_sectors)));
	if (ret) {
		dcdmirror_create_err(c, "out of memory");
		return ret;
	}
	m->has_sb = true;
	ret = dcdmirror_sb_bits(m, src, false, c);
	/* the other leg's bits: what it may hold that the source lacks */
	if (!ret && copy && !full)
		ret = dcdmirror_sb_bits(m, !src, true, c);
	/* after a crash: where writes may have been in flight */
	for (i = 0; !ret && i < m->nr_legs; i++)
		ret = dcdmirror_sb_replay(m, i, sb[i], m->unclean && copy && !full, c);
	if (ret)
		return ret;
	if (!copy) {
		dcdmirror_gen_synced(m);
		return 0;
	}
	m->legs[!src].gen = gen[!src];
	dcdmirror_sb_rebuild(m, sb, src, !src, full);
	/* the count, as add and the resync say it */
	if (order == DCDMIRROR_GEN_UNCLEAN)
		dcdmirror_warn(m, "was not stopped cleanly: resync of the chunks the bitmap marks (%llu), from %pg (the local leg when it stopped) to %pg\n",
			       dcdmirror_bitmap_weight(m), m->legs[src].bdev, m->legs[!src].bdev);
	else
		dcdmirror_warn(m, "%pg (%s) is the source; %pg (%s) is stale, %s resync of %llu chunks%s\n",
			       m->legs[src].bdev, dcdmirror_gen_describe(&gen[src], g0, sizeof(g0)),
			       m->legs[!src].bdev,
			       dcdmirror_gen_describe(&gen[!src], g1, sizeof(g1)),
			       m->resync_full ? "full" : "bitmap", dcdmirror_bitmap_weight(m),
			       discard ? " (its own writes discarded)" : "");
	return 0;
}

/*
 * One leg, the other missing (RUN): it must be the local one, or, with
 * TAKEOVER, the remote one, which becomes the local one. A new generation
 * starts at the first superblock write: from it on the bits record every
 * chunk written.
 */
static int dcdmirror_sb_assemble_alone(struct dcdmirror *m, struct dcdmirror_sb *sb,
				       struct dcdmirror_ioc_create *c)
{
	struct block_device *bdev = m->legs[0].bdev;
	bool takeover = c->flags & DCDMIRROR_CREATE_TAKEOVER;
	bool was_remote = le32_to_cpu(sb->role) == DCDMIRROR_ROLE_REMOTE;
	int ret;

	if (was_remote && !takeover) {
		dcdmirror_create_err(c, "%pg was the remote leg of its array: --takeover makes it the local one (when the primary site is lost)",
				     bdev);
		return -EINVAL;
	}
	if (!was_remote && takeover) {
		dcdmirror_create_err(c, "--takeover: %pg was the local leg of its array, not the remote one",
				     bdev);
		return -EINVAL;
	}
	/* before version 4 its own leg state says it */
	if (le32_to_cpu(sb->version) >= 4 ?
	    le32_to_cpu(sb->gen_flags) & DCDMIRROR_GEN_INCONSISTENT :
	    le32_to_cpu(sb->leg_state[le32_to_cpu(sb->leg)]) == DCDMIRROR_LEG_REBUILDING) {
		dcdmirror_create_err(c, "%pg was being rebuilt: it does not hold the data to run alone",
				     bdev);
		return -EINVAL;
	}
	dcdmirror_sb_settings(m, sb, c);
	m->events = le64_to_cpu(sb->events);
	dcdmirror_sb_gen(m, 0, sb, &m->gen);
	if (!m->gen.uuid)
		dcdmirror_gen_init(m);
	m->takeover = takeover;
	ret = dcdmirror_bitmap_init(m, ilog2(le32_to_cpu(sb->bitmap_chunk_sectors)));
	if (ret) {
		dcdmirror_create_err(c, "out of memory");
		return ret;
	}
	m->has_sb = true;
	ret = dcdmirror_sb_bits(m, 0, false, c);
	/* after a crash: the writes in flight, for the remote leg's return */
	if (!ret)
		ret = dcdmirror_sb_replay(m, 0, sb, m->unclean, c);
	if (ret)
		return ret;
	dcdmirror_warn(m, "%pg runs alone%s: the remote leg is missing%s\n", bdev,
		       takeover ? " and takes over" : "",
		       m->unclean ? " (not stopped cleanly: the bits stay for its return)" : "");
	return 0;
}

/*
 * Did the leg of version 4 of a pair (the other one of version 2 or 3) go on
 * without the other, a takeover or a degraded start? Its generation then
 * says what the other one is to it (dcdmirror_gen_of_v3()); the events
 * cannot: they count superblock writes, not data.
 */
static bool dcdmirror_sb_went_on(struct dcdmirror_sb **sb)
{
	unsigned int i;

	for (i = 0; i < DCDMIRROR_MAX_LEGS; i++)
		if (le32_to_cpu(sb[i]->version) >= 4 && sb[i]->gen_bitmap &&
		    !(le32_to_cpu(sb[i]->gen_flags) & DCDMIRROR_GEN_INCONSISTENT))
			return true;
	return false;
}

/*
 * Start from the legs' superblocks: they must belong to the same array
 * (uuid, size, bitmap chunk); then the generations (or, before version 4,
 * the events) say which leg is the source.
 */
int dcdmirror_sb_assemble(struct dcdmirror *m, struct dcdmirror_ioc_create *c)
{
	struct dcdmirror_sb *sb[DCDMIRROR_MAX_LEGS] = { };
	struct page *pages[DCDMIRROR_MAX_LEGS] = { };
	unsigned int i, present = 0;
	bool v4 = true;
	int ret;

	m->sb_page = alloc_page(GFP_KERNEL);
	for (i = 0; i < m->nr_legs; i++)
		pages[i] = alloc_page(GFP_KERNEL);
	if (!m->sb_page || !pages[0] || !pages[1]) {
		dcdmirror_create_err(c, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < m->nr_legs; i++) {
		if (!m->legs[i].bdev)
			continue;
		sb[i] = page_address(pages[i]);
		ret = dcdmirror_sb_read(m, i, m->legs[i].bdev, pages[i], c);
		if (ret)
			goto out;
		present++;
		v4 = v4 && le32_to_cpu(sb[i]->version) >= 4;
		/* either leg's: a crash may come between the two superblocks */
		if (sb[i]->state != cpu_to_le32(DCDMIRROR_SB_CLEAN))
			m->unclean = true;
	}
	if (present == 1) {
		ret = dcdmirror_sb_assemble_alone(m, sb[0], c);
		goto out;
	}
	ret = -EINVAL;
	if (memcmp(sb[1]->uuid, sb[0]->uuid, sizeof(sb[0]->uuid)) ||
	    sb[1]->array_sectors != sb[0]->array_sectors ||
	    sb[1]->bitmap_chunk_sectors != sb[0]->bitmap_chunk_sectors) {
		dcdmirror_create_err(c, "%pg and %pg belong to different arrays",
				     m->legs[0].bdev, m->legs[1].bdev);
		goto out;
	}
	if (v4 || dcdmirror_sb_went_on(sb)) {
		ret = dcdmirror_sb_assemble_gen(m, sb, c);
	} else if (c->flags & (DCDMIRROR_CREATE_DISCARD_LOCAL | DCDMIRROR_CREATE_DISCARD_REMOTE)) {
		dcdmirror_create_err(c, "--discard: %pg and %pg have no generations to be in split brain",
				     m->legs[0].bdev, m->legs[1].bdev);
	} else {
		ret = dcdmirror_sb_assemble_events(m, sb, c);
	}
out:
	for (i = 0; i < m->nr_legs; i++)
		if (pages[i])
			__free_page(pages[i]);
	return ret;
}

/*
 * A leg added into slot i: how it is rebuilt (add->by_bitmap, its own bits
 * merged or not, the generation its superblock keeps until the resync
 * ends), from its superblock: a leg the array descends from by bitmap, an
 * older, foreign or blank one fully; one newer than the array, or in split
 * brain with it (unless discard: its own writes go), is refused: -EUCLEAN,
 * the reason in err (DCDMIRROR_ERROR_LEN). -ENOMEM on no memory.
 */
int dcdmirror_sb_check_leg(struct dcdmirror *m, unsigned int i, struct block_device *bdev,
			   bool discard, struct dcdmirror_add *add, char *err)
{
	struct dcdmirror_ioc_create *c;
	struct dcdmirror_sb *sb;
	struct page *page;
	sector_t sb_sector = m->legs[i].sb_sector;
	sector_t bitmap_sector = m->legs[i].bitmap_sector;
	enum dcdmirror_gen_order order;
	char g0[DCDMIRROR_GEN_DESC_LEN], g1[DCDMIRROR_GEN_DESC_LEN];
	int ret;

	memset(add, 0, sizeof(*add));
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	page = alloc_page(GFP_KERNEL);
	if (!c || !page) {
		ret = -ENOMEM;
		goto out;
	}
	c->index = m->index;
	sb = page_address(page);
	if (dcdmirror_sb_read(m, i, bdev, page, c))
		goto full;
	if (memcmp(sb->uuid, m->uuid, sizeof(m->uuid)) ||
	    le64_to_cpu(sb->array_sectors) != m->sectors) {
		dcdmirror_info(m, "%pg is a leg of another array\n", bdev);
		goto full;
	}
	add->events = le64_to_cpu(sb->events);
	if (le32_to_cpu(sb->version) >= 4) {
		dcdmirror_gen_from_sb(&add->gen, sb);
		add->id = le64_to_cpu(sb->leg_id);
	} else if (m->gen.bitmap) {
		/* the array went on without it: its generation says what it is */
		dcdmirror_gen_of_v3(sb, &m->gen, m->events_cleared, &add->gen);
	} else {
		if (add->events < m->events_cleared || add->events > m->events) {
			dcdmirror_info(m, "%pg has events %llu, the bitmap covers %llu..%llu\n",
				       bdev, add->events, m->events_cleared, m->events);
			goto full;
		}
		add->by_bitmap = true;
		goto done;
	}
	order = dcdmirror_gen_compare(&m->gen, &add->gen, true);
	switch (order) {
	case DCDMIRROR_GEN_EQUAL:
	case DCDMIRROR_GEN_UNCLEAN:
	case DCDMIRROR_GEN_A_BITMAP:
		add->by_bitmap = true;
		add->merge_bits = true;
		break;
	case DCDMIRROR_GEN_SPLIT_BITMAP:
	case DCDMIRROR_GEN_SPLIT_FULL:
		if (!discard) {
			snprintf(err, DCDMIRROR_ERROR_LEN,
				 "split brain: the array (%s) and %pg (%s) were both written since %016llx; --discard throws away %pg's writes",
				 dcdmirror_gen_describe(&m->gen, g0, sizeof(g0)), bdev,
				 dcdmirror_gen_describe(&add->gen, g1, sizeof(g1)), m->gen.bitmap,
				 bdev);
			dcdmirror_split_brain_event(m, "add", i, bdev);
			ret = -EUCLEAN;
			goto out;
		}
		add->discarded = true;
		add->by_bitmap = order == DCDMIRROR_GEN_SPLIT_BITMAP;
		add->merge_bits = add->by_bitmap;
		break;
	case DCDMIRROR_GEN_B_BITMAP:
	case DCDMIRROR_GEN_B_FULL:
		snprintf(err, DCDMIRROR_ERROR_LEN,
			 "%pg (%s) holds newer data than the array (%s): stop the array and assemble it with this leg",
			 bdev, dcdmirror_gen_describe(&add->gen, g1, sizeof(g1)),
			 dcdmirror_gen_describe(&m->gen, g0, sizeof(g0)));
		ret = -EUCLEAN;
		goto out;
	default:
		dcdmirror_info(m, "%pg (%s) is older than the array's bitmap reaches, or unrelated\n",
			       bdev, dcdmirror_gen_describe(&add->gen, g1, sizeof(g1)));
		break;
	}
	goto done;
full:
	add->by_bitmap = false;
	memset(&add->gen, 0, sizeof(add->gen));
done:
	if (discard && !add->discarded) {
		snprintf(err, DCDMIRROR_ERROR_LEN,
			 "--discard: %pg is not in split brain with the array", bdev);
		ret = -EINVAL;
		goto out;
	}
	ret = 0;
out:
	/* the leg keeps the sectors of the device it had until it is installed */
	m->legs[i].sb_sector = sb_sector;
	m->legs[i].bitmap_sector = bitmap_sector;
	if (page)
		__free_page(page);
	kfree(c);
	return ret;
}

/*
 * Write every leg's superblock with state and the next events count. The
 * flush before makes the data written so far durable before CLEAN is.
 * With every leg in sync, bits may be cleared from now on: events_cleared
 * moves up. Called with sb_lock held (or before the array exists).
 */
/*
 * The generation the superblocks record from now on: a new one if a leg
 * stopped getting writes (faulty, missing) or the array takes over; none
 * diverging once every leg is in sync. Caller holds sb_lock.
 */
static void dcdmirror_sb_update_gen(struct dcdmirror *m)
{
	unsigned int i;
	bool out = false;

	for (i = 0; i < m->nr_legs; i++) {
		unsigned int st = dcdmirror_leg_state(&m->legs[i]);

		out = out || st == DCDMIRROR_LEG_FAULTY || st == DCDMIRROR_LEG_MISSING;
	}
	if (m->takeover || out)
		dcdmirror_gen_rotate(m, m->takeover ? DCDMIRROR_GEN_TAKEOVER : 0);
	m->takeover = false;
	if (!dcdmirror_degraded(m)) {
		dcdmirror_gen_synced(m);
		for (i = 0; i < m->nr_legs; i++)
			m->legs[i].peer_id = m->legs[!i].id;
	}
}

int dcdmirror_sb_write(struct dcdmirror *m, u32 state)
{
	struct dcdmirror_sb *sb = page_address(m->sb_page);
	bool in_sync = !dcdmirror_degraded(m);
	unsigned int n, i, j, target = m->nr_legs;
	int ret, err = 0;

	/*
	 * The remote leg's bitmap first, if async mode owes it blocks: once
	 * its events pass the local leg's, assemble reads its bitmap.
	 */
	dcdmirror_bitmap_flush_lazy(m);
	/*
	 * A leg is out: the bits of the writes it may lack, which went under
	 * the activity log, reach the others before they become the source.
	 */
	if (!in_sync)
		dcdmirror_al_mark_inflight(m);
	m->events++;
	/* the leg a resync rebuilds, if any: its checkpoint goes along */
	for (i = 0; i < m->nr_legs; i++)
		if (m->legs[i].bdev &&
		    dcdmirror_leg_state(&m->legs[i]) == DCDMIRROR_LEG_REBUILDING)
			target = i;
	if (in_sync)
		m->events_cleared = m->events;
	dcdmirror_sb_update_gen(m);
	/*
	 * A leg just rebuilt is written first: a crash before the other one
	 * leaves equal generations, one still recording a bitmap (a bitmap
	 * resync of nearly nothing), not a full one.
	 */
	for (n = 0; n < m->nr_legs; n++) {
		struct dcdmirror_leg *leg;
		bool rebuilding;

		i = n ? !m->sb_first : m->sb_first;
		leg = &m->legs[i];
		rebuilding = test_bit(DCDMIRROR_LEG_REBUILDING_BIT, &leg->flags);

		/* a faulty leg keeps its older events: assemble sees it stale */
		if (!leg->bdev || test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags))
			continue;

		memset(sb, 0, DCDMIRROR_SB_SIZE);
		sb->magic = cpu_to_le64(DCDMIRROR_SB_MAGIC);
		sb->version = cpu_to_le32(DCDMIRROR_SB_VERSION);
		memcpy(sb->uuid, m->uuid, sizeof(sb->uuid));
		sb->leg = cpu_to_le32(i);
		sb->role = cpu_to_le32(leg->role);
		sb->nr_legs = cpu_to_le32(m->nr_legs);
		sb->mode = cpu_to_le32(READ_ONCE(m->mode));
		sb->max_lag_kib = cpu_to_le32(READ_ONCE(m->max_lag_kib));
		sb->max_lag_ms = cpu_to_le32(READ_ONCE(m->max_lag_ms));
		sb->async_flags = cpu_to_le32(READ_ONCE(m->async_flags));
		sb->state = cpu_to_le32(state);
		sb->logical_block_size = cpu_to_le32(bdev_logical_block_size(leg->bdev));
		sb->array_sectors = cpu_to_le64(m->sectors);
		sb->sb_sector = cpu_to_le64(leg->sb_sector);
		sb->leg_sectors = cpu_to_le64(bdev_nr_sectors(leg->bdev));
		/* so does one being resynced, until it is done */
		sb->events = cpu_to_le64(rebuilding ? leg->base_events : m->events);
		/* never above its events (a new leg being rebuilt has 0) */
		sb->events_cleared = cpu_to_le64(rebuilding ?
						 min(m->events_cleared, leg->base_events) :
						 m->events_cleared);
		sb->bitmap_sector = cpu_to_le64(leg->bitmap_sector);
		sb->bitmap_chunk_sectors = cpu_to_le32(1U << m->bm.chunk_shift);
		sb->bitmap_chunks = cpu_to_le64(m->bm.chunks);
		sb->resync_rate = cpu_to_le32(m->resync_rate);
		sb->ctime = cpu_to_le64(m->ctime);
		sb->utime = cpu_to_le64(ktime_get_real_seconds());
		for (j = 0; j < m->nr_legs && j < ARRAY_SIZE(sb->leg_state); j++)
			sb->leg_state[j] = cpu_to_le32(dcdmirror_leg_state(&m->legs[j]));
		if (target < m->nr_legs) {
			sb->resync_flags = cpu_to_le32(DCDMIRROR_SB_RESYNC_ACTIVE |
						       (m->resync_full ?
							DCDMIRROR_SB_RESYNC_FULL : 0));
			sb->resync_leg = cpu_to_le32(target);
			sb->resync_offset = cpu_to_le64(m->resync_ckpt << m->bm.chunk_shift);
			sb->resync_id = cpu_to_le64(m->resync_id);
		}
		/* a leg being rebuilt keeps its own generation, marked */
		if (rebuilding) {
			dcdmirror_gen_to_sb(&leg->gen, sb);
			sb->gen_flags = cpu_to_le32(DCDMIRROR_GEN_INCONSISTENT);
		} else {
			dcdmirror_gen_to_sb(&m->gen, sb);
		}
		sb->leg_id = cpu_to_le64(leg->id);
		sb->peer_id = cpu_to_le64(leg->peer_id);
		sb->remote_timeout_ms = cpu_to_le32(READ_ONCE(m->remote_timeout_ms));
		if (m->al.enabled) {
			sector_t al = dcdmirror_al_sector(bdev_nr_sectors(leg->bdev));

			sb->al_sector = cpu_to_le64(al);
			sb->al_slots = cpu_to_le32(DCDMIRROR_AL_SLOTS);
			sb->al_extents = cpu_to_le32(m->al.nr);
			sb->al_extent_shift = cpu_to_le32(m->al.shift);
		}
		sb->crc = cpu_to_le32(dcdmirror_sb_crc(sb));
		atomic64_inc(&m->meta_writes);
		ret = dcdmirror_leg_io(m, i, REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA,
				       leg->sb_sector, &m->sb_page, DCDMIRROR_SB_SIZE,
				       DCDMIRROR_SB_SIZE);
		if (ret) {
			dcdmirror_err(m, "%pg: superblock write failed: error %d\n",
				      leg->bdev, ret);
			err = err ?: ret;
			/*
			 * Its superblock no longer says what it holds: as for
			 * a bitmap write, the leg fails (not the last one).
			 */
			dcdmirror_fail_leg(m, i);
		}
	}
	if (in_sync && !err)
		dcdmirror_bitmap_allow_clear(m, true);
	return err;
}

/*
 * Test hook: the superblock update after a leg failure waits this long
 * first, so that tests can act while the failure is not yet on disk (a
 * crash then, a stop). 0 (the default) in normal use.
 */
static unsigned int dcdmirror_sb_update_delay_ms;
module_param_named(sb_update_delay_ms, dcdmirror_sb_update_delay_ms, uint, 0644);
MODULE_PARM_DESC(sb_update_delay_ms,
		 "test hook: delay the superblock update after a leg failure (ms, default 0)");

/*
 * A leg became faulty: record it in the superblocks of the others, then
 * end the writes that waited for it (held_list). If that write fails too,
 * they end all the same: no leg is left to record it on.
 */
void dcdmirror_sb_work(struct work_struct *work)
{
	struct dcdmirror *m = container_of(work, struct dcdmirror, sb_work);
	unsigned int delay = READ_ONCE(dcdmirror_sb_update_delay_ms);
	u64 seq;

	if (delay) {
		msleep(delay);
		dcdmirror_info(m, "superblock update held %u ms (sb_update_delay_ms)\n", delay);
	}
	/* the leg flags sb_write reads include every failure counted here */
	seq = dcdmirror_fail_seq(m);
	mutex_lock(&m->sb_lock);
	if (m->has_sb)
		dcdmirror_sb_write(m, DCDMIRROR_SB_ACTIVE);
	mutex_unlock(&m->sb_lock);
	dcdmirror_release_held(m, seq);
}

void dcdmirror_sb_exit(struct dcdmirror *m)
{
	if (m->sb_page)
		__free_page(m->sb_page);
	m->sb_page = NULL;
}
