// SPDX-License-Identifier: GPL-2.0
/*
 * dcdctl: verbs of dcd (disk caching disk) devices, /dev/dcdN, through
 * ioctls on /dev/dcd-control.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <uapi/dcdmirror/dcd.h>
#include <dcdmirror/dcd_format.h>

#include "dcdctl.h"
#include "out.h"

#define CONTROL "/dev/" DCD_CONTROL_NAME

const char dcd_usage[] =
	"DCD DEVICES (/dev/dcdN)\n"
	"    dcdctl create /dev/dcdN --cache DEV --data DEV [--buffer SIZE]\n"
	"           [--mode safe|nvram] [--idle-ms N] [--max-age-ms N]\n"
	"           [--high-watermark P] [--bypass SIZE|off] [--force] [--discard-dirty]\n"
	"        Format DEV given as --cache (superblock and circular log) and start\n"
	"        /dev/dcdN over the data disk. Writes are copied into a RAM buffer of\n"
	"        SIZE (default 32M, a ring of 8 buffers) and completed; a buffer is\n"
	"        written to the log as one segment when the cache disk is idle, when\n"
	"        it is 3/4 full, when its oldest data is --max-age-ms old (default\n"
	"        100) or on a flush; while a segment is being written, once it is\n"
	"        full. Logged data is destaged to the data disk after\n"
	"        --idle-ms (default 200) of data disk idleness, or at once while the\n"
	"        log is more than P percent full (--high-watermark, default 50).\n"
	"        From halfway between P and a full log, writes are slowed down\n"
	"        gradually (up to 5 ms apart) so that destaging keeps up.\n"
	"        Writes of --bypass SIZE or more (default 1M; off: never) go to the\n"
	"        data disk directly. The device has 4096-byte logical blocks.\n"
	"        A cache disk that holds a dcd superblock is only formatted with\n"
	"        --force: its log may hold data not yet on the data disk. The data\n"
	"        disk's first 4 KiB become its header (the device starts after it),\n"
	"        which says while the log holds newer data for it (dirty): a\n"
	"        dirty data disk is refused, as its newest data is in its cache\n"
	"        disk's log (assemble it), unless --discard-dirty gives that data\n"
	"        up. A clean one keeps its data under the new cache disk.\n"
	"        --mode safe (default): a flush or FUA write completes once all\n"
	"        earlier writes are in the log and the cache disk has flushed.\n"
	"        --mode nvram: flushes complete at once; only safe when the RAM\n"
	"        buffer survives power loss (real NVRAM or a UPS).\n"
	"    dcdctl assemble /dev/dcdN --cache DEV --data DEV [--force]\n"
	"        Start /dev/dcdN from the cache disk: the log is scanned from its\n"
	"        tail and every intact segment is found again. After a clean stop\n"
	"        the log must reach where the stop left it; if a damaged cache\n"
	"        disk ends it earlier, assemble is refused, and --force accepts\n"
	"        the loss of the segments from there on.\n"
	"    dcdctl detail /dev/dcdN [--json]\n"
	"        Show configuration, buffer and log occupancy and statistics; with\n"
	"        --json, as JSON.\n"
	"    dcdctl flush /dev/dcdN\n"
	"        Log the buffer, destage the whole log to the data disk and wait.\n"
	"    dcdctl stop /dev/dcdN [--no-log]\n"
	"        Log the buffer and stop; the log is kept and found by assemble.\n"
	"        A stop that leaves nothing in the cache (after flush) marks the\n"
	"        data disk clean: it then holds the whole device, from its block 1.\n"
	"        --no-log drops the buffer and leaves the superblock marked active,\n"
	"        as a power loss would (a test hook).\n"
	"    dcdctl examine DEV [--json]\n"
	"        Print the dcd superblock of a cache disk (the newer of its two\n"
	"        copies), or the header of a data disk (clean or dirty); with\n"
	"        --json, as JSON.\n";

static int open_ctl(void)
{
	return dcdctl_open_control(CONTROL, "dcd.ko");
}

static int dev_number(const char *dev, uint32_t *index)
{
	unsigned int i;

	if (dcdctl_dev_index(dev, "dcd", &i))
		return dcdctl_err("%s: not a dcd device name", dev);
	*index = i;
	return 0;
}

/* Device number from the name, then the options (no positional words). */
static int dcd_verb_args(const char *dev, int argc, char **argv,
			 const struct dcdctl_opt *opts, uint32_t *index)
{
	const char *pos[1];
	int npos;

	if (dev_number(dev, index))
		return -1;
	return dcdctl_parse(argc, argv, opts, pos, 0, &npos);
}

