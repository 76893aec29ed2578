// SPDX-License-Identifier: GPL-2.0
/* 6.14 and later: kthread_create_worker_on_cpu() takes a name "name.*%u" that it fills in
 * itself and no longer wakes the thread; kthread_run_worker_on_cpu() creates and wakes. */
#include <linux/kthread.h>

static __maybe_unused struct kthread_worker *probe(int cpu)
{
	return kthread_run_worker_on_cpu(cpu, 0, "probe/%u");
}
