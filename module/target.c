// SPDX-License-Identifier: GPL-2.0
/*
 * The device-mapper target type: argument marshalling between DM and core/ (core/abi/).
 * Parsing, validation, sector math, splitting, counters and status text are core/'s; this
 * file opens the lower devices, moves bios and talks to DM.
 */
#include <linux/bio.h>
#include <linux/blk-cgroup.h>
#include <linux/blk-crypto.h>
#include <linux/blkdev.h>
#include <linux/debugfs.h>
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "abi/env.h"
#include "abi/table.h"
#include "abi/target.h"
#include "abi/types.h"
#include "biochain.h"
#include "compat.h"

/* block/blk.h's BIO_INLINE_VECS, private to the block layer: inline vecs of a BioSet
 * object that needs them (children share their parent's table and need none). */
#define BIOCHAIN_INLINE_VECS 4

const struct bc_bio_shape biochain_bio_shape = {
	.bio_size = sizeof(struct bio),
	.bvec_size = sizeof(struct bio_vec),
	.inline_vecs = BIOCHAIN_INLINE_VECS,
};

static void biochain_retry_work(struct work_struct *work);

struct biochain *biochain_alloc(unsigned int nr_legs)
{
	struct biochain *bc = kzalloc(struct_size(bc, legs, nr_legs), GFP_KERNEL);

	if (!bc)
		return NULL;
	spin_lock_init(&bc->retry_lock);
	bio_list_init(&bc->retry_list);
	INIT_WORK(&bc->retry_work, biochain_retry_work);
	return bc;
}

void biochain_leg_geometry(struct block_device *bdev, struct bc_leg_geometry *geometry)
{
	geometry->sectors = bdev_nr_sectors(bdev);
	geometry->logical_block_size = bdev_logical_block_size(bdev);
	geometry->id = bdev->bd_dev;
}

int biochain_start(struct biochain *bc, const struct bc_table *table, sector_t len,
		   const struct bc_leg_geometry *geometry, const char **error)
{
	int ret = bc_target_create(table, len, geometry, &biochain_bio_shape, bc, &bc->core, error);
	bc_sector_t offset;
	unsigned int leg;

	if (ret)
		return ret;
	bc_target_rw_counters(bc->core, &bc->rw_counters);
	if (bc_target_remap_offset(bc->core, &leg, &offset)) {
		bc->offset_bdev = bc->bdevs[leg];
		bc->remap_offset = offset;
	}
	bc->remap_stripes = bc_target_remap_stripes(bc->core, &bc->stripes);
	bc->retry_wq = alloc_workqueue("biochain_retry", WQ_MEM_RECLAIM, 0);
	if (!bc->retry_wq) {
		*error = "Cannot allocate the retry workqueue";
		return -ENOMEM;
	}
	return 0;
}

void biochain_stop(struct biochain *bc)
{
	if (bc->retry_wq)
		destroy_workqueue(bc->retry_wq);
	bc->retry_wq = NULL;
	bc_target_destroy(bc->core);
	bc->core = NULL;
}

static void biochain_free(struct dm_target *ti, struct biochain *bc)
{
	biochain_stop(bc);
	while (bc->nr_legs)
		dm_put_device(ti, bc->legs[--bc->nr_legs]);
	kfree(bc);
}

/*
 * <layout> <layout args...> [<#features> <feature words...>]; see core/table_parser.h.
 */
static int biochain_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct bc_leg_geometry geometry[BC_MAX_LEGS];
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

	bc = biochain_alloc(table.nr_legs);
	if (!bc) {
		ti->error = "Cannot allocate biochain context";
		return -ENOMEM;
	}

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
	if (ret) {
		ti->error = (char *)error; /* a static string */
		goto bad;
	}

	ti->num_flush_bios = bc_target_whole_bios(bc->core);
	ti->num_discard_bios = bc_target_whole_bios(bc->core);
	ti->num_write_zeroes_bios = bc_target_whole_bios(bc->core);
	ti->per_io_data_size = bc_target_parent_state_size();
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

enum bc_io_kind biochain_io_kind(struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return BC_IO_READ;
	case REQ_OP_WRITE:
		return bio_sectors(bio) ? BC_IO_WRITE : BC_IO_FLUSH;
	case REQ_OP_DISCARD:
		return BC_IO_DISCARD;
	case REQ_OP_WRITE_ZEROES:
		return BC_IO_WRITE_ZEROES;
	default:
		return BC_IO_OTHER;
	}
}

