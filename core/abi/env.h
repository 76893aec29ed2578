/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The environment of core/: what module/env.c provides over the kernel and
 * userspace/env_posix.cpp over POSIX; core/ calls it.
 */
#ifndef BIOCHAIN_ABI_ENV_H
#define BIOCHAIN_ABI_ENV_H

#include "abi/types.h"

#ifdef __cplusplus
extern "C" {
#endif


/* Allocate size bytes; may_wait = 0 must not sleep (the I/O path before the reserve).
 * Returns NULL on failure; never panics. Memory is at least 16-byte aligned. */
void *bc_env_alloc(unsigned long size, int may_wait);
void bc_env_free(void *ptr);

/* Upper bound (exclusive) of CPU numbers, fixed for the life of the environment. */
unsigned int bc_env_nr_cpus(void);

/* A spinlock, safe against completion (interrupt) context. The storage is core/'s, its
 * layout the environment's: 64 bytes holds a spinlock_t (the shim checks at build time)
 * or a pthread mutex. */
struct bc_lock {
	unsigned long long opaque[8];
};
/* What a lock guards, for the kernel's lock validator: each kind is its own lockdep class,
 * so that a lock taken inside another kind (a mirror's state lock, then its region sync's)
 * is an order lockdep checks, not a recursion it reports. Two locks of one kind never
 * nest. */
enum bc_lock_class {
	BC_LOCK_MEMPOOL,       /* a Mempool's reserve */
	BC_LOCK_DEPOT,         /* a magazine depot */
	BC_LOCK_TARGET_STATE,  /* a target's leg and mirror state (outer to the two below) */
	BC_LOCK_REGION_SYNC,   /* a mirror's resync progress */
	BC_LOCK_DIRTY_LOG,     /* a mirror's region log */
	BC_LOCK_NR_CLASSES
};
void bc_env_lock_init(struct bc_lock *lock, enum bc_lock_class lock_class);
void bc_env_lock_destroy(struct bc_lock *lock);
unsigned long bc_env_lock_irqsave(struct bc_lock *lock);
void bc_env_unlock_irqrestore(struct bc_lock *lock, unsigned long flags);

/* A wait queue: bc_env_wait_until() sleeps until ready(arg) returns nonzero, calling it
 * again after every bc_env_wake_all(); a wake between a failed ready() and the sleep is
 * never lost. ready() may take core/ locks. Process context only. */
struct bc_waitq {
	unsigned long long opaque[12];
};
void bc_env_waitq_init(struct bc_waitq *waitq);
void bc_env_waitq_destroy(struct bc_waitq *waitq);
void bc_env_wait_until(struct bc_waitq *waitq, int (*ready)(void *arg), void *arg);
void bc_env_wake_all(struct bc_waitq *waitq);

/* Per-CPU sections over per-CPU memory (see bc_env_percpu_alloc).
 * bc_env_percpu_enter returns the calling CPU's copy of percpu and holds that CPU until
 * bc_env_percpu_leave: in task context with preemption off (interrupts still run), in
 * interrupt context with interrupts off; *irq (0 or 1) says which, so that data used from both
 * can be kept apart. bc_env_irq_save/restore additionally hold off interrupts inside a
 * task-context section. Keep sections a few instructions long. */
void *bc_env_percpu_enter(void *percpu, int *irq, unsigned long *token);
void bc_env_percpu_leave(int irq, unsigned long token);
unsigned long bc_env_irq_save(void);
void bc_env_irq_restore(unsigned long flags);

/* Per-CPU memory: size bytes for every possible CPU, zeroed. _slot gives one CPU's copy
 * (NULL for a CPU that can never exist); _add adds n to the u64 at offset in the calling
 * CPU's copy, safe against preemption and interrupts (this_cpu_add). */
void *bc_env_percpu_alloc(unsigned long size);
void bc_env_percpu_free(void *percpu);
void *bc_env_percpu_slot(void *percpu, unsigned int cpu);
void bc_env_percpu_add(void *percpu, unsigned long offset, unsigned long long n);

/* Object caches of one object size (kmem_cache in the kernel). */
struct bc_env_cache;
struct bc_env_cache *bc_env_cache_create(const char *name, unsigned long size);
void bc_env_cache_destroy(struct bc_env_cache *cache);
/*
 * How a cache allocation may wait, after mm/mempool.c's rules:
 *   NOWAIT  never sleeps, no reclaim of its own, no warning, no emergency reserves (the
 *           reserve is the answer to failure);
 *   IO      the I/O path's one waiting attempt before it sleeps on the reserve: may
 *           reclaim (inside the caller's NOIO scope) but not retry, never dips into the
 *           emergency reserves even for a PF_MEMALLOC caller (kswapd swapping through us),
 *           no warning: mempool_alloc's __GFP_NORETRY | __GFP_NOMEMALLOC | __GFP_NOWARN;
 *   CONFIG  configuration paths (a reserve growing): an ordinary sleeping allocation.
 */
enum bc_alloc_wait { BC_ALLOC_NOWAIT, BC_ALLOC_IO, BC_ALLOC_CONFIG };
void *bc_env_cache_alloc(struct bc_env_cache *cache, enum bc_alloc_wait wait);
void bc_env_cache_free(struct bc_env_cache *cache, void *object);

/* Read-side sections for the lifetime of a target (rcu_read_lock/unlock and
 * synchronize_rcu in the kernel). A child's completion may still touch its target (a
 * wake of the mapper's queue) after the count-down that lets the parent end, and once
 * the parent has ended DM may destroy the target. So every child completion runs inside a
 * section, and destroying a target first waits in bc_env_synchronize_rcu() for every
 * section begun before it. Sections nest and must not sleep. */
void bc_env_rcu_read_lock(void);
void bc_env_rcu_read_unlock(void);
void bc_env_synchronize_rcu(void);

/* A sleeping lock for configuration paths (creating and destroying shared caches). */
void bc_env_config_lock(void);
void bc_env_config_unlock(void);

/* Nonzero when the caller runs inside a NOIO scope (memalloc_noio_save) or cannot
 * sleep at all: an I/O-path allocation outside one is a bug that core/ counts. */
int bc_env_noio_active(void);

/* Deadlock avoidance under submit recursion (Overstreet and Heo, "block: Avoid deadlocks with bio allocation by stacking drivers", 2012). bc_env_task_has_parked():
 * nonzero when the caller runs under submit_bio and bios are still parked on its
 * current->bio_list (they cannot complete before it returns). A rescuer belongs to one
 * BioSet (owner); bc_env_rescue_parked() moves the parked bios of that owner (see
 * bc_bio_owner) to the rescuer's worker, which submits them, and returns how many. */
struct bc_env_rescuer;
struct bc_env_rescuer *bc_env_rescuer_create(const void *owner);
void bc_env_rescuer_destroy(struct bc_env_rescuer *rescuer); /* after its last bio */
int bc_env_task_has_parked(void);
unsigned int bc_env_rescue_parked(struct bc_env_rescuer *rescuer);

#ifdef __cplusplus
}
#endif

#endif /* BIOCHAIN_ABI_ENV_H */
