// SPDX-License-Identifier: GPL-2.0
/*
 * dcdctl: verbs of mirror devices, /dev/dcdmirrorN, through ioctls on
 * /dev/dcdmirror-control.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
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
#include "out.h"

#define CONTROL "/dev/" DCDMIRROR_CONTROL_NAME

const char mirror_usage[] =
	"MIRROR DEVICES (/dev/dcdmirrorN)\n"
	"    dcdctl create /dev/dcdmirrorN --local DEV --remote DEV [--mode sync|async]\n"
	"           [--max-lag SIZE,MSms] [--async-flush both|local]\n"
	"           [--metadata 1|none] [--bitmap-chunk SIZE] [--resync-rate KIB]\n"
	"           [--remote-timeout MS|off] [--al-extents N] [--assume-clean]\n"
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
	"        --metadata 1 (default): a superblock at the end of each leg (the\n"
	"        last 1 MiB is reserved for metadata), so that the array can be\n"
	"        assembled again, degraded, or at the other site; each leg stays a\n"
	"        plain copy from sector 0; the write-intent bitmap and the data\n"
	"        generations are kept there too. --metadata none: no superblock,\n"
	"        the array has the size of the smaller leg and cannot be\n"
	"        assembled again. --bitmap-chunk: bytes a bitmap bit covers (a\n"
	"        power of two; default 64K, larger if needed to fit).\n"
	"        --resync-rate: resync limit in KiB/s (default 102400).\n"
	"        The remote leg is first copied from the local one in the\n"
	"        background (the array is usable meanwhile); --assume-clean skips\n"
	"        that copy when the legs are known to be equal (e.g. both zeroed).\n"
	"        --remote-timeout (default 5000 ms): in sync mode, a remote write\n"
	"        not completed in MS milliseconds, while no other one completed\n"
	"        either (a slow link that makes progress is waited for), marks the\n"
	"        remote leg faulty (its chunks stay dirty in the bitmap) and\n"
	"        completes once the local leg has it, so that a cut link stalls\n"
	"        writes for about MS instead of the 13-16 s iSCSI takes to fail;\n"
	"        100 to 3600000, or off to wait as long as the remote disk takes.\n"
	"        --al-extents (default 256): the activity log's set, in extents of\n"
	"        4 MiB. While both legs are in sync a write to an extent in the set\n"
	"        costs no metadata write; one that enters it waits for one small\n"
	"        write to the local leg, shared by every write meanwhile, and the\n"
	"        least recently used extent leaves it. After a crash of this host\n"
	"        the extents in the set are resynced: at most N x 4 MiB (1 GiB by\n"
	"        default; at 100 Mbit/s about 90 s), 1 to 1000.\n"
	"    dcdctl assemble /dev/dcdmirrorN --local DEV --remote DEV|missing [--run]\n"
	"           [--takeover] [--discard local|remote] [--remote-timeout MS|off]\n"
	"           [--al-extents N]\n"
	"        Start /dev/dcdmirrorN again from the superblocks of its legs. Their\n"
	"        data generations tell which leg holds the newer data: it is the\n"
	"        source, and the other is rebuilt from it by bitmap when it can be\n"
	"        (the chunks to copy are counted in detail, sysfs and the kernel\n"
	"        log), else fully; after a stop that was not clean, the chunks the\n"
	"        bitmap marks are copied. A leg of another array, or still\n"
	"        exported by LIO or otherwise open, is refused.\n"
	"        --remote missing: start without the remote leg (the link or the\n"
	"        remote site is down); refused without --run, which starts the\n"
	"        array degraded on the local leg alone. Every write then sets its\n"
	"        bits, and a later dcdctl add of the remote leg copies exactly the\n"
	"        chunks written meanwhile.\n"
	"        --takeover (only with --remote missing --run): the primary site is\n"
	"        lost and the remote site takes over. DEV was the remote leg of the\n"
	"        array; it becomes the local leg of a new data generation, and its\n"
	"        bitmap records every chunk written from then on. Without\n"
	"        --takeover a former remote leg given as --local is refused.\n"
	"        Failback, at the original site: assemble --local A --remote B,\n"
	"        where B has taken over: B is the source and A is rebuilt from it,\n"
	"        copying the chunks B wrote since the takeover and those A held\n"
	"        dirty when it went down, nothing else.\n"
	"        --discard local|remote (split brain, with both legs): when each\n"
	"        leg has been written on its own since they were last in sync,\n"
	"        assemble refuses with one line that names both legs and their\n"
	"        generations; --discard names the leg whose own writes are thrown\n"
	"        away: it is rebuilt from the other by the union of both bitmaps.\n"
	"        --remote-timeout, --al-extents (default: the superblock's): as for\n"
	"        create.\n"
	"    dcdctl detail /dev/dcdmirrorN [--json]\n"
	"        Show size, state, mode, the data generation (current, bitmap,\n"
	"        history; when and where the current one started) and the source\n"
	"        leg, bitmap, resync and check progress, and the legs with their\n"
	"        state, I/O counters and latency; with --json, as JSON.\n"
	"    dcdctl fail /dev/dcdmirrorN DEV|local|remote\n"
	"        Mark a leg faulty (refused for the last in-sync leg).\n"
	"    dcdctl remove /dev/dcdmirrorN DEV|local|remote\n"
	"        Release a faulty leg.\n"
	"    dcdctl add /dev/dcdmirrorN DEV [--discard local|remote]\n"
	"        Add DEV as the missing leg, or re-add the faulty leg DEV. A leg\n"
	"        whose generation the array's descends from (it missed writes) is\n"
	"        resynced by bitmap, an older or foreign one fully. A leg written on\n"
	"        its own meanwhile (split brain) is refused unless --discard names\n"
	"        it, local or remote as the slot it is added to: its own writes\n"
	"        are thrown away and it is rebuilt by the union of both bitmaps.\n"
	"    dcdctl check /dev/dcdmirrorN [--repair] [--cancel] [--wait]\n"
	"        Compare the legs chunk by chunk at the resync rate while the array\n"
	"        is in use (an online verify), count the chunks that differ and\n"
	"        log their ranges; --repair also copies the source leg's data over\n"
	"        them. It returns at once: progress and result in detail, sysfs\n"
	"        dcdmirror/check and /proc/dcdmirror; --wait waits for the end and\n"
	"        prints the result. --cancel stops a running check. Refused while\n"
	"        a leg is not in sync or a resync runs.\n"
	"    dcdctl wait /dev/dcdmirrorN\n"
	"        Wait until no resync or check is due or running; exit 1 if the\n"
	"        resync failed.\n"
	"    dcdctl set /dev/dcdmirrorN [--resync-rate KIB] [--mode sync|async]\n"
	"           [--max-lag SIZE,MSms] [--async-flush both|local]\n"
	"           [--remote-timeout MS|off]\n"
	"        Change the resync rate limit, the mode, the async bounds and the\n"
	"        remote timeout at run time (also sysfs dcdmirror/{resync_rate,\n"
	"        mode,max_lag,async_flush,remote_timeout_ms}); writes in flight\n"
	"        keep the mode they started with.\n"
	"    dcdctl stop /dev/dcdmirrorN\n"
	"        Stop the mirror and release its legs; refused while it is open.\n"
	"        A resync running stops (it goes on at the next assemble), a check\n"
	"        too. With superblocks, they are marked clean.\n"
	"    dcdctl examine DEV [--json]\n"
	"        Print the dcdmirror superblock of a leg: its array, role, state,\n"
	"        data generations (current, bitmap, history; when and where the\n"
	"        current one started), the source leg as this leg knows it, the\n"
	"        bitmap and the resync checkpoint; with --json, as JSON.\n";

static int open_ctl(void)
{
	return dcdctl_open_control(CONTROL, "dcdmirror.ko");
}

static const char *mode_name(uint32_t mode)
{
	return mode == DCDMIRROR_MODE_SYNC ? "sync" :
	       mode == DCDMIRROR_MODE_ASYNC ? "async" : "unknown";
}

int parse_mode(const char *verb, const char *s, uint32_t *mode)
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
int parse_max_lag(const char *verb, const char *s, uint32_t *kib, uint32_t *ms)
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

int parse_async_flush(const char *verb, const char *s, uint32_t *flags)
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

/* --remote-timeout MS|off */
int parse_remote_timeout(const char *verb, const char *s, uint32_t *ms)
{
	uint64_t v;

	if (!strcmp(s, "off")) {
		*ms = DCDMIRROR_REMOTE_TIMEOUT_OFF;
		return 0;
	}
	if (dcdctl_parse_uint(s, DCDMIRROR_REMOTE_TIMEOUT_MAX, &v) ||
	    v < DCDMIRROR_REMOTE_TIMEOUT_MIN)
		return dcdctl_err("%s: bad --remote-timeout '%s' (MS from %u to %u, or off)",
				  verb, s, DCDMIRROR_REMOTE_TIMEOUT_MIN,
				  DCDMIRROR_REMOTE_TIMEOUT_MAX);
	*ms = (uint32_t)v;
	return 0;
}

