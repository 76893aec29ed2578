// SPDX-License-Identifier: GPL-2.0
/*
 * A mirror's life beside its I/O: the resync worker that copies regions core/ names from
 * the source leg to the others, the event that tells a watcher (dmsetup wait, dmeventd)
 * a leg failed or a resync completed, and the state a reload carries from a table to the
 * next (core/'s bc_target_mirror_state_*, kept here between the old table's suspend and
 * the new one's resume, as dm-raid1's core log lives as long as the device). What to copy
 * and what a state means are core/'s; this file moves pages and keeps buffers.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "abi/target.h"
#include "biochain.h"
#include "compat.h"

#define DM_MSG_PREFIX "biochain"

/* The copy goes in pieces of this many pages: 256 KiB, read once, written to each leg. */
#define BIOCHAIN_RESYNC_PAGES 64

struct biochain_mirror {
	struct biochain *bc;
	struct dm_target *ti;
	struct workqueue_struct *resync_wq; /* its own: a resync waits for writes to drain */
	struct work_struct resync_work;
	struct work_struct event_work;
	spinlock_t lock;
	bool running; /* resumed: the worker may run (under lock) */
	wait_queue_head_t pace; /* the worker's wait for max_recovery_rate; a stop wakes it */
	struct bio bio;
	struct bio_vec vecs[BIOCHAIN_RESYNC_PAGES];
	struct page *pages[BIOCHAIN_RESYNC_PAGES];
	/* The state for the table that replaces this one: filled at postsuspend, into a
	 * buffer allocated at load (no allocation on the suspend path: the device may be
	 * what reclaim writes to), handed over by the list below. */
	void *state;
	unsigned long state_size;
	/* the mapped_device and where the target begins in it: a reload keeps both, a new
	 * device has its own, and two mirrors in one table begin at different sectors */
	const void *key;
	sector_t begin;
	struct list_head saved; /* on biochain_saved_states while the state waits */
};

static LIST_HEAD(biochain_saved_states);
static DEFINE_MUTEX(biochain_saved_lock);

/* One synchronous piece of the copy: sectors at sector of bdev, through the pages. */
static int biochain_resync_rw(struct biochain_mirror *m, struct block_device *bdev, blk_opf_t opf,
			      sector_t sector, unsigned int sectors)
{
	unsigned int bytes = sectors << SECTOR_SHIFT, i;
	int ret;

	bio_init(&m->bio, bdev, m->vecs, BIOCHAIN_RESYNC_PAGES, opf);
	m->bio.bi_iter.bi_sector = sector;
	for (i = 0; bytes; i++) {
		unsigned int len = min_t(unsigned int, bytes, PAGE_SIZE);

		__bio_add_page(&m->bio, m->pages[i], len, 0);
		bytes -= len;
	}
	ret = submit_bio_wait(&m->bio);
	bio_uninit(&m->bio);
	return ret;
}

/*
 * The table's max_recovery_rate (bc_target_resync_pause): waits until the next region may
 * be copied, having copied `copied` bytes since start (an hour at most at a time, for
 * the jiffies). False when the worker is to stop meanwhile: a suspend wakes it at once.
 * An idle wait: a paced resync is no load.
 */
static bool biochain_resync_paced(struct biochain_mirror *m, u64 start, u64 copied)
{
	u64 pause;

	while ((pause = bc_target_resync_pause(m->bc->core, copied, ktime_get_ns() - start)))
		if (wait_event_idle_timeout(m->pace, !READ_ONCE(m->running),
					    nsecs_to_jiffies(min_t(u64, pause, 3600 * NSEC_PER_SEC)) + 1))
			return false;
	return READ_ONCE(m->running);
}

/*
 * Region after region until core/ has none out of sync, the device suspends, or no leg
 * can be a source. core/ holds writes to the region back from begin to end; the rate
 * counts from this run's start (a suspend starts it anew).
 */
static void biochain_resync_work(struct work_struct *work)
{
	struct biochain_mirror *m = container_of(work, struct biochain_mirror, resync_work);
	const sector_t piece = BIOCHAIN_RESYNC_PAGES << (PAGE_SHIFT - SECTOR_SHIFT);
	unsigned int noio = memalloc_noio_save();
	const u64 start = ktime_get_ns();
	struct bc_resync_job job;
	u64 copied = 0;

	while (biochain_resync_paced(m, start, copied) && bc_target_resync_begin(m->bc->core, &job) > 0) {
		unsigned int failed = 0, leg;
		int read_error = 0;
		sector_t done;

		for (done = 0; done < job.sectors && !read_error; done += piece) {
			unsigned int n = min_t(sector_t, piece, job.sectors - done);

			read_error = biochain_resync_rw(m, m->bc->bdevs[job.source], REQ_OP_READ,
							job.leg_sector[job.source] + done, n);
			for (leg = 0; !read_error && leg < m->bc->nr_legs; leg++)
				if ((job.legs & ~failed) >> leg & 1 &&
				    biochain_resync_rw(m, m->bc->bdevs[leg], REQ_OP_WRITE | REQ_SYNC,
						       job.leg_sector[leg] + done, n))
					failed |= 1u << leg;
		}
		bc_target_resync_end(m->bc->core, &job, read_error, failed);
		copied += job.sectors << SECTOR_SHIFT;
		cond_resched();
	}
	memalloc_noio_restore(noio);
}

