// SPDX-License-Identifier: GPL-2.0
/*
 * dcdctl: the verbs that find the devices by their superblocks, as mdadm's
 * --examine --scan, --assemble --scan and --incremental:
 *
 *   examine --scan      every block device's superblock, printed as the
 *                       lines of a configuration file
 *   assemble --scan     start the devices of the configuration file
 *   stop --scan         stop them
 *   incremental DEV     what a udev rule runs for a device that appeared
 *
 * A leg or disk of a line is the device at its path whose superblock
 * carries the line's uuid. Devices are started and legs added by the code
 * of dcdctl assemble and dcdctl add themselves (mirror_main, dcd_main).
 */
#define _GNU_SOURCE	/* strverscmp */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <uapi/dcdmirror/dcd.h>
#include <uapi/dcdmirror/mirror.h>
#include <dcdmirror/dcd_format.h>
#include <dcdmirror/mirror_format.h>

#include "conf.h"
#include "dcdctl.h"

#define MIRROR_CONTROL		"/dev/" DCDMIRROR_CONTROL_NAME
#define DCD_CONTROL		"/dev/" DCD_CONTROL_NAME
/* held while a device is looked at and started, against a udev event at the same time */
#define SCAN_LOCK		"/run/dcdctl.lock"
#define TIMEOUT_DEFAULT		30	/* s, as mdadm-last-resort */
#define TIMEOUT_MAX		86400
#define POLL_MS			200

const char scan_usage[] =
	"CONFIGURATION FILE AND SCANNING\n"
	"    dcdctl examine --scan\n"
	"        Read the superblocks of every block device and print a line of the\n"
	"        configuration file for each mirror and each DCD device found, with\n"
	"        the settings its superblock records: saved as a file, it is what\n"
	"        assemble --scan --config FILE starts. A leg or disk is named by a\n"
	"        stable name: /dev/disk/by-path/...-iscsi-... for an iSCSI disk,\n"
	"        /dev/mapper/NAME for a device-mapper device, else /dev/disk/by-id/...\n"
	"        when it has one, else /dev/NAME; a device by the name it runs as,\n"
	"        else by the next free one. A mirror of which one leg was found, or a\n"
	"        DCD device whose data disk was not, is printed as a comment. It reads\n"
	"        no configuration file: --config is refused.\n"
	"    dcdctl assemble --scan [--config FILE] [--timeout SECONDS] [--no-degraded]\n"
	"           [--only mirror|dcd]\n"
	"        Start each device of the configuration file, the DCD devices first,\n"
	"        then the mirrors, as dcdctl assemble does with the paths of its line,\n"
	"        and apply its settings as dcdctl set does. A device that runs\n"
	"        already is skipped, with a line that says so. One whose legs or\n"
	"        disks are not all there is waited for, up to --timeout seconds\n"
	"        (default 30; 0: no wait). Then a mirror whose remote leg is still\n"
	"        absent starts degraded, as with --remote missing --run, or, with\n"
	"        --no-degraded, is left stopped, with a line that says so. A mirror\n"
	"        whose local leg is absent is never started: a takeover by the\n"
	"        remote leg (--takeover) is for an operator to decide. --only starts\n"
	"        the mirrors or the DCD devices alone. The exit status is 1 when\n"
	"        any device failed to start, each with a line.\n"
	"    dcdctl stop --scan [--config FILE] [--only mirror|dcd]\n"
	"        Stop each device of the configuration file that runs, the mirrors\n"
	"        first, then the DCD devices.\n"
	"    dcdctl incremental DEV [--config FILE]\n"
	"        What a udev rule runs for a block device that appears, as mdadm\n"
	"        --incremental does. A leg of a mirror of the configuration file\n"
	"        that runs without it (its slot missing or faulty) is added back as\n"
	"        dcdctl add does it (by bitmap when it can); when the mirror does\n"
	"        not run and its other leg is there, it is assembled. A disk of a\n"
	"        DCD device that does not run is assembled with the other disk when\n"
	"        that is there. A line says what was done. A device that belongs\n"
	"        to none of the file, or carries no superblock, is left alone:\n"
	"        nothing printed, exit status 0.\n"
	"\n"
	"    The configuration file is /etc/dcdmirror.conf unless --config names\n"
	"    another: one device a line, blank lines, and comments from a word that\n"
	"    starts with #. A mirror is \"ARRAY /dev/dcdmirrorN uuid=UUID local=PATH\n"
	"    remote=PATH\" with any of mode=, max-lag=, async-flush=, remote-timeout=\n"
	"    and resync-rate=, whose values are those of the options of the same\n"
	"    names; a DCD device is \"DCD /dev/dcdN uuid=UUID cache=PATH data=PATH\",\n"
	"    UUID its cache disk's. The paths tell the local leg from the remote one;\n"
	"    stable names (/dev/disk/by-id/...) name the same disks after a reboot.\n"
	"    The whole file is checked first: a bad line is one error naming\n"
	"    FILE:LINE, and nothing is started or stopped.\n";

/* ---- superblocks ---------------------------------------------------------- */

enum super_kind {
	SUPER_NONE,
	SUPER_LEG,	/* a mirror leg: its superblock at the end */
	SUPER_CACHE,	/* a DCD cache disk: its superblock at the start */
	SUPER_DATA,	/* a DCD data disk: its header at the start (format 2) */
};

