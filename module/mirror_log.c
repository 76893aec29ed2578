// SPDX-License-Identifier: GPL-2.0
/*
 * A mirror's disk log (the table's `log <dev> <offset>`): the device, its I/O and its
 * worker. core/ decides what is written when (core/target/dirty_log.h) and what the
 * blocks hold (core/target/log_format.h); this file opens the device, checks it at load,
 * reads the log before the table's first I/O, and runs the passes (each block written
 * with FUA, the bitmap before the header) and the cleaning rounds (every live leg
 * flushed, then the bits of the regions no write has touched since cleared), as md's
 * bitmap daemon and dm-raid1's disk log do. The passes a write asks for are queued
 * through the module's log threads (log_workers.c), on the writer's CPU, once it lets
 * the CPU go.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "abi/table.h"
#include "abi/target.h"
#include "biochain.h"
#include "compat.h"

#define DM_MSG_PREFIX "biochain"

/* core/'s block (kLogBlockBytes): one page here. */
#define BIOCHAIN_LOG_BLOCK 4096
#define BIOCHAIN_LOG_BLOCK_SECTORS (BIOCHAIN_LOG_BLOCK >> SECTOR_SHIFT)
static_assert(PAGE_SIZE >= BIOCHAIN_LOG_BLOCK);
/* How often the dirty bits of idle regions are cleared: md's default daemon_sleep. */
#define BIOCHAIN_LOG_CLEAN_INTERVAL (5 * HZ)

/* A log's kick, queued to one CPU's log thread (a kthread_work keeps to one worker). */
struct biochain_log_kick_work {
	struct kthread_work work;
	struct biochain_log *log;
};

struct biochain_log {
	struct biochain *bc;
	struct dm_dev *dev;
	sector_t offset;
	struct workqueue_struct *wq; /* its own, WQ_MEM_RECLAIM: writes wait for its passes */
	/* The maps of the writes a pass let through (biochain_queue_deferred): a queue and a
	 * rescuer of their own, since one may wait at a resync's gate for writes whose next
	 * turn, or held end, is on the retry queue. */
	struct workqueue_struct *map_wq;
	struct work_struct pass_work; /* on wq */
	/* nr_cpu_ids of them, each queueing pass_work from its CPU's log thread once the
	 * writer that kicked it lets the CPU go; set once the threads are held */
	struct biochain_log_kick_work *kick_works;
	struct delayed_work clean_work;
	struct mutex io_lock;	 /* one pass at a time, and the page */
	struct mutex clean_lock; /* one cleaning round at a time: its flushes hold no pass back */
	struct page *page;
	bool cleaning; /* resumed: rounds run (under clean_lock) */
	/* Writes waiting for a pass (biochain_log_defer), mapped by the dispatcher, a work
	 * item on the instance's retry queue, after each pass: one worker for all of them,
	 * however many there are, none waiting on the log's own queue. */
	spinlock_t deferred_lock;
	struct bio_list deferred;
	struct work_struct dispatch_work;
};

/* One block of the log, synchronously, through the page (on-stack bio: no allocation). */
static int biochain_log_io(struct biochain_log *log, blk_opf_t opf, u64 block)
{
	struct bio_vec vec;
	struct bio bio;
	int ret;

	bio_init(&bio, log->dev->bdev, &vec, 1, opf);
	bio.bi_iter.bi_sector = log->offset + block * BIOCHAIN_LOG_BLOCK_SECTORS;
	__bio_add_page(&bio, log->page, BIOCHAIN_LOG_BLOCK, 0);
	ret = submit_bio_wait(&bio);
	bio_uninit(&bio);
	return ret;
}

/* A pass: whatever core/ has pending, each block with FUA (it is on stable media when
 * the write ends): a new leg failure first, the bitmap blocks, then the header. Under
 * io_lock. */
