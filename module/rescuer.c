// SPDX-License-Identifier: GPL-2.0
/*
 * The rescuer of one BioSet, after the kernel's own (Kent Overstreet, "block: Avoid
 * deadlocks with bio allocation by stacking drivers", 2012). Under submit_bio, bios a
 * target submits are parked on current->bio_list and issued only after its map() returns;
 * if map() then waits for memory that only those bios can give back, it waits forever.
 * core/ calls bc_env_rescue_parked() before such a wait: our parked bios move to a
 * WQ_MEM_RECLAIM worker (guaranteed to run under memory pressure) that issues them.
 *
 * The kernel's own rescuer cannot do this for us: it only takes bios whose bi_pool is its
 * bio_set, and our bios have no bi_pool (their memory is core/'s BioSet, not a kernel
 * bio_set; see docs/architecture.md).
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "abi/env.h"
#include "abi/target.h"
#include "biochain.h"
#include "compat.h"

struct bc_env_rescuer {
	const void *owner; /* the BioSet whose bios this rescuer issues */
	spinlock_t lock;
	struct bio_list bios;
	struct work_struct work;
	struct workqueue_struct *wq;
};

static void rescue_work(struct work_struct *work)
{
	struct bc_env_rescuer *rescuer = container_of(work, struct bc_env_rescuer, work);
	struct bio *bio;

	for (;;) {
		spin_lock(&rescuer->lock);
		bio = bio_list_pop(&rescuer->bios);
		spin_unlock(&rescuer->lock);
		if (!bio)
			break;
		submit_bio_noacct(bio);
	}
}

struct bc_env_rescuer *bc_env_rescuer_create(const void *owner)
{
	struct bc_env_rescuer *rescuer = kzalloc(sizeof(*rescuer), GFP_KERNEL);

	if (!rescuer)
		return NULL;
	rescuer->wq = alloc_workqueue("biochain_rescue", WQ_MEM_RECLAIM | BIOCHAIN_WQ_PERCPU, 0);
	if (!rescuer->wq) {
		kfree(rescuer);
		return NULL;
	}
	rescuer->owner = owner;
	spin_lock_init(&rescuer->lock);
	bio_list_init(&rescuer->bios);
	INIT_WORK(&rescuer->work, rescue_work);
	return rescuer;
}

void bc_env_rescuer_destroy(struct bc_env_rescuer *rescuer)
{
	destroy_workqueue(rescuer->wq); /* drains: no rescued bio is left behind */
	WARN_ON_ONCE(!bio_list_empty(&rescuer->bios));
	kfree(rescuer);
}

int bc_env_task_has_parked(void)
{
	struct bio_list *parked = current->bio_list;

	return parked && (!bio_list_empty(&parked[0]) || !bio_list_empty(&parked[1]));
}

static bool rescuer_owns(const struct bc_env_rescuer *rescuer, const struct bio *bio)
{
	/* Only our child bios carry an owner word in front of them: check the end_io first. */
	return bio->bi_end_io == biochain_child_endio && bc_bio_owner(bio) == rescuer->owner;
}

unsigned int bc_env_rescue_parked(struct bc_env_rescuer *rescuer)
{
	struct bio_list *parked = current->bio_list;
	struct bio_list punt, keep;
	unsigned int moved = 0;
	struct bio *bio;
	int i;

	if (!parked)
		return 0;
	/*
	 * Only our own bios: a bio of a driver above us could need our BioSet again to be
	 * issued, and doing that from our rescuer would deadlock it. The lists are singly
	 * linked, so pop them all and rebuild (as block/bio.c's punt_bios_to_rescuer).
	 */
	bio_list_init(&punt);
	for (i = 0; i < 2; i++) {
		bio_list_init(&keep);
		while ((bio = bio_list_pop(&parked[i]))) {
			if (rescuer_owns(rescuer, bio)) {
				bio_list_add(&punt, bio);
				moved++;
			} else {
				bio_list_add(&keep, bio);
			}
		}
		parked[i] = keep;
	}
	if (!moved)
		return 0;
	spin_lock(&rescuer->lock);
	bio_list_merge(&rescuer->bios, &punt);
	spin_unlock(&rescuer->lock);
	queue_work(rescuer->wq, &rescuer->work);
	return moved;
}
