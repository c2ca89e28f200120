/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dcd: disk caching disk. A bio-based block device stacked on a cache disk
 * and a data disk. Writes are copied into a RAM buffer and completed; the
 * buffer is appended to a circular log on the cache disk as one segment; logged
 * blocks are destaged to the data disk in LBA order when it is idle.
 *
 * The device has 4096-byte logical blocks; the index, the buffer and the log
 * all work on whole 4096-byte blocks, so no read-modify-write is ever needed.
 *
 * The RAM buffer is a ring of buffers (DCD_NR_BUFS of buffer_bytes /
 * DCD_NR_BUFS each, fewer of 512 KiB for a buffer under 4 MiB, two at
 * least). The active one takes writes (an overwrite of a block already in
 * it is done in place). While the log writer is idle, the active buffer is
 * sealed and handed to the writer when it is 3/4 full, when its oldest data
 * is max_age_ms old, when no write came for DCD_LOG_IDLE_MS (the cache disk
 * is idle), or when a flush or FUA write asks for it; while the writer is
 * busy, only once it is full (flushes wait and share the next segment). The
 * next buffer then takes writes. The writer logs the sealed buffers oldest
 * first, as many as fit in half the buffer in one segment (those sealed
 * while a segment was being written go out together in the next), so a
 * writer waits for room only when every other buffer is sealed.
 *
 * Safe mode: a flush or FUA write completes once every write completed before
 * it is in a logged segment and the cache disk has flushed (and the data disk
 * too, when writes bypassed the buffer). NVRAM mode: flushes complete at once;
 * that is only safe when the buffer survives power loss (NVRAM, UPS).
 *
 * Logged blocks are destaged to the data disk when it is idle, and under load
 * once the log passes the high watermark; from halfway between the watermark
 * and a full log, writes are paced (dcd_pace()) so that the destage sweep
 * frees the tail before the log fills.
 *
 * Discard, write-zeroes and writes of bypass_bytes or more go to the data
 * disk; cached copies are dropped first and a discard record is logged, so
 * that recovery does not bring them back.
 */
#ifndef DCD_H
#define DCD_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/crc32c.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/sizes.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <dcdmirror/dcd_format.h>
#include <dcdmirror/kernel/events.h>
#include <dcdmirror/kernel/open_gate.h>
#include <uapi/dcdmirror/dcd.h>

#define DCD_SECT_PER_BLOCK	(DCD_BLOCK_SIZE >> SECTOR_SHIFT)
#define DCD_LBA_DEAD		U64_MAX		/* buffer slot discarded */
#define DCD_PREV_NONE		U64_MAX		/* dcd_buf.prev: no named copy */
#define DCD_PREV_BUF		BIT_ULL(62)	/* dcd_buf.prev: | a sealed slot */
#define DCD_SUP_NONE		U32_MAX		/* dcd_buf.sup: not superseded */
#define DCD_SUP_RECORD		BIT(31)		/* dcd_buf.sup: | buffer of a record */
#define DCD_NR_BUFS		8		/* buffers in the ring */
#define DCD_BUF_MIN_BLOCKS	128		/* ... of 512 KiB at least */
#define DCD_EXT_MAX_BLOCKS	(U32_MAX >> 1)	/* blocks an extent covers */
#define DCD_DEFAULT_BUFFER	SZ_32M
#define DCD_DEFAULT_BYPASS	SZ_1M
#define DCD_DEFAULT_IDLE_MS	200
#define DCD_DEFAULT_MAX_AGE_MS	100
#define DCD_DEFAULT_WATERMARK	50
#define DCD_BUF_WATERMARK	75	/* percent of a buffer: log it */
#define DCD_LOG_IDLE_MS		2	/* no write for this long: log buffer */
#define DCD_DEFAULT_MAX_BATCH_US 15000	/* commit hold bound (as jbd2's) */
#define DCD_MAX_BATCH_US_MAX	1000000
#define DCD_DESTAGE_BLOCKS	1024	/* blocks per destage batch */
#define DCD_DESTAGE_READS	16	/* destage reads in flight, the log busy */
#define DCD_DESTAGE_READS_IDLE	128	/* ... at most, the log idle */
#define DCD_READ_DRAIN_MS	1000	/* dcdctl flush waits this long for log reads */
#define DCD_PACE_MAX_US		5000	/* gap between writes as the log fills */
#define DCD_LAT_BUCKETS		24	/* write latency histogram: up to 2^24 us */
/* the largest bio the device takes: 4 MiB, 1024 blocks */
#define DCD_MAX_IO_SECTORS	8192
/* the largest discard or write-zeroes passed to the data disk */
#define DCD_MAX_ZERO_SECTORS	\
	((UINT_MAX >> SECTOR_SHIFT) & ~(DCD_SECT_PER_BLOCK - 1))

