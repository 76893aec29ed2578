// SPDX-License-Identifier: GPL-2.0
/* 6.11: bio_integrity() moved out of bio.h into linux/bio-integrity.h. */
#include <linux/bio-integrity.h>

static __maybe_unused void *probe(struct bio *bio)
{
	return bio_integrity(bio);
}
