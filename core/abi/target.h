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
	/* Optional (NULL: nothing to tell). Any context, must not sleep. */
	/* Something a watcher of the device should hear of (dm_table_event): a mirror leg
	 * has failed, a resync has completed. */
	void (*event)(void *ctx);
	/* A mirror has regions to resync: run bc_target_resync_begin/_end from a worker
	 * that may wait for memory (WQ_MEM_RECLAIM), once the device is not suspended. */
	void (*resync)(void *ctx);
	/* A mirror with a disk log has something for the log worker to write: run a pass
	 * (bc_target_log_pass_begin ... _end) from process context, NOIO, soon; writes wait
	 * for it. Required with a disk log. Any context, must not sleep. */
	void (*log_kick)(void *ctx);
};

int bc_target_create(const struct bc_table *table, bc_sector_t target_sectors,
		     const struct bc_leg_geometry *legs, const struct bc_bio_shape *shape,
		     const struct bc_target_ops *ops, void *ctx, struct bc_target **target,
		     const char **error);
/* After the last parent has ended. Waits for child completions still inside their
 * read-side section (bc_env_synchronize_rcu): process context only. */
void bc_target_destroy(struct bc_target *target);

/* Per-parent state the shim keeps for core/ (dm_per_bio_data): this many bytes, 8-byte
 * aligned, whose contents core/ owns. After core/'s own state it holds the table's
 * inline_children child objects: the first children of a split and a mirror write's
 * copies are made there, before any object of the BioSet, so that the clone DM
 * allocated (from its own mempool) brings them along. */
unsigned int bc_target_parent_state_size(const struct bc_target *target);
/* A parent the shim ends itself before any map call (a REQ_NOWAIT bio that must not be
 * handed back in part, refused with AGAIN): its state says so to bc_target_in_place_end,
 * which DM's end_io still calls, and which then hands its status back as it is. */
void bc_target_parent_refused(void *parent_state, void *parent);

/* Flushes go down whole: DM sends bc_target_whole_bios clones of each (one per leg).
 * Discards and write-zeroes: bc_target_discard_bios clones, one per leg, mapped whole
 * too, but for a mirror one: the shim maps it as a write (bc_target_map_in_place or
 * bc_target_map, kind BC_IO_DISCARD or BC_IO_WRITE_ZEROES), the parent on the first
 * live leg and a child per other live leg, so that it passes the write gate and the disk
 * log once for every leg, as dm-raid1 sends one discard to all legs (do_write with
 * dm_io to every mirror): clones per leg, each passing the gate alone, could let a
 * resync's copy fall between them and leave a region in sync with its legs different.
 * bc_target_map_whole says where whole clone nr goes: 1 to remap it, 0 when no part of
 * the range lies on that leg or the leg is a failed mirror leg (the shim then ends the
 * clone), -EIO when every mirror leg has failed (or for a mirror's discard, which never
 * comes here). Any context. */
unsigned int bc_target_whole_bios(const struct bc_target *target);
unsigned int bc_target_discard_bios(const struct bc_target *target);
int bc_target_map_whole(struct bc_target *target, enum bc_io_kind kind, unsigned int nr, bc_sector_t sector,
			bc_sector_t sectors, unsigned int *leg, bc_sector_t *leg_sector, bc_sector_t *leg_sectors);
/* A clone of bc_target_map_whole has ended with error (0 or -errno); returns what it
 * ends with. A mirror's flush: an error that says something of the leg (not AGAIN,
 * NOTSUPP) fails the leg, and the clone then succeeds while another leg is live
 * (dm-raid1's flush rule: a flush succeeds while one live leg's flush does). */
int bc_target_whole_end(struct bc_target *target, unsigned int nr, int error);
/* A flush the shim issued to a mirror's leg itself (a disk log's cleaning round, before
 * it clears bits) ended with error (-errno): judged as a user's flush on that leg is. */
void bc_target_leg_flush_error(struct bc_target *target, unsigned int leg, int error);

/* Split a read or write the fast path (abi/fast_path.h) did not remap (or a mirror's
 * discard or write-zeroes) into child bios and issue them. Call inside a NOIO scope;
 * may sleep for memory. The parent is ended through ops->parent_end once its last child
 * ended (possibly before this returns). */
void bc_target_map(struct bc_target *target, void *parent, void *parent_state,
		   enum bc_io_kind kind, bc_sector_t sector, unsigned int sectors);
