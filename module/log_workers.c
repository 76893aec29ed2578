// SPDX-License-Identifier: GPL-2.0
/*
 * The threads that queue the disk logs' passes: one per CPU (online when the first disk
 * log came), SCHED_BATCH, shared by every disk log of the module, created with the first
 * log and stopped with the last. The pass itself runs on its log's own workqueue.
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
 * for it (both passes run on their logs' own queues, each with its rescuer). A CPU that
 * comes online later has no thread: its kicks queue the pass at once
 * (biochain_log_worker() returns NULL). A thread whose CPU goes offline while it has work
 * is moved by the scheduler and goes on, unbound from then on (kthread_bind's threads
 * are not per-CPU kthreads): the kicks of that CPU are then queued wherever it runs,
 * and its batching is lost until the last disk log goes (no hotplug callback binds it
 * again).
 */
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <uapi/linux/sched/types.h>

#include "biochain.h"
#include "compat.h"

static DEFINE_MUTEX(biochain_log_workers_lock);
/* nr_cpu_ids of them, NULL where none; set while users > 0 (under the lock) */
static struct kthread_worker **biochain_log_workers;
static unsigned int biochain_log_workers_users;

static void biochain_log_workers_stop(struct kthread_worker **workers)
{
	unsigned int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		if (workers[cpu])
			kthread_destroy_worker(workers[cpu]); /* flushes what is queued */
	kfree(workers);
}

/* A disk log's constructor (process context): the threads, made by the first. */
int biochain_log_workers_get(void)
{
	const struct sched_attr batch = { .size = sizeof(batch), .sched_policy = SCHED_BATCH };
	struct kthread_worker **workers;
	struct kthread_worker *worker;
	unsigned int cpu;
	int ret = 0;

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
	/* A CPU that goes meanwhile leaves a thread the scheduler moves, as any later. */
	for_each_online_cpu(cpu) {
		worker = biochain_kthread_worker_on_cpu(cpu, "biochain_log/%u");
		if (IS_ERR(worker)) {
			ret = PTR_ERR(worker);
			break;
		}
		workers[cpu] = worker;
		ret = sched_setattr_nocheck(worker->task, &batch);
		if (ret)
			break;
	}
	if (ret) {
		biochain_log_workers_stop(workers);
		goto out;
	}
	biochain_log_workers = workers;
	biochain_log_workers_users = 1;
out:
	mutex_unlock(&biochain_log_workers_lock);
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
 * NULL when that CPU has none (online only since). */
struct kthread_worker *biochain_log_worker(unsigned int cpu)
{
	struct kthread_worker **workers = READ_ONCE(biochain_log_workers);

	return workers ? workers[cpu] : NULL;
}
