// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel allocation microbenchmark (debugfs: biochain/bench). Nanoseconds per
 * alloc+free of a 4-vec bio: core/'s BioSet through the shim's inline magazine path
 * (module/magazine.h, as the I/O path calls it; plus bio_init/bio_uninit, which the
 * kernel path does inside bio_alloc_bioset/bio_put) against bio_alloc_bioset+bio_put on a
 * bio_set of the same shape, without and with BIOSET_PERCPU_CACHE, on one CPU and on
 * every online CPU at once. Rounds alternate between the cases to cancel drift.
 *
 *   echo 200000 > /sys/kernel/debug/biochain/bench   # iterations per thread and round
 *   cat /sys/kernel/debug/biochain/bench
 */
#include <linux/bio.h>
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "abi/bio_set.h"
#include "biochain.h"
#include "magazine.h"

#define BENCH_ROUNDS 5
#define BENCH_RESULT_SIZE 4096
#define BENCH_FRONT_PAD 64
#define BENCH_POOL 16

enum bench_case { BENCH_BIOSET, BENCH_KERNEL, BENCH_KERNEL_PERCPU, BENCH_CASES };

static const char *const bench_names[BENCH_CASES] = {
	"biochain BioSet",
	"bio_alloc_bioset+bio_put",
	"bio_alloc_bioset+bio_put, BIOSET_PERCPU_CACHE",
};

struct bench_sets {
	struct bc_bio_set *bioset;
	struct bc_magazine magazine; /* bioset's, for the inline hit path */
	struct bio_set plain;
	struct bio_set percpu;
};

struct bench_thread {
	enum bench_case which;
	unsigned long iterations;
	struct bench_sets *sets;
	atomic_t *waiting; /* start barrier: every thread begins together */
	struct completion done;
	u64 ns;
};

static DEFINE_MUTEX(bench_mutex);
static char *bench_result;

static void bench_one(enum bench_case which, struct bench_sets *sets)
{
	struct bio *bio;
	void *vecs;
	unsigned int capacity;

	switch (which) {
	case BENCH_BIOSET:
		bio = biochain_magazine_alloc(&sets->magazine, 4, BC_MAGAZINE_MAY_WAIT, &vecs, &capacity);
		bio_init(bio, NULL, vecs, capacity, REQ_OP_READ);
		bio_uninit(bio);
		biochain_magazine_free(&sets->magazine, bio, vecs, capacity);
		break;
	case BENCH_KERNEL:
		bio_put(bio_alloc_bioset(NULL, 4, REQ_OP_READ, GFP_NOIO, &sets->plain));
		break;
	case BENCH_KERNEL_PERCPU:
		bio_put(bio_alloc_bioset(NULL, 4, REQ_OP_READ | REQ_ALLOC_CACHE, GFP_NOIO,
					 &sets->percpu));
		break;
	case BENCH_CASES:
		break;
	}
}

static int bench_thread_fn(void *arg)
{
	struct bench_thread *t = arg;
	unsigned int noio = memalloc_noio_save();
	unsigned long i;
	u64 start;

	atomic_dec(t->waiting);
	while (atomic_read(t->waiting))
		cpu_relax();
	start = ktime_get_ns();
	for (i = 0; i < t->iterations; i++)
		bench_one(t->which, t->sets);
	t->ns = ktime_get_ns() - start;
	memalloc_noio_restore(noio);
	complete(&t->done);
	return 0;
}

