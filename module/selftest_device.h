/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the module's self-test cases (selftest_target.c) stand on, from selftest_device.c:
 * an instance over the scratch device, and parent bios sent through its split as map
 * sends them. Private to those two files.
 */
#ifndef BIOCHAIN_SELFTEST_DEVICE_H
#define BIOCHAIN_SELFTEST_DEVICE_H

#include <linux/atomic.h>
#include <linux/blk_types.h>
#include <linux/completion.h>

#include "abi/selftest.h"
#include "biochain.h"
#include "compat.h"

/* A biochain instance over the scratch device, outside device-mapper. */
struct selftest_instance {
	struct biochain_bdev_open scratch;
	char **argv;
	struct biochain *bc;
};

/*
 * A linear instance over the scratch device from the table features in `features`
 * ("2 max_child_sectors 8", ...). extra_sectors pretends the device is that much larger
 * than it is, so that children past its real end fail in the block layer. False, with
 * the case skipped or failed, when there is none.
 */
bool selftest_instance_create(struct bc_test *test, struct selftest_instance *in,
			      const char *features, sector_t extra_sectors);
void selftest_instance_destroy(struct selftest_instance *in);
/* The value of one counter of the instance's status line ("... name value ..."). */
long long selftest_counter(struct selftest_instance *in, const char *name);

/* A parent bio over pages of its own, with what map would give the split with it. */
struct selftest_parent {
	struct bio *bio;
	void *state; /* core/'s per-parent state, dm_per_bio_data under DM */
	struct completion done;
	atomic_t ends;
	unsigned int nr_pages;
	struct page *pages[];
};

/* A parent of nr_pages pages, page i filled with the byte seed + i (0 for reads). */
struct selftest_parent *selftest_parent_alloc(struct bc_test *test, struct selftest_instance *in,
					      blk_opf_t opf, unsigned int nr_pages, u8 seed);
void selftest_parent_free(struct selftest_parent *p);
/* Sends the parent through map's split path at sector under a plug; waits for its end;
 * its status. */
blk_status_t selftest_parent_run(struct selftest_instance *in, struct selftest_parent *p,
				 sector_t sector);
/* Writes nr_pages of pattern seed at sector, reads them back, compares. */
void selftest_write_and_verify(struct bc_test *test, struct selftest_instance *in,
			       sector_t sector, unsigned int nr_pages, u8 seed);

#endif
