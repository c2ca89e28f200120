// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror status and tunables: sysfs under /sys/block/dcdmirrorN/dcdmirror/
 * and /proc/dcdmirror, in the manner of /proc/mdstat.
 */
#include <linux/blkdev.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/sysfs.h>

#include "dcdmirror.h"

/* sysfs: /sys/block/dcdmirrorN/dcdmirror/ */

const char *const dcdmirror_mode_names[] = {
	[DCDMIRROR_MODE_SYNC] = "sync",
	[DCDMIRROR_MODE_ASYNC] = "async",
};

static struct dcdmirror *dev_to_dcdmirror(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

/* A number written to attribute name, in [min, max] (logged if not). */
static int dcdmirror_store_uint(struct dcdmirror *m, const char *name, const char *buf,
				unsigned int min, unsigned int max, unsigned int *v)
{
	int ret = kstrtouint(buf, 10, v);

	if (ret)
		return ret;
	if (*v < min || *v > max) {
		dcdmirror_err(m, "%s %u out of range (%u..%u)\n", name, *v, min, max);
		return -EINVAL;
	}
	return 0;
}

static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  dcdmirror_mode_names[READ_ONCE(dev_to_dcdmirror(dev)->mode)]);
}

static ssize_t mode_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t len)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	int mode = sysfs_match_string(dcdmirror_mode_names, buf);

	if (mode < 0) {
		dcdmirror_err(m, "mode must be sync or async\n");
		return -EINVAL;
	}
	dcdmirror_set_mode(m, mode);
	return len;
}
static DEVICE_ATTR_RW(mode);

/* "KIB MS": the async lag bound, in bytes and in age of the oldest write */
static ssize_t max_lag_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);

	return sysfs_emit(buf, "%u %u\n", READ_ONCE(m->max_lag_kib),
			  READ_ONCE(m->max_lag_ms));
}

static ssize_t max_lag_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t len)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	unsigned int kib, ms;

	if (sscanf(buf, "%u %u", &kib, &ms) != 2 || !kib || !ms ||
	    kib > DCDMIRROR_MAX_LAG_KIB_MAX || ms > DCDMIRROR_MAX_LAG_MS_MAX) {
		dcdmirror_err(m, "max_lag takes \"KIB MS\" (1..%u KiB, 1..%u ms)\n",
			      DCDMIRROR_MAX_LAG_KIB_MAX, DCDMIRROR_MAX_LAG_MS_MAX);
		return -EINVAL;
	}
	WRITE_ONCE(m->max_lag_kib, kib);
	WRITE_ONCE(m->max_lag_ms, ms);
	wake_up_all(&m->async_wait);
	return len;
}
static DEVICE_ATTR_RW(max_lag);

static const char *const dcdmirror_async_flush_names[] = { "both", "local" };

/* what a flush waits for in async mode: "both" legs, or the "local" one */
static ssize_t async_flush_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);

	return sysfs_emit(buf, "%s\n", dcdmirror_async_flush_names
			  [!!(READ_ONCE(m->async_flags) & DCDMIRROR_ASYNC_FLUSH_LOCAL)]);
}

static ssize_t async_flush_store(struct device *dev, struct device_attribute *attr,
				 const char *buf, size_t len)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	int v = sysfs_match_string(dcdmirror_async_flush_names, buf);

	if (v < 0) {
		dcdmirror_err(m, "async_flush must be both or local\n");
		return -EINVAL;
	}
	WRITE_ONCE(m->async_flags, v ? DCDMIRROR_ASYNC_FLUSH_LOCAL : 0);
	return len;
}
static DEVICE_ATTR_RW(async_flush);

/*
 * "bytes=B max_bytes=M oldest_us=U remote_inflight_bytes=R writes=W
 * behind=N flush_waits=F": the async lag (bytes accepted, not yet on the
 * remote leg), its high-water mark, the age of the oldest such write, the
 * bytes out at the remote leg, async writes accepted, of them completed
 * before the remote leg had them, and flushes that waited for the remote.
 */
