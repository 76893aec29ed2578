/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A mirror's legs as a read sees them: which have failed, which are resyncing, how many
 * reads each has in flight, and which regions are in sync; and the rule that picks the
 * leg a read goes to. core/'s Mirror keeps its leg state in struct bc_mirror_legs, and the
 * shim's fast path reads the same struct with the same inlines, so that a read remapped
 * by DM's map without a call into core/ and a read core/ splits choose their leg by one
 * rule, written once, here.
 *
 * A leg is live (neither read nor written once failed), and a live leg may be resyncing:
 * reinstated or put in by a reload, it takes every write but holds the data only of the
 * regions in sync. A region in sync holds the same data on every live leg: a read goes to
 * the least busy of them. A region out of sync is trusted on the source leg only (the
 * first live leg that is not resyncing), as dm-raid1 reads an unsynced region from its
 * default mirror.
 *
 * Order: the legs are read before the regions. A reinstate puts every region out of sync
 * before the leg is live (both release), so a leg seen live here has its regions seen
 * out of sync, and is not chosen for them.
 */
#ifndef BIOCHAIN_ABI_MIRROR_LEGS_H
#define BIOCHAIN_ABI_MIRROR_LEGS_H

#include "abi/limits.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A word of a mirror's in-sync bitmap: 64 regions, a bit each (set: in sync). */
typedef __UINT64_TYPE__ bc_sync_word;

struct bc_mirror_legs {
	unsigned int nr_legs;
	unsigned int failed;	/* bit mask; atomic */
	unsigned int resyncing; /* bit mask; atomic */
	unsigned int last_read; /* the leg bc_mirror_least_busy_leg chose last; atomic */
	/* reads issued to each leg and not ended yet; atomic */
	unsigned int reads_in_flight[BC_MAX_LEGS];
};

static inline unsigned int bc_mirror_all(const struct bc_mirror_legs *legs)
{
	return (1u << legs->nr_legs) - 1;
}

/* Acquire: a leg seen failed stays failed (until a reinstate), and what its failure
 * recorded before is visible. */
static inline unsigned int bc_mirror_failed(const struct bc_mirror_legs *legs)
{
	return __atomic_load_n(&legs->failed, __ATOMIC_ACQUIRE);
}

static inline unsigned int bc_mirror_resyncing(const struct bc_mirror_legs *legs)
{
	return __atomic_load_n(&legs->resyncing, __ATOMIC_ACQUIRE);
}

/* The leg a region out of sync is read from and copied from, of the legs not in
 * failed_mask; nr_legs if none. */
static inline unsigned int bc_mirror_source_leg(const struct bc_mirror_legs *legs, unsigned int failed_mask)
{
	const unsigned int trusted = ~failed_mask & bc_mirror_all(legs) & ~bc_mirror_resyncing(legs);

	return trusted ? (unsigned int)__builtin_ctz(trusted) : legs->nr_legs;
}

/*
 * The leg for the next read of a region in sync: the live leg with the fewest reads in
 * flight, so that a slow or busy leg gets fewer; on a tie the next after the one chosen
 * last, so that reads at queue depth 1 still use every leg (and a failing leg is found by
 * the next read, not only under load). nr_legs when every leg has failed. A racy choice
 * costs balance, never correctness.
 */
static inline unsigned int bc_mirror_least_busy_leg(struct bc_mirror_legs *legs, unsigned int failed_mask)
{
	const unsigned int nr = legs->nr_legs;
	unsigned int leg = __atomic_load_n(&legs->last_read, __ATOMIC_RELAXED);
	unsigned int best = nr, best_load = ~0u, i;

	for (i = 0; i < nr; i++) {
		unsigned int load;

		if (++leg >= nr) /* no division: this runs for every read */
			leg = 0;
		load = __atomic_load_n(&legs->reads_in_flight[leg], __ATOMIC_RELAXED);
		if (!(failed_mask >> leg & 1) && load < best_load) {
			best = leg;
			best_load = load;
		}
	}
	if (best < nr)
		__atomic_store_n(&legs->last_read, best, __ATOMIC_RELAXED);
	return best;
}

/* Whether region is in sync in bits (atomic words). */
static inline int bc_mirror_region_in_sync(const bc_sync_word *bits, unsigned long long region)
{
	return __atomic_load_n(&bits[region / 64], __ATOMIC_ACQUIRE) >> (region % 64) & 1;
}

/* Whether every region of first..last is in sync: a read may go to any live leg, and be
 * retried on another. */
static inline int bc_mirror_regions_in_sync(const bc_sync_word *bits, unsigned long long first,
					    unsigned long long last)
{
	unsigned long long region;

	for (region = first; region <= last; region++)
		if (!bc_mirror_region_in_sync(bits, region))
			return 0;
	return 1;
}

/* The leg a read of regions first..last goes to: the least busy live leg if every one is
 * in sync, else the source leg; nr_legs when none holds them. The legs first (above). */
static inline unsigned int bc_mirror_read_leg(struct bc_mirror_legs *legs, const bc_sync_word *in_sync,
					      unsigned long long first, unsigned long long last)
{
	const unsigned int failed = bc_mirror_failed(legs);

	if (!bc_mirror_regions_in_sync(in_sync, first, last))
		return bc_mirror_source_leg(legs, failed);
	return bc_mirror_least_busy_leg(legs, failed);
}

/* A read is issued to leg (begins) or has ended there: the count least_busy_leg weighs. */
static inline void bc_mirror_read_begins(struct bc_mirror_legs *legs, unsigned int leg)
{
	__atomic_fetch_add(&legs->reads_in_flight[leg], 1, __ATOMIC_RELAXED);
}

static inline void bc_mirror_read_ends(struct bc_mirror_legs *legs, unsigned int leg)
{
	__atomic_fetch_sub(&legs->reads_in_flight[leg], 1, __ATOMIC_RELAXED);
}

#ifdef __cplusplus
}
#endif

#endif /* BIOCHAIN_ABI_MIRROR_LEGS_H */
