// SPDX-License-Identifier: GPL-2.0
/*
 * The threads that queue the disk logs' passes: one per online CPU (and for a CPU that
 * comes online later: see CPU hotplug below), SCHED_BATCH, shared by every disk log of
 * the module, created with the first log and stopped with the last. The pass itself runs
 * on its log's own workqueue.
 *
 * Why not queue the pass at once: a write whose region's bit is not on the log yet kicks
 * a pass from its submitter's CPU. A per-CPU kworker woken there preempts the submitter
 * at once (it is SCHED_NORMAL and has slept), so the pass is written before the
 * submitter can issue its next write, and a submitter that keeps many writes in flight
 * pays a pass, two context switches and a FUA write per deferred write: with 4k random
 * writes at QD32 from one fio job over null_blk (6.1, TCG), 1.1 writes a pass. The
 * scheduler does not preempt for a SCHED_BATCH task that wakes up (check_preempt_wakeup,
 * check_preempt_wakeup_fair since 6.6), and otherwise treats it as any nice-0 task: the
 * thread runs when the submitter blocks or its time slice ends, on the same CPU, and the
 * pass it queues then carries every write deferred until then (18 a pass); a submitter
 * that waits for its write (QD1) blocks at once, and its pass is queued at once. One that
 * does not block (it spins: io_uring IOPOLL) would hold the pass for its time slice: a
 * polled write queues its pass at once (biochain_log_kick_now). An unbound queue or
 * another CPU would also leave the submitter running, but costs a QD1 writer the wake of
 * an idle CPU for each pass (0.3x at QD1 under TCG). md's raid1d and dm-raid1's kmirrord
 * gather writes in a worker for the same reason: a bitmap or log write shared by many
 * writes.
 *
 * The threads only queue work: nothing they run sleeps or waits for I/O, so one log's
 * stalled device holds no other log's pass back, and a mirror whose log lies on another
 * disk-log mirror kicks the lower log's pass through the same thread without waiting
 * for it (both passes run on their logs' own queues, each with its rescuer).
 *
 * CPU hotplug: a thread that is runnable when its CPU goes offline is moved by the
 * scheduler and goes on, unbound (kthread_bind's threads are not per-CPU kthreads, which
 * modules cannot make), its queued kicks run wherever it lands; a sleeping one keeps its
 * CPU (nothing kicks it while the CPU is away). A CPU that comes online, again or for the
 * first time since the threads were made, gets its thread bound to it again, or a new
 * one. Not in the hotplug callback itself, which runs with the hotplug lock held for
 * writing, in line with every other CPU's bring-up: a thread's creation allocates and
 * waits for kthreadd. The callback queues a work item that takes the hotplug lock for
 * reading, so it runs once the CPU is up. Until then that CPU's kicks go through its
 * moved thread, or queue the pass at once where it has none (biochain_log_worker()
 * returns NULL). Without the callback (no dynamic hotplug state left at load) the threads
 * are as they were made.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <uapi/linux/sched/types.h>

#include "biochain.h"
#include "compat.h"

/* Taken inside the CPU hotplug lock (cpus_read_lock), never around it. */
static DEFINE_MUTEX(biochain_log_workers_lock);
/* nr_cpu_ids of them, NULL where none; set while users > 0 (under the lock) */
static struct kthread_worker **biochain_log_workers;
static unsigned int biochain_log_workers_users;
static enum cpuhp_state biochain_log_workers_cpuhp; /* 0: not registered */

/* cpu's thread, SCHED_BATCH, bound to it (the CPU online, under cpus_read_lock). */
static struct kthread_worker *biochain_log_worker_create(unsigned int cpu)
{
	const struct sched_attr batch = { .size = sizeof(batch), .sched_policy = SCHED_BATCH };
	struct kthread_worker *worker = biochain_kthread_worker_on_cpu(cpu, "biochain_log/%u");
	int ret;

	if (IS_ERR(worker))
		return worker;
	ret = sched_setattr_nocheck(worker->task, &batch);
	if (ret) {
		kthread_destroy_worker(worker);
		return ERR_PTR(ret);
	}
	return worker;
}

static void biochain_log_workers_stop(struct kthread_worker **workers)
{
	unsigned int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		if (workers[cpu])
			kthread_destroy_worker(workers[cpu]); /* flushes what is queued */
	kfree(workers);
}

/* A disk log's constructor (process context): the threads, made by the first, for the
 * CPUs online (no CPU comes or goes meanwhile). */
