// SPDX-License-Identifier: GPL-2.0
/* 6.7 to 6.8: bdev_open_by_path() gives a struct bdev_handle, bdev_release() closes it. */
#include <linux/blkdev.h>

static __maybe_unused struct block_device *probe(const char *path, void *holder)
{
	struct bdev_handle *handle = bdev_open_by_path(path, BLK_OPEN_READ, holder, NULL);
	struct block_device *bdev = handle->bdev;

	bdev_release(handle);
	return bdev;
}
