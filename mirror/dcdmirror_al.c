// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror activity log (layout in mirror_format.h), after DRBD's
 * drbd_actlog.c. While every leg is in sync a write sets no bits: each
 * extent it touches (4 MiB) must instead be in a set of at most al.nr
 * extents recorded on the local leg. A write to an extent in the set costs
 * no metadata I/O; one that enters it waits for one transaction (the whole
 * set in one 4 KiB block, FUA), shared by every write that gathered
 * meanwhile. The set is bounded by capacity, not by time: an extent leaves
 * it, least recently used first, only when no write to it is in flight,
 * and the transaction that drops it is written after every leg has flushed
 * (its writes completed, but may still be in a volatile cache). After a
 * crash, assemble sets the bits of every chunk of the extents in the
 * newest transaction (dcdmirror_al_replay()): only there can the legs
 * differ.
 *
 * While a leg is out (faulty, missing, being rebuilt) writes set bits as
 * before. The writes that were in flight when it failed started under the
 * log: the superblock update that records the failure first writes the
 * bits of their chunks (dcdmirror_al_mark_inflight()), so that the bitmap
 * of the legs that go on says what the failed one lacks.
 *
 * Locks: the set, the slots and the counters are under bm.lock;
 * transactions and al.page under bm.write_mutex.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/hash.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <dcdmirror/kernel/fields.h>
#include <dcdmirror/kernel/page_array.h>
#include <dcdmirror/kernel/sync_io.h>
#include <dcdmirror/mirror_format.h>

#include "dcdmirror.h"

#define DCDMIRROR_AL_FREE	U32_MAX
/* a write touching more extents than this sets bits instead */
#define DCDMIRROR_AL_MAX_SPAN	16

static_assert(sizeof(struct dcdmirror_al_tr) == DCDMIRROR_SB_SIZE);

/*
 * Off: arrays started from now on keep no log, and every write sets its
 * bits, as an array whose bitmap takes the ring's place does (the tests of
 * that path use it).
 */
static bool dcdmirror_activity_log = true;
module_param_named(activity_log, dcdmirror_activity_log, bool, 0644);
MODULE_PARM_DESC(activity_log,
		 "arrays started from now on keep an activity log (default Y; N: every write sets its bitmap bits)");

static u32 dcdmirror_al_crc(struct dcdmirror_al_tr *tr)
{
	return crc32c_field_zeroed(tr, sizeof(*tr), &tr->crc);
}

static unsigned int dcdmirror_al_hash(u32 extent)
{
	return hash_32(extent, DCDMIRROR_AL_HASH_BITS);
}

/* The slot holding extent, or NULL. bm.lock held. */
static struct dcdmirror_al_slot *dcdmirror_al_find(struct dcdmirror_al *al, u32 extent)
{
	struct dcdmirror_al_slot *s;

	hlist_for_each_entry(s, &al->hash[dcdmirror_al_hash(extent)], hash)
		if (s->extent == extent)
			return s;
	return NULL;
}

static void dcdmirror_al_work(struct work_struct *work);

/*
 * The set of an array whose size and bitmap are known (bitmap_init):
 * al.nr and al.shift were set by create or assemble. A bitmap too large
 * for version 4 (an array created before it) leaves no room for the ring:
 * then there is no log, and writes set bits as before.
 */
int dcdmirror_al_init(struct dcdmirror *m)
{
	struct dcdmirror_al *al = &m->al;
	unsigned int i;

	INIT_LIST_HEAD(&al->lru);
	INIT_LIST_HEAD(&al->free);
	INIT_LIST_HEAD(&al->pending);
	INIT_WORK(&al->work, dcdmirror_al_work);
	for (i = 0; i < ARRAY_SIZE(al->hash); i++)
		INIT_HLIST_HEAD(&al->hash[i]);
	al->enabled = READ_ONCE(dcdmirror_activity_log) && al->nr && al->shift &&
		      m->bm.nr_blocks <= DCDMIRROR_BITMAP_MAX_BYTES_V4 / DCDMIRROR_BITMAP_BLOCK;
	if (!al->enabled) {
		al->nr = 0;
		return 0;
	}
	/* the extents of the array; an extent number is a u32 on disk */
	al->extents = DIV_ROUND_UP_ULL(m->sectors, 1ULL << al->shift);
	if (al->extents >= DCDMIRROR_AL_FREE) {
		al->enabled = false;
		al->nr = 0;
		return 0;
	}
	al->slots = kvcalloc(al->nr, sizeof(*al->slots), GFP_KERNEL);
	al->snap = kvcalloc(al->nr, sizeof(*al->snap), GFP_KERNEL);
	al->page = alloc_page(GFP_KERNEL);
	if (!al->slots || !al->snap || !al->page)
		return -ENOMEM;
	for (i = 0; i < al->nr; i++) {
		al->slots[i].extent = DCDMIRROR_AL_FREE;
		INIT_HLIST_NODE(&al->slots[i].hash);
		list_add_tail(&al->slots[i].lru, &al->free);
	}
	/* the ring may hold a set this one does not know: the first drops it */
	al->dropped = true;
	return 0;
}

