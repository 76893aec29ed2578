/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fast path: what DM's map does with a read or write without calling into core/.
 *
 * core/ decides at table load which reads and writes may go down whole, remapped in
 * place (bc_target_fast_path fills one struct bc_fast_path), and the shim applies that
 * decision to every bio with bc_fast_path_remap(), an inline over the struct alone:
 *   - offset: every read and write goes to one leg at sector + offset (linear), as
 *     dm-linear remaps;
 *   - stripes: a read or write that fits in its chunk goes to the leg the striped math
 *     names (abi/stripe_math.h, the same inline core/'s Layout cuts pieces with), as
 *     dm-stripe remaps;
 *   - none: every read and write needs children (a mirror's writes, a child limit).
 * A mirror's reads (mirror_whole) go down whole too, to the leg abi/mirror_legs.h's rule
 * picks (bc_fast_path_mirror_read), as dm-raid1's mirror_map remaps a read: core/ keeps
 * its leg state where these inlines read it, and is called only when such a read fails.
 * Whatever the fast path does not remap is split (bc_target_map). So map reads "fast
 * path, or split", and the bio that stays whole costs no call, no frame and no stack
 * canary: under TCG one call into core/ and back is about 3 % of a 4k I/O.
 *
 * Counting is part of the same decision: the struct names where a read or write is
 * counted (byte offsets into core/'s per-CPU counter block), and the shim adds to them
 * itself, one this_cpu_add each, before it remaps or splits.
 */
#ifndef BIOCHAIN_ABI_FAST_PATH_H
#define BIOCHAIN_ABI_FAST_PATH_H

#include "abi/mirror_legs.h"
#include "abi/stripe_math.h"
#include "abi/target.h"
#include "abi/types.h"

#ifdef __cplusplus
extern "C" {
#endif

enum bc_fast_path_kind {
	BC_FAST_PATH_NONE,
	BC_FAST_PATH_OFFSET,
	BC_FAST_PATH_STRIPES,
};

struct bc_fast_path {
	enum bc_fast_path_kind kind;
	unsigned int leg;     /* offset: the one leg */
	bc_sector_t offset;   /* offset: added to the target sector */
	struct bc_stripes stripes; /* stripes: the layout's divisions and leg offsets */
	/* Where a read or write is counted: byte offsets into each CPU's copy of percpu
	 * (bc_env_percpu_alloc), indexed by BC_IO_READ and BC_IO_WRITE. */
	void *percpu;
	unsigned long bios[2];
	unsigned long sectors[2];
	/* A write lands as copies on several legs (a mirror): once its objects are at hand it
	 * goes down without REQ_NOWAIT, so that a lower queue cannot refuse one copy (AGAIN)
	 * while another lands and leave the legs different with the write reported unwritten.
	 * A discard or write-zeroes changes data as a write does: it is one clone
	 * (bc_target_discard_bios), which the shim maps as a write (bc_target_map_in_place). */
	int writes_copied;
	/* A read or write split in place has its end judged in core/ (bc_target_in_place_end):
	 * a mirror's clone carries a piece to a leg of its own, to be failed, retried or
	 * carried on to the next leg. Elsewhere the clone's status is already the bio's, and
	 * DM's end_io makes no call. */
	int ends_judged;
	/* A mirror without a child limit: its bio (in one region: max_io_len) is one piece.
	 * So every read goes down whole to the leg bc_fast_path_mirror_read picks, and
	 * bc_target_map_in_place takes a write whole (its clone and a copy per other leg),
	 * never in part: a write mapped outside DM's map (a disk log's deferred write) goes
	 * in place only then. mirror (any mirror's: its legs' state) and in_sync point into
	 * core/'s target, fixed for its life. */
	int mirror_whole;
	struct bc_mirror_legs *mirror;
	const bc_sync_word *in_sync;
	unsigned int region_shift;
	bc_sector_t leg_offsets[BC_MAX_LEGS];
};

/* Fills *path for target; fixed for the target's life. Not const: a mirror's reads count
 * themselves in its legs' state (path->mirror). */
void bc_target_fast_path(struct bc_target *target, struct bc_fast_path *path);

/* Where a bio goes when it stays whole: remapped 1 with its leg and leg sector. 0: it must
 * be split (bc_target_map). Returned by value, in two registers. */
struct bc_remap {
	bc_sector_t leg_sector;
	unsigned int leg;
	int remapped;
};

/* sector is relative to the target's start. */
static inline struct bc_remap bc_fast_path_remap(const struct bc_fast_path *path, bc_sector_t sector,
						 unsigned int sectors)
{
	struct bc_remap remap = { 0, 0, 0 };

	if (path->kind == BC_FAST_PATH_OFFSET) {
		remap.leg_sector = sector + path->offset;
		remap.leg = path->leg;
		remap.remapped = 1;
	} else if (path->kind == BC_FAST_PATH_STRIPES) {
		const struct bc_stripe_place place =
			bc_stripes_locate(&path->stripes.chunk, &path->stripes.legs, sector);

		if (sectors <= place.room) {
			remap.leg_sector = path->stripes.offsets[place.leg] + place.leg_sector;
			remap.leg = place.leg;
			remap.remapped = 1;
		}
	}
	return remap;
}

/*
 * A mirror's read (path->mirror_whole): remapped 1 to the leg that serves it, counted as a
 * read in flight there until the caller's bc_mirror_read_ends; 0 when every leg has
 * failed (the split path ends it with EIO). A read that fails on its leg is core/'s to
 * judge (bc_target_mirror_read_end).
 */
static inline struct bc_remap bc_fast_path_mirror_read(const struct bc_fast_path *path, bc_sector_t sector,
						       unsigned int sectors)
{
	const unsigned long long first = sector >> path->region_shift;
	const unsigned long long last = (sector + (sectors ? sectors : 1) - 1) >> path->region_shift;
	const unsigned int leg = bc_mirror_read_leg(path->mirror, path->in_sync, first, last);
	struct bc_remap remap = { 0, 0, 0 };

	if (leg < path->mirror->nr_legs) {
		bc_mirror_read_begins(path->mirror, leg);
		remap.leg_sector = sector + path->leg_offsets[leg];
		remap.leg = leg;
		remap.remapped = 1;
	}
	return remap;
}

#ifdef __cplusplus
}
#endif

#endif /* BIOCHAIN_ABI_FAST_PATH_H */
