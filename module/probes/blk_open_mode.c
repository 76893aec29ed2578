// SPDX-License-Identifier: GPL-2.0
/* 6.5: blk_mode_t and BLK_OPEN_*, the holder as the mark of an exclusive open. */
#include <linux/blkdev.h>

static __maybe_unused blk_mode_t probe(void)
{
	return BLK_OPEN_READ | BLK_OPEN_WRITE;
}
