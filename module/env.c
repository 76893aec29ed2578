// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel environment of core/ (core/abi/): memory, locks, waits, per-CPU sections,
 * object caches, NOIO state, the configuration lock. The rescuer and child bios are in
 * rescuer.c and child_bio.c. core/ decides what to allocate and when it may wait; this
 * file only translates that into kernel calls.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "abi/env.h"
#include "biochain.h"
#include "compat.h"

/*
 * Every object core/ holds, counted, so that tests can prove nothing leaks: after a failed
 * constructor or a `dmsetup remove` the count is back where it was. Read it from
 * /sys/kernel/debug/biochain/live_allocations.
 */
static atomic_t live_allocations = ATOMIC_INIT(0);

void *bc_env_alloc(unsigned long size, int may_wait)
{
	/*
	 * may_wait allocations come from configuration paths (ctr, message) or from inside a
	 * memalloc_noio scope the module entered (biochain_split): no GFP_NOIO here, the
	 * scope is what keeps reclaim from issuing I/O (Michal Hocko, "GFP masks used from
	 * FS/IO context").
	 */
	void *ptr = kmalloc(size, may_wait ? GFP_KERNEL : GFP_NOWAIT | __GFP_NOWARN);

	if (ptr)
		atomic_inc(&live_allocations);
	return ptr;
}

void bc_env_free(void *ptr)
{
	if (!ptr)
		return;
	atomic_dec(&live_allocations);
	kfree(ptr);
}

unsigned int bc_env_nr_cpus(void)
{
	return nr_cpu_ids;
}

int biochain_env_init(struct dentry *debugfs_dir)
{
	debugfs_create_atomic_t("live_allocations", 0444, debugfs_dir, &live_allocations);
	return 0;
}

void biochain_env_exit(void)
{
	int live = atomic_read(&live_allocations);

	WARN(live, "biochain: %d core allocations leaked\n", live);
}

/* ------------------------------------------------------------------ locks, waits */

static_assert(sizeof(spinlock_t) <= sizeof(struct bc_lock), "bc_lock too small for spinlock_t");
static_assert(sizeof(wait_queue_head_t) <= sizeof(struct bc_waitq), "bc_waitq too small");

/* One lockdep class per kind of lock (spin_lock_init() alone would put every core/ lock in
 * the one class of its call site here, and report a mirror's state lock taken around its
 * region sync's as recursive locking). */
static struct lock_class_key bc_lock_keys[BC_LOCK_NR_CLASSES];
static const char *const bc_lock_names[BC_LOCK_NR_CLASSES] = {
	[BC_LOCK_MEMPOOL] = "biochain_mempool",
	[BC_LOCK_DEPOT] = "biochain_depot",
	[BC_LOCK_TARGET_STATE] = "biochain_target_state",
	[BC_LOCK_REGION_SYNC] = "biochain_region_sync",
	[BC_LOCK_DIRTY_LOG] = "biochain_dirty_log",
};

void bc_env_lock_init(struct bc_lock *lock, enum bc_lock_class lock_class)
{
	spinlock_t *spinlock = (spinlock_t *)lock->opaque;

	spin_lock_init(spinlock);
	/* (a class without a name would turn lockdep off altogether) */
	if (WARN_ON_ONCE((unsigned int)lock_class >= BC_LOCK_NR_CLASSES || !bc_lock_names[lock_class]))
		return;
	lockdep_set_class_and_name(spinlock, &bc_lock_keys[lock_class], bc_lock_names[lock_class]);
}

void bc_env_lock_destroy(struct bc_lock *lock)
{
}

unsigned long bc_env_lock_irqsave(struct bc_lock *lock)
{
	unsigned long flags;

	spin_lock_irqsave((spinlock_t *)lock->opaque, flags);
	return flags;
}

void bc_env_unlock_irqrestore(struct bc_lock *lock, unsigned long flags)
{
	spin_unlock_irqrestore((spinlock_t *)lock->opaque, flags);
}

void bc_env_waitq_init(struct bc_waitq *waitq)
{
	init_waitqueue_head((wait_queue_head_t *)waitq->opaque);
}

void bc_env_waitq_destroy(struct bc_waitq *waitq)
{
}

