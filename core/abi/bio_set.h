/* SPDX-License-Identifier: GPL-2.0 */
/* A BioSet, directly: for benchmarks and self tests. */
#ifndef BIOCHAIN_ABI_BIO_SET_H
#define BIOCHAIN_ABI_BIO_SET_H

#include "abi/magazine.h"
#include "abi/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* For benchmarks and self tests: a BioSet with its own counters, outside any target. */

struct bc_bio_set;
struct bc_bio_set_config {
	unsigned int pool_size;
	unsigned int front_pad;
	int need_bvecs;
	int need_rescuer;
	unsigned int fail_alloc_percent;
};
struct bc_bio_set *bc_bio_set_create(const struct bc_bio_set_config *config,
				     const struct bc_bio_shape *shape);
void bc_bio_set_destroy(struct bc_bio_set *set);
/* Returns the bio (NULL only when !may_wait and nothing is free); *vecs and *capacity
 * describe its vec table (inline, or from a size class). */
void *bc_bio_set_alloc(struct bc_bio_set *set, unsigned int nr_vecs, int may_wait, void **vecs,
		       unsigned int *capacity);
void bc_bio_set_free(struct bc_bio_set *set, void *bio, void *vecs, unsigned int capacity);
/* Where the set's magazines lie, for the inline hit path (abi/magazine.h); the same
 * objects and counters as the two calls above. */
void bc_bio_set_magazine(const struct bc_bio_set *set, struct bc_magazine *magazine);

#ifdef __cplusplus
}
#endif

#endif /* BIOCHAIN_ABI_BIO_SET_H */