/* Also after a failed init; al.work must not be queued. */
void dcdmirror_al_exit(struct dcdmirror *m)
{
	struct dcdmirror_al *al = &m->al;

	if (al->page)
		__free_page(al->page);
	kvfree(al->snap);
	kvfree(al->slots);
	al->page = NULL;
	al->snap = NULL;
	al->slots = NULL;
}

/*
 * The legs are in sync again after a time out of it, in which the local
 * leg may have been replaced: no extent counts as on disk until the next
 * transaction, queued now, has written the whole set again. bm.lock held.
 */
static void dcdmirror_al_resume(struct dcdmirror *m)
{
	struct dcdmirror_al *al = &m->al;
	unsigned int i;

	for (i = 0; i < al->nr; i++) {
		struct dcdmirror_al_slot *s = &al->slots[i];

		if (s->extent == DCDMIRROR_AL_FREE || !s->committed)
			continue;
		s->committed = false;
		if (!list_empty(&s->lru)) {
			list_del_init(&s->lru);
			al->evictable--;
		}
	}
	al->changed = true;
	al->resume = false;
	queue_work(dcdmirror_wq, &al->work);
}

/*
 * Does a write to [sector, sector + nr_sectors) go under the log? Only
 * while every leg is in sync, and for a span the set can hold. bm.lock
 * held (the legs' flags are read under it: see dcdmirror_al_mark_inflight()).
 */
static bool dcdmirror_al_covers(struct dcdmirror *m, sector_t sector, unsigned int nr_sectors)
{
	struct dcdmirror_al *al = &m->al;
	u64 span;

	if (!al->enabled || !m->has_sb)
		return false;
	if (dcdmirror_degraded(m)) {
		al->resume = true;
		return false;
	}
	if (al->resume)
		dcdmirror_al_resume(m);
	span = ((sector + nr_sectors - 1) >> al->shift) - (sector >> al->shift) + 1;
	return span <= min_t(u64, al->nr, DCDMIRROR_AL_MAX_SPAN);
}

/* Extents of io not in the set. bm.lock held. */
static unsigned int dcdmirror_al_missing(struct dcdmirror_al *al, u32 first, u32 last)
{
	unsigned int n = 0;
	u32 e;

	for (e = first; e <= last; e++)
		if (!dcdmirror_al_find(al, e))
			n++;
	return n;
}

/*
 * Can io enter the set now (or does it not go under the log)? Called by
 * a writer waiting for room; takes bm.lock.
 */
bool dcdmirror_al_room(struct dcdmirror *m, struct dcdmirror_io *io)
{
	struct dcdmirror_al *al = &m->al;
	unsigned long flags;
	bool room = true;

	spin_lock_irqsave(&m->bm.lock, flags);
	if (dcdmirror_al_covers(m, io->sector, io->nr_sectors))
		room = dcdmirror_al_missing(al, io->sector >> al->shift,
					    (io->sector + io->nr_sectors - 1) >> al->shift) <=
		       al->nr - al->used + al->evictable;
	spin_unlock_irqrestore(&m->bm.lock, flags);
	return room;
}

/*
 * Enter io's extents into the set, bm.lock held: DCDMIRROR_AL_NONE if io
 * does not go under the log (it sets bits), _HIT if every extent is on
 * disk already, _QUEUED if io waits for a transaction (the caller queues
 * it on al.pending), _FULL if there is no room yet (the caller waits with
 * dcdmirror_al_room()).
 */