void bc_env_wait_until(struct bc_waitq *waitq, int (*ready)(void *arg), void *arg)
{
	/* Uninterruptible: the caller holds I/O that must complete. The hung-task detector
	 * watches this sleep, so a lost wakeup shows up as a report, not a silent hang. */
	wait_event(*(wait_queue_head_t *)waitq->opaque, ready(arg));
}

void bc_env_wake_all(struct bc_waitq *waitq)
{
	wait_queue_head_t *head = (wait_queue_head_t *)waitq->opaque;

	/*
	 * The I/O path wakes far more often than anyone waits (Chain::end whenever a parent's
	 * last child in flight ends while its mapper still issues): skip the queue's lock
	 * when it is empty. wq_has_sleeper()'s barrier pairs with the one in wait_event()'s
	 * prepare_to_wait(), so a waiter that queued itself before our change of its
	 * condition is seen, and one that queues after sees the change.
	 */
	if (wq_has_sleeper(head))
		wake_up_all(head);
}

void bc_env_rcu_read_lock(void)
{
	rcu_read_lock();
}

void bc_env_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

void bc_env_synchronize_rcu(void)
{
	synchronize_rcu();
}

static DEFINE_MUTEX(config_mutex);

void bc_env_config_lock(void)
{
	mutex_lock(&config_mutex);
}

void bc_env_config_unlock(void)
{
	mutex_unlock(&config_mutex);
}

int bc_env_noio_active(void)
{
	return in_interrupt() || (current->flags & PF_MEMALLOC_NOIO) ? 1 : 0;
}

/* ------------------------------------------------------------------ object caches */

struct bc_env_cache *bc_env_cache_create(const char *name, unsigned long size)
{
	return (struct bc_env_cache *)kmem_cache_create(name, size, 0, SLAB_HWCACHE_ALIGN, NULL);
}

void bc_env_cache_destroy(struct bc_env_cache *cache)
{
	kmem_cache_destroy((struct kmem_cache *)cache);
}

void *bc_env_cache_alloc(struct bc_env_cache *cache, enum bc_alloc_wait wait)
{
	/* mm/mempool.c's flags (see core/abi/env.h); IO runs inside the mapper's NOIO scope */
	static const gfp_t gfp[] = {
		[BC_ALLOC_NOWAIT] = GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC,
		[BC_ALLOC_IO] = GFP_KERNEL | __GFP_NORETRY | __GFP_NOMEMALLOC | __GFP_NOWARN,
		[BC_ALLOC_CONFIG] = GFP_KERNEL,
	};

	return kmem_cache_alloc((struct kmem_cache *)cache, gfp[wait]);
}

void bc_env_cache_free(struct bc_env_cache *cache, void *object)
{
	kmem_cache_free((struct kmem_cache *)cache, object);
}

/* ------------------------------------------------------------------ per-CPU */

void *bc_env_percpu_enter(void *percpu, int *irq, unsigned long *token)
{
	*irq = in_interrupt() ? 1 : 0; /* in_interrupt() is a preempt_count mask, not 0/1 */
	if (*irq)
		local_irq_save(*token);
	else
		preempt_disable();
	return this_cpu_ptr(biochain_percpu_from_core(percpu));
}

void bc_env_percpu_leave(int irq, unsigned long token)
{
	if (irq)
		local_irq_restore(token);
	else
		preempt_enable();
}

unsigned long bc_env_irq_save(void)
{
	unsigned long flags;

	local_irq_save(flags);
	return flags;
}

void bc_env_irq_restore(unsigned long flags)
{
	local_irq_restore(flags);
}

void *bc_env_percpu_alloc(unsigned long size)
{
	void __percpu *percpu = __alloc_percpu(size, sizeof(u64));

	if (percpu)
		atomic_inc(&live_allocations);
	return biochain_percpu_to_core(percpu);
}

void bc_env_percpu_free(void *percpu)
{
	if (!percpu)
		return;
	atomic_dec(&live_allocations);
	free_percpu(biochain_percpu_from_core(percpu));
}

void *bc_env_percpu_slot(void *percpu, unsigned int cpu)
{
	return cpu_possible(cpu) ? per_cpu_ptr(biochain_percpu_from_core(percpu), cpu) : NULL;
}

void bc_env_percpu_add(void *percpu, unsigned long offset, unsigned long long n)
{
	this_cpu_add(*biochain_percpu_u64(percpu, offset), n);
}
