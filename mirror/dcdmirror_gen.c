// SPDX-License-Identifier: GPL-2.0
/*
 * dcdmirror generations (superblock version 4, after DRBD's data generation
 * UUIDs; mirror_format.h): which leg holds the newer data, whether the
 * other one is its ancestor (rebuilt by bitmap), older (a full copy), or
 * wrote on its own since they were last in sync (split brain).
 *
 * A new generation starts on the legs that go on taking writes when a leg
 * stops getting them, before any such write completes (the superblock
 * write that records the failure, the degraded start, the takeover);
 * gen.bitmap then keeps the generation before, and the bitmap records every
 * chunk written from it on. When a resync has made the legs equal again,
 * gen.bitmap goes to the history.
 */
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>
#include <dcdmirror/mirror_format.h>

#include "dcdmirror.h"

/* A random generation: never 0 (none), never one of gen's own. */
static u64 dcdmirror_gen_random(const struct dcdmirror_gen *gen)
{
	u64 v;

	do {
		v = get_random_u64();
	} while (!v || v == gen->uuid || v == gen->bitmap ||
		 v == gen->history[0] || v == gen->history[1]);
	return v;
}

static void dcdmirror_gen_here(struct dcdmirror_gen *gen)
{
	gen->time = ktime_get_real_seconds();
	strscpy(gen->host, utsname()->nodename, sizeof(gen->host));
}

/* The generation of a new array (create): one leg id per leg too. */
void dcdmirror_gen_init(struct dcdmirror *m)
{
	unsigned int i;

	memset(&m->gen, 0, sizeof(m->gen));
	m->gen.uuid = dcdmirror_gen_random(&m->gen);
	dcdmirror_gen_here(&m->gen);
	for (i = 0; i < m->nr_legs; i++)
		dcdmirror_gen_new_leg(m, i);
}

/* A leg device new to the array gets an id of its own. */
void dcdmirror_gen_new_leg(struct dcdmirror *m, unsigned int i)
{
	do {
		m->legs[i].id = get_random_u64();
	} while (!m->legs[i].id || m->legs[i].id == m->legs[!i].id);
	memset(&m->legs[i].gen, 0, sizeof(m->legs[i].gen));
}

/*
 * A leg stops getting writes (failed, removed, missing at a degraded start,
 * the other site taking over): unless the bitmap already records since an
 * earlier divergence, start a new generation. flags: DCDMIRROR_GEN_TAKEOVER
 * or 0. Caller holds sb_lock (or the array does not run yet); the
 * superblock write that follows makes it durable.
 */
void dcdmirror_gen_rotate(struct dcdmirror *m, u32 flags)
{
	struct dcdmirror_gen *gen = &m->gen;

	if (gen->bitmap && !flags)
		return;
	/* the history moves only when the bitmap's generation goes to it */
	if (!gen->bitmap)
		gen->bitmap = gen->uuid;
	gen->uuid = dcdmirror_gen_random(gen);
	gen->flags = flags;
	dcdmirror_gen_here(gen);
	dcdmirror_info(m, "new generation %016llx (after %016llx)%s\n", gen->uuid,
		       gen->bitmap, flags & DCDMIRROR_GEN_TAKEOVER ? ", taking over" : "");
}

/*
 * Leg i is rebuilt by bitmap: while it is, its superblock (marked
 * inconsistent) names the generation the bits record writes since, or the
 * current one if they record none, unless it names one of these already;
 * a crash meanwhile then finds it the ancestor again, and the resync goes
 * on by bitmap, not as a full one. Caller holds sb_lock (or the array does
 * not run yet), after the leg's own generation is in legs[i].gen.
 */
