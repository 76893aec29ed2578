// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel environment of core/ (core/abi.h): memory, CPU identity. core/ decides
 * what to allocate and when it may wait; this file only translates that into kernel calls.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include "abi.h"
#include "shim.h"

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
	 * memalloc_noio scope the shim entered: no GFP_NOIO here (seed 001).
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

unsigned int bc_env_cpu(void)
{
	return raw_smp_processor_id();
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
