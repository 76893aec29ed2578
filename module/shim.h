/* SPDX-License-Identifier: GPL-2.0 */
/* What the shim's files share with each other (never with core/: that is core/abi.h). */
#ifndef BIOCHAIN_SHIM_H
#define BIOCHAIN_SHIM_H

#include <linux/device-mapper.h>

#define DM_MSG_PREFIX "biochain"

struct dentry;
struct bc_bio_shape;

int biochain_env_init(struct dentry *debugfs_dir);
void biochain_env_exit(void);

extern struct target_type biochain_target;
extern const struct bc_bio_shape biochain_bio_shape;

void biochain_bench_init(struct dentry *debugfs_dir);
void biochain_target_debugfs_init(struct dentry *debugfs_dir);
void biochain_bench_exit(void);

/* The end_io of every child bio; also how the rescuer recognises ours. */
void biochain_child_endio(struct bio *child);

#endif