/*
 * Messages: "dcdN: ..." about one device (no pr_fmt: the prefix is in each
 * message, as md's).
 */
#define dcd_err_index(index, fmt, ...) \
	pr_err("dcd%u: " fmt, (index), ##__VA_ARGS__)
#define dcd_err(dc, fmt, ...)	pr_err("dcd%u: " fmt, (dc)->index, ##__VA_ARGS__)
#define dcd_warn(dc, fmt, ...)	pr_warn("dcd%u: " fmt, (dc)->index, ##__VA_ARGS__)
#define dcd_info(dc, fmt, ...)	pr_info("dcd%u: " fmt, (dc)->index, ##__VA_ARGS__)

/*
 * Index entries are xarray value entries: the low two bits say where the
 * newest copy of a block is, the rest is the position there: a log
 * position, or a ring slot (buffer index * dcd_dev.slots + slot).
 */
#define DCD_LOC_LOG		0	/* log position (block, log relative) */
#define DCD_LOC_BUF		1	/* ring slot */

static inline void *dcd_mkent(unsigned int loc, u64 pos)
{
	return xa_mk_value((unsigned long)(pos << 2) | loc);
}

static inline unsigned int dcd_ent_loc(void *e)
{
	return xa_to_value(e) & 3;
}

static inline u64 dcd_ent_pos(void *e)
{
	return xa_to_value(e) >> 2;
}

/*
 * One buffer of the ring. It is free (empty, after its segment was
 * written), active (takes writes), or sealed (waits for the log writer,
 * and does not change any more except for sup[] and prev[]). Buffers are
 * used in ring order, and each becomes active with the next generation
 * number, so generations order the segments too.
 *
 * A copy of a block stops counting only once its successor is committed
 * (logged and, in safe mode, flushed; dm-writecache's rule): when a write
 * or a discard record in buffer b supersedes a block's copy in the log,
 * the copy's segment is pinned until b's segment is written
 * (dcd_seg.pin_gen), so the tail cannot leave the only durable copy
 * behind. A copy in a sealed buffer that a later buffer supersedes is
 * marked in sup[] with its successor: when the sealed buffer's segment is
 * written, the copy is pinned for the successor's buffer in turn.
 *
 * prev[] names, for each slot, the log position of the copy its write
 * replaced (DCD_PREV_BUF | ring slot while that copy is still in a sealed
 * buffer; DCD_PREV_NONE if none, or once a discard or bypass write
 * supersedes the slot). A named copy is the newest durable version of its
 * block: when the log writer waits for room and the tail segment is kept
 * only by pins, destage writes the named copies to the data disk and lets
 * the segment go (dcd_destage_pinned()). The other pins are those of
 * discard records and of slots they superseded, whose data is on the data
 * disk already: a flush of it is enough.
 */
struct dcd_buf {
	unsigned int idx;		/* place in the ring */
	unsigned int n;			/* slots used */
	unsigned int ndisc;		/* discard records used */
	u64 gen;			/* generation, set when it became active */
	struct page **pages;		/* one 4096-byte block per slot */
	u64 *lba;			/* block of each slot, DCD_LBA_DEAD */
	u64 *prev;			/* copy each slot replaced (see above) */
	u32 *sup;			/* successor of each slot's copy in a
					 * later buffer: its ring slot, or
					 * DCD_SUP_RECORD | the buffer of the
					 * discard record; DCD_SUP_NONE
					 */
	struct dcd_seg_ext *disc;	/* discard records (cpu order fields
					 * kept little endian, ready to copy)
					 */
	struct bio_list waiters;	/* flush/FUA: need this buffer logged */
	unsigned int nwaiters;		/* bios in waiters */
	unsigned long waiters_since;	/* arrival of the oldest waiter */
	bool data_flush;		/* holds records of writes that went to
					 * the data disk: flush it before the
					 * segment is written
					 */
	unsigned long first_jif;	/* when the first slot was filled */
};

static inline bool dcd_buf_empty(struct dcd_buf *b)
{
	return !b->n && !b->ndisc;
}

/* A segment in the log. */
struct dcd_seg {
	struct rb_node node;		/* dcd_dev.seg_tree, by pos */
	struct list_head list;		/* dcd_dev.segs, oldest first */
	u64 seq;
	u64 pos;			/* log relative block */
	u32 nr_blocks;			/* header and data */
	u32 hdr_blocks;
	u32 live;			/* index entries pointing into it */
	u64 pin_gen;			/* kept until the buffer of this
					 * generation is committed (struct
					 * dcd_buf); 0: no pin
					 */
	atomic_t readers;		/* reads in flight from it */
	bool written;			/* on the cache disk (and flushed) */
};

struct dcd_stats {
	atomic64_t segments_written;
	atomic64_t log_bytes_written;
	atomic64_t bytes_destaged;
	atomic64_t destage_runs;
	atomic64_t idle_periods;
	atomic64_t read_hits_buffer;
	atomic64_t read_hits_log;
	atomic64_t read_hits_data;
	atomic64_t writes;
	atomic64_t bypass_writes;
	atomic64_t flushes;
	atomic64_t paced_writes;	/* writes delayed by dcd_pace() */
	atomic64_t paced_ns;		/* their total delay */
	atomic64_t write_lat_ns;	/* sums, divided by writes/flushes */
	atomic64_t flush_lat_ns;
	atomic64_t write_lat_max_ns;	/* longest write, pacing and waits included */
	atomic64_t room_waits;		/* writes that waited for buffer room */
	atomic64_t room_wait_ns;	/* their total wait */
	atomic64_t room_wait_max_ns;
	atomic64_t destage_reads_busy;	/* destage reads in flight when a segment
					 * write was sent, summed over segments
					 */
	atomic64_t destage_yields;	/* batches cut short: the log got work */
	atomic64_t index_alloc_waits;	/* writes that waited for index memory */
	atomic64_t seg_write_ns;	/* segment writes: total time, with flushes */
	atomic64_t seg_write_max_ns;
	atomic64_t buffers_logged;	/* ring buffers in segments written */
	atomic64_t space_waits;		/* segments that waited for log space */
	atomic64_t space_wait_ns;	/* their total wait (destage freeing the tail) */
	atomic64_t space_wait_max_ns;
	atomic64_t commit_holds;	/* seals held open for more flushes */
	atomic64_t commit_hold_ns;	/* their total time */
	atomic64_t bytes_buffered;	/* data written into the buffer */
	/* writes by latency: bucket k counts [2^k, 2^(k+1)) us, 0 below 2 us */
	atomic64_t write_lat_hist[DCD_LAT_BUCKETS];
};

/* Raise *max to v if v is larger (a statistic: races only lose a maximum). */
static inline void dcd_stat_max(atomic64_t *max, u64 v)
{
	s64 old = atomic64_read(max);

	while ((u64)old < v && !atomic64_try_cmpxchg(max, &old, v))
		;
}

struct dcd_dev {
	unsigned int index;
	struct gendisk *disk;
	struct block_device *cache_bdev;
	struct block_device *data_bdev;
	struct bio_set bs;
	struct workqueue_struct *wq;	/* log_work, kick_work */
	struct workqueue_struct *dwq;	/* destage_work: log_work waits on it */
	struct work_struct log_work;
	struct delayed_work kick_work;	/* logs the buffer when due */
	struct delayed_work destage_work;

	/* Set at create/assemble; the tunables may change through sysfs. */
	u8 uuid[16];
	u32 mode;
	u32 idle_ms;
	u32 max_age_ms;
	u32 high_watermark;
	u32 max_batch_us;		/* bound of a commit hold; 0: none */
	u64 buffer_bytes;
	u64 bypass_bytes;
	u64 nr_blocks;			/* exported device, 4096-byte blocks */
	u64 data_sectors;		/* the whole data disk */
	u64 data_offset;		/* blocks of it before the device's */
	u64 cache_blocks;
	u64 log_start;
	u64 log_blocks;
	unsigned int nbufs;		/* buffers in the ring */
	unsigned int slots;		/* per buffer */
	unsigned int max_disc;		/* discard records per buffer */
	unsigned int seg_max_blocks;	/* data blocks a segment may hold:
					 * buffer_bytes / 2, as written by
					 * versions with a two-half buffer
					 */
	unsigned int hdr_max_blocks;	/* header of such a segment */
	bool unclean;			/* assembled after an unclean stop */
	u64 clean_stops;
	u64 unclean_starts;
	u64 ctime;

	/*
	 * lock protects the index, the ring, the segment list and tree,
	 * head/tail, the sequence numbers and the flush waiter lists. It is a
	 * mutex: the bio entry, the workers and the ioctls may all sleep.
	 * Lock order: ctl mutex -> destage_mutex -> sb_mutex -> lock, then
	 * uevents.lock (innermost) or pace_lock. Bio completions never take
	 * it; they only touch atomics.
	 */
	struct mutex lock;
	struct xarray map;		/* block -> dcd_mkent() */
	struct dcd_buf *buf;		/* the ring, nbufs */
	struct dcd_buf *active;		/* takes new writes */
	unsigned int nsealed;		/* sealed buffers before active, oldest
					 * first: < nbufs
					 */
	u64 next_gen;			/* of the next buffer to become active */
	u64 committed_gen;		/* of the last buffer logged */
	bool force_seal;
	/*
	 * Commit batching (dcd_batch_hold()): after a segment served flushes
	 * of several writers, the log writer holds the next flush-driven seal
	 * open until as many flushes wait on the active buffer or the hold
	 * time passes; dcd_end_hold() ends it early (commit_wq).
	 */
	bool commit_hold;
	unsigned int commit_expect;	/* flushes that end the hold */
	u64 commit_avg_ns;		/* moving average of segment writes */
	wait_queue_head_t commit_wq;
	u64 seals;			/* buffers handed to the log */
	u64 logged;			/* of these, logged (or failed) */
	/*
	 * Writes, discards and write-zeroes sent to the data disk (bypass):
	 * each gets a discard record in the buffer that is active when it
	 * completes, reserved when it is sent so that the completion never
	 * waits for room: active->ndisc + disc_reserved <= max_disc.
	 */
	unsigned int disc_reserved;
	struct list_head segs;
	struct rb_root seg_tree;
	u64 head;			/* next log position to write */
	u64 tail;			/* oldest live log position */
	u64 tail_seq;
	u64 next_seq;
	u64 buf_entries;		/* index entries in the buffers */
	u64 log_entries;		/* index entries in the log */
	u64 space_gen;			/* bumped when the tail moves */
	bool space_wanted;		/* log writer waits for space */
	bool failed;			/* cache disk write failed (dcd_set_failed()) */
	bool log_above;			/* log_above_watermark sent (dcd_event_fill()) */
	bool dying;
	unsigned long last_write;
	unsigned long last_data_io;	/* foreground I/O: reads from the data
					 * disk, writes of any kind; destage
					 * waits for idle_ms without any
					 */
	bool idle_run;			/* last destage round was an idle one */
	u64 destage_cursor;

	wait_queue_head_t wq_head;	/* buffer, log space, bypass */

	/*
	 * destage_mutex serializes destage batches. A write that bypasses
	 * the buffer counts itself in bypass_inflight under it (so it waits
	 * for a batch in flight), and a batch starts only with none in
	 * flight: a batch never writes an older copy over a bypass write.
	 */
	struct mutex destage_mutex;
	atomic_t bypass_inflight;
	atomic_t destage_reads_inflight;	/* blocks, from the cache disk */
	struct bio_set bypass_bs;	/* clones of bypass bios (dcd_bypass) */
	struct workqueue_struct *bwq;	/* their completions */
	struct page **dpages;		/* DCD_DESTAGE_BLOCKS pages */
	u64 *dlba;
	u64 *dpos;
	u32 *dslot;			/* ring slot (pinned destage) */

	struct mutex sb_mutex;		/* superblock writes */
	struct dcd_sb *sb;		/* the superblock, kept for rewriting */
	u64 sb_seq;			/* of the last copy written */
	struct dcd_data_sb *dsb;	/* the data disk's header (I/O buffer) */
	void *hdr;			/* segment header, hdr_max_blocks */
	struct page **segpages;		/* header and data pages of a segment */

	/*
	 * Write pacing (dcd_pace()): log_fill is the log's fill in percent,
	 * written under lock whenever head or tail move and read without it;
	 * pace_lock (innermost, never held while sleeping) protects pace_next,
	 * the time in ns at which the next paced write may go.
	 */
	unsigned int log_fill;
	spinlock_t pace_lock;		/* pace_next */
	u64 pace_next;
	struct open_gate gate;

	/*
	 * Events for monitors (dcd_events.c, docs/events.md); uevents.lock
	 * (irq-safe) is the innermost lock, taken under lock.
	 */
	struct event_ring uevents;

	struct dcd_stats stats;
};

/* Ring slots: a buffer's slot numbered across the ring (index entries). */
static inline u32 dcd_ring_slot(struct dcd_dev *dc, struct dcd_buf *b, unsigned int slot)
{
	return b->idx * dc->slots + slot;
}

static inline struct dcd_buf *dcd_slot_buf(struct dcd_dev *dc, u64 ring_slot)
{
	return &dc->buf[div_u64(ring_slot, dc->slots)];
}

static inline unsigned int dcd_slot_in_buf(struct dcd_dev *dc, u64 ring_slot)
{
	u32 rem;

	div_u64_rem(ring_slot, dc->slots, &rem);
	return rem;
}

/* The buffer after b in the ring. */
static inline struct dcd_buf *dcd_buf_next(struct dcd_dev *dc, struct dcd_buf *b)
{
	return &dc->buf[b->idx + 1 == dc->nbufs ? 0 : b->idx + 1];
}

/* Front pad of bios split or cloned from dcd_dev.bs for reads from the log. */
struct dcd_rio {
	struct dcd_dev *dc;
	struct bio *parent;
	struct dcd_seg *seg;		/* holds a reader count on it */
	struct bio bio;
};

/*
 * Front pad of a bypass bio's clone to the data disk: its completion puts
 * the discard record into the buffer (dcd_bypass_done(), process context)
 * before the parent completes.
 */
struct dcd_bypass {
	struct dcd_dev *dc;
	struct bio *parent;
	u64 lba;
	u64 count;
	struct work_struct work;
	struct bio clone;
};

static inline sector_t dcd_log_sector(struct dcd_dev *dc, u64 pos)
{
	return (dc->log_start + pos) * DCD_SECT_PER_BLOCK;
}

/* Where the device's sector s is on the data disk. */
static inline sector_t dcd_data_sector(struct dcd_dev *dc, sector_t s)
{
	return s + dc->data_offset * DCD_SECT_PER_BLOCK;
}

/* crc32c of a 4096-byte block, continuing crc */
static inline u32 dcd_crc_page(u32 crc, struct page *page)
{
	void *p = kmap_local_page(page);

	crc = crc32c(crc, p, DCD_BLOCK_SIZE);
	kunmap_local(p);
	return crc;
}

/* dcd_sb.c */
void dcd_buffer_geometry(struct dcd_dev *dc);
int dcd_format(struct dcd_dev *dc, bool discard_dirty, char *err);
int dcd_read_sb(struct dcd_dev *dc, char *err);
int dcd_put_sb(struct dcd_dev *dc, u32 state, u64 tail, u64 tail_seq,
	       u64 head, u64 head_seq);
int dcd_write_sb(struct dcd_dev *dc, u32 state);
int dcd_put_data_sb(struct dcd_dev *dc, u32 state);

/* dcd_log.c */
struct dcd_seg *dcd_seg_alloc(gfp_t gfp);
void dcd_seg_insert(struct dcd_dev *dc, struct dcd_seg *seg);
struct dcd_seg *dcd_seg_find(struct dcd_dev *dc, u64 pos);
void dcd_seg_unref(struct dcd_dev *dc, u64 pos);
void dcd_seg_supersede(struct dcd_dev *dc, u64 pos, struct dcd_buf *b);
struct dcd_buf *dcd_newest_sealed(struct dcd_dev *dc);
u64 dcd_log_used(struct dcd_dev *dc);
void dcd_update_fill(struct dcd_dev *dc);
int dcd_advance_tail(struct dcd_dev *dc);
bool dcd_tail_held_by_reads(struct dcd_dev *dc);
void dcd_log_work(struct work_struct *work);
void dcd_kick_work(struct work_struct *work);
void dcd_maybe_seal(struct dcd_dev *dc);
bool dcd_seal_full(struct dcd_dev *dc);
int dcd_log_sync(struct dcd_dev *dc);
void dcd_end_all_waiters(struct dcd_dev *dc);
void dcd_flush_joined(struct dcd_dev *dc);
void dcd_end_hold(struct dcd_dev *dc);

/* dcd_recover.c */
int dcd_recover(struct dcd_dev *dc, bool force, char *err);

/* dcd_destage.c */
void dcd_destage_work(struct work_struct *work);
int dcd_destage_all(struct dcd_dev *dc);
void dcd_destage_kick(struct dcd_dev *dc, bool now);

/* dcd_io.c */
void dcd_submit_bio(struct bio *bio);

/* dcd_sysfs.c */
extern const struct attribute_group *dcd_attr_groups[];
void dcd_fill_detail(struct dcd_dev *dc, struct dcd_ioc_detail *d);

/* dcd_main.c: the devices, under its ctl_mutex */
int dcd_create(struct dcd_ioc_create *c);
int dcd_stop(struct dcd_ioc_dev *d);
int dcd_flush(struct dcd_ioc_dev *d);
int dcd_detail(u32 index, struct dcd_ioc_detail *d);

/* dcd_events.c */
void dcd_event_fill(struct dcd_dev *dc, unsigned int pct);
void dcd_set_failed(struct dcd_dev *dc, const char *reason);
void dcd_events_init(struct dcd_dev *dc);
void dcd_events_start(struct dcd_dev *dc);
void dcd_events_stop(struct dcd_dev *dc);

/* dcd_ctl.c */
int dcd_ctl_init(void);
void dcd_ctl_exit(void);

#endif /* DCD_H */
