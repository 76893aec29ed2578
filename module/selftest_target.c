// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's self tests: real bios through a biochain instance (core/'s target, the
 * shim's child bios and completion, the BioSet's memory) to a real block device, the
 * scratch device named by the selftest_dev parameter. Each case builds its own instance
 * from a table line, outside device-mapper, and sends parent bios through
 * biochain_split(): exactly what map does with a bio that needs children.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "abi/selftest.h"
#include "abi/table.h"
#include "abi/target.h"
#include "biochain.h"
#include "compat.h"

#define SCRATCH_SECTORS 8192 /* the first 4 MiB of the scratch device */

/* ------------------------------------------------------------------ scratch device */

static int scratch_holder; /* our identity as the exclusive opener */

/* Opens the scratch device exclusively; skips the case when none is configured. */
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
		return false;
	}
	return true;
}

static void scratch_close(struct biochain_bdev_open *s)
{
	biochain_close_exclusive(s, &scratch_holder);
}

/* ------------------------------------------------------------------ an instance */

struct instance {
	struct biochain_bdev_open scratch;
	char **argv;
	struct biochain *bc;
};

/*
 * A linear instance over the scratch device from the table features in `features`
 * ("2 max_child_sectors 8", ...). extra_sectors pretends the device is that much larger
 * than it is, so that children past its real end fail in the block layer.
 */
static bool instance_create(struct bc_test *test, struct instance *in, const char *features,
			    sector_t extra_sectors)
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

static void instance_destroy(struct instance *in)
{
	biochain_stop(in->bc);
	kfree(in->bc);
	argv_free(in->argv);
	scratch_close(&in->scratch);
}

/* The value of one counter of the instance's status line ("... name value ..."). */
static long long counter(struct instance *in, const char *name)
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

struct parent {
	struct bio *bio;
	void *state; /* core/'s per-parent state, dm_per_bio_data under DM */
	struct completion done;
	atomic_t ends;
	unsigned int nr_pages;
	struct page *pages[];
};

static void parent_endio(struct bio *bio)
{
	struct parent *p = bio->bi_private;

	atomic_inc(&p->ends);
	complete(&p->done);
}

static void parent_free(struct parent *p)
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

/* A parent of nr_pages pages, page i filled with the byte seed + i (0 for reads). */
static struct parent *parent_alloc(struct bc_test *test, struct instance *in, blk_opf_t opf,
				   unsigned int nr_pages, u8 seed)
{
	struct parent *p = kzalloc(struct_size(p, pages, nr_pages), GFP_KERNEL);
	unsigned int i;

	if (!BC_EXPECT(test, p))
		return NULL;
	p->nr_pages = nr_pages;
	init_completion(&p->done);
	p->state = kzalloc(bc_target_parent_state_size(), GFP_KERNEL);
	p->bio = bio_kmalloc(nr_pages, GFP_KERNEL);
	if (!BC_EXPECT(test, p->state && p->bio))
		goto fail;
	bio_init(p->bio, in->scratch.bdev, p->bio->bi_inline_vecs, nr_pages, opf);
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
	parent_free(p);
	return NULL;
}

/*
 * Sends the parent through map's split path at sector; waits for its end; its status.
 * Under a plug, as a submitter of many bios does: a child is not dispatched before the
 * split returns or the mapper sleeps (schedule() flushes the plug), so no child can end,
 * and give its object back, between two of the mapper's allocations. The counts of waits
 * and recycles below depend on that; without the plug a fast scratch device completed
 * each child before the next allocation (seen in one CI boot: alloc_waited stayed 0).
 */
static blk_status_t parent_run(struct instance *in, struct parent *p, sector_t sector)
{
	struct blk_plug plug;

	p->bio->bi_iter.bi_sector = sector;
	blk_start_plug(&plug);
	biochain_split(in->bc, p->bio, p->state, biochain_io_kind(p->bio), sector);
	blk_finish_plug(&plug);
	wait_for_completion(&p->done);
	return p->bio->bi_status;
}

