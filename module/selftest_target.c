// SPDX-License-Identifier: GPL-2.0
/*
 * The module's self tests: real bios through a biochain instance (core/'s target, the
 * module's child bios and completion, the BioSet's memory) to a real block device, the
 * scratch device named by the selftest_dev parameter. Each case builds its own instance
 * from a table line, outside device-mapper, and sends parent bios through
 * biochain_split(): exactly what map does with a bio that needs children. The instance,
 * the scratch device and the parents are selftest_device.c's.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/sched.h>

#include "abi/target.h"
#include "selftest_device.h"

/* ------------------------------------------------------------------ cases */

/* A parent split into children of 8 sectors ends once, after all of them, with the data
 * where it belongs: what is read back through the same split is what was written. */
static void children_carry_the_data(struct bc_test *test)
{
	struct selftest_instance in;

	if (!selftest_instance_create(test, &in, "2 max_child_sectors 8", 0))
		return;
	selftest_write_and_verify(test, &in, 64, 32, 0x10);
	BC_EXPECT_EQ(test, selftest_counter(&in, "children"), 2 * 32);
	BC_EXPECT_EQ(test, selftest_counter(&in, "outstanding"), 0);
	BC_EXPECT_EQ(test, selftest_counter(&in, "alloc_failed"), 0);
	selftest_instance_destroy(&in);
}

/* Children past the real end of the device fail in the block layer (bio_check_eod): the
 * parent ends once, with that error, after every child, and no object is left. */
static void a_child_error_reaches_the_parent_once(struct bc_test *test)
{
	struct selftest_instance in;
	struct selftest_parent *p;
	sector_t end;

	if (!selftest_instance_create(test, &in, "2 max_child_sectors 8", 1024))
		return;
	end = bdev_nr_sectors(in.scratch.bdev);
	/* 16 children, the last 8 past the end */
	p = selftest_parent_alloc(test, &in, REQ_OP_WRITE, 16, 0x20);
	if (p) {
		BC_EXPECT_EQ(test, selftest_parent_run(&in, p, end - 64), BLK_STS_IOERR);
		BC_EXPECT_EQ(test, atomic_read(&p->ends), 1);
		BC_EXPECT_EQ(test, selftest_counter(&in, "children"), 16);
		BC_EXPECT_EQ(test, selftest_counter(&in, "leg0_errors"), 8);
		BC_EXPECT_EQ(test, selftest_counter(&in, "outstanding"), 0);
	}
	selftest_parent_free(p);
	selftest_instance_destroy(&in);
}

/* Every backing allocation fails, the reserve holds one object and the parent none of its
 * own (inline_children 0): each child after the first is made from an earlier child's
 * memory (chain_next), the data still arrives. */
static void the_reserve_carries_a_parent_at_fail_alloc_100(struct bc_test *test)
{
	struct selftest_instance in;

	if (!selftest_instance_create(test, &in, "8 max_child_sectors 8 reserve 1 fail_alloc 100 inline_children 0",
				      0))
		return;
	selftest_write_and_verify(test, &in, 0, 64, 0x30);
	BC_EXPECT_EQ(test, selftest_counter(&in, "children"), 2 * 64);
	BC_EXPECT_EQ(test, selftest_counter(&in, "alloc_backing"), 0);
	BC_EXPECT_EQ(test, selftest_counter(&in, "alloc_failed"), 0);
	BC_EXPECT(test, selftest_counter(&in, "chain_recycles") > 0);
	BC_EXPECT_EQ(test, selftest_counter(&in, "alloc_percpu") +
				   selftest_counter(&in, "alloc_reserve") +
				   selftest_counter(&in, "alloc_waited") +
				   selftest_counter(&in, "chain_recycles"),
		     2 * 64);
	BC_EXPECT_EQ(test, selftest_counter(&in, "outstanding"), 0);
	selftest_instance_destroy(&in);
}

/*
 * Forced submit recursion: we split a parent as if inside submit_bio of a device above,
 * so each child is only parked on current->bio_list and cannot be issued before we
 * return. With one object and no backing memory the third child (the first is the
 * parent's inline object, the second the reserve's) could wait forever for an earlier
 * one; the rescuer (rescuer.c) must take the parked children and issue them.
 */
static void the_rescuer_breaks_submit_recursion(struct bc_test *test)
{
	struct bio_list parked[2];
	struct selftest_instance in;
	struct selftest_parent *p;
	struct bio *bio;
	unsigned int i;

	if (!selftest_instance_create(test, &in, "6 max_child_sectors 8 reserve 1 fail_alloc 100", 0))
		return;
	p = selftest_parent_alloc(test, &in, REQ_OP_WRITE, 8, 0x40);
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
		BC_EXPECT(test, selftest_counter(&in, "rescues") > 0);
		BC_EXPECT(test, selftest_counter(&in, "bios_rescued") > 0);
		BC_EXPECT_EQ(test, selftest_counter(&in, "children"), 8);
		BC_EXPECT_EQ(test, selftest_counter(&in, "outstanding"), 0);
	}
	selftest_parent_free(p);
	selftest_instance_destroy(&in);
}

/*
 * Map's allocations that may wait (here every child after the first: no backing memory,
 * no object of the parent's own, no rescuer to recycle through) run inside the NOIO
 * scope biochain_split enters: none
 * is counted as a violation. The control, bc_target_map called bare, shows the count
 * does see a missing scope.
 */
static void map_allocates_inside_a_noio_scope(struct bc_test *test)
{
	struct selftest_instance in;
	struct selftest_parent *p;

	if (!selftest_instance_create(test, &in,
				      "9 max_child_sectors 8 reserve 1 fail_alloc 100 no_rescuer inline_children 0", 0))
		return;
	p = selftest_parent_alloc(test, &in, REQ_OP_WRITE, 4, 0x50);
	if (p) {
		BC_EXPECT_EQ(test, selftest_parent_run(&in, p, 256), BLK_STS_OK);
		BC_EXPECT(test, selftest_counter(&in, "alloc_waited") > 0);
		BC_EXPECT_EQ(test, selftest_counter(&in, "noio_violations"), 0);
		selftest_parent_free(p);
	}
	p = selftest_parent_alloc(test, &in, REQ_OP_WRITE, 4, 0x60);
	if (p) {
		struct blk_plug plug;

		BC_EXPECT(test, !(current->flags & PF_MEMALLOC_NOIO));
		blk_start_plug(&plug); /* as in selftest_parent_run: the second child must wait */
		bc_target_map(in.bc->core, p->bio, p->state, BC_IO_WRITE, 256, bio_sectors(p->bio));
		blk_finish_plug(&plug);
		wait_for_completion(&p->done);
		BC_EXPECT(test, selftest_counter(&in, "noio_violations") > 0);
		selftest_parent_free(p);
	}
	selftest_instance_destroy(&in);
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
