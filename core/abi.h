/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The boundary between core/ (freestanding C++17) and its environment: module/ over the
 * kernel, userspace/ over POSIX. Plain C, and no kernel types: sizes and handles only.
 *
 * Two directions:
 *   bc_env_*     the environment provides these; core/ calls them.
 *   bc_table_*,
 *   bc_target_*  core/ provides these; the shim (or a test) calls them.
 *
 * Every function that can fail returns 0 or a negative errno, and on failure stores a
 * static, human-readable message in *error (the shim hands it to ti->error unchanged).
 */
#ifndef BIOCHAIN_CORE_ABI_H
#define BIOCHAIN_CORE_ABI_H

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned long long bc_sector_t;

#define BC_SECTOR_SHIFT 9
#define BC_MAX_LEGS 16
#define BC_STATUS_MAX 1024 /* enough for every status line core/ emits */

/* errno values core/ returns (the same numbers on Linux and in userspace) */
#define BC_EIO 5
#define BC_EINVAL 22
#define BC_ENOMEM 12

/* ---------------------------------------------------------------- environment */

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
void bc_env_lock_init(struct bc_lock *lock);
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
 * CPU's copy, safe against preemption and interrupts (this_cpu_add); _add2 adds to two
 * u64s in one call (a bio and its sectors, bc_target_account_io). */
void *bc_env_percpu_alloc(unsigned long size);
void bc_env_percpu_free(void *percpu);
void *bc_env_percpu_slot(void *percpu, unsigned int cpu);
void bc_env_percpu_add(void *percpu, unsigned long offset, unsigned long long n);
void bc_env_percpu_add2(void *percpu, unsigned long offset_a, unsigned long long a,
			unsigned long offset_b, unsigned long long b);

/* Object caches of one object size (kmem_cache in the kernel). */
struct bc_env_cache;
struct bc_env_cache *bc_env_cache_create(const char *name, unsigned long size);
void bc_env_cache_destroy(struct bc_env_cache *cache);
void *bc_env_cache_alloc(struct bc_env_cache *cache, int may_wait);
void bc_env_cache_free(struct bc_env_cache *cache, void *object);

/* A sleeping lock for configuration paths (creating and destroying shared caches). */
void bc_env_config_lock(void);
void bc_env_config_unlock(void);

/* Nonzero when the caller runs inside a NOIO scope (memalloc_noio_save) or cannot
 * sleep at all: an I/O-path allocation outside one is a bug that core/ counts. */
int bc_env_noio_active(void);

/* Deadlock avoidance under submit recursion (seed 003). bc_env_task_has_parked():
 * nonzero when the caller runs under submit_bio and bios are still parked on its
 * current->bio_list (they cannot complete before it returns). A rescuer belongs to one
 * BioSet (owner); bc_env_rescue_parked() moves the parked bios of that owner (see
 * bc_bio_owner) to the rescuer's worker, which submits them, and returns how many. */
struct bc_env_rescuer;
struct bc_env_rescuer *bc_env_rescuer_create(const void *owner);
void bc_env_rescuer_destroy(struct bc_env_rescuer *rescuer); /* after its last bio */
int bc_env_task_has_parked(void);
unsigned int bc_env_rescue_parked(struct bc_env_rescuer *rescuer);

/* The target's side of child bios (module/target.c). shim is the handle the shim gave
 * bc_target_create. Build a child over sectors [offset, offset + sectors) of the parent's
 * data, aimed at leg_sector of leg, and submit it; its completion must call
 * bc_target_child_end(). */
void bc_env_child_submit(void *shim, void *child, void *parent, unsigned int leg,
			 bc_sector_t leg_sector, bc_sector_t offset, unsigned int sectors);
/* End the parent with error (0 or -errno). */
void bc_env_parent_end(void *shim, void *parent, int error);
/* Queue child (any context) for bc_target_child_retry from process context. */
void bc_env_child_retry(void *shim, void *child);
/* The most sectors, at most max_sectors, from offset in the parent's data that span at
 * most max_segments bio_vecs. */
unsigned int bc_env_sectors_within_segments(void *parent, bc_sector_t offset,
					    unsigned int max_sectors, unsigned int max_segments);

/* ---------------------------------------------------------------- table */

enum bc_layout {
	BC_LAYOUT_LINEAR = 1,
	BC_LAYOUT_STRIPED = 2,
	BC_LAYOUT_MIRROR = 3,
};

enum bc_feature {
	BC_FEATURE_RESERVE,
	BC_FEATURE_MAX_CHILD_SECTORS,
	BC_FEATURE_MAX_CHILD_SEGMENTS,
	BC_FEATURE_NO_RESCUER,
	BC_FEATURE_FAIL_ALLOC,
	BC_FEATURE_COUNT
};

struct bc_leg {
	const char *path; /* points into the caller's argv */
	bc_sector_t offset;
};

/* A parsed table line. Defaults are filled in for features not given. */
struct bc_table {
	enum bc_layout layout;
	unsigned int nr_legs;
	unsigned int chunk_sectors; /* striped only */
	struct bc_leg legs[BC_MAX_LEGS];

