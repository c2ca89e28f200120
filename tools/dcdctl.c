// SPDX-License-Identifier: GPL-2.0
/*
 * dcdctl: create, assemble, inspect and stop dcdmirror and dcd devices.
 * The verb and the device name choose the kind: /dev/dcdmirrorN is a mirror,
 * /dev/dcdN a DCD device; the verbs themselves live in mirror.c and dcd.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "dcdctl.h"

int dcdctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("dcdctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static const struct dcdctl_opt *find_opt(const struct dcdctl_opt *opts,
					 const char *name, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, name, len))
			return opts;
	return NULL;
}

int dcdctl_parse(int argc, char **argv, const struct dcdctl_opt *opts,
		 const char **pos, int max_pos, int *npos)
{
	bool only_pos = false;
	int i;

	*npos = 0;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct dcdctl_opt *o;
		const char *eq;
		size_t len;

		if (!only_pos && !strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		if (only_pos || strncmp(a, "--", 2)) {
			if (*npos >= max_pos) {
				dcdctl_err("unexpected argument '%s'", a);
				return -1;
			}
			pos[(*npos)++] = a;
			continue;
		}
		a += 2;
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		o = find_opt(opts, a, len);
		if (!o) {
			dcdctl_err("unknown option '--%.*s' (see dcdctl --help)", (int)len, a);
			return -1;
		}
		if (!o->takes_value) {
			if (eq) {
				dcdctl_err("option '--%s' takes no value", o->name);
				return -1;
			}
			*o->flag = true;
			continue;
		}
		if (eq) {
			*o->value = eq + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			dcdctl_err("option '--%s' needs a value", o->name);
			return -1;
		}
		if (!**o->value) {
			dcdctl_err("option '--%s' needs a non-empty value", o->name);
			return -1;
		}
	}
	return 0;
}

int dcdctl_parse_uint(const char *s, uint64_t max, uint64_t *val)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*val = v;
	return 0;
}

int dcdctl_parse_size(const char *s, uint64_t *bytes)
{
	unsigned int shift = 0;
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 's': case 'S':
		shift = 9;
		end++;
		break;
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	case 't': case 'T':
		shift = 40;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'i' || *end == 'I')	/* "MiB" */
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*bytes = (uint64_t)v << shift;
	return 0;
}

int dcdctl_blockdev(const char *path, dev_t *rdev)
{
	struct stat st;

	if (stat(path, &st)) {
		dcdctl_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISBLK(st.st_mode)) {
		dcdctl_err("%s: not a block device", path);
		return -1;
	}
	*rdev = st.st_rdev;
	return 0;
}

int dcdctl_dev_index(const char *name, const char *prefix, unsigned int *index)
{
	size_t plen = strlen(prefix);
	uint64_t v;

	if (!strncmp(name, "/dev/", 5))
		name += 5;
	if (strncmp(name, prefix, plen))
		return -1;
	name += plen;
	if (!*name || (name[0] == '0' && name[1]))
		return -1;
	if (dcdctl_parse_uint(name, 255, &v))
		return -1;
	*index = (unsigned int)v;
	return 0;
}

int dcdctl_open_control(const char *path, const char *module)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			dcdctl_err("%s: not found (is %s loaded?)", path, module);
		else
			dcdctl_err("%s: %s", path, strerror(errno));
	}
	return fd;
}

const char *dcdctl_dev_name(unsigned int maj, unsigned int min, char *buf,
			    size_t len)
{
	char path[64], line[128];
	FILE *f;

	snprintf(buf, len, "%u:%u", maj, min);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", maj, min);
	f = fopen(path, "re");
	if (!f)
		return buf;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "/dev/%s", line + 8);
			break;
		}
	}
	fclose(f);
	return buf;
}

uint32_t dcdctl_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78U & (0U - (crc & 1)));
	}
	return crc;
}

