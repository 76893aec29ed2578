// SPDX-License-Identifier: GPL-2.0
/*
 * The device-mapper target "biochain": the target_type and its callbacks. A table line
 * becomes a biochain instance (instance.c) over the lower devices DM opens for us; map
 * remaps a read or write in place when it fits one leg and hands the rest to the instance
 * to split into child bios (child_bio.c). Parsing, validation, sector math, splitting,
 * counters and status text are core/'s (core/abi/): this file talks to DM.
 */
#include <linux/bio.h>
#include <linux/blk-cgroup.h>
#include <linux/blk-crypto.h>
#include <linux/blkdev.h>
#include <linux/cgroup.h>
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "abi/device_graph.h"
#include "abi/table.h"
#include "abi/target.h"
#include "abi/types.h"
#include "biochain.h"
#include "compat.h"

#define DM_MSG_PREFIX "biochain"

/* core/ speaks errno by its own names (core/abi/types.h) */
static_assert(BC_EIO == EIO && BC_EAGAIN == EAGAIN && BC_EOPNOTSUPP == EOPNOTSUPP &&
	      BC_EINVAL == EINVAL && BC_ENOMEM == ENOMEM);

/*
 * DM's per-bio data of a clone (ti->per_io_data_size): what this file needs to issue a
 * mirror's clone again on another leg (bc_target_in_place_end: a read whose leg failed,
 * as dm-raid1 keeps dm_bio_details, or a write's next turn), then core/'s parent state.
 * Written at map only for a parent core/ calls retryable, and read only at its end (but
 * base_iter: at every split, read by its children).
 */
struct biochain_clone_record {
	/* as DM gave it, before map: what the children's offsets count from, written at
	 * every split (biochain_parent_iter), whoever ends up retrying what */
	struct bvec_iter base_iter;
	struct bvec_iter iter;	/* after the remap, the rest handed back */
	unsigned long flags;	/* bi_flags then, BIO_CHAIN (core/'s reference) left out */
	/* bi_opf then: a lower queue without a volatile cache strips REQ_FUA (and
	 * REQ_PREFLUSH) from the bio it is given, and the next leg may have one */
	blk_opf_t opf;
	/* Each retry or turn its own work item (not one worker for the target): a leg out
	 * of tags, or a cgroup's throttling, stalls only the clones bound for it. */
	struct work_struct work;
	struct biochain *bc;
	/* The cgroup the I/O is charged to, held until its end: bio_endio() has dropped
	 * the clone's blkg by then, and the worker would charge the retry to its own. */
	struct cgroup_subsys_state *css;
	/* for the worker; a mirror read in place's leg (the one it is on now) */
	unsigned int retry_leg;
	bool polled;		/* it carried REQ_POLLED: a poller may still hold its cookie */
	/* How a mirror's clone was mapped, so its end is judged the same way; set by every
	 * mirror map path (DM's per-bio data starts as garbage). Not told by the clone's
	 * flags at the end: a lower queue without a volatile cache strips REQ_PREFLUSH, and
	 * an empty flush then looks like a write. */
	enum {
		BIOCHAIN_MAPPED_SPLIT,	     /* biochain_map_split: core/'s parent state */
		BIOCHAIN_MAPPED_WHOLE,	     /* biochain_map_whole: bc_target_whole_end */
		BIOCHAIN_MAPPED_MIRROR_READ, /* biochain_map_mirror_read: no parent state */
	} mapped;
	sector_t sector; /* a mirror read in place's, relative to the target */
	/* a deferred write mapped short (biochain_map_deferred_in_place): ends with EIO */
	bool short_write;
	/* A mirror with a disk log: the clone has ended, and its end waits in a worker for
	 * the log to record a leg failure (bc_target_log_ack_gen); held_status is what it
	 * then ends with. Set at map (to false) only for such a mirror. */
	bool held;
	blk_status_t held_status;
	unsigned long long held_gen; /* and the pass a deferred write waits for */
	struct dm_target *ti;	     /* a deferred write's, for its sector */
};

static inline struct biochain_clone_record *biochain_clone_record(struct biochain *bc, struct bio *bio)
{
	return dm_per_bio_data(bio, bc->clone_data_size);
}

static inline void *biochain_parent_state(struct biochain *bc, struct bio *bio)
{
	return biochain_clone_record(bc, bio) + 1;
}

const struct bvec_iter *biochain_parent_iter(struct biochain *bc, struct bio *parent)
{
	return bc->clone_data_size ? &biochain_clone_record(bc, parent)->base_iter : &parent->bi_iter;
}

static void biochain_free(struct dm_target *ti, struct biochain *bc)
{
	/* The log first: its passes may raise the mirror's event. Both workers use the
	 * target and the legs. */
	biochain_log_destroy(bc, ti);
	biochain_mirror_destroy(bc);
	biochain_stop(bc);
	while (bc->nr_legs)
		dm_put_device(ti, bc->legs[--bc->nr_legs]);
	bc_device_graph_remove(bc->graph_node);
	kfree(bc);
}

