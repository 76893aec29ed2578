/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels the module builds against, in one place: one small
 * wrapper per difference, so that no .c file tests a kernel version. The BC_HAVE_* macros
 * come from compat_probes.h, which Kbuild generates by compiling module/probes/NAME.c with
 * the kernel's own compiler and flags (BC_HAVE_NAME when it compiles), so a distribution
 * kernel with a backport takes the newer path; each probe says what it looks for, and
 * again at its wrapper here. Built and booted on Debian's 6.1, 6.12 and 7.x
 * (scripts/kernels.list); the 6.5 to 6.8 paths of the exclusive open are compiled by no test.
 */
#ifndef BIOCHAIN_COMPAT_H
#define BIOCHAIN_COMPAT_H

#include "compat_probes.h"

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/kthread.h>

/* 6.11 moved bio_integrity() out of bio.h into its own header (BC_HAVE_BIO_INTEGRITY_H). */
#ifdef BC_HAVE_BIO_INTEGRITY_H
#include <linux/bio-integrity.h>
#endif

/*
 * The I/O size hints, in bytes; 0 leaves a hint as the stacked limits have it. 6.12
 * removed blk_limits_io_min() and blk_limits_io_opt() (BC_HAVE_BLK_LIMITS_IO): a driver
 * sets the fields, and blk_validate_limits() raises io_min to the physical block size as
 * blk_limits_io_min() did.
 */
static inline void biochain_set_io_hints(struct queue_limits *limits, unsigned int io_min,
					 unsigned int io_opt)
{
#ifdef BC_HAVE_BLK_LIMITS_IO
	if (io_min)
		blk_limits_io_min(limits, io_min);
	if (io_opt)
		blk_limits_io_opt(limits, io_opt);
#else
	if (io_min)
		limits->io_min = io_min;
	if (io_opt)
		limits->io_opt = io_opt;
#endif
}

/*
 * What a child bio copies from its parent beyond bi_ioprio, as __bio_clone() does: the
 * writer's lifetime hint, which struct bio has again since 6.9 (BC_HAVE_BIO_WRITE_HINT;
 * 5.18 had removed it, so 6.1's bio has none).
 */
static inline void biochain_bio_copy_hints(struct bio *child, const struct bio *parent)
{
#ifdef BC_HAVE_BIO_WRITE_HINT
	child->bi_write_hint = parent->bi_write_hint;
#endif
}

/*
 * The device a table word names (a path or major:minor), as dm_get_device() will find it,
 * without opening it: 0 and *dev, or a negative errno. 6.8 exported dm_devt_from_path()
 * for it (BC_HAVE_DM_DEVT_FROM_PATH); before, dm_get_device() parsed major:minor itself
 * and asked dm_get_dev_t() for a path, whose 0 meant not found.
 */
static inline int biochain_devt_from_path(const char *path, dev_t *dev)
{
#ifdef BC_HAVE_DM_DEVT_FROM_PATH
	return dm_devt_from_path(path, dev);
#else
	unsigned int major, minor;
	char dummy;

	if (sscanf(path, "%u:%u%c", &major, &minor, &dummy) == 2) {
		*dev = MKDEV(major, minor);
		return MAJOR(*dev) == major && MINOR(*dev) == minor ? 0 : -EOVERFLOW;
	}
	*dev = dm_get_dev_t(path);
	return *dev ? 0 : -ENODEV;
#endif
}

/*
 * core/ holds a per-CPU allocation as a plain void * (it knows no address spaces). Where
 * the compiler has named address spaces (GCC 14 and later, x86's __seg_gs) __percpu is a
 * real one, and a cast between it and a generic pointer is an error: the conversion goes
 * through an integer, as the kernel's own PERCPU_PTR() does.
 */
static inline void __percpu *biochain_percpu_from_core(void *percpu)
{
	return (void __percpu __force *)(__force unsigned long)percpu;
}

static inline void *biochain_percpu_to_core(void __percpu *percpu)
{
	return (void __force *)(__force unsigned long)percpu;
}

/*
 * bio_init() over the vecs that follow a bio_kmalloc()ed bio: bio->bi_inline_vecs up to
 * 6.12; later kernels removed the flexible array for bio_inline_vecs() and bio_init_inline()
 * (BC_HAVE_BIO_INIT_INLINE).
 */
static inline void biochain_bio_init_inline(struct bio *bio, struct block_device *bdev,
					    unsigned short max_vecs, blk_opf_t opf)
{
#ifdef BC_HAVE_BIO_INIT_INLINE
	bio_init_inline(bio, bdev, max_vecs, opf);
#else
	bio_init(bio, bdev, bio->bi_inline_vecs, max_vecs, opf);
#endif
}

/*
 * An exclusive read-write open of a block device by path (the self tests' scratch device),
 * whose API changed three times:
 *   before 6.5  blkdev_get_by_path(path, FMODE_* | FMODE_EXCL, holder), blkdev_put(bdev, mode);
 *   6.5         blk_mode_t (BLK_OPEN_*) and the holder as the mark of an exclusive open:
 *               blkdev_get_by_path(path, mode, holder, ops), blkdev_put(bdev, holder)
 *               (BC_HAVE_BLK_OPEN_MODE);
 *   6.7         bdev_open_by_path() gives a struct bdev_handle, bdev_release() closes it
 *               (BC_HAVE_BDEV_OPEN_BY_PATH);
 *   6.9         bdev_file_open_by_path() gives a struct file, fput() closes it, and
 *               bdev_open_by_path() is gone (BC_HAVE_BDEV_FILE_OPEN_BY_PATH).
 * The newest API the headers offer wins.
 */
