/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dcdctl: shared helpers of the command front end (dcdctl.c) and the verbs of
 * each device kind (mirror.c for /dev/dcdmirrorN, dcd.c for /dev/dcdN).
 */
#ifndef DCDCTL_H
#define DCDCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DCDCTL_MAX_ARGS 16

/* Print "dcdctl: <message>" as one line on stderr. Returns 1 (an exit status). */
int dcdctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * One option of a verb. "--name VALUE" and "--name=VALUE" are both accepted
 * when takes_value is set; otherwise the option is a flag and *flag is set.
 */
struct dcdctl_opt {
	const char *name;	/* without the leading "--" */
	bool takes_value;
	const char **value;	/* where the value goes (takes_value) */
	bool *flag;		/* set when given (!takes_value) */
};

/*
 * Parse argv[0..argc) into options (terminated by an entry with name NULL) and
 * up to max_pos positional words. Prints an error and returns -1 on an
 * unknown option, a missing value or too many positional words.
 */
int dcdctl_parse(int argc, char **argv, const struct dcdctl_opt *opts,
		 const char **pos, int max_pos, int *npos);

/* "64K", "32M", "1G", "4096", "512s" (sectors) -> bytes. -1 on bad input. */
int dcdctl_parse_size(const char *s, uint64_t *bytes);
/* A plain non-negative decimal integer no larger than max. -1 on bad input. */
int dcdctl_parse_uint(const char *s, uint64_t max, uint64_t *val);

/*
 * Check that path exists and is a block device; on success fill *rdev.
 * Prints "PATH: No such file or directory" / "PATH: not a block device".
 */
int dcdctl_blockdev(const char *path, dev_t *rdev);

/*
 * Match a device name "/dev/<prefix>N" or "<prefix>N" with N a decimal number
 * (no leading zeros, at most 255). Returns 0 and sets *index, or -1.
 */
int dcdctl_dev_index(const char *name, const char *prefix, unsigned int *index);

/* Open a control device (e.g. /dev/dcdmirror-control), with a clear error. */
int dcdctl_open_control(const char *path, const char *module);

/*
 * The device node of block device maj:min as sysfs names it ("/dev/vdb"),
 * or "maj:min" when it is unknown. buf of at least 64 bytes.
 */
const char *dcdctl_dev_name(unsigned int maj, unsigned int min, char *buf,
			    size_t len);

/*
 * crc32c as the kernel's __crc32c_le(crc, ...) of the on-disk formats:
 * reflected, no final xor (the formats start from ~0).
 */
uint32_t dcdctl_crc32c(uint32_t crc, const void *buf, size_t len);

/* The 16 bytes of a uuid as 8-4-4-4-12 hex digits; buf of at least 37 bytes. */
const char *dcdctl_uuid(const uint8_t *uuid, char *buf);

/* Human-readable bytes: "64.0 MiB". buf of at least 32 bytes. */
const char *dcdctl_human(uint64_t bytes, char *buf, size_t len);

/* Verbs per device kind: argv holds what follows the device name. */
int mirror_main(const char *verb, const char *dev, int argc, char **argv);
int dcd_main(const char *verb, const char *dev, int argc, char **argv);

/*
 * examine: print the superblock of a device, as JSON with json. Returns 0
 * when printed, 1 when the device carries no superblock of this kind, or an
 * exit status > 1 on error (already printed).
 */
int mirror_examine(const char *path, bool json);
int dcd_examine(const char *path, bool json);

/*
 * The values of the mirror options (mirror.c), for create, assemble, set
 * and the configuration file: 0, or 1 when bad (said, after "WHERE: ",
 * the verb or FILE:LINE). parse_max_lag wants *kib and *ms zero.
 */
int parse_mode(const char *where, const char *s, uint32_t *mode);
int parse_max_lag(const char *where, const char *s, uint32_t *kib, uint32_t *ms);
int parse_async_flush(const char *where, const char *s, uint32_t *flags);
int parse_remote_timeout(const char *where, const char *s, uint32_t *ms);
int parse_rate(const char *where, const char *s, uint64_t *kib);

/*
 * The superblock at the end of the leg open as fd, read as examine reads
 * it (past the page cache the driver writes around): 0, or 1 when there is
 * none (its magic; the checksum is not checked).
 */
struct dcdmirror_sb;
int mirror_read_sb(int fd, struct dcdmirror_sb *sb);

/* monitor: the events of every device (monitor.c); argv after the verb */
int monitor_main(int argc, char **argv);

extern const char mirror_usage[];
extern const char dcd_usage[];
extern const char monitor_usage[];

const char *dcdctl_time_str(uint64_t secs, char *buf, size_t len);

#endif /* DCDCTL_H */