	/* features in the order given, so that the table is echoed as it was written */
	unsigned int nr_features;
	enum bc_feature feature_order[BC_FEATURE_COUNT];

	unsigned int reserve;
	unsigned int max_child_sectors;  /* 0: no limit beyond the lower devices' */
	unsigned int max_child_segments; /* 0: no limit beyond the lower devices' */
	unsigned int fail_alloc_percent;
	int no_rescuer;
};

int bc_table_parse(unsigned int argc, char **argv, struct bc_table *table, const char **error);

/* ---------------------------------------------------------------- target */

struct bc_target;

/* What the shim learned about one lower device when it opened it. */
struct bc_leg_geometry {
	bc_sector_t sectors;
	unsigned int logical_block_size; /* bytes */
	unsigned long long id;		 /* dev_t: the same disk under two names is one id */
};

enum bc_io_kind {
	BC_IO_READ,
	BC_IO_WRITE,
	BC_IO_FLUSH, /* an empty flush; a write with the flush flag counts as a write */
	BC_IO_DISCARD,
	BC_IO_WRITE_ZEROES,
	BC_IO_OTHER,
	BC_IO_KIND_COUNT
};

/* What the shim tells core/ about the kernel's structures, measured at build time. */
struct bc_bio_shape {
	unsigned int bio_size;	  /* sizeof(struct bio) */
	unsigned int bvec_size;	  /* sizeof(struct bio_vec) */
	unsigned int inline_vecs; /* BIO_INLINE_VECS */
};

int bc_target_create(const struct bc_table *table, bc_sector_t target_sectors,
		     const struct bc_leg_geometry *legs, const struct bc_bio_shape *shape,
		     void *shim, struct bc_target **target, const char **error);
void bc_target_destroy(struct bc_target *target);

/* Per-parent state the shim keeps for core/ (dm_per_bio_data): this many bytes. */
unsigned int bc_target_parent_state_size(void);

/* Flushes, discards and write-zeroes go down whole: DM sends this many clones of each
 * (one per leg), and bc_target_map_whole says where clone nr goes. It returns 0 when no
 * part of the range lies on that leg (the shim then ends the clone). */
unsigned int bc_target_whole_bios(const struct bc_target *target);
int bc_target_map_whole(struct bc_target *target, enum bc_io_kind kind, unsigned int nr,
			bc_sector_t sector, bc_sector_t sectors, unsigned int *leg,
			bc_sector_t *leg_sector, bc_sector_t *leg_sectors);

/* The entry point of every read and write (sector relative to the target start): if it
 * lies in one piece on one leg and needs no child, says where to remap it in place:
 * remapped 1 with its leg and leg sector. remapped 0: it must go through bc_target_map.
 * It counts nothing (see bc_target_rw_counters). Returned by value, in two registers, and
 * a leaf: the hottest call of the target takes no address of a local (no stack canary)
 * and calls nothing. */
struct bc_remap {
	bc_sector_t leg_sector;
	unsigned int leg;
	int remapped;
};
struct bc_remap bc_target_remap(const struct bc_target *target, bc_sector_t sector,
				unsigned int sectors);

/* A target whose every read and write bc_target_remap would send whole to one leg at one
 * fixed distance (linear, no child limit): returns 1 with that leg and offset, and the
 * shim remaps those bios itself (sector + offset, as dm-linear does) without calling
 * bc_target_remap. 0: every read and write goes through bc_target_remap. */
int bc_target_remap_offset(const struct bc_target *target, unsigned int *leg, bc_sector_t *offset);

/* A striped target whose every read and write bc_target_remap would send whole to one leg
 * when it fits in its chunk (no child limit): returns 1 with the layout's parameters, and
 * the shim remaps those bios itself with stripe_math.h's bc_stripes_locate (the same
 * inline core/ cuts pieces with): a bio that fits in place.room goes to place.leg at
 * offsets[place.leg] + place.leg_sector; one that does not goes to bc_target_map.
 * 0: every read and write goes through bc_target_remap. */
struct bc_stripes;
int bc_target_remap_stripes(const struct bc_target *target, struct bc_stripes *stripes);

/* Where a read or a write is counted (its bio, its sectors): byte offsets, indexed by
 * BC_IO_READ and BC_IO_WRITE, into the per-CPU block percpu (bc_env_percpu_alloc).
 * The kernel shim adds to them itself, one this_cpu_add each, so that the map path of
 * every bio makes no call into core/ to count it; other environments call
 * bc_target_account_io. Core/ decides what is counted where; fixed for the target's
 * life. */
struct bc_rw_counters {
	void *percpu;
	unsigned long bios[2];
	unsigned long sectors[2];
};
void bc_target_rw_counters(const struct bc_target *target, struct bc_rw_counters *counters);

/* Split a read or write into child bios and issue them. Call inside a NOIO scope; may
 * sleep for memory. The parent is ended through bc_env_parent_end once its last child
 * ended (possibly before this returns). */