struct biochain_bdev_open {
#if defined(BC_HAVE_BDEV_FILE_OPEN_BY_PATH)
	struct file *file;
#elif defined(BC_HAVE_BDEV_OPEN_BY_PATH)
	struct bdev_handle *handle;
#endif
	struct block_device *bdev;
};

/* 0 and open->bdev set, or a negative errno. holder identifies the exclusive opener. */
static inline long biochain_open_exclusive(struct biochain_bdev_open *open, const char *path,
					   void *holder)
{
#if defined(BC_HAVE_BDEV_FILE_OPEN_BY_PATH)
	open->file = bdev_file_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE, holder, NULL);
	if (IS_ERR(open->file))
		return PTR_ERR(open->file);
	open->bdev = file_bdev(open->file);
#elif defined(BC_HAVE_BDEV_OPEN_BY_PATH)
	open->handle = bdev_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE, holder, NULL);
	if (IS_ERR(open->handle))
		return PTR_ERR(open->handle);
	open->bdev = open->handle->bdev;
#elif defined(BC_HAVE_BLK_OPEN_MODE)
	open->bdev = blkdev_get_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE, holder, NULL);
	if (IS_ERR(open->bdev))
		return PTR_ERR(open->bdev);
#else
	open->bdev = blkdev_get_by_path(path, FMODE_READ | FMODE_WRITE | FMODE_EXCL, holder);
	if (IS_ERR(open->bdev))
		return PTR_ERR(open->bdev);
#endif
	return 0;
}

static inline void biochain_close_exclusive(struct biochain_bdev_open *open, void *holder)
{
#if defined(BC_HAVE_BDEV_FILE_OPEN_BY_PATH)
	fput(open->file);
#elif defined(BC_HAVE_BDEV_OPEN_BY_PATH)
	bdev_release(open->handle);
#elif defined(BC_HAVE_BLK_OPEN_MODE)
	blkdev_put(open->bdev, holder);
#else
	blkdev_put(open->bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
#endif
}

/*
 * REQ_ATOMIC (6.11): a write that must not be torn, so never handed back in part
 * (dm_accept_partial_bio) nor cut into children that may land apart. biochain does not
 * advertise atomic writes, so the block layer should never send one; where the flag
 * does not exist no bio can carry it.
 */
static inline bool biochain_bio_is_atomic(const struct bio *bio)
{
#ifdef REQ_ATOMIC
	return bio->bi_opf & REQ_ATOMIC;
#else
	return false;
#endif
}

/*
 * Reporting a failed expectation to KUnit at a location of our choosing (a core/ case's
 * file and line, not kunit.c's): the function behind KUNIT_FAIL, which 6.1 calls
 * kunit_do_failed_assertion() and later kernels __kunit_do_failed_assertion()
 * (BC_HAVE_KUNIT_FAILED_ASSERTION_PREFIXED). Only kunit.c uses it, on a kernel with KUnit.
 */
#ifdef BC_HAVE_KUNIT_FAILED_ASSERTION_PREFIXED
#define biochain_kunit_failed_assertion __kunit_do_failed_assertion
#else
#define biochain_kunit_failed_assertion kunit_do_failed_assertion
#endif

/*
 * A workqueue bound to the CPU that queues its work, as alloc_workqueue() made one without
 * WQ_UNBOUND until WQ_PERCPU came (BC_HAVE_WQ_PERCPU): since then a caller must say which,
 * or the kernel warns, and the default is to become unbound.
 */
#ifdef BC_HAVE_WQ_PERCPU
#define BIOCHAIN_WQ_PERCPU WQ_PERCPU
#else
#define BIOCHAIN_WQ_PERCPU 0
#endif

/*
 * A kthread worker bound to cpu, running, named "name/<cpu>": since 6.14 (probe
 * BC_HAVE_KTHREAD_RUN_WORKER_ON_CPU) kthread_create_worker_on_cpu() fills the CPU into
 * a "%u" itself and leaves the thread asleep, and kthread_run_worker_on_cpu() wakes it;
 * before, kthread_create_worker_on_cpu() took printf arguments and woke it.
 */
#ifdef BC_HAVE_KTHREAD_RUN_WORKER_ON_CPU
#define biochain_kthread_worker_on_cpu(cpu, name_u) kthread_run_worker_on_cpu(cpu, 0, name_u)
#else
#define biochain_kthread_worker_on_cpu(cpu, name_u) kthread_create_worker_on_cpu(cpu, 0, name_u, cpu)
#endif

/*
 * A target's prepare_ioctl: (ti, bdev) up to 6.12, later (ti, bdev, cmd, arg, forward),
 * where the target may handle an ioctl itself (BC_HAVE_PREPARE_IOCTL_FORWARD). biochain
 * only ever forwards to its single leg, so its function keeps the old form and this
 * names what goes into the target_type: the function itself, or an adapter made for it.
 */
#ifdef BC_HAVE_PREPARE_IOCTL_FORWARD
#define BIOCHAIN_PREPARE_IOCTL(fn) fn##_forward
#define BIOCHAIN_DEFINE_PREPARE_IOCTL(fn)                                                  \
	static int fn##_forward(struct dm_target *ti, struct block_device **bdev,          \
				unsigned int cmd, unsigned long arg, bool *forward)        \
	{                                                                                  \
		return fn(ti, bdev);                                                       \
	}
#else
#define BIOCHAIN_PREPARE_IOCTL(fn) fn
#define BIOCHAIN_DEFINE_PREPARE_IOCTL(fn)
#endif

#endif