struct super {
	enum super_kind kind;
	uint8_t uuid[16];
	struct dcdmirror_sb leg;	/* SUPER_LEG */
	uint32_t dcd_version;		/* SUPER_CACHE */
};

/* A 4096-byte block with this magic whose crc32c at crc_off is right. */
static bool block_ok(const void *block, uint64_t magic, size_t crc_off)
{
	static uint8_t copy[4096];
	uint64_t m;
	uint32_t crc;

	memcpy(copy, block, sizeof(copy));
	memcpy(&m, copy, sizeof(m));
	if (le64toh(m) != magic)
		return false;
	memcpy(&crc, copy + crc_off, sizeof(crc));
	memset(copy + crc_off, 0, sizeof(crc));
	return dcdctl_crc32c(~0U, copy, sizeof(copy)) == le32toh(crc);
}

/* The DCD superblock or data disk header at the start of fd, if any. */
static void read_dcd(int fd, struct super *s)
{
	static struct dcd_sb copies[DCD_SB_COPIES];
	int i, newest = -1;

	if (pread(fd, copies, sizeof(copies), 0) != (ssize_t)sizeof(copies))
		return;
	if (block_ok(&copies[0], DCD_DATA_MAGIC, offsetof(struct dcd_data_sb, crc))) {
		s->kind = SUPER_DATA;
		memcpy(s->uuid, ((struct dcd_data_sb *)copies)->uuid, sizeof(s->uuid));
		return;
	}
	/* the newer valid copy, as dcd_examine and the driver take it */
	for (i = 0; i < DCD_SB_COPIES; i++)
		if (block_ok(&copies[i], DCD_SB_MAGIC, offsetof(struct dcd_sb, crc)) &&
		    (i == 0 || le32toh(copies[i].version) >= 2) &&
		    (newest < 0 || le64toh(copies[i].sb_seq) > le64toh(copies[newest].sb_seq)))
			newest = i;
	if (newest < 0)
		return;
	s->kind = SUPER_CACHE;
	memcpy(s->uuid, copies[newest].uuid, sizeof(s->uuid));
	s->dcd_version = le32toh(copies[newest].version);
}

/*
 * What path carries. A DCD header at the start wins over a mirror
 * superblock at the end: the data disk of a DCD device that is a leg ends
 * with the leg's superblock once it is destaged, and is no leg itself.
 * -1 when path cannot be opened.
 */
static int read_super(const char *path, struct super *s)
{
	uint32_t crc;
	int fd;

	memset(s, 0, sizeof(*s));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	read_dcd(fd, s);
	if (s->kind == SUPER_NONE && !mirror_read_sb(fd, &s->leg)) {
		crc = le32toh(s->leg.crc);
		s->leg.crc = 0;
		if (dcdctl_crc32c(~0U, &s->leg, sizeof(s->leg)) == crc &&
		    le32toh(s->leg.version) >= DCDMIRROR_SB_VERSION_MIN) {
			s->kind = SUPER_LEG;
			memcpy(s->uuid, s->leg.uuid, sizeof(s->uuid));
		}
		s->leg.crc = htole32(crc);
	}
	close(fd);
	return 0;
}

enum probe {
	PROBE_OK,	/* there, with the superblock wanted */
	PROBE_ABSENT,	/* no such block device */
	PROBE_OTHER,	/* a block device without it */
};

/* Is the device at path of this kind, with this uuid? */
static enum probe probe(const char *path, enum super_kind kind, const uint8_t *uuid,
			struct super *s)
{
	struct stat st;

	if (stat(path, &st) || !S_ISBLK(st.st_mode))
		return PROBE_ABSENT;
	if (read_super(path, s) || s->kind != kind || memcmp(s->uuid, uuid, sizeof(s->uuid)))
		return PROBE_OTHER;
	return PROBE_OK;
}

static const char *probe_str(enum probe p)
{
	return p == PROBE_ABSENT ? "is absent" : "carries no superblock with the line's uuid";
}

/* ---- running devices ------------------------------------------------------ */