/* Writes nr_pages of pattern seed at sector, reads them back, compares. */
static void write_and_verify(struct bc_test *test, struct instance *in, sector_t sector,
			     unsigned int nr_pages, u8 seed)
{
	struct parent *w = parent_alloc(test, in, REQ_OP_WRITE, nr_pages, seed);
	struct parent *r = parent_alloc(test, in, REQ_OP_READ, nr_pages, 0);
	unsigned int i;

	if (w && r) {
		BC_EXPECT_EQ(test, parent_run(in, w, sector), BLK_STS_OK);
		BC_EXPECT_EQ(test, parent_run(in, r, sector), BLK_STS_OK);
		for (i = 0; i < nr_pages; i++)
			if (!BC_EXPECT(test, !memcmp(page_address(w->pages[i]),
						     page_address(r->pages[i]), PAGE_SIZE)))
				break;
		BC_EXPECT_EQ(test, atomic_read(&w->ends), 1);
		BC_EXPECT_EQ(test, atomic_read(&r->ends), 1);
	}
	parent_free(w);
	parent_free(r);
}

/* ------------------------------------------------------------------ cases */

/* A parent split into children of 8 sectors ends once, after all of them, with the data
 * where it belongs: what is read back through the same split is what was written. */
static void children_carry_the_data(struct bc_test *test)
{
	struct instance in;

	if (!instance_create(test, &in, "2 max_child_sectors 8", 0))
		return;
	write_and_verify(test, &in, 64, 32, 0x10);
	BC_EXPECT_EQ(test, counter(&in, "children"), 2 * 32);
	BC_EXPECT_EQ(test, counter(&in, "outstanding"), 0);
	BC_EXPECT_EQ(test, counter(&in, "alloc_failed"), 0);
	instance_destroy(&in);
}

/* Children past the real end of the device fail in the block layer (bio_check_eod): the
 * parent ends once, with that error, after every child, and no object is left. */
static void a_child_error_reaches_the_parent_once(struct bc_test *test)
{
	struct instance in;
	struct parent *p;
	sector_t end;

	if (!instance_create(test, &in, "2 max_child_sectors 8", 1024))
		return;
	end = bdev_nr_sectors(in.scratch.bdev);
	p = parent_alloc(test, &in, REQ_OP_WRITE, 16, 0x20); /* 16 children, the last 8 past the end */
	if (p) {
		BC_EXPECT_EQ(test, parent_run(&in, p, end - 64), BLK_STS_IOERR);
		BC_EXPECT_EQ(test, atomic_read(&p->ends), 1);
		BC_EXPECT_EQ(test, counter(&in, "children"), 16);
		BC_EXPECT_EQ(test, counter(&in, "leg0_errors"), 8);
		BC_EXPECT_EQ(test, counter(&in, "outstanding"), 0);
	}
	parent_free(p);
	instance_destroy(&in);
}

/* Every backing allocation fails and the reserve holds one object: each child after the
 * first is made from an earlier child's memory (chain_next), the data still arrives. */
static void the_reserve_carries_a_parent_at_fail_alloc_100(struct bc_test *test)
{
	struct instance in;

	if (!instance_create(test, &in, "6 max_child_sectors 8 reserve 1 fail_alloc 100", 0))
		return;
	write_and_verify(test, &in, 0, 64, 0x30);
	BC_EXPECT_EQ(test, counter(&in, "children"), 2 * 64);
	BC_EXPECT_EQ(test, counter(&in, "alloc_backing"), 0);
	BC_EXPECT_EQ(test, counter(&in, "alloc_failed"), 0);
	BC_EXPECT(test, counter(&in, "chain_recycles") > 0);
	BC_EXPECT_EQ(test, counter(&in, "alloc_percpu") + counter(&in, "alloc_reserve") +
				   counter(&in, "alloc_waited") + counter(&in, "chain_recycles"),
		     2 * 64);
	BC_EXPECT_EQ(test, counter(&in, "outstanding"), 0);
	instance_destroy(&in);
}

