// SPDX-License-Identifier: GPL-2.0
/* After 6.12 (7.x has it): bio_init_inline() over bio_inline_vecs(); struct bio lost bi_inline_vecs[]. */
#include <linux/bio.h>

static __maybe_unused void probe(struct bio *bio, struct block_device *bdev)
{
	bio_init_inline(bio, bdev, 1, REQ_OP_READ);
}
