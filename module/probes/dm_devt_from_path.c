// SPDX-License-Identifier: GPL-2.0
/* 6.8: dm_devt_from_path() replaced dm_get_dev_t(). */
#include <linux/device-mapper.h>

static __maybe_unused int probe(const char *path, dev_t *dev)
{
	return dm_devt_from_path(path, dev);
}