enum dcdmirror_al_entry dcdmirror_al_enter(struct dcdmirror *m, struct dcdmirror_io *io)
{
	struct dcdmirror_al *al = &m->al;
	struct dcdmirror_al_slot *s;
	bool queued = false, added = false;
	u32 first, last, e;

	if (!dcdmirror_al_covers(m, io->sector, io->nr_sectors))
		return DCDMIRROR_AL_NONE;
	first = io->sector >> al->shift;
	last = (io->sector + io->nr_sectors - 1) >> al->shift;
	if (dcdmirror_al_missing(al, first, last) > al->nr - al->used + al->evictable)
		return DCDMIRROR_AL_FULL;
	for (e = first; e <= last; e++) {
		s = dcdmirror_al_find(al, e);
		if (!s) {
			if (!list_empty(&al->free)) {
				s = list_first_entry(&al->free, struct dcdmirror_al_slot, lru);
				al->used++;
			} else {
				/* the least recently used extent without writes */
				s = list_first_entry(&al->lru, struct dcdmirror_al_slot, lru);
				hlist_del_init(&s->hash);
				al->evictable--;
				al->evictions++;
				al->dropped = true;
			}
			list_del_init(&s->lru);
			s->extent = e;
			s->committed = false;
			s->refs = 0;
			hlist_add_head(&s->hash, &al->hash[dcdmirror_al_hash(e)]);
			al->changed = true;
			added = true;
		} else if (!s->refs && s->committed) {
			list_del_init(&s->lru);
			al->evictable--;
		}
		s->refs++;
		if (!s->committed)
			queued = true;
	}
	io->al = true;
	io->al_first = first;
	io->al_last = last;
	if (added)
		al->misses++;
	else if (!queued)
		al->hits++;
	if (queued)
		al->waits++;
	return queued ? DCDMIRROR_AL_QUEUED : DCDMIRROR_AL_HIT;
}

/* A slot without writes becomes evictable, once on disk. bm.lock held. */
static void dcdmirror_al_release_slot(struct dcdmirror_al *al, struct dcdmirror_al_slot *s)
{
	if (s->refs || !s->committed || !list_empty(&s->lru))
		return;
	list_add_tail(&s->lru, &al->lru);
	al->evictable++;
}

/* io has completed on every leg: its extents may leave. bm.lock held. */
void dcdmirror_al_leave(struct dcdmirror *m, struct dcdmirror_io *io)
{
	struct dcdmirror_al *al = &m->al;
	struct dcdmirror_al_slot *s;
	u32 e;

	for (e = io->al_first; e <= io->al_last; e++) {
		s = dcdmirror_al_find(al, e);
		/* a slot with references is never reused */
		if (!s || !s->refs)
			continue;
		s->refs--;
		dcdmirror_al_release_slot(al, s);
	}
	io->al = false;
}

static int dcdmirror_al_cmp(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* The leg the log is written to: the local one. -1 if it is out. */
static int dcdmirror_al_leg(struct dcdmirror *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_legs; i++)
		if (m->legs[i].role == DCDMIRROR_ROLE_LOCAL && m->legs[i].bdev &&
		    !test_bit(DCDMIRROR_LEG_FAULTY_BIT, &m->legs[i].flags))
			return i;
	return -1;
}

/*
 * Write a transaction of the n extents in al.snap (ascending) to the
 * local leg, bm.write_mutex held. dropped: an extent left the set since
 * the last one: every other leg is flushed first, and the local one by
 * the transaction's own preflush, so that the writes to the extents it
 * drops are stable everywhere before the log stops covering them. A leg
 * that fails either is failed (the array is then degraded and writes set
 * bits). Process context.
 */
