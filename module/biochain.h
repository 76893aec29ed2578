/* SPDX-License-Identifier: GPL-2.0 */
/* What the shim's files share with each other (never with core/: that is core/abi/). */
#ifndef BIOCHAIN_H
#define BIOCHAIN_H

#include <linux/device-mapper.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>

#include "abi/env.h"
#include "abi/selftest.h"
#include "abi/table.h"
#include "abi/target.h"
#include "abi/types.h"
#include "target/stripe_math.h"

#define DM_MSG_PREFIX "biochain"

struct dentry;
struct bc_bio_shape;

/* The u64 at offset in core/'s per-CPU block percpu (bc_env_percpu_alloc). */
static inline u64 __percpu *biochain_percpu_u64(void *percpu, unsigned long offset)
{
	return (u64 __percpu __force *)((char *)percpu + offset);
}

int biochain_env_init(struct dentry *debugfs_dir);
void biochain_env_exit(void);

extern struct target_type biochain_target;
extern const struct bc_bio_shape biochain_bio_shape;

void biochain_bench_init(struct dentry *debugfs_dir);
void biochain_target_debugfs_init(struct dentry *debugfs_dir);
void biochain_bench_exit(void);

/*
 * One biochain instance: core/'s target over open lower devices. The DM target creates
 * one per table line; the self tests create theirs over a scratch device, outside DM.
 */
struct biochain {
	struct bc_target *core;
	/* where map counts each read and write itself (core/abi/) */
	struct bc_rw_counters rw_counters;
	/* set when every read and write goes to this device at sector + remap_offset
	 * (bc_target_remap_offset: linear): map remaps those itself, as dm-linear does */
	struct block_device *offset_bdev;
	sector_t remap_offset;
	/* set when core/ gave the striped layout's parameters (bc_target_remap_stripes): map
	 * remaps a read or write that fits in its chunk itself, as dm-stripe does */
	bool remap_stripes;
	struct bc_stripes stripes;
	/* Children core/ wants issued again (a mirror read retried on another leg): queued
	 * from completion context, issued by a WQ_MEM_RECLAIM worker. */
	spinlock_t retry_lock;
	struct bio_list retry_list;
	struct work_struct retry_work;
	struct workqueue_struct *retry_wq;
	struct block_device *bdevs[BC_MAX_LEGS]; /* where children of each leg go */
	unsigned int nr_legs;			 /* dm_devs held (DM only) */
	struct dm_dev *legs[];
};

struct biochain *biochain_alloc(unsigned int nr_legs);
void biochain_leg_geometry(struct block_device *bdev, struct bc_leg_geometry *geometry);
/* With bdevs[] set: create the core target and the retry worker. */
int biochain_start(struct biochain *bc, const struct bc_table *table, sector_t len,
		   const struct bc_leg_geometry *geometry, const char **error);
void biochain_stop(struct biochain *bc);
/* What map does with a read or write that needs children: split it in a NOIO scope. */
void biochain_split(struct biochain *bc, struct bio *bio, void *parent_state,
		    enum bc_io_kind kind, sector_t sector);
enum bc_io_kind biochain_io_kind(struct bio *bio);

/* Self tests (module/selftest.c): the shim's suites, and running everything. */
extern const struct bc_test_suite biochain_suite_target;
void biochain_selftest_device(char *path, size_t size);
void biochain_selftest_init(struct dentry *debugfs_dir);
void biochain_selftest_exit(void);

/* The end_io of every child bio; also how the rescuer recognises ours. */
void biochain_child_endio(struct bio *child);

#endif