/* ns per operation, averaged over the threads of one run on nr_threads CPUs. */
static u64 bench_run(enum bench_case which, struct bench_sets *sets, unsigned long iterations,
		     unsigned int nr_threads)
{
	struct bench_thread *threads;
	atomic_t waiting;
	unsigned int cpu, n = 0;
	u64 total = 0;

	threads = kcalloc(nr_threads, sizeof(*threads), GFP_KERNEL);
	if (!threads)
		return 0;
	atomic_set(&waiting, nr_threads);
	for_each_online_cpu(cpu) {
		struct task_struct *task;
		struct bench_thread *t;

		if (n == nr_threads)
			break;
		t = &threads[n];
		t->which = which;
		t->iterations = iterations;
		t->sets = sets;
		t->waiting = &waiting;
		init_completion(&t->done);
		task = kthread_create_on_cpu(bench_thread_fn, t, cpu, "biochain_bench/%u");
		if (IS_ERR(task))
			break;
		wake_up_process(task);
		n++;
	}
	/* Threads that could not be created never start: release the barrier for them. */
	atomic_sub(nr_threads - n, &waiting);
	for (cpu = 0; cpu < n; cpu++) {
		wait_for_completion(&threads[cpu].done);
		total += threads[cpu].ns;
	}
	kfree(threads);
	return n ? div64_u64(total, (u64)n * iterations) : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int bench_sets_init(struct bench_sets *sets)
{
	const struct bc_bio_set_config config = {
		.pool_size = BENCH_POOL, .front_pad = BENCH_FRONT_PAD, .need_bvecs = 1,
	};
	int ret;

	sets->bioset = bc_bio_set_create(&config, &biochain_bio_shape);
	if (!sets->bioset)
		return -ENOMEM;
	bc_bio_set_magazine(sets->bioset, &sets->magazine);
	ret = bioset_init(&sets->plain, BENCH_POOL, BENCH_FRONT_PAD, BIOSET_NEED_BVECS);
	if (ret)
		goto out_bioset;
	ret = bioset_init(&sets->percpu, BENCH_POOL, BENCH_FRONT_PAD,
			  BIOSET_NEED_BVECS | BIOSET_PERCPU_CACHE);
	if (ret)
		goto out_plain;
	return 0;
out_plain:
	bioset_exit(&sets->plain);
out_bioset:
	bc_bio_set_destroy(sets->bioset);
	return ret;
}

static void bench_sets_exit(struct bench_sets *sets)
{
	bioset_exit(&sets->percpu);
	bioset_exit(&sets->plain);
	bc_bio_set_destroy(sets->bioset);
}

static int bench(unsigned long iterations, char *out, size_t size)
{
	u64 ns[2][BENCH_CASES][BENCH_ROUNDS];
	unsigned int threads[2] = { 1, num_online_cpus() };
	struct bench_sets *sets;
	size_t len = 0;
	int t, c, r, ret;

	sets = kzalloc(sizeof(*sets), GFP_KERNEL);
	if (!sets)
		return -ENOMEM;
	ret = bench_sets_init(sets);
	if (ret) {
		kfree(sets);
		return ret;
	}
	for (r = 0; r < BENCH_ROUNDS; r++)
		for (t = 0; t < 2; t++)
			for (c = 0; c < BENCH_CASES; c++)
				ns[t][c][r] = bench_run(c, sets, iterations, threads[t]);
	bench_sets_exit(sets);
	kfree(sets);

	len += scnprintf(out + len, size - len,
			 "# %lu alloc+free of a 4-vec bio per thread and round, median of %d rounds\n",
			 iterations, BENCH_ROUNDS);
	for (t = 0; t < 2; t++) {
		u64 median[BENCH_CASES];

		for (c = 0; c < BENCH_CASES; c++) {
			sort(ns[t][c], BENCH_ROUNDS, sizeof(u64), cmp_u64, NULL);
			median[c] = ns[t][c][BENCH_ROUNDS / 2];
		}
		for (c = BENCH_KERNEL; c < BENCH_CASES; c++) {
			u64 ratio = median[c] ? div64_u64(median[BENCH_BIOSET] * 100, median[c]) : 0;

			len += scnprintf(out + len, size - len,
					 "kernel %u thread%s: %s %llu ns/op vs %s %llu ns/op ratio %llu.%02llu\n",
					 threads[t], threads[t] > 1 ? "s" : "",
					 bench_names[BENCH_BIOSET], median[BENCH_BIOSET],
					 bench_names[c], median[c], ratio / 100, ratio % 100);
		}
	}
	return 0;
}

static ssize_t bench_write(struct file *file, const char __user *ubuf, size_t count, loff_t *ppos)
{
	unsigned long iterations;
	char *result;
	int ret;

	ret = kstrtoul_from_user(ubuf, count, 10, &iterations);
	if (ret)
		return ret;
	if (iterations < 1000 || iterations > 100000000)
		return -EINVAL;
	result = kzalloc(BENCH_RESULT_SIZE, GFP_KERNEL);
	if (!result)
		return -ENOMEM;
	mutex_lock(&bench_mutex);
	ret = bench(iterations, result, BENCH_RESULT_SIZE);
	if (!ret)
		swap(result, bench_result);
	mutex_unlock(&bench_mutex);
	kfree(result);
	return ret ? ret : count;
}

static ssize_t bench_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	ssize_t ret = 0;

	mutex_lock(&bench_mutex);
	if (bench_result)
		ret = simple_read_from_buffer(ubuf, count, ppos, bench_result, strlen(bench_result));
	mutex_unlock(&bench_mutex);
	return ret;
}

static const struct file_operations bench_fops = {
	.owner = THIS_MODULE,
	.read = bench_read,
	.write = bench_write,
	.llseek = default_llseek,
};

void biochain_bench_init(struct dentry *debugfs_dir)
{
	debugfs_create_file("bench", 0600, debugfs_dir, NULL, &bench_fops);
}

void biochain_bench_exit(void)
{
	kfree(bench_result);
	bench_result = NULL;
}
