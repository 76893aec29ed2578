// SPDX-License-Identifier: GPL-2.0
/* Before 6.12: blk_limits_io_min() and blk_limits_io_opt(); 6.12 removed both (a driver
 * sets the queue_limits fields). */
#include <linux/blkdev.h>

static __maybe_unused void probe(struct queue_limits *limits)
{
	blk_limits_io_min(limits, 4096);
	blk_limits_io_opt(limits, 65536);
}