static int parse_u32_opt(const char *name, const char *s, uint64_t min,
			 uint64_t max, uint32_t *out)
{
	uint64_t v;

	if (dcdctl_parse_uint(s, max, &v) || v < min)
		return dcdctl_err("--%s '%s': expected a whole number from %" PRIu64
				  " to %" PRIu64, name, s, min, max);
	*out = (uint32_t)v;
	return 0;
}

/* Claimed by someone else: O_EXCL on a block device fails with EBUSY. */
static bool busy(const char *path)
{
	int fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);

	if (fd < 0)
		return errno == EBUSY;
	close(fd);
	return false;
}

/* A dcd superblock (checked by magic) at the start of path. */
/* Does path carry a dcd superblock (either copy)? */
static bool has_sb(const char *path)
{
	struct dcd_sb sb[DCD_SB_COPIES];
	bool found;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	found = pread(fd, sb, sizeof(sb), 0) == (ssize_t)sizeof(sb) &&
		(le64toh(sb[0].magic) == DCD_SB_MAGIC || le64toh(sb[1].magic) == DCD_SB_MAGIC);
	close(fd);
	return found;
}

static int dcd_create_verb(const char *verb, const char *dev, int argc,
			   char **argv, bool format)
{
	const char *cache = NULL, *data = NULL, *buffer = NULL, *mode = NULL;
	const char *idle = NULL, *age = NULL, *hwm = NULL, *bypass = NULL;
	bool force = false, discard_dirty = false;
	const struct dcdctl_opt opts[] = {
		{ "force", false, NULL, &force },
		{ "discard-dirty", false, NULL, &discard_dirty },
		{ "cache", true, &cache, NULL },
		{ "data", true, &data, NULL },
		{ "buffer", true, &buffer, NULL },
		{ "mode", true, &mode, NULL },
		{ "idle-ms", true, &idle, NULL },
		{ "max-age-ms", true, &age, NULL },
		{ "high-watermark", true, &hwm, NULL },
		{ "bypass", true, &bypass, NULL },
		{ NULL, false, NULL, NULL },
	};
	struct dcd_ioc_create c;
	dev_t cdev, ddev;
	uint64_t v;
	int fd, ret;

	memset(&c, 0, sizeof(c));
	c.version = DCD_IOCTL_VERSION;
	c.size = sizeof(c);
	if (dcd_verb_args(dev, argc, argv, opts, &c.index))
		return 1;
	if (!cache || !data)
		return dcdctl_err("%s: --cache and --data are required", verb);
	if (!format && (buffer || mode || idle || age || hwm || bypass || discard_dirty))
		return dcdctl_err("assemble: only --cache, --data and --force apply; the rest is in the superblock");
	if (dcdctl_blockdev(cache, &cdev) || dcdctl_blockdev(data, &ddev))
		return 1;
	if (cdev == ddev)
		return dcdctl_err("%s: cache and data disk are the same device (%s)", verb, cache);
	c.cache_major = major(cdev);
	c.cache_minor = minor(cdev);
	c.data_major = major(ddev);
	c.data_minor = minor(ddev);
	if (!format && force)
		c.flags = DCD_CREATE_FORCE;
	if (format) {
		c.flags = DCD_CREATE_FORMAT | (discard_dirty ? DCD_CREATE_DISCARD_DIRTY : 0);
		c.buffer_bytes = 32ULL << 20;
		c.idle_ms = 200;
		c.max_age_ms = 100;
		c.high_watermark = 50;
		if (buffer && (dcdctl_parse_size(buffer, &v) || v < DCD_BUFFER_MIN ||
			       v > DCD_BUFFER_MAX || v % 8192))
			return dcdctl_err("--buffer '%s': expected a multiple of 8K from 64K to 1G",
					  buffer);
		if (buffer)
			c.buffer_bytes = v;
		if (mode) {
			if (!strcmp(mode, "safe"))
				c.mode = DCD_MODE_SAFE;
			else if (!strcmp(mode, "nvram"))
				c.mode = DCD_MODE_NVRAM;
			else
				return dcdctl_err("--mode '%s': expected safe or nvram", mode);
		}
		if (idle && parse_u32_opt("idle-ms", idle, 1, DCD_IDLE_MS_MAX, &c.idle_ms))
			return 1;
		if (age && parse_u32_opt("max-age-ms", age, DCD_MAX_AGE_MS_MIN,
					 DCD_MAX_AGE_MS_MAX, &c.max_age_ms))
			return 1;
		if (hwm && parse_u32_opt("high-watermark", hwm, DCD_WATERMARK_MIN,
					 DCD_WATERMARK_MAX, &c.high_watermark))
			return 1;
		if (bypass) {
			if (!strcmp(bypass, "off"))
				c.bypass_bytes = ~0ULL;
			else if (dcdctl_parse_size(bypass, &v) || v < 4096 ||
				 v == UINT64_MAX)
				return dcdctl_err("--bypass '%s': expected a size of at least 4K, or off",
						  bypass);
			else
				c.bypass_bytes = v;
		}
	}
	if (busy(cache) || busy(data))
		return dcdctl_err("%s %s: %s is in use (mounted, or part of another device)",
				  verb, dev, busy(cache) ? cache : data);
	if (format && !force && has_sb(cache))
		return dcdctl_err("create: %s holds a dcd superblock (assemble it, or give --force to format it anyway)",
				  cache);
	fd = open_ctl();
	if (fd < 0)
		return 1;
	ret = ioctl(fd, DCD_IOC_CREATE, &c);
	close(fd);
	if (ret) {
		c.error[sizeof(c.error) - 1] = 0;
		if (c.error[0])
			return dcdctl_err("%s %s: %s", verb, dev, c.error);
		return dcdctl_err("%s %s: %s", verb, dev, strerror(errno));
	}
	return 0;
}