/*
 * Flushes, discards, write-zeroes: DM sends one clone per leg; each goes down whole. Out
 * of line, like biochain_map_split: what stays in biochain_map, the reads and writes that
 * are remapped in place, then saves few registers and has no stack canary.
 */
static noinline int biochain_map_whole(struct dm_target *ti, struct bio *bio, enum bc_io_kind kind)
{
	struct biochain *bc = ti->private;
	sector_t leg_sector, leg_sectors;
	unsigned int leg;

	bc_target_account_io(bc->core, kind, bio_sectors(bio));
	if (!bc_target_map_whole(bc->core, kind, dm_bio_get_target_bio_nr(bio),
				 dm_target_offset(ti, bio->bi_iter.bi_sector), bio_sectors(bio), &leg,
				 &leg_sector, &leg_sectors)) {
		bio_endio(bio); /* no part of it is on this leg */
		return DM_MAPIO_SUBMITTED;
	}
	bio_set_dev(bio, bc->bdevs[leg]);
	bio->bi_iter.bi_sector = leg_sector;
	if (kind != BC_IO_FLUSH)
		bio->bi_iter.bi_size = leg_sectors << SECTOR_SHIFT;
	return DM_MAPIO_REMAPPED;
}

/*
 * A read or write that needs children: it crosses a chunk, or the layout is a mirror. It
 * finds the kind again rather than take it from biochain_map, so that nothing but ti
 * and bio lives across map's call to bc_target_remap (three saved registers).
 */
static noinline int biochain_map_split(struct dm_target *ti, struct bio *bio)
{
	struct biochain *bc = ti->private;
	enum bc_io_kind kind = biochain_io_kind(bio);

	/* The device advertises neither inline crypto nor integrity, so neither can come. */
	if (WARN_ON_ONCE(bio_integrity(bio) || bio_has_crypt_ctx(bio)))
		return DM_MAPIO_KILL;
	/*
	 * Children may wait for memory (chain_next waits for a child of the same parent to
	 * end), which a REQ_NOWAIT bio forbids: it ends with BLK_STS_AGAIN before any child
	 * is issued, and its submitter (io_uring, RWF_NOWAIT) issues it again from a context
	 * that may wait. Remapped in place, a NOWAIT bio never waits in biochain, which is
	 * what lets the target advertise DM_TARGET_NOWAIT.
	 */
	if (bio->bi_opf & REQ_NOWAIT) {
		bio_wouldblock_error(bio);
		return DM_MAPIO_SUBMITTED;
	}
	biochain_split(bc, bio, dm_per_bio_data(bio, bc_target_parent_state_size()), kind,
		       dm_target_offset(ti, bio->bi_iter.bi_sector));
	return DM_MAPIO_SUBMITTED;
}

/*
 * Every read and write is counted here rather than in core/: two this_cpu_adds to the
 * counters core/ named at load (bc_target_rw_counters), where a call into core/ to count
 * would cost a call, a frame and its saved registers on every bio.
 */
static __always_inline void biochain_count_rw(const struct biochain *bc, enum bc_io_kind kind,
					      unsigned int sectors)
{
	const struct bc_rw_counters *counters = &bc->rw_counters;

	this_cpu_inc(*biochain_percpu_u64(counters->percpu, counters->bios[kind]));
	this_cpu_add(*biochain_percpu_u64(counters->percpu, counters->sectors[kind]), sectors);
}

