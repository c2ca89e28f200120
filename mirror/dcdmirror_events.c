// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror events (docs/events.md): each array's ring sends its events as
 * uevents of the array's disk, with a sysfs_notify() of the attribute in
 * dcdmirror/ that changed; the control device's ring sends split_brain, of
 * an assemble or add refused, which may come before the array exists.
 */
#include <linux/miscdevice.h>
#include <dcdmirror/kernel/events.h>

#include "dcdmirror.h"

/* the control device's events (process context only: ioctls) */
static struct event_ring dcdmirror_ctl_events;

/* An event of array index: DCDMIRROR_DEVICE first. */
void dcdmirror_event_init(unsigned int index, struct event *e, const char *name,
			  const char *attr)
{
	event_init(e, name, attr);
	event_add(e, "DCDMIRROR_DEVICE", "dcdmirror%u", index);
}

/*
 * DCDMIRROR_LEG and, while it has one, DCDMIRROR_LEG_DEVICE of leg. The
 * caller keeps the device from being released meanwhile (as for its
 * messages: I/O of the leg in flight, dcdmirror_devices_lock or cfg_lock).
 */
void dcdmirror_event_add_leg(struct event *e, const struct dcdmirror_leg *leg)
{
	event_add(e, "DCDMIRROR_LEG", "%s", dcdmirror_role_name(leg));
	if (leg->bdev)
		event_add(e, "DCDMIRROR_LEG_DEVICE", "%pg", leg->bdev);
}

/* Any context. */
void dcdmirror_event_post(struct dcdmirror *m, const struct event *e)
{
	event_ring_post(&m->uevents, e);
}

void dcdmirror_events_init(struct dcdmirror *m)
{
	event_ring_init(&m->uevents, "dcdmirror");
}

/* The disk is in sysfs. */
void dcdmirror_events_start(struct dcdmirror *m)
{
	event_ring_start(&m->uevents, &disk_to_dev(m->disk)->kobj);
}

/* Before del_gendisk: no event of the array is sent after this. */
void dcdmirror_events_stop(struct dcdmirror *m)
{
	event_ring_stop(&m->uevents);
}

void dcdmirror_ctl_event_post(const struct event *e)
{
	event_ring_post(&dcdmirror_ctl_events, e);
}

/* Before the control device is registered: its ioctls may post at once. */
void dcdmirror_ctl_events_init(void)
{
	event_ring_init(&dcdmirror_ctl_events, NULL);
}

void dcdmirror_ctl_events_start(struct miscdevice *misc)
{
	event_ring_start(&dcdmirror_ctl_events, &misc->this_device->kobj);
}

/* Before the control device goes (module exit). */
void dcdmirror_ctl_events_stop(void)
{
	event_ring_stop(&dcdmirror_ctl_events);
}
