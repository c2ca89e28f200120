/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks of untrusted fields: the reserved parts of ioctl structs, and the
 * crc32c of an on-disk block computed with its checksum field set to zero.
 */
#ifndef DCDMIRROR_KERNEL_FIELDS_H
#define DCDMIRROR_KERNEL_FIELDS_H

#include <linux/crc32.h>
#include <linux/string.h>
#include <linux/types.h>

/* Reserved fields must be zero on input. */
static inline bool fields_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/*
 * crc32c (seed ~0, no final xor) of the len bytes at block, with the
 * little-endian 32-bit checksum field at *field counted as zero; the field
 * keeps its value.
 */
static inline u32 crc32c_field_zeroed(void *block, size_t len, __le32 *field)
{
	__le32 saved = *field;
	u32 crc;

	*field = 0;
	crc = __crc32c_le(~0U, block, len);
	*field = saved;
	return crc;
}

#endif /* DCDMIRROR_KERNEL_FIELDS_H */