static void biochain_log_pass(struct biochain_log *log)
{
	const blk_opf_t opf = REQ_OP_WRITE | REQ_SYNC | REQ_FUA;
	struct bc_target *core = log->bc->core;
	struct bc_log_pass pass;
	unsigned long long block;
	bool any;
	int ret = 0;

	if (bc_target_log_pass_begin(core, &pass)) {
		if (pass.pre_header) {
			bc_target_log_pass_header(core, &pass, page_address(log->page), 1);
			ret = biochain_log_io(log, opf, pass.header_block);
		}
		while (!ret && bc_target_log_pass_block(core, &pass, &block, page_address(log->page)))
			ret = biochain_log_io(log, opf, block);
		if (!ret && pass.header) {
			bc_target_log_pass_header(core, &pass, page_address(log->page), 0);
			ret = biochain_log_io(log, opf, pass.header_block);
		}
		if (ret)
			DMERR("%pg: the mirror log's write failed (%d): the log is failed", log->dev->bdev, ret);
	}
	bc_target_log_pass_end(core, &pass, ret);
	/* Under the lock a write is deferred under, after the pass is published: a write
	 * deferred meanwhile either is seen here or sees the pass written (it reads that
	 * after its own unlock) and queues the dispatcher itself. */
	spin_lock_irq(&log->deferred_lock);
	any = !bio_list_empty(&log->deferred);
	spin_unlock_irq(&log->deferred_lock);
	if (any)
		queue_work(log->bc->retry_wq, &log->dispatch_work);
}

/* The writes whose pass is written go down, each from a work item of its own (a write
 * that waits there, for a resync of its region or a throttled lower queue, holds no
 * other back); the others wait for the pass after (each pass's end queues this again). */
static void biochain_log_dispatch(struct work_struct *work)
{
	struct biochain_log *log = container_of(work, struct biochain_log, dispatch_work);
	struct biochain *bc = log->bc;
	struct bio_list ready = BIO_EMPTY_LIST, waiting = BIO_EMPTY_LIST, later = BIO_EMPTY_LIST;
	unsigned long long first_later = ULLONG_MAX, gen;
	struct bio *bio;

	spin_lock_irq(&log->deferred_lock);
	bio_list_merge(&waiting, &log->deferred);
	bio_list_init(&log->deferred);
	spin_unlock_irq(&log->deferred_lock);
	while ((bio = bio_list_pop(&waiting))) {
		gen = biochain_deferred_gen(bc, bio);
		if (bc_target_log_written(bc->core, gen)) {
			bio_list_add(&ready, bio);
		} else {
			bio_list_add(&later, bio);
			first_later = min(first_later, gen);
		}
	}
	if (!bio_list_empty(&later)) {
		spin_lock_irq(&log->deferred_lock);
		bio_list_merge_head(&log->deferred, &later);
		spin_unlock_irq(&log->deferred_lock);
		/* a pass that ended while they were off the list did not see them */
		if (bc_target_log_written(bc->core, first_later))
			queue_work(bc->retry_wq, &log->dispatch_work);
	}
	while ((bio = bio_list_pop(&ready)))
		biochain_queue_deferred(bc, bio);
}

struct workqueue_struct *biochain_log_map_wq(struct biochain *bc)
{
	return bc->log->map_wq;
}

void biochain_log_defer(struct biochain *bc, struct bio *bio, unsigned long long gen)
{
	struct biochain_log *log = bc->log;
	unsigned long flags;

	spin_lock_irqsave(&log->deferred_lock, flags);
	bio_list_add(&log->deferred, bio);
	spin_unlock_irqrestore(&log->deferred_lock, flags);
	/* its pass may have ended before it was on the list (biochain_log_pass) */
	if (bc_target_log_written(bc->core, gen))
		queue_work(bc->retry_wq, &log->dispatch_work);
}

static void biochain_log_pass_work(struct work_struct *work)
{
	struct biochain_log *log = container_of(work, struct biochain_log, pass_work);
	unsigned int noio = memalloc_noio_save();

	mutex_lock(&log->io_lock);
	biochain_log_pass(log);
	mutex_unlock(&log->io_lock);
	memalloc_noio_restore(noio);
}

/* On a log thread, once the writer that kicked the pass has let its CPU go: the pass is
 * queued, on this CPU, and gathers every write deferred until now. Nothing here sleeps
 * or waits for I/O, so the thread holds no log's pass back behind another's. */
static void biochain_log_kick_thread_work(struct kthread_work *work)
{
	struct biochain_log *log = container_of(work, struct biochain_log_kick_work, work)->log;

	queue_work(log->wq, &log->pass_work);
}

