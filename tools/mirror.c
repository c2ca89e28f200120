// SPDX-License-Identifier: GPL-2.0
/*
 * dcdctl: verbs of mirror devices, /dev/dcdmirrorN, through ioctls on
 * /dev/dcdmirror-control.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <endian.h>
#include <time.h>

#include <linux/fs.h>
#include <uapi/dcdmirror/mirror.h>
#include <dcdmirror/mirror_format.h>

#include "dcdctl.h"

#define CONTROL "/dev/" DCDMIRROR_CONTROL_NAME

const char mirror_usage[] =
	"MIRROR DEVICES (/dev/dcdmirrorN)\n"
	"    dcdctl create /dev/dcdmirrorN --local DEV --remote DEV [--mode sync|async]\n"
	"           [--max-lag SIZE,MSms] [--async-flush both|local]\n"
	"           [--metadata none|1] [--bitmap-chunk SIZE] [--resync-rate KIB]\n"
	"           [--assume-clean]\n"
	"        Start /dev/dcdmirrorN, a RAID1 of the two block devices. Reads go\n"
	"        to the local leg; a write goes to both legs and completes when\n"
	"        both have completed it (--mode sync, the default). Both legs are\n"
	"        opened exclusively and must have the same logical block size.\n"
	"        --mode async: a write completes when the local leg has it; the\n"
	"        remote leg gets a copy of the data later. New writes wait while\n"
	"        the bytes not yet on the remote leg or the age of the oldest\n"
	"        reach --max-lag (SIZE, MSms or both; default 4M,1000ms). A crash\n"
	"        of this host loses at most that much on the remote leg; the\n"
	"        bitmap keeps those chunks dirty, so they are resynced. A remote\n"
	"        write error marks the remote leg faulty, the write succeeds.\n"
	"        --async-flush both (default): a flush or FUA write waits until\n"
	"        every earlier write is on the remote leg and is flushed on both\n"
	"        legs (after fsync the data is stable at both sites); local: it\n"
	"        is flushed on the local leg only and follows to the remote leg\n"
	"        like any async write (after fsync it is stable locally only).\n"
	"        --metadata none (default): no superblock, the array has the size\n"
	"        of the smaller leg. --metadata 1: a superblock at the end of each\n"
	"        leg (the last 1 MiB is reserved for metadata), so that the array\n"
	"        can be assembled again; each leg stays a plain copy from sector 0;\n"
	"        the write-intent bitmap is kept there too. --bitmap-chunk: bytes a\n"
	"        bitmap bit covers (a power of two; default 64K, larger if needed to\n"
	"        fit). --resync-rate: resync limit in KiB/s (default 102400).\n"
	"        The remote leg is first copied from the local one in the\n"
	"        background (the array is usable meanwhile); --assume-clean skips\n"
	"        that copy when the legs are known to be equal (e.g. both zeroed).\n"
	"    dcdctl assemble /dev/dcdmirrorN --local DEV --remote DEV\n"
	"        Start /dev/dcdmirrorN again from the superblocks of its legs; they\n"
	"        must belong to the same array, in the same roles. A stale leg is\n"
	"        resynced (by bitmap when it can be); after a stop that was not\n"
	"        clean, the chunks the bitmap marks are copied to the remote leg.\n"
	"    dcdctl detail /dev/dcdmirrorN\n"
	"        Show size, state, mode, bitmap, resync progress and the legs with\n"
	"        their state, I/O counters and latency.\n"
	"    dcdctl fail /dev/dcdmirrorN DEV|local|remote\n"
	"        Mark a leg faulty (refused for the last in-sync leg).\n"
	"    dcdctl remove /dev/dcdmirrorN DEV|local|remote\n"
	"        Release a faulty leg.\n"
	"    dcdctl add /dev/dcdmirrorN DEV\n"
	"        Add DEV as the missing leg, or re-add the faulty leg DEV. A leg of\n"
	"        this array recent enough is resynced by bitmap, any other fully.\n"
	"    dcdctl wait /dev/dcdmirrorN\n"
	"        Wait until no resync is due or running; exit 1 if it failed.\n"
	"    dcdctl set /dev/dcdmirrorN [--resync-rate KIB] [--mode sync|async]\n"
	"           [--max-lag SIZE,MSms] [--async-flush both|local]\n"
	"        Change the resync rate limit, the mode and the async bounds at run\n"
	"        time (also sysfs dcdmirror/{resync_rate,mode,max_lag,async_flush});\n"
	"        writes in flight keep the mode they started with.\n"
	"    dcdctl stop /dev/dcdmirrorN\n"
	"        Stop the mirror and release its legs; refused while it is open.\n"
	"        A resync running stops (it goes on at the next assemble). With\n"
	"        superblocks, they are marked clean.\n"
	"    dcdctl examine DEV\n"
	"        Print the dcdmirror superblock of a leg.\n";

static int open_ctl(void)
{
	return dcdctl_open_control(CONTROL, "dcdmirror.ko");
}

static const char *mode_name(uint32_t mode)
{
	return mode == DCDMIRROR_MODE_SYNC ? "sync" :
	       mode == DCDMIRROR_MODE_ASYNC ? "async" : "unknown";
}

static int parse_mode(const char *verb, const char *s, uint32_t *mode)
{
	if (!strcmp(s, "sync"))
		*mode = DCDMIRROR_MODE_SYNC;
	else if (!strcmp(s, "async"))
		*mode = DCDMIRROR_MODE_ASYNC;
	else
		return dcdctl_err("%s: unknown mode '%s' (expected sync or async)", verb, s);
	return 0;
}

/* --max-lag SIZE, MSms or SIZE,MSms: either bound, or both */
static int parse_max_lag(const char *verb, const char *s, uint32_t *kib, uint32_t *ms)
{
	char buf[64], *tok, *save = NULL;
	uint64_t v;
	size_t n;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		n = strlen(tok);
		if (n > 2 && !strcmp(tok + n - 2, "ms")) {
			tok[n - 2] = '\0';
			if (dcdctl_parse_uint(tok, DCDMIRROR_MAX_LAG_MS_MAX, &v) || !v || *ms)
				goto bad;
			*ms = (uint32_t)v;
		} else {
			if (dcdctl_parse_size(tok, &v) || v < 1024 ||
			    v > (uint64_t)DCDMIRROR_MAX_LAG_KIB_MAX << 10 || *kib)
				goto bad;
			*kib = (uint32_t)(v >> 10);
		}
	}
	if (*kib || *ms)
		return 0;
