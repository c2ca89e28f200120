/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synchronous I/O of page arrays, for metadata, recovery, destage and resync:
 * any number of bios go out together and the caller waits for all of them.
 * The status is the last error any of them had. Process context only.
 */
#ifndef DCDMIRROR_KERNEL_SYNC_IO_H
#define DCDMIRROR_KERNEL_SYNC_IO_H

#include <linux/atomic.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/minmax.h>

struct sync_io {
	atomic_t pending;	/* bios out, plus one for the submitter */
	blk_status_t status;
	struct completion done;
	bio_end_io_t *end_io;	/* the bios' (sync_io_endio() unless set) */
};

static inline void sync_io_endio(struct bio *bio);

static inline void sync_io_init(struct sync_io *s)
{
	atomic_set(&s->pending, 1);
	s->status = BLK_STS_OK;
	init_completion(&s->done);
	s->end_io = sync_io_endio;
}

static inline void sync_io_endio(struct bio *bio)
{
	struct sync_io *s = bio->bi_private;

	if (bio->bi_status)
		WRITE_ONCE(s->status, bio->bi_status);
	bio_put(bio);
	if (atomic_dec_and_test(&s->pending))
		complete(&s->done);
}

/* Send bio as part of s; it is put when it completes. */
static inline void sync_io_submit(struct sync_io *s, struct bio *bio)
{
	bio->bi_end_io = s->end_io;
	bio->bi_private = s;
	atomic_inc(&s->pending);
	submit_bio(bio);
}

/* Wait for every bio of s: 0 or the errno of the last error. */
static inline int sync_io_wait(struct sync_io *s)
{
	if (!atomic_dec_and_test(&s->pending))
		wait_for_completion_io(&s->done);
	return blk_status_to_errno(READ_ONCE(s->status));
}

/*
 * Add the I/O of len bytes at sector to s: the first per_page bytes of each
 * of pages[] in turn (a 4096-byte block per page, or PAGE_SIZE), the last
 * page possibly in part; in bios of at most BIO_MAX_VECS pages.
 */
static inline void sync_io_add_pages(struct sync_io *s, struct block_device *bdev,
				     blk_opf_t opf, sector_t sector,
				     struct page **pages, size_t len,
				     unsigned int per_page)
{
	while (len) {
		unsigned int nr = min_t(size_t, DIV_ROUND_UP(len, per_page), BIO_MAX_VECS);
		/* GFP_NOIO from fs_bio_set: waits for memory, cannot fail */
		struct bio *bio = bio_alloc(bdev, nr, opf, GFP_NOIO);
		unsigned int i;

		bio->bi_iter.bi_sector = sector;
		for (i = 0; i < nr; i++) {
			unsigned int n = min_t(size_t, len, per_page);

			__bio_add_page(bio, pages[i], n, 0);
			len -= n;
			sector += n >> SECTOR_SHIFT;
		}
		pages += nr;
		sync_io_submit(s, bio);
	}
}

/* Synchronous I/O of len bytes from or to pages (see sync_io_add_pages()). */
static inline int sync_io_pages(struct block_device *bdev, blk_opf_t opf,
				sector_t sector, struct page **pages, size_t len,
				unsigned int per_page)
{
	struct sync_io s;

	sync_io_init(&s);
	sync_io_add_pages(&s, bdev, opf, sector, pages, len, per_page);
	return sync_io_wait(&s);
}

#endif /* DCDMIRROR_KERNEL_SYNC_IO_H */
