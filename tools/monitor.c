// SPDX-License-Identifier: GPL-2.0
/*
 * dcdctl monitor: the events of dcdmirror and dcd devices (docs/events.md),
 * as mdadm --monitor and drbdsetup events2 give them. The modules send each
 * event as a uevent with DCDMIRROR_EVENT=<name> and its fields; this reads
 * them from the kernel's uevent socket (no udev needed), prints a line per
 * event and may run a program for each. --oneshot reports the present
 * condition of every device, read from sysfs, as the same events.
 */
#define _GNU_SOURCE		/* ppoll */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dcdctl.h"

const char monitor_usage[] =
	"EVENTS (all devices)\n"
	"    dcdctl monitor [--program PATH] [--oneshot]\n"
	"        Print the events of the dcdmirror and dcd devices as the kernel\n"
	"        sends them (read from its uevent socket: no udev needed), one\n"
	"        line each, flushed at once, until SIGINT or SIGTERM (exit 0).\n"
	"        The events: leg_faulty, degraded, leg_removed, leg_added,\n"
	"        resync_started, resync_finished, resync_failed,\n"
	"        check_mismatches (a check found chunks that differ),\n"
	"        split_brain (an assemble or add refused for it),\n"
	"        lag_above_bound (async mode: writes wait for --max-lag),\n"
	"        log_above_watermark (a DCD log reached its --high-watermark),\n"
	"        device_failed (a DCD device failed); docs/events.md says when\n"
	"        each comes and with which fields.\n"
	"        --program (as mdadm --monitor --program): also runs PATH for\n"
	"        each event, with the arguments EVENT DEVICE [LEG_DEVICE] and\n"
	"        the event's fields in its environment (DCDMIRROR_EVENT,\n"
	"        DCDMIRROR_DEVICE=dcdmirror0, DCDMIRROR_LEG=remote, ...); the\n"
	"        next event waits until it has exited.\n"
	"        --oneshot (as mdadm --monitor --oneshot): prints the present\n"
	"        condition of every running device as events (degraded with the\n"
	"        leg that is faulty, missing or waiting for its resync,\n"
	"        resync_started of a resync running, log_above_watermark,\n"
	"        device_failed) and exits 0.\n"
	"    An event's line is \"TIME EVENT DEVICE [KEY=VALUE]...\": TIME when it\n"
	"    came, in UTC (2024-05-01T12:00:00.123Z); DEVICE /dev/dcdmirrorN or\n"
	"    /dev/dcdN; then the event's other fields, named in lower case\n"
	"    without DCDMIRROR_ (leg=remote leg_device=/dev/vdb chunks=12).\n"
	"    Device names get /dev/ in front; spaces, backslashes and control\n"
	"    characters in a value are written as \\xHH.\n";

/* what the kernel sends in one uevent: UEVENT_BUFFER_SIZE and the header */
#define MONITOR_MSG_LEN		8192
#define MONITOR_MAX_VARS	32
#define MONITOR_PREFIX		"DCDMIRROR_"
#define MONITOR_RCVBUF		(4 << 20)

/* An event: its "DCDMIRROR_KEY=VALUE" strings, as the kernel sent them. */
struct monitor_event {
	const char *vars[MONITOR_MAX_VARS];
	unsigned int nr;
};

static volatile sig_atomic_t monitor_stop;

static void monitor_on_signal(int sig)
{
	(void)sig;
	monitor_stop = 1;
}

/* The value of DCDMIRROR_<key>, or NULL. */
static const char *monitor_get(const struct monitor_event *ev, const char *key)
{
	size_t plen = strlen(MONITOR_PREFIX), klen = strlen(key);
	unsigned int i;

	for (i = 0; i < ev->nr; i++) {
		const char *v = ev->vars[i];

		if (!strncmp(v, MONITOR_PREFIX, plen) && !strncmp(v + plen, key, klen) &&
		    v[plen + klen] == '=')
			return v + plen + klen + 1;
	}
	return NULL;
}

/* Does DCDMIRROR_<key> name a device ("DEVICE", "LEG_DEVICE", ...)? */
static bool monitor_is_device(const char *key, size_t len)
{
	return (len == 6 && !strncmp(key, "DEVICE", 6)) ||
	       (len > 7 && !strncmp(key + len - 7, "_DEVICE", 7));
}

