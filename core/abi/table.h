/* SPDX-License-Identifier: GPL-2.0 */
/* A table line, parsed by core/ (target/table_parser.h). */
#ifndef BIOCHAIN_ABI_TABLE_H
#define BIOCHAIN_ABI_TABLE_H

#include "abi/types.h"

#ifdef __cplusplus
extern "C" {
#endif


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
	BC_FEATURE_INLINE_CHILDREN,
	BC_FEATURE_REGION_SIZE,
	BC_FEATURE_NOSYNC,
	BC_FEATURE_LOG,
	BC_FEATURE_MAX_RECOVERY_RATE,
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
	/* child objects in each DM clone's per-bio data (see bc_target_parent_state_size);
	 * when not given, the layout's default (bc_default_inline_children) */
	unsigned int inline_children;
	/* mirror only: the unit of resync (sectors, a power of two; BC_REGION_SIZE_DEFAULT
	 * when not given), and whether the legs are declared identical (no initial sync) */
	unsigned int region_size;
	int nosync;
	/* mirror only: `log <dev> <offset>`, the on-disk region log (log_path NULL: none,
	 * the log is in memory); log_path points into the caller's argv */
	const char *log_path;
	bc_sector_t log_offset;
	/* mirror only: the most the resync copies, in KiB/s (0: no limit) */
	unsigned int max_recovery_rate;
};

int bc_table_parse(unsigned int argc, char **argv, struct bc_table *table, const char **error);

#ifdef __cplusplus
}
#endif

#endif /* BIOCHAIN_ABI_TABLE_H */