/*
 * DM's way of keeping a split moving (as dm.c's __split_and_process_bio and dm-crypt do):
 * the parent (DM's clone) carries the first piece itself, remapped in place; the further
 * pieces become children only from objects had without waiting (magazine, cache,
 * reserve), and what they do not reach is handed back to DM (dm_accept_partial_bio),
 * which resubmits it behind the children already issued. So a striped or linear split
 * never waits and never needs the rescuer.
 *   - mirror write (and a mirror's discard or write-zeroes, as one: see
 *     bc_target_discard_bios): the parent goes to the first live leg, one child per
 *     other live leg, all at hand or none; with none, the parent carries the copies
 *     itself, in turns: at its end (bc_target_in_place_end) it is issued again on the
 *     next live leg, until every live leg has it (retryable); a further piece (a child
 *     limit) only with every copy of it at hand;
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
 * Counts the bio (and a read's or write's sectors) once its last piece is accepted; not
 * on -EAGAIN.
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

/*
 * A mirror read the fast path remapped whole (bc_fast_path_mirror_read) ended on leg with
 * error (never 0: a clean end is the shim's bc_mirror_read_ends alone). The leg's count
 * ends; the leg is failed unless the error says nothing of its data (AGAIN, NOTSUPP) or
 * the read was readahead (flags: BC_MAP_READAHEAD); then, as for a split read's parent
 * (bc_target_in_place_end), end->retry with the leg to issue it to again (counted there),
 * or end->error. sector and sectors: the read's range, relative to the target.
 */
void bc_target_mirror_read_end(struct bc_target *target, unsigned int leg, bc_sector_t sector,
			       unsigned int sectors, unsigned int flags, int error, struct bc_in_place_end *end);

/*
 * A mirror's resync, one region at a time, from the worker ops->resync asked for (process
 * context, NOIO, never while the device is suspended). begin picks the next region out of
 * sync, holds new writes to it back and waits for those in flight: 1 and the job, the
 * region's range on its source leg and on each leg it goes to; 0 when every region is in
 * sync (the pass is over: resyncing legs hold everything, ops->event is called if a pass
 * had begun); -EIO when no leg can be a source (every trusted leg failed). end: copied
 * (error 0) or not: a read error fails the source, a write error its leg (failed_legs);
 * writes to the region go on.
 */
struct bc_resync_job {
	unsigned long long region;
	bc_sector_t sectors;			/* the region's length */
	unsigned int source;			/* the leg read */
	unsigned int legs;			/* the legs written, a mask */
	bc_sector_t leg_sector[BC_MAX_LEGS];	/* where the region starts on each leg */
};
int bc_target_resync_begin(struct bc_target *target, struct bc_resync_job *job);
void bc_target_resync_end(struct bc_target *target, const struct bc_resync_job *job, int read_error,
			  unsigned int failed_legs);
/* Whether a mirror has regions out of sync or legs still resyncing (a pass stopped
 * after its last region): a resync is wanted. */
int bc_target_resync_wanted(const struct bc_target *target);
/* The table's max_recovery_rate: how long the resync worker waits before its next region
 * (ns; 0: go on at once), having copied bytes in elapsed_ns since it began running. */
unsigned long long bc_target_resync_pause(const struct bc_target *target, unsigned long long bytes,
					  unsigned long long elapsed_ns);

/*
 * A mirror's state, carried from a table to the one that replaces it (a reload of the
 * same device, as dm-raid1's core log would over its lifetime): the legs' failed and
 * resyncing states and the regions in sync. size bytes; save after the device is
 * suspended (nothing in flight). load before the new table's first I/O: a leg is found
 * by its identity and offset wherever it is in the new table and keeps its state; a leg
 * the state does not know is resyncing, and every region out of sync; a different
 * length or region size keeps the legs' states and resyncs every region; a state that
 * knows none of the legs is ignored (the table keeps its own). Returns 0, or -EINVAL for
 * a state that is not a mirror's (the table then keeps its own).
 */
unsigned long bc_target_mirror_state_size(const struct bc_target *target);
void bc_target_mirror_state_save(const struct bc_target *target, void *state);
int bc_target_mirror_state_load(struct bc_target *target, const void *state, unsigned long size);

/*
 * A mirror's on-disk log (the table's `log <dev> <offset>`, core/target/log_format.h): the
 * shim opens the device and does the I/O, 4 KiB blocks from the offset; core/ decides
 * what is written when. bc_target_log_blocks: the log's length in blocks (0: no disk
 * log). bc_target_log_check (constructor): the two header blocks as read, refused with
 * the reason when corrupt or written for another geometry; a blank log is accepted.
 * bc_target_log_load (before the table's first I/O, once): the whole log as read: the
 * legs' states (a leg found by identity and offset; one the log does not know is
 * resyncing, and every region out of sync) and the dirty regions, out of sync; a blank
 * log is new: nosync applies to it alone.
 */
unsigned long long bc_target_log_blocks(const struct bc_target *target);
int bc_target_log_check(const struct bc_target *target, const void *header0, const void *header1,
			const char **error);
