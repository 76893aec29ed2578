/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the module's files share with each other. What they share with core/ is core/abi/
 * (each file includes the part it implements or calls); kernel-version differences are
 * compat.h's.
 */
#ifndef BIOCHAIN_H
#define BIOCHAIN_H

#include <linux/bio.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "abi/device_graph.h"
#include "abi/target.h"
#include "abi/types.h"
#include "abi/fast_path.h"

struct dentry;
struct dm_dev;
struct dm_target;
struct biochain_mirror;
struct biochain_log;
struct bc_table;
struct target_type;
struct bc_test_suite;

/* ------------------------------------------------------------------ an instance */

/*
 * One biochain instance: core/'s target over open lower devices (instance.c). The DM
 * target creates one per table line; the self tests create theirs over a scratch device,
 * outside DM.
 */
struct biochain {
	struct bc_target *core;
	/* what map counts and remaps without calling into core/, filled by core/ at load */
	struct bc_fast_path fast_path;
	/* Children core/ wants issued again (a mirror read retried on another leg): queued
	 * from completion context, issued by a worker of retry_wq (child_bio.c), which also
	 * runs each DM clone's retry or next turn as a work item of its own (dm_target.c). */
	spinlock_t retry_lock;
	struct bio_list retry_list;
	unsigned int clone_data_size; /* DM only: the clones' per-bio data (dm_target.c) */
	struct work_struct retry_work;
	struct workqueue_struct *retry_wq;
	struct block_device *bdevs[BC_MAX_LEGS]; /* where children of each leg go */
	struct bc_device_node *graph_node;	 /* the table in core/'s device graph (DM only) */
	struct biochain_mirror *mirror;		 /* a mirror's resync and state (DM only) */
	struct biochain_log *log;		 /* a mirror's disk log (DM only; NULL: none) */
	unsigned int nr_legs;			 /* dm_devs held (DM only) */
	struct dm_dev *legs[];
};

/* The shape of a bio, for core/'s BioSet (the instance's and the benchmark's). */
extern const struct bc_bio_shape biochain_bio_shape;

struct biochain *biochain_alloc(unsigned int nr_legs);
void biochain_leg_geometry(struct block_device *bdev, struct bc_leg_geometry *geometry);
/* With bdevs[] set: create the core target and the retry worker. */
int biochain_start(struct biochain *bc, const struct bc_table *table, sector_t len,
		   const struct bc_leg_geometry *geometry, const char **error);
void biochain_stop(struct biochain *bc);
/* What map does with a read or write that needs children: split it in a NOIO scope. */
void biochain_split(struct biochain *bc, struct bio *bio, void *parent_state,
		    enum bc_io_kind kind, sector_t sector);
/*
 * The parent's data as map split it, what a child's offset counts from. A DM clone's is
 * kept in its per-bio data (dm_target.c): the clone itself is cut to its own piece and
 * advanced by the leg it went to, and a mirror read's child may be issued again after
 * that (bc_target_child_retry). A parent outside DM (the self tests') carries no I/O
 * itself: its own iterator stays as it was.
 */
const struct bvec_iter *biochain_parent_iter(struct biochain *bc, struct bio *parent);

/* The kind of a bio, for core/. Inline: map classifies every bio with it. */
static inline enum bc_io_kind biochain_io_kind(struct bio *bio)
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

/* The u64 at offset in core/'s per-CPU block percpu (bc_env_percpu_alloc): env.c adds to
 * core/'s counters through it, map to the read and write counters without a call. */
static inline u64 __percpu *biochain_percpu_u64(void *percpu, unsigned long offset)
{
	return (u64 __percpu __force *)((__force unsigned long)percpu + offset);
}

/* ------------------------------------------------------------------ a mirror (mirror.c) */

