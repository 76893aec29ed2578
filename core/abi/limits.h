/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every bound of a biochain table and of its messages, stated once. core/'s table parser
 * and message handler, the shim and biochainctl all read them here, and build the numbers
 * in their messages from them with BC_STRINGIFY, so that a changed bound cannot leave a
 * message behind that states the old one. Plain C, and plain decimal literals: a suffix
 * or an expression would be stringified as written.
 */
#ifndef BIOCHAIN_ABI_LIMITS_H
#define BIOCHAIN_ABI_LIMITS_H

#define BC_STRINGIFY_(x) #x
#define BC_STRINGIFY(x) BC_STRINGIFY_(x) /* expands x first: BC_STRINGIFY(BC_MAX_LEGS) is "16" */

/* Lower devices (legs) of a table; struct bc_table and the shim size their arrays by it. */
#define BC_MAX_LEGS 16
#define BC_STRIPED_MIN_LEGS 1
#define BC_MIRROR_MIN_LEGS 2 /* one leg would mirror nothing */

/* striped <chunk_sectors>, in 512-byte sectors: 4 KiB to 512 GiB (2^30 sectors). */
#define BC_CHUNK_SECTORS_MIN 8
#define BC_CHUNK_SECTORS_MAX 1073741824

/* Features (table) and messages (dmsetup message). */
#define BC_RESERVE_DEFAULT 16
#define BC_RESERVE_MIN 1 /* an empty reserve guarantees nothing */
#define BC_RESERVE_MAX 4096
#define BC_MAX_CHILD_SECTORS_MIN BC_CHUNK_SECTORS_MIN
#define BC_MAX_CHILD_SECTORS_MAX BC_CHUNK_SECTORS_MAX
#define BC_MAX_CHILD_SEGMENTS_MIN 1
#define BC_MAX_CHILD_SEGMENTS_MAX 256 /* BIO_MAX_VECS */
#define BC_FAIL_ALLOC_MIN 0
#define BC_FAIL_ALLOC_MAX 100 /* a percentage */
/* Each is a child object (about 200 bytes) in every clone's per-bio data: two cover a
 * three-leg mirror's copies and three pieces of a split beside the clone's own. */
#define BC_INLINE_CHILDREN_MIN 0
#define BC_INLINE_CHILDREN_MAX 2

/* mirror region_size <sectors>: the unit of resync and of the sync bitmap, a power of two
 * from 4 KiB to 1 GiB; dm-raid1's default, 512 KiB. Each region is a bit in memory. */
#define BC_REGION_SIZE_MIN 8
#define BC_REGION_SIZE_MAX 2097152
#define BC_REGION_SIZE_DEFAULT 1024
/* mirror max_recovery_rate <KiB/s>: how fast the resync may copy (dm-raid's word, md's
 * sync_speed_max), from 1 KiB/s to 16 GiB/s; not given, as fast as the legs go. */
#define BC_MAX_RECOVERY_RATE_MIN 1
#define BC_MAX_RECOVERY_RATE_MAX 16777216
/* The region bitmap is one kmalloc block of at most 4 MiB: 2^25 regions (16 TiB at the
 * default region size). */
#define BC_MIRROR_MAX_REGIONS 33554432

#endif /* BIOCHAIN_ABI_LIMITS_H */