/* s as the line has it: \xHH for spaces, backslashes and control characters. */
static void monitor_put(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || c == '\\')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

/* A device's path: /dev/ and the name the kernel gave. */
static void monitor_put_dev(FILE *f, const char *name)
{
	if (strncmp(name, "/dev/", 5))
		fputs("/dev/", f);
	monitor_put(f, name);
}

/* "TIME EVENT DEVICE [key=value]...", flushed; false on a write error. */
static bool monitor_print(const struct monitor_event *ev)
{
	const char *name = monitor_get(ev, "EVENT"), *dev = monitor_get(ev, "DEVICE");
	size_t plen = strlen(MONITOR_PREFIX);
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	unsigned int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%03ldZ ", stamp, ts.tv_nsec / 1000000);
	monitor_put(stdout, name);
	putchar(' ');
	if (dev && *dev)
		monitor_put_dev(stdout, dev);
	else
		putchar('-');
	for (i = 0; i < ev->nr; i++) {
		const char *key = ev->vars[i] + plen, *eq = strchr(key, '=');
		size_t len = (size_t)(eq - key), k;

		if ((len == 5 && !strncmp(key, "EVENT", 5)) ||
		    (len == 6 && !strncmp(key, "DEVICE", 6)))
			continue;
		putchar(' ');
		for (k = 0; k < len; k++)
			putchar(key[k] >= 'A' && key[k] <= 'Z' ? key[k] - 'A' + 'a' : key[k]);
		putchar('=');
		if (monitor_is_device(key, len) && eq[1])
			monitor_put_dev(stdout, eq + 1);
		else
			monitor_put(stdout, eq + 1);
	}
	putchar('\n');
	return fflush(stdout) == 0 && !ferror(stdout);
}

/* "/dev/" name, for the program's arguments */
static char *monitor_dev_path(const char *name)
{
	size_t len = strlen(name) + 6;
	char *p = malloc(len);

	if (p)
		snprintf(p, len, "%s%s", strncmp(name, "/dev/", 5) ? "/dev/" : "", name);
	return p;
}

/*
 * In the child: the event's fields in the environment, PATH EVENT DEVICE
 * [LEG_DEVICE] as arguments, the signal mask of before. Never returns.
 */
static void monitor_exec(const char *path, const struct monitor_event *ev,
			 const sigset_t *mask)
{
	const char *leg = monitor_get(ev, "LEG_DEVICE"), *dev = monitor_get(ev, "DEVICE");
	char *argv[5];
	unsigned int i, n = 0;

	for (i = 0; i < ev->nr; i++) {
		char *var = strdup(ev->vars[i]);

		if (!var || putenv(var)) {
			dcdctl_err("monitor: %s: out of memory", path);
			_exit(127);
		}
	}
	argv[n++] = (char *)path;
	argv[n++] = (char *)monitor_get(ev, "EVENT");
	argv[n++] = dev && *dev ? monitor_dev_path(dev) : (char *)"-";
	if (leg && *leg)
		argv[n++] = monitor_dev_path(leg);
	argv[n] = NULL;
	for (i = 0; i < n; i++) {
		if (!argv[i]) {
			dcdctl_err("monitor: %s: out of memory", path);
			_exit(127);
		}
	}
	sigprocmask(SIG_SETMASK, mask, NULL);
	execv(path, argv);
	dcdctl_err("monitor: cannot run %s: %s", path, strerror(errno));
	_exit(127);
}

