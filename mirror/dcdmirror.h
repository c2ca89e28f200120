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
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/dcdmirror.h>

/* Per-leg counters, shown by GET_INFO; atomic so that completions need no lock. */
struct dcdmirror_leg_stats {
	atomic64_t reads;
	atomic64_t writes;
	atomic64_t read_bytes;
	atomic64_t write_bytes;
	atomic64_t errors;
};

/* dcdmirror_leg.flags bits */
enum {
	DCDMIRROR_LEG_FAULTY_BIT,	/* I/O no longer sent to it */
};

struct dcdmirror_leg {
	struct block_device *bdev;	/* claimed exclusively, NULL if none */
	dev_t dev;
	sector_t sb_sector;		/* with a superblock */
	unsigned int role;		/* DCDMIRROR_ROLE_* */
	unsigned long flags;
	struct dcdmirror_leg_stats stats;
};

struct dcdmirror {
	unsigned int index;
	unsigned int mode;		/* DCDMIRROR_MODE_* */
	struct list_head node;		/* in dcdmirror_devices */
	struct gendisk *disk;
	sector_t sectors;		/* array size */
	unsigned int nr_legs;
	struct dcdmirror_leg legs[DCDMIRROR_MAX_LEGS];

	/* open_lock protects open_count and dying */
	spinlock_t open_lock;
	unsigned int open_count;
	bool dying;			/* stop has begun: refuse opens */

	/* state_lock serializes marking a leg faulty (never the last one) */
	spinlock_t state_lock;
	/* records a failed leg in the superblocks of the others */
	struct work_struct sb_work;

	/* superblock state; sb_lock serializes superblock writes */
	struct mutex sb_lock;
	bool has_sb;
	bool unclean;			/* assembled from an ACTIVE superblock */
	u8 uuid[16];
	u64 events;
	u64 ctime;
	struct page *sb_page;		/* I/O buffer of superblock writes */

	atomic_t inflight;		/* master bios not yet completed */
	wait_queue_head_t inflight_wait;

	mempool_t io_pool;		/* struct dcdmirror_io */
	struct bio_set bs;		/* clones, front_pad dcdmirror_clone */
};

/*
 * State of one bio submitted to the array while its clones are out. Writes
 * complete the master bio when the last leg has answered (lock-step).
 */
struct dcdmirror_io {
	struct dcdmirror *m;
	struct bio *master;
	unsigned long start_time;	/* for I/O accounting */
	atomic_t remaining;		/* clones not yet completed */
	blk_status_t status;		/* first error; updated with cmpxchg */
	bool done_ok;			/* a leg completed it */
	bool hard_error;		/* a leg failed it and is not faulty */
	unsigned int read_leg;		/* reads: the leg asked */
	struct work_struct retry;	/* a failed read, sent to another leg */
};

/* Front pad of each clone: which leg it went to, for the completion path. */
struct dcdmirror_clone {
	struct dcdmirror_io *io;
	unsigned int leg;
	struct bio bio;			/* must be last */
};

/*
 * Lock order: dcdmirror_devices_lock, then disk->open_mutex (taken by the
 * block layer around ->open), then dcdmirror.open_lock.
 */
extern struct mutex dcdmirror_devices_lock;
extern struct list_head dcdmirror_devices;

/* dcdmirror_io.c */
extern struct workqueue_struct *dcdmirror_wq;
void dcdmirror_submit_bio(struct bio *bio);
int dcdmirror_io_init(struct dcdmirror *m);
void dcdmirror_io_exit(struct dcdmirror *m);

/* dcdmirror_sb.c */
int dcdmirror_sb_init(struct dcdmirror *m, struct dcdmirror_ioc_create *c);
int dcdmirror_sb_assemble(struct dcdmirror *m, struct dcdmirror_ioc_create *c);
int dcdmirror_sb_write(struct dcdmirror *m, u32 state);
void dcdmirror_sb_work(struct work_struct *work);
void dcdmirror_sb_exit(struct dcdmirror *m);

/* dcdmirror_main.c */
__printf(2, 3)
void dcdmirror_create_err(struct dcdmirror_ioc_create *c, const char *fmt, ...);
unsigned int dcdmirror_leg_state(struct dcdmirror_leg *leg);
struct dcdmirror *dcdmirror_find(unsigned int index);
int dcdmirror_create(struct dcdmirror_ioc_create *c);
int dcdmirror_stop(unsigned int index);
int dcdmirror_get_info(struct dcdmirror_ioc_info *info);

/* dcdmirror_ctl.c */
int dcdmirror_ctl_init(void);
void dcdmirror_ctl_exit(void);

#endif /* DCDMIRROR_H */