/* A cleaning round, then a pass that writes what it cleared. Under clean_lock; passes
 * go on meanwhile (writes wait for them, not for the legs' flushes). */
static void biochain_log_clean(struct biochain_log *log, bool idle)
{
	struct biochain *bc = log->bc;
	unsigned int live, leg;
	int flushed = 1;

	if (!bc_target_log_clean_begin(bc->core, idle))
		return;
	live = bc_target_live_legs(bc->core);
	for (leg = 0; leg < bc->nr_legs; leg++) {
		int ret = live >> leg & 1 ? blkdev_issue_flush(bc->bdevs[leg]) : 0;

		if (ret) {
			/* the leg fails as for a user's flush; nothing cleared now */
			bc_target_leg_flush_error(bc->core, leg, ret);
			flushed = 0;
		}
	}
	bc_target_log_clean_end(bc->core, flushed);
	mutex_lock(&log->io_lock);
	biochain_log_pass(log);
	mutex_unlock(&log->io_lock);
}

static void biochain_log_clean_work(struct work_struct *work)
{
	struct biochain_log *log = container_of(to_delayed_work(work), struct biochain_log, clean_work);
	unsigned int noio = memalloc_noio_save();

	mutex_lock(&log->clean_lock);
	if (log->cleaning) {
		biochain_log_clean(log, false);
		queue_delayed_work(log->wq, &log->clean_work, BIOCHAIN_LOG_CLEAN_INTERVAL);
	}
	mutex_unlock(&log->clean_lock);
	memalloc_noio_restore(noio);
}

const char *biochain_log_name(struct biochain *bc)
{
	return bc->log && bc->log->dev ? bc->log->dev->name : NULL;
}

/* core/'s ops->log_kick: any context. A pass already queued gathers every mark made
 * before it runs. Queued through this CPU's log thread, which lets the writer go on until
 * it blocks (log_workers.c); straight to the log's queue where there is none. */
void biochain_log_kick(struct biochain *bc)
{
	struct biochain_log *log = bc->log;
	struct biochain_log_kick_work *works;
	struct kthread_worker *worker = NULL;
	unsigned int cpu;

	if (!log)
		return;
	cpu = get_cpu();
	works = READ_ONCE(log->kick_works);
	if (works)
		worker = biochain_log_worker(cpu);
	if (worker)
		kthread_queue_work(worker, &works[cpu].work);
	else
		queue_work(log->wq, &log->pass_work);
	put_cpu();
}

/*
 * A pass queued at once, not when the writer lets its CPU go: for a write that was
 * polled, whose submitter spins in its poll loop rather than block (io_uring's IOPOLL),
 * so that a log thread would wait out its time slice (over a new log at QD1 under TCG:
 * 217 IOPS, against 6 100-7 000 at once). The kworker preempts it, as it would any
 * writer.
 */
void biochain_log_kick_now(struct biochain *bc)
{
	if (bc->log)
		queue_work(bc->log->wq, &bc->log->pass_work);
}

/* The log threads held and a kick work made for each CPU; without them (no memory for a
 * thread) kicks queue the pass at once. */
static void biochain_log_take_threads(struct biochain_log *log)
{
	struct biochain_log_kick_work *works = kcalloc(nr_cpu_ids, sizeof(*works), GFP_KERNEL);
	unsigned int cpu;
	int ret = works ? biochain_log_workers_get() : -ENOMEM;

	if (ret) {
		kfree(works);
		DMWARN("%pg: no log threads (%d): each pass queued at once, a write a pass",
		       log->dev->bdev, ret);
		return;
	}
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		kthread_init_work(&works[cpu].work, biochain_log_kick_thread_work);
		works[cpu].log = log;
	}
	WRITE_ONCE(log->kick_works, works);
}

/*
 * At load: the device opened and refused with its own reason when it cannot hold this
 * log: too small, one of the legs, blocks larger than the log's, or a header that is
 * corrupt or written for another geometry (never overwritten: it may be another
 * mirror's, or another program's data).
 */
