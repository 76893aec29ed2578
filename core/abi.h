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
#define BC_EINVAL 22
#define BC_ENOMEM 12
#define BC_EOPNOTSUPP 95

/* ---------------------------------------------------------------- environment */

/* Allocate size bytes; may_wait = 0 must not sleep (the I/O path before the reserve).
 * Returns NULL on failure; never panics. Memory is at least 16-byte aligned. */
void *bc_env_alloc(unsigned long size, int may_wait);
void bc_env_free(void *ptr);

/* The CPU the caller runs on: a hint for per-CPU data, the caller may migrate. */
unsigned int bc_env_cpu(void);
/* Upper bound (exclusive) of bc_env_cpu(), fixed for the life of the environment. */
unsigned int bc_env_nr_cpus(void);

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

int bc_target_create(const struct bc_table *table, bc_sector_t target_sectors,
		     const struct bc_leg_geometry *legs, struct bc_target **target,
		     const char **error);
void bc_target_destroy(struct bc_target *target);

/* Linear remap: sector relative to the target's start -> sector on leg 0. */
bc_sector_t bc_target_remap_linear(const struct bc_target *target, bc_sector_t sector);

void bc_target_account_io(struct bc_target *target, enum bc_io_kind kind, unsigned int sectors);
void bc_target_account_error(struct bc_target *target);

/* Emit the STATUSTYPE_INFO / STATUSTYPE_TABLE line into buf (always NUL-terminated).
 * leg_names are the names the shim shows for each leg (major:minor, as DM targets do). */
void bc_target_emit_info(const struct bc_target *target, char *buf, unsigned int maxlen);
void bc_target_emit_table(const struct bc_target *target, const char *const *leg_names,
			  char *buf, unsigned int maxlen);

/* A `dmsetup message` addressed to the target. */
int bc_target_message(struct bc_target *target, unsigned int argc, char **argv,
		      const char **error);

#ifdef __cplusplus
}
#endif

#endif /* BIOCHAIN_CORE_ABI_H */