const char *dcdctl_uuid(const uint8_t *uuid, char *buf)
{
	int i, n = 0;

	for (i = 0; i < 16; i++)
		n += sprintf(buf + n, "%s%02x",
			     i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", uuid[i]);
	return buf;
}

const char *dcdctl_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

static void usage(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    dcdctl - manage dcdmirror (remote mirror) and dcd (disk caching disk) devices\n"
		"\n"
		"SYNOPSIS\n"
		"    dcdctl VERB DEVICE [OPTION]...\n"
		"    dcdctl examine DEVICE [--json]\n"
		"    dcdctl VERB --scan [OPTION]...\n"
		"    dcdctl incremental DEV [--config FILE]\n"
		"    dcdctl monitor [--program PATH] [--oneshot]\n"
		"    dcdctl --help | --version\n"
		"\n"
		"    DEVICE /dev/dcdmirrorN selects a mirror, /dev/dcdN a DCD device.\n"
		"    Options take their value as '--opt VALUE' or '--opt=VALUE'.\n"
		"    Sizes accept the suffixes K, M, G (powers of 1024) and s (512-byte sectors).\n"
		"    detail and examine with --json print the same values as one JSON object,\n"
		"    for monitoring: sizes in bytes, numbers as numbers, field names that stay\n"
		"    (new ones may be added; docs/json.md lists them).\n"
		"\n"
		"%s\n%s\n%s\n%s"
		"\n"
		"EXIT STATUS\n"
		"    0 on success; 1 on any error, reported as one line on stderr.\n",
		mirror_usage, dcd_usage, scan_usage, monitor_usage);
}

/* Is --json among the options (before a "--")? */
static bool has_json(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json") || !strncmp(argv[i], "--json=", 7))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *verb, *dev;
	unsigned int index;
	bool json = false;
	int ret;

	if (argc < 2)
		return dcdctl_err("no verb given (dcdctl --help lists them)");
	verb = argv[1];
	if (!strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(verb, "--version")) {
		printf("dcdctl %s\n", DCDCTL_VERSION);
		return 0;
	}
	if (verb[0] == '-')
		return dcdctl_err("unknown option '%s' before the verb (dcdctl VERB DEVICE [OPTION]...)",
				  verb);
	/* examine, assemble and stop with --scan, incremental: the configuration file */
	if (scan_verb(verb, argc - 2, argv + 2))
		return scan_main(verb, argc - 2, argv + 2);
	if (strcmp(verb, "detail") && strcmp(verb, "examine") && has_json(argc - 2, argv + 2))
		return dcdctl_err("%s: --json is an option of detail and examine only", verb);
	/* the one verb without a DEVICE: it reports every device */
	if (!strcmp(verb, "monitor"))
		return monitor_main(argc - 2, argv + 2);
	/* "detail --json DEVICE" too: the option goes where the verb parses it */
	if (argc > 3 && !strcmp(argv[2], "--json")) {
		char *opt = argv[2];

		argv[2] = argv[3];
		argv[3] = opt;
	}
	if (argc < 3 || !strcmp(argv[2], "--json"))
		return dcdctl_err("%s: missing DEVICE (see dcdctl --help)", verb);
	dev = argv[2];

	if (!strcmp(verb, "examine")) {
		const struct dcdctl_opt opts[] = {
			{ .name = "json", .flag = &json },
			{ 0 }
		};
		const char *pos[1];
		int npos;

		if (dcdctl_parse(argc - 3, argv + 3, opts, pos, 1, &npos))
			return 1;
		if (npos)
			return dcdctl_err("examine: unexpected argument '%s'", pos[0]);
		/* both return 1 for "not mine", more for an error already printed */
		ret = mirror_examine(dev, json);
		if (ret != 1)
			return ret ? 1 : 0;
		ret = dcd_examine(dev, json);
		if (ret != 1)
			return ret ? 1 : 0;
		return dcdctl_err("%s: no dcdmirror or dcd superblock found", dev);
	}
	if (!dcdctl_dev_index(dev, "dcdmirror", &index))
		return mirror_main(verb, dev, argc - 3, argv + 3);
	if (!dcdctl_dev_index(dev, "dcd", &index))
		return dcd_main(verb, dev, argc - 3, argv + 3);
	return dcdctl_err("%s: not a valid device name (expected /dev/dcdmirrorN or /dev/dcdN, N from 0 to 255)",
			  dev);
}

/* A superblock time as examine prints it; the number when gmtime cannot. */
const char *dcdctl_time_str(uint64_t secs, char *buf, size_t len)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "%" PRIu64, secs);
	return buf;
}