/*
 * Registers the table in core/'s device graph, which refuses it if a leg is the device
 * itself or leads back to it through other biochain devices (abi/device_graph.h): before
 * any leg is opened, so that the refusal has its own message (6.12's dm_get_device()
 * refuses the device itself too, as "Device lookup failed") and costs nothing.
 */
static int biochain_graph_add(struct dm_target *ti, const struct bc_table *table,
			      struct bc_device_node **node)
{
	dev_t self = disk_devt(dm_disk(dm_table_get_md(ti->table)));
	unsigned long long legs[BC_MAX_LEGS + 1];
	unsigned int i, nr = table->nr_legs;
	const char *error;
	dev_t dev;
	int ret;

	for (i = 0; i < table->nr_legs; i++) {
		ret = biochain_devt_from_path(table->legs[i].path, &dev);
		if (ret) {
			ti->error = "Device lookup failed"; /* dm_get_device()'s refusal, as before */
			return ret;
		}
		legs[i] = dev;
	}
	/* A mirror's log device is written by the table's writes too: a log on the device
	 * itself, or on a device over it, would wait for itself. An unknown path is the
	 * log's own refusal, at its dm_get_device(). */
	if (table->log_path && !biochain_devt_from_path(table->log_path, &dev))
		legs[nr++] = dev;
	ret = bc_device_graph_add(self, legs, nr, node, &error);
	if (ret)
		ti->error = (char *)error; /* a static string of core/ */
	return ret;
}

/*
 * <layout> <layout args...> [<#features> <feature words...>]; see core/target/table_parser.h.
 */
static int biochain_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct bc_leg_geometry geometry[BC_MAX_LEGS];
	struct bc_device_node *node;
	struct bc_table table;
	struct biochain *bc;
	const char *error;
	unsigned int i;
	int ret;

	ret = bc_table_parse(argc, argv, &table, &error);
	if (ret) {
		ti->error = (char *)error; /* a static string of core/ */
		return ret;
	}

	ret = biochain_graph_add(ti, &table, &node);
	if (ret)
		return ret;

	bc = biochain_alloc(table.nr_legs);
	if (!bc) {
		bc_device_graph_remove(node);
		ti->error = "Cannot allocate biochain context";
		return -ENOMEM;
	}
	bc->graph_node = node;

	for (i = 0; i < table.nr_legs; i++) {
		ret = dm_get_device(ti, table.legs[i].path, dm_table_get_mode(ti->table),
				    &bc->legs[i]);
		if (ret) {
			ti->error = "Device lookup failed";
			goto bad;
		}
		bc->nr_legs++;
		bc->bdevs[i] = bc->legs[i]->bdev;
		biochain_leg_geometry(bc->bdevs[i], &geometry[i]);
	}

	ret = biochain_start(bc, &table, ti->len, geometry, &error);
	if (!ret)
		ret = biochain_mirror_create(bc, ti, &error);
	if (!ret)
		ret = biochain_log_create(bc, ti, &table, &error);
	if (ret) {
		ti->error = (char *)error; /* a static string */
		goto bad;
	}
	/* A mirror's bio lies in one region: the unit of resync and of its write gate, as
	 * dm-raid1 splits at its region size. */
	if (table.layout == BC_LAYOUT_MIRROR) {
		ret = dm_set_target_max_io_len(ti, table.region_size);
		if (ret) {
			ti->error = "Cannot set the region size as the largest I/O";
			goto bad;
		}
	}

	ti->num_flush_bios = bc_target_whole_bios(bc->core);
	ti->num_discard_bios = bc_target_discard_bios(bc->core);
	ti->num_write_zeroes_bios = bc_target_discard_bios(bc->core);
	bc->clone_data_size = sizeof(struct biochain_clone_record) + bc_target_parent_state_size(bc->core);
	ti->per_io_data_size = bc->clone_data_size;
	ti->private = bc;
	return 0;

bad:
	biochain_free(ti, bc);
	return ret;
}

static void biochain_dtr(struct dm_target *ti)
{
	biochain_free(ti, ti->private);
}

/*
 * A clone DM's map leaves to a worker (a write waiting for the log's pass): it blocks
 * nobody then, so a REQ_NOWAIT one goes on without the flag, which its copies must not
 * carry (all legs or none: see bc_fast_path.writes_copied), and not polled (a worker
 * issues it). DM's clone has no blkg yet (bio_alloc_clone without a device): the cgroup
 * this map runs in now, which bio_set_dev and the copies cloned from it keep when the
 * worker maps it, as for a bio mapped at once (not the worker's own cgroup).
 */
static void biochain_defer_clone(struct dm_target *ti, struct biochain *bc, struct bio *bio)
{
	struct biochain_clone_record *record = biochain_clone_record(bc, bio);

	bio->bi_opf &= ~REQ_NOWAIT;
	bio_clear_polled(bio);
	bio_associate_blkg(bio);
	record->bc = bc;
	record->ti = ti;
}