bad:
	return dcdctl_err("%s: bad --max-lag '%s' (SIZE, MSms or SIZE,MSms: 1K to 1G, 1 to %u ms)",
			  verb, s, DCDMIRROR_MAX_LAG_MS_MAX);
}

static int parse_async_flush(const char *verb, const char *s, uint32_t *flags)
{
	if (!strcmp(s, "both"))
		*flags = 0;
	else if (!strcmp(s, "local"))
		*flags = DCDMIRROR_ASYNC_FLUSH_LOCAL;
	else
		return dcdctl_err("%s: unknown --async-flush '%s' (expected both or local)",
				  verb, s);
	return 0;
}

static const char *role_name(uint32_t role)
{
	switch (role) {
	case DCDMIRROR_ROLE_LOCAL:
		return "local";
	case DCDMIRROR_ROLE_REMOTE:
		return "remote";
	}
	return "unknown";
}

static const char *leg_state_name(uint32_t state)
{
	switch (state) {
	case DCDMIRROR_LEG_IN_SYNC:
		return "in_sync";
	case DCDMIRROR_LEG_FAULTY:
		return "faulty";
	case DCDMIRROR_LEG_MISSING:
		return "missing";
	case DCDMIRROR_LEG_REBUILDING:
		return "rebuilding";
	}
	return "unknown";
}

/*
 * Check a leg before asking the kernel, to name the path in the error:
 * exists, is a block device, not claimed by someone else (an exclusive open
 * fails with EBUSY while it is mounted or part of an array).
 */