static ssize_t lag_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	u64 lag, lag_max, oldest, writes, behind, waits, remote = 0;
	struct dcdmirror_leg_counters sum;
	unsigned int i;

	dcdmirror_async_stats(m, &lag, &lag_max, &oldest);
	spin_lock_irq(&m->async_lock);
	writes = m->async_writes;
	behind = m->behind_writes;
	waits = m->flush_waits;
	spin_unlock_irq(&m->async_lock);
	for (i = 0; i < m->nr_legs; i++) {
		if (m->legs[i].role == DCDMIRROR_ROLE_REMOTE) {
			dcdmirror_leg_counters_sum(&m->legs[i], &sum);
			remote += sum.inflight_bytes;
		}
	}
	return sysfs_emit(buf,
			  "bytes=%llu max_bytes=%llu oldest_us=%llu remote_inflight_bytes=%llu writes=%llu behind=%llu flush_waits=%llu\n",
			  lag, lag_max, oldest, remote, writes, behind, waits);
}
static DEVICE_ATTR_RO(lag);

/*
 * "requests=N merged=M": remote requests sent by async mode's batching, and
 * the writes merged into another's request (M writes fewer requests).
 */
static ssize_t coalesce_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	struct dcdmirror_leg_counters sum;
	u64 reqs, merged = 0;
	unsigned int i;

	spin_lock_irq(&m->async_lock);
	reqs = m->sent_requests;
	spin_unlock_irq(&m->async_lock);
	for (i = 0; i < m->nr_legs; i++) {
		dcdmirror_leg_counters_sum(&m->legs[i], &sum);
		merged += sum.merged;
	}
	return sysfs_emit(buf, "requests=%llu merged=%llu\n", reqs, merged);
}
static DEVICE_ATTR_RO(coalesce);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);

	return sysfs_emit(buf, "%s%s%s\n",
			  atomic_read(&m->inflight) ? "active" : "clean",
			  dcdmirror_degraded(m) ? ", degraded" : "",
			  dcdmirror_resync_active(m) ? ", resyncing" : "");
}
static DEVICE_ATTR_RO(state);

static ssize_t resync_rate_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dev_to_dcdmirror(dev)->resync_rate));
}

static ssize_t resync_rate_store(struct device *dev, struct device_attribute *attr,
				 const char *buf, size_t len)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	unsigned int rate;
	int ret;

	ret = dcdmirror_store_uint(m, "resync_rate", buf, DCDMIRROR_RESYNC_RATE_MIN,
				   DCDMIRROR_RESYNC_RATE_MAX, &rate);
	if (ret)
		return ret;
	WRITE_ONCE(m->resync_rate, rate);
	dcdmirror_resync_kick(m);
	return len;
}
static DEVICE_ATTR_RW(resync_rate);

/*
 * "STATE leg=N chunks=DONE/TOTAL bytes=B speed=KiB/s eta=s barrier_waits=W
 * start=S pos=P checkpoint=C checkpoints=K unreadable=U": the resync
 * running, or the last one (W: writes that waited for a chunk being copied
 * or a read error's rewrite, since the array started; S: the chunk it
 * started or resumed at, P: the chunk it is at, C: the one the superblocks
 * record, K: checkpoints written, U: chunks the source could not read,
 * left with their bits set); "none" if there was none.
 */
static ssize_t resync_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	struct dcdmirror_resync_stats rs;
	u64 speed, eta, waits, ckpt;

	dcdmirror_resync_progress(m, &rs, &speed, &eta);
	if (!rs.started)
		return sysfs_emit(buf, "%s\n",
				  dcdmirror_resync_active(m) ? "pending" : "none");
	spin_lock_irq(&m->bm.lock);
	waits = m->bm.barrier_waits;
	spin_unlock_irq(&m->bm.lock);
	mutex_lock(&m->sb_lock);
	ckpt = m->resync_ckpt;
	mutex_unlock(&m->sb_lock);
	return sysfs_emit(buf,
			  "%s leg=%u chunks=%llu/%llu bytes=%llu speed=%llu eta=%llu barrier_waits=%llu start=%llu pos=%llu checkpoint=%llu checkpoints=%llu unreadable=%llu\n",
			  !rs.end ? "running" : m->resync_failed ? "failed" : "done",
			  rs.leg, rs.chunks, rs.total, rs.bytes, speed, eta, waits,
			  rs.start_chunk, rs.pos, ckpt, rs.checkpoints, rs.unreadable);
}
static DEVICE_ATTR_RO(resync);