/*
 * Flushes, and the discards and write-zeroes of a target other than a mirror: DM sends
 * one clone per leg; each goes down whole, and the bio is counted once (core/ counts
 * clone 0). A mirror's discard or write-zeroes is one clone, mapped as a write
 * (biochain_map_split: bc_target_discard_bios). Out of line, like biochain_map_split:
 * what stays in biochain_map, the reads and writes that are remapped in place, then
 * saves few registers and has no stack canary.
 */
static noinline int biochain_map_whole(struct dm_target *ti, struct bio *bio, enum bc_io_kind kind)
{
	struct biochain *bc = ti->private;
	struct biochain_clone_record *record = biochain_clone_record(bc, bio);
	unsigned int nr = dm_bio_get_target_bio_nr(bio);
	sector_t leg_sector, leg_sectors;
	unsigned int leg;
	int ret;

	record->mapped = BIOCHAIN_MAPPED_WHOLE;
	record->held = false;
	bc_target_account_whole(bc->core, kind, nr);
	ret = bc_target_map_whole(bc->core, kind, nr, dm_target_offset(ti, bio->bi_iter.bi_sector), bio_sectors(bio),
				  &leg, &leg_sector, &leg_sectors);
	if (ret <= 0) {
		/* no part of it on this leg, a failed mirror leg, no live leg at all */
		bio->bi_status = errno_to_blk_status(ret);
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	bio_set_dev(bio, bc->bdevs[leg]);
	bio->bi_iter.bi_sector = leg_sector;
	if (kind != BC_IO_FLUSH)
		bio->bi_iter.bi_size = leg_sectors << SECTOR_SHIFT;
	return DM_MAPIO_REMAPPED;
}

/*
 * A read or write the fast path remaps is counted here rather than in core/: two
 * this_cpu_adds to the counters the fast path names (core/abi/fast_path.h), where a call
 * into core/ to count would cost a call, a frame and its saved registers on every bio.
 * A split is counted by core/, which knows whether it was refused or handed back in part.
 */
static __always_inline void biochain_count_rw(const struct bc_fast_path *path, enum bc_io_kind kind,
					      unsigned int sectors)
{
	this_cpu_inc(*biochain_percpu_u64(path->percpu, path->bios[kind]));
	this_cpu_add(*biochain_percpu_u64(path->percpu, path->sectors[kind]), sectors);
}

/*
 * A bio that must not be handed back in part (REQ_ATOMIC): every piece a child, waiting
 * for objects as needed (chain_next, the rescuer), as the self tests split. A REQ_NOWAIT
 * one cannot wait, so it goes back with BLK_STS_AGAIN before anything is issued.
 */
static noinline int biochain_map_all_children(struct biochain *bc, struct bio *bio, void *state,
					      enum bc_io_kind kind, sector_t sector)
{
	if (bio->bi_opf & REQ_NOWAIT) {
		bc_target_parent_refused(state, bio); /* biochain_end_io reads the state */
		bio_wouldblock_error(bio);
		return DM_MAPIO_SUBMITTED;
	}
	biochain_count_rw(&bc->fast_path, kind, bio_sectors(bio));
	biochain_split(bc, bio, state, kind, sector);
	return DM_MAPIO_SUBMITTED;
}

/*
 * What biochain_retry_clone needs to issue a clone again as it is mapped now (its
 * iterator, flags and operation flags) and the cgroup to charge that to, a reference
 * held until its end. After bio_set_dev: see biochain_map_mirror_read.
 */
static void biochain_record_for_retry(struct biochain *bc, struct biochain_clone_record *record, struct bio *bio)
{
	record->iter = bio->bi_iter;
	record->flags = bio->bi_flags & ~(1UL << BIO_CHAIN); /* core/'s reference, if it took one */
	record->opf = bio->bi_opf & ~(REQ_NOWAIT | REQ_POLLED);
	record->bc = bc;
	record->css = bio_blkcg_css(bio);
	if (record->css)
		css_get(record->css);
}

/*
 * DM's clone after bc_target_map_in_place: aimed at the leg and sectors core/ remapped
 * its first piece to (DM_MAPIO_REMAPPED), or ended when core/ remapped nothing, an error
 * or a NOWAIT refusal (DM_MAPIO_SUBMITTED).
 */
static int biochain_remap_in_place(struct biochain *bc, struct bio *bio, enum bc_io_kind kind,
				   const struct bc_in_place *result)
{
	if (!result->remapped) {
		bio_endio(bio); /* its own reference: it carries no I/O itself */
		return DM_MAPIO_SUBMITTED;
	}
	bio->bi_iter.bi_sector = result->leg_sector;
	bio->bi_iter.bi_size = result->parent_sectors << SECTOR_SHIFT;
	bio_set_dev(bio, bc->bdevs[result->leg]);
	if (result->retryable) { /* a mirror's: see biochain_retry_clone */
		struct biochain_clone_record *record = biochain_clone_record(bc, bio);

		/* A write in turns is not polled: its next turns are issued by a worker that
		 * would otherwise wait out the pollers of the last leg's cookie every time. */
		if (kind != BC_IO_READ)
			bio_clear_polled(bio);
		biochain_record_for_retry(bc, record, bio);
	}
	return DM_MAPIO_REMAPPED;
}

/*
 * A mirror write whose regions' bits are not on the log's disk yet
 * (bc_target_log_write_prepare) waits on the log's list (biochain_log_defer); once its
 * pass is written the log's dispatcher queues it to a work item of its own, on a queue
 * of the log's (a write that waits there, at the write gate for the copy of a region a
 * resync holds, or in a lower queue's throttling, holds no other back: tests/vm/retry;
 * nor does it hold the retry queue, whose turns the resync may be waiting for), which maps it as
 * biochain_map_split maps a write: in place when the write is one piece
 * (bc_fast_path.mirror_whole), into children otherwise (biochain_split: a worker may
 * wait for objects). No part of it can go back to DM from there. Not polled: a worker
 * issues it.
 */
unsigned long long biochain_deferred_gen(struct biochain *bc, struct bio *bio)
{
	return biochain_clone_record(bc, bio)->held_gen;
}

/*
 * In place: DM's clone carries the first live leg's copy, the others are children of
 * objects at hand or the clone carries them itself in turns (never a wait for an
 * object), all in the cgroup the map ran in (biochain_defer_write associated it). The
 * clone goes down with submit_bio_noacct, not dm_submit_bio_remap: DM started the I/O's
 * accounting when map returned DM_MAPIO_SUBMITTED, and its flag is not atomic against a
 * worker that runs before that. Taken whole, since dm_accept_partial_bio is DM's map's
 * alone: a write cut short (never, in one piece) goes down as mapped, to be judged as
 * such, and ends with an error (record->short_write), the rest unwritten.
 */
static void biochain_map_deferred_in_place(struct biochain *bc, struct biochain_clone_record *record, struct bio *bio,
					   enum bc_io_kind kind)
{
	const unsigned int sectors = bio_sectors(bio);
	struct bc_in_place result;

	bio_inc_remaining(bio); /* core/'s reference, as in biochain_map_split */
	bc_target_map_in_place(bc->core, bio, biochain_parent_state(bc, bio), kind,
			       dm_target_offset(record->ti, bio->bi_iter.bi_sector), sectors, 0, &result);
	record->short_write = WARN_ON_ONCE(result.remapped && result.accepted != sectors);
	if (biochain_remap_in_place(bc, bio, kind, &result) == DM_MAPIO_REMAPPED)
		submit_bio_noacct(bio);
}

static void biochain_map_deferred(struct work_struct *work)
{
	struct biochain_clone_record *record = container_of(work, struct biochain_clone_record, work);
	struct biochain *bc = record->bc;
	struct bio *bio = dm_bio_from_per_bio_data(record, bc->clone_data_size);
	const struct bvec_iter *iter = &record->base_iter;
	const enum bc_io_kind kind = biochain_io_kind(bio); /* a write, discard or write-zeroes */
	unsigned int noio = memalloc_noio_save(); /* every allocation of the map */
	struct blk_plug plug;

	blk_start_plug(&plug); /* the copies or children of one write merge where they can */
	if (bc->fast_path.mirror_whole) {
		biochain_map_deferred_in_place(bc, record, bio, kind);
	} else {
		if (kind == BC_IO_WRITE)
			biochain_count_rw(&bc->fast_path, kind, bvec_iter_sectors(*iter));
		else
			bc_target_account_whole(bc->core, kind, 0);
		biochain_split(bc, bio, biochain_parent_state(bc, bio), kind,
			       dm_target_offset(record->ti, iter->bi_sector));
	}
	blk_finish_plug(&plug);
	memalloc_noio_restore(noio);
}

void biochain_queue_deferred(struct biochain *bc, struct bio *bio)
{
	struct biochain_clone_record *record = biochain_clone_record(bc, bio);

	INIT_WORK(&record->work, biochain_map_deferred);
	queue_work(biochain_log_map_wq(bc), &record->work);
}

static int biochain_defer_write(struct dm_target *ti, struct biochain *bc, struct bio *bio,
				unsigned long long gen)
{
	const bool polled = bio->bi_opf & REQ_POLLED;

	biochain_defer_clone(ti, bc, bio);
	biochain_clone_record(bc, bio)->held_gen = gen;
	biochain_log_defer(bc, bio, gen);
	if (polled)
		biochain_log_kick_now(bc);
	return DM_MAPIO_SUBMITTED;
}

/*
 * A read or write the fast path did not remap (it crosses a chunk, the layout is a mirror
 * or a child limit applies), or a mirror's discard or write-zeroes (one clone, copied to
 * every live leg as a write). DM's clone carries the first piece itself and core/ makes
 * children of what is at hand for the rest; what they do not reach goes back to DM
 * (dm_accept_partial_bio), which resubmits it behind the children already issued (see
 * bc_target_map_in_place). So a split never waits for an earlier child of its own, and a
 * REQ_NOWAIT bio is refused (BLK_STS_AGAIN, through parent_end) only when the objects its
 * first piece needs are not at hand. It finds the kind again rather than take it from
 * biochain_map, so that biochain_map keeps nothing alive across the call.
 */
static noinline int biochain_map_split(struct dm_target *ti, struct bio *bio)
{
	struct biochain *bc = ti->private;
	enum bc_io_kind kind = biochain_io_kind(bio);
	void *state = biochain_parent_state(bc, bio);
	sector_t sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	unsigned int sectors = bio_sectors(bio);
	struct bc_in_place result;
	unsigned int noio, flags = 0;

	biochain_clone_record(bc, bio)->mapped = BIOCHAIN_MAPPED_SPLIT;
	biochain_clone_record(bc, bio)->short_write = false;
	biochain_clone_record(bc, bio)->held = false;
	/* The device advertises neither inline crypto nor integrity, so neither can come. */
	if (WARN_ON_ONCE(bio_integrity(bio) || bio_has_crypt_ctx(bio))) {
		bc_target_parent_refused(state, bio); /* biochain_end_io reads the state */
		return DM_MAPIO_KILL;
	}
	biochain_clone_record(bc, bio)->base_iter = bio->bi_iter;
	if (unlikely(bc->log) && kind != BC_IO_READ) {
		unsigned long long gen = bc_target_log_write_prepare(bc->core, sector, sectors);

		if (gen)
			return biochain_defer_write(ti, bc, bio, gen);
	}
	if (unlikely(biochain_bio_is_atomic(bio)))
		return biochain_map_all_children(bc, bio, state, kind, sector);

	if (bio->bi_opf & REQ_NOWAIT) {
		flags |= BC_MAP_NOWAIT; /* core/ takes only what is at hand */
		/* copies go down whole or not at all: see bc_fast_path.writes_copied */
		if (kind != BC_IO_READ && bc->fast_path.writes_copied)
			bio->bi_opf &= ~REQ_NOWAIT;
	}
	if (bio->bi_opf & REQ_RAHEAD)
		flags |= BC_MAP_READAHEAD;
	/* core/'s reference: parent_end drops it once the children have ended */
	bio_inc_remaining(bio);
	noio = memalloc_noio_save(); /* every allocation of the split: see biochain_split */
	bc_target_map_in_place(bc->core, bio, state, kind, sector, sectors, flags, &result);
	memalloc_noio_restore(noio);
	if (result.accepted < sectors)
		dm_accept_partial_bio(bio, result.accepted);
	return biochain_remap_in_place(bc, bio, kind, &result);
}

static void biochain_resubmit_clone(struct work_struct *work);

/*
 * A mirror read whose leg failed, issued again on another (dm-raid1's mirror_end_io and
 * dm-mpath's retry), or a mirror write that carries its copies itself, on its next leg's
 * turn (core/'s mirror_write_in_place): restored as mapped (iterator, flags, and the
 * operation flags a lower queue may have stripped), aimed at the new leg's sector, and
 * queued as a work item of its own, since end_io may run in interrupt context. Its end
 * comes to biochain_end_io again. It goes down without REQ_NOWAIT (the worker may wait)
 * and without REQ_POLLED: nobody polls the new leg's queue for it, and its old cookie
 * names the old leg's. Nothing of bc is touched after queue_work(): the worker may issue
 * the clone at once, its end let the target go.
 */
static void biochain_retry_clone(struct biochain *bc, struct biochain_clone_record *record, struct bio *bio,
				 const struct bc_in_place_end *end)
{
	record->polled = bio->bi_opf & REQ_POLLED;
	bio->bi_iter = record->iter;
	bio->bi_iter.bi_sector = end->leg_sector;
	bio->bi_flags = record->flags;
	bio->bi_opf = record->opf;
	/* The request that carried it may have chained bios behind it through bi_next, and
	 * left the link there: a request it is merged into next would take the stale chain
	 * for its own (blk_update_request then finds bios past its bytes: BUG in
	 * blk_mq_end_request, found by the swap test). bio_list_pop cleared it when the
	 * retries went through one list. */
	bio->bi_next = NULL;
	atomic_set(&bio->__bi_remaining, 1);
	bio->bi_status = BLK_STS_OK;
	WRITE_ONCE(bio->bi_cookie, BLK_QC_T_NONE);
	record->retry_leg = end->leg;
	INIT_WORK(&record->work, biochain_resubmit_clone);
	queue_work(bc->retry_wq, &record->work);
}

/*
 * The worker's part of biochain_retry_clone (process context, NOIO). A poller (DM's
 * dm_poll_bio, inside the RCU read section of iocb_bio_iopoll) may have read the failed
 * leg's cookie before it was cleared: it must not pair it with the new leg's queue, so a
 * polled clone waits for those pollers before its device changes. Then the cgroup of the
 * I/O, not the worker's. Nothing of bc is touched after the submit: the clone may end at
 * once, and the target go with it.
 */
static void biochain_resubmit_clone(struct work_struct *work)
{
	struct biochain_clone_record *record = container_of(work, struct biochain_clone_record, work);
	struct biochain *bc = record->bc;
	struct bio *bio = dm_bio_from_per_bio_data(record, bc->clone_data_size);
	unsigned int noio = memalloc_noio_save();

	if (record->polled)
		synchronize_rcu();
	bio_set_dev(bio, bc->bdevs[record->retry_leg]);
	if (record->css)
		bio_associate_blkg_from_css(bio, record->css);
	submit_bio_noacct(bio);
	memalloc_noio_restore(noio);
}

/*
 * A mirror's read, remapped whole to the leg bc_fast_path_mirror_read picks, as dm-raid1's
 * mirror_map remaps one, and issued again on another leg if it fails there
 * (biochain_mirror_end_io): the record keeps what that needs, as dm-raid1 keeps
 * dm_bio_details. No call into core/ unless it fails. With every leg failed it is the
 * split path's, which ends it with EIO.
 */
static noinline int biochain_map_mirror_read(struct dm_target *ti, struct bio *bio)
{
	struct biochain *bc = ti->private;
	struct biochain_clone_record *record = biochain_clone_record(bc, bio);
	sector_t sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	struct bc_remap remap = bc_fast_path_mirror_read(&bc->fast_path, sector, bio_sectors(bio));

	if (unlikely(!remap.remapped))
		return biochain_map_split(ti, bio);
	biochain_count_rw(&bc->fast_path, BC_IO_READ, bio_sectors(bio));
	record->mapped = BIOCHAIN_MAPPED_MIRROR_READ;
	record->sector = sector;
	record->retry_leg = remap.leg;
	bio->bi_iter.bi_sector = remap.leg_sector;
	/* DM's clone has no blkg until its device is set (bio_alloc_clone without one):
	 * bio_set_dev associates the cgroup this map runs in, which a retry is then charged
	 * to. DM charges the first try to the cgroup of the bio it was given (after map,
	 * dm_submit_bio_remap); the two differ only when that bio came from a task of
	 * another cgroup than the one submitting it (writeback), and 6.1 gives a target no
	 * way to the bio DM was given. */
	bio_set_dev(bio, bc->bdevs[remap.leg]);
	biochain_record_for_retry(bc, record, bio);
	return DM_MAPIO_REMAPPED;
}

/* The fast path, or split. */
static int biochain_map(struct dm_target *ti, struct bio *bio)
{
	struct biochain *bc = ti->private;
	enum bc_io_kind kind = biochain_io_kind(bio);
	struct bc_remap remap;

	if (unlikely(kind != BC_IO_READ && kind != BC_IO_WRITE)) {
		/* one clone (bc_target_discard_bios), copied as a write */
		if (bc->fast_path.writes_copied && (kind == BC_IO_DISCARD || kind == BC_IO_WRITE_ZEROES))
			return biochain_map_split(ti, bio);
		return biochain_map_whole(ti, bio, kind);
	}
	remap = bc_fast_path_remap(&bc->fast_path, dm_target_offset(ti, bio->bi_iter.bi_sector),
				   bio_sectors(bio));
	if (unlikely(!remap.remapped)) {
		if (kind == BC_IO_READ && bc->fast_path.mirror_whole)
			return biochain_map_mirror_read(ti, bio);
		return biochain_map_split(ti, bio);
	}
	biochain_count_rw(&bc->fast_path, kind, bio_sectors(bio));
	bio->bi_iter.bi_sector = remap.leg_sector;
	bio_set_dev(bio, bc->bdevs[remap.leg]); /* last: nothing lives across its call */
	return DM_MAPIO_REMAPPED;
}

static void biochain_release_held(struct work_struct *work);

/*
 * A write of a mirror with a disk log ends while a leg failure is not yet in the log's
 * header: it is acknowledged only once it is (a crash before that would let the failed
 * leg's older data be read after the reboot), as dm-raid1 holds a failed write until its
 * log has the failure. Its end waits in a work item of its own; then bio_endio() brings
 * it to biochain_end_io again, which ends it with what it had (record->held). The flags
 * a lower queue set on it go (rq_qos would count its end twice), and its remaining count
 * is one again, as for a retry.
 */
static void biochain_hold_clone(struct biochain *bc, struct biochain_clone_record *record, struct bio *bio,
				blk_status_t status, unsigned long long gen)
{
	record->held = true;
	record->held_status = status;
	record->held_gen = gen;
	record->bc = bc;
	bio_clear_flag(bio, BIO_QOS_THROTTLED);
	bio_clear_flag(bio, BIO_QOS_MERGED);
	bio_clear_flag(bio, BIO_TRACE_COMPLETION);
	atomic_set(&bio->__bi_remaining, 1);
	INIT_WORK(&record->work, biochain_release_held);
	queue_work(bc->retry_wq, &record->work);
}

static void biochain_release_held(struct work_struct *work)
{
	struct biochain_clone_record *record = container_of(work, struct biochain_clone_record, work);
	struct biochain *bc = record->bc;
	struct bio *bio = dm_bio_from_per_bio_data(record, bc->clone_data_size);

	bc_target_log_wait(bc->core, record->held_gen);
	bio->bi_status = record->held_status;
	bio_endio(bio);
}

/* A clone's status for the I/O's: BLK_STS_AGAIN is a REQ_NOWAIT bio sent back to be
 * issued again, not a failed I/O. */
static void biochain_account_end(struct biochain *bc, blk_status_t error)
{
	if (unlikely(error) && error != BLK_STS_AGAIN)
		bc_target_account_error(bc->core);
}

/* A mirror read in place (biochain_map_mirror_read) that failed on its leg: core/ fails
 * the leg or not, and has it issued again on another, or ends it. */
static int biochain_mirror_read_failed(struct biochain *bc, struct biochain_clone_record *record, struct bio *bio,
				       blk_status_t *error)
{
	struct bc_in_place_end end;

	bc_target_mirror_read_end(bc->core, record->retry_leg, record->sector, record->iter.bi_size >> SECTOR_SHIFT,
				  record->opf & REQ_RAHEAD ? BC_MAP_READAHEAD : 0, blk_status_to_errno(*error), &end);
	if (end.retry) {
		biochain_retry_clone(bc, record, bio, &end);
		return DM_ENDIO_INCOMPLETE;
	}
	if (record->css)
		css_put(record->css);
	*error = errno_to_blk_status(end.error);
	biochain_account_end(bc, *error);
	return DM_ENDIO_DONE;
}

static noinline int biochain_mirror_end_io(struct biochain *bc, struct bio *bio, blk_status_t *error)
{
	struct biochain_clone_record *record = biochain_clone_record(bc, bio);
	struct bc_in_place_end end;
	unsigned long long gen;

	if (record->mapped == BIOCHAIN_MAPPED_MIRROR_READ)
		return biochain_mirror_read_failed(bc, record, bio, error);
	if (bc->log && record->held) {
		record->held = false; /* its end, as judged before */
		*error = record->held_status;
		goto done;
	}

	/*
	 * A mirror's other reads (a child limit) and its writes go through
	 * bc_target_map_in_place (or the all-children path) and core/ has their end, error
	 * or not: the parent carries one piece itself, its status is that piece's alone, and
	 * core/ judges its leg and adds its children's error, or has it issued again on
	 * another leg; so do its discards and write-zeroes, one clone copied as a write. A
	 * flush was mapped whole, one clone per leg: each clone's end is judged on its own
	 * leg.
	 */
	if (record->mapped == BIOCHAIN_MAPPED_SPLIT) {
		bc_target_in_place_end(bc->core, biochain_parent_state(bc, bio), blk_status_to_errno(*error),
				       &end);
		if (end.retry) {
			biochain_retry_clone(bc, record, bio, &end);
			return DM_ENDIO_INCOMPLETE;
		}
		if (end.retryable && record->css)
			css_put(record->css);
		*error = errno_to_blk_status(end.error);
		if (unlikely(record->short_write))
			*error = BLK_STS_IOERR; /* written in part: never a success */
	} else {
		/* a mirror's flush on one leg (biochain_map_whole) */
		*error = errno_to_blk_status(bc_target_whole_end(bc->core, dm_bio_get_target_bio_nr(bio),
								 blk_status_to_errno(*error)));
	}
	if (unlikely(bc->log) && op_is_write(bio_op(bio))) {
		gen = bc_target_log_ack_gen(bc->core);
		if (unlikely(gen)) {
			biochain_hold_clone(bc, record, bio, *error, gen);
			return DM_ENDIO_INCOMPLETE;
		}
	}
done:
	biochain_account_end(bc, *error);
	return DM_ENDIO_DONE;
}

/*
 * A mirror's clone ends in core/ (biochain_mirror_end_io), but for a read in place that
 * ended well: its leg's count, and its cgroup reference, as mapped. Elsewhere the
 * clone's status is already the bio's.
 */
static int biochain_end_io(struct dm_target *ti, struct bio *bio, blk_status_t *error)
{
	struct biochain *bc = ti->private;
	struct biochain_clone_record *record;

	if (!bc->fast_path.ends_judged) {
		biochain_account_end(bc, *error);
		return DM_ENDIO_DONE;
	}
	record = biochain_clone_record(bc, bio);
	if (likely(record->mapped == BIOCHAIN_MAPPED_MIRROR_READ && !*error)) {
		bc_mirror_read_ends(bc->fast_path.mirror, record->retry_leg);
		if (record->css)
			css_put(record->css);
		return DM_ENDIO_DONE;
	}
	return biochain_mirror_end_io(bc, bio, error);
}

static void biochain_status(struct dm_target *ti, status_type_t type, unsigned int status_flags,
			    char *result, unsigned int maxlen)
{
	struct biochain *bc = ti->private;
	const char *names[BC_MAX_LEGS + 1];
	unsigned int i;
	size_t sz = 0;

	for (i = 0; i < bc->nr_legs; i++)
		names[i] = bc->legs[i]->name;
	names[bc->nr_legs] = biochain_log_name(bc); /* after the legs', as core/ reads them */

	switch (type) {
	case STATUSTYPE_INFO:
		bc_target_emit_info(bc->core, result, maxlen);
		break;
	case STATUSTYPE_TABLE:
		bc_target_emit_table(bc->core, names, result, maxlen);
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",table=");
		bc_target_emit_table(bc->core, names, result + sz, maxlen - min_t(size_t, sz, maxlen));
		sz += strlen(result + sz);
		DMEMIT(";");
		break;
	}
}