static int dcdmirror_al_write(struct dcdmirror *m, unsigned int n, bool dropped, u32 flags)
{
	struct dcdmirror_al *al = &m->al;
	struct dcdmirror_al_tr *tr = page_address(al->page);
	int l = dcdmirror_al_leg(m), ret;
	unsigned int i;
	sector_t sector;

	if (l < 0)
		return -ENODEV;
	if (dropped)
		dcdmirror_flush_legs_locked(m, l, "an activity log transaction");
	memset(tr, 0, sizeof(*tr));
	tr->magic = cpu_to_le64(DCDMIRROR_AL_MAGIC);
	tr->seq = cpu_to_le64(++al->seq);
	memcpy(tr->uuid, m->uuid, sizeof(tr->uuid));
	tr->leg_id = cpu_to_le64(m->legs[l].id);
	tr->nr_extents = cpu_to_le32(n);
	tr->extent_shift = cpu_to_le32(al->shift);
	tr->flags = cpu_to_le32(flags);
	for (i = 0; i < n; i++)
		tr->extent[i] = cpu_to_le32(al->snap[i]);
	tr->crc = cpu_to_le32(dcdmirror_al_crc(tr));
	sector = dcdmirror_al_sector(bdev_nr_sectors(m->legs[l].bdev)) +
		 (al->seq % DCDMIRROR_AL_SLOTS) * (DCDMIRROR_SB_SIZE >> SECTOR_SHIFT);
	atomic64_inc(&m->meta_writes);
	ret = dcdmirror_leg_io(m, l, REQ_OP_WRITE | REQ_SYNC | REQ_FUA |
			       (dropped ? REQ_PREFLUSH : 0), sector, &al->page,
			       DCDMIRROR_SB_SIZE, DCDMIRROR_SB_SIZE);
	spin_lock_irq(&m->bm.lock);
	al->transactions++;
	spin_unlock_irq(&m->bm.lock);
	if (ret) {
		dcdmirror_err(m, "%pg: activity log write failed: error %d\n",
			      m->legs[l].bdev, ret);
		/* the other legs go on; the superblock update records the bits */
		dcdmirror_fail_leg(m, l);
	}
	return ret;
}

/*
 * Write the set if it changed, then send the writes that waited for it.
 * Process context. Writes queued after the snapshot wait for the next
 * call (al.work is queued again for them).
 */
static void dcdmirror_al_commit(struct dcdmirror *m)
{
	struct dcdmirror_al *al = &m->al;
	struct dcdmirror_al_slot *s;
	struct dcdmirror_io *io, *tmp;
	bool changed, dropped, again;
	unsigned int i, n = 0;
	LIST_HEAD(list);

	mutex_lock(&m->bm.write_mutex);
	spin_lock_irq(&m->bm.lock);
	list_splice_init(&al->pending, &list);
	changed = al->changed;
	dropped = changed && al->dropped;
	al->changed = false;
	if (dropped)
		al->dropped = false;
	for (i = 0; i < al->nr; i++)
		if (al->slots[i].extent != DCDMIRROR_AL_FREE)
			al->snap[n++] = al->slots[i].extent;
	spin_unlock_irq(&m->bm.lock);

	sort(al->snap, n, sizeof(*al->snap), dcdmirror_al_cmp, NULL);
	/*
	 * A failed write fails the leg: the writes go on degraded. Should
	 * the log be used again, the next transaction still drops.
	 */
	if (changed && dcdmirror_al_write(m, n, dropped, 0) && dropped) {
		spin_lock_irq(&m->bm.lock);
		al->dropped = true;
		spin_unlock_irq(&m->bm.lock);
	}

	spin_lock_irq(&m->bm.lock);
	for (i = 0; i < n; i++) {
		s = dcdmirror_al_find(al, al->snap[i]);
		if (s && !s->committed) {
			s->committed = true;
			dcdmirror_al_release_slot(al, s);
		}
	}
	again = !list_empty(&al->pending);
	spin_unlock_irq(&m->bm.lock);
	mutex_unlock(&m->bm.write_mutex);

	list_for_each_entry_safe(io, tmp, &list, node) {
		list_del_init(&io->node);
		dcdmirror_dispatch_write(io);
	}
	if (again)
		queue_work(dcdmirror_wq, &al->work);
	if (wq_has_sleeper(&m->bm.wait))
		wake_up(&m->bm.wait);
}

static void dcdmirror_al_work(struct work_struct *work)
{
	struct dcdmirror *m = container_of(work, struct dcdmirror, al.work);

	dcdmirror_al_commit(m);
}

/* io waits for the next transaction. bm.lock held. */
void dcdmirror_al_queue(struct dcdmirror *m, struct dcdmirror_io *io)
{
	list_add_tail(&io->node, &m->al.pending);
}

