// SPDX-License-Identifier: GPL-2.0
/* 6.9: bdev_file_open_by_path() gives a struct file (file_bdev(), fput()). */
#include <linux/blkdev.h>
#include <linux/file.h>

static __maybe_unused struct block_device *probe(const char *path, void *holder)
{
	struct file *file = bdev_file_open_by_path(path, BLK_OPEN_READ, holder, NULL);
	struct block_device *bdev = file_bdev(file);

	fput(file);
	return bdev;
}