static int biochain_message(struct dm_target *ti, unsigned int argc, char **argv, char *result,
			    unsigned int maxlen)
{
	struct biochain *bc = ti->private;
	const char *error;
	int ret;

	ret = bc_target_message(bc->core, argc, argv, &error);
	if (ret)
		DMWARN("%s: message refused: %s", dm_table_device_name(ti->table), error);
	return ret;
}

static int biochain_iterate_devices(struct dm_target *ti, iterate_devices_callout_fn fn,
				    void *data)
{
	struct biochain *bc = ti->private;
	sector_t start, sectors;
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < bc->nr_legs; i++) {
		bc_target_leg_area(bc->core, i, &start, &sectors);
		ret = fn(ti, bc->legs[i], start, sectors, data);
	}
	return ret;
}

static void biochain_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct biochain *bc = ti->private;
	unsigned int io_min, io_opt;

	bc_target_io_hints(bc->core, &io_min, &io_opt);
	biochain_set_io_hints(limits, io_min, io_opt);
}

/* A mirror's reads counted in flight on each leg (bc_mirror_read_begins) have all ended
 * once DM has waited for the I/O: a count left over would tilt the leg choice for good. */
static void biochain_check_reads_ended(struct biochain *bc)
{
	unsigned int leg, left = 0;

	if (!bc->fast_path.mirror)
		return;
	for (leg = 0; leg < bc->nr_legs; leg++)
		left += READ_ONCE(bc->fast_path.mirror->reads_in_flight[leg]);
	WARN_ONCE(left, "biochain: %u mirror reads still counted in flight after suspend\n", left);
}