static int dcd_simple(const char *verb, const char *dev, int argc, char **argv,
		      unsigned long cmd)
{
	bool no_log = false;
	const struct dcdctl_opt stop_opts[] = {
		{ "no-log", false, NULL, &no_log },
		{ NULL, false, NULL, NULL },
	};
	const struct dcdctl_opt none[] = { { NULL, false, NULL, NULL } };
	struct dcd_ioc_dev d;
	int fd, ret;

	memset(&d, 0, sizeof(d));
	d.version = DCD_IOCTL_VERSION;
	d.size = sizeof(d);
	if (dcd_verb_args(dev, argc, argv,
			  cmd == DCD_IOC_STOP ? stop_opts : none, &d.index))
		return 1;
	if (no_log)
		d.flags = DCD_STOP_NO_LOG;
	fd = open_ctl();
	if (fd < 0)
		return 1;
	ret = ioctl(fd, cmd, &d);
	close(fd);
	if (!ret)
		return 0;
	switch (errno) {
	case ENODEV:
		return dcdctl_err("%s %s: no such dcd device", verb, dev);
	case EBUSY:
		return dcdctl_err("%s %s: device is open (mounted or in use)", verb, dev);
	case EIO:
		return dcdctl_err("%s %s: I/O error (see the kernel log)", verb, dev);
	default:
		return dcdctl_err("%s %s: %s", verb, dev, strerror(errno));
	}
}

