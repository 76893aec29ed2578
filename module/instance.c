// SPDX-License-Identifier: GPL-2.0
/*
 * A biochain instance's life: core/'s target over lower block devices someone else has
 * opened. The DM target (dm_target.c) makes one per table line over its dm_devs; the self
 * tests (selftest_device.c) make theirs over a scratch device, outside device-mapper.
 * Both send a read or write that needs children through biochain_split().
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

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
	int ret = bc_target_create(table, len, geometry, &biochain_bio_shape, &biochain_child_ops, bc,
				   &bc->core, error);

	if (ret)
		return ret;
	bc_target_fast_path(bc->core, &bc->fast_path);
	bc->retry_wq = alloc_workqueue("biochain_retry", WQ_MEM_RECLAIM | BIOCHAIN_WQ_PERCPU, 0);
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

void biochain_split(struct biochain *bc, struct bio *bio, void *parent_state,
		    enum bc_io_kind kind, sector_t sector)
{
	/*
	 * Every allocation of the split happens in this NOIO scope: those that may wait ask
	 * for GFP_KERNEL (env.c) and the scope keeps them from starting I/O, the scope API
	 * rather than GFP_NOIO at each call (Michal Hocko, "GFP masks used from FS/IO context").
	 */
	unsigned int noio = memalloc_noio_save();

	bc_target_map(bc->core, bio, parent_state, kind, sector, bio_sectors(bio));
	memalloc_noio_restore(noio);
}