/*
 * DM has waited for every clone in flight, and a clone ends only after its last child:
 * all that can remain is a retry being handed over. Drain it, and make sure nothing is
 * left, so that a table swapped in next starts from a quiet device.
 */
static void biochain_postsuspend(struct dm_target *ti)
{
	struct biochain *bc = ti->private;

	flush_workqueue(bc->retry_wq);
	WARN_ON_ONCE(bc_target_outstanding(bc->core));
	biochain_check_reads_ended(bc);
	biochain_mirror_save(bc); /* for the table that resumes next, this one or a reload */
	biochain_log_quiesce(bc); /* a disk log left as a clean shutdown's */
}

/* A mirror's resync stops before DM waits for the I/O in flight: it finishes its region
 * (the writes it holds back go on) and copies nothing while the device is suspended. */
static void biochain_presuspend(struct dm_target *ti)
{
	biochain_mirror_stop(ti->private);
	biochain_log_stop(ti->private);
}

/* A reload: the legs' states and the regions in sync of the table this one replaces;
 * then a disk log's, which has the last word, written back before the first I/O. */
static int biochain_preresume(struct dm_target *ti)
{
	biochain_mirror_take(ti->private);
	return biochain_log_load(ti->private);
}

static void biochain_resume(struct dm_target *ti)
{
	biochain_log_start(ti->private);
	biochain_mirror_start(ti->private);
}