int biochain_log_workers_get(void)
{
	struct kthread_worker **workers;
	struct kthread_worker *worker;
	unsigned int cpu;
	int ret = 0;

	cpus_read_lock();
	mutex_lock(&biochain_log_workers_lock);
	if (biochain_log_workers_users) {
		biochain_log_workers_users++;
		goto out;
	}
	workers = kcalloc(nr_cpu_ids, sizeof(*workers), GFP_KERNEL);
	if (!workers) {
		ret = -ENOMEM;
		goto out;
	}
	for_each_online_cpu(cpu) {
		worker = biochain_log_worker_create(cpu);
		if (IS_ERR(worker)) {
			ret = PTR_ERR(worker);
			break;
		}
		workers[cpu] = worker;
	}
	if (ret) {
		biochain_log_workers_stop(workers);
		goto out;
	}
	/* published to biochain_log_worker(), which reads it without the lock */
	smp_store_release(&biochain_log_workers, workers);
	biochain_log_workers_users = 1;
out:
	mutex_unlock(&biochain_log_workers_lock);
	cpus_read_unlock();
	return ret;
}

/* A disk log's destructor, once none of its passes is queued: the last stops them. */
void biochain_log_workers_put(void)
{
	struct kthread_worker **workers = NULL;

	mutex_lock(&biochain_log_workers_lock);
	if (!WARN_ON_ONCE(!biochain_log_workers_users) && !--biochain_log_workers_users) {
		workers = biochain_log_workers;
		biochain_log_workers = NULL;
	}
	mutex_unlock(&biochain_log_workers_lock);
	if (workers)
		biochain_log_workers_stop(workers);
}

/* Any context, by a holder of a reference (biochain_log_workers_get): cpu's thread, or
 * NULL when that CPU has none (online since, its thread not made yet). */
struct kthread_worker *biochain_log_worker(unsigned int cpu)
{
	struct kthread_worker **workers = smp_load_acquire(&biochain_log_workers);

	return workers ? smp_load_acquire(&workers[cpu]) : NULL;
}

/*
 * Every online CPU's thread bound to it again (the scheduler moved it when the CPU went
 * offline), or made (the CPU came online since the threads were). Under cpus_read_lock:
 * a hotplug in progress has ended, the CPUs online are active, and none goes meanwhile.
 * A thread that cannot be made leaves that CPU's kicks queueing the pass at once.
 */
static void biochain_log_workers_rebind(struct work_struct *work)
{
	struct kthread_worker **workers;
	struct kthread_worker *worker;
	unsigned int cpu;

	cpus_read_lock();
	mutex_lock(&biochain_log_workers_lock);
	workers = biochain_log_workers;
	for_each_online_cpu(cpu) {
		if (!workers) /* no disk log: no threads to bind or make */
			break;
		worker = workers[cpu];
		if (worker) {
			if (!cpumask_equal(worker->task->cpus_ptr, cpumask_of(cpu)))
				set_cpus_allowed_ptr(worker->task, cpumask_of(cpu));
			continue;
		}
		worker = biochain_log_worker_create(cpu);
		if (IS_ERR(worker)) {
			pr_warn("biochain: no log thread for CPU %u (%ld): its kicks queue the pass at once\n",
				cpu, PTR_ERR(worker));
			continue;
		}
		smp_store_release(&workers[cpu], worker); /* as biochain_log_workers */
	}
	mutex_unlock(&biochain_log_workers_lock);
	cpus_read_unlock();
}
static DECLARE_WORK(biochain_log_workers_rebind_work, biochain_log_workers_rebind);

/* The hotplug callback, on the CPU coming up, the hotplug lock held for writing. */
static int biochain_log_cpu_online(unsigned int cpu)
{
	schedule_work(&biochain_log_workers_rebind_work);
	return 0;
}

/* Module load: the hotplug callback registered (without calls for the CPUs online now).
 * The dynamic states are few (30): without one, the module loads all the same. */
void biochain_log_workers_init(void)
{
	int ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "dm/biochain_log:online",
					    biochain_log_cpu_online, NULL);

	if (ret < 0) {
		pr_warn("biochain: no CPU hotplug state (%d): log threads are not bound to CPUs that come online\n",
			ret);
		return;
	}
	biochain_log_workers_cpuhp = ret;
}

/* Module unload (no disk log left): the callback gone, its work item ended. */
void biochain_log_workers_exit(void)
{
	if (biochain_log_workers_cpuhp)
		cpuhp_remove_state_nocalls(biochain_log_workers_cpuhp);
	cancel_work_sync(&biochain_log_workers_rebind_work);
}