int bc_target_log_load(struct bc_target *target, const void *blocks, const char **error);
/*
 * One pass of the log worker (process context, NOIO): begin returns 0 when there is
 * nothing to write (end it anyway). Then, if pass->pre_header, a header that adds the
 * new leg failures alone (bc_target_log_pass_header(..., 1)): a failure is on the disk
 * before any bit this pass clears; then each bitmap block to write (block: its index on
 * the log, buffer: kLogBlockBytes) until 0; then, if pass->header, the whole header
 * (bc_target_log_pass_header(..., 0)): a leg resyncing is recorded only once its regions
 * are dirty on the disk. Each written with FUA at header_block or block. end: error 0 or
 * -errno (the log failed: writes no longer wait for it, status says so). Passes never
 * overlap (one worker at a time).
 */
struct bc_log_pass {
	unsigned long long gen;
	int header;
	int pre_header;
	unsigned int failed, resyncing; /* the legs' states the header is to say */
	unsigned long long header_block;
};
int bc_target_log_pass_begin(struct bc_target *target, struct bc_log_pass *pass);
int bc_target_log_pass_block(struct bc_target *target, struct bc_log_pass *pass, unsigned long long *block,
			     void *buffer);
void bc_target_log_pass_header(struct bc_target *target, struct bc_log_pass *pass, void *buffer, int pre);
void bc_target_log_pass_end(struct bc_target *target, const struct bc_log_pass *pass, int error);
/*
 * The lazy clearing of dirty bits, a round every few seconds from the log worker:
 * clean_begin returns 1 when regions can be cleared once every live leg has been flushed
 * (the shim flushes them, then calls clean_end with whether all flushes succeeded; a
 * pass then writes what was cleared), 0 when there is nothing to do this round. A round
 * clears what no write has touched since the round before it. idle: the suspend's round
 * (postsuspend: nothing in flight, nothing mapped before the resume), which clears every
 * region in sync, so that the log left is a clean shutdown's.
 */
int bc_target_log_clean_begin(struct bc_target *target, int idle);
void bc_target_log_clean_end(struct bc_target *target, int flushed);
/*
 * A mirror write with a disk log, before it is mapped: 0 when every region it writes has
 * its bit on the log's disk (the common case: map it now); else the bits are set, a pass
 * is on its way, and this is the pass to wait for: the shim defers the write rather than
 * make its submitter wait (a submitter with many writes in flight would issue them one
 * pass at a time), waits in a worker (bc_target_log_wait), and maps it there, as
 * dm-raid1 queues its writes to kmirrord until its log is flushed. Any context.
 */
unsigned long long bc_target_log_write_prepare(struct bc_target *target, bc_sector_t sector, bc_sector_t sectors);
int bc_target_log_written(const struct bc_target *target, unsigned long long gen);
/* Whether the log has been read (bc_target_log_load) by this table: a later resume need
 * not read it again. */
int bc_target_log_loaded(const struct bc_target *target);
/* The log could not be read at load: failed, and every region out of sync (dm-raid1
 * goes on with a failed log the same way). */
void bc_target_log_unreadable(struct bc_target *target);
/* A write (or flush, discard, write-zeroes) of a mirror with a disk log that has ended
 * is acknowledged only once the log's header records every leg failure so far (a crash
 * must not let the failed leg's older data be read as current): 0, or the pass to wait
 * for, from process context, with bc_target_log_wait (it is kicked already). */
unsigned long long bc_target_log_ack_gen(const struct bc_target *target);
void bc_target_log_wait(struct bc_target *target, unsigned long long gen);
/* The legs the shim must flush for clean_end (live ones), as a mask. */
unsigned int bc_target_live_legs(const struct bc_target *target);

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
 * the shim, at the counters of struct bc_fast_path; a mirror's discard or write-zeroes
 * by bc_target_map_in_place, or here with nr 0 when the shim splits it into children).
 * nr is the clone's number, as for bc_target_map_whole: DM sends several clones of one
 * such bio, and the bio is counted once, at clone 0. */
void bc_target_account_whole(struct bc_target *target, enum bc_io_kind kind, unsigned int nr);
void bc_target_account_error(struct bc_target *target);

/* Emit the STATUSTYPE_INFO / STATUSTYPE_TABLE line into buf (always NUL-terminated).
 * leg_names are the names the shim shows for each leg (major:minor, as DM targets do). */
void bc_target_emit_info(const struct bc_target *target, char *buf, unsigned int maxlen);
void bc_target_emit_table(const struct bc_target *target, const char *const *leg_names,
			  char *buf, unsigned int maxlen);

/* A `dmsetup message` addressed to the target: "stats reset", "fail_alloc <percent>",
 * "reserve <n>", "reinstate <leg>" (a mirror's failed leg is resynced and returned to
 * service; ops->resync is called). */
int bc_target_message(struct bc_target *target, unsigned int argc, char **argv,
		      const char **error);

#ifdef __cplusplus
}
#endif

#endif /* BIOCHAIN_ABI_TARGET_H */
