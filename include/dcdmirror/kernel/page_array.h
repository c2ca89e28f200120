/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Arrays of single pages: the I/O buffers of RAM buffers, destage, resync,
 * read fixes, checks and bitmaps. Each page is zeroed.
 */
#ifndef DCDMIRROR_KERNEL_PAGE_ARRAY_H
#define DCDMIRROR_KERNEL_PAGE_ARRAY_H

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

/* Also for an array page_array_alloc() left partly filled. */
static inline void page_array_free(struct page **pages, unsigned int n)
{
	unsigned int i;

	if (!pages)
		return;
	for (i = 0; i < n; i++)
		if (pages[i])
			__free_page(pages[i]);
	kvfree(pages);
}

/* n zeroed pages, or NULL. Process context. */
static inline struct page **page_array_alloc(unsigned int n)
{
	struct page **pages = kvcalloc(n, sizeof(*pages), GFP_KERNEL);
	unsigned int i;

	if (!pages)
		return NULL;
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!pages[i]) {
			page_array_free(pages, n);
			return NULL;
		}
	}
	return pages;
}

/* Are the first bytes of two page arrays equal? */
static inline bool page_array_equal(struct page **a, struct page **b, size_t bytes)
{
	bool equal = true;
	unsigned int i;

	for (i = 0; bytes && equal; i++) {
		size_t len = min_t(size_t, bytes, PAGE_SIZE);
		void *pa = kmap_local_page(a[i]);
		void *pb = kmap_local_page(b[i]);

		equal = !memcmp(pa, pb, len);
		kunmap_local(pb);
		kunmap_local(pa);
		bytes -= len;
	}
	return equal;
}

#endif /* DCDMIRROR_KERNEL_PAGE_ARRAY_H */