/*
 * "CHUNK_BYTES CHUNKS DIRTY DEFERRED OWED": DEFERRED counts the bitmap
 * writes async mode did not wait for on the remote leg, OWED the blocks
 * the remote leg has yet to get.
 */
static ssize_t bitmap_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	u64 deferred, owed;

	spin_lock_irq(&m->bm.lock);
	deferred = m->bm.lazy_writes;
	owed = bitmap_weight(m->bm.lazy_blocks, 256);
	spin_unlock_irq(&m->bm.lock);
	return sysfs_emit(buf, "%u %llu %llu %llu %llu\n", 512U << m->bm.chunk_shift,
			  m->bm.chunks, dcdmirror_bitmap_weight(m), deferred, owed);
}
static DEVICE_ATTR_RO(bitmap);

/*
 * The activity log: "EXTENTS EXTENT_BYTES USED HITS MISSES EVICTIONS
 * TRANSACTIONS WAITS" (0 0 ... without one).
 */
static ssize_t al_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	struct dcdmirror_al_stats st;

	dcdmirror_al_stats(m, &st);
	return sysfs_emit(buf, "%u %llu %u %llu %llu %llu %llu %llu\n", st.extents,
			  st.extent_bytes, st.used, st.hits, st.misses, st.evictions,
			  st.transactions, st.waits);
}
static DEVICE_ATTR_RO(al);

/* "META_WRITES DATA_WRITES": metadata blocks written, writes to the array. */
static ssize_t meta_writes_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);

	return sysfs_emit(buf, "%lld %lld\n", (long long)atomic64_read(&m->meta_writes),
			  (long long)atomic64_read(&m->data_writes));
}
static DEVICE_ATTR_RO(meta_writes);

u64 dcdmirror_lat_avg_us(struct dcdmirror_leg_counters *sum)
{
	return sum->lat_count ? div64_u64(sum->lat_ns, sum->lat_count) / 1000 : 0;
}

/* One line per leg, written by line() from the leg's summed counters. */
static ssize_t dcdmirror_show_legs(struct device *dev, char *buf,
				   int (*line)(char *buf, int at, unsigned int i,
					       struct dcdmirror_leg *leg,
					       struct dcdmirror_leg_counters *sum))
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	struct dcdmirror_leg_counters sum;
	unsigned int i;
	int len = 0;

	for (i = 0; i < m->nr_legs; i++) {
		dcdmirror_leg_counters_sum(&m->legs[i], &sum);
		len += line(buf, len, i, &m->legs[i], &sum);
	}
	return len;
}

/* "INDEX AVG_US MAX_US" of the leg's bios' completion times */
static int latency_line(char *buf, int at, unsigned int i, struct dcdmirror_leg *leg,
			struct dcdmirror_leg_counters *sum)
{
	return sysfs_emit_at(buf, at, "%u %llu %llu\n", i, dcdmirror_lat_avg_us(sum),
			     sum->lat_max_ns / 1000);
}

static ssize_t latency_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return dcdmirror_show_legs(dev, buf, latency_line);
}
static DEVICE_ATTR_RO(latency);

static const char *const dcdmirror_leg_state_names[] = {
	[DCDMIRROR_LEG_IN_SYNC] = "in_sync",
	[DCDMIRROR_LEG_FAULTY] = "faulty",
	[DCDMIRROR_LEG_MISSING] = "missing",
	[DCDMIRROR_LEG_REBUILDING] = "rebuilding",
};