static int biochain_map(struct dm_target *ti, struct bio *bio)
{
	struct biochain *bc = ti->private;
	enum bc_io_kind kind = biochain_io_kind(bio);
	struct bc_remap remap;

	if (unlikely(kind != BC_IO_READ && kind != BC_IO_WRITE))
		return biochain_map_whole(ti, bio, kind);
	biochain_count_rw(bc, kind, bio_sectors(bio));
	if (bc->offset_bdev) { /* linear: no call into core/ for the sum core/ gave us */
		bio->bi_iter.bi_sector = bc->remap_offset + dm_target_offset(ti, bio->bi_iter.bi_sector);
		bio_set_dev(bio, bc->offset_bdev);
		return DM_MAPIO_REMAPPED;
	}
	if (bc->remap_stripes) { /* striped: core/'s inline math on core/'s parameters */
		const struct bc_stripe_place place = bc_stripes_locate(&bc->stripes.chunk, &bc->stripes.legs,
									 dm_target_offset(ti, bio->bi_iter.bi_sector));
		if (unlikely(bio_sectors(bio) > place.room))
			return biochain_map_split(ti, bio);
		bio->bi_iter.bi_sector = bc->stripes.offsets[place.leg] + place.leg_sector;
		bio_set_dev(bio, bc->bdevs[place.leg]);
		return DM_MAPIO_REMAPPED;
	}
	remap = bc_target_remap(bc->core, dm_target_offset(ti, bio->bi_iter.bi_sector),
				bio_sectors(bio));
	if (!remap.remapped)
		return biochain_map_split(ti, bio);
	bio->bi_iter.bi_sector = remap.leg_sector;
	bio_set_dev(bio, bc->bdevs[remap.leg]); /* last: nothing lives across its call */
	return DM_MAPIO_REMAPPED;
}

void biochain_split(struct biochain *bc, struct bio *bio, void *parent_state,
		    enum bc_io_kind kind, sector_t sector)
{
	/* Every allocation of the split happens in this NOIO scope (seed 001). */
	unsigned int noio = memalloc_noio_save();

	bc_target_map(bc->core, bio, parent_state, kind, sector, bio_sectors(bio));
	memalloc_noio_restore(noio);
}

/* ------------------------------------------------------------------ child bios */

/*
 * A child is a clone of a piece of its parent (the DM clone): it shares the parent's
 * bio_vec table and selects its piece through bi_iter, like __bio_clone(). Its memory
 * comes from core/'s BioSet, so it must never reach bio_put() (DESIGN.md): it ends in
 * biochain_child_endio, which uninitialises it and gives it back to core/.
 */
void bc_env_child_submit(void *shim, void *child_mem, void *parent_mem, unsigned int leg,
			 bc_sector_t leg_sector, bc_sector_t offset, unsigned int sectors)
{
	struct biochain *bc = shim;
	struct bio *parent = parent_mem, *child = child_mem;

	bio_init(child, bc->bdevs[leg], NULL, 0, parent->bi_opf);
	bio_set_flag(child, BIO_CLONED);
	child->bi_ioprio = parent->bi_ioprio;
	child->bi_io_vec = parent->bi_io_vec;
	child->bi_iter = parent->bi_iter;
	bio_advance_iter(parent, &child->bi_iter, offset << SECTOR_SHIFT);
	child->bi_iter.bi_size = sectors << SECTOR_SHIFT;
	child->bi_iter.bi_sector = leg_sector;
	bio_clone_blkg_association(child, parent);
	child->bi_end_io = biochain_child_endio;
	child->bi_private = bc;
	submit_bio_noacct(child);
}

void biochain_child_endio(struct bio *child)
{
	struct biochain *bc = child->bi_private;
	int error = blk_status_to_errno(child->bi_status);

	bio_uninit(child);
	bc_target_child_end(bc->core, child, error);
}

void bc_env_child_retry(void *shim, void *child)
{
	struct biochain *bc = shim;
	unsigned long flags;

	spin_lock_irqsave(&bc->retry_lock, flags);
	bio_list_add(&bc->retry_list, child);
	spin_unlock_irqrestore(&bc->retry_lock, flags);
	queue_work(bc->retry_wq, &bc->retry_work);
}

static void biochain_retry_work(struct work_struct *work)
{
	struct biochain *bc = container_of(work, struct biochain, retry_work);
	unsigned int noio = memalloc_noio_save();
	struct bio *child;

	for (;;) {
		spin_lock_irq(&bc->retry_lock);
		child = bio_list_pop(&bc->retry_list);
		spin_unlock_irq(&bc->retry_lock);
		if (!child)
			break;
		bc_target_child_retry(bc->core, child);
	}
	memalloc_noio_restore(noio);
}

