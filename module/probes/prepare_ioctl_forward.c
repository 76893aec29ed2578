// SPDX-License-Identifier: GPL-2.0
/* After 6.12 (7.x has it): a target's prepare_ioctl takes the ioctl (cmd, arg) and may handle it itself
 * (*forward = false). The old form fails: incompatible pointer types are errors. */
#include <linux/device-mapper.h>

static int probe(struct dm_target *ti, struct block_device **bdev, unsigned int cmd,
		 unsigned long arg, bool *forward)
{
	return 0;
}

static __maybe_unused struct target_type probe_target = {
	.prepare_ioctl = probe,
};