/* One line per leg: "INDEX ROLE NAME MAJOR:MINOR STATE". */
static ssize_t legs_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	unsigned int i;
	int len = 0;

	/* a leg's device may be released meanwhile: cfg_lock keeps it */
	mutex_lock(&m->cfg_lock);
	for (i = 0; i < m->nr_legs; i++) {
		struct dcdmirror_leg *leg = &m->legs[i];
		const char *state = dcdmirror_leg_state_names[dcdmirror_leg_state(leg)];

		if (leg->bdev)
			len += sysfs_emit_at(buf, len, "%u %s %pg %u:%u %s\n", i,
					     dcdmirror_role_name(leg), leg->bdev,
					     MAJOR(leg->dev), MINOR(leg->dev), state);
		else
			len += sysfs_emit_at(buf, len, "%u %s - 0:0 %s\n", i,
					     dcdmirror_role_name(leg), state);
	}
	mutex_unlock(&m->cfg_lock);
	return len;
}
static DEVICE_ATTR_RO(legs);

/* a leg with more read errors than this (halved each hour) is failed */
static ssize_t max_read_errors_show(struct device *dev, struct device_attribute *attr,
				    char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dev_to_dcdmirror(dev)->max_read_errors));
}

static ssize_t max_read_errors_store(struct device *dev, struct device_attribute *attr,
				     const char *buf, size_t len)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	unsigned int n;
	int ret = dcdmirror_store_uint(m, "max_read_errors", buf, 0, UINT_MAX, &n);

	if (!ret)
		WRITE_ONCE(m->max_read_errors, n);
	return ret ?: len;
}
static DEVICE_ATTR_RW(max_read_errors);

/*
 * "INDEX CORRECTED SECTORS RECENT": read errors corrected by a rewrite, the
 * sectors rewritten, and the read errors counted against max_read_errors.
 */
static int read_errors_line(char *buf, int at, unsigned int i, struct dcdmirror_leg *leg,
			    struct dcdmirror_leg_counters *sum)
{
	return sysfs_emit_at(buf, at, "%u %llu %llu %u\n", i, sum->corrected,
			     sum->corrected_sectors, READ_ONCE(leg->read_errors));
}

static ssize_t read_errors_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	return dcdmirror_show_legs(dev, buf, read_errors_line);
}
static DEVICE_ATTR_RO(read_errors);

/* "MS" or "off" (DCDMIRROR_REMOTE_TIMEOUT_OFF); the same is written. */
static ssize_t remote_timeout_ms_show(struct device *dev, struct device_attribute *attr,
				      char *buf)
{
	unsigned int ms = READ_ONCE(dev_to_dcdmirror(dev)->remote_timeout_ms);

	if (ms == DCDMIRROR_REMOTE_TIMEOUT_OFF)
		return sysfs_emit(buf, "off\n");
	return sysfs_emit(buf, "%u\n", ms);
}

static ssize_t remote_timeout_ms_store(struct device *dev, struct device_attribute *attr,
				       const char *buf, size_t len)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	unsigned int ms;
	int ret;

	if (sysfs_streq(buf, "off")) {
		ms = DCDMIRROR_REMOTE_TIMEOUT_OFF;
	} else {
		ret = dcdmirror_store_uint(m, "remote_timeout_ms", buf,
					   DCDMIRROR_REMOTE_TIMEOUT_MIN,
					   DCDMIRROR_REMOTE_TIMEOUT_MAX, &ms);
		if (ret)
			return ret;
	}
	dcdmirror_set_remote_timeout(m, ms);
	return len;
}
static DEVICE_ATTR_RW(remote_timeout_ms);

/* DCDMIRROR_GEN_* names, for "flags=" */
static const char *const dcdmirror_gen_flag_names[] = { "inconsistent", "takeover" };

/*
 * "current=G bitmap=G history=G,G time=SECONDS host=NAME flags=F,..." of the
 * in-sync legs (see mirror_format.h); "none" without superblocks.
 */
