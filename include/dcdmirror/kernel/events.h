/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events of a device of this project (dcdmirror and dcd) for monitors
 * (dcdctl monitor, udev rules): a KOBJ_CHANGE uevent whose environment has
 * DCDMIRROR_EVENT=<name> and the event's fields, and a sysfs_notify() of the
 * attribute that changed (docs/events.md lists them). Events are raised
 * where the state changes, often in atomic context (bio completions, timers,
 * under spinlocks), and both sends sleep: an event waits in a small ring of
 * fixed size, and a work item sends the events in the order they came. A
 * full ring drops the new event; the events sent after that count the drops
 * in DCDMIRROR_DROPPED.
 */
#ifndef DCDMIRROR_KERNEL_EVENTS_H
#define DCDMIRROR_KERNEL_EVENTS_H

#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/spinlock.h>
#include <linux/stdarg.h>
#include <linux/sysfs.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#define EVENT_RING_SIZE		16	/* events waiting to be sent */
#define EVENT_FIELDS		6	/* DCDMIRROR_DEVICE and five more */
#define EVENT_VALUE_LEN		32	/* a device name, a number */
#define EVENT_ENV_LEN		64	/* "KEY=VALUE" */
/* DCDMIRROR_EVENT, the fields, DCDMIRROR_DROPPED and the NULL */
#define EVENT_ENVS		(EVENT_FIELDS + 3)

struct event_field {
	const char *key;		/* "DCDMIRROR_LEG": a string constant */
	char value[EVENT_VALUE_LEN];
};

struct event {
	const char *name;		/* a string constant */
	const char *attr;		/* the attribute to notify, or NULL */
	unsigned int nr_fields;
	struct event_field fields[EVENT_FIELDS];
};

struct event_ring {
	/*
	 * lock (irq-safe) guards every field but env and work. It is the
	 * innermost lock of its device: taken under any other, it takes
	 * none but the workqueue's.
	 */
	spinlock_t lock;
	struct kobject *kobj;		/* where events go: NULL until started */
	const char *dir;		/* the attributes' sysfs group, or NULL */
	bool stopped;			/* the device goes: events are dropped */
	unsigned int head;		/* the oldest event */
	unsigned int count;
	u64 dropped;			/* events lost to a full ring */
	struct event slots[EVENT_RING_SIZE];
	/* the environment of the uevent being sent: the work's own */
	char env[EVENT_ENVS - 1][EVENT_ENV_LEN];
	struct work_struct work;
};

/* A new event: name, and the attribute in the ring's dir that changed. */
static inline void event_init(struct event *e, const char *name, const char *attr)
{
	e->name = name;
	e->attr = attr;
	e->nr_fields = 0;
}

/* A field of e, key=value; beyond EVENT_FIELDS, fields are left out. */
static inline __printf(3, 4)
void event_add(struct event *e, const char *key, const char *fmt, ...)
{
	struct event_field *f;
	va_list ap;

	if (e->nr_fields >= EVENT_FIELDS)
		return;
	f = &e->fields[e->nr_fields++];
	f->key = key;
	va_start(ap, fmt);
	vsnprintf(f->value, sizeof(f->value), fmt, ap);
	va_end(ap);
}

/* Send one event; in the ring's work. */
static inline void event_send(struct event_ring *r, const struct event *e, u64 dropped)
{
	char *envp[EVENT_ENVS];
	unsigned int i, n = 0;

	snprintf(r->env[n], EVENT_ENV_LEN, "DCDMIRROR_EVENT=%s", e->name);
	envp[n] = r->env[n];
	n++;
	for (i = 0; i < e->nr_fields; i++, n++) {
		snprintf(r->env[n], EVENT_ENV_LEN, "%s=%s", e->fields[i].key,
			 e->fields[i].value);
		envp[n] = r->env[n];
	}
	if (dropped) {
		snprintf(r->env[n], EVENT_ENV_LEN, "DCDMIRROR_DROPPED=%llu", dropped);
		envp[n] = r->env[n];
		n++;
	}
	envp[n] = NULL;
	/* nobody listening, no memory: a monitor sees the state in sysfs */
	kobject_uevent_env(r->kobj, KOBJ_CHANGE, envp);
	if (e->attr)
		sysfs_notify(r->kobj, r->dir, e->attr);
}

static inline void event_ring_work(struct work_struct *work)
{
	struct event_ring *r = container_of(work, struct event_ring, work);
	struct event e;
	u64 dropped;

	for (;;) {
		spin_lock_irq(&r->lock);
		if (!r->count) {
			spin_unlock_irq(&r->lock);
			return;
		}
		e = r->slots[r->head];
		r->head = (r->head + 1) % EVENT_RING_SIZE;
		r->count--;
		dropped = r->dropped;
		spin_unlock_irq(&r->lock);
		event_send(r, &e, dropped);
	}
}

/* dir: the sysfs group of the attributes events name (NULL: the kobject's). */
static inline void event_ring_init(struct event_ring *r, const char *dir)
{
	spin_lock_init(&r->lock);
	r->kobj = NULL;
	r->dir = dir;
	r->stopped = false;
	r->head = 0;
	r->count = 0;
	r->dropped = 0;
	INIT_WORK(&r->work, event_ring_work);
}

/*
 * Queue event e (copied). Any context. Events posted before
 * event_ring_start() wait for it; after event_ring_stop() they are dropped.
 */
static inline void event_ring_post(struct event_ring *r, const struct event *e)
{
	unsigned long flags;

	spin_lock_irqsave(&r->lock, flags);
	if (r->stopped) {
		spin_unlock_irqrestore(&r->lock, flags);
		return;
	}
	if (r->count == EVENT_RING_SIZE) {
		r->dropped++;
	} else {
		r->slots[(r->head + r->count) % EVENT_RING_SIZE] = *e;
		r->count++;
		if (r->kobj)
			schedule_work(&r->work);
	}
	spin_unlock_irqrestore(&r->lock, flags);
}

/* The device's kobject is in sysfs: events go out from now on. */
static inline void event_ring_start(struct event_ring *r, struct kobject *kobj)
{
	spin_lock_irq(&r->lock);
	r->kobj = kobj;
	if (r->count)
		schedule_work(&r->work);
	spin_unlock_irq(&r->lock);
}

/*
 * Before the kobject goes (process context): the events queued are sent,
 * later ones dropped; no work of the ring runs after this returns.
 */
static inline void event_ring_stop(struct event_ring *r)
{
	spin_lock_irq(&r->lock);
	r->stopped = true;
	spin_unlock_irq(&r->lock);
	flush_work(&r->work);
}

#endif /* DCDMIRROR_KERNEL_EVENTS_H */
