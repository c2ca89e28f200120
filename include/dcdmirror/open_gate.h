/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Open gate of a dcdmirror or dcd block device: counts its openers and, once
 * a stop has begun, refuses new ones, so that a stop is refused while the
 * device is open (as md's STOP_ARRAY) and no open slips in between that
 * check and the teardown.
 */
#ifndef DCDMIRROR_OPEN_GATE_H
#define DCDMIRROR_OPEN_GATE_H

#include <linux/errno.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct dcd_open_gate {
	/*
	 * Protects count and closed. Irq-safe: dcdmirror also drops its last
	 * in-flight count under it from bio completions (dcdmirror_io.c).
	 */
	spinlock_t lock;
	unsigned int count;
	bool closed;		/* a stop has begun: opens fail */
};

static inline void dcd_open_gate_init(struct dcd_open_gate *g)
{
	spin_lock_init(&g->lock);
	g->count = 0;
	g->closed = false;
}

/* ->open: -ENXIO once the device is being stopped. */
static inline int dcd_open_gate_enter(struct dcd_open_gate *g)
{
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&g->lock, flags);
	if (g->closed)
		ret = -ENXIO;
	else
		g->count++;
	spin_unlock_irqrestore(&g->lock, flags);
	return ret;
}

/* ->release */
static inline void dcd_open_gate_leave(struct dcd_open_gate *g)
{
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	g->count--;
	spin_unlock_irqrestore(&g->lock, flags);
}

/* Stop: -EBUSY while open; otherwise close the gate for good. */
static inline int dcd_open_gate_close(struct dcd_open_gate *g)
{
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&g->lock, flags);
	if (g->count)
		ret = -EBUSY;
	else
		g->closed = true;
	spin_unlock_irqrestore(&g->lock, flags);
	return ret;
}

static inline unsigned int dcd_open_gate_count(struct dcd_open_gate *g)
{
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&g->lock, flags);
	n = g->count;
	spin_unlock_irqrestore(&g->lock, flags);
	return n;
}

#endif /* DCDMIRROR_OPEN_GATE_H */