/* Run the program for ev and wait for it (no zombie is left). */
static void monitor_run(const char *path, const struct monitor_event *ev,
			const sigset_t *mask)
{
	pid_t pid, got;
	int status;

	pid = fork();
	if (pid < 0) {
		dcdctl_err("monitor: cannot run %s: %s", path, strerror(errno));
		return;
	}
	if (!pid)
		monitor_exec(path, ev, mask);
	do {
		got = waitpid(pid, &status, 0);
	} while (got < 0 && errno == EINTR);
	if (got < 0)
		dcdctl_err("monitor: waiting for %s: %s", path, strerror(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status) && WEXITSTATUS(status) != 127)
		dcdctl_err("monitor: %s %s exited with status %d", path,
			   monitor_get(ev, "EVENT"), WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		dcdctl_err("monitor: %s %s was killed by signal %d", path,
			   monitor_get(ev, "EVENT"), WTERMSIG(status));
}

/* Print ev and run the program for it; false on a write error (printed). */
static bool monitor_emit(const struct monitor_event *ev, const char *program,
			 const sigset_t *mask)
{
	if (!monitor_print(ev)) {
		dcdctl_err("monitor: cannot write the events: %s", strerror(errno));
		return false;
	}
	if (program)
		monitor_run(program, ev, mask);
	return true;
}

/*
 * The DCDMIRROR_ fields of a uevent "ACTION@DEVPATH\0KEY=VALUE\0...": false
 * if it has no DCDMIRROR_EVENT (another device's).
 */
static bool monitor_parse(char *buf, size_t len, struct monitor_event *ev)
{
	size_t at = strnlen(buf, len) + 1;

	ev->nr = 0;
	if (!memchr(buf, '@', at - 1))
		return false;
	while (at < len) {
		char *s = buf + at;

		at += strnlen(s, len - at) + 1;
		if (!strncmp(s, MONITOR_PREFIX, strlen(MONITOR_PREFIX)) && strchr(s, '=') &&
		    ev->nr < MONITOR_MAX_VARS)
			ev->vars[ev->nr++] = s;
	}
	return monitor_get(ev, "EVENT") != NULL;
}

/* ---- --oneshot: the present condition, from sysfs ---- */

/* An event being built: its strings. */
struct monitor_built {
	struct monitor_event ev;
	char buf[MONITOR_MAX_VARS][128];
};

static void monitor_build(struct monitor_built *b, const char *name, const char *dev)
{
	b->ev.nr = 0;
	snprintf(b->buf[0], sizeof(b->buf[0]), MONITOR_PREFIX "EVENT=%s", name);
	snprintf(b->buf[1], sizeof(b->buf[1]), MONITOR_PREFIX "DEVICE=%s", dev);
	b->ev.vars[b->ev.nr++] = b->buf[0];
	b->ev.vars[b->ev.nr++] = b->buf[1];
}

static void monitor_field(struct monitor_built *b, const char *key, const char *value)
{
	if (b->ev.nr >= MONITOR_MAX_VARS)
		return;
	snprintf(b->buf[b->ev.nr], sizeof(b->buf[0]), MONITOR_PREFIX "%s=%s", key, value);
	b->ev.vars[b->ev.nr] = b->buf[b->ev.nr];
	b->ev.nr++;
}

/*
 * /sys/block/DEV/ATTR into buf, the last newline dropped. 1 if the device went
 * meanwhile (stopped), -1 on another error (printed).
 */
static int monitor_sysfs(const char *dev, const char *attr, char *buf, size_t len)
{
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s/%s", dev, attr);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT || errno == ENODEV)
			return 1;
		dcdctl_err("monitor: %s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, len - 1, f);
	if (ferror(f)) {
		int err = errno;

		fclose(f);
		if (err == ENODEV || err == ENOENT)
			return 1;
		dcdctl_err("monitor: %s: %s", path, strerror(err));
		return -1;
	}
	fclose(f);
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

/*
 * A mirror: "degraded" for a leg that is faulty, missing, or rebuilding
 * without a resync running; "resync_started" for the one a resync rebuilds.
 * 0, 1 if it went meanwhile, -1 on an error (printed).
 */
static int monitor_oneshot_mirror(const char *dev, const char *program, const sigset_t *mask)
{
	char legs[1024], resync[512], *line, *save = NULL;
	unsigned long long done, total;
	bool running;
	int ret;

	ret = monitor_sysfs(dev, "dcdmirror/legs", legs, sizeof(legs));
	if (!ret)
		ret = monitor_sysfs(dev, "dcdmirror/resync", resync, sizeof(resync));
	if (ret)
		return ret;
	running = !strncmp(resync, "running ", 8);
	for (line = strtok_r(legs, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char role[16], name[64], state[16];
		struct monitor_built b;
		unsigned int idx;
		char *chunks;

		/* "INDEX ROLE NAME MAJOR:MINOR STATE" */
		if (sscanf(line, "%u %15s %63s %*s %15s", &idx, role, name, state) != 4) {
			dcdctl_err("monitor: /sys/block/%s/dcdmirror/legs: unexpected line '%s'",
				   dev, line);
			return -1;
		}
		if (!strcmp(state, "in_sync"))
			continue;
		if (!strcmp(state, "rebuilding") && running) {
			monitor_build(&b, "resync_started", dev);
			monitor_field(&b, "LEG", role);
			monitor_field(&b, "LEG_DEVICE", name);
			chunks = strstr(resync, " chunks=");
			if (chunks && sscanf(chunks, " chunks=%llu/%llu", &done, &total) == 2) {
				char v[32];

				snprintf(v, sizeof(v), "%llu", total);
				monitor_field(&b, "CHUNKS", v);
				snprintf(v, sizeof(v), "%llu", done);
				monitor_field(&b, "COPIED", v);
			}
		} else {
			monitor_build(&b, "degraded", dev);
			monitor_field(&b, "LEG", role);
			if (strcmp(name, "-"))
				monitor_field(&b, "LEG_DEVICE", name);
			monitor_field(&b, "LEG_STATE", state);
		}
		if (!monitor_emit(&b.ev, program, mask))
			return -1;
	}
	return 0;
}

/* A DCD device: "device_failed", "log_above_watermark". As above. */
static int monitor_oneshot_dcd(const char *dev, const char *program, const sigset_t *mask)
{
	char state[64], used[32], size[32], hwm[32], v[32];
	unsigned long long u, s, w, pct;
	struct monitor_built b;
	int ret;

	ret = monitor_sysfs(dev, "dcd/state", state, sizeof(state));
	if (!ret)
		ret = monitor_sysfs(dev, "dcd/log_used_bytes", used, sizeof(used));
	if (!ret)
		ret = monitor_sysfs(dev, "dcd/log_bytes", size, sizeof(size));
	if (!ret)
		ret = monitor_sysfs(dev, "dcd/high_watermark", hwm, sizeof(hwm));
	if (ret)
		return ret;
	if (!strcmp(state, "failed")) {
		monitor_build(&b, "device_failed", dev);
		if (!monitor_emit(&b.ev, program, mask))
			return -1;
	}
	if (sscanf(used, "%llu", &u) != 1 || sscanf(size, "%llu", &s) != 1 ||
	    sscanf(hwm, "%llu", &w) != 1 || !s) {
		dcdctl_err("monitor: /sys/block/%s/dcd: unexpected log_used_bytes, log_bytes or high_watermark",
			   dev);
		return -1;
	}
	/* as the module counts it: whole percent, at the watermark or above */
	pct = u * 100 / s;
	if (pct < w)
		return 0;
	monitor_build(&b, "log_above_watermark", dev);
	snprintf(v, sizeof(v), "%llu", pct);
	monitor_field(&b, "LOG_USED_PERCENT", v);
	monitor_field(&b, "WATERMARK", hwm);
	monitor_field(&b, "LOG_USED_BYTES", used);
	return monitor_emit(&b.ev, program, mask) ? 0 : -1;
}

/* The devices in /sys/block: mirrors first, each kind by number. */
static int monitor_dev_order(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	unsigned int ix, iy;
	bool mx = !dcdctl_dev_index(x, "dcdmirror", &ix), my = !dcdctl_dev_index(y, "dcdmirror", &iy);

	if (mx != my)
		return mx ? -1 : 1;
	if (!mx) {
		dcdctl_dev_index(x, "dcd", &ix);
		dcdctl_dev_index(y, "dcd", &iy);
	}
	return ix < iy ? -1 : ix > iy;
}

static int monitor_oneshot(const char *program, const sigset_t *mask)
{
	char *names[512];
	unsigned int n = 0, i, index;
	struct dirent *d;
	int ret = 0;
	DIR *dir;

	dir = opendir("/sys/block");
	if (!dir)
		return dcdctl_err("monitor: /sys/block: %s", strerror(errno));
	while ((d = readdir(dir)) && n < sizeof(names) / sizeof(names[0])) {
		if (dcdctl_dev_index(d->d_name, "dcdmirror", &index) &&
		    dcdctl_dev_index(d->d_name, "dcd", &index))
			continue;
		names[n] = strdup(d->d_name);
		if (!names[n]) {
			ret = dcdctl_err("monitor: out of memory");
			break;
		}
		n++;
	}
	closedir(dir);
	qsort(names, n, sizeof(names[0]), monitor_dev_order);
	for (i = 0; i < n && !ret; i++) {
		if (!dcdctl_dev_index(names[i], "dcdmirror", &index))
			ret = monitor_oneshot_mirror(names[i], program, mask) < 0;
		else
			ret = monitor_oneshot_dcd(names[i], program, mask) < 0;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return ret;
}

/* ---- following the events ---- */

static int monitor_socket(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd, size = MONITOR_RCVBUF;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (fd < 0) {
		dcdctl_err("monitor: cannot open the kernel's uevent socket: %s", strerror(errno));
		return -1;
	}
	/* room for a burst while the program runs; beyond the limit as root */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		dcdctl_err("monitor: cannot listen to the kernel's uevents: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Read and report what has come; false on a fatal error (printed). */
static bool monitor_receive(int fd, char *buf, const char *program, const sigset_t *mask)
{
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { .iov_base = buf, .iov_len = MONITOR_MSG_LEN };
		struct msghdr msg = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};
		struct monitor_event ev;
		ssize_t n;

		n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return true;
			if (errno == ENOBUFS) {
				dcdctl_err("monitor: events were lost (the socket's buffer overflowed)");
				continue;
			}
			dcdctl_err("monitor: reading the uevent socket: %s", strerror(errno));
			return false;
		}
		/* the kernel's own, whole */
		if (msg.msg_namelen != sizeof(from) || from.nl_pid || msg.msg_flags & MSG_TRUNC)
			continue;
		buf[n] = '\0';
		if (monitor_parse(buf, (size_t)n, &ev) && !monitor_emit(&ev, program, mask))
			return false;
	}
}

static int monitor_follow(const char *program, const sigset_t *mask)
{
	struct pollfd pfd = { .events = POLLIN };
	char *buf;
	int ret = 0;

	pfd.fd = monitor_socket();
	if (pfd.fd < 0)
		return 1;
	buf = malloc(MONITOR_MSG_LEN + 1);
	if (!buf) {
		close(pfd.fd);
		return dcdctl_err("monitor: out of memory");
	}
	/* the signals are blocked but while it waits: none is missed */
	while (!monitor_stop) {
		if (ppoll(&pfd, 1, NULL, mask) < 0) {
			if (errno == EINTR)
				continue;
			ret = dcdctl_err("monitor: waiting for events: %s", strerror(errno));
			break;
		}
		if (!monitor_receive(pfd.fd, buf, program, mask)) {
			ret = 1;
			break;
		}
	}
	free(buf);
	close(pfd.fd);
	return ret;
}

int monitor_main(int argc, char **argv)
{
	const char *program = NULL, *pos[1];
	bool oneshot = false;
	const struct dcdctl_opt opts[] = {
		{ .name = "program", .takes_value = true, .value = &program },
		{ .name = "oneshot", .flag = &oneshot },
		{ 0 }
	};
	struct sigaction sa = { .sa_handler = monitor_on_signal };
	sigset_t block, mask;
	int npos, ret;

	if (dcdctl_parse(argc, argv, opts, pos, 1, &npos))
		return 1;
	if (npos)
		return dcdctl_err("monitor: unexpected argument '%s': it reports every device, it takes none",
				  pos[0]);
	if (program && access(program, X_OK))
		return dcdctl_err("monitor: --program %s: %s", program, strerror(errno));
	/* SIGINT and SIGTERM end it, between two events */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigprocmask(SIG_BLOCK, &block, &mask))
		return dcdctl_err("monitor: signals: %s", strerror(errno));
	ret = oneshot ? monitor_oneshot(program, &mask) : monitor_follow(program, &mask);
	return ret ? 1 : 0;
}