/*
 * A clean stop, every leg flushed and every write completed: an empty
 * transaction, so that the ring says no write was in flight. Process
 * context, sb_lock held.
 */
void dcdmirror_al_write_clean(struct dcdmirror *m)
{
	if (!m->al.enabled || !m->has_sb || dcdmirror_degraded(m))
		return;
	mutex_lock(&m->bm.write_mutex);
	dcdmirror_al_write(m, 0, true, DCDMIRROR_AL_TR_CLEAN);
	mutex_unlock(&m->bm.write_mutex);
}

/*
 * Set the bits of the chunks of extent e not yet set (busy: only those with
 * writes in flight) and mark their blocks to be written; how many were
 * set. bm.lock held.
 */
static u64 dcdmirror_al_mark_extent(struct dcdmirror *m, u64 e, bool busy)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	u64 c, n = 0;
	u64 first = (e << m->al.shift) >> bm->chunk_shift;
	u64 last = min((((e + 1) << m->al.shift) - 1) >> bm->chunk_shift, bm->chunks - 1);

	for (c = first; c <= last; c++) {
		if ((busy && !bm->count[c]) || test_bit_le(c, bm->bits))
			continue;
		__set_bit_le(c, bm->bits);
		__set_bit(c / (DCDMIRROR_BITMAP_BLOCK * 8), bm->dirty_blocks);
		n++;
	}
	return n;
}

/*
 * A leg is out and the superblocks are about to say so: the writes in
 * flight started under the log and set no bits; set those of their chunks
 * (every chunk of an extent with writes that has a write in flight) and
 * write them to the legs that go on, before the superblocks make those the
 * source. A write that starts after the leg was marked faulty sets its own
 * bits (the flags are read under bm.lock, which this takes after the mark).
 * Process context, sb_lock held.
 */
void dcdmirror_al_mark_inflight(struct dcdmirror *m)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	struct dcdmirror_al *al = &m->al;
	bool marked = false;
	unsigned int i;

	if (!al->enabled)
		return;
	spin_lock_irq(&bm->lock);
	al->resume = true;
	for (i = 0; i < al->nr; i++) {
		struct dcdmirror_al_slot *s = &al->slots[i];

		if (s->extent == DCDMIRROR_AL_FREE || !s->refs)
			continue;
		if (dcdmirror_al_mark_extent(m, s->extent, true))
			marked = true;
	}
	spin_unlock_irq(&bm->lock);
	if (marked)
		dcdmirror_bitmap_flush(m);
}

/*
 * The checked transaction in block, or NULL: magic, checksum, the array's
 * uuid and the leg's id say it is one of this leg's; a transaction that
 * passes those and has a field that cannot be is an error (*bad).
 */
static struct dcdmirror_al_tr *dcdmirror_al_valid(struct dcdmirror *m, void *block,
						  u64 leg_id, const char **bad)
{
	struct dcdmirror_al_tr *tr = block;
	u32 n = le32_to_cpu(tr->nr_extents), i;

	if (le64_to_cpu(tr->magic) != DCDMIRROR_AL_MAGIC ||
	    le32_to_cpu(tr->crc) != dcdmirror_al_crc(tr) ||
	    memcmp(tr->uuid, m->uuid, sizeof(tr->uuid)) || le64_to_cpu(tr->leg_id) != leg_id)
		return NULL;
	if (!tr->seq)
		*bad = "sequence number 0";
	else if (le32_to_cpu(tr->extent_shift) != m->al.shift)
		*bad = "extent size differs from the superblock's";
	else if (le32_to_cpu(tr->flags) & ~DCDMIRROR_AL_TR_CLEAN)
		*bad = "unknown flags";
	else if (n > DCDMIRROR_AL_MAX)
		*bad = "too many extents";
	else if (!memchr_inv(tr->reserved, 0, sizeof(tr->reserved)))
		*bad = NULL;
	else
		*bad = "reserved bytes not zero";
	for (i = 0; !*bad && i < n; i++) {
		u32 e = le32_to_cpu(tr->extent[i]);

		if (e >= m->al.extents)
			*bad = "an extent beyond the array";
		else if (i && e <= le32_to_cpu(tr->extent[i - 1]))
			*bad = "extents not in ascending order";
	}
	return *bad ? NULL : tr;
}

