// SPDX-License-Identifier: GPL-2.0
/*
 * The ground the module's self-test cases (selftest_target.c) stand on: the scratch
 * device named by the selftest_dev parameter, opened exclusively (so never one that is
 * mounted or in a table), a biochain instance over it built from a table line outside
 * device-mapper, and parent bios of pages of their own sent through biochain_split(),
 * which is what map does with a bio that needs children.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/gfp.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "abi/table.h"
#include "abi/target.h"
#include "selftest_device.h"

#define SCRATCH_SECTORS 8192 /* the first 4 MiB of the scratch device */

/* ------------------------------------------------------------------ scratch device */

static int scratch_holder; /* our identity as the exclusive opener */

static void scratch_close(struct biochain_bdev_open *s)
{
	biochain_close_exclusive(s, &scratch_holder);
}

/* Opens the scratch device exclusively; skips the case when none is configured or the
 * device does not fit, leaving it closed. */
static bool scratch_open(struct bc_test *test, struct biochain_bdev_open *s)
{
	char path[128];
	long err;

	biochain_selftest_device(path, sizeof(path));
	if (!*path) {
		bc_test_skip(test, "no scratch device (module parameter selftest_dev)");
		return false;
	}
	err = biochain_open_exclusive(s, path, &scratch_holder);
	if (err) {
		s->bdev = NULL;
		BC_EXPECT_EQ(test, err, 0); /* the device given cannot be opened exclusively */
		return false;
	}
	if (!BC_EXPECT(test, bdev_nr_sectors(s->bdev) >= SCRATCH_SECTORS) ||
	    !BC_EXPECT(test, bdev_logical_block_size(s->bdev) <= PAGE_SIZE)) {
		bc_test_skip(test, "scratch device too small or with blocks above a page");
		scratch_close(s); /* the exclusive claim ends with the case */
		s->bdev = NULL;
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ an instance */

bool selftest_instance_create(struct bc_test *test, struct selftest_instance *in,
			      const char *features, sector_t extra_sectors)
{
	struct bc_leg_geometry geometry;
	struct bc_table table;
	const char *error = NULL;
	char line[160];
	int argc;

	memset(in, 0, sizeof(*in));
	if (!scratch_open(test, &in->scratch))
		return false;
	snprintf(line, sizeof(line), "linear scratch 0 %s", features);
	in->argv = argv_split(GFP_KERNEL, line, &argc);
	in->bc = biochain_alloc(1);
	if (!BC_EXPECT(test, in->argv && in->bc))
		goto fail;
	if (!BC_EXPECT_EQ(test, bc_table_parse(argc, in->argv, &table, &error), 0))
		goto fail;
	in->bc->bdevs[0] = in->scratch.bdev;
	biochain_leg_geometry(in->scratch.bdev, &geometry);
	geometry.sectors += extra_sectors;
	if (!BC_EXPECT_EQ(test, biochain_start(in->bc, &table, geometry.sectors, &geometry, &error), 0))
		goto fail;
	return true;
fail:
	if (error)
		bc_test_expect(test, 0, __FILE__, __LINE__, error);
	if (in->bc)
		biochain_stop(in->bc);
	kfree(in->bc);
	argv_free(in->argv);
	scratch_close(&in->scratch);
	return false;
}

void selftest_instance_destroy(struct selftest_instance *in)
{
	biochain_stop(in->bc);
	kfree(in->bc);
	argv_free(in->argv);
	scratch_close(&in->scratch);
}

long long selftest_counter(struct selftest_instance *in, const char *name)
{
	char *status = kmalloc(BC_STATUS_MAX, GFP_KERNEL);
	char key[48];
	long long value = -1;
	const char *at;

	if (!status)
		return -1;
	bc_target_emit_info(in->bc->core, status, BC_STATUS_MAX);
	snprintf(key, sizeof(key), " %s ", name);
	at = strstr(status, key);
	if (!at || sscanf(at + strlen(key), "%lld", &value) != 1)
		value = -1;
	kfree(status);
	return value;
}

/* ------------------------------------------------------------------ parent bios */

static void parent_endio(struct bio *bio)
{
	struct selftest_parent *p = bio->bi_private;

	atomic_inc(&p->ends);
	complete(&p->done);
}

void selftest_parent_free(struct selftest_parent *p)
{
	unsigned int i;

	if (!p)
		return;
	if (p->bio) {
		bio_uninit(p->bio);
		kfree(p->bio);
	}
	for (i = 0; i < p->nr_pages; i++)
		if (p->pages[i])
			__free_page(p->pages[i]);
	kfree(p->state);
	kfree(p);
}

struct selftest_parent *selftest_parent_alloc(struct bc_test *test, struct selftest_instance *in,
					      blk_opf_t opf, unsigned int nr_pages, u8 seed)
{
	struct selftest_parent *p = kzalloc(struct_size(p, pages, nr_pages), GFP_KERNEL);
	unsigned int i;

	if (!BC_EXPECT(test, p))
		return NULL;
	p->nr_pages = nr_pages;
	init_completion(&p->done);
	p->state = kzalloc(bc_target_parent_state_size(in->bc->core), GFP_KERNEL);
	p->bio = bio_kmalloc(nr_pages, GFP_KERNEL);
	if (!BC_EXPECT(test, p->state && p->bio))
		goto fail;
	biochain_bio_init_inline(p->bio, in->scratch.bdev, nr_pages, opf);
	p->bio->bi_end_io = parent_endio;
	p->bio->bi_private = p;
	for (i = 0; i < nr_pages; i++) {
		p->pages[i] = alloc_page(GFP_KERNEL);
		if (!BC_EXPECT(test, p->pages[i]))
			goto fail;
		memset(page_address(p->pages[i]), op_is_write(opf) ? seed + i : 0, PAGE_SIZE);
		if (!BC_EXPECT_EQ(test, bio_add_page(p->bio, p->pages[i], PAGE_SIZE, 0), PAGE_SIZE))
			goto fail;
	}
	return p;
fail:
	selftest_parent_free(p);
	return NULL;
}

/*
 * The split runs under a plug, as a submitter of many bios does: a child is not dispatched before the
 * split returns or the mapper sleeps (schedule() flushes the plug), so no child can end,
 * and give its object back, between two of the mapper's allocations. The counts of waits
 * and recycles the cases check depend on that; without the plug a fast scratch device
 * completed each child before the next allocation (seen in one CI boot: alloc_waited
 * stayed 0).
 */
blk_status_t selftest_parent_run(struct selftest_instance *in, struct selftest_parent *p,
				 sector_t sector)
{
	struct blk_plug plug;

	p->bio->bi_iter.bi_sector = sector;
	blk_start_plug(&plug);
	biochain_split(in->bc, p->bio, p->state, biochain_io_kind(p->bio), sector);
	blk_finish_plug(&plug);
	wait_for_completion(&p->done);
	return p->bio->bi_status;
}

void selftest_write_and_verify(struct bc_test *test, struct selftest_instance *in,
			       sector_t sector, unsigned int nr_pages, u8 seed)
{
	struct selftest_parent *w = selftest_parent_alloc(test, in, REQ_OP_WRITE, nr_pages, seed);
	struct selftest_parent *r = selftest_parent_alloc(test, in, REQ_OP_READ, nr_pages, 0);
	unsigned int i;

	if (w && r) {
		BC_EXPECT_EQ(test, selftest_parent_run(in, w, sector), BLK_STS_OK);
		BC_EXPECT_EQ(test, selftest_parent_run(in, r, sector), BLK_STS_OK);
		for (i = 0; i < nr_pages; i++)
			if (!BC_EXPECT(test, !memcmp(page_address(w->pages[i]),
						     page_address(r->pages[i]), PAGE_SIZE)))
				break;
		BC_EXPECT_EQ(test, atomic_read(&w->ends), 1);
		BC_EXPECT_EQ(test, atomic_read(&r->ends), 1);
	}
	selftest_parent_free(w);
	selftest_parent_free(r);
}