static int pct(uint64_t part, uint64_t whole)
{
	return whole ? (int)(part * 100 / whole) : 0;
}

/* The fields of a "Tunables:" line; bypass 0 is off, null in JSON. */
static void out_tunables(struct out *o, uint32_t idle_ms, uint32_t max_age_ms,
			 uint32_t high_watermark, uint64_t bypass_bytes)
{
	out_u64(o, "idle_ms", idle_ms);
	out_u64(o, "max_age_ms", max_age_ms);
	out_u64(o, "high_watermark", high_watermark);
	if (bypass_bytes)
		out_u64(o, "bypass_bytes", bypass_bytes);
	else
		out_null(o, "bypass_bytes");
}

static int dcd_detail(const char *dev, int argc, char **argv)
{
	bool json = false;
	const struct dcdctl_opt opts[] = {
		{ "json", false, NULL, &json },
		{ NULL, false, NULL, NULL },
	};
	struct dcd_ioc_detail d;
	char h1[32], h2[32], n1[160], n2[160];
	struct out o;
	int fd, ret;

	memset(&d, 0, sizeof(d));
	d.version = DCD_IOCTL_VERSION;
	d.size = sizeof(d);
	if (dcd_verb_args(dev, argc, argv, opts, &d.index))
		return 1;
	fd = open_ctl();
	if (fd < 0)
		return 1;
	ret = ioctl(fd, DCD_IOC_DETAIL, &d);
	close(fd);
	if (ret) {
		if (errno == ENODEV)
			return dcdctl_err("detail %s: no such dcd device", dev);
		return dcdctl_err("detail %s: %s", dev, strerror(errno));
	}
	out_init(&o, stdout, json);
	out_begin(&o, "dcd", "device", dev);
	out_text(&o, "             Mode : %s\n", d.mode == DCD_MODE_NVRAM ? "nvram" : "safe");
	out_str(&o, "mode", d.mode == DCD_MODE_NVRAM ? "nvram" : "safe");
	out_text(&o, "            State : %s\n",
		 d.flags & DCD_DETAIL_FAILED ? "failed" :
		 d.flags & DCD_DETAIL_UNCLEAN ? "active, unclean start" : "active");
	out_str(&o, "state", d.flags & DCD_DETAIL_FAILED ? "failed" : "active");
	out_bool(&o, "unclean_start", d.flags & DCD_DETAIL_UNCLEAN);
	out_text(&o, "       Cache disk : %s\n",
		 dcdctl_dev_name(d.cache_major, d.cache_minor, n1, sizeof(n1)));
	out_str(&o, "cache_disk", n1);
	out_u64(&o, "cache_major", d.cache_major);
	out_u64(&o, "cache_minor", d.cache_minor);
	out_text(&o, "        Data disk : %s\n",
		 dcdctl_dev_name(d.data_major, d.data_minor, n2, sizeof(n2)));
	out_str(&o, "data_disk", n2);
	out_u64(&o, "data_major", d.data_major);
	out_u64(&o, "data_minor", d.data_minor);
	out_text(&o, "             Size : %s (%" PRIu64 " bytes, 4096-byte blocks)\n",
		 dcdctl_human(d.size_bytes, h1, sizeof(h1)), (uint64_t)d.size_bytes);
	out_u64(&o, "size_bytes", d.size_bytes);
	out_u64(&o, "logical_block_size", 4096);
	out_text(&o, "           Buffer : %s used of %s\n",
		 dcdctl_human(d.buffer_used_bytes, h1, sizeof(h1)),
		 dcdctl_human(d.buffer_bytes, h2, sizeof(h2)));
	out_u64(&o, "buffer_used_bytes", d.buffer_used_bytes);
	out_u64(&o, "buffer_bytes", d.buffer_bytes);
	out_text(&o, "              Log : %s used of %s (%d%%)\n",
		 dcdctl_human(d.log_used_bytes, h1, sizeof(h1)),
		 dcdctl_human(d.log_bytes, h2, sizeof(h2)),
		 pct(d.log_used_bytes, d.log_bytes));
	out_u64(&o, "log_used_bytes", d.log_used_bytes);
	out_u64(&o, "log_bytes", d.log_bytes);
	out_u64(&o, "log_used_percent", (uint64_t)pct(d.log_used_bytes, d.log_bytes));
	out_text(&o, "            Dirty : %s\n", dcdctl_human(d.dirty_bytes, h1, sizeof(h1)));
	out_u64(&o, "dirty_bytes", d.dirty_bytes);
	out_text(&o, "     Log sequence : tail %" PRIu64 ", next %" PRIu64 "\n",
		 (uint64_t)d.tail_seq, (uint64_t)d.head_seq);
	out_u64(&o, "tail_seq", d.tail_seq);
	out_u64(&o, "head_seq", d.head_seq);
	out_text(&o, "          Tunables: idle-ms %u, max-age-ms %u, high-watermark %u%%, bypass %s\n",
		 d.idle_ms, d.max_age_ms, d.high_watermark,
		 d.bypass_bytes ? dcdctl_human(d.bypass_bytes, h1, sizeof(h1)) : "off");
	out_tunables(&o, d.idle_ms, d.max_age_ms, d.high_watermark, d.bypass_bytes);
	out_text(&o, " Segments written : %" PRIu64 " (%s)\n", (uint64_t)d.segments_written,
		 dcdctl_human(d.log_bytes_written, h1, sizeof(h1)));
	out_u64(&o, "segments_written", d.segments_written);
	out_u64(&o, "log_bytes_written", d.log_bytes_written);
	out_text(&o, "         Destaged : %s in %" PRIu64 " batches, %" PRIu64 " idle periods\n",
		 dcdctl_human(d.bytes_destaged, h1, sizeof(h1)),
		 (uint64_t)d.destage_runs, (uint64_t)d.idle_periods);
	out_u64(&o, "destaged_bytes", d.bytes_destaged);
	out_u64(&o, "destage_batches", d.destage_runs);
	out_u64(&o, "idle_periods", d.idle_periods);
	out_text(&o, "        Read hits : buffer %" PRIu64 ", log %" PRIu64 ", data disk %" PRIu64
		 " (4 KiB blocks)\n", (uint64_t)d.read_hits_buffer,
		 (uint64_t)d.read_hits_log, (uint64_t)d.read_hits_data);
	out_u64(&o, "read_hits_buffer", d.read_hits_buffer);
	out_u64(&o, "read_hits_log", d.read_hits_log);
	out_u64(&o, "read_hits_data", d.read_hits_data);
	out_text(&o, "           Writes : %" PRIu64 " (%" PRIu64 " bypassed), average %" PRIu64
		 " ns\n", (uint64_t)d.writes, (uint64_t)d.bypass_writes, (uint64_t)d.write_lat_ns);
	out_u64(&o, "writes", d.writes);
	out_u64(&o, "bypass_writes", d.bypass_writes);
	out_u64(&o, "write_latency_avg_ns", d.write_lat_ns);
	out_text(&o, "  Flushes and FUA : %" PRIu64 ", average %" PRIu64 " us\n",
		 (uint64_t)d.flushes, (uint64_t)(d.flush_lat_ns / 1000));
	out_u64(&o, "flushes", d.flushes);
	out_u64(&o, "flush_latency_avg_ns", d.flush_lat_ns);
	out_text(&o, "     Paced writes : %" PRIu64 ", average wait %" PRIu64
		 " us (log above its pacing point)\n",
		 (uint64_t)d.paced_writes, (uint64_t)(d.pace_wait_ns / 1000));
	out_u64(&o, "paced_writes", d.paced_writes);
	out_u64(&o, "pace_wait_avg_ns", d.pace_wait_ns);
	out_text(&o, "    Longest write : %" PRIu64 " us (in the driver, waits included)\n",
		 (uint64_t)(d.write_lat_max_ns / 1000));
	out_u64(&o, "write_latency_max_ns", d.write_lat_max_ns);
	out_text(&o, "  Waits for room : %" PRIu64 ", average %" PRIu64 " us, longest %" PRIu64
		 " us (buffer full while a segment is written)\n", (uint64_t)d.room_waits,
		 (uint64_t)(d.room_wait_ns / 1000), (uint64_t)(d.room_wait_max_ns / 1000));
	out_u64(&o, "room_waits", d.room_waits);
	out_u64(&o, "room_wait_avg_ns", d.room_wait_ns);
	out_u64(&o, "room_wait_max_ns", d.room_wait_max_ns);
	out_text(&o, "   Destage reads : %" PRIu64 " blocks ahead of segment writes\n",
		 (uint64_t)d.destage_reads_busy);
	out_u64(&o, "destage_reads_busy", d.destage_reads_busy);
	out_text(&o, " Log write ampl. : %.2f (%s logged for %s buffered)\n",
		 d.bytes_buffered ? (double)d.log_bytes_written / d.bytes_buffered : 0.0,
		 dcdctl_human(d.log_bytes_written, h1, sizeof(h1)),
		 dcdctl_human(d.bytes_buffered, h2, sizeof(h2)));
	out_fixed(&o, "log_write_amplification",
		  d.bytes_buffered ? (double)d.log_bytes_written / d.bytes_buffered : 0.0, 2);
	out_u64(&o, "bytes_buffered", d.bytes_buffered);
	return out_end(&o);
}