/*
 * Read the ring of leg i (its superblock sb, checked, of version 4) at
 * assemble: the next transaction's number follows the newest there, so
 * that the newest is always the set. After a crash (replay), set the bits
 * of every chunk of the extents in the newest transaction, so that the
 * resync copies them; a transaction with a valid checksum and a field that
 * cannot be leaves nothing to trust: every bit is set. Process context,
 * before the array runs.
 */
int dcdmirror_al_read(struct dcdmirror *m, unsigned int i, const struct dcdmirror_sb *sb,
		      bool replay)
{
	struct dcdmirror_bitmap *bm = &m->bm;
	struct dcdmirror_al *al = &m->al;
	struct dcdmirror_leg *leg = &m->legs[i];
	struct dcdmirror_al_tr *tr, *best = NULL;
	struct page **pages;
	const char *bad = NULL;
	unsigned int k, n;
	u64 chunks = 0;
	int ret;

	if (!al->enabled || !leg->bdev || !le32_to_cpu(sb->al_slots))
		return 0;
	pages = page_array_alloc(DCDMIRROR_AL_SLOTS);
	if (!pages)
		return -ENOMEM;
	ret = sync_io_pages(leg->bdev, REQ_OP_READ, le64_to_cpu(sb->al_sector), pages,
			    DCDMIRROR_AL_SLOTS * DCDMIRROR_SB_SIZE, DCDMIRROR_SB_SIZE);
	if (ret) {
		dcdmirror_err(m, "%pg: cannot read the activity log: error %d%s\n", leg->bdev, ret,
			      replay ? ": full resync" : "");
		goto out_bad;
	}
	for (k = 0; k < DCDMIRROR_AL_SLOTS; k++) {
		bad = NULL;
		tr = dcdmirror_al_valid(m, page_address(pages[k]), le64_to_cpu(sb->leg_id), &bad);
		if (bad) {
			dcdmirror_err(m, "%pg: activity log block %u: %s%s\n", leg->bdev, k, bad,
				      replay ? ": full resync" : "");
			goto out_bad;
		}
		if (tr && (!best || le64_to_cpu(tr->seq) > le64_to_cpu(best->seq)))
			best = tr;
	}
	if (!best) {
		if (replay)
			dcdmirror_info(m, "%pg: activity log: 0 extents replayed (no transaction)\n",
				       leg->bdev);
		goto out;
	}
	al->seq = max(al->seq, le64_to_cpu(best->seq));
	if (!replay)
		goto out;
	n = le32_to_cpu(best->nr_extents);
	spin_lock_irq(&bm->lock);
	for (k = 0; k < n; k++)
		chunks += dcdmirror_al_mark_extent(m, le32_to_cpu(best->extent[k]), false);
	spin_unlock_irq(&bm->lock);
	dcdmirror_info(m, "%pg: activity log: %u extents replayed (transaction %llu, %llu chunks more to resync)\n",
		       leg->bdev, n, le64_to_cpu(best->seq), chunks);
	goto out;

out_bad:
	/*
	 * Nothing here can be trusted: after a crash every chunk is copied;
	 * else the numbers go on past any this ring may hold.
	 */
	if (replay)
		dcdmirror_bitmap_set_all(m);
	for (k = 0; k < DCDMIRROR_AL_SLOTS; k++) {
		tr = page_address(pages[k]);
		al->seq = max(al->seq, le64_to_cpu(tr->seq) & (U64_MAX >> 1));
	}
out:
	page_array_free(pages, DCDMIRROR_AL_SLOTS);
	return 0;
}

/* The counters, for info and sysfs. */
void dcdmirror_al_stats(struct dcdmirror *m, struct dcdmirror_al_stats *st)
{
	struct dcdmirror_al *al = &m->al;

	spin_lock_irq(&m->bm.lock);
	st->extents = al->nr;
	st->extent_bytes = al->enabled ? 512ULL << al->shift : 0;
	st->used = al->used;
	st->hits = al->hits;
	st->misses = al->misses;
	st->evictions = al->evictions;
	st->transactions = al->transactions;
	st->waits = al->waits;
	spin_unlock_irq(&m->bm.lock);
}
