// SPDX-License-Identifier: GPL-2.0
/*
 * The device-mapper target type: argument marshalling between DM and core/ (core/abi.h).
 * Parsing, validation, sector math, counters and status text are core/'s; this file opens
 * the lower devices, moves bios and talks to DM.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "abi.h"
#include "shim.h"

struct biochain {
	struct bc_target *core;
	unsigned int nr_legs;
	struct dm_dev *legs[];
};

static void biochain_put_legs(struct dm_target *ti, struct biochain *bc)
{
	while (bc->nr_legs)
		dm_put_device(ti, bc->legs[--bc->nr_legs]);
}

/*
 * <layout> <layout args...> [<#features> <feature words...>]; see core/table_parser.h.
 */
static int biochain_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct bc_leg_geometry geometry[BC_MAX_LEGS];
	struct bc_table table;
	struct biochain *bc;
	const char *error;
	unsigned int i;
	int ret;

	ret = bc_table_parse(argc, argv, &table, &error);
	if (ret) {
		ti->error = (char *)error; /* a static string of core/ */
		return ret;
	}

	bc = kzalloc(struct_size(bc, legs, table.nr_legs), GFP_KERNEL);
	if (!bc) {
		ti->error = "Cannot allocate biochain context";
		return -ENOMEM;
	}

	for (i = 0; i < table.nr_legs; i++) {
		struct block_device *bdev;

		ret = dm_get_device(ti, table.legs[i].path, dm_table_get_mode(ti->table),
				    &bc->legs[i]);
		if (ret) {
			ti->error = "Device lookup failed";
			goto bad;
		}
		bc->nr_legs++;
		bdev = bc->legs[i]->bdev;
		geometry[i].sectors = bdev_nr_sectors(bdev);
		geometry[i].logical_block_size = bdev_logical_block_size(bdev);
	}

	ret = bc_target_create(&table, ti->len, geometry, &bc->core, &error);
	if (ret) {
		ti->error = (char *)error; /* a static string of core/ */
		goto bad;
	}

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->private = bc;
	return 0;

bad:
	biochain_put_legs(ti, bc);
	kfree(bc);
	return ret;
}

static void biochain_dtr(struct dm_target *ti)
{
	struct biochain *bc = ti->private;

	bc_target_destroy(bc->core);
	biochain_put_legs(ti, bc);
	kfree(bc);
}

static enum bc_io_kind biochain_io_kind(struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return BC_IO_READ;
	case REQ_OP_WRITE:
		return bio_sectors(bio) ? BC_IO_WRITE : BC_IO_FLUSH;
	case REQ_OP_DISCARD:
		return BC_IO_DISCARD;
	case REQ_OP_WRITE_ZEROES:
		return BC_IO_WRITE_ZEROES;
	default:
		return BC_IO_OTHER;
	}
}

static int biochain_map(struct dm_target *ti, struct bio *bio)
{
	struct biochain *bc = ti->private;

	bc_target_account_io(bc->core, biochain_io_kind(bio), bio_sectors(bio));
	bio_set_dev(bio, bc->legs[0]->bdev);
	bio->bi_iter.bi_sector = bc_target_remap_linear(bc->core,
							 dm_target_offset(ti, bio->bi_iter.bi_sector));
	return DM_MAPIO_REMAPPED;
}

static int biochain_end_io(struct dm_target *ti, struct bio *bio, blk_status_t *error)
{
	struct biochain *bc = ti->private;

	if (*error)
		bc_target_account_error(bc->core);
	return DM_ENDIO_DONE;
}

static void biochain_status(struct dm_target *ti, status_type_t type, unsigned int status_flags,
			    char *result, unsigned int maxlen)
{
	struct biochain *bc = ti->private;
	const char *names[BC_MAX_LEGS];
	unsigned int i;
	size_t sz = 0;

	for (i = 0; i < bc->nr_legs; i++)
		names[i] = bc->legs[i]->name;

	switch (type) {
	case STATUSTYPE_INFO:
		bc_target_emit_info(bc->core, result, maxlen);
		break;
	case STATUSTYPE_TABLE:
		bc_target_emit_table(bc->core, names, result, maxlen);
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",table=");
		bc_target_emit_table(bc->core, names, result + sz, maxlen - min_t(size_t, sz, maxlen));
		sz += strlen(result + sz);
		DMEMIT(";");
		break;
	}
}

static int biochain_message(struct dm_target *ti, unsigned int argc, char **argv, char *result,
			    unsigned int maxlen)
{
	struct biochain *bc = ti->private;
	const char *error;
	int ret;

	ret = bc_target_message(bc->core, argc, argv, &error);
	if (ret)
		DMWARN("%s: message refused: %s", dm_table_device_name(ti->table), error);
	return ret;
}

static int biochain_iterate_devices(struct dm_target *ti, iterate_devices_callout_fn fn,
				    void *data)
{
	struct biochain *bc = ti->private;

	return fn(ti, bc->legs[0], bc_target_remap_linear(bc->core, 0), ti->len, data);
}

static int biochain_prepare_ioctl(struct dm_target *ti, struct block_device **bdev)
{
	struct biochain *bc = ti->private;
	struct dm_dev *dev = bc->legs[0];

	*bdev = dev->bdev;
	/* Only pass ioctls through if the device sizes match exactly (as dm-linear). */
	return bc_target_remap_linear(bc->core, 0) || ti->len != bdev_nr_sectors(dev->bdev);
}

struct target_type biochain_target = {
	.name = "biochain",
	.version = { 0, 1, 0 },
	.module = THIS_MODULE,
	.ctr = biochain_ctr,
	.dtr = biochain_dtr,
	.map = biochain_map,
	.end_io = biochain_end_io,
	.status = biochain_status,
	.message = biochain_message,
	.prepare_ioctl = biochain_prepare_ioctl,
	.iterate_devices = biochain_iterate_devices,
};