int dcd_main(const char *verb, const char *dev, int argc, char **argv)
{
	if (!strcmp(verb, "create"))
		return dcd_create_verb(verb, dev, argc, argv, true);
	if (!strcmp(verb, "assemble"))
		return dcd_create_verb(verb, dev, argc, argv, false);
	if (!strcmp(verb, "detail"))
		return dcd_detail(dev, argc, argv);
	if (!strcmp(verb, "flush"))
		return dcd_simple(verb, dev, argc, argv, DCD_IOC_FLUSH);
	if (!strcmp(verb, "stop"))
		return dcd_simple(verb, dev, argc, argv, DCD_IOC_STOP);
	return dcdctl_err("%s: unknown verb for a dcd device (see dcdctl --help)", verb);
}

/* Is the 4096-byte block at buf a valid copy of struct T (magic M)? */
static bool valid_block(void *buf, uint64_t magic, __le32 *crc_field)
{
	uint32_t want = le32toh(*crc_field), crc;

	if (le64toh(*(__le64 *)buf) != magic)
		return false;
	*crc_field = 0;
	crc = dcdctl_crc32c(~0U, buf, 4096);
	*crc_field = htole32(want);
	return crc == want;
}

/* The data disk header of a version 2 data disk. */
static int examine_data_disk(const char *path, struct dcd_data_sb *d, bool json)
{
	char uuid[40], h1[32], tbuf[64];
	uint32_t state = le32toh(d->state);
	struct out o;

	out_init(&o, stdout, json);
	out_begin(&o, "dcd", "data_disk", path);
	out_text(&o, "            Magic : dcd data disk, format version %u\n", le32toh(d->version));
	out_u64(&o, "format_version", le32toh(d->version));
	out_text(&o, "       Cache disk : UUID %s\n", dcdctl_uuid(d->uuid, uuid));
	out_str(&o, "uuid", uuid);
	out_text(&o, "            State : %s\n", state == DCD_DATA_CLEAN ?
		 "clean (this disk holds every block's newest copy)" :
		 state == DCD_DATA_DIRTY ?
		 "dirty (the cache disk's log may hold newer copies: use it with its cache disk)" :
		 "unknown");
	out_str(&o, "state", state == DCD_DATA_CLEAN ? "clean" :
		state == DCD_DATA_DIRTY ? "dirty" : "unknown");
	out_text(&o, "      Data offset : %" PRIu64 " blocks of 4096 bytes\n",
		 (uint64_t)le64toh(d->data_offset));
	out_u64(&o, "data_offset_blocks", le64toh(d->data_offset));
	out_text(&o, "      Device size : %s (%" PRIu64 " blocks)\n",
		 dcdctl_human(le64toh(d->data_blocks) * 4096, h1, sizeof(h1)),
		 (uint64_t)le64toh(d->data_blocks));
	out_u64(&o, "device_size_bytes", le64toh(d->data_blocks) * 4096);
	out_text(&o, "          Updated : %s\n", dcdctl_time_str(le64toh(d->utime), tbuf, sizeof(tbuf)));
	out_u64(&o, "updated_time", le64toh(d->utime));
	return out_end(&o) ? 2 : 0;
}

