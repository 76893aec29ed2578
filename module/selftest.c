// SPDX-License-Identifier: GPL-2.0
/*
 * Running the self tests inside the module (the suites are core/'s and the module's, the
 * runner core/selftest/runner.cpp). KTAP version 1 goes to the kernel log line by line,
 * as KUnit prints it, and the whole document of the last run stays readable in debugfs.
 *
 *   insmod biochain.ko selftest=1 selftest_dev=/dev/vdb   # run everything at load
 *   echo /dev/vdb > /sys/module/biochain/parameters/selftest_dev
 *   echo 'biochain_target.*' > /sys/kernel/debug/biochain/selftest   # run (a filter glob)
 *   cat /sys/kernel/debug/biochain/selftest                          # the last KTAP
 *
 * selftest_dev is a scratch block device the module's suite writes to (opened exclusively,
 * so never one that is mounted or in a table); without it its cases are skipped. On a
 * kernel with KUnit the same suites can also run under KUnit (kunit.c), one run at a time
 * with this runner's.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "abi/selftest.h"
#include "biochain.h"

static bool selftest;
module_param(selftest, bool, 0444);
MODULE_PARM_DESC(selftest, "Run the self tests when the module loads (KTAP in the kernel log)");

static char selftest_dev[128];
module_param_string(selftest_dev, selftest_dev, sizeof(selftest_dev), 0644);
MODULE_PARM_DESC(selftest_dev, "Scratch block device the self tests may overwrite (exclusive open)");

#define SELFTEST_LOG_SIZE (256 * 1024)
#define SELFTEST_FILTER_MAX 128

/* Serialises runs, this runner's and KUnit's (kunit.c): both use the scratch device.
 * Guards the log of the last run here. */
DEFINE_MUTEX(biochain_selftest_mutex);

struct selftest_log {
	char *text;
	size_t len;
};
static struct selftest_log last_log;

/* A copy of selftest_dev taken under the parameter lock (sysfs may rewrite it at any
 * time), without the newline `echo` leaves. */
void biochain_selftest_device(char *path, size_t size)
{
	char *trimmed;

	kernel_param_lock(THIS_MODULE);
	strscpy(path, selftest_dev, size);
	kernel_param_unlock(THIS_MODULE);
	trimmed = strim(path);
	memmove(path, trimmed, strlen(trimmed) + 1);
}

static void selftest_emit(void *ctx, const char *line)
{
	struct selftest_log *log = ctx;
	size_t n = strlen(line);

	printk(KERN_INFO "%s\n", line);
	/* A log cut short shows as a truncated KTAP document, which parsers report. */
	if (log->len + n + 1 < SELFTEST_LOG_SIZE) {
		memcpy(log->text + log->len, line, n);
		log->len += n;
		log->text[log->len++] = '\n';
		log->text[log->len] = '\0';
	}
}

/* core/'s suites, then the module's: what both runners run, in this order. */
unsigned int biochain_selftest_suites(const struct bc_test_suite **suites, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < bc_core_nr_suites && n < max - 1; i++)
		suites[n++] = bc_core_suites[i];
	suites[n++] = &biochain_suite_target;
	return n;
}

static int selftest_run(const char *filter)
{
	const struct bc_test_suite *suites[BIOCHAIN_SELFTEST_MAX_SUITES];
	struct bc_selftest_totals totals;
	struct selftest_log log = { .text = vzalloc(SELFTEST_LOG_SIZE) };
	unsigned int n = biochain_selftest_suites(suites, ARRAY_SIZE(suites));

	if (!log.text)
		return -ENOMEM;

	lockdep_assert_held(&biochain_selftest_mutex);
	bc_selftest_run(suites, n, filter, selftest_emit, &log, &totals);
	vfree(last_log.text);
	last_log = log;
	return 0;
}

/* A debugfs write of a filter glob, for the module's runner and KUnit's alike: copied
 * from user space, then run under the selftest mutex (one run at a time: both write to
 * selftest_dev), -EBUSY rather than queueing behind a run in progress. */
ssize_t biochain_selftest_write_filter(const char __user *ubuf, size_t count,
				       int (*run)(const char *filter))
{
	char filter[SELFTEST_FILTER_MAX];
	int ret;

	if (count >= sizeof(filter))
		return -EINVAL;
	if (copy_from_user(filter, ubuf, count))
		return -EFAULT;
	filter[count] = '\0';
	if (!mutex_trylock(&biochain_selftest_mutex))
		return -EBUSY;
	ret = run(strim(filter));
	mutex_unlock(&biochain_selftest_mutex);
	return ret ? ret : count;
}

static ssize_t selftest_write(struct file *file, const char __user *ubuf, size_t count,
			      loff_t *ppos)
{
	return biochain_selftest_write_filter(ubuf, count, selftest_run);
}

static ssize_t selftest_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	ssize_t ret = 0;

	mutex_lock(&biochain_selftest_mutex);
	if (last_log.text)
		ret = simple_read_from_buffer(ubuf, count, ppos, last_log.text, last_log.len);
	mutex_unlock(&biochain_selftest_mutex);
	return ret;
}

static const struct file_operations selftest_fops = {
	.owner = THIS_MODULE,
	.read = selftest_read,
	.write = selftest_write,
	.llseek = default_llseek,
};

void biochain_selftest_init(struct dentry *debugfs_dir)
{
	debugfs_create_file("selftest", 0600, debugfs_dir, NULL, &selftest_fops);
	if (selftest) {
		mutex_lock(&biochain_selftest_mutex);
		if (selftest_run(NULL))
			pr_err("biochain: self tests not run: out of memory\n");
		mutex_unlock(&biochain_selftest_mutex);
	}
}

void biochain_selftest_exit(void)
{
	vfree(last_log.text);
	last_log.text = NULL;
}
