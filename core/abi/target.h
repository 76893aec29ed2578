/* SPDX-License-Identifier: GPL-2.0 */
/* One biochain target: core/ provides it, the shim (or a test) drives it. */
#ifndef BIOCHAIN_ABI_TARGET_H
#define BIOCHAIN_ABI_TARGET_H

#include "abi/magazine.h"
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

/*
 * What a target asks of whoever drives it, per target: the kernel shim's child bios
 * (module/child_bio.c), a test's recorded children, the simulator's block layer. ctx is
 * handed back unchanged.
 */
struct bc_target_ops {
	/* Build a child over sectors [offset, offset + sectors) of the parent's data, aimed
	 * at leg_sector of leg, and submit it; its completion must call
	 * bc_target_child_end(). */
	void (*child_submit)(void *ctx, void *child, void *parent, unsigned int leg,
			     bc_sector_t leg_sector, bc_sector_t offset, unsigned int sectors);
	/* End the parent with error (0 or -errno). */
	void (*parent_end)(void *ctx, void *parent, int error);
	/* Queue child (any context) for bc_target_child_retry from process context. */
	void (*child_retry)(void *ctx, void *child);
	/* The most sectors, at most max_sectors, from offset in the parent's data that span
	 * at most max_segments bio_vecs. */
	unsigned int (*sectors_within_segments)(void *ctx, void *parent, bc_sector_t offset,
						unsigned int max_sectors, unsigned int max_segments);
	/* A child object at hand, without waiting: the calling CPU's magazine popped inline
	 * over magazine (the target's BioSet, abi/magazine.h), else
	 * bc_magazine_alloc_miss(magazine, 0, BC_MAGAZINE_QUIET, ...). NULL: none at hand. */
	void *(*child_alloc)(void *ctx, const struct bc_magazine *magazine);
	/* Gives back a child object (its bio no longer initialised), from any context, before
	 * its parent is ended: pushed inline, else bc_magazine_free_miss(magazine, child,
	 * NULL, 0). */
	void (*child_free)(void *ctx, const struct bc_magazine *magazine, void *child);
};

int bc_target_create(const struct bc_table *table, bc_sector_t target_sectors,
		     const struct bc_leg_geometry *legs, const struct bc_bio_shape *shape,
		     const struct bc_target_ops *ops, void *ctx, struct bc_target **target,
		     const char **error);
/* After the last parent has ended. Waits for child completions still inside their
 * read-side section (bc_env_synchronize_rcu): process context only. */
void bc_target_destroy(struct bc_target *target);

/* Per-parent state the shim keeps for core/ (dm_per_bio_data): this many bytes. */
unsigned int bc_target_parent_state_size(void);
/* A parent the shim ends itself before any map call (a REQ_NOWAIT bio that must not be
 * handed back in part, refused with AGAIN): its state says so to bc_target_in_place_end,
 * which DM's end_io still calls, and which then hands its status back as it is. */
void bc_target_parent_refused(void *parent_state, void *parent);

/* Flushes, discards and write-zeroes go down whole: DM sends this many clones of each
 * (one per leg), and bc_target_map_whole says where clone nr goes. It returns 0 when no
 * part of the range lies on that leg (the shim then ends the clone). */
unsigned int bc_target_whole_bios(const struct bc_target *target);
int bc_target_map_whole(struct bc_target *target, enum bc_io_kind kind, unsigned int nr,
			bc_sector_t sector, bc_sector_t sectors, unsigned int *leg,
			bc_sector_t *leg_sector, bc_sector_t *leg_sectors);

/* Split a read or write the fast path (abi/fast_path.h) did not remap into child bios
 * and issue them. Call inside a NOIO scope; may sleep for memory. The parent is ended
 * through ops->parent_end once its last child ended (possibly before this returns). */
void bc_target_map(struct bc_target *target, void *parent, void *parent_state,
		   enum bc_io_kind kind, bc_sector_t sector, unsigned int sectors);
/*
 * DM's way of keeping a split moving (as dm.c's __split_and_process_bio and dm-crypt do):
 * the parent (DM's clone) carries the first piece itself, remapped in place; the further
 * pieces become children only from objects had without waiting (magazine, cache,
 * reserve), and what they do not reach is handed back to DM (dm_accept_partial_bio),
 * which resubmits it behind the children already issued. So a striped or linear split
 * never waits and never needs the rescuer.
 *   - mirror write: the parent goes to the first live leg, one child per other live leg,
 *     all at hand or none; with none, the parent carries the copies itself, in turns: at
 *     its end (bc_target_in_place_end) it is issued again on the next live leg, until
 *     every live leg has it (retryable); a further piece (a child limit) only with every
 *     copy of it at hand;
 *   - mirror read: as striped, on the next read leg: the parent reads its first piece
 *     itself and is issued again on another leg if that fails (bc_target_in_place_end,
 *     dm-raid1's retry); further pieces are children at hand, each retried alone.
 * Nothing waits for an object, so nothing needs the rescuer. BC_MAP_NOWAIT (REQ_NOWAIT):
 * all or nothing; when the first piece's objects are missing (a mirror write's copies:
 * its turns would wait in the shim's worker) nothing is issued and the result is -EAGAIN.
 *
 * Before the call the shim takes one extra reference on the parent for core/
 * (bio_inc_remaining); core/ drops it through ops->parent_end, with the children's first
 * error, once every child has ended (possibly before this returns, and also when nothing
 * was issued). Then the shim hands back what was not accepted, and either remaps the
 * parent (remapped) or drops the parent's own reference (it carries no I/O itself).
 * Counts the bio (reads or writes) once its last piece is accepted; not on -EAGAIN.
 */