/* At load (nothing for another layout) and unload. */
int biochain_mirror_create(struct biochain *bc, struct dm_target *ti, const char **error);
void biochain_mirror_destroy(struct biochain *bc);
/* DM's presuspend, postsuspend, preresume and resume. */
void biochain_mirror_stop(struct biochain *bc);
void biochain_mirror_save(struct biochain *bc);
void biochain_mirror_take(struct biochain *bc);
void biochain_mirror_start(struct biochain *bc);
/* core/'s ops->resync and ops->event (nothing without a mirror: the self tests'). */
void biochain_mirror_resync(struct biochain *bc);
void biochain_mirror_event(struct biochain *bc);

/* ------------------------------------------------------------------ a mirror's disk log (mirror_log.c) */

/* At load (nothing without `log`; refuses a device that cannot hold the log) and unload. */
int biochain_log_create(struct biochain *bc, struct dm_target *ti, const struct bc_table *table,
			const char **error);
void biochain_log_destroy(struct biochain *bc, struct dm_target *ti);
/* preresume (the log read, the first time), resume, presuspend, postsuspend. */
int biochain_log_load(struct biochain *bc);
void biochain_log_start(struct biochain *bc);
void biochain_log_stop(struct biochain *bc);
void biochain_log_quiesce(struct biochain *bc);
/* core/'s ops->log_kick. */
void biochain_log_kick(struct biochain *bc);
/* A polled write waits for the log: its pass queued at once (see mirror_log.c). */
void biochain_log_kick_now(struct biochain *bc);
/* The threads that queue the logs' passes, one per CPU (log_workers.c). */
struct kthread_worker;
void biochain_log_workers_init(void);
void biochain_log_workers_exit(void);
int biochain_log_workers_get(void);
void biochain_log_workers_put(void);
struct kthread_worker *biochain_log_worker(unsigned int cpu);
/* A mirror write that waits for the log's pass (dm_target.c defers it at map): mapped by
 * the log's dispatcher once biochain_deferred_gen's pass is written. */
void biochain_log_defer(struct biochain *bc, struct bio *bio, unsigned long long gen);
unsigned long long biochain_deferred_gen(struct biochain *bc, struct bio *bio);
/* Its pass is written: mapped from a work item of its own, on the log's map queue. */
void biochain_queue_deferred(struct biochain *bc, struct bio *bio);
struct workqueue_struct *biochain_log_map_wq(struct biochain *bc);
/* The log device's name for the table line (NULL: none). */
const char *biochain_log_name(struct biochain *bc);

/* ------------------------------------------------------------------ child bios */

/* What core/ calls to issue children and end parents, with the instance as ctx. */
extern const struct bc_target_ops biochain_child_ops;
/* The end_io of every child bio; also how the rescuer recognises ours. */
void biochain_child_endio(struct bio *child);
/* The work biochain_alloc sets up: issues the children of retry_list again. */
void biochain_retry_work(struct work_struct *work);

/* ------------------------------------------------------------------ module parts */

/* Each part's set-up and take-down, called by main.c. */
int biochain_env_init(struct dentry *debugfs_dir);
void biochain_env_exit(void);
extern struct target_type biochain_target;
void biochain_bench_init(struct dentry *debugfs_dir);
void biochain_bench_exit(void);
void biochain_child_bio_debugfs_init(struct dentry *debugfs_dir);
void biochain_selftest_init(struct dentry *debugfs_dir);
void biochain_selftest_exit(void);
void biochain_kunit_init(struct dentry *debugfs_dir);
void biochain_kunit_exit(void);

/* Self tests: the module's own suite (selftest_target.c), which the runner (selftest.c)
 * runs after core/'s, and the scratch device it may overwrite (a module parameter). */
extern const struct bc_test_suite biochain_suite_target;
void biochain_selftest_device(char *path, size_t size);
/* Every suite, core/'s then the module's (at most max, at least 2): the module's runner
 * (selftest.c) and KUnit's (kunit.c) run the same list. */
#define BIOCHAIN_SELFTEST_MAX_SUITES 16
unsigned int biochain_selftest_suites(const struct bc_test_suite **suites, unsigned int max);
ssize_t biochain_selftest_write_filter(const char __user *ubuf, size_t count,
				       int (*run)(const char *filter));
/* Held by whichever runner is running: both use the scratch device. */
extern struct mutex biochain_selftest_mutex;

#endif