/* 0 (in a superblock): the default */
static const char *remote_timeout_str(uint32_t ms, char *buf, size_t len)
{
	if (ms == DCDMIRROR_REMOTE_TIMEOUT_OFF)
		snprintf(buf, len, "off (remote writes wait as long as the remote disk takes)");
	else if (!ms)
		snprintf(buf, len, "%u ms (the default)", DCDMIRROR_REMOTE_TIMEOUT_DEFAULT);
	else
		snprintf(buf, len, "%u ms", ms);
	return buf;
}

/* The Remote Timeout line. In JSON null is off; a 0 (none set) is the default. */
static void print_remote_timeout(struct out *o, uint32_t ms)
{
	char buf[80];

	out_text(o, "   Remote Timeout : %s\n", remote_timeout_str(ms, buf, sizeof(buf)));
	if (ms == DCDMIRROR_REMOTE_TIMEOUT_OFF)
		out_null(o, "remote_timeout_ms");
	else
		out_u64(o, "remote_timeout_ms", ms ? ms : DCDMIRROR_REMOTE_TIMEOUT_DEFAULT);
	out_bool(o, "remote_timeout_default", !ms);
}

/* --discard local|remote: the slot it names */
static int parse_discard(const char *verb, const char *s, unsigned int *slot)
{
	if (!strcmp(s, "local"))
		*slot = 0;
	else if (!strcmp(s, "remote"))
		*slot = 1;
	else
		return dcdctl_err("%s: unknown --discard '%s' (expected local or remote: the leg whose own writes are thrown away)",
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
 * The LIO backstore that exports block device rdev ("iblock_0/remote"), from
 * configfs: target/core/iblock_N/NAME/info names the device it has open
 * ("Major: M Minor: m"; udev_path is empty when the backstore was set up
 * through its control file alone). 0 and the name in buf, or -1 when none
 * does.
 */
static int lio_backstore(dev_t rdev, char *buf, size_t len)
{
	const char *pat = "/sys/kernel/config/target/core/*/*/info";
	char path[4096], info[4096], *end, *name, *at;
	unsigned int maj, min;
	glob_t g;
	size_t i, n;
	FILE *f;
	int ret = -1;

	if (glob(pat, 0, NULL, &g))
		return -1;
	for (i = 0; i < g.gl_pathc && ret; i++) {
		f = fopen(g.gl_pathv[i], "re");
		if (!f)
			continue;
		n = fread(info, 1, sizeof(info) - 1, f);
		fclose(f);
		info[n] = '\0';
		at = strstr(info, "Major: ");
		if (!at || sscanf(at, "Major: %u Minor: %u", &maj, &min) != 2 ||
		    !maj || makedev(maj, min) != rdev)
			continue;
		/* .../core/iblock_0/remote/info -> iblock_0/remote */
		snprintf(path, sizeof(path), "%s", g.gl_pathv[i]);
		end = strrchr(path, '/');
		if (!end)
			continue;
		*end = '\0';
		name = strstr(path, "/core/");
		snprintf(buf, len, "%s", name ? name + 6 : path);
		ret = 0;
	}
	globfree(&g);
	return ret;
}

/* Where block device rdev is mounted, from mountinfo; -1 if it is not. */
static int mount_point(dev_t rdev, char *buf, size_t len)
{
	char line[4096], want[32], mnt[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret = -1;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%u:%u", major(rdev), minor(rdev));
	while (ret && fgets(line, sizeof(line), f)) {
		char id[32];

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... */
		if (sscanf(line, "%*s %*s %31s %*s %4095s", id, mnt) == 2 && !strcmp(id, want)) {
			snprintf(buf, len, "%s", mnt);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* A device stacked on block device rdev (dcdmirror1, dm-3); -1 if none. */
static int holder(dev_t rdev, char *buf, size_t len)
{
	char pat[96];
	glob_t g;
	int ret = -1;

	snprintf(pat, sizeof(pat), "/sys/dev/block/%u:%u/holders/*", major(rdev), minor(rdev));
	if (glob(pat, 0, NULL, &g))
		return -1;
	if (g.gl_pathc) {
		const char *b = strrchr(g.gl_pathv[0], '/');

		snprintf(buf, len, "%s", b ? b + 1 : g.gl_pathv[0]);
		ret = 0;
	}
	globfree(&g);
	return ret;
}

/*
 * A leg cannot be opened exclusively: say who holds it, in one line.
 * Returns 1 (an exit status).
 */
static int leg_busy(const char *path, dev_t rdev)
{
	char who[4096];

	if (!lio_backstore(rdev, who, sizeof(who)))
		return dcdctl_err("%s is exported by LIO (backstore %s): stop the export first (scripts/site unexport, or remove the backstore with targetcli)",
				  path, who);
	if (!mount_point(rdev, who, sizeof(who)))
		return dcdctl_err("%s: device is in use: mounted on %s", path, who);
	if (!holder(rdev, who, sizeof(who)))
		return dcdctl_err("%s: device is in use by %s", path, who);
	return dcdctl_err("%s: device is in use", path);
}

/*
 * Check a leg before asking the kernel, to name the path in the error:
 * exists, is a block device, not claimed by someone else (an exclusive open
 * fails with EBUSY while it is mounted, part of an array or exported by
 * LIO). Nothing is written.
 */
static int check_leg(const char *path, dev_t *rdev, int *lbs)
{
	int fd;

	if (dcdctl_blockdev(path, rdev))
		return -1;
	fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EBUSY)
			leg_busy(path, *rdev);
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

int parse_rate(const char *verb, const char *s, uint64_t *kib)
{
	if (dcdctl_parse_uint(s, DCDMIRROR_RESYNC_RATE_MAX, kib) ||
	    *kib < DCDMIRROR_RESYNC_RATE_MIN)
		return dcdctl_err("%s: bad --resync-rate '%s' (KiB/s, %u to %u)", verb, s,
				  DCDMIRROR_RESYNC_RATE_MIN, DCDMIRROR_RESYNC_RATE_MAX);
	return 0;
}

/* The kernel refused a create or assemble: one line saying why. */
static int create_failed(const char *verb, const char *dev, struct dcdmirror_ioc_create *c,
			 const char *local, dev_t ldev, const char *remote, dev_t rdev)
{
	c->error[sizeof(c->error) - 1] = '\0';
	if (errno == EEXIST)
		return dcdctl_err("%s already exists", dev);
	/* opened since check_leg() looked: say who holds it now */
	if (errno == EBUSY && strstr(c->error, "in use")) {
		char want[32];

		snprintf(want, sizeof(want), "%u:%u:", major(ldev), minor(ldev));
		if (!strncmp(c->error, want, strlen(want)))
			return leg_busy(local, ldev);
		if (remote) {
			snprintf(want, sizeof(want), "%u:%u:", major(rdev), minor(rdev));
			if (!strncmp(c->error, want, strlen(want)))
				return leg_busy(remote, rdev);
		}
	}
	if (c->error[0])
		return dcdctl_err("%s %s: %s", verb, dev, c->error);
	return dcdctl_err("%s %s: %s (are dcdctl and dcdmirror.ko of the same version?)",
			  verb, dev, strerror(errno));
}

static int do_create(const char *verb, const char *dev, unsigned int index,
		     int argc, char **argv)
{
	const char *local = NULL, *remote = NULL, *mode = NULL, *metadata = NULL;
	const char *chunk = NULL, *rate = NULL, *max_lag = NULL, *async_flush = NULL;
	const char *timeout = NULL, *discard = NULL, *al = NULL;
	uint32_t mode_v = DCDMIRROR_MODE_SYNC, lag_kib = 0, lag_ms = 0, aflags = 0;
	uint32_t timeout_ms = 0;
	bool assemble = !strcmp(verb, "assemble"), assume_clean = false;
	bool run = false, takeover = false, missing = false;
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
		{ .name = "remote-timeout", .takes_value = true, .value = &timeout },
		{ .name = "al-extents", .takes_value = true, .value = &al },
		{ 0 }
	};
	const struct dcdctl_opt assemble_opts[] = {
		{ .name = "local", .takes_value = true, .value = &local },
		{ .name = "remote", .takes_value = true, .value = &remote },
		{ .name = "run", .flag = &run },
		{ .name = "takeover", .flag = &takeover },
		{ .name = "discard", .takes_value = true, .value = &discard },
		{ .name = "remote-timeout", .takes_value = true, .value = &timeout },
		{ .name = "al-extents", .takes_value = true, .value = &al },
		{ 0 }
	};
	struct dcdmirror_ioc_create c;
	const char *pos[1];
	uint64_t chunk_bytes = 0, rate_kib = 0, al_extents = 0;
	unsigned int discard_slot = 0;
	dev_t ldev, rdev = 0;
	int npos, llbs, rlbs, fd, ret;

	if (dcdctl_parse(argc, argv, assemble ? assemble_opts : create_opts,
			 pos, 0, &npos))
		return 1;
	if (!local)
		return dcdctl_err("%s: missing --local DEV", verb);
	if (!remote && assemble)
		return dcdctl_err("%s: missing --remote DEV (or --remote missing --run)", verb);
	if (!remote)
		return dcdctl_err("%s: missing --remote DEV", verb);
	missing = assemble && !strcmp(remote, "missing");
	if (mode && parse_mode("create", mode, &mode_v))
		return 1;
	if (max_lag && parse_max_lag("create", max_lag, &lag_kib, &lag_ms))
		return 1;
	if (async_flush && parse_async_flush("create", async_flush, &aflags))
		return 1;
	if (timeout && parse_remote_timeout(verb, timeout, &timeout_ms))
		return 1;
	if (discard && parse_discard(verb, discard, &discard_slot))
		return 1;
	if (metadata && strcmp(metadata, "none") && strcmp(metadata, "1") &&
	    strcmp(metadata, "1.0"))
		return dcdctl_err("create: unknown metadata '%s' (expected 1 or none)",
				  metadata);
	if (chunk && (dcdctl_parse_size(chunk, &chunk_bytes) || chunk_bytes < 4096 ||
		      chunk_bytes > (1U << 30) || (chunk_bytes & (chunk_bytes - 1))))
		return dcdctl_err("create: bad --bitmap-chunk '%s' (a power of two from 4K to 1G)",
				  chunk);
	if (rate && parse_rate("create", rate, &rate_kib))
		return 1;
	if (al && (dcdctl_parse_uint(al, DCDMIRROR_AL_EXTENTS_MAX, &al_extents) ||
		   al_extents < DCDMIRROR_AL_EXTENTS_MIN))
		return dcdctl_err("%s: bad --al-extents '%s' (extents of 4 MiB, %u to %u)", verb, al,
				  DCDMIRROR_AL_EXTENTS_MIN, DCDMIRROR_AL_EXTENTS_MAX);
	if (al && metadata && !strcmp(metadata, "none"))
		return dcdctl_err("create: --al-extents needs --metadata 1 (the log is kept there)");
	if (takeover && !(missing && run))
		return dcdctl_err("%s: --takeover only with --remote missing --run (the former remote leg starts alone, as the local one)",
				  verb);
	if (discard && missing)
		return dcdctl_err("%s: --discard needs both legs (it names the one whose own writes are thrown away)",
				  verb);
	if (missing && !run)
		return dcdctl_err("%s %s: the remote leg is missing: not started (--run starts it degraded on %s alone)",
				  verb, dev, local);
	if (dcdctl_blockdev(local, &ldev) || (!missing && dcdctl_blockdev(remote, &rdev)))
		return 1;
	if (!missing && ldev == rdev)
		return dcdctl_err("%s: %s and %s are the same device (%u:%u)", verb,
				  local, remote, major(ldev), minor(ldev));
	if (check_leg(local, &ldev, &llbs) || (!missing && check_leg(remote, &rdev, &rlbs)))
		return 1;
	if (!missing && llbs != rlbs)
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
	c.remote_timeout_ms = timeout_ms;
	if (assemble) {
		c.flags = DCDMIRROR_CREATE_ASSEMBLE;
		if (missing)
			c.flags |= DCDMIRROR_CREATE_RUN;
		if (takeover)
			c.flags |= DCDMIRROR_CREATE_TAKEOVER;
		if (discard)
			c.flags |= discard_slot ? DCDMIRROR_CREATE_DISCARD_REMOTE :
						  DCDMIRROR_CREATE_DISCARD_LOCAL;
	} else if (!metadata || strcmp(metadata, "none")) {
		c.flags = DCDMIRROR_CREATE_SUPERBLOCK;
	}
	if (assume_clean)
		c.flags |= DCDMIRROR_CREATE_ASSUME_CLEAN;
	c.bitmap_chunk = (uint32_t)chunk_bytes;
	c.resync_rate = (uint32_t)rate_kib;
	c.al_extents = (uint32_t)al_extents;
	c.legs[0].major = major(ldev);
	c.legs[0].minor = minor(ldev);
	if (!missing) {
		c.legs[1].major = major(rdev);
		c.legs[1].minor = minor(rdev);
	}
	ret = ioctl(fd, DCDMIRROR_IOC_CREATE, &c);
	close(fd);
	if (ret)
		return create_failed(verb, dev, &c, local, ldev, missing ? NULL : remote, rdev);
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


/*
 * The data generation of an array or a leg (superblock version 4): which
 * data it holds, since when and where, and from which one its bitmap
 * records the chunks written.
 */
static void print_gen(struct out *o, uint64_t cur, uint64_t bitmap, const uint64_t *history,
		      uint64_t when, const char *host, size_t host_len, uint32_t flags)
{
	char t[40], hostname[64];
	unsigned int i;

	if (!cur) {
		out_text(o, "       Generation : none\n");
		out_null(o, "generation");
		return;
	}
	snprintf(hostname, sizeof(hostname), "%.*s", (int)host_len, host);
	out_text(o, "       Generation : %016" PRIx64 "\n", cur);
	out_object(o, "generation");
	out_hex(o, "current", cur);
	out_text(o, " Generation Start : %s on %s%s\n", dcdctl_time_str(when, t, sizeof(t)),
		 hostname[0] ? hostname : "an unknown host",
		 flags & DCDMIRROR_GEN_TAKEOVER ? ", at a takeover" : "");
	out_u64(o, "start_time", when);
	out_str(o, "host", hostname[0] ? hostname : NULL);
	if (flags & DCDMIRROR_GEN_INCONSISTENT)
		out_text(o, " Generation Flags : inconsistent (being rebuilt: not a source)%s\n",
			 flags & DCDMIRROR_GEN_TAKEOVER ? ", takeover" : "");
	else if (flags & DCDMIRROR_GEN_TAKEOVER)
		out_text(o, " Generation Flags : takeover\n");
	out_bool(o, "takeover", flags & DCDMIRROR_GEN_TAKEOVER);
	out_bool(o, "inconsistent", flags & DCDMIRROR_GEN_INCONSISTENT);
	if (bitmap) {
		out_text(o, "Bitmap Generation : %016" PRIx64 " (the bitmap holds every chunk written since)\n",
			 bitmap);
		out_hex(o, "bitmap", bitmap);
	} else {
		out_text(o, "Bitmap Generation : none (the legs were in sync)\n");
		out_null(o, "bitmap");
	}
	if (history[0] && history[1])
		out_text(o, "Older Generations : %016" PRIx64 ", %016" PRIx64 "\n", history[0],
			 history[1]);
	else if (history[0] || history[1])
		out_text(o, "Older Generations : %016" PRIx64 "\n",
			 history[0] ? history[0] : history[1]);
	else
		out_text(o, "Older Generations : none\n");
	out_array(o, "older");
	for (i = 0; i < 2; i++)
		if (history[i])
			out_hex(o, NULL, history[i]);
	out_close(o);
	out_close(o);
}

/* The running check (online verify), or the last one. */
static void print_check(struct out *o, const struct dcdmirror_ioc_info *info)
{
	uint64_t total = info->check_total, pos = info->check_pos;
	const char *what = info->check_flags & DCDMIRROR_CHECK_REPAIR ? "check and repair" :
									"check";
	double pct = total ? 100.0 * (double)(pos < total ? pos : total) / (double)total : 0.0;
	const char *state;

	switch (info->check_state) {
	case DCDMIRROR_CHECK_NONE:
		out_text(o, "            Check : none since the array started\n");
		out_null(o, "check");
		return;
	case DCDMIRROR_CHECK_RUNNING:
		state = "running";
		out_text(o, "            Check : %s running, %.1f%% (chunk %" PRIu64 " of %" PRIu64
			 "), %u KiB/s\n", what, pct, pos, total, info->check_speed);
		break;
	case DCDMIRROR_CHECK_DONE:
		state = "done";
		out_text(o, "            Check : %s done, %" PRIu64 " chunks in %" PRIu64 " ms\n",
			 what, total, (uint64_t)info->check_msecs);
		break;
	default:
		state = "stopped";
		out_text(o, "            Check : %s stopped at chunk %" PRIu64 " of %" PRIu64 "\n",
			 what, pos, total);
		break;
	}
	out_object(o, "check");
	out_str(o, "state", state);
	out_bool(o, "repair", info->check_flags & DCDMIRROR_CHECK_REPAIR);
	out_fixed(o, "percent", pct, 1);
	out_u64(o, "position_chunk", pos);
	out_u64(o, "chunks_total", total);
	out_u64(o, "speed_bytes_per_sec", (uint64_t)info->check_speed << 10);
	out_u64(o, "time_ms", info->check_msecs);
	out_text(o, " Check Mismatches : %" PRIu64 " chunks differ, %" PRIu64 " repaired\n",
		 (uint64_t)info->check_mismatches, (uint64_t)info->check_repaired);
	out_u64(o, "mismatches", info->check_mismatches);
	out_u64(o, "repaired", info->check_repaired);
	out_close(o);
}

static int do_detail(const char *dev, unsigned int index, int argc, char **argv)
{
	struct dcdmirror_ioc_info info;
	char h[32], name[160];
	unsigned int i, active = 0;
	bool json = false;
	const struct dcdctl_opt opts[] = {
		{ .name = "json", .flag = &json },
		{ 0 }
	};
	const char *pos[1];
	struct out o;
	int npos;

	if (dcdctl_parse(argc, argv, opts, pos, 0, &npos))
		return 1;
	if (get_info(dev, index, &info))
		return 1;
	for (i = 0; i < info.nr_legs && i < DCDMIRROR_MAX_LEGS; i++)
		if (info.legs[i].state == DCDMIRROR_LEG_IN_SYNC)
			active++;

	out_init(&o, stdout, json);
	out_begin(&o, "dcdmirror", "array", dev);
	out_text(&o, "       Array Size : %" PRIu64 " (%s)\n", (uint64_t)info.size_bytes,
		 dcdctl_human(info.size_bytes, h, sizeof(h)));
	out_u64(&o, "array_size_bytes", info.size_bytes);
	out_text(&o, "    Logical Block : %u bytes\n", info.logical_block_size);
	out_u64(&o, "logical_block_size", info.logical_block_size);
	out_text(&o, "            State : %s%s\n",
		 info.state == DCDMIRROR_STATE_ACTIVE ? "active" : "clean",
		 info.flags & DCDMIRROR_INFO_DEGRADED ? ", degraded" : "");
	out_str(&o, "state", info.state == DCDMIRROR_STATE_ACTIVE ? "active" : "clean");
	out_bool(&o, "degraded", info.flags & DCDMIRROR_INFO_DEGRADED);
	out_text(&o, "             Mode : %s\n", mode_name(info.mode));
	out_str(&o, "mode", mode_name(info.mode));
	out_text(&o, "          Max Lag : %u KiB, %u ms; flushes wait for %s\n",
		 info.max_lag_kib, info.max_lag_ms,
		 info.async_flags & DCDMIRROR_ASYNC_FLUSH_LOCAL ? "the local leg only" :
								    "both legs");
	out_u64(&o, "max_lag_bytes", (uint64_t)info.max_lag_kib << 10);
	out_u64(&o, "max_lag_ms", info.max_lag_ms);
	out_str(&o, "async_flush", info.async_flags & DCDMIRROR_ASYNC_FLUSH_LOCAL ? "local" : "both");
	out_text(&o, "              Lag : %" PRIu64 " bytes (at most %" PRIu64 "), oldest %" PRIu64
		 " us\n", (uint64_t)info.lag_bytes, (uint64_t)info.lag_max_bytes,
		 (uint64_t)info.lag_oldest_us);
	out_u64(&o, "lag_bytes", info.lag_bytes);
	out_u64(&o, "lag_max_bytes", info.lag_max_bytes);
	out_u64(&o, "lag_oldest_us", info.lag_oldest_us);
	/* in JSON, inflight_bytes and merged_writes of each leg (below) */
	for (i = 0; i < info.nr_legs && i < DCDMIRROR_MAX_LEGS; i++)
		if (info.legs[i].role == DCDMIRROR_ROLE_REMOTE)
			out_text(&o, "  Remote In Flight : %" PRIu64 " bytes, %" PRIu64
				 " writes merged into larger requests\n",
				 (uint64_t)info.legs[i].inflight_bytes,
				 (uint64_t)info.legs[i].merged);
	out_text(&o, "      Active Legs : %u of %u\n", active, info.nr_legs);
	out_u64(&o, "active_legs", active);
	out_u64(&o, "nr_legs", info.nr_legs);
	out_text(&o, "       Open Count : %u\n", info.open_count);
	out_u64(&o, "open_count", info.open_count);
	if (info.flags & DCDMIRROR_INFO_SUPERBLOCK) {
		uint64_t history[2] = { info.gen_history[0], info.gen_history[1] };

		out_text(&o, "         Metadata : 1 (superblock at the end of each leg)\n");
		out_str(&o, "metadata", "1");
		out_text(&o, "             UUID : %s\n", dcdctl_uuid(info.uuid, name));
		out_str(&o, "uuid", name);
		out_text(&o, "           Events : %" PRIu64 "\n", (uint64_t)info.events);
		out_u64(&o, "events", info.events);
		print_gen(&o, info.gen_current, info.gen_bitmap, history, info.gen_time,
			  info.gen_host, sizeof(info.gen_host), info.gen_flags);
	} else {
		out_text(&o, "         Metadata : none\n");
		out_str(&o, "metadata", "none");
		out_null(&o, "uuid");
		out_null(&o, "events");
		out_null(&o, "generation");
	}
	if (info.source_leg < DCDMIRROR_MAX_LEGS) {
		out_text(&o, "           Source : leg %u (%s)\n", info.source_leg,
			 role_name(info.legs[info.source_leg].role));
		out_u64(&o, "source_leg", info.source_leg);
	} else {
		out_null(&o, "source_leg");
	}
	print_remote_timeout(&o, info.remote_timeout_ms);
	if (info.flags & DCDMIRROR_INFO_UNCLEAN)
		out_text(&o, "          Warning : assembled after a stop that was not clean\n");
	out_bool(&o, "unclean", info.flags & DCDMIRROR_INFO_UNCLEAN);
	out_text(&o, "     Bitmap Chunk : %s\n", dcdctl_human(info.bitmap_chunk, h, sizeof(h)));
	out_u64(&o, "bitmap_chunk_bytes", info.bitmap_chunk);
	out_text(&o, "    Bitmap Chunks : %" PRIu64 " (%" PRIu64 " dirty)\n",
		 (uint64_t)info.bitmap_chunks, (uint64_t)info.bitmap_dirty);
	out_u64(&o, "bitmap_chunks", info.bitmap_chunks);
	out_u64(&o, "bitmap_dirty", info.bitmap_dirty);
	if (info.flags & DCDMIRROR_INFO_ACTIVITY_LOG) {
		out_text(&o, "     Activity Log : %u extents of %u MiB, %u in use; after a crash at most %"
			 PRIu64 " MiB are resynced\n", info.al_extents, info.al_extent_kib >> 10,
			 info.al_used, (uint64_t)info.al_extents * (info.al_extent_kib >> 10));
		out_object(&o, "activity_log");
		out_u64(&o, "extents", info.al_extents);
		out_u64(&o, "extent_bytes", (uint64_t)info.al_extent_kib << 10);
		out_u64(&o, "used", info.al_used);
		out_text(&o, "      AL Counters : %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
			 " evictions, %" PRIu64 " transactions, %" PRIu64 " waits\n",
			 (uint64_t)info.al_hits, (uint64_t)info.al_misses,
			 (uint64_t)info.al_evictions, (uint64_t)info.al_transactions,
			 (uint64_t)info.al_waits);
		out_u64(&o, "hits", info.al_hits);
		out_u64(&o, "misses", info.al_misses);
		out_u64(&o, "evictions", info.al_evictions);
		out_u64(&o, "transactions", info.al_transactions);
		out_u64(&o, "waits", info.al_waits);
		out_close(&o);
	} else {
		out_null(&o, "activity_log");
	}
	out_text(&o, "  Metadata Writes : %" PRIu64 " for %" PRIu64 " writes\n",
		 (uint64_t)info.meta_writes, (uint64_t)info.data_writes);
	out_u64(&o, "metadata_writes", info.meta_writes);
	out_u64(&o, "data_writes", info.data_writes);
	out_text(&o, "      Resync Rate : %u KiB/s\n", info.resync_rate);
	out_u64(&o, "resync_rate_bytes_per_sec", (uint64_t)info.resync_rate << 10);
	if (info.resync_msecs || info.resync_total || info.flags & DCDMIRROR_INFO_RESYNC) {
		uint64_t total = info.resync_total, done = info.resync_chunks;
		double pct = total ? 100.0 * (double)(done < total ? done : total) / (double)total :
				     0.0;
		bool running = info.flags & DCDMIRROR_INFO_RESYNC;
		bool pending = running && !info.resync_msecs && !total;

		if (!running)
			out_text(&o, "           Resync : done, leg %u\n", info.resync_leg);
		else if (pending)
			out_text(&o, "           Resync : pending\n");
		else
			out_text(&o, "           Resync : %.1f%% of leg %u, ETA %" PRIu64 " s\n",
				 pct, info.resync_leg, (uint64_t)info.resync_eta);
		out_object(&o, "resync");
		out_str(&o, "state", !running ? "done" : pending ? "pending" : "running");
		out_u64(&o, "leg", info.resync_leg);
		out_fixed(&o, "percent", pct, 1);
		if (running && !pending)
			out_u64(&o, "eta_sec", info.resync_eta);
		else
			out_null(&o, "eta_sec");
		out_text(&o, "    Chunks Copied : %" PRIu64 " of %" PRIu64 "\n", done, total);
		out_u64(&o, "chunks_copied", done);
		out_u64(&o, "chunks_total", total);
		out_text(&o, "     Bytes Copied : %" PRIu64 "\n", (uint64_t)info.resync_bytes);
		out_u64(&o, "bytes_copied", info.resync_bytes);
		out_text(&o, "     Resync Speed : %u KiB/s\n", info.resync_speed);
		out_u64(&o, "speed_bytes_per_sec", (uint64_t)info.resync_speed << 10);
		out_text(&o, "      Resync Time : %" PRIu64 " ms\n", (uint64_t)info.resync_msecs);
		out_u64(&o, "time_ms", info.resync_msecs);
		out_text(&o, "   Resync Started : chunk %" PRIu64 "%s\n", (uint64_t)info.resync_start,
			 info.resync_start ? " (resumed at a checkpoint)" : "");
		out_u64(&o, "start_chunk", info.resync_start);
		out_text(&o, "  Resync Position : chunk %" PRIu64 "\n", (uint64_t)info.resync_pos);
		out_u64(&o, "position_chunk", info.resync_pos);
		if (running) {
			out_text(&o, "Resync Checkpoint : chunk %" PRIu64 " (%s resync)\n",
				 (uint64_t)info.resync_checkpoint,
				 info.resync_full ? "full" : "bitmap");
			out_u64(&o, "checkpoint_chunk", info.resync_checkpoint);
			out_str(&o, "checkpoint_type", info.resync_full ? "full" : "bitmap");
		} else {
			out_null(&o, "checkpoint_chunk");
			out_null(&o, "checkpoint_type");
		}
		out_close(&o);
	} else {
		out_null(&o, "resync");
	}
	print_check(&o, &info);
	out_text(&o, "  Max Read Errors : %u\n", info.max_read_errors);
	out_u64(&o, "max_read_errors", info.max_read_errors);
	out_text(&o, "\n");
	out_text(&o, "   Number   Major   Minor   Role     State      Size        Device\n");
	for (i = 0; i < info.nr_legs && i < DCDMIRROR_MAX_LEGS; i++) {
		const struct dcdmirror_ioc_leg_info *l = &info.legs[i];

		out_text(&o, "   %6u   %5u   %5u   %-7s  %-9s  %-10s  %s\n", i,
			 l->major, l->minor, role_name(l->role),
			 leg_state_name(l->state),
			 dcdctl_human(l->size_bytes, h, sizeof(h)),
			 l->major || l->minor ?
			 dcdctl_dev_name(l->major, l->minor, name, sizeof(name)) : "-");
	}
	out_text(&o, "\n");
	out_text(&o, "   Number   Reads        Read Bytes       Writes       Write Bytes      Errors"
		 "   Lat Avg us  Lat Max us  Corrected\n");
	for (i = 0; i < info.nr_legs && i < DCDMIRROR_MAX_LEGS; i++) {
		const struct dcdmirror_ioc_leg_info *l = &info.legs[i];

		out_text(&o, "   %6u   %-11" PRIu64 "  %-15" PRIu64 "  %-11" PRIu64 "  %-15" PRIu64
			 "  %-7" PRIu64 "  %-10" PRIu64 "  %-10" PRIu64 "  %" PRIu64 "\n", i,
			 (uint64_t)l->reads, (uint64_t)l->read_bytes, (uint64_t)l->writes,
			 (uint64_t)l->write_bytes, (uint64_t)l->errors, (uint64_t)l->lat_avg_us,
			 (uint64_t)l->lat_max_us, (uint64_t)l->corrected);
	}
	for (i = 0; i < info.nr_legs && i < DCDMIRROR_MAX_LEGS; i++) {
		const struct dcdmirror_ioc_leg_info *l = &info.legs[i];

		out_text(&o, "Leg %u Read Errors : %" PRIu64 " corrected (%" PRIu64
			 " sectors rewritten), %u counted\n", i, (uint64_t)l->corrected,
			 (uint64_t)l->corrected_sectors, l->read_errors);
	}
	/* in JSON one object per leg: its row of each table above, its read errors */
	out_array(&o, "legs");
	for (i = 0; i < info.nr_legs && i < DCDMIRROR_MAX_LEGS; i++) {
		const struct dcdmirror_ioc_leg_info *l = &info.legs[i];

		out_object(&o, NULL);
		out_u64(&o, "number", i);
		out_u64(&o, "major", l->major);
		out_u64(&o, "minor", l->minor);
		out_str(&o, "role", role_name(l->role));
		out_str(&o, "state", leg_state_name(l->state));
		out_u64(&o, "size_bytes", l->size_bytes);
		out_str(&o, "device", l->major || l->minor ?
			dcdctl_dev_name(l->major, l->minor, name, sizeof(name)) : NULL);
		out_u64(&o, "reads", l->reads);
		out_u64(&o, "read_bytes", l->read_bytes);
		out_u64(&o, "writes", l->writes);
		out_u64(&o, "write_bytes", l->write_bytes);
		out_u64(&o, "errors", l->errors);
		out_u64(&o, "lat_avg_us", l->lat_avg_us);
		out_u64(&o, "lat_max_us", l->lat_max_us);
		out_u64(&o, "corrected", l->corrected);
		out_u64(&o, "corrected_sectors", l->corrected_sectors);
		out_u64(&o, "read_errors", l->read_errors);
		out_u64(&o, "inflight_bytes", l->inflight_bytes);
		out_u64(&o, "merged_writes", l->merged);
		out_close(&o);
	}
	out_close(&o);
	return out_end(&o);
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

/*
 * The slot an add of rdev fills, as the kernel picks it: the faulty leg
 * holding the same device (a re-add), else the missing one, else a faulty
 * one. -1 when there is none (the kernel says why).
 */
static int add_slot(const struct dcdmirror_ioc_info *info, dev_t rdev)
{
	unsigned int i;

	for (i = 0; i < info->nr_legs && i < DCDMIRROR_MAX_LEGS; i++)
		if (info->legs[i].state == DCDMIRROR_LEG_FAULTY &&
		    info->legs[i].major == major(rdev) && info->legs[i].minor == minor(rdev))
			return (int)i;
	for (i = 0; i < info->nr_legs && i < DCDMIRROR_MAX_LEGS; i++)
		if (info->legs[i].state == DCDMIRROR_LEG_MISSING)
			return (int)i;
	for (i = 0; i < info->nr_legs && i < DCDMIRROR_MAX_LEGS; i++)
		if (info->legs[i].state == DCDMIRROR_LEG_FAULTY)
			return (int)i;
	return -1;
}

/* fail, remove: DEV or local/remote; add: DEV [--discard local|remote]. */
static int do_leg_op(const char *verb, const char *dev, unsigned int index,
		     int argc, char **argv)
{
	struct dcdmirror_ioc_leg_op op;
	const char *discard = NULL;
	const struct dcdctl_opt add_opts[] = {
		{ .name = "discard", .takes_value = true, .value = &discard },
		{ 0 }
	};
	const char *pos[1];
	bool add = !strcmp(verb, "add");
	unsigned int discard_slot = 0;
	dev_t rdev = 0;
	int npos, fd, ret;

	if (dcdctl_parse(argc, argv, add ? add_opts : NULL, pos, 1, &npos))
		return 1;
	if (npos < 1)
		return dcdctl_err("%s: missing the leg (DEV%s)", verb,
				  strcmp(verb, "add") ? ", local or remote" : "");
	if (discard && parse_discard(verb, discard, &discard_slot))
		return 1;
	memset(&op, 0, sizeof(op));
	op.version = DCDMIRROR_IOCTL_VERSION;
	op.size = sizeof(op);
	op.index = index;
	op.slot = DCDMIRROR_LEG_BY_DEV;
	op.op = add ? DCDMIRROR_LEG_OP_ADD :
		!strcmp(verb, "fail") ? DCDMIRROR_LEG_OP_FAIL : DCDMIRROR_LEG_OP_REMOVE;
	if (!add && !strcmp(pos[0], "local")) {
		op.slot = 0;
	} else if (!add && !strcmp(pos[0], "remote")) {
		op.slot = 1;
	} else {
		if (dcdctl_blockdev(pos[0], &rdev))
			return 1;
		op.major = major(rdev);
		op.minor = minor(rdev);
	}
	if (discard) {
		struct dcdmirror_ioc_info info;
		int slot;

		if (get_info(dev, index, &info))
			return 1;
		slot = add_slot(&info, rdev);
		if (slot >= 0 && (unsigned int)slot != discard_slot)
			return dcdctl_err("add: --discard %s names the leg being added, and %s is added as the %s leg (--discard %s)",
					  discard, pos[0], slot ? "remote" : "local",
					  slot ? "remote" : "local");
		op.flags = DCDMIRROR_LEG_ADD_DISCARD;
	}
	fd = open_ctl();
	if (fd < 0)
		return 1;
	ret = ioctl(fd, DCDMIRROR_IOC_LEG_OP, &op);
	close(fd);
	if (ret) {
		op.error[sizeof(op.error) - 1] = '\0';
		if (add && errno == EBUSY && strstr(op.error, "in use"))
			return leg_busy(pos[0], rdev);
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
	const char *timeout = NULL;
	const struct dcdctl_opt opts[] = {
		{ .name = "resync-rate", .takes_value = true, .value = &rate },
		{ .name = "mode", .takes_value = true, .value = &mode },
		{ .name = "max-lag", .takes_value = true, .value = &max_lag },
		{ .name = "async-flush", .takes_value = true, .value = &async_flush },
		{ .name = "remote-timeout", .takes_value = true, .value = &timeout },
		{ 0 }
	};
	const char *pos[1];
	uint64_t kib = 0;
	int npos, fd, ret;

	if (dcdctl_parse(argc, argv, opts, pos, 0, &npos))
		return 1;
	if (!rate && !mode && !max_lag && !async_flush && !timeout)
		return dcdctl_err("set: nothing to set (--resync-rate KIB, --mode, --max-lag, --async-flush, --remote-timeout)");
	if (rate && parse_rate("set", rate, &kib))
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
	if (timeout && parse_remote_timeout("set", timeout, &set.remote_timeout_ms))
		return 1;
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

/* Why a check cannot start now, from the array's state. */
static int check_busy(const char *dev, unsigned int index)
{
	struct dcdmirror_ioc_info info;

	if (get_info(dev, index, &info))
		return 1;
	if (info.flags & DCDMIRROR_INFO_CHECK)
		return dcdctl_err("check %s: a check is running (dcdctl check --cancel stops it)",
				  dev);
	if (info.flags & DCDMIRROR_INFO_RESYNC)
		return dcdctl_err("check %s: a resync is running: check once it has ended (dcdctl wait)",
				  dev);
	if (info.flags & DCDMIRROR_INFO_DEGRADED)
		return dcdctl_err("check %s: a leg is not in sync: there is nothing to compare it with",
				  dev);
	return dcdctl_err("check %s: %s", dev, strerror(EBUSY));
}

static int do_check(const char *dev, unsigned int index, int argc, char **argv)
{
	struct dcdmirror_ioc_info info;
	bool repair = false, cancel = false, wait = false;
	const struct dcdctl_opt opts[] = {
		{ .name = "repair", .flag = &repair },
		{ .name = "cancel", .flag = &cancel },
		{ .name = "wait", .flag = &wait },
		{ 0 }
	};
	const char *pos[1];
	uint32_t flags;
	int npos, ret;

	if (dcdctl_parse(argc, argv, opts, pos, 0, &npos))
		return 1;
	if (repair && cancel)
		return dcdctl_err("check: --repair and --cancel do not go together");
	flags = (repair ? DCDMIRROR_CHECK_REPAIR : 0) | (cancel ? DCDMIRROR_CHECK_CANCEL : 0);
	ret = dev_ioctl(index, DCDMIRROR_IOC_CHECK, flags);
	if (ret < 0)
		return 1;
	if (ret) {
		if (errno == ENODEV)
			return dcdctl_err("%s: no such mirror", dev);
		if (errno == EALREADY && !cancel)
			return dcdctl_err("check %s: a check is running (dcdctl check --cancel stops it)",
					  dev);
		if (errno == EBUSY && !cancel)
			return check_busy(dev, index);
		if (errno == ENOTTY || errno == EINVAL)
			return dcdctl_err("check %s: %s (are dcdctl and dcdmirror.ko of the same version?)",
					  dev, strerror(errno));
		return dcdctl_err("check %s: %s", dev, strerror(errno));
	}
	if (!wait)
		return 0;
	ret = dev_ioctl(index, DCDMIRROR_IOC_WAIT, 0);
	if (ret < 0)
		return 1;
	if (ret && errno != EIO)
		return dcdctl_err("wait %s: %s", dev, strerror(errno));
	if (get_info(dev, index, &info))
		return 1;
	printf("%s: check %s: %" PRIu64 " of %" PRIu64 " chunks differ, %" PRIu64 " repaired\n",
	       dev, info.check_state == DCDMIRROR_CHECK_DONE ? "done" :
	       info.check_state == DCDMIRROR_CHECK_STOPPED ? "stopped" : "ended",
	       (uint64_t)info.check_mismatches, (uint64_t)info.check_total,
	       (uint64_t)info.check_repaired);
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
	if (!strcmp(verb, "check"))
		return do_check(dev, index, argc, argv);
	return dcdctl_err("%s: unknown verb for a mirror (see dcdctl --help)", verb);
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
 * Which leg is the source, as this leg's superblock knows it: not this one
 * while it is being rebuilt or is not in sync itself; this one when the
 * other is out; the local leg when both are in sync.
 */
static unsigned int sb_source(const struct dcdmirror_sb *sb)
{
	unsigned int me = le32toh(sb->leg) & 1, other = !me;

	if (le32toh(sb->gen_flags) & DCDMIRROR_GEN_INCONSISTENT ||
	    le32toh(sb->leg_state[me]) != DCDMIRROR_LEG_IN_SYNC)
		return other;
	if (le32toh(sb->leg_state[other]) != DCDMIRROR_LEG_IN_SYNC)
		return me;
	return 0;
}

/* The fields of superblock version 4: generations, leg ids, activity log. */
static void examine_v4(struct out *o, const struct dcdmirror_sb *sb)
{
	uint64_t history[2] = { le64toh(sb->gen_history[0]), le64toh(sb->gen_history[1]) };
	uint32_t shift = le32toh(sb->al_extent_shift);
	unsigned int src = sb_source(sb);
	char buf[80];

	print_gen(o, le64toh(sb->gen_current), le64toh(sb->gen_bitmap), history,
		  le64toh(sb->gen_time), (const char *)sb->gen_host, sizeof(sb->gen_host),
		  le32toh(sb->gen_flags));
	out_text(o, "           Source : leg %u (%s)%s\n", src, role_name(src),
		 src == (le32toh(sb->leg) & 1) ? ", this one" : ", the other one");
	out_u64(o, "source_leg", src);
	out_text(o, "           Leg ID : %016" PRIx64 "\n", (uint64_t)le64toh(sb->leg_id));
	out_hex(o, "leg_id", le64toh(sb->leg_id));
	out_text(o, "          Peer ID : %016" PRIx64 "\n", (uint64_t)le64toh(sb->peer_id));
	out_hex(o, "peer_id", le64toh(sb->peer_id));
	print_remote_timeout(o, le32toh(sb->remote_timeout_ms));
	out_text(o, "     Activity Log : sector %" PRIu64 ", %u slots, %u extents of %s\n",
		 (uint64_t)le64toh(sb->al_sector), le32toh(sb->al_slots), le32toh(sb->al_extents),
		 shift < 40 ? dcdctl_human(512ULL << shift, buf, sizeof(buf)) : "?");
	out_object(o, "activity_log");
	out_u64(o, "sector", le64toh(sb->al_sector));
	out_u64(o, "slots", le32toh(sb->al_slots));
	out_u64(o, "extents", le32toh(sb->al_extents));
	if (shift < 40)
		out_u64(o, "extent_bytes", 512ULL << shift);
	else
		out_null(o, "extent_bytes");
	out_close(o);
}

int mirror_read_sb(int fd, struct dcdmirror_sb *sb)
{
	uint64_t bytes, sector;

	if (ioctl(fd, BLKGETSIZE64, &bytes) ||
	    dcdmirror_data_sectors(bytes >> 9) < 8)
		return 1;
	sector = dcdmirror_sb_sector(bytes >> 9);
	/* the driver writes around the page cache: drop what it holds */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (pread(fd, sb, sizeof(*sb), (off_t)(sector << 9)) != sizeof(*sb) ||
	    le64toh(sb->magic) != DCDMIRROR_SB_MAGIC)
		return 1;
	return 0;
}

/*
 * Print the superblock at the end of a leg. 1 (quietly) when there is
 * none, so that the caller can look for another kind.
 */
int mirror_examine(const char *path, bool json)
{
	struct dcdmirror_sb sb;
	char u[40], t1[40], t2[40], h[32], c[16];
	int64_t dirty;
	uint32_t crc, state;
	unsigned int i;
	struct out o;
	bool crc_ok;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	if (mirror_read_sb(fd, &sb)) {
		close(fd);
		return 1;
	}
	dirty = bitmap_dirty(fd, &sb);
	close(fd);
	crc = le32toh(sb.crc);
	sb.crc = 0;
	crc_ok = dcdctl_crc32c(~0U, &sb, sizeof(sb)) == crc;
	state = le32toh(sb.state);
	out_init(&o, stdout, json);
	out_begin(&o, "dcdmirror", "leg", path);
	out_text(&o, "            Magic : dcdmirror leg, metadata version %u\n", le32toh(sb.version));
	out_u64(&o, "metadata_version", le32toh(sb.version));
	out_text(&o, "         Checksum : %08x (%s)\n", crc, crc_ok ? "correct" : "WRONG");
	snprintf(c, sizeof(c), "%08x", crc);
	out_str(&o, "checksum", c);
	out_bool(&o, "checksum_ok", crc_ok);
	out_text(&o, "             UUID : %s\n", dcdctl_uuid(sb.uuid, u));
	out_str(&o, "uuid", u);
	out_text(&o, "              Leg : %u of %u (%s)\n", le32toh(sb.leg), le32toh(sb.nr_legs),
		 role_name(le32toh(sb.role)));
	out_u64(&o, "leg", le32toh(sb.leg));
	out_u64(&o, "nr_legs", le32toh(sb.nr_legs));
	out_str(&o, "role", role_name(le32toh(sb.role)));
	out_text(&o, "            State : %s\n", state == DCDMIRROR_SB_CLEAN ? "clean" :
		 state == DCDMIRROR_SB_ACTIVE ? "active (running or not stopped cleanly)" :
		 "unknown");
	out_str(&o, "state", state == DCDMIRROR_SB_CLEAN ? "clean" :
		state == DCDMIRROR_SB_ACTIVE ? "active" : "unknown");
	out_text(&o, "             Mode : %s\n", mode_name(le32toh(sb.mode)));
	out_str(&o, "mode", mode_name(le32toh(sb.mode)));
	out_text(&o, "           Events : %" PRIu64 "\n", (uint64_t)le64toh(sb.events));
	out_u64(&o, "events", le64toh(sb.events));
	out_text(&o, "       Array Size : %" PRIu64 " (%s)\n",
		 (uint64_t)le64toh(sb.array_sectors) << 9,
		 dcdctl_human(le64toh(sb.array_sectors) << 9, h, sizeof(h)));
	out_u64(&o, "array_size_bytes", le64toh(sb.array_sectors) << 9);
	out_text(&o, "    Logical Block : %u bytes\n", le32toh(sb.logical_block_size));
	out_u64(&o, "logical_block_size", le32toh(sb.logical_block_size));
	out_text(&o, "Superblock Sector : %" PRIu64 "\n", (uint64_t)le64toh(sb.sb_sector));
	out_u64(&o, "superblock_sector", le64toh(sb.sb_sector));
	out_text(&o, "          Created : %s\n", dcdctl_time_str(le64toh(sb.ctime), t1, sizeof(t1)));
	out_u64(&o, "created_time", le64toh(sb.ctime));
	out_text(&o, "          Updated : %s\n", dcdctl_time_str(le64toh(sb.utime), t2, sizeof(t2)));
	out_u64(&o, "updated_time", le64toh(sb.utime));
	out_array(&o, "legs");
	for (i = 0; i < 2 && i < le32toh(sb.nr_legs); i++) {
		out_text(&o, "       Leg %u State : %s\n", i,
			 leg_state_name(le32toh(sb.leg_state[i])));
		out_object(&o, NULL);
		out_u64(&o, "number", i);
		out_str(&o, "state", leg_state_name(le32toh(sb.leg_state[i])));
		out_close(&o);
	}
	out_close(&o);
	out_text(&o, "    Bitmap Sector : %" PRIu64 "\n", (uint64_t)le64toh(sb.bitmap_sector));
	out_u64(&o, "bitmap_sector", le64toh(sb.bitmap_sector));
	out_text(&o, "     Bitmap Chunk : %s\n",
		 dcdctl_human((uint64_t)le32toh(sb.bitmap_chunk_sectors) << 9, h, sizeof(h)));
	out_u64(&o, "bitmap_chunk_bytes", (uint64_t)le32toh(sb.bitmap_chunk_sectors) << 9);
	out_text(&o, "    Bitmap Chunks : %" PRIu64 "\n", (uint64_t)le64toh(sb.bitmap_chunks));
	out_u64(&o, "bitmap_chunks", le64toh(sb.bitmap_chunks));
	if (dirty >= 0) {
		out_text(&o, "     Bitmap Dirty : %" PRId64 "\n", dirty);
		out_u64(&o, "bitmap_dirty", (uint64_t)dirty);
	} else {
		out_text(&o, "     Bitmap Dirty : unreadable\n");
		out_null(&o, "bitmap_dirty");
	}
	out_text(&o, "   Events Cleared : %" PRIu64 "\n", (uint64_t)le64toh(sb.events_cleared));
	out_u64(&o, "events_cleared", le64toh(sb.events_cleared));
	out_text(&o, "      Resync Rate : %u KiB/s\n", le32toh(sb.resync_rate));
	out_u64(&o, "resync_rate_bytes_per_sec", (uint64_t)le32toh(sb.resync_rate) << 10);
	if (le32toh(sb.resync_flags) & DCDMIRROR_SB_RESYNC_ACTIVE) {
		uint64_t off = le64toh(sb.resync_offset);
		uint32_t cs = le32toh(sb.bitmap_chunk_sectors);
		const char *type = le32toh(sb.resync_flags) & DCDMIRROR_SB_RESYNC_FULL ? "full" :
											  "bitmap";

		out_text(&o, "Resync Checkpoint : leg %u at sector %" PRIu64 " (chunk %" PRIu64
			 "), %s resync, id %016" PRIx64 "\n", le32toh(sb.resync_leg), off,
			 cs ? off / cs : 0, type, (uint64_t)le64toh(sb.resync_id));
		out_object(&o, "resync_checkpoint");
		out_u64(&o, "leg", le32toh(sb.resync_leg));
		out_u64(&o, "sector", off);
		out_u64(&o, "chunk", cs ? off / cs : 0);
		out_str(&o, "type", type);
		out_hex(&o, "id", le64toh(sb.resync_id));
		out_close(&o);
	} else {
		out_text(&o, "Resync Checkpoint : none\n");
		out_null(&o, "resync_checkpoint");
	}
	/* older superblocks have none of these: the JSON leaves them out too */
	if (le32toh(sb.version) >= 4)
		examine_v4(&o, &sb);
	return out_end(&o) ? 2 : 0;
}
