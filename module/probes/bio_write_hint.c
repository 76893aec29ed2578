// SPDX-License-Identifier: GPL-2.0
/* 6.9: struct bio carries the writer's lifetime hint again (5.18 had removed it). */
#include <linux/blk_types.h>

static __maybe_unused void probe(struct bio *child, const struct bio *parent)
{
	child->bi_write_hint = parent->bi_write_hint;
}