static int check_leg(const char *path, dev_t *rdev, int *lbs)
{
	int fd;

	if (dcdctl_blockdev(path, rdev))
		return -1;
	fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EBUSY)
			dcdctl_err("%s: device is in use", path);
		else
			dcdctl_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (ioctl(fd, BLKSSZGET, lbs)) {
		dcdctl_err("%s: cannot get the logical block size: %s", path,
			   strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int parse_rate(const char *s, uint64_t *kib)
{
	if (dcdctl_parse_uint(s, DCDMIRROR_RESYNC_RATE_MAX, kib) ||
	    *kib < DCDMIRROR_RESYNC_RATE_MIN)
		return dcdctl_err("bad --resync-rate '%s' (KiB/s, %u to %u)", s,
				  DCDMIRROR_RESYNC_RATE_MIN, DCDMIRROR_RESYNC_RATE_MAX);
	return 0;
}

static int do_create(const char *verb, const char *dev, unsigned int index,
		     int argc, char **argv)
{
	const char *local = NULL, *remote = NULL, *mode = NULL, *metadata = NULL;
	const char *chunk = NULL, *rate = NULL, *max_lag = NULL, *async_flush = NULL;
	uint32_t mode_v = DCDMIRROR_MODE_SYNC, lag_kib = 0, lag_ms = 0, aflags = 0;
	bool assemble = !strcmp(verb, "assemble"), assume_clean = false;
	const struct dcdctl_opt create_opts[] = {
		{ .name = "local", .takes_value = true, .value = &local },
		{ .name = "remote", .takes_value = true, .value = &remote },
		{ .name = "mode", .takes_value = true, .value = &mode },
		{ .name = "metadata", .takes_value = true, .value = &metadata },
		{ .name = "bitmap-chunk", .takes_value = true, .value = &chunk },
		{ .name = "resync-rate", .takes_value = true, .value = &rate },
		{ .name = "assume-clean", .flag = &assume_clean },
		{ .name = "max-lag", .takes_value = true, .value = &max_lag },
		{ .name = "async-flush", .takes_value = true, .value = &async_flush },
		{ 0 }
	};
	const struct dcdctl_opt assemble_opts[] = {
		{ .name = "local", .takes_value = true, .value = &local },
		{ .name = "remote", .takes_value = true, .value = &remote },
		{ 0 }
	};
	struct dcdmirror_ioc_create c;
	const char *pos[1];
	uint64_t chunk_bytes = 0, rate_kib = 0;
	dev_t ldev, rdev;
	int npos, llbs, rlbs, fd, ret;

	if (dcdctl_parse(argc, argv, assemble ? assemble_opts : create_opts,
			 pos, 0, &npos))
		return 1;
	if (!local)
		return dcdctl_err("%s: missing --local DEV", verb);
	if (!remote)
		return dcdctl_err("%s: missing --remote DEV", verb);
	if (mode && parse_mode("create", mode, &mode_v))
		return 1;
	if (max_lag && parse_max_lag("create", max_lag, &lag_kib, &lag_ms))
		return 1;
	if (async_flush && parse_async_flush("create", async_flush, &aflags))
		return 1;
	if (metadata && strcmp(metadata, "none") && strcmp(metadata, "1") &&
	    strcmp(metadata, "1.0"))
		return dcdctl_err("create: unknown metadata '%s' (expected none or 1)",
				  metadata);
	if (chunk && (dcdctl_parse_size(chunk, &chunk_bytes) || chunk_bytes < 4096 ||
		      chunk_bytes > (1U << 30) || (chunk_bytes & (chunk_bytes - 1))))
		return dcdctl_err("create: bad --bitmap-chunk '%s' (a power of two from 4K to 1G)",
				  chunk);
	if (rate && parse_rate(rate, &rate_kib))
		return 1;
	if (dcdctl_blockdev(local, &ldev) || dcdctl_blockdev(remote, &rdev))
		return 1;
	if (ldev == rdev)
		return dcdctl_err("%s: %s and %s are the same device (%u:%u)", verb,
				  local, remote, major(ldev), minor(ldev));
	if (check_leg(local, &ldev, &llbs) || check_leg(remote, &rdev, &rlbs))
		return 1;
	if (llbs != rlbs)
		return dcdctl_err("%s: %s and %s have different logical block sizes (%d and %d bytes)",
				  verb, local, remote, llbs, rlbs);

	fd = open_ctl();
	if (fd < 0)
		return 1;
	memset(&c, 0, sizeof(c));
	c.version = DCDMIRROR_IOCTL_VERSION;
	c.size = sizeof(c);
	c.index = index;
	c.mode = mode_v;
	c.max_lag_kib = lag_kib;
	c.max_lag_ms = lag_ms;
	c.async_flags = aflags;
	if (assemble)
		c.flags = DCDMIRROR_CREATE_ASSEMBLE;
	else if (metadata && strcmp(metadata, "none"))
		c.flags = DCDMIRROR_CREATE_SUPERBLOCK;
	if (assume_clean)
		c.flags |= DCDMIRROR_CREATE_ASSUME_CLEAN;
	c.bitmap_chunk = (uint32_t)chunk_bytes;
	c.resync_rate = (uint32_t)rate_kib;
	c.legs[0].major = major(ldev);
	c.legs[0].minor = minor(ldev);
	c.legs[1].major = major(rdev);
	c.legs[1].minor = minor(rdev);
	ret = ioctl(fd, DCDMIRROR_IOC_CREATE, &c);
	close(fd);
	if (ret) {
		c.error[sizeof(c.error) - 1] = '\0';
		if (errno == EEXIST)
			return dcdctl_err("%s already exists", dev);
		if (c.error[0])
			return dcdctl_err("%s %s: %s", verb, dev, c.error);
		return dcdctl_err("%s %s: %s (are dcdctl and dcdmirror.ko of the same version?)",
				  verb, dev, strerror(errno));
	}
	return 0;
}

static int get_info(const char *dev, unsigned int index,
		    struct dcdmirror_ioc_info *info)
{
	int fd, ret;

	fd = open_ctl();
	if (fd < 0)
		return 1;
	memset(info, 0, sizeof(*info));
	info->version = DCDMIRROR_IOCTL_VERSION;
	info->size = sizeof(*info);
	info->index = index;
	ret = ioctl(fd, DCDMIRROR_IOC_GET_INFO, info);
	close(fd);
	if (ret) {
		if (errno == ENODEV)
			return dcdctl_err("%s: no such mirror", dev);
		return dcdctl_err("%s: %s", dev, strerror(errno));
	}
	return 0;
}

static int do_detail(const char *dev, unsigned int index, int argc, char **argv)
{
	struct dcdmirror_ioc_info info;
	char h[32], name[160];
	unsigned int i, active = 0;
	const char *pos[1];
	int npos;

	if (dcdctl_parse(argc, argv, NULL, pos, 0, &npos))
		return 1;
	if (get_info(dev, index, &info))
		return 1;
	for (i = 0; i < info.nr_legs && i < DCDMIRROR_MAX_LEGS; i++)
		if (info.legs[i].state == DCDMIRROR_LEG_IN_SYNC)
			active++;

	printf("%s:\n", dev);
	printf("       Array Size : %" PRIu64 " (%s)\n", (uint64_t)info.size_bytes,
	       dcdctl_human(info.size_bytes, h, sizeof(h)));
	printf("    Logical Block : %u bytes\n", info.logical_block_size);
	printf("            State : %s%s\n",
	       info.state == DCDMIRROR_STATE_ACTIVE ? "active" : "clean",
	       info.flags & DCDMIRROR_INFO_DEGRADED ? ", degraded" : "");
	printf("             Mode : %s\n", mode_name(info.mode));
	printf("          Max Lag : %u KiB, %u ms; flushes wait for %s\n",
	       info.max_lag_kib, info.max_lag_ms,
	       info.async_flags & DCDMIRROR_ASYNC_FLUSH_LOCAL ? "the local leg only" :
								  "both legs");
	printf("              Lag : %" PRIu64 " bytes (at most %" PRIu64 "), oldest %" PRIu64
	       " us\n", (uint64_t)info.lag_bytes, (uint64_t)info.lag_max_bytes,
	       (uint64_t)info.lag_oldest_us);
	for (i = 0; i < info.nr_legs && i < DCDMIRROR_MAX_LEGS; i++)
		if (info.legs[i].role == DCDMIRROR_ROLE_REMOTE)
			printf("  Remote In Flight : %" PRIu64 " bytes, %" PRIu64
			       " writes merged into larger requests\n",
			       (uint64_t)info.legs[i].inflight_bytes,
			       (uint64_t)info.legs[i].merged);
	printf("      Active Legs : %u of %u\n", active, info.nr_legs);
	printf("       Open Count : %u\n", info.open_count);
	if (info.flags & DCDMIRROR_INFO_SUPERBLOCK) {
		printf("         Metadata : 1 (superblock at the end of each leg)\n");
		printf("             UUID : %s\n", dcdctl_uuid(info.uuid, name));
		printf("           Events : %" PRIu64 "\n", (uint64_t)info.events);
	} else {
		printf("         Metadata : none\n");
	}
	if (info.flags & DCDMIRROR_INFO_UNCLEAN)
		printf("          Warning : assembled after a stop that was not clean\n");
	printf("     Bitmap Chunk : %s\n", dcdctl_human(info.bitmap_chunk, h, sizeof(h)));
	printf("    Bitmap Chunks : %" PRIu64 " (%" PRIu64 " dirty)\n",
	       (uint64_t)info.bitmap_chunks, (uint64_t)info.bitmap_dirty);
	printf("      Resync Rate : %u KiB/s\n", info.resync_rate);
	if (info.resync_msecs || info.resync_total || info.flags & DCDMIRROR_INFO_RESYNC) {
		uint64_t total = info.resync_total, done = info.resync_chunks;
		double pct = total ? 100.0 * (double)(done < total ? done : total) / (double)total :
				     0.0;

		if (!(info.flags & DCDMIRROR_INFO_RESYNC))
			printf("           Resync : done, leg %u\n", info.resync_leg);
		else if (!info.resync_msecs && !total)
			printf("           Resync : pending\n");
		else
			printf("           Resync : %.1f%% of leg %u, ETA %" PRIu64 " s\n",
			       pct, info.resync_leg, (uint64_t)info.resync_eta);
		printf("    Chunks Copied : %" PRIu64 " of %" PRIu64 "\n", done, total);
		printf("     Bytes Copied : %" PRIu64 "\n", (uint64_t)info.resync_bytes);
		printf("     Resync Speed : %u KiB/s\n", info.resync_speed);
		printf("      Resync Time : %" PRIu64 " ms\n", (uint64_t)info.resync_msecs);
		printf("   Resync Started : chunk %" PRIu64 "%s\n", (uint64_t)info.resync_start,
		       info.resync_start ? " (resumed at a checkpoint)" : "");
		printf("  Resync Position : chunk %" PRIu64 "\n", (uint64_t)info.resync_pos);
		if (info.flags & DCDMIRROR_INFO_RESYNC)
			printf("Resync Checkpoint : chunk %" PRIu64 " (%s resync)\n",
			       (uint64_t)info.resync_checkpoint,
			       info.resync_full ? "full" : "bitmap");
	}
	printf("  Max Read Errors : %u\n", info.max_read_errors);
	printf("\n");
	printf("   Number   Major   Minor   Role     State      Size        Device\n");
	for (i = 0; i < info.nr_legs && i < DCDMIRROR_MAX_LEGS; i++) {
		const struct dcdmirror_ioc_leg_info *l = &info.legs[i];

		printf("   %6u   %5u   %5u   %-7s  %-9s  %-10s  %s\n", i,
		       l->major, l->minor, role_name(l->role),
		       leg_state_name(l->state),
		       dcdctl_human(l->size_bytes, h, sizeof(h)),
		       l->major || l->minor ?
		       dcdctl_dev_name(l->major, l->minor, name, sizeof(name)) : "-");
	}
	printf("\n");
	printf("   Number   Reads        Read Bytes       Writes       Write Bytes      Errors"
	       "   Lat Avg us  Lat Max us  Corrected\n");
	for (i = 0; i < info.nr_legs && i < DCDMIRROR_MAX_LEGS; i++) {
		const struct dcdmirror_ioc_leg_info *l = &info.legs[i];

		printf("   %6u   %-11" PRIu64 "  %-15" PRIu64 "  %-11" PRIu64 "  %-15" PRIu64
		       "  %-7" PRIu64 "  %-10" PRIu64 "  %-10" PRIu64 "  %" PRIu64 "\n", i,
		       (uint64_t)l->reads, (uint64_t)l->read_bytes, (uint64_t)l->writes,
		       (uint64_t)l->write_bytes, (uint64_t)l->errors, (uint64_t)l->lat_avg_us,
		       (uint64_t)l->lat_max_us, (uint64_t)l->corrected);
	}
	for (i = 0; i < info.nr_legs && i < DCDMIRROR_MAX_LEGS; i++) {
		const struct dcdmirror_ioc_leg_info *l = &info.legs[i];

		printf("Leg %u Read Errors : %" PRIu64 " corrected (%" PRIu64
		       " sectors rewritten), %u counted\n", i, (uint64_t)l->corrected,
		       (uint64_t)l->corrected_sectors, l->read_errors);
	}
	return 0;
}

/*
 * An ioctl that takes struct dcdmirror_ioc_dev. Returns 0, 1 when the kernel
 * refused it (errno tells why), or -1 when the control device could not be
 * opened (already reported).
 */
static int dev_ioctl(unsigned int index, unsigned long cmd, uint32_t flags)
{
	struct dcdmirror_ioc_dev d;
	int fd, ret, err;

	fd = open_ctl();
	if (fd < 0)
		return -1;
	memset(&d, 0, sizeof(d));
	d.version = DCDMIRROR_IOCTL_VERSION;
	d.size = sizeof(d);
	d.index = index;
	d.flags = flags;
	ret = ioctl(fd, cmd, &d);
	err = errno;
	close(fd);
	errno = err;
	return ret ? 1 : 0;
}

static int do_stop(const char *dev, unsigned int index, int argc, char **argv)
{
	bool unclean = false;
	const struct dcdctl_opt opts[] = {
		/* a test hook, not in --help: stop as a crash would */
		{ .name = "unclean", .flag = &unclean },
		{ 0 }
	};
	const char *pos[1];
	int npos, ret;

	if (dcdctl_parse(argc, argv, opts, pos, 0, &npos))
		return 1;
	ret = dev_ioctl(index, DCDMIRROR_IOC_STOP, unclean ? DCDMIRROR_STOP_UNCLEAN : 0);
	if (ret < 0)
		return 1;
	if (ret) {
		if (errno == ENODEV)
			return dcdctl_err("%s: no such mirror", dev);
		if (errno == EBUSY)
			return dcdctl_err("%s: device is open, not stopped", dev);
		return dcdctl_err("stop %s: %s", dev, strerror(errno));
	}
	return 0;
}

/* fail, remove: DEV or local/remote; add: DEV. */
static int do_leg_op(const char *verb, const char *dev, unsigned int index,
		     int argc, char **argv)
{
	struct dcdmirror_ioc_leg_op op;
	const char *pos[1];
	dev_t rdev = 0;
	int npos, fd, ret;

	if (dcdctl_parse(argc, argv, NULL, pos, 1, &npos))
		return 1;
	if (npos < 1)
		return dcdctl_err("%s: missing the leg (DEV%s)", verb,
				  strcmp(verb, "add") ? ", local or remote" : "");
	memset(&op, 0, sizeof(op));
	op.version = DCDMIRROR_IOCTL_VERSION;
	op.size = sizeof(op);
	op.index = index;
	op.slot = DCDMIRROR_LEG_BY_DEV;
	op.op = !strcmp(verb, "fail") ? DCDMIRROR_LEG_OP_FAIL :
		!strcmp(verb, "remove") ? DCDMIRROR_LEG_OP_REMOVE : DCDMIRROR_LEG_OP_ADD;
	if (op.op != DCDMIRROR_LEG_OP_ADD && !strcmp(pos[0], "local")) {
		op.slot = 0;
	} else if (op.op != DCDMIRROR_LEG_OP_ADD && !strcmp(pos[0], "remote")) {
		op.slot = 1;
	} else {
		if (dcdctl_blockdev(pos[0], &rdev))
			return 1;
		op.major = major(rdev);
		op.minor = minor(rdev);
	}
	fd = open_ctl();
	if (fd < 0)
		return 1;
	ret = ioctl(fd, DCDMIRROR_IOC_LEG_OP, &op);
	close(fd);
	if (ret) {
		op.error[sizeof(op.error) - 1] = '\0';
		if (op.error[0])
			return dcdctl_err("%s %s: %s", verb, dev, op.error);
		return dcdctl_err("%s %s: %s", verb, dev, strerror(errno));
	}
	return 0;
}

static int do_wait(const char *dev, unsigned int index, int argc, char **argv)
{
	const char *pos[1];
	int npos, ret;

	if (dcdctl_parse(argc, argv, NULL, pos, 0, &npos))
		return 1;
	ret = dev_ioctl(index, DCDMIRROR_IOC_WAIT, 0);
	if (ret < 0)
		return 1;
	if (ret) {
		if (errno == ENODEV)
			return dcdctl_err("%s: no such mirror", dev);
		if (errno == EIO)
			return dcdctl_err("%s: resync failed (see the kernel log)", dev);
		return dcdctl_err("wait %s: %s", dev, strerror(errno));
	}
	return 0;
}

static int do_set(const char *dev, unsigned int index, int argc, char **argv)
{
	struct dcdmirror_ioc_set set;
	const char *rate = NULL, *mode = NULL, *max_lag = NULL, *async_flush = NULL;
	const struct dcdctl_opt opts[] = {
		{ .name = "resync-rate", .takes_value = true, .value = &rate },
		{ .name = "mode", .takes_value = true, .value = &mode },
		{ .name = "max-lag", .takes_value = true, .value = &max_lag },
		{ .name = "async-flush", .takes_value = true, .value = &async_flush },
		{ 0 }
	};
	const char *pos[1];
	uint64_t kib = 0;
	int npos, fd, ret;

	if (dcdctl_parse(argc, argv, opts, pos, 0, &npos))
		return 1;
	if (!rate && !mode && !max_lag && !async_flush)
		return dcdctl_err("set: nothing to set (--resync-rate KIB, --mode, --max-lag, --async-flush)");
	if (rate && parse_rate(rate, &kib))
		return 1;
	memset(&set, 0, sizeof(set));
	if (mode) {
		if (parse_mode("set", mode, &set.mode))
			return 1;
		set.flags |= DCDMIRROR_SET_MODE;
	}
	if (max_lag && parse_max_lag("set", max_lag, &set.max_lag_kib, &set.max_lag_ms))
		return 1;
	if (async_flush) {
		if (parse_async_flush("set", async_flush, &set.async_flags))
			return 1;
		set.flags |= DCDMIRROR_SET_ASYNC_FLAGS;
	}
	fd = open_ctl();
	if (fd < 0)
		return 1;
	set.version = DCDMIRROR_IOCTL_VERSION;
	set.size = sizeof(set);
	set.index = index;
	set.resync_rate = (uint32_t)kib;
	ret = ioctl(fd, DCDMIRROR_IOC_SET, &set);
	close(fd);
	if (ret) {
		if (errno == ENODEV)
			return dcdctl_err("%s: no such mirror", dev);
		return dcdctl_err("set %s: %s", dev, strerror(errno));
	}
	return 0;
}

int mirror_main(const char *verb, const char *dev, int argc, char **argv)
{
	unsigned int index;

	if (dcdctl_dev_index(dev, "dcdmirror", &index))
		return dcdctl_err("%s: not a mirror device name", dev);
	if (!strcmp(verb, "create") || !strcmp(verb, "assemble"))
		return do_create(verb, dev, index, argc, argv);
	if (!strcmp(verb, "detail"))
		return do_detail(dev, index, argc, argv);
	if (!strcmp(verb, "stop"))
		return do_stop(dev, index, argc, argv);
	if (!strcmp(verb, "fail") || !strcmp(verb, "remove") || !strcmp(verb, "add"))
		return do_leg_op(verb, dev, index, argc, argv);
	if (!strcmp(verb, "wait"))
		return do_wait(dev, index, argc, argv);
	if (!strcmp(verb, "set"))
		return do_set(dev, index, argc, argv);
	return dcdctl_err("%s: unknown verb for a mirror (see dcdctl --help)", verb);
}

static const char *time_str(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "%" PRIu64, t);
	return buf;
}

/* Bits set in the on-disk bitmap of a leg; -1 if it cannot be read. */
static int64_t bitmap_dirty(int fd, const struct dcdmirror_sb *sb)
{
	uint64_t chunks = le64toh(sb->bitmap_chunks), n = 0, i;
	size_t len = (chunks + 7) / 8;
	uint8_t *buf;

	if (!chunks || len > DCDMIRROR_BITMAP_MAX_BYTES)
		return -1;
	buf = malloc(len);
	if (!buf)
		return -1;
	if (pread(fd, buf, len, (off_t)(le64toh(sb->bitmap_sector) << 9)) != (ssize_t)len) {
		free(buf);
		return -1;
	}
	for (i = 0; i < chunks; i++)
		n += (buf[i / 8] >> (i % 8)) & 1;
	free(buf);
	return (int64_t)n;
}

/*
 * Print the superblock at the end of a leg. 1 (quietly) when there is
 * none, so that the caller can look for another kind.
 */
int mirror_examine(const char *path)
{
	struct dcdmirror_sb sb;
	char u[40], t1[40], t2[40], h[32];
	uint64_t bytes, sector;
	int64_t dirty;
	uint32_t crc;
	unsigned int i;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	if (ioctl(fd, BLKGETSIZE64, &bytes) ||
	    dcdmirror_data_sectors(bytes >> 9) < 8) {
		close(fd);
		return 1;
	}
	sector = dcdmirror_sb_sector(bytes >> 9);
	/* the driver writes around the page cache: drop what it holds */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (pread(fd, &sb, sizeof(sb), (off_t)(sector << 9)) != sizeof(sb) ||
	    le64toh(sb.magic) != DCDMIRROR_SB_MAGIC) {
		close(fd);
		return 1;
	}
	dirty = bitmap_dirty(fd, &sb);
	close(fd);
	crc = le32toh(sb.crc);
	sb.crc = 0;
	printf("%s:\n", path);
	printf("            Magic : dcdmirror leg, metadata version %u\n", le32toh(sb.version));
	printf("         Checksum : %08x (%s)\n", crc,
	       dcdctl_crc32c(~0U, &sb, sizeof(sb)) == crc ? "correct" : "WRONG");
	printf("             UUID : %s\n", dcdctl_uuid(sb.uuid, u));
	printf("              Leg : %u of %u (%s)\n", le32toh(sb.leg), le32toh(sb.nr_legs),
	       role_name(le32toh(sb.role)));
	printf("            State : %s\n", le32toh(sb.state) == DCDMIRROR_SB_CLEAN ? "clean" :
	       le32toh(sb.state) == DCDMIRROR_SB_ACTIVE ? "active (running or not stopped cleanly)" :
	       "unknown");
	printf("             Mode : %s\n", mode_name(le32toh(sb.mode)));
	printf("           Events : %" PRIu64 "\n", (uint64_t)le64toh(sb.events));
	printf("       Array Size : %" PRIu64 " (%s)\n", (uint64_t)le64toh(sb.array_sectors) << 9,
	       dcdctl_human(le64toh(sb.array_sectors) << 9, h, sizeof(h)));
	printf("    Logical Block : %u bytes\n", le32toh(sb.logical_block_size));
	printf("Superblock Sector : %" PRIu64 "\n", (uint64_t)le64toh(sb.sb_sector));
	printf("          Created : %s\n", time_str(le64toh(sb.ctime), t1, sizeof(t1)));
	printf("          Updated : %s\n", time_str(le64toh(sb.utime), t2, sizeof(t2)));
	for (i = 0; i < 2 && i < le32toh(sb.nr_legs); i++)
		printf("       Leg %u State : %s\n", i, leg_state_name(le32toh(sb.leg_state[i])));
	printf("    Bitmap Sector : %" PRIu64 "\n", (uint64_t)le64toh(sb.bitmap_sector));
	printf("     Bitmap Chunk : %s\n",
	       dcdctl_human((uint64_t)le32toh(sb.bitmap_chunk_sectors) << 9, h, sizeof(h)));
	printf("    Bitmap Chunks : %" PRIu64 "\n", (uint64_t)le64toh(sb.bitmap_chunks));
	if (dirty >= 0)
		printf("     Bitmap Dirty : %" PRId64 "\n", dirty);
	else
		printf("     Bitmap Dirty : unreadable\n");
	printf("   Events Cleared : %" PRIu64 "\n", (uint64_t)le64toh(sb.events_cleared));
	printf("      Resync Rate : %u KiB/s\n", le32toh(sb.resync_rate));
	if (le32toh(sb.resync_flags) & DCDMIRROR_SB_RESYNC_ACTIVE) {
		uint64_t off = le64toh(sb.resync_offset);
		uint32_t cs = le32toh(sb.bitmap_chunk_sectors);

		printf("Resync Checkpoint : leg %u at sector %" PRIu64 " (chunk %" PRIu64
		       "), %s resync, id %016" PRIx64 "\n", le32toh(sb.resync_leg), off,
		       cs ? off / cs : 0,
		       le32toh(sb.resync_flags) & DCDMIRROR_SB_RESYNC_FULL ? "full" : "bitmap",
		       (uint64_t)le64toh(sb.resync_id));
	} else {
		printf("Resync Checkpoint : none\n");
	}
	return 0;
}