/* core/'s ops->resync: any context. Only while resumed; resume looks again. */
void biochain_mirror_resync(struct biochain *bc)
{
	struct biochain_mirror *m = bc->mirror;
	unsigned long flags;

	if (!m)
		return;
	spin_lock_irqsave(&m->lock, flags);
	if (m->running)
		queue_work(m->resync_wq, &m->resync_work);
	spin_unlock_irqrestore(&m->lock, flags);
}

static void biochain_event_work(struct work_struct *work)
{
	struct biochain_mirror *m = container_of(work, struct biochain_mirror, event_work);

	dm_table_event(m->ti->table); /* takes a mutex: not from completion context */
}

/* core/'s ops->event: any context. */
void biochain_mirror_event(struct biochain *bc)
{
	if (bc->mirror)
		schedule_work(&bc->mirror->event_work);
}

int biochain_mirror_create(struct biochain *bc, struct dm_target *ti, const char **error)
{
	unsigned long size = bc_target_mirror_state_size(bc->core);
	struct biochain_mirror *m;
	unsigned int i;

	if (!size)
		return 0; /* not a mirror */
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		goto nomem;
	m->bc = bc;
	m->ti = ti;
	m->key = dm_table_get_md(ti->table);
	m->begin = ti->begin;
	spin_lock_init(&m->lock);
	init_waitqueue_head(&m->pace);
	INIT_WORK(&m->resync_work, biochain_resync_work);
	INIT_WORK(&m->event_work, biochain_event_work);
	INIT_LIST_HEAD(&m->saved);
	bc->mirror = m;
	m->state_size = size;
	m->state = kvmalloc(size, GFP_KERNEL);
	m->resync_wq = alloc_workqueue("biochain_resync", WQ_MEM_RECLAIM | BIOCHAIN_WQ_PERCPU, 1);
	if (!m->state || !m->resync_wq)
		goto nomem;
	for (i = 0; i < BIOCHAIN_RESYNC_PAGES; i++) {
		m->pages[i] = alloc_page(GFP_KERNEL);
		if (!m->pages[i])
			goto nomem;
	}
	return 0;
nomem:
	*error = "Cannot allocate the mirror's resync buffer";
	return -ENOMEM;
}

void biochain_mirror_destroy(struct biochain *bc)
{
	struct biochain_mirror *m = bc->mirror;
	unsigned int i;

	if (!m)
		return;
	biochain_mirror_stop(bc);
	mutex_lock(&biochain_saved_lock);
	list_del_init(&m->saved); /* a state nobody took: the device went */
	mutex_unlock(&biochain_saved_lock);
	flush_work(&m->event_work);
	if (m->resync_wq)
		destroy_workqueue(m->resync_wq);
	for (i = 0; i < BIOCHAIN_RESYNC_PAGES; i++)
		if (m->pages[i])
			__free_page(m->pages[i]);
	kvfree(m->state);
	kfree(m);
	bc->mirror = NULL;
}

/* presuspend (and destroy): the worker finishes its region and stops. */
void biochain_mirror_stop(struct biochain *bc)
{
	struct biochain_mirror *m = bc->mirror;

	if (!m)
		return;
	spin_lock_irq(&m->lock);
	m->running = false;
	spin_unlock_irq(&m->lock);
	wake_up(&m->pace); /* a worker waiting for its rate stops now */
	if (m->resync_wq)
		flush_work(&m->resync_work);
}

/* postsuspend: nothing in flight; the state waits for the table that resumes next. */
void biochain_mirror_save(struct biochain *bc)
{
	struct biochain_mirror *m = bc->mirror;

	if (!m)
		return;
	bc_target_mirror_state_save(bc->core, m->state);
	mutex_lock(&biochain_saved_lock);
	list_del_init(&m->saved);
	list_add(&m->saved, &biochain_saved_states);
	mutex_unlock(&biochain_saved_lock);
}

/*
 * preresume: the state the device's previous table left, if any (a reload), before any
 * I/O of this one. The previous table is destroyed only after this resume, so its
 * buffer is still there; its own state (a suspend and resume without reload) is
 * already this table's.
 */
void biochain_mirror_take(struct biochain *bc)
{
	struct biochain_mirror *m = bc->mirror, *old, *found = NULL;

	if (!m)
		return;
	mutex_lock(&biochain_saved_lock);
	list_for_each_entry(old, &biochain_saved_states, saved) {
		if (old->key == m->key && old->begin == m->begin) {
			found = old;
			break;
		}
	}
	if (found) {
		list_del_init(&found->saved);
		if (found != m && bc_target_mirror_state_load(bc->core, found->state, found->state_size))
			DMWARN("%s: the previous table's mirror state was not a mirror's: ignored",
			       dm_table_device_name(m->ti->table));
	}
	mutex_unlock(&biochain_saved_lock);
}

/* resume: the worker may run, and does if regions are out of sync. */
void biochain_mirror_start(struct biochain *bc)
{
	struct biochain_mirror *m = bc->mirror;

	if (!m)
		return;
	spin_lock_irq(&m->lock);
	m->running = true;
	spin_unlock_irq(&m->lock);
	if (bc_target_resync_wanted(bc->core))
		biochain_mirror_resync(bc);
}