static ssize_t generation_show(struct device *dev, struct device_attribute *attr,
			       char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	struct dcdmirror_gen gen;
	unsigned int i;
	int len;

	if (!m->has_sb)
		return sysfs_emit(buf, "none\n");
	mutex_lock(&m->sb_lock);
	gen = m->gen;
	mutex_unlock(&m->sb_lock);
	len = sysfs_emit(buf,
			 "current=%016llx bitmap=%016llx history=%016llx,%016llx time=%llu host=%.*s flags=",
			 gen.uuid, gen.bitmap, gen.history[0], gen.history[1], gen.time,
			 (int)sizeof(gen.host), gen.host[0] ? gen.host : "-");
	if (!gen.flags)
		len += sysfs_emit_at(buf, len, "-");
	for (i = 0; i < ARRAY_SIZE(dcdmirror_gen_flag_names); i++)
		if (gen.flags & BIT(i))
			len += sysfs_emit_at(buf, len, "%s%s", dcdmirror_gen_flag_names[i],
					     gen.flags >> (i + 1) ? "," : "");
	return len + sysfs_emit_at(buf, len, "\n");
}
static DEVICE_ATTR_RO(generation);

/* "local" or "remote": the leg reads come from, the source of a resync. */
static ssize_t source_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	int src = dcdmirror_read_leg(m);

	return sysfs_emit(buf, "%s\n", src < 0 ? "none" : dcdmirror_role_name(&m->legs[src]));
}
static DEVICE_ATTR_RO(source);

static const char *const dcdmirror_check_state_names[] = {
	[DCDMIRROR_CHECK_NONE] = "none",
	[DCDMIRROR_CHECK_RUNNING] = "running",
	[DCDMIRROR_CHECK_DONE] = "done",
	[DCDMIRROR_CHECK_STOPPED] = "stopped",
};

/*
 * "STATE[,repair] chunks=POS/TOTAL mismatches=M repaired=R speed=KIB eta=S"
 * of the check running or the last one; "none" if there was none.
 */
static ssize_t check_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct dcdmirror *m = dev_to_dcdmirror(dev);
	struct dcdmirror_check_stats cs;
	u64 speed, eta;

	dcdmirror_check_progress(m, &cs, &speed, &eta);
	if (cs.state == DCDMIRROR_CHECK_NONE)
		return sysfs_emit(buf, "%s\n", dcdmirror_check_pending(m) ? "pending" : "none");
	return sysfs_emit(buf,
			  "%s%s chunks=%llu/%llu mismatches=%llu repaired=%llu speed=%llu eta=%llu\n",
			  dcdmirror_check_state_names[cs.state],
			  cs.flags & DCDMIRROR_CHECK_REPAIR ? ",repair" : "", cs.pos, cs.total,
			  cs.mismatches, cs.repaired, speed, eta);
}
static DEVICE_ATTR_RO(check);

static struct attribute *dcdmirror_attrs[] = {
	&dev_attr_remote_timeout_ms.attr,
	&dev_attr_generation.attr,
	&dev_attr_source.attr,
	&dev_attr_check.attr,
	&dev_attr_mode.attr,
	&dev_attr_state.attr,
	&dev_attr_legs.attr,
	&dev_attr_resync_rate.attr,
	&dev_attr_resync.attr,
	&dev_attr_bitmap.attr,
	&dev_attr_al.attr,
	&dev_attr_meta_writes.attr,
	&dev_attr_latency.attr,
	&dev_attr_max_lag.attr,
	&dev_attr_async_flush.attr,
	&dev_attr_lag.attr,
	&dev_attr_coalesce.attr,
	&dev_attr_max_read_errors.attr,
	&dev_attr_read_errors.attr,
	NULL,
};

static const struct attribute_group dcdmirror_attr_group = {
	.name = "dcdmirror",
	.attrs = dcdmirror_attrs,
};

const struct attribute_group *dcdmirror_attr_groups[] = {
	&dcdmirror_attr_group,
	NULL,
};

/* A progress bar of permille, 20 characters, mdstat's. */
static void dcdmirror_proc_bar(struct seq_file *seq, unsigned int permille)
{
	unsigned int i, bar = permille / 50;

	seq_puts(seq, "      [");
	for (i = 0; i < 20; i++)
		seq_putc(seq, i < bar ? '=' : i == bar ? '>' : '.');
	seq_puts(seq, "]  ");
}

