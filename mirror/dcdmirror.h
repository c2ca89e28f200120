/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dcdmirror: a bio-based RAID1 of a local and a remote block device.
 */
#ifndef DCDMIRROR_H
#define DCDMIRROR_H

#include <linux/atomic.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/list.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <dcdmirror/kernel/events.h>
#include <dcdmirror/kernel/open_gate.h>
#include <dcdmirror/kernel/sync_io.h>
#include <dcdmirror/mirror_format.h>
#include <uapi/dcdmirror/mirror.h>

/*
 * Messages: "dcdmirrorN: ..." about one array, "dcdmirror: ..." about the
 * module (no pr_fmt: the prefix is in each message, as md's).
 */
#define dcdmirror_err_index(index, fmt, ...) \
	pr_err("dcdmirror%u: " fmt, (index), ##__VA_ARGS__)
#define dcdmirror_err(m, fmt, ...) \
	pr_err("dcdmirror%u: " fmt, (m)->index, ##__VA_ARGS__)
#define dcdmirror_warn(m, fmt, ...) \
	pr_warn("dcdmirror%u: " fmt, (m)->index, ##__VA_ARGS__)
#define dcdmirror_info(m, fmt, ...) \
	pr_info("dcdmirror%u: " fmt, (m)->index, ##__VA_ARGS__)
#define dcdmirror_err_ratelimited(m, fmt, ...) \
	pr_err_ratelimited("dcdmirror%u: " fmt, (m)->index, ##__VA_ARGS__)
#define dcdmirror_info_ratelimited(m, fmt, ...) \
	pr_info_ratelimited("dcdmirror%u: " fmt, (m)->index, ##__VA_ARGS__)

/* a read error's rewrite goes in steps of this many pages */
#define DCDMIRROR_FIX_PAGES		16
#define DCDMIRROR_MAX_READ_ERRORS	20	/* md's max_corr_read_errors */

/*
 * Per-leg counters, per CPU so that completions on different CPUs do not
 * share cache lines; summed (lat_max_ns: the largest) when read.
 */
struct dcdmirror_leg_counters {
	u64 reads;
	u64 writes;
	u64 read_bytes;
	u64 write_bytes;
	u64 errors;
	u64 lat_ns;			/* sum of completion times */
	u64 lat_count;			/* completions summed in lat_ns */
	u64 lat_max_ns;
	s64 inflight_bytes;		/* written, not yet completed */
	u64 merged;			/* writes merged into another's request */
	u64 corrected;			/* read errors corrected by a rewrite */
	u64 corrected_sectors;		/* sectors rewritten for them */
};

/* A leg's data generation (mirror_format.h, dcdmirror_gen.c). */
struct dcdmirror_gen {
	u64 uuid;			/* the current generation */
	u64 bitmap;
	u64 history[2];
	u64 time;			/* uuid began, seconds */
	u32 flags;			/* DCDMIRROR_GEN_* */
	char host[32];			/* where uuid began */
};

/* What two legs' generations say (dcdmirror_gen_compare()). */
enum dcdmirror_gen_order {
	DCDMIRROR_GEN_EQUAL,		/* in sync: nothing to copy */
	DCDMIRROR_GEN_UNCLEAN,		/* in sync, but writes may have been in
					 * flight: the bits are copied
					 */
	DCDMIRROR_GEN_A_BITMAP,		/* a is the source, b gets the bits */
	DCDMIRROR_GEN_A_FULL,		/* a is the source, b gets everything */
	DCDMIRROR_GEN_B_BITMAP,
	DCDMIRROR_GEN_B_FULL,
	DCDMIRROR_GEN_SPLIT_BITMAP,	/* both wrote since the same
					 * generation: the union of the bits
					 */
	DCDMIRROR_GEN_SPLIT_FULL,	/* both wrote, no common bitmap */
	DCDMIRROR_GEN_BOTH_INCONSISTENT,	/* neither is a source */
	DCDMIRROR_GEN_UNRELATED,
};

/* dcdmirror_leg.flags bits */
enum {
	DCDMIRROR_LEG_FAULTY_BIT,	/* I/O no longer sent to it; also set
					 * while the slot has no device
					 */
	DCDMIRROR_LEG_REBUILDING_BIT,	/* gets writes, no reads: resync due */
};

struct dcdmirror_leg {
	struct block_device *bdev;	/* claimed exclusively, NULL if none */
	dev_t dev;
	sector_t sb_sector;		/* with a superblock */
	sector_t bitmap_sector;		/* with a superblock */
	unsigned int role;		/* DCDMIRROR_ROLE_* */
	unsigned long flags;
	u64 base_events;		/* REBUILDING: events its superblock keeps */
	u64 id;				/* the leg device's (sb leg_id) */
	u64 peer_id;			/* the other leg's, when last in sync */
	struct dcdmirror_gen gen;	/* REBUILDING: what its superblock keeps */
	/*
	 * Read errors counted against max_read_errors, halved for each hour
	 * without one (md's read_errors); used by the fix worker only.
	 */
	unsigned int read_errors;
	time64_t last_read_error;	/* seconds, ktime_get_seconds() */
	struct dcdmirror_leg_counters __percpu *stats;
};

/*
 * Write-intent bitmap (see mirror_format.h). In memory: bits, the on-disk
 * image; count, writes in flight per chunk; recent, chunks written since the
 * daemon last looked (a chunk is cleared only after a quiet period).
 */
struct dcdmirror_bitmap {
	/*
	 * lock (irq-safe: writes end in irq context) protects every field
	 * below but the I/O buffers, and is the innermost lock but
	 * state_lock.
	 */
	spinlock_t lock;
	u8 *bits;
	unsigned long *recent;
	u16 *count;
	u64 chunks;
	u32 chunk_shift;		/* chunk = 1 << chunk_shift sectors */
	unsigned int nr_blocks;		/* DCDMIRROR_BITMAP_BLOCK blocks */
	unsigned long dirty_blocks[BITS_TO_LONGS(256)];	/* to be written */
	unsigned long writing_blocks[BITS_TO_LONGS(256)];	/* being written */
	/* async mode: written to the local leg, owed to the remote leg */
	unsigned long lazy_blocks[BITS_TO_LONGS(256)];
	u64 lazy_writes;		/* remote bitmap writes deferred */
	bool clear_ok;			/* every leg in sync and recorded so */
	bool cleared;			/* bits cleared since the last write */
	u64 resync_chunk;		/* writes to it wait; U64_MAX: none */
	/* a read error's rewrite: writes to [fix_first, fix_last] wait */
	u64 fix_first;			/* U64_MAX: none */
	u64 fix_last;
	/*
	 * chunks the resync copied since its last checkpoint: their bits are
	 * cleared at the checkpoint, once the target has flushed them
	 */
	unsigned long *synced;
	u64 barrier_waits;		/* writes that waited for it */
	struct list_head pending;	/* writes waiting for a bitmap write */
	wait_queue_head_t wait;		/* barrier and count waiters */

	/* write_mutex serializes bitmap writes and owns the buffer pages */
	struct mutex write_mutex;
	struct page **pages;		/* one per block, the image written */
	struct work_struct flush_work;	/* writes dirty blocks, then pending */
	struct delayed_work daemon;	/* clears bits of quiet chunks */
};

/*
 * Activity log (dcdmirror_al.c). A slot holds an extent of the set: refs
 * counts the writes in flight (or waiting) in it; committed, that a
 * transaction on disk has it. A slot is on al.free, or on al.lru when
 * committed without writes (evictable, least recently used first), or on
 * neither while in use. Everything is under bm.lock; transactions, seq,
 * snap and page under bm.write_mutex.
 */
#define DCDMIRROR_AL_HASH_BITS		8

struct dcdmirror_al_slot {
	u32 extent;
	u32 refs;
	bool committed;
	struct hlist_node hash;
	struct list_head lru;
};

struct dcdmirror_al {
	unsigned int nr;		/* capacity, extents; 0: no log */
	u32 shift;			/* an extent: 1 << shift sectors */
	bool enabled;
	u64 extents;			/* of the array */
	struct dcdmirror_al_slot *slots;
	struct hlist_head hash[1 << DCDMIRROR_AL_HASH_BITS];
	struct list_head lru;
	struct list_head free;
	unsigned int used;		/* slots holding an extent */
	unsigned int evictable;		/* on lru */
	bool changed;			/* the set differs from the last transaction */
	bool dropped;			/* an extent left it since then */
	bool resume;			/* a leg was out: rewrite the set */
	struct list_head pending;	/* writes waiting for a transaction */
	struct work_struct work;	/* writes it (dcdmirror_al_commit()) */
	u64 seq;			/* of the last transaction */
	u32 *snap;			/* the set being written */
	struct page *page;		/* its block */
	u64 hits;			/* writes whose extents were on disk */
	u64 misses;			/* writes that added an extent */
	u64 evictions;
	u64 transactions;
	u64 waits;			/* writes that waited for a transaction */
};

/* What dcdmirror_al_enter() did with a write. */
enum dcdmirror_al_entry {
	DCDMIRROR_AL_NONE,		/* not under the log: it sets bits */
	DCDMIRROR_AL_HIT,		/* its extents are on disk: it goes */
	DCDMIRROR_AL_QUEUED,		/* it waits for a transaction */
	DCDMIRROR_AL_FULL,		/* no room in the set yet */
};

struct dcdmirror_al_stats {
	unsigned int extents;
	u64 extent_bytes;
	unsigned int used;
	u64 hits, misses, evictions, transactions, waits;
};

/* Progress of the resync running, or of the last one. */
struct dcdmirror_resync_stats {
	unsigned int leg;
	u64 total;			/* chunks set when it started */
	u64 chunks;			/* chunks copied */
	u64 bytes;
	u64 start_chunk;		/* where it began (a checkpoint) */
	u64 pos;			/* the next chunk it looks at */
	u64 checkpoints;		/* written so far */
	u64 unreadable;			/* chunks the source could not read */
	unsigned long start;		/* jiffies */
	unsigned long end;		/* jiffies, 0 while running */
	bool started;			/* there was one */
};

/* Progress of the check running, or of the last one (resync_lock). */
struct dcdmirror_check_stats {
	u32 state;			/* DCDMIRROR_CHECK_* */
	u32 flags;			/* DCDMIRROR_CHECK_REPAIR */
	u64 total;			/* chunks */
	u64 pos;			/* chunks compared */
	u64 mismatches;			/* chunks that differed */
	u64 repaired;			/* of them, copied over */
	u64 bytes;			/* compared, per leg */
	unsigned long start;		/* jiffies */
	unsigned long end;		/* jiffies, 0 while running */
};

struct dcdmirror {
	unsigned int index;
	unsigned int mode;		/* DCDMIRROR_MODE_* */
	struct list_head node;		/* in dcdmirror_devices */
	struct gendisk *disk;
	sector_t sectors;		/* array size */
	unsigned int nr_legs;
	struct dcdmirror_leg legs[DCDMIRROR_MAX_LEGS];

	/* openers; its lock also orders the last inflight drop before stop */
	struct open_gate gate;

	/*
	 * Events for monitors (dcdmirror_events.c, docs/events.md); its lock
	 * (uevents.lock, irq-safe) is the innermost of all.
	 */
	struct event_ring uevents;

	/*
	 * state_lock (irq-safe, innermost) serializes changes of the legs'
	 * flags: marking a leg faulty (never the last in-sync one), adding,
	 * the end of a resync; and guards fail_seq, sb_seq, held_list and
	 * stopping.
	 */
	spinlock_t state_lock;
	/* records a failed leg in the superblocks of the others */
	struct work_struct sb_work;
	/*
	 * Leg failures not yet in the superblocks (md's MD_SB_CHANGE_PENDING):
	 * fail_seq counts the failures, sb_seq is the count the last
	 * superblock update covered. While they differ, a write that
	 * completes waits in held_list (io->node) and sb_work ends it once
	 * the superblocks are written: no write is acknowledged that a crash
	 * before that could undo (assemble would find equal events and take
	 * the failed leg as the source).
	 */
	u64 fail_seq;
	u64 sb_seq;
	struct list_head held_list;
	/* destroy writes the last metadata: a failure queues no sb_work */
	bool stopping;

	/*
	 * superblock state; sb_lock serializes superblock writes and is taken
	 * before bitmap.write_mutex.
	 */
	struct mutex sb_lock;
	bool has_sb;
	bool unclean;			/* assembled from an ACTIVE superblock */
	u8 uuid[16];
	u64 events;
	u64 events_cleared;
	u64 ctime;
	struct page *sb_page;		/* I/O buffer of superblock writes */
	/* the generation of the in-sync legs (under sb_lock) */
	struct dcdmirror_gen gen;
	bool takeover;			/* the next superblock write starts a
					 * generation of a takeover
					 */
	unsigned int sb_first;		/* the leg superblocks are written to
					 * first (the one a resync rebuilt)
					 */
	/*
	 * A remote write not completed after this long fails the remote leg,
	 * and its write completes with the local leg's (ms; OFF: never).
	 */
	unsigned int remote_timeout_ms;

	/*
	 * inflight counts master bios and resync steps in progress. While
	 * suspended (leg add/remove), new ones wait: see dcdmirror_io_begin().
	 */
	atomic_t inflight;
	wait_queue_head_t inflight_wait;
	bool suspended;
	wait_queue_head_t suspend_wait;
	atomic64_t fg_ios;		/* master bios started: resync yields */
	atomic64_t data_writes;		/* writes to the array */
	atomic64_t meta_writes;		/* bitmap blocks, superblocks written */

	struct dcdmirror_bitmap bm;
	struct dcdmirror_al al;

	/* cfg_lock: held while a leg's device changes, for sysfs readers */
	struct mutex cfg_lock;

	/* resync: a thread per array, woken when a leg is REBUILDING */
	struct task_struct *resync_thread;
	wait_queue_head_t resync_wq;	/* wakes the thread */
	wait_queue_head_t resync_done_wq;	/* WAIT ioctl sleepers */
	unsigned int resync_rate;	/* KiB/s */
	bool resync_failed;		/* the last resync did not finish */
	/*
	 * The last resync left chunks the source could not read (their bits
	 * stay set): the next one waits for dcdmirror_resync_kick().
	 */
	bool resync_held;
	/*
	 * Resync checkpoint (under sb_lock): the leg being rebuilt has every
	 * chunk below resync_ckpt whose bit is clear; at and above it, a
	 * full resync (resync_full) must copy every chunk, a bitmap one
	 * those with a bit set. resync_id names the resync in both legs'
	 * superblocks, so that assemble resumes it only on the same leg.
	 */
	u64 resync_ckpt;
	u64 resync_id;
	bool resync_full;
	/* progress; resync_lock (irq-safe) guards it for readers */
	spinlock_t resync_lock;
	struct dcdmirror_resync_stats resync;
	/*
	 * check (dcdmirror_check.c), in the resync thread; under resync_lock:
	 * the request (DCDMIRROR_CHECK_REPAIR and a pending bit), a cancel
	 * and the progress
	 */
	u32 check_request;
	bool check_cancel;
	struct dcdmirror_check_stats check;

	/*
	 * Async mode. mode, max_lag_* and async_flags change at run time
	 * (READ_ONCE; a write keeps what it saw when it arrived).
	 * async_lock (irq-safe, innermost with state_lock, never both) guards
	 * async_list and the counters after it. async_list holds the async
	 * writes from their arrival until the remote leg has them, in
	 * arrival order: their bytes are the lag, its head the oldest.
	 * Every write that overlaps one on the list waits for it (the remote
	 * leg would otherwise be free to reorder the two); async_wait is
	 * woken whenever one leaves the list.
	 */
	unsigned int max_lag_kib;
	unsigned int max_lag_ms;
	unsigned int async_flags;	/* DCDMIRROR_ASYNC_* */
	spinlock_t async_lock;
	struct list_head async_list;
	u64 async_seq;			/* last sequence number given */
	u64 lag_bytes;
	u64 lag_max_bytes;		/* high-water mark of lag_bytes */
	u64 async_writes;		/* writes accepted in async mode */
	u64 behind_writes;		/* of them, completed before the remote */
	u64 flush_waits;		/* flushes that waited for the remote */
	/*
	 * lag_above_bound was sent: a write waited for the lag bound, and
	 * the lag has not fallen below half of it since
	 */
	bool lag_over;
	wait_queue_head_t async_wait;
	/*
	 * Coalescing (the initiator-side batching): the remote writes of
	 * async mode wait in send_list (under async_lock) for send_work,
	 * which sends what has gathered as one plugged batch, merging
	 * contiguous writes into requests of up to DCDMIRROR_COALESCE_MAX.
	 * No timer: a write waits only while the worker is busy or queued.
	 */
	struct bio_list send_list;
	struct work_struct send_work;
	u64 sent_requests;		/* remote requests send_work sent */

	/*
	 * Read error correction (md's fix_read_error): a read the local leg
	 * failed is served by another leg, then its io waits in fix_list
	 * for fix_work, which rewrites the range on the failing leg under a
	 * range barrier and reads it back. fix_lock (irq-safe, innermost,
	 * never nested) guards fix_list; fix_pages (2 x DCDMIRROR_FIX_PAGES)
	 * belong to fix_work.
	 */
	unsigned int max_read_errors;	/* more fail the leg (md's 20) */
	spinlock_t fix_lock;
	struct list_head fix_list;
	struct work_struct fix_work;
	struct page **fix_pages;

	/*
	 * Remote timeout (dcdmirror_timeout.c): timeout_lock (irq-safe)
	 * guards timeout_list, the remote writes out, oldest first, which
	 * timeout_timer watches, and remote_last_done, when the last of them
	 * completed (or the list last became busy). Only the timer takes
	 * other locks under it, to fail the leg (see the lock order below).
	 * meta_abandoned counts synchronous I/O given up on and still out.
	 */
	spinlock_t timeout_lock;
	struct list_head timeout_list;
	unsigned long remote_last_done;	/* jiffies */
	struct timer_list timeout_timer;
	atomic_t meta_abandoned;
	wait_queue_head_t abandoned_wait;
	atomic64_t remote_timeouts;	/* legs failed by it */

	mempool_t io_pool;		/* struct dcdmirror_io */
	struct bio_set bs;		/* clones, front_pad dcdmirror_clone */
	/* remote writes of async mode with their own pages (bvecs) */
	struct bio_set behind_bs;
};

/*
 * State of one bio submitted to the array while its clones are out. Writes
 * complete the master bio when the last leg has answered (lock-step), or,
 * in async mode, when the local leg has: the remote leg then gets a copy
 * of the data (behind clone) and the io lives on until that completes.
 */
struct dcdmirror_io {
	struct dcdmirror *m;
	struct bio *master;
	unsigned long start_time;	/* for I/O accounting */
	atomic_t remaining;		/* clones not yet completed */
	atomic_t fg_remaining;		/* of them, those the master waits for */
	bool master_ended;		/* bio_endio(master) done */
	bool async;			/* on async_list */
	struct list_head async_node;
	u64 seq;			/* async: order of arrival */
	u64 async_ns;			/* async: arrival */
	sector_t sector;		/* range, for the overlap check */
	unsigned int nr_sectors;
	blk_status_t status;		/* first error; updated with cmpxchg */
	bool done_ok;			/* a leg completed it */
	bool hard_error;		/* a leg failed it and is not faulty */
	unsigned int read_leg;		/* reads: the leg asked */
	unsigned long read_tried;	/* reads: legs that failed it (bits) */
	int fix_leg;			/* reads: leg to rewrite, -1 if none */
	struct work_struct retry;	/* a failed read, sent to another leg */
	struct list_head node;		/* in bm.pending, m->fix_list or
					 * m->held_list
					 */
	u64 first_chunk;		/* writes: the bitmap chunks it covers */
	u64 last_chunk;
	bool bitmap;			/* counted in bm.count */
	bool al;			/* counted in the activity log's set */
	u32 al_first;			/* its extents */
	u32 al_last;
	u64 hold_seq;			/* held: the fail_seq to be recorded */
};

/* Front pad of each clone: which leg it went to, for the completion path. */
struct dcdmirror_clone {
	struct dcdmirror_io *io;
	unsigned int leg;
	u64 start_ns;			/* for the leg's latency */
	unsigned int bytes;		/* size sent */
	bool behind;			/* async: the master does not wait */
	bool own_pages;			/* a copy of the data: freed at the end */
	bool timed;			/* on timeout_list (dcdmirror_timeout.c) */
	bool released;			/* the timer let its master go */
	unsigned long sent;		/* jiffies, timed: when submitted */
	struct list_head timeout_node;
	struct bio *parts;		/* a merged request: the behind clones
					 * it carries (bi_next), which own the
					 * pages; NULL otherwise
					 */
	struct bio bio;			/* must be last */
};

/*
 * Lock order: dcdmirror_devices_lock (also held across leg operations and
 * stop), then disk->open_mutex (taken by the block layer around ->open),
 * then dcdmirror.gate.lock. Within an array: dcdmirror_devices_lock, then
 * sb_lock, then bm.write_mutex, then cfg_lock, then bm.lock, then
 * state_lock or resync_lock or async_lock. timeout_lock comes before bm.lock
 * and state_lock (the timer fails the leg under it) and is never taken
 * under any of them. Leg operations wait for in-flight I/O
 * (dcdmirror_suspend()) holding dcdmirror_devices_lock only. uevents.lock
 * (and that of the control device's ring) is taken under any of these and
 * takes none.
 */
extern struct mutex dcdmirror_devices_lock;
extern struct list_head dcdmirror_devices;

static inline struct dcdmirror_clone *to_clone(struct bio *bio)
{
	return container_of(bio, struct dcdmirror_clone, bio);
}

/* Not faulty and not being rebuilt: it has every write. */
static inline bool dcdmirror_leg_in_sync(struct dcdmirror_leg *leg)
{
	return !test_bit(DCDMIRROR_LEG_FAULTY_BIT, &leg->flags) &&
	       !test_bit(DCDMIRROR_LEG_REBUILDING_BIT, &leg->flags);
}

/* "local" or "remote", for messages and sysfs */
static inline const char *dcdmirror_role_name(const struct dcdmirror_leg *leg)
{
	return leg->role == DCDMIRROR_ROLE_LOCAL ? "local" : "remote";
}

/* dcdmirror_io.c */
extern struct workqueue_struct *dcdmirror_wq;
extern struct workqueue_struct *dcdmirror_send_wq;
extern struct workqueue_struct *dcdmirror_fix_wq;
int dcdmirror_wq_init(void);
void dcdmirror_wq_exit(void);
void dcdmirror_io_release(struct dcdmirror_io *io);
void dcdmirror_submit_bio(struct bio *bio);
void dcdmirror_dispatch_write(struct dcdmirror_io *io);
void dcdmirror_clone_endio(struct bio *bio);
void dcdmirror_account(struct dcdmirror_leg *leg, struct bio *bio);
int dcdmirror_read_leg(struct dcdmirror *m);
int dcdmirror_read_alt(struct dcdmirror *m, unsigned long tried);
void dcdmirror_io_done(struct dcdmirror_io *io);
void dcdmirror_io_begin(struct dcdmirror *m);
void dcdmirror_io_end(struct dcdmirror *m);
void dcdmirror_suspend(struct dcdmirror *m);
void dcdmirror_resume(struct dcdmirror *m);
int dcdmirror_io_init(struct dcdmirror *m);
void dcdmirror_io_exit(struct dcdmirror *m);

void dcdmirror_fg_done(struct dcdmirror_io *io, bool put);

/* dcdmirror_timeout.c */
bool dcdmirror_timed_leg(struct dcdmirror *m, unsigned int i);
void dcdmirror_timeout_add(struct dcdmirror *m, struct bio *bio);
void dcdmirror_timeout_sent(struct bio *bio);
bool dcdmirror_timeout_done(struct dcdmirror *m, struct dcdmirror_clone *c);
void dcdmirror_set_remote_timeout(struct dcdmirror *m, unsigned int ms);
struct dcdmirror_timed_io;

/* A leg's metadata I/O in flight, from dcdmirror_leg_io_start() to its end. */
struct dcdmirror_leg_req {
	struct sync_io plain;		/* a leg without the timeout */
	struct sync_io *s;		/* &plain or the timed I/O's */
	struct dcdmirror_timed_io *t;	/* the remote leg's, with its copy */
	unsigned long sent;		/* jiffies at submission */
	unsigned int leg;
	unsigned int ms;		/* remote_timeout_ms at submission */
	blk_opf_t opf;
	struct page **pages;
	size_t len;
	unsigned int per_page;
};

void dcdmirror_leg_io_start(struct dcdmirror *m, unsigned int i, struct dcdmirror_leg_req *r,
			    blk_opf_t opf, sector_t sector, struct page **pages, size_t len,
			    unsigned int per_page);
int dcdmirror_leg_io_end(struct dcdmirror *m, struct dcdmirror_leg_req *r);
int dcdmirror_leg_io(struct dcdmirror *m, unsigned int i, blk_opf_t opf, sector_t sector,
		     struct page **pages, size_t len, unsigned int per_page);
void dcdmirror_wait_abandoned(struct dcdmirror *m);
void dcdmirror_timeout_init(struct dcdmirror *m);
void dcdmirror_timeout_exit(struct dcdmirror *m);

/* dcdmirror_async.c */
bool dcdmirror_remote_working(struct dcdmirror *m);
bool dcdmirror_async_idle(struct dcdmirror *m);
bool dcdmirror_async_busy(struct dcdmirror *m, sector_t sector,
			  unsigned int nr_sectors);
void dcdmirror_async_start(struct dcdmirror *m, struct dcdmirror_io *io);
void dcdmirror_async_remove(struct dcdmirror *m, struct dcdmirror_io *io);
struct bio *dcdmirror_copy_clone(struct dcdmirror_io *io, unsigned int i, bool behind);
void dcdmirror_async_send(struct dcdmirror *m, struct bio *clone);
void dcdmirror_async_stats(struct dcdmirror *m, u64 *lag, u64 *lag_max,
			   u64 *oldest_us);
void dcdmirror_async_init(struct dcdmirror *m);
void dcdmirror_async_exit(struct dcdmirror *m);

/* dcdmirror_fix.c */
void dcdmirror_fix_queue(struct dcdmirror_io *io);
int dcdmirror_fix_init(struct dcdmirror *m);
void dcdmirror_fix_exit(struct dcdmirror *m);

/* dcdmirror_legs.c */
bool dcdmirror_fail_leg(struct dcdmirror *m, unsigned int i);
u64 dcdmirror_fail_seq(struct dcdmirror *m);
void dcdmirror_release_held(struct dcdmirror *m, u64 seq);
bool dcdmirror_local_in_sync(struct dcdmirror *m);
unsigned int dcdmirror_leg_state(struct dcdmirror_leg *leg);
bool dcdmirror_degraded(struct dcdmirror *m);
int dcdmirror_leg_op(struct dcdmirror_ioc_leg_op *op);
void dcdmirror_leg_counters_sum(struct dcdmirror_leg *leg,
				struct dcdmirror_leg_counters *sum);

/* dcdmirror_gen.c */
void dcdmirror_gen_init(struct dcdmirror *m);
void dcdmirror_gen_new_leg(struct dcdmirror *m, unsigned int i);
void dcdmirror_gen_rotate(struct dcdmirror *m, u32 flags);
void dcdmirror_gen_rebuild(struct dcdmirror *m, unsigned int i);
void dcdmirror_gen_synced(struct dcdmirror *m);
void dcdmirror_gen_from_sb(struct dcdmirror_gen *gen, const struct dcdmirror_sb *sb);
void dcdmirror_gen_to_sb(const struct dcdmirror_gen *gen, struct dcdmirror_sb *sb);
void dcdmirror_gen_of_v3(const struct dcdmirror_sb *sb, const struct dcdmirror_gen *gen,
			 u64 events_cleared, struct dcdmirror_gen *v3);
enum dcdmirror_gen_order dcdmirror_gen_compare(const struct dcdmirror_gen *a,
					       const struct dcdmirror_gen *b,
					       bool unclean);
/*
 * The longest description: "generation " and 16 digits, " since ", a date
 * whose year (a long: gen->time comes from disk) may take 20 characters,
 * " UTC on " and a host name of 31, " (takeover)": 119 bytes and the NUL.
 */
#define DCDMIRROR_GEN_DESC_LEN	128
const char *dcdmirror_gen_describe(const struct dcdmirror_gen *gen, char *buf, size_t len);

/* dcdmirror_bitmap.c */
extern unsigned int dcdmirror_bitmap_delay_ms;
int dcdmirror_bitmap_chunk_shift(sector_t sectors, u32 chunk_bytes, u32 max_bytes,
				 u32 *shift);
int dcdmirror_bitmap_init(struct dcdmirror *m, u32 chunk_shift);
void dcdmirror_bitmap_exit(struct dcdmirror *m);
int dcdmirror_bitmap_read(struct dcdmirror *m, struct block_device *bdev,
			  sector_t sector, bool merge);
int dcdmirror_bitmap_load(struct dcdmirror *m, unsigned int leg, bool merge);
bool dcdmirror_bitmap_start_write(struct dcdmirror *m, struct dcdmirror_io *io);
void dcdmirror_bitmap_end_write(struct dcdmirror *m, struct dcdmirror_io *io);
int dcdmirror_bitmap_flush(struct dcdmirror *m);
void dcdmirror_bitmap_flush_lazy(struct dcdmirror *m);
bool dcdmirror_bitmap_flush_legs(struct dcdmirror *m);
bool dcdmirror_flush_legs_locked(struct dcdmirror *m, int skip, const char *why);
void dcdmirror_bitmap_set_all(struct dcdmirror *m);
void dcdmirror_bitmap_clear_all(struct dcdmirror *m);
void dcdmirror_bitmap_allow_clear(struct dcdmirror *m, bool ok);
u64 dcdmirror_bitmap_weight(struct dcdmirror *m);
void dcdmirror_bitmap_lock_chunk(struct dcdmirror *m, u64 chunk);
void dcdmirror_bitmap_unlock_chunk(struct dcdmirror *m);
void dcdmirror_bitmap_lock_range(struct dcdmirror *m, u64 first, u64 last);
void dcdmirror_bitmap_unlock_range(struct dcdmirror *m);
void dcdmirror_bitmap_synced(struct dcdmirror *m, u64 chunk);
void dcdmirror_bitmap_clear_synced(struct dcdmirror *m, unsigned int leg);
void dcdmirror_bitmap_set_from(struct dcdmirror *m, u64 chunk);
bool dcdmirror_bitmap_next(struct dcdmirror *m, u64 *chunk);

/* dcdmirror_al.c */
int dcdmirror_al_init(struct dcdmirror *m);
void dcdmirror_al_exit(struct dcdmirror *m);
bool dcdmirror_al_room(struct dcdmirror *m, struct dcdmirror_io *io);
enum dcdmirror_al_entry dcdmirror_al_enter(struct dcdmirror *m, struct dcdmirror_io *io);
void dcdmirror_al_queue(struct dcdmirror *m, struct dcdmirror_io *io);
void dcdmirror_al_leave(struct dcdmirror *m, struct dcdmirror_io *io);
void dcdmirror_al_write_clean(struct dcdmirror *m);
void dcdmirror_al_mark_inflight(struct dcdmirror *m);
int dcdmirror_al_read(struct dcdmirror *m, unsigned int i, const struct dcdmirror_sb *sb,
		      bool replay);
void dcdmirror_al_stats(struct dcdmirror *m, struct dcdmirror_al_stats *st);

/* dcdmirror_resync.c */
void dcdmirror_resync_new(struct dcdmirror *m, bool full);
int dcdmirror_resync_init(struct dcdmirror *m);
void dcdmirror_resync_exit(struct dcdmirror *m);
void dcdmirror_resync_kick(struct dcdmirror *m);
bool dcdmirror_resync_active(struct dcdmirror *m);
void dcdmirror_resync_progress(struct dcdmirror *m,
			       struct dcdmirror_resync_stats *rs, u64 *speed,
			       u64 *eta);
int dcdmirror_sync_io(struct dcdmirror *m, unsigned int i, sector_t sector,
		      unsigned int sectors, struct page **pages, blk_opf_t opf);
bool dcdmirror_resync_sleep(struct dcdmirror *m, unsigned int ms);
bool dcdmirror_resync_throttle(struct dcdmirror *m, unsigned long *mark,
			       u64 *mark_bytes, unsigned int *rate, u64 bytes);

/* dcdmirror_check.c */
int dcdmirror_check_start(unsigned int index, u32 flags);
bool dcdmirror_check_pending(struct dcdmirror *m);
bool dcdmirror_check_busy(struct dcdmirror *m);
void dcdmirror_check_run(struct dcdmirror *m);
void dcdmirror_check_progress(struct dcdmirror *m, struct dcdmirror_check_stats *cs,
			      u64 *speed, u64 *eta);

/* dcdmirror_sb.c */
int dcdmirror_sb_init(struct dcdmirror *m, struct dcdmirror_ioc_create *c);
int dcdmirror_sb_assemble(struct dcdmirror *m, struct dcdmirror_ioc_create *c);
int dcdmirror_sb_write(struct dcdmirror *m, u32 state);
/* How a leg being added is rebuilt (dcdmirror_sb_check_leg()). */
struct dcdmirror_add {
	bool by_bitmap;			/* else every chunk is copied */
	bool merge_bits;		/* its own bits are added to the array's */
	bool discarded;			/* split brain: its writes are thrown away */
	u64 events;			/* its superblock's */
	u64 id;				/* its leg id, 0 if none */
	struct dcdmirror_gen gen;	/* its generation, kept while rebuilt */
};

int dcdmirror_sb_check_leg(struct dcdmirror *m, unsigned int i, struct block_device *bdev,
			   bool discard, struct dcdmirror_add *add, char *err);
void dcdmirror_sb_work(struct work_struct *work);
void dcdmirror_sb_exit(struct dcdmirror *m);

/* dcdmirror_main.c */
#define DCDMIRROR_LEG_MODE	(FMODE_READ | FMODE_WRITE | FMODE_EXCL)
__printf(2, 3)
void dcdmirror_create_err(struct dcdmirror_ioc_create *c, const char *fmt, ...);
struct dcdmirror *dcdmirror_find(unsigned int index);
int dcdmirror_create(struct dcdmirror_ioc_create *c);
int dcdmirror_stop(unsigned int index, u32 flags);
void dcdmirror_resync_done(void);
int dcdmirror_wait(unsigned int index);
int dcdmirror_set(struct dcdmirror_ioc_set *set);
void dcdmirror_set_mode(struct dcdmirror *m, unsigned int mode);

/* dcdmirror_sysfs.c */
extern const struct attribute_group *dcdmirror_attr_groups[];
extern const char *const dcdmirror_mode_names[];
u64 dcdmirror_lat_avg_us(struct dcdmirror_leg_counters *sum);
int dcdmirror_proc_init(void);
void dcdmirror_proc_exit(void);

/* dcdmirror_events.c */
void dcdmirror_event_init(unsigned int index, struct event *e, const char *name,
			  const char *attr);
void dcdmirror_event_add_leg(struct event *e, const struct dcdmirror_leg *leg);
void dcdmirror_event_post(struct dcdmirror *m, const struct event *e);
void dcdmirror_events_init(struct dcdmirror *m);
void dcdmirror_events_start(struct dcdmirror *m);
void dcdmirror_events_stop(struct dcdmirror *m);
struct miscdevice;
void dcdmirror_ctl_event_post(const struct event *e);
void dcdmirror_ctl_events_init(void);
void dcdmirror_ctl_events_start(struct miscdevice *misc);
void dcdmirror_ctl_events_stop(void);

/* dcdmirror_ctl.c */
int dcdmirror_get_info(struct dcdmirror_ioc_info *info);
int dcdmirror_ctl_init(void);
void dcdmirror_ctl_exit(void);

#endif /* DCDMIRROR_H */