int biochain_log_create(struct biochain *bc, struct dm_target *ti, const struct bc_table *table,
			const char **error)
{
	unsigned long long blocks = bc_target_log_blocks(bc->core);
	struct biochain_log *log;
	void *headers;
	unsigned int i;
	int ret;

	if (!blocks)
		return 0;
	log = kzalloc(sizeof(*log), GFP_KERNEL);
	if (!log) {
		*error = "Cannot allocate the mirror log";
		return -ENOMEM;
	}
	log->bc = bc;
	log->offset = table->log_offset;
	mutex_init(&log->io_lock);
	mutex_init(&log->clean_lock);
	spin_lock_init(&log->deferred_lock);
	bio_list_init(&log->deferred);
	INIT_WORK(&log->dispatch_work, biochain_log_dispatch);
	INIT_WORK(&log->pass_work, biochain_log_pass_work);
	INIT_DELAYED_WORK(&log->clean_work, biochain_log_clean_work);
	bc->log = log;
	ret = dm_get_device(ti, table->log_path, dm_table_get_mode(ti->table), &log->dev);
	if (ret) {
		*error = "log: device lookup failed";
		return ret;
	}
	/* The same disk as a leg is allowed where the two areas do not meet (a partition,
	 * or another offset): compared on the whole disk. */
	for (i = 0; i < bc->nr_legs; i++) {
		sector_t leg_start, leg_sectors, log_start;

		if (bdev_whole(bc->bdevs[i]) != bdev_whole(log->dev->bdev))
			continue;
		bc_target_leg_area(bc->core, i, &leg_start, &leg_sectors);
		leg_start += bc->bdevs[i]->bd_start_sect;
		log_start = log->dev->bdev->bd_start_sect + log->offset;
		if (log_start < leg_start + leg_sectors &&
		    leg_start < log_start + blocks * BIOCHAIN_LOG_BLOCK_SECTORS) {
			*error = "log: overlaps one of the legs";
			return -EINVAL;
		}
	}
	if (bdev_logical_block_size(log->dev->bdev) > BIOCHAIN_LOG_BLOCK) {
		*error = "log: the device's logical blocks are larger than 4096 bytes";
		return -EINVAL;
	}
	if (log->offset & ((bdev_logical_block_size(log->dev->bdev) >> SECTOR_SHIFT) - 1)) {
		*error = "log: offset not a multiple of the device's logical block size";
		return -EINVAL;
	}
	if (log->offset > bdev_nr_sectors(log->dev->bdev) ||
	    blocks * BIOCHAIN_LOG_BLOCK_SECTORS > bdev_nr_sectors(log->dev->bdev) - log->offset) {
		*error = "log: device too small for the log (4 KiB per 32768 regions, and 8 KiB)";
		return -EINVAL;
	}
	log->page = alloc_page(GFP_KERNEL);
	/* two at a time: a pass beside a cleaning round's flushes */
	log->wq = alloc_workqueue("biochain_log", WQ_MEM_RECLAIM | BIOCHAIN_WQ_PERCPU, 2);
	log->map_wq = alloc_workqueue("biochain_deferred", WQ_MEM_RECLAIM | BIOCHAIN_WQ_PERCPU, 0);
	headers = kmalloc(2 * BIOCHAIN_LOG_BLOCK, GFP_KERNEL);
	if (log->page && log->wq && log->map_wq && headers)
		biochain_log_take_threads(log);
	if (!log->page || !log->wq || !log->map_wq || !headers) {
		kfree(headers);
		*error = "Cannot allocate the mirror log";
		return -ENOMEM;
	}
	for (i = 0; i < 2; i++) {
		ret = biochain_log_io(log, REQ_OP_READ, i);
		if (ret) {
			kfree(headers);
			*error = "log: cannot read its header";
			return ret;
		}
		memcpy(headers + i * BIOCHAIN_LOG_BLOCK, page_address(log->page), BIOCHAIN_LOG_BLOCK);
	}
	ret = bc_target_log_check(bc->core, headers, headers + BIOCHAIN_LOG_BLOCK, error);
	kfree(headers);
	return ret;
}