/* The check running: mdstat's "check = P% (pos/total)" line. */
static void dcdmirror_proc_check(struct seq_file *seq, struct dcdmirror *m)
{
	struct dcdmirror_check_stats cs;
	unsigned int permille;
	u64 speed, eta;

	dcdmirror_check_progress(m, &cs, &speed, &eta);
	if (cs.state != DCDMIRROR_CHECK_RUNNING || !cs.total)
		return;
	permille = div64_u64(min(cs.pos, cs.total) * 1000, cs.total);
	dcdmirror_proc_bar(seq, permille);
	seq_printf(seq, "%s = %u.%u%% (%llu/%llu chunks) mismatches=%llu finish=%llu.%llumin speed=%lluK/sec\n",
		   cs.flags & DCDMIRROR_CHECK_REPAIR ? "repair" : "check", permille / 10,
		   permille % 10, cs.pos, cs.total, cs.mismatches, eta / 60, (eta % 60) / 6,
		   speed);
}

/*
 * /proc/dcdmirror, in the manner of /proc/mdstat: per array its legs
 * ((F) faulty, (R) being rebuilt), [in-sync/all] [U_], the resync's
 * progress bar and the bitmap.
 */
static void dcdmirror_proc_array(struct seq_file *seq, struct dcdmirror *m)
{
	struct dcdmirror_resync_stats rs;
	unsigned int i, n = 0, permille;
	u64 speed, eta;

	seq_printf(seq, "dcdmirror%u : active raid1", m->index);
	for (i = 0; i < m->nr_legs; i++) {
		struct dcdmirror_leg *leg = &m->legs[i];
		unsigned int st = dcdmirror_leg_state(leg);

		if (!leg->bdev)
			continue;
		seq_printf(seq, " %pg[%u]%s", leg->bdev, i,
			   st == DCDMIRROR_LEG_FAULTY ? "(F)" :
			   st == DCDMIRROR_LEG_REBUILDING ? "(R)" : "");
		if (st == DCDMIRROR_LEG_IN_SYNC)
			n++;
	}
	seq_printf(seq, "\n      %llu blocks [%u/%u] [", (unsigned long long)m->sectors / 2,
		   m->nr_legs, n);
	for (i = 0; i < m->nr_legs; i++)
		seq_putc(seq, dcdmirror_leg_state(&m->legs[i]) == DCDMIRROR_LEG_IN_SYNC ?
			 'U' : '_');
	seq_puts(seq, "]\n");
	dcdmirror_resync_progress(m, &rs, &speed, &eta);
	if (dcdmirror_resync_active(m)) {
		if (rs.started && !rs.end && rs.total) {
			permille = div64_u64(min(rs.chunks, rs.total) * 1000, rs.total);
			dcdmirror_proc_bar(seq, permille);
			seq_printf(seq, "resync = %u.%u%% (%llu/%llu chunks) finish=%llu.%llumin speed=%lluK/sec\n",
				   permille / 10, permille % 10, rs.chunks, rs.total,
				   eta / 60, (eta % 60) / 6, speed);
		} else {
			seq_puts(seq, "      resync=PENDING\n");
		}
	}
	dcdmirror_proc_check(seq, m);
	seq_printf(seq, "      bitmap: %llu/%llu chunks dirty, %uKB chunk\n\n",
		   dcdmirror_bitmap_weight(m), m->bm.chunks, 1U << (m->bm.chunk_shift - 1));
}

static int dcdmirror_proc_show(struct seq_file *seq, void *v)
{
	struct dcdmirror *m;

	mutex_lock(&dcdmirror_devices_lock);
	list_for_each_entry(m, &dcdmirror_devices, node)
		dcdmirror_proc_array(seq, m);
	mutex_unlock(&dcdmirror_devices_lock);
	return 0;
}

int dcdmirror_proc_init(void)
{
	if (!proc_create_single("dcdmirror", 0444, NULL, dcdmirror_proc_show))
		return -ENOMEM;
	return 0;
}

void dcdmirror_proc_exit(void)
{
	remove_proc_entry("dcdmirror", NULL);
}
