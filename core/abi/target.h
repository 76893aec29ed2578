/* SPDX-License-Identifier: GPL-2.0 */
/* One biochain target: core/ provides it, the shim (or a test) drives it. */
#ifndef BIOCHAIN_ABI_TARGET_H
#define BIOCHAIN_ABI_TARGET_H

#include "abi/table.h"
#include "abi/types.h"

#ifdef __cplusplus
extern "C" {
#endif


struct bc_target;

/* What the shim learned about one lower device when it opened it. */
struct bc_leg_geometry {
	bc_sector_t sectors;
	unsigned int logical_block_size; /* bytes */
	unsigned long long id;		 /* dev_t: the same disk under two names is one id */
};

enum bc_io_kind {
	BC_IO_READ,
	BC_IO_WRITE,
	BC_IO_FLUSH, /* an empty flush; a write with the flush flag counts as a write */
	BC_IO_DISCARD,
	BC_IO_WRITE_ZEROES,
	BC_IO_OTHER,
	BC_IO_KIND_COUNT
};

int bc_target_create(const struct bc_table *table, bc_sector_t target_sectors,
		     const struct bc_leg_geometry *legs, const struct bc_bio_shape *shape,
		     void *shim, struct bc_target **target, const char **error);
void bc_target_destroy(struct bc_target *target);

/* Per-parent state the shim keeps for core/ (dm_per_bio_data): this many bytes. */
unsigned int bc_target_parent_state_size(void);

/* Flushes, discards and write-zeroes go down whole: DM sends this many clones of each
 * (one per leg), and bc_target_map_whole says where clone nr goes. It returns 0 when no
 * part of the range lies on that leg (the shim then ends the clone). */
unsigned int bc_target_whole_bios(const struct bc_target *target);
int bc_target_map_whole(struct bc_target *target, enum bc_io_kind kind, unsigned int nr,
			bc_sector_t sector, bc_sector_t sectors, unsigned int *leg,
			bc_sector_t *leg_sector, bc_sector_t *leg_sectors);

/* The entry point of every read and write (sector relative to the target start): if it
 * lies in one piece on one leg and needs no child, says where to remap it in place:
 * remapped 1 with its leg and leg sector. remapped 0: it must go through bc_target_map.
 * It counts nothing (see bc_target_rw_counters). Returned by value, in two registers, and
 * a leaf: the hottest call of the target takes no address of a local (no stack canary)
 * and calls nothing. */
struct bc_remap {
	bc_sector_t leg_sector;
	unsigned int leg;
	int remapped;
};
struct bc_remap bc_target_remap(const struct bc_target *target, bc_sector_t sector,
				unsigned int sectors);

/* A target whose every read and write bc_target_remap would send whole to one leg at one
 * fixed distance (linear, no child limit): returns 1 with that leg and offset, and the
 * shim remaps those bios itself (sector + offset, as dm-linear does) without calling
 * bc_target_remap. 0: every read and write goes through bc_target_remap. */
int bc_target_remap_offset(const struct bc_target *target, unsigned int *leg, bc_sector_t *offset);

/* A striped target whose every read and write bc_target_remap would send whole to one leg
 * when it fits in its chunk (no child limit): returns 1 with the layout's parameters, and
 * the shim remaps those bios itself with stripe_math.h's bc_stripes_locate (the same
 * inline core/ cuts pieces with): a bio that fits in place.room goes to place.leg at
 * offsets[place.leg] + place.leg_sector; one that does not goes to bc_target_map.
 * 0: every read and write goes through bc_target_remap. */
struct bc_stripes;
int bc_target_remap_stripes(const struct bc_target *target, struct bc_stripes *stripes);

/* Where a read or a write is counted (its bio, its sectors): byte offsets, indexed by
 * BC_IO_READ and BC_IO_WRITE, into the per-CPU block percpu (bc_env_percpu_alloc).
 * The kernel shim adds to them itself, one this_cpu_add each, so that the map path of
 * every bio makes no call into core/ to count it; other environments call
 * bc_target_account_io. Core/ decides what is counted where; fixed for the target's
 * life. */
struct bc_rw_counters {
	void *percpu;
	unsigned long bios[2];
	unsigned long sectors[2];
};
void bc_target_rw_counters(const struct bc_target *target, struct bc_rw_counters *counters);

/* Split a read or write into child bios and issue them. Call inside a NOIO scope; may
 * sleep for memory. The parent is ended through bc_env_parent_end once its last child
 * ended (possibly before this returns). */
void bc_target_map(struct bc_target *target, void *parent, void *parent_state,
		   enum bc_io_kind kind, bc_sector_t sector, unsigned int sectors);
/* A child's completion (any context): error is 0 or -errno. */
void bc_target_child_end(struct bc_target *target, void *child, int error);
/* Issue again a child the shim queued through bc_env_child_retry (process context). */
void bc_target_child_retry(struct bc_target *target, void *child);

/* The BioSet that allocated bio (a child of some biochain target). */
const void *bc_bio_owner(const void *bio);

/* Child objects allocated and not yet freed (0 once every parent has ended). */
unsigned long long bc_target_outstanding(const struct bc_target *target);

/* io_hints: io_min and io_opt in sectors (0: leave the stacked value). */
void bc_target_io_hints(const struct bc_target *target, unsigned int *io_min, unsigned int *io_opt);
/* iterate_devices: the area of leg the target uses. */
void bc_target_leg_area(const struct bc_target *target, unsigned int leg, bc_sector_t *start,
			bc_sector_t *sectors);

/* Counts a bio of any kind with its sectors (a read or write: the counters of
 * bc_target_rw_counters). */
void bc_target_account_io(struct bc_target *target, enum bc_io_kind kind, unsigned int sectors);
void bc_target_account_error(struct bc_target *target);

/* Emit the STATUSTYPE_INFO / STATUSTYPE_TABLE line into buf (always NUL-terminated).
 * leg_names are the names the shim shows for each leg (major:minor, as DM targets do). */
void bc_target_emit_info(const struct bc_target *target, char *buf, unsigned int maxlen);
void bc_target_emit_table(const struct bc_target *target, const char *const *leg_names,
			  char *buf, unsigned int maxlen);

/* A `dmsetup message` addressed to the target: "stats reset", "fail_alloc <percent>",
 * "reserve <n>". */
int bc_target_message(struct bc_target *target, unsigned int argc, char **argv,
		      const char **error);

#ifdef __cplusplus
}
#endif

#endif /* BIOCHAIN_ABI_TARGET_H */
