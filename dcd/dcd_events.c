// SPDX-License-Identifier: GPL-2.0
/*
 * dcd events (docs/events.md), sent as uevents of the device's disk with a
 * sysfs_notify() of the attribute in dcd/ that changed: the log reaching
 * the high watermark, the device failing.
 */
#include <dcdmirror/kernel/events.h>
#include "dcd.h"

static void dcd_event_init(struct dcd_dev *dc, struct event *e, const char *name,
			   const char *attr)
{
	event_init(e, name, attr);
	event_add(e, "DCDMIRROR_DEVICE", "dcd%u", dc->index);
}

/*
 * After the log's fill changed (pct, percent), caller holds lock:
 * log_above_watermark once the log is at or above the high watermark (where
 * destage under load starts), again only after it has fallen below half of
 * the watermark (once per crossing, not at every segment).
 */
void dcd_event_fill(struct dcd_dev *dc, unsigned int pct)
{
	unsigned int hwm = READ_ONCE(dc->high_watermark);
	struct event e;

	if (dc->log_above) {
		if (pct * 2 < hwm)
			dc->log_above = false;
		return;
	}
	if (pct < hwm)
		return;
	dc->log_above = true;
	dcd_event_init(dc, &e, "log_above_watermark", "log_used_bytes");
	event_add(&e, "DCDMIRROR_LOG_USED_PERCENT", "%u", pct);
	event_add(&e, "DCDMIRROR_WATERMARK", "%u", hwm);
	event_add(&e, "DCDMIRROR_LOG_USED_BYTES", "%llu", dcd_log_used(dc) << DCD_BLOCK_SHIFT);
	event_ring_post(&dc->uevents, &e);
}

/*
 * The device fails: writes fail from now on. reason: "cache_write" or
 * "destage". Caller holds lock; device_failed on the first failure.
 */
void dcd_set_failed(struct dcd_dev *dc, const char *reason)
{
	struct event e;

	if (dc->failed)
		return;
	dc->failed = true;
	/* a held commit must not wait for flushes that cannot come */
	dcd_end_hold(dc);
	dcd_event_init(dc, &e, "device_failed", "state");
	event_add(&e, "DCDMIRROR_REASON", "%s", reason);
	event_ring_post(&dc->uevents, &e);
}

void dcd_events_init(struct dcd_dev *dc)
{
	event_ring_init(&dc->uevents, "dcd");
}

/* The disk is in sysfs. */
void dcd_events_start(struct dcd_dev *dc)
{
	event_ring_start(&dc->uevents, &disk_to_dev(dc->disk)->kobj);
}

/* Before del_gendisk: no event of the device is sent after this. */
void dcd_events_stop(struct dcd_dev *dc)
{
	event_ring_stop(&dc->uevents);
}
