/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The open gate of a block device of this project (dcdmirror and dcd): counts
 * the device's openers and, once a stop has begun, refuses new ones, so that
 * a stop is refused while the device is open (as md's STOP_ARRAY) and no open
 * slips in between that check and the teardown.
 */
#ifndef DCDMIRROR_KERNEL_OPEN_GATE_H
#define DCDMIRROR_KERNEL_OPEN_GATE_H

#include <linux/errno.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct open_gate {
	/*
	 * Protects count and closed. Irq-safe: dcdmirror also drops its last
	 * in-flight count under it from bio completions (dcdmirror_io.c).
	 */
	spinlock_t lock;
	unsigned int count;
	bool closed;		/* a stop has begun: opens fail */
};

static inline void open_gate_init(struct open_gate *g)
{
	spin_lock_init(&g->lock);
	g->count = 0;
	g->closed = false;
}

/* ->open: -ENXIO once the device is being stopped. */
static inline int open_gate_enter(struct open_gate *g)
{
	unsigned long flags;
	bool closed;

	spin_lock_irqsave(&g->lock, flags);
	closed = g->closed;
	g->count += !closed;
	spin_unlock_irqrestore(&g->lock, flags);
	return closed ? -ENXIO : 0;
}

/* ->release */
static inline void open_gate_leave(struct open_gate *g)
{
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	g->count--;
	spin_unlock_irqrestore(&g->lock, flags);
}

/* Stop: -EBUSY while open; otherwise close the gate for good. */
static inline int open_gate_close(struct open_gate *g)
{
	unsigned long flags;
	unsigned int openers;

	spin_lock_irqsave(&g->lock, flags);
	openers = g->count;
	g->closed = !openers;
	spin_unlock_irqrestore(&g->lock, flags);
	return openers ? -EBUSY : 0;
}

static inline unsigned int open_gate_count(struct open_gate *g)
{
	return READ_ONCE(g->count);
}

#endif /* DCDMIRROR_KERNEL_OPEN_GATE_H */
