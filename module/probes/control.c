// SPDX-License-Identifier: GPL-2.0
/* The control: compiles on every kernel. If it does not, the probes' flags are wrong and
 * every answer would be a silent "no": scripts/compat-probes stops the build instead. */
#include <linux/bio.h>
#include <linux/device-mapper.h>

static __maybe_unused int probe(struct bio *bio)
{
	return bio_sectors(bio);
}