void biochain_log_destroy(struct biochain *bc, struct dm_target *ti)
{
	struct biochain_log *log = bc->log;
	unsigned int cpu;

	if (!log)
		return;
	if (log->wq)
		biochain_log_stop(bc);
	/* the kicks first (nothing kicks any more): each may queue a pass */
	if (log->kick_works) {
		for (cpu = 0; cpu < nr_cpu_ids; cpu++)
			kthread_flush_work(&log->kick_works[cpu].work);
		biochain_log_workers_put();
		kfree(log->kick_works);
		log->kick_works = NULL;
	}
	if (log->wq) {
		flush_work(&log->pass_work);
		destroy_workqueue(log->wq);
	}
	flush_work(&log->dispatch_work); /* nothing on its list: every write has ended */
	if (log->map_wq)
		destroy_workqueue(log->map_wq); /* after the dispatcher, which queues to it */
	if (log->page)
		__free_page(log->page);
	if (log->dev)
		dm_put_device(ti, log->dev);
	kfree(log);
	bc->log = NULL;
}

/*
 * preresume, the first time: the log as the disk has it becomes this table's state,
 * beside what a reload carried from the table it replaces (core/ merges them), and is
 * written back at once, before any I/O of this table (a new log is formatted then). A
 * reload's new table reads it only here: the old table wrote it up to its suspend. In a
 * NOIO scope: the device (or one above it) is suspended, and reclaim may be writing to
 * it. A log that cannot be read is failed and every region resynced, as dm-raid1 goes on
 * without its log; one whose contents core/ refuses (another geometry written since the
 * constructor read it) fails the resume.
 */
int biochain_log_load(struct biochain *bc)
{
	struct biochain_log *log = bc->log;
	unsigned long long blocks, i;
	unsigned int noio;
	const char *error;
	void *buffer;
	int ret = 0;

	if (!log || bc_target_log_loaded(bc->core))
		return 0;
	noio = memalloc_noio_save();
	blocks = bc_target_log_blocks(bc->core);
	buffer = kvmalloc(blocks * BIOCHAIN_LOG_BLOCK, GFP_KERNEL);
	if (!buffer) {
		ret = -ENOMEM;
		goto out;
	}
	mutex_lock(&log->io_lock);
	for (i = 0; !ret && i < blocks; i++) {
		ret = biochain_log_io(log, REQ_OP_READ, i);
		memcpy(buffer + i * BIOCHAIN_LOG_BLOCK, page_address(log->page), BIOCHAIN_LOG_BLOCK);
	}
	if (ret) {
		DMERR("%pg: cannot read the mirror log (%d): the log is failed, every region resynced",
		      log->dev->bdev, ret);
		bc_target_log_unreadable(bc->core);
		ret = 0;
	} else {
		ret = bc_target_log_load(bc->core, buffer, &error);
		if (ret)
			DMERR("%pg: %s", log->dev->bdev, error);
	}
	if (!ret)
		biochain_log_pass(log);
	mutex_unlock(&log->io_lock);
	kvfree(buffer);
out:
	memalloc_noio_restore(noio);
	return ret;
}

/* resume: the cleaning rounds run. */
void biochain_log_start(struct biochain *bc)
{
	struct biochain_log *log = bc->log;

	if (!log)
		return;
	mutex_lock(&log->clean_lock);
	log->cleaning = true;
	mutex_unlock(&log->clean_lock);
	queue_delayed_work(log->wq, &log->clean_work, BIOCHAIN_LOG_CLEAN_INTERVAL);
}

/* presuspend: no more rounds (the passes go on: writes still in flight may wait). */
void biochain_log_stop(struct biochain *bc)
{
	struct biochain_log *log = bc->log;

	if (!log)
		return;
	mutex_lock(&log->clean_lock);
	log->cleaning = false;
	mutex_unlock(&log->clean_lock);
	cancel_delayed_work_sync(&log->clean_work);
}

/*
 * postsuspend: nothing is in flight, nothing is mapped before the resume. One idle round
 * clears every region in sync: the log left is that of a clean shutdown (only regions
 * out of sync dirty), for a reload or a reboot.
 */
void biochain_log_quiesce(struct biochain *bc)
{
	struct biochain_log *log = bc->log;
	unsigned int noio;

	if (!log)
		return;
	flush_work(&log->pass_work);
	noio = memalloc_noio_save();
	mutex_lock(&log->clean_lock);
	biochain_log_clean(log, true);
	mutex_unlock(&log->clean_lock);
	mutex_lock(&log->io_lock);
	biochain_log_pass(log);
	mutex_unlock(&log->io_lock);
	memalloc_noio_restore(noio);
}
