// SPDX-License-Identifier: GPL-2.0
/* Module entry: register the target, create the debugfs directory. */
#include <linux/debugfs.h>
#include <linux/device-mapper.h>
#include <linux/module.h>

#include "biochain.h"

static struct dentry *debugfs_dir;

static int __init biochain_init(void)
{
	int ret;

	debugfs_dir = debugfs_create_dir("biochain", NULL);
	ret = biochain_env_init(debugfs_dir);
	if (ret)
		goto out_debugfs;
	biochain_log_workers_init();
	ret = dm_register_target(&biochain_target);
	if (ret)
		goto out_log_workers;
	biochain_bench_init(debugfs_dir);
	biochain_child_bio_debugfs_init(debugfs_dir);
	biochain_selftest_init(debugfs_dir);
	biochain_kunit_init(debugfs_dir);
	return 0;

out_log_workers:
	biochain_log_workers_exit();
	biochain_env_exit();
out_debugfs:
	debugfs_remove_recursive(debugfs_dir);
	return ret;
}

static void __exit biochain_exit(void)
{
	dm_unregister_target(&biochain_target);
	biochain_log_workers_exit();
	debugfs_remove_recursive(debugfs_dir);
	biochain_bench_exit();
	biochain_kunit_exit();
	biochain_selftest_exit();
	biochain_env_exit();
}

module_init(biochain_init);
module_exit(biochain_exit);

MODULE_DESCRIPTION("biochain: " DM_NAME " target stacking over real disks with a forward-progress bio engine");
MODULE_AUTHOR("biochain developers");
MODULE_LICENSE("GPL");