/* The mirror running with this uuid: its index and *info, or -1. */
static int running_mirror(const uint8_t *uuid, struct dcdmirror_ioc_info *info)
{
	unsigned int index;
	struct dirent *e;
	int fd, found = -1;
	DIR *d;

	fd = open(MIRROR_CONTROL, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	d = opendir("/sys/block");
	while (d && found < 0 && (e = readdir(d))) {
		if (dcdctl_dev_index(e->d_name, "dcdmirror", &index))
			continue;
		memset(info, 0, sizeof(*info));
		info->version = DCDMIRROR_IOCTL_VERSION;
		info->size = sizeof(*info);
		info->index = index;
		if (!ioctl(fd, DCDMIRROR_IOC_GET_INFO, info) &&
		    info->flags & DCDMIRROR_INFO_SUPERBLOCK && !memcmp(info->uuid, uuid, 16))
			found = (int)index;
	}
	if (d)
		closedir(d);
	close(fd);
	return found;
}

/* The DCD device running with this (its cache disk's) uuid: its index, or -1. */
static int running_dcd(const uint8_t *uuid)
{
	struct dcd_ioc_detail det;
	unsigned int index;
	struct dirent *e;
	int fd, found = -1;
	DIR *d;

	fd = open(DCD_CONTROL, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	d = opendir("/sys/block");
	while (d && found < 0 && (e = readdir(d))) {
		if (dcdctl_dev_index(e->d_name, "dcd", &index))
			continue;
		memset(&det, 0, sizeof(det));
		det.version = DCD_IOCTL_VERSION;
		det.size = sizeof(det);
		det.index = index;
		if (!ioctl(fd, DCD_IOC_DETAIL, &det) && !memcmp(det.uuid, uuid, 16))
			found = (int)index;
	}
	if (d)
		closedir(d);
	close(fd);
	return found;
}

static int running(const struct conf_dev *dev, struct dcdmirror_ioc_info *info)
{
	if (dev->kind == CONF_ARRAY)
		return running_mirror(dev->uuid, info);
	return running_dcd(dev->uuid);
}

static const char *dev_prefix(enum conf_kind kind)
{
	return kind == CONF_ARRAY ? "dcdmirror" : "dcd";
}

static int lock_fd = -1;

/* Without /run (or as a user) there is no lock, and nothing to race with. */
static void scan_lock(void)
{
	if (lock_fd < 0)
		lock_fd = open(SCAN_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd >= 0)
		while (flock(lock_fd, LOCK_EX) && errno == EINTR)
			;
}

static void scan_unlock(void)
{
	if (lock_fd >= 0)
		flock(lock_fd, LOCK_UN);
}

/* A status line on stdout, seen at once beside the errors on stderr. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* ---- starting -------------------------------------------------------------- */

/* The settings of an ARRAY line that dcdctl set applies after the assemble. */
static int apply_settings(const struct conf_dev *a)
{
	static const struct { enum conf_field field; char *opt; } set_opts[] = {
		{ CONF_MODE, "--mode" },
		{ CONF_MAX_LAG, "--max-lag" },
		{ CONF_ASYNC_FLUSH, "--async-flush" },
		{ CONF_RESYNC_RATE, "--resync-rate" },
	};
	char *argv[DCDCTL_MAX_ARGS];
	int argc = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(set_opts); i++) {
		if (!a->value[set_opts[i].field])
			continue;
		argv[argc++] = set_opts[i].opt;
		argv[argc++] = a->value[set_opts[i].field];
	}
	return argc ? mirror_main("set", a->name, argc, argv) : 0;
}

/*
 * Start the device of a line as dcdctl assemble does (a mirror without its
 * remote leg with degraded), then apply its settings. 0, or 1 (said).
 */
static int start(const struct conf_dev *dev, bool degraded)
{
	char *argv[DCDCTL_MAX_ARGS];
	int argc = 0;

	if (dev->kind == CONF_DCD) {
		argv[argc++] = "--cache";
		argv[argc++] = dev->value[CONF_PATH0];
		argv[argc++] = "--data";
		argv[argc++] = dev->value[CONF_PATH1];
		if (dcd_main("assemble", dev->name, argc, argv))
			return 1;
		say("%s: assembled from %s (cache disk) and %s (data disk)", dev->name,
		    dev->value[CONF_PATH0], dev->value[CONF_PATH1]);
		return 0;
	}
	argv[argc++] = "--local";
	argv[argc++] = dev->value[CONF_PATH0];
	argv[argc++] = "--remote";
	if (degraded) {
		argv[argc++] = "missing";
		argv[argc++] = "--run";
	} else {
		argv[argc++] = dev->value[CONF_PATH1];
	}
	if (dev->value[CONF_REMOTE_TIMEOUT]) {
		argv[argc++] = "--remote-timeout";
		argv[argc++] = dev->value[CONF_REMOTE_TIMEOUT];
	}
	if (mirror_main("assemble", dev->name, argc, argv))
		return 1;
	if (degraded)
		say("%s: started degraded on %s; the remote leg %s is absent (dcdctl incremental or dcdctl add adds it back)",
		    dev->name, dev->value[CONF_PATH0], dev->value[CONF_PATH1]);
	else
		say("%s: assembled from %s (local leg) and %s (remote leg)", dev->name,
		    dev->value[CONF_PATH0], dev->value[CONF_PATH1]);
	return apply_settings(dev);
}

/* Where the legs or disks of a line are, as last looked at. */
struct attempt {
	const struct conf_dev *dev;
	enum probe path[2];	/* CONF_PATH0, CONF_PATH1 */
	bool done;
};

/* Look at both paths of a line; true when both are there. */
static bool look(struct attempt *at)
{
	const struct conf_dev *dev = at->dev;
	struct super s;

	if (dev->kind == CONF_ARRAY) {
		at->path[0] = probe(dev->value[CONF_PATH0], SUPER_LEG, dev->uuid, &s);
		at->path[1] = probe(dev->value[CONF_PATH1], SUPER_LEG, dev->uuid, &s);
	} else {
		at->path[0] = probe(dev->value[CONF_PATH0], SUPER_CACHE, dev->uuid, &s);
		/* a data disk of format 1 has no header to recognise it by */
		if (at->path[0] == PROBE_OK && s.dcd_version < 2)
			at->path[1] = access(dev->value[CONF_PATH1], F_OK) ? PROBE_ABSENT :
									     PROBE_OK;
		else
			at->path[1] = probe(dev->value[CONF_PATH1], SUPER_DATA, dev->uuid, &s);
	}
	return at->path[0] == PROBE_OK && at->path[1] == PROBE_OK;
}

/* Does the device of a line run (under the lock)? Then a line says it is skipped. */
static bool skip_running(const struct conf_dev *dev)
{
	struct dcdmirror_ioc_info info;
	int index = running(dev, &info);

	if (index < 0)
		return false;
	if ((unsigned int)index == dev->index)
		say("%s: runs already, skipped", dev->name);
	else
		say("%s: runs already as /dev/%s%d, skipped", dev->name, dev_prefix(dev->kind),
		    index);
	return true;
}

/* One try at a line: true when it is done with (started, skipped or failed). */
static bool try_start(struct attempt *at, int *failed)
{
	bool done = true;

	scan_lock();
	if (skip_running(at->dev))
		;
	else if (!look(at))
		done = false;
	else if (start(at->dev, false))
		(*failed)++;
	scan_unlock();
	return done;
}

/* The time is up for a line whose legs or disks are not all there. */
static void give_up(struct attempt *at, bool no_degraded, int *failed)
{
	const struct conf_dev *dev = at->dev;
	const char *p0 = dev->value[CONF_PATH0], *p1 = dev->value[CONF_PATH1];

	if (dev->kind == CONF_DCD) {
		if (at->path[0] != PROBE_OK)
			dcdctl_err("%s: the cache disk %s %s: not started", dev->name, p0,
				   probe_str(at->path[0]));
		else
			dcdctl_err("%s: the data disk %s %s: not started", dev->name, p1,
				   probe_str(at->path[1]));
		(*failed)++;
		return;
	}
	if (at->path[0] != PROBE_OK) {
		dcdctl_err("%s: the local leg %s %s: not started (a takeover by the remote leg is for an operator to decide: dcdctl assemble %s --local %s --remote missing --run --takeover)",
			   dev->name, p0, probe_str(at->path[0]), dev->name, p1);
		(*failed)++;
		return;
	}
	if (no_degraded) {
		say("%s: the remote leg %s %s: not started (--no-degraded; dcdctl assemble --scan starts it degraded)",
		    dev->name, p1, probe_str(at->path[1]));
		return;
	}
	scan_lock();
	/* started meanwhile, or the remote leg came at the last moment */
	if (skip_running(dev))
		;
	else if (start(dev, !look(at)))
		(*failed)++;
	scan_unlock();
}

static void say_waiting(const struct attempt *at, unsigned int timeout)
{
	const struct conf_dev *dev = at->dev;
	const char *p0 = dev->value[CONF_PATH0], *p1 = dev->value[CONF_PATH1];
	bool dcd = dev->kind == CONF_DCD;

	if (at->path[0] != PROBE_OK && at->path[1] != PROBE_OK)
		say("%s: waiting up to %u s for its %s %s and %s", dev->name, timeout,
		    dcd ? "disks" : "legs", p0, p1);
	else if (at->path[0] != PROBE_OK)
		say("%s: waiting up to %u s for its %s %s", dev->name, timeout,
		    dcd ? "cache disk" : "local leg", p0);
	else
		say("%s: waiting up to %u s for its %s %s", dev->name, timeout,
		    dcd ? "data disk" : "remote leg", p1);
}

static bool wanted(const struct conf_dev *dev, const char *only)
{
	return !only || !strcmp(only, dev->kind == CONF_ARRAY ? "mirror" : "dcd");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int assemble_scan(struct conf *conf, unsigned int timeout, bool no_degraded,
			 const char *only)
{
	struct attempt *at;
	unsigned int i, n = 0, left;
	int failed = 0;
	bool told = false;
	double deadline = now_s() + timeout;
	enum conf_kind kind;

	at = calloc(conf->nr ? conf->nr : 1, sizeof(*at));
	if (!at)
		return dcdctl_err("assemble: %s", strerror(ENOMEM));
	/* the DCD devices first: a leg may be one */
	for (kind = CONF_DCD;; kind = CONF_ARRAY) {
		for (i = 0; i < conf->nr; i++)
			if (conf->devs[i].kind == kind && wanted(&conf->devs[i], only))
				at[n++].dev = &conf->devs[i];
		if (kind == CONF_ARRAY)
			break;
	}
	for (;;) {
		left = 0;
		for (i = 0; i < n; i++) {
			if (!at[i].done)
				at[i].done = try_start(&at[i], &failed);
			left += !at[i].done;
		}
		if (!left || now_s() >= deadline)
			break;
		if (!told) {
			for (i = 0; i < n; i++)
				if (!at[i].done)
					say_waiting(&at[i], timeout);
			told = true;
		}
		usleep(POLL_MS * 1000);
	}
	for (i = 0; i < n; i++)
		if (!at[i].done)
			give_up(&at[i], no_degraded, &failed);
	free(at);
	return failed ? 1 : 0;
}

static int stop_scan(struct conf *conf, const char *only)
{
	struct dcdmirror_ioc_info info;
	char name[32];
	enum conf_kind kind;
	unsigned int i;
	int index, failed = 0;

	/* the mirrors first: a leg may be a DCD device */
	for (kind = CONF_ARRAY;; kind = CONF_DCD) {
		for (i = 0; i < conf->nr; i++) {
			struct conf_dev *dev = &conf->devs[i];

			if (dev->kind != kind || !wanted(dev, only))
				continue;
			index = running(dev, &info);
			if (index < 0) {
				say("%s: does not run", dev->name);
				continue;
			}
			snprintf(name, sizeof(name), "/dev/%s%d", dev_prefix(kind), index);
			if (kind == CONF_ARRAY ? mirror_main("stop", name, 0, NULL) :
						 dcd_main("stop", name, 0, NULL)) {
				failed++;
				continue;
			}
			say("%s: stopped", name);
		}
		if (kind == CONF_DCD)
			break;
	}
	return failed ? 1 : 0;
}

/* ---- examine --scan --------------------------------------------------------- */

/* A block device that carries a superblock. */
struct found {
	char sysname[256];	/* in /sys/class/block */
	char node[160];		/* /dev/NAME */
	char stable[4096];	/* the name examine --scan prints */
	dev_t rdev;
	struct super s;
	bool shadowed;		/* a device stacked on it shows the same */
	bool used;		/* printed */
};

static int read_sys(const char *sysname, const char *attr, char *buf, size_t len)
{
	char path[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/block/%s/%s", sysname, attr);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * The link in dir (/dev/disk/by-id, ...) to rdev whose name contains
 * part, the first in the order of names (the same each time). 0, or -1.
 */
static int link_to(const char *dir, const char *part, dev_t rdev, char *buf, size_t len)
{
	char path[4096], best[256] = "";
	struct dirent *e;
	struct stat st;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (part && !strstr(e->d_name, part)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) || !S_ISBLK(st.st_mode) || st.st_rdev != rdev)
			continue;
		if (!best[0] || strcmp(e->d_name, best) < 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (!best[0])
		return -1;
	snprintf(buf, len, "%s/%s", dir, best);
	return 0;
}

/* The name of f that stays the same across reboots, when there is one. */
static void stable_name(struct found *f)
{
	char name[256], path[300];
	struct stat st;

	/* an iSCSI disk by its target and LUN: by-id names the LUN's serial only */
	if (!link_to("/dev/disk/by-path", "-iscsi-", f->rdev, f->stable, sizeof(f->stable)))
		return;
	if (!read_sys(f->sysname, "dm/name", name, sizeof(name)) && name[0]) {
		snprintf(path, sizeof(path), "/dev/mapper/%s", name);
		if (!stat(path, &st) && S_ISBLK(st.st_mode) && st.st_rdev == f->rdev) {
			snprintf(f->stable, sizeof(f->stable), "%s", path);
			return;
		}
	}
	if (!link_to("/dev/disk/by-id", NULL, f->rdev, f->stable, sizeof(f->stable)))
		return;
	snprintf(f->stable, sizeof(f->stable), "%s", f->node);
}

static int found_cmp(const void *a, const void *b)
{
	return strverscmp(((const struct found *)a)->sysname, ((const struct found *)b)->sysname);
}

static bool same_super(const struct super *a, const struct super *b)
{
	return a->kind == b->kind && !memcmp(a->uuid, b->uuid, sizeof(a->uuid)) &&
	       (a->kind != SUPER_LEG || a->leg.leg == b->leg.leg);
}

/* f's superblock is shown by a device stacked on it (dm, multipath): that one is the device. */
static bool shadowed(const struct found *f, const struct found *all, unsigned int nr)
{
	char path[512];
	struct dirent *e;
	unsigned int i;
	bool ret = false;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/block/%s/holders", f->sysname);
	d = opendir(path);
	if (!d)
		return false;
	while (!ret && (e = readdir(d)))
		for (i = 0; i < nr && !ret; i++)
			ret = &all[i] != f && !strcmp(all[i].sysname, e->d_name) &&
			      same_super(&all[i].s, &f->s);
	closedir(d);
	return ret;
}

/* Every block device with a superblock of either kind, in the order of their names. */
static int scan_devices(struct found **list, unsigned int *nr)
{
	char buf[64];
	struct dirent *e;
	struct found f, *more;
	unsigned int maj, min, i;
	DIR *d;

	*list = NULL;
	*nr = 0;
	d = opendir("/sys/class/block");
	if (!d)
		return dcdctl_err("/sys/class/block: %s", strerror(errno));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		memset(&f, 0, sizeof(f));
		snprintf(f.sysname, sizeof(f.sysname), "%s", e->d_name);
		/* empty (a loop device, a drive without a medium), or one that would hang */
		if (read_sys(f.sysname, "size", buf, sizeof(buf)) || !strcmp(buf, "0"))
			continue;
		if (!read_sys(f.sysname, "dm/suspended", buf, sizeof(buf)) && strcmp(buf, "0"))
			continue;
		if (read_sys(f.sysname, "dev", buf, sizeof(buf)) ||
		    sscanf(buf, "%u:%u", &maj, &min) != 2)
			continue;
		f.rdev = makedev(maj, min);
		dcdctl_dev_name(maj, min, f.node, sizeof(f.node));
		if (read_super(f.node, &f.s) || f.s.kind == SUPER_NONE)
			continue;
		more = realloc(*list, (*nr + 1) * sizeof(**list));
		if (!more) {
			closedir(d);
			return dcdctl_err("examine: %s", strerror(ENOMEM));
		}
		*list = more;
		(*list)[(*nr)++] = f;
	}
	closedir(d);
	if (*nr)
		qsort(*list, *nr, sizeof(**list), found_cmp);
	for (i = 0; i < *nr; i++)
		(*list)[i].shadowed = shadowed(&(*list)[i], *list, *nr);
	for (i = 0; i < *nr; i++)
		if (!(*list)[i].shadowed)
			stable_name(&(*list)[i]);
	return 0;
}

/* The name of a device found: the one it runs as, else the next free one. */
static void device_name(enum conf_kind kind, int index, bool *taken, char *buf, size_t len)
{
	char path[64];
	int i;

	if (index < 0) {
		for (i = 0; i < 256; i++) {
			snprintf(path, sizeof(path), "/sys/block/%s%d", dev_prefix(kind), i);
			if (!taken[i] && access(path, F_OK))
				break;
		}
		index = i;
	}
	if (index < 256)
		taken[index] = true;
	snprintf(buf, len, "/dev/%s%d", dev_prefix(kind), index);
}

/* max-lag=, remote-timeout=, ...: the superblock's, where it has them */
static void print_settings(const struct dcdmirror_sb *sb)
{
	uint32_t mode = le32toh(sb->mode), kib = le32toh(sb->max_lag_kib);
	uint32_t ms = le32toh(sb->max_lag_ms), rate = le32toh(sb->resync_rate);
	uint32_t tmo = le32toh(sb->remote_timeout_ms);

	if (mode == DCDMIRROR_MODE_SYNC || mode == DCDMIRROR_MODE_ASYNC)
		printf(" mode=%s", mode == DCDMIRROR_MODE_SYNC ? "sync" : "async");
	if (kib && kib <= DCDMIRROR_MAX_LAG_KIB_MAX && ms && ms <= DCDMIRROR_MAX_LAG_MS_MAX)
		printf(kib % 1024 ? " max-lag=%uK,%ums" : " max-lag=%uM,%ums",
		       kib % 1024 ? kib : kib / 1024, ms);
	printf(" async-flush=%s",
	       le32toh(sb->async_flags) & DCDMIRROR_ASYNC_FLUSH_LOCAL ? "local" : "both");
	if (le32toh(sb->version) >= 4 && tmo == DCDMIRROR_REMOTE_TIMEOUT_OFF)
		printf(" remote-timeout=off");
	else if (le32toh(sb->version) >= 4 && tmo >= DCDMIRROR_REMOTE_TIMEOUT_MIN &&
		 tmo <= DCDMIRROR_REMOTE_TIMEOUT_MAX)
		printf(" remote-timeout=%u", tmo);
	if (rate >= DCDMIRROR_RESYNC_RATE_MIN && rate <= DCDMIRROR_RESYNC_RATE_MAX)
		printf(" resync-rate=%u", rate);
}

/* The DCD lines: each cache disk with the data disk whose header names it. */
static void print_dcds(struct found *all, unsigned int nr, bool *taken)
{
	struct found *cache, *data;
	unsigned int i, j, ndata;
	char name[32], u[40];
	bool clone;

	for (i = 0; i < nr; i++) {
		cache = &all[i];
		if (cache->shadowed || cache->used || cache->s.kind != SUPER_CACHE)
			continue;
		cache->used = true;
		data = NULL;
		ndata = 0;
		clone = false;
		for (j = 0; j < nr; j++) {
			if (all[j].shadowed || memcmp(all[j].s.uuid, cache->s.uuid, 16))
				continue;
			if (all[j].s.kind == SUPER_CACHE && &all[j] != cache) {
				clone = true;
				all[j].used = true;
			} else if (all[j].s.kind == SUPER_DATA) {
				data = &all[j];
				data->used = true;
				ndata++;
			}
		}
		device_name(CONF_DCD, running_dcd(cache->s.uuid), taken, name, sizeof(name));
		dcdctl_uuid(cache->s.uuid, u);
		if (clone)
			printf("# DCD %s uuid=%s: more than one cache disk carries it (%s is one): write its line by hand\n",
			       name, u, cache->stable);
		else if (ndata == 1)
			printf("DCD %s uuid=%s cache=%s data=%s\n", name, u, cache->stable,
			       data->stable);
		else if (ndata > 1)
			printf("# DCD %s uuid=%s cache=%s: more than one data disk names it: write data= by hand\n",
			       name, u, cache->stable);
		else
			printf("# DCD %s uuid=%s cache=%s: its data disk %s: write data= by hand\n",
			       name, u, cache->stable, cache->s.dcd_version < 2 ?
			       "has no header to be found by (format 1)" : "was not found");
	}
}

/* The ARRAY lines: the legs of each array, by the role their superblocks record. */
static void print_arrays(struct found *all, unsigned int nr, bool *taken)
{
	struct dcdmirror_ioc_info info;
	struct found *leg[2], *newer;
	unsigned int i, j, role, count[2];
	char name[32], u[40];

	for (i = 0; i < nr; i++) {
		if (all[i].shadowed || all[i].used || all[i].s.kind != SUPER_LEG)
			continue;
		memset(leg, 0, sizeof(leg));
		memset(count, 0, sizeof(count));
		for (j = i; j < nr; j++) {
			if (all[j].shadowed || all[j].s.kind != SUPER_LEG ||
			    memcmp(all[j].s.uuid, all[i].s.uuid, 16))
				continue;
			all[j].used = true;
			role = le32toh(all[j].s.leg.role) == DCDMIRROR_ROLE_REMOTE;
			if (!leg[role])
				leg[role] = &all[j];
			count[role]++;
		}
		device_name(CONF_ARRAY, running_mirror(all[i].s.uuid, &info), taken, name,
			    sizeof(name));
		dcdctl_uuid(all[i].s.uuid, u);
		if (count[0] > 1 || count[1] > 1) {
			printf("# ARRAY %s uuid=%s: more than one %s leg carries it (%s is one): write its line by hand\n",
			       name, u, count[0] > 1 ? "local" : "remote",
			       (count[0] > 1 ? leg[0] : leg[1])->stable);
			continue;
		}
		if (!leg[0] || !leg[1]) {
			const char *found = leg[0] ? "local" : "remote";
			const char *lost = leg[0] ? "remote" : "local";

			printf("# ARRAY %s uuid=%s %s=%s: its %s leg was not found: write %s= by hand\n",
			       name, u, found, (leg[0] ? leg[0] : leg[1])->stable, lost, lost);
			continue;
		}
		/* the settings of the leg that has seen the most */
		newer = le64toh(leg[1]->s.leg.events) > le64toh(leg[0]->s.leg.events) ? leg[1] :
											   leg[0];
		printf("ARRAY %s uuid=%s local=%s remote=%s", name, u, leg[0]->stable,
		       leg[1]->stable);
		print_settings(&newer->s.leg);
		putchar('\n');
	}
}

static int examine_scan(void)
{
	bool taken_dcd[256] = { false }, taken_mirror[256] = { false };
	struct found *all;
	unsigned int nr;

	if (scan_devices(&all, &nr))
		return 1;
	print_dcds(all, nr, taken_dcd);
	print_arrays(all, nr, taken_mirror);
	free(all);
	if (fflush(stdout) || ferror(stdout))
		return dcdctl_err("examine --scan: cannot write the output: %s", strerror(errno));
	return 0;
}

/* ---- incremental ------------------------------------------------------------ */

/* Has some other device been stacked on it (dm, multipath)? */
static bool has_holders(dev_t rdev)
{
	char path[96];
	struct dirent *e;
	bool ret = false;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders", major(rdev), minor(rdev));
	d = opendir(path);
	if (!d)
		return false;
	while (!ret && (e = readdir(d)))
		ret = e->d_name[0] != '.';
	closedir(d);
	return ret;
}

/* Which path of the line names rdev: CONF_PATH0, CONF_PATH1, or -1. */
static int which_path(const struct conf_dev *dev, dev_t rdev)
{
	struct stat st;
	int f;

	for (f = CONF_PATH0; f <= CONF_PATH1; f++)
		if (!stat(dev->value[f], &st) && S_ISBLK(st.st_mode) && st.st_rdev == rdev)
			return f;
	return -1;
}

/* A mirror leg appeared: add it to its array, or assemble the array. */
static int incremental_leg(const char *path, const struct conf_dev *a, int slot)
{
	static const char *const role[] = { "local", "remote" };
	struct dcdmirror_ioc_info info;
	struct attempt at = { .dev = a };
	char name[32], *argv[1];
	uint32_t want = slot ? DCDMIRROR_ROLE_REMOTE : DCDMIRROR_ROLE_LOCAL;
	unsigned int i;
	int index, ret = 0;

	scan_lock();
	index = running_mirror(a->uuid, &info);
	if (index >= 0) {
		snprintf(name, sizeof(name), "/dev/dcdmirror%d", index);
		for (i = 0; i < info.nr_legs && i < DCDMIRROR_MAX_LEGS; i++)
			if (info.legs[i].role == want)
				break;
		if (i < info.nr_legs && i < DCDMIRROR_MAX_LEGS &&
		    (info.legs[i].state == DCDMIRROR_LEG_MISSING ||
		     info.legs[i].state == DCDMIRROR_LEG_FAULTY)) {
			argv[0] = a->value[CONF_PATH0 + slot];
			ret = mirror_main("add", name, 1, argv);
			if (!ret)
				say("%s: added to %s as its %s leg (dcdctl wait %s waits for the resync)",
				    path, name, role[slot], name);
		} else {
			say("%s: %s is running with its %s leg already, nothing done", path, name,
			    role[slot]);
		}
	} else if (look(&at)) {
		ret = start(a, false);
	} else {
		say("%s: the %s leg of %s, which waits for its %s leg %s (%s)", path, role[slot],
		    a->name, role[!slot], a->value[CONF_PATH0 + !slot],
		    slot ? "it never starts without it" : "dcdctl assemble --scan starts it degraded");
	}
	scan_unlock();
	return ret;
}

/* A DCD disk appeared: assemble the DCD device when both of its disks are there. */
static int incremental_dcd(const char *path, const struct conf_dev *d, int slot)
{
	static const char *const what[] = { "cache disk", "data disk" };
	struct attempt at = { .dev = d };
	int index, ret = 0;

	scan_lock();
	index = running_dcd(d->uuid);
	if (index >= 0)
		say("%s: /dev/dcd%d is running already, nothing done", path, index);
	else if (look(&at))
		ret = start(d, false);
	else
		say("%s: the %s of %s, which waits for its %s %s", path, what[slot], d->name,
		    what[!slot], d->value[CONF_PATH0 + !slot]);
	scan_unlock();
	return ret;
}

static int incremental(const char *path, struct conf *conf)
{
	struct conf_dev *dev;
	struct super s;
	dev_t rdev;
	int slot;

	if (dcdctl_blockdev(path, &rdev))
		return 1;
	if (read_super(path, &s))
		return dcdctl_err("%s: %s", path, strerror(errno));
	if (s.kind == SUPER_NONE)
		return 0;
	dev = conf_find_uuid(conf, s.kind == SUPER_LEG ? CONF_ARRAY : CONF_DCD, s.uuid);
	if (!dev)
		return 0;
	slot = which_path(dev, rdev);
	if (slot < 0) {
		/* a path under a dm or multipath device: that one is the leg */
		if (has_holders(rdev))
			return 0;
		say("%s: carries the uuid of %s (%s:%u), but is neither of its paths: nothing done",
		    path, dev->name, conf->path, dev->line);
		return 0;
	}
	slot -= CONF_PATH0;
	if (dev->kind == CONF_ARRAY)
		return incremental_leg(path, dev, slot);
	/* the data disk's header names the cache disk; a cache disk at data= is no match */
	if (s.kind == SUPER_CACHE ? slot : !slot)
		return 0;
	return incremental_dcd(path, dev, slot);
}

/* ---- the command line ------------------------------------------------------- */

bool scan_verb(const char *verb, int argc, char **argv)
{
	int i;

	if (!strcmp(verb, "incremental"))
		return true;
	if (strcmp(verb, "examine") && strcmp(verb, "assemble") && strcmp(verb, "stop"))
		return false;
	for (i = 0; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--scan") || !strncmp(argv[i], "--scan=", 7))
			return true;
	return false;
}

int scan_main(const char *verb, int argc, char **argv)
{
	const char *config = NULL, *timeout = NULL, *only = NULL, *pos[1];
	bool scan = false, no_degraded = false;
	const struct dcdctl_opt examine_opts[] = {
		{ .name = "scan", .flag = &scan },
		{ 0 }
	};
	const struct dcdctl_opt assemble_opts[] = {
		{ .name = "scan", .flag = &scan },
		{ .name = "config", .takes_value = true, .value = &config },
		{ .name = "timeout", .takes_value = true, .value = &timeout },
		{ .name = "no-degraded", .flag = &no_degraded },
		{ .name = "only", .takes_value = true, .value = &only },
		{ 0 }
	};
	const struct dcdctl_opt stop_opts[] = {
		{ .name = "scan", .flag = &scan },
		{ .name = "config", .takes_value = true, .value = &config },
		{ .name = "only", .takes_value = true, .value = &only },
		{ 0 }
	};
	const struct dcdctl_opt incremental_opts[] = {
		{ .name = "config", .takes_value = true, .value = &config },
		{ 0 }
	};
	bool is_examine = !strcmp(verb, "examine"), is_assemble = !strcmp(verb, "assemble");
	bool is_incremental = !strcmp(verb, "incremental");
	uint64_t secs = TIMEOUT_DEFAULT;
	struct conf conf;
	int npos, ret;

	if (is_examine) {
		int i;

		for (i = 0; i < argc && strcmp(argv[i], "--"); i++)
			if (!strcmp(argv[i], "--config") || !strncmp(argv[i], "--config=", 9))
				return dcdctl_err("examine --scan: --config is refused: it reads the disks, no configuration file");
	}
	if (dcdctl_parse(argc, argv, is_examine ? examine_opts : is_assemble ? assemble_opts :
			 is_incremental ? incremental_opts : stop_opts, pos,
			 is_incremental ? 1 : 0, &npos))
		return 1;
	if (is_incremental && !npos)
		return dcdctl_err("incremental: missing DEV (the block device that appeared)");
	if (timeout && dcdctl_parse_uint(timeout, TIMEOUT_MAX, &secs))
		return dcdctl_err("%s: bad --timeout '%s' (seconds, 0 to %u)", verb, timeout,
				  TIMEOUT_MAX);
	if (only && strcmp(only, "mirror") && strcmp(only, "dcd"))
		return dcdctl_err("%s: unknown --only '%s' (expected mirror or dcd)", verb, only);
	if (is_examine)
		return examine_scan();
	/* udev runs incremental for every disk: no file, nothing configured */
	if (conf_load(config ? config : CONF_DEFAULT_PATH, is_incremental && !config, &conf))
		return 1;
	if (is_incremental)
		ret = incremental(pos[0], &conf);
	else if (is_assemble)
		ret = assemble_scan(&conf, (unsigned int)secs, no_degraded, only);
	else
		ret = stop_scan(&conf, only);
	conf_free(&conf);
	return ret;
}