/*
 * Ending a parent (DM's clone) ends the bio above it, which, when biochain is stacked on
 * biochain, is a child of the level above, whose end may end that level's parent, and so
 * on: one stack frame chain per level. To keep completion iterative however deep the stack,
 * a parent ended while this CPU is already inside a biochain completion is only queued;
 * the outermost completion on the CPU ends the queued parents one by one. Preemption is
 * off for the whole frame (bi_end_io must not sleep anyway) so the queue is drained by the
 * CPU that filled it; interrupts are held off only around the queue itself.
 */
struct completion_frame {
	unsigned int depth;
	struct bio_list deferred;
};
static DEFINE_PER_CPU(struct completion_frame, completion_frames);

/* Parents whose end was queued rather than nested: proves the path in the tests. */
static atomic_t deferred_completions = ATOMIC_INIT(0);

void biochain_target_debugfs_init(struct dentry *dir)
{
	debugfs_create_atomic_t("deferred_completions", 0444, dir, &deferred_completions);
}

void bc_env_parent_end(void *shim, void *parent_mem, int error)
{
	struct bio *parent = parent_mem;
	struct completion_frame *frame;
	unsigned long flags;

	if (error)
		parent->bi_status = errno_to_blk_status(error);

	preempt_disable();
	frame = this_cpu_ptr(&completion_frames);
	local_irq_save(flags);
	if (frame->depth) {
		bio_list_add(&frame->deferred, parent);
		atomic_inc(&deferred_completions);
		local_irq_restore(flags);
		preempt_enable();
		return;
	}
	frame->depth = 1;
	local_irq_restore(flags);

	for (;;) {
		bio_endio(parent);
		local_irq_save(flags);
		parent = bio_list_pop(&frame->deferred);
		if (!parent)
			frame->depth = 0; /* with the queue empty, under the same irq-off section */
		local_irq_restore(flags);
		if (!parent)
			break;
	}
	preempt_enable();
}

unsigned int bc_env_sectors_within_segments(void *parent_mem, bc_sector_t offset,
					    unsigned int max_sectors, unsigned int max_segments)
{
	struct bio *parent = parent_mem;
	struct bvec_iter iter = parent->bi_iter;
	unsigned int bytes = 0, segments = 0;

	bio_advance_iter(parent, &iter, offset << SECTOR_SHIFT);
	iter.bi_size = min_t(unsigned int, iter.bi_size, max_sectors << SECTOR_SHIFT);
	while (iter.bi_size && segments < max_segments) {
		struct bio_vec bv = mp_bvec_iter_bvec(parent->bi_io_vec, iter);

		bytes += bv.bv_len;
		segments++;
		bio_advance_iter_single(parent, &iter, bv.bv_len);
	}
	return bytes >> SECTOR_SHIFT;
}

/* ------------------------------------------------------------------ DM callbacks */

static int biochain_end_io(struct dm_target *ti, struct bio *bio, blk_status_t *error)
{
	struct biochain *bc = ti->private;

	/* BLK_STS_AGAIN is a REQ_NOWAIT bio sent back to be issued again, not a failed I/O */
	if (*error && *error != BLK_STS_AGAIN)
		bc_target_account_error(bc->core);
	return DM_ENDIO_DONE;
}

static void biochain_status(struct dm_target *ti, status_type_t type, unsigned int status_flags,
			    char *result, unsigned int maxlen)
{
	struct biochain *bc = ti->private;
	const char *names[BC_MAX_LEGS];
	unsigned int i;
	size_t sz = 0;

	for (i = 0; i < bc->nr_legs; i++)
		names[i] = bc->legs[i]->name;

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
	if (io_min)
		biochain_set_io_min(limits, io_min << SECTOR_SHIFT);
	if (io_opt)
		biochain_set_io_opt(limits, io_opt << SECTOR_SHIFT);
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

struct target_type biochain_target = {
	.name = "biochain",
	.version = { 0, 4, 0 },
	/* REQ_NOWAIT: remapped in place or refused with BLK_STS_AGAIN (biochain_map_split) */
	.features = DM_TARGET_NOWAIT,
	.module = THIS_MODULE,
	.ctr = biochain_ctr,
	.dtr = biochain_dtr,
	.map = biochain_map,
	.end_io = biochain_end_io,
	.status = biochain_status,
	.message = biochain_message,
	.prepare_ioctl = biochain_prepare_ioctl,
	.iterate_devices = biochain_iterate_devices,
	.io_hints = biochain_io_hints,
	.postsuspend = biochain_postsuspend,
};