void dcdmirror_gen_rebuild(struct dcdmirror *m, unsigned int i)
{
	struct dcdmirror_gen *gen = &m->legs[i].gen;
	u64 from = m->gen.bitmap ?: m->gen.uuid;

	if (gen->uuid && (gen->uuid == from || gen->uuid == m->gen.uuid))
		return;
	memset(gen, 0, sizeof(*gen));
	gen->uuid = from;
	if (from == m->gen.uuid) {
		gen->time = m->gen.time;
		memcpy(gen->host, m->gen.host, sizeof(gen->host));
	}
}

/*
 * Every leg is in sync again (a resync ended, both legs equal at
 * assemble): the bitmap no longer records a divergence. Caller holds
 * sb_lock (or the array does not run yet).
 */
void dcdmirror_gen_synced(struct dcdmirror *m)
{
	struct dcdmirror_gen *gen = &m->gen;

	if (!gen->bitmap)
		return;
	gen->history[1] = gen->history[0];
	gen->history[0] = gen->bitmap;
	gen->bitmap = 0;
}

void dcdmirror_gen_from_sb(struct dcdmirror_gen *gen, const struct dcdmirror_sb *sb)
{
	gen->uuid = le64_to_cpu(sb->gen_current);
	gen->bitmap = le64_to_cpu(sb->gen_bitmap);
	gen->history[0] = le64_to_cpu(sb->gen_history[0]);
	gen->history[1] = le64_to_cpu(sb->gen_history[1]);
	gen->time = le64_to_cpu(sb->gen_time);
	gen->flags = le32_to_cpu(sb->gen_flags);
	memcpy(gen->host, sb->gen_host, sizeof(gen->host));
	gen->host[sizeof(gen->host) - 1] = 0;
}

void dcdmirror_gen_to_sb(const struct dcdmirror_gen *gen, struct dcdmirror_sb *sb)
{
	sb->gen_current = cpu_to_le64(gen->uuid);
	sb->gen_bitmap = cpu_to_le64(gen->bitmap);
	sb->gen_history[0] = cpu_to_le64(gen->history[0]);
	sb->gen_history[1] = cpu_to_le64(gen->history[1]);
	sb->gen_time = cpu_to_le64(gen->time);
	sb->gen_flags = cpu_to_le32(gen->flags);
	memcpy(sb->gen_host, gen->host, sizeof(sb->gen_host));
}

/*
 * The generation a superblock of version 2 or 3 stands for next to gen, that
 * of a leg (or array) of version 4 with events_cleared that went on without
 * it (gen->bitmap set, not inconsistent). gen->bitmap is the data both held
 * when they parted if no bit was cleared since the older leg's last
 * superblock (its events at least events_cleared): the older leg has that
 * generation, as an inconsistent copy if it was being rebuilt; if it records
 * the other leg faulty or missing, it went on without it too (split brain).
 * Else it is older than the bits reach (a full copy). dcdmirror_gen_compare()
 * then judges the two as it does two legs of version 4.
 */
void dcdmirror_gen_of_v3(const struct dcdmirror_sb *sb, const struct dcdmirror_gen *gen,
			 u64 events_cleared, struct dcdmirror_gen *v3)
{
	unsigned int me = le32_to_cpu(sb->leg) & 1;
	u32 other = le32_to_cpu(sb->leg_state[!me]);
	bool covered = le64_to_cpu(sb->events) >= events_cleared;

	memset(v3, 0, sizeof(*v3));
	v3->time = le64_to_cpu(sb->utime);
	if (le32_to_cpu(sb->leg_state[me]) == DCDMIRROR_LEG_REBUILDING) {
		v3->uuid = covered ? gen->bitmap : 0;
		v3->flags = DCDMIRROR_GEN_INCONSISTENT;
	} else if (other == DCDMIRROR_LEG_FAULTY || other == DCDMIRROR_LEG_MISSING) {
		v3->uuid = dcdmirror_gen_random(gen);
		if (covered)
			v3->bitmap = gen->bitmap;
		else
			v3->history[0] = gen->bitmap;
	} else if (covered) {
		v3->uuid = gen->bitmap;
	}
}