void bc_target_map(struct bc_target *target, void *parent, void *parent_state,
		   enum bc_io_kind kind, bc_sector_t sector, unsigned int sectors);
/* A child's completion (any context): error is 0 or -errno. */
void bc_target_child_end(struct bc_target *target, void *child, int error);
/* Issue again a child the shim queued through bc_env_child_retry (process context). */
void bc_target_child_retry(struct bc_target *target, void *child);

/* The BioSet that allocated bio (a child of some biochain target). */
const void *bc_bio_owner(const void *bio);

/* Child objects allocated and not yet freed (0 once every parent has ended). */
unsigned long long bc_target_outstanding(const struct bc_target *target);

/* io_hints: io_min and io_opt in sectors (0: leave the stacked value). */
void bc_target_io_hints(const struct bc_target *target, unsigned int *io_min, unsigned int *io_opt);
/* iterate_devices: the area of leg the target uses. */
void bc_target_leg_area(const struct bc_target *target, unsigned int leg, bc_sector_t *start,
			bc_sector_t *sectors);

/* Counts a bio of any kind with its sectors (a read or write: the counters of
 * bc_target_rw_counters). */
void bc_target_account_io(struct bc_target *target, enum bc_io_kind kind, unsigned int sectors);
void bc_target_account_error(struct bc_target *target);

/* Emit the STATUSTYPE_INFO / STATUSTYPE_TABLE line into buf (always NUL-terminated).
 * leg_names are the names the shim shows for each leg (major:minor, as DM targets do). */
void bc_target_emit_info(const struct bc_target *target, char *buf, unsigned int maxlen);
void bc_target_emit_table(const struct bc_target *target, const char *const *leg_names,
			  char *buf, unsigned int maxlen);

/* A `dmsetup message` addressed to the target: "stats reset", "fail_alloc <percent>",
 * "reserve <n>". */
int bc_target_message(struct bc_target *target, unsigned int argc, char **argv,
		      const char **error);

/* ---------------------------------------------------------------- BioSet, directly */
/* For benchmarks and self tests: a BioSet with its own counters, outside any target. */

struct bc_bio_set;
struct bc_bio_set_config {
	unsigned int pool_size;
	unsigned int front_pad;
	int need_bvecs;
	int need_rescuer;
	unsigned int fail_alloc_percent;
};
struct bc_bio_set *bc_bio_set_create(const struct bc_bio_set_config *config,
				     const struct bc_bio_shape *shape);
void bc_bio_set_destroy(struct bc_bio_set *set);
/* Returns the bio (NULL only when !may_wait and nothing is free); *vecs and *capacity
 * describe its vec table (inline, or from a size class). */
void *bc_bio_set_alloc(struct bc_bio_set *set, unsigned int nr_vecs, int may_wait, void **vecs,
		       unsigned int *capacity);
void bc_bio_set_free(struct bc_bio_set *set, void *bio, void *vecs, unsigned int capacity);
/* The set's counters, as `dmsetup status` words ("alloc_percpu 12 ..."). */
void bc_bio_set_emit_stats(struct bc_bio_set *set, char *buf, unsigned int maxlen);

/* ---------------------------------------------------------------- self tests */
/*
 * KUnit-like self tests, written once and run inside the module (kernel environment) and
 * in userspace (POSIX environment): suites of cases, results as KTAP version 1. core/'s
 * suites are bc_core_suites; the shim adds its own (real bios to a real device).
 */
struct bc_test; /* one running case */

struct bc_test_case {
	const char *name;
	void (*run)(struct bc_test *test);
};

struct bc_test_suite {
	const char *name;
	const struct bc_test_case *cases; /* ends with a case whose name is NULL */
};

/* Record an expectation: a failure is printed (where, what) and fails the case, which
 * goes on running. Returns ok, so that a case can stop where going on makes no sense. */
int bc_test_expect(struct bc_test *test, int ok, const char *file, int line, const char *what);
/* The same for two integers that must be equal; a failure shows both values. */
int bc_test_expect_eq(struct bc_test *test, long long actual, long long expected, const char *file,
		      int line, const char *what);
/* The case cannot run here (no scratch device, ...): it is reported `# SKIP reason`. */
void bc_test_skip(struct bc_test *test, const char *reason);

extern const struct bc_test_suite *const bc_core_suites[];
extern const unsigned int bc_core_nr_suites;

struct bc_selftest_totals {
	unsigned int passed, failed, skipped;
};

/* Runs the suites and cases that match filter ("suite_glob[.case_glob]" with * and ?;
 * NULL or "" for all), giving each KTAP line (no newline) to emit. Sleeps; process
 * context only. */
void bc_selftest_run(const struct bc_test_suite *const *suites, unsigned int nr_suites,
		     const char *filter, void (*emit)(void *ctx, const char *line), void *ctx,
		     struct bc_selftest_totals *totals);
/* Whether name matches the glob pattern (* any run, ? any one character). */
int bc_selftest_glob(const char *pattern, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* BIOCHAIN_CORE_ABI_H */
