/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The magazine hit path: a child object allocated and freed without calling into core/.
 *
 * A BioSet keeps one magazine per CPU (core/engine/bio_set.h): objects[], used from task
 * context with preemption off, and irq_list, which takes the frees of interrupt context
 * with interrupts off. A hit there is a few loads and stores, and under TCG each call
 * between the shim and core/ costs more than that (three there and back per alloc, three
 * per free). So core/ publishes at create where a magazine's fields lie (struct
 * bc_magazine, fixed for the set's life), and the shim pops and pushes itself with its
 * own per-CPU primitives (module/magazine.h), as core/abi/fast_path.h lets it remap.
 *
 * Everything that is not a hit is a miss, and a miss is core/'s, through the two calls
 * below: an empty magazine (the interrupt list taken over, the depot, the mempool, a
 * wait), a full one (the depot), a reserve short of objects (a free refills it first, so
 * that no object hides in a magazine from a waiter), vec tables beyond the inline ones,
 * an allocation in interrupt context.
 *
 * Rules a caller of the published layout keeps, exactly as core/'s own magazine code:
 *   - objects[] and count: only from task context (!in_interrupt()), with preemption off;
 *   - irq_list and irq_count: pushed only from interrupt context with interrupts off (task
 *     context takes the list over inside core/, with interrupts off); irq_count is also
 *     read racily by task context, so it is written with single stores;
 *   - hits[irq] and frees[irq]: one set per context, written by the owner of the context
 *     with single stores (status readers on other CPUs load them racily); hits counts a
 *     pop (alloc_percpu), frees a push (frees);
 *   - the owner word (the BioSet, just before the bio) is written at every allocation;
 *   - a free while *reserve_count < *min_nr is a miss.
 */
#ifndef BIOCHAIN_ABI_MAGAZINE_H
#define BIOCHAIN_ABI_MAGAZINE_H

#include "abi/types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bc_magazine {
	void *percpu;		  /* each CPU's magazine (per-CPU memory, bc_env_percpu_alloc) */
	void *set;		  /* the BioSet: the owner word, and the misses' argument */
	unsigned int capacity;	  /* slots of objects[]; irq_list holds at most as many */
	unsigned int inline_vecs; /* bio_vecs an object carries inline (0: no vecs at all) */
	unsigned long bio_offset; /* object + bio_offset = the bio; the owner word lies before it */
	unsigned long bio_size;	  /* bio + bio_size = the inline vecs */
	/* Byte offsets into each CPU's magazine: */
	unsigned long count;	 /* unsigned int: objects[] in use */
	unsigned long objects;	 /* void *[capacity] */
	unsigned long irq_list;	 /* void *: a free object, whose first word links the next */
	unsigned long irq_count; /* unsigned int: objects on irq_list */
	unsigned long hits[2];	 /* unsigned long long, [irq] */
	unsigned long frees[2];	 /* unsigned long long, [irq] */
	/* The bio reserve (mempool), read racily: short while *reserve_count < *min_nr. */
	const unsigned int *reserve_count;
	const unsigned int *min_nr;
};

/* The flags of an allocation miss. */
#define BC_MAGAZINE_MAY_WAIT 1u /* may sleep for a free (the reserve's last step) */
#define BC_MAGAZINE_QUIET 2u	/* a caller with another way on: a failure is not counted */

/* What the hit path does not serve: BioSet::alloc (or try_alloc with QUIET). Returns the
 * bio, NULL only without MAY_WAIT when nothing is free; *vecs and *capacity as
 * bc_bio_set_alloc. */
void *bc_magazine_alloc_miss(const struct bc_magazine *magazine, unsigned int nr_vecs, unsigned int flags,
			     void **vecs, unsigned int *capacity);
/* BioSet::free. */
void bc_magazine_free_miss(const struct bc_magazine *magazine, void *bio, void *vecs, unsigned int capacity);

#ifdef __cplusplus
}
#endif

#endif /* BIOCHAIN_ABI_MAGAZINE_H */