#define BC_MAP_NOWAIT 1u
/* REQ_RAHEAD: a mirror read (parent or child) that fails fails no leg and is not retried
 * (the lower device may refuse readahead at will, dm-raid1's rule); its error stays. */
#define BC_MAP_READAHEAD 2u
struct bc_in_place {
	int error;		     /* 0, -EAGAIN (NOWAIT, nothing issued), -EIO (no live leg) */
	int remapped;		     /* the parent carries [0, parent_sectors) to leg, leg_sector */
	unsigned int leg;
	bc_sector_t leg_sector;
	unsigned int parent_sectors;
	unsigned int accepted;	     /* sectors from 0 that are mapped; the rest goes back to DM */
	int retryable;		     /* a mirror read, or a write in turns: keep what issuing the
				      * parent again needs (bc_target_in_place_end) */
};
void bc_target_map_in_place(struct bc_target *target, void *parent, void *parent_state,
			    enum bc_io_kind kind, bc_sector_t sector, unsigned int sectors,
			    unsigned int flags, struct bc_in_place *result);
/*
 * The parent of bc_target_map_in_place has ended (DM's end_io, whatever its status),
 * after its children; error is its own status (0 or -errno). A mirror's parent (one that
 * carried its own piece to a leg) gets only its own piece's error there: its children's
 * stays in core/ (ops->parent_end is told 0) so that the two can be judged apart. What
 * it ends with: a mirror write whose own leg failed while another leg took the data
 * succeeds (the leg is failed); a mirror read whose own leg failed, its children clean,
 * is issued again (retry), its piece on leg at leg_sector, as dm-raid1 requeues a failed
 * read (the leg is failed); with a child refused (AGAIN) it goes back whole with AGAIN.
 * A mirror write in turns is issued again (retry) on the next live leg until every live
 * leg has had its turn, and then succeeds if a leg that took it is still live; a failed
 * turn fails its leg, and so does any error once a live leg has the data (legs that
 * differ would serve old and new data by turns); AGAIN or NOTSUPP before any leg has it
 * ends the write with that error.
 * A real error wins over AGAIN. The shim restores a retried parent as it was mapped, aims
 * it there and issues it from process context (DM_ENDIO_INCOMPLETE); its end comes here
 * again.
 */
struct bc_in_place_end {
	int error;     /* 0 or -errno: what the parent ends with, unless retry */
	int retryable; /* the parent was mapped retryable (struct bc_in_place) */
	int retry;
	unsigned int leg;
	bc_sector_t leg_sector;
};
void bc_target_in_place_end(struct bc_target *target, void *parent_state, int error,
			    struct bc_in_place_end *end);

/* A child's completion (any context): error is 0 or -errno. */
void bc_target_child_end(struct bc_target *target, void *child, int error);
/* Issue again a child queued through ops->child_retry (process context). */
void bc_target_child_retry(struct bc_target *target, void *child);

/* The BioSet that allocated bio (a child of some biochain target). */
const void *bc_bio_owner(const void *bio);

/* Child objects allocated and not yet freed (0 once every parent has ended). */
unsigned long long bc_target_outstanding(const struct bc_target *target);

/* io_hints: io_min and io_opt in bytes, as struct queue_limits holds them (0: leave the
 * stacked value; both are 0 when they do not fit an unsigned int). */
void bc_target_io_hints(const struct bc_target *target, unsigned int *io_min, unsigned int *io_opt);
/* iterate_devices: the area of leg the target uses. */
void bc_target_leg_area(const struct bc_target *target, unsigned int leg, bc_sector_t *start,
			bc_sector_t *sectors);

/* Counts a flush, discard, write-zeroes or other bio (reads and writes are counted by
 * the shim, at the counters of struct bc_fast_path). nr is the clone's number, as for
 * bc_target_map_whole: DM sends bc_target_whole_bios clones of one such bio, and the bio
 * is counted once, at clone 0. */
void bc_target_account_whole(struct bc_target *target, enum bc_io_kind kind, unsigned int nr);
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