/*
 * Forced submit recursion: we split a parent as if inside submit_bio of a device above,
 * so each child is only parked on current->bio_list and cannot be issued before we
 * return. With one object and no backing memory the second child could wait forever
 * for the first; the rescuer must take the parked child and issue it (seed 003).
 */
static void the_rescuer_breaks_submit_recursion(struct bc_test *test)
{
	struct bio_list parked[2];
	struct instance in;
	struct parent *p;
	struct bio *bio;
	unsigned int i;

	if (!instance_create(test, &in, "6 max_child_sectors 8 reserve 1 fail_alloc 100", 0))
		return;
	p = parent_alloc(test, &in, REQ_OP_WRITE, 8, 0x40);
	if (p) {
		bio_list_init(&parked[0]);
		bio_list_init(&parked[1]);
		current->bio_list = parked; /* what __submit_bio_noacct sets up */
		biochain_split(in.bc, p->bio, p->state, BC_IO_WRITE, 128);
		current->bio_list = NULL;
		/* and what it does on return: issue what is still parked */
		for (i = 0; i < 2; i++)
			while ((bio = bio_list_pop(&parked[i])))
				submit_bio_noacct(bio);
		wait_for_completion(&p->done);
		BC_EXPECT_EQ(test, p->bio->bi_status, BLK_STS_OK);
		BC_EXPECT_EQ(test, atomic_read(&p->ends), 1);
		BC_EXPECT(test, counter(&in, "rescues") > 0);
		BC_EXPECT(test, counter(&in, "bios_rescued") > 0);
		BC_EXPECT_EQ(test, counter(&in, "children"), 8);
		BC_EXPECT_EQ(test, counter(&in, "outstanding"), 0);
	}
	parent_free(p);
	instance_destroy(&in);
}

/*
 * Map's allocations that may wait (here every child after the first: no backing memory,
 * no rescuer to recycle through) run inside the NOIO scope biochain_split enters: none
 * is counted as a violation. The control, bc_target_map called bare, shows the count
 * does see a missing scope.
 */
static void map_allocates_inside_a_noio_scope(struct bc_test *test)
{
	struct instance in;
	struct parent *p;

	if (!instance_create(test, &in, "7 max_child_sectors 8 reserve 1 fail_alloc 100 no_rescuer", 0))
		return;
	p = parent_alloc(test, &in, REQ_OP_WRITE, 4, 0x50);
	if (p) {
		BC_EXPECT_EQ(test, parent_run(&in, p, 256), BLK_STS_OK);
		BC_EXPECT(test, counter(&in, "alloc_waited") > 0);
		BC_EXPECT_EQ(test, counter(&in, "noio_violations"), 0);
		parent_free(p);
	}
	p = parent_alloc(test, &in, REQ_OP_WRITE, 4, 0x60);
	if (p) {
		struct blk_plug plug;

		BC_EXPECT(test, !(current->flags & PF_MEMALLOC_NOIO));
		blk_start_plug(&plug); /* as in parent_run: the second child must wait */
		bc_target_map(in.bc->core, p->bio, p->state, BC_IO_WRITE, 256, bio_sectors(p->bio));
		blk_finish_plug(&plug);
		wait_for_completion(&p->done);
		BC_EXPECT(test, counter(&in, "noio_violations") > 0);
		parent_free(p);
	}
	instance_destroy(&in);
}

static const struct bc_test_case target_cases[] = {
	BC_TEST_CASE(children_carry_the_data),
	BC_TEST_CASE(a_child_error_reaches_the_parent_once),
	BC_TEST_CASE(the_reserve_carries_a_parent_at_fail_alloc_100),
	BC_TEST_CASE(the_rescuer_breaks_submit_recursion),
	BC_TEST_CASE(map_allocates_inside_a_noio_scope),
	BC_TEST_CASES_END,
};

const struct bc_test_suite biochain_suite_target = { "biochain_target", target_cases };