/* A suspend given up after presuspend (a signal while DM waited, a filesystem that would
 * not freeze): the device stays live, and so does its resync. */
static void biochain_presuspend_undo(struct dm_target *ti)
{
	biochain_log_start(ti->private);
	biochain_mirror_start(ti->private);
}

static int biochain_prepare_ioctl(struct dm_target *ti, struct block_device **bdev)
{
	struct biochain *bc = ti->private;
	sector_t start, sectors;

	if (bc->nr_legs != 1)
		return -ENOTTY; /* ioctls only pass through to a single, whole disk */
	bc_target_leg_area(bc->core, 0, &start, &sectors);
	*bdev = bc->legs[0]->bdev;
	/* Only pass ioctls through if the device sizes match exactly (as dm-linear). */
	return start || ti->len != bdev_nr_sectors(*bdev);
}
BIOCHAIN_DEFINE_PREPARE_IOCTL(biochain_prepare_ioctl)

struct target_type biochain_target = {
	.name = "biochain",
	.version = { 0, 10, 0 },
	/* REQ_NOWAIT: nothing waits; refused with BLK_STS_AGAIN when a split's first piece
	 * finds its objects missing (biochain_map_split), or a mirror's write, discard or
	 * write-zeroes a region being resynced (io_uring's discard command hands that AGAIN
	 * to its caller, to issue again from a context that may block) */
	.features = DM_TARGET_NOWAIT,
	.module = THIS_MODULE,
	.ctr = biochain_ctr,
	.dtr = biochain_dtr,
	.map = biochain_map,
	.end_io = biochain_end_io,
	.status = biochain_status,
	.message = biochain_message,
	.prepare_ioctl = BIOCHAIN_PREPARE_IOCTL(biochain_prepare_ioctl),
	.iterate_devices = biochain_iterate_devices,
	.io_hints = biochain_io_hints,
	.presuspend = biochain_presuspend,
	.presuspend_undo = biochain_presuspend_undo,
	.postsuspend = biochain_postsuspend,
	.preresume = biochain_preresume,
	.resume = biochain_resume,
};
