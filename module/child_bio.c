// SPDX-License-Identifier: GPL-2.0
/*
 * The child bios of an instance: the ops core/ calls for them (biochain_child_ops, struct
 * bc_target_ops in core/abi/target.h): a child's object at hand and its free, inline over
 * the magazine layout core/ published (child_alloc, child_free), issuing a child
 * (child_submit), issuing it again from a worker (child_retry), ending a parent without
 * nesting completions (parent_end) and measuring a piece of a parent in segments
 * (sectors_within_segments); and a child's end (biochain_child_endio). core/ decides what
 * to issue and when a parent ends; this file only moves bios.
 */
#include <linux/bio.h>
#include <linux/blk-cgroup.h>
#include <linux/blkdev.h>
#include <linux/debugfs.h>
#include <linux/percpu.h>
#include <linux/sched/mm.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "abi/env.h"
#include "abi/target.h"
#include "abi/types.h"
#include "biochain.h"
#include "compat.h"
#include "magazine.h"

/*
 * A child is a clone (no vecs of its own): an object of the target's BioSet, popped from
 * this CPU's magazine without a call into core/ when it holds one. Never waits: core/
 * decides what waiting means (chain_next, the rescuer).
 */
static void *biochain_child_alloc(void *ctx, const struct bc_magazine *magazine)
{
	unsigned int capacity;
	void *vecs;

	return biochain_magazine_alloc(magazine, 0, BC_MAGAZINE_QUIET, &vecs, &capacity);
}

static void biochain_child_free(void *ctx, const struct bc_magazine *magazine, void *child)
{
	biochain_magazine_free(magazine, child, NULL, 0);
}

/*
 * A child is a clone of a piece of its parent (the DM clone): it shares the parent's
 * bio_vec table and selects its piece through bi_iter, like __bio_clone(). Its memory
 * comes from core/'s BioSet, not from a kernel bio_set, so it has no bi_pool and must
 * never reach bio_put(): it ends in biochain_child_endio, which uninitialises it and
 * gives it back to core/.
 */
static void biochain_child_submit(void *ctx, void *child_mem, void *parent_mem, unsigned int leg,
				  bc_sector_t leg_sector, bc_sector_t offset, unsigned int sectors)
{
	struct biochain *bc = ctx;
	struct bio *parent = parent_mem, *child = child_mem;

	/*
	 * Never REQ_POLLED: DM polls only its own clone (the parent), so a polled child would
	 * sit on a poll queue nobody polls until it times out. Children complete by interrupt
	 * and end the parent; REQ_NOWAIT stays (a full lower queue answers AGAIN at once).
	 */
	bio_init(child, bc->bdevs[leg], NULL, 0, parent->bi_opf & ~REQ_POLLED);
	bio_set_flag(child, BIO_CLONED);
	child->bi_ioprio = parent->bi_ioprio;
	biochain_bio_copy_hints(child, parent);
	child->bi_io_vec = parent->bi_io_vec;
	child->bi_iter = *biochain_parent_iter(bc, parent);
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

static void biochain_child_retry(void *ctx, void *child)
{
	struct biochain *bc = ctx;
	unsigned long flags;

	/* queue_work() under the lock the worker pops with: once the worker may issue the
	 * child, its end may end the last parent and let the target go, bc with it */
	spin_lock_irqsave(&bc->retry_lock, flags);
	bio_list_add(&bc->retry_list, child);
	queue_work(bc->retry_wq, &bc->retry_work);
	spin_unlock_irqrestore(&bc->retry_lock, flags);
}

void biochain_retry_work(struct work_struct *work)
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

void biochain_child_bio_debugfs_init(struct dentry *dir)
{
	debugfs_create_atomic_t("deferred_completions", 0444, dir, &deferred_completions);
}

/*
 * core/'s reference on a parent of the in-place path (biochain_map_split: DM's clone,
 * chained with bio_inc_remaining) is one of two. While the other is held, by the clone's
 * own I/O, the clone may still be parked on the submitter's current->bio_list behind its
 * children, or sit in a request: bi_next is in use, and queueing it on a completion frame
 * would cut that list. So only the last reference ends it (as bio_remaining_done() does,
 * clearing BIO_CHAIN), and then it lies on no list. Returns whether the caller must end it.
 */
static bool biochain_parent_put(struct bio *parent)
{
	if (!bio_flagged(parent, BIO_CHAIN))
		return true; /* the self tests' parents: never submitted themselves */
	if (!atomic_dec_and_test(&parent->__bi_remaining))
		return false; /* the clone's own completion ends it */
	bio_clear_flag(parent, BIO_CHAIN);
	return true;
}

static void biochain_parent_end(void *ctx, void *parent_mem, int error)
{
	struct bio *parent = parent_mem;
	struct completion_frame *frame;
	unsigned long flags;

	/*
	 * The clone's own I/O may have ended with an error already: keep the first, as
	 * bio_chain_endio() does, but let a real error replace a NOWAIT refusal (AGAIN), which
	 * would send a failed I/O back to be issued again.
	 */
	if (error && (!parent->bi_status || parent->bi_status == BLK_STS_AGAIN))
		parent->bi_status = errno_to_blk_status(error);
	if (!biochain_parent_put(parent))
		return;

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

static unsigned int biochain_sectors_within_segments(void *ctx, void *parent_mem, bc_sector_t offset,
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

static void biochain_event(void *ctx)
{
	biochain_mirror_event(ctx);
}

static void biochain_resync(void *ctx)
{
	biochain_mirror_resync(ctx);
}

static void biochain_log_kick_op(void *ctx)
{
	biochain_log_kick(ctx);
}

const struct bc_target_ops biochain_child_ops = {
	.child_submit = biochain_child_submit,
	.parent_end = biochain_parent_end,
	.child_retry = biochain_child_retry,
	.sectors_within_segments = biochain_sectors_within_segments,
	.child_alloc = biochain_child_alloc,
	.child_free = biochain_child_free,
	.event = biochain_event,
	.resync = biochain_resync,
	.log_kick = biochain_log_kick_op,
};