int dcd_examine(const char *path, bool json)
{
	static struct dcd_sb copies[DCD_SB_COPIES];
	struct dcd_sb *sb = NULL;
	char uuid[40], h1[32], tbuf[64];
	bool ok[DCD_SB_COPIES];
	uint32_t state;
	struct out o;
	ssize_t n;
	int fd, i, newest = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		dcdctl_err("%s: %s", path, strerror(errno));
		return 2;
	}
	n = pread(fd, copies, sizeof(copies), 0);
	close(fd);
	if (n != (ssize_t)sizeof(copies))
		return 1;
	if (le64toh(copies[0].magic) == DCD_DATA_MAGIC &&
	    valid_block(&copies[0], DCD_DATA_MAGIC, &((struct dcd_data_sb *)copies)->crc))
		return examine_data_disk(path, (struct dcd_data_sb *)copies, json);
	for (i = 0; i < DCD_SB_COPIES; i++) {
		ok[i] = valid_block(&copies[i], DCD_SB_MAGIC, &copies[i].crc) &&
			(i == 0 || le32toh(copies[i].version) >= 2);
		if (ok[i] && (newest < 0 ||
			      le64toh(copies[i].sb_seq) > le64toh(copies[newest].sb_seq)))
			newest = i;
	}
	if (newest < 0) {
		if (le64toh(copies[0].magic) != DCD_SB_MAGIC && le64toh(copies[1].magic) != DCD_SB_MAGIC)
			return 1;
		return dcdctl_err("%s: dcd superblock checksum is wrong (both copies)", path) + 1;
	}
	sb = &copies[newest];
	state = le32toh(sb->state);
	out_init(&o, stdout, json);
	out_begin(&o, "dcd", "cache_disk", path);
	out_text(&o, "            Magic : dcd cache disk, format version %u\n", le32toh(sb->version));
	out_u64(&o, "format_version", le32toh(sb->version));
	out_text(&o, "       Superblock : copy in block %d of %d, sequence %" PRIu64
		 "; the other copy %s\n", newest, DCD_SB_COPIES, (uint64_t)le64toh(sb->sb_seq),
		 ok[!newest] ? "is valid" : "is torn or absent");
	out_u64(&o, "superblock_copy", (uint64_t)newest);
	out_u64(&o, "superblock_copies", DCD_SB_COPIES);
	out_u64(&o, "superblock_seq", le64toh(sb->sb_seq));
	out_bool(&o, "other_copy_valid", ok[!newest]);
	out_text(&o, "             UUID : %s\n", dcdctl_uuid(sb->uuid, uuid));
	out_str(&o, "uuid", uuid);
	out_text(&o, "            State : %s\n", state == DCD_STATE_CLEAN ? "clean" :
		 state == DCD_STATE_ACTIVE ? "active (running or not stopped cleanly)" :
		 "unknown");
	out_str(&o, "state", state == DCD_STATE_CLEAN ? "clean" :
		state == DCD_STATE_ACTIVE ? "active" : "unknown");
	out_text(&o, "             Mode : %s\n",
		 le32toh(sb->mode) == DCD_SB_MODE_NVRAM ? "nvram" : "safe");
	out_str(&o, "mode", le32toh(sb->mode) == DCD_SB_MODE_NVRAM ? "nvram" : "safe");
	out_text(&o, "        Data size : %s (%" PRIu64 " sectors), device from data disk block %"
		 PRIu64 "\n", dcdctl_human(le64toh(sb->data_sectors) << 9, h1, sizeof(h1)),
		 (uint64_t)le64toh(sb->data_sectors), (uint64_t)le64toh(sb->data_offset));
	out_u64(&o, "data_size_bytes", le64toh(sb->data_sectors) << 9);
	out_u64(&o, "data_offset_blocks", le64toh(sb->data_offset));
	out_text(&o, "              Log : blocks %" PRIu64 " to %" PRIu64 " (%s)\n",
		 (uint64_t)le64toh(sb->log_start),
		 (uint64_t)(le64toh(sb->log_start) + le64toh(sb->log_blocks)),
		 dcdctl_human(le64toh(sb->log_blocks) * 4096, h1, sizeof(h1)));
	out_u64(&o, "log_start_block", le64toh(sb->log_start));
	out_u64(&o, "log_end_block", le64toh(sb->log_start) + le64toh(sb->log_blocks));
	out_u64(&o, "log_bytes", le64toh(sb->log_blocks) * 4096);
	out_text(&o, "             Tail : position %" PRIu64 ", sequence %" PRIu64 "\n",
		 (uint64_t)le64toh(sb->tail_pos), (uint64_t)le64toh(sb->tail_seq));
	out_u64(&o, "tail_pos", le64toh(sb->tail_pos));
	out_u64(&o, "tail_seq", le64toh(sb->tail_seq));
	/* where the log ends is only known after a clean stop */
	if (state == DCD_STATE_CLEAN) {
		out_text(&o, "             Head : position %" PRIu64 ", sequence %" PRIu64 "\n",
			 (uint64_t)le64toh(sb->head_pos), (uint64_t)le64toh(sb->head_seq));
		out_u64(&o, "head_pos", le64toh(sb->head_pos));
		out_u64(&o, "head_seq", le64toh(sb->head_seq));
	} else {
		out_null(&o, "head_pos");
		out_null(&o, "head_seq");
	}
	out_text(&o, "           Buffer : %s\n",
		 dcdctl_human(le64toh(sb->buffer_bytes), h1, sizeof(h1)));
	out_u64(&o, "buffer_bytes", le64toh(sb->buffer_bytes));
	out_text(&o, "          Tunables: idle-ms %u, max-age-ms %u, high-watermark %u%%, bypass %"
		 PRIu64 "\n", le32toh(sb->idle_ms), le32toh(sb->max_age_ms),
		 le32toh(sb->high_watermark), (uint64_t)le64toh(sb->bypass_bytes));
	out_tunables(&o, le32toh(sb->idle_ms), le32toh(sb->max_age_ms),
		     le32toh(sb->high_watermark), le64toh(sb->bypass_bytes));
	out_text(&o, "          Created : %s\n", dcdctl_time_str(le64toh(sb->ctime), tbuf, sizeof(tbuf)));
	out_u64(&o, "created_time", le64toh(sb->ctime));
	out_text(&o, "          Updated : %s\n", dcdctl_time_str(le64toh(sb->utime), tbuf, sizeof(tbuf)));
	out_u64(&o, "updated_time", le64toh(sb->utime));
	out_text(&o, "      Clean stops : %" PRIu64 ", unclean starts %" PRIu64 "\n",
		 (uint64_t)le64toh(sb->clean_stops), (uint64_t)le64toh(sb->unclean_starts));
	out_u64(&o, "clean_stops", le64toh(sb->clean_stops));
	out_u64(&o, "unclean_starts", le64toh(sb->unclean_starts));
	return out_end(&o) ? 2 : 0;
}