static bool dcdmirror_gen_in_history(const struct dcdmirror_gen *g, u64 v)
{
	return v && (g->history[0] == v || g->history[1] == v);
}

/* Do a and b have an ancestor in common (bitmap or history)? */
static bool dcdmirror_gen_related(const struct dcdmirror_gen *a, const struct dcdmirror_gen *b)
{
	const u64 pa[] = { a->bitmap, a->history[0], a->history[1] };
	const u64 pb[] = { b->bitmap, b->history[0], b->history[1] };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(pa); i++)
		for (j = 0; j < ARRAY_SIZE(pb); j++)
			if (pa[i] && pa[i] == pb[j])
				return true;
	return false;
}

/*
 * Which of two legs' generations is the source of the other (DRBD's
 * drbd_uuid_compare(), for two legs that one host writes): a and b as their
 * superblocks say, unclean if either was not stopped cleanly.
 */
enum dcdmirror_gen_order dcdmirror_gen_compare(const struct dcdmirror_gen *a,
					       const struct dcdmirror_gen *b,
					       bool unclean)
{
	bool a_inc = a->flags & DCDMIRROR_GEN_INCONSISTENT;
	bool b_inc = b->flags & DCDMIRROR_GEN_INCONSISTENT;

	/* one never had the data, or was being rebuilt: never a source */
	if (a_inc && b_inc)
		return DCDMIRROR_GEN_BOTH_INCONSISTENT;
	if (!a->uuid || a_inc)
		return a->uuid && (b->uuid == a->uuid || b->bitmap == a->uuid) ?
		       DCDMIRROR_GEN_B_BITMAP : DCDMIRROR_GEN_B_FULL;
	if (!b->uuid || b_inc)
		return b->uuid && (a->uuid == b->uuid || a->bitmap == b->uuid) ?
		       DCDMIRROR_GEN_A_BITMAP : DCDMIRROR_GEN_A_FULL;
	if (a->uuid == b->uuid) {
		/* a crash between the two superblocks at a resync's end */
		if (a->bitmap && !b->bitmap)
			return DCDMIRROR_GEN_A_BITMAP;
		if (b->bitmap && !a->bitmap)
			return DCDMIRROR_GEN_B_BITMAP;
		return unclean ? DCDMIRROR_GEN_UNCLEAN : DCDMIRROR_GEN_EQUAL;
	}
	/* b went on from a's generation: a is its ancestor */
	if (b->bitmap && a->uuid == b->bitmap)
		return DCDMIRROR_GEN_B_BITMAP;
	if (a->bitmap && b->uuid == a->bitmap)
		return DCDMIRROR_GEN_A_BITMAP;
	/* further back than the bitmap records */
	if (dcdmirror_gen_in_history(b, a->uuid))
		return DCDMIRROR_GEN_B_FULL;
	if (dcdmirror_gen_in_history(a, b->uuid))
		return DCDMIRROR_GEN_A_FULL;
	/* both went on from the same generation, each on its own */
	if (a->bitmap && a->bitmap == b->bitmap)
		return DCDMIRROR_GEN_SPLIT_BITMAP;
	if (dcdmirror_gen_related(a, b))
		return DCDMIRROR_GEN_SPLIT_FULL;
	return DCDMIRROR_GEN_UNRELATED;
}

/* "generation G (since T on HOST)" into buf, for messages. */
const char *dcdmirror_gen_describe(const struct dcdmirror_gen *gen, char *buf, size_t len)
{
	struct tm tm;

	if (!gen->uuid) {
		snprintf(buf, len, "no generation");
		return buf;
	}
	time64_to_tm(gen->time, 0, &tm);
	snprintf(buf, len, "generation %016llx since %04ld-%02d-%02d %02d:%02d:%02d UTC%s%s%s",
		 gen->uuid, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, gen->host[0] ? " on " : "", gen->host,
		 gen->flags & DCDMIRROR_GEN_TAKEOVER ? " (takeover)" : "");
	return buf;
}
