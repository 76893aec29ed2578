/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The magazine hit path of a BioSet, inline (core/abi/magazine.h): an alloc or free that
 * the calling CPU's magazine serves makes no call into core/, only a preempt_disable()
 * (task context) or a local_irq_save() (interrupt context) around a few loads and stores,
 * as block/bio.c's BIOSET_PERCPU_CACHE does. Anything else is a call to core/'s miss.
 *
 * The I/O path calls these with the struct bc_magazine core/ filled for its BioSet:
 *   bio = biochain_magazine_alloc(&magazine, nr_vecs, BC_MAGAZINE_MAY_WAIT, &vecs, &capacity);
 *   ...
 *   biochain_magazine_free(&magazine, bio, vecs, capacity);
 * from any context core/'s alloc and free allow (an alloc that may wait: task context,
 * inside the NOIO scope; a free: anywhere, completions included).
 */
#ifndef BIOCHAIN_MAGAZINE_H
#define BIOCHAIN_MAGAZINE_H

#include <linux/compiler.h>
#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/preempt.h>

#include "abi/magazine.h"
#include "compat.h"

/* The calling CPU's magazine, as bytes; preemption or interrupts must be off. */
static __always_inline char *biochain_magazine_this_cpu(const struct bc_magazine *magazine)
{
	return (char *)this_cpu_ptr(biochain_percpu_from_core(magazine->percpu));
}

static __always_inline unsigned int *biochain_magazine_uint(char *m, unsigned long offset)
{
	return (unsigned int *)(m + offset);
}

/* A counter of the magazine: only its context writes it, status readers load it racily. */
static __always_inline void biochain_magazine_count(char *m, unsigned long offset)
{
	u64 *counter = (u64 *)(m + offset);

	WRITE_ONCE(*counter, *counter + 1);
}

/* While the reserve is short, a free refills it (core/'s miss) instead of a magazine. */
static __always_inline bool biochain_magazine_reserve_short(const struct bc_magazine *magazine)
{
	return READ_ONCE(*magazine->reserve_count) < READ_ONCE(*magazine->min_nr);
}

/* Task context: pops objects[] with preemption off. NULL: empty (a miss). */
static __always_inline void *biochain_magazine_pop(const struct bc_magazine *magazine)
{
	void *object = NULL;
	unsigned int *count;
	char *m;

	preempt_disable();
	m = biochain_magazine_this_cpu(magazine);
	count = biochain_magazine_uint(m, magazine->count);
	if (likely(*count)) {
		object = ((void **)(m + magazine->objects))[--*count];
		biochain_magazine_count(m, magazine->hits[0]);
	}
	preempt_enable();
	return object;
}

/* Task context: pushes onto objects[] with preemption off. false: full (a miss). */
static __always_inline bool biochain_magazine_push(const struct bc_magazine *magazine, void *object)
{
	bool pushed = false;
	unsigned int *count;
	char *m;

	preempt_disable();
	m = biochain_magazine_this_cpu(magazine);
	count = biochain_magazine_uint(m, magazine->count);
	if (likely(*count < magazine->capacity)) {
		((void **)(m + magazine->objects))[(*count)++] = object;
		biochain_magazine_count(m, magazine->frees[0]);
		pushed = true;
	}
	preempt_enable();
	return pushed;
}

/* Interrupt context: pushes onto irq_list with interrupts off. false: full (a miss). */
static __always_inline bool biochain_magazine_push_irq(const struct bc_magazine *magazine, void *object)
{
	bool pushed = false;
	unsigned int *irq_count;
	unsigned long flags;
	void **head;
	char *m;

	local_irq_save(flags);
	m = biochain_magazine_this_cpu(magazine);
	irq_count = biochain_magazine_uint(m, magazine->irq_count);
	if (likely(*irq_count < magazine->capacity)) {
		head = (void **)(m + magazine->irq_list);
		*(void **)object = *head;
		*head = object;
		WRITE_ONCE(*irq_count, *irq_count + 1); /* task context reads it as a hint */
		biochain_magazine_count(m, magazine->frees[1]);
		pushed = true;
	}
	local_irq_restore(flags);
	return pushed;
}

/*
 * A bio of magazine's BioSet with room for nr_vecs bio_vecs; flags are
 * BC_MAGAZINE_MAY_WAIT and BC_MAGAZINE_QUIET. Returns the bio (NULL only without MAY_WAIT
 * when nothing is free), its vec table in *vecs (inline, from a size class, or NULL when
 * nr_vecs is 0) and the table's capacity. Only task context pops: an interrupt that
 * allocates never meets a half-done pop.
 */
static __always_inline void *biochain_magazine_alloc(const struct bc_magazine *magazine, unsigned int nr_vecs,
						     unsigned int flags, void **vecs, unsigned int *capacity)
{
	void *object = NULL;
	char *bio;

	if (likely(nr_vecs <= magazine->inline_vecs && !in_interrupt()))
		object = biochain_magazine_pop(magazine);
	if (unlikely(!object))
		return bc_magazine_alloc_miss(magazine, nr_vecs, flags, vecs, capacity);
	bio = (char *)object + magazine->bio_offset;
	((void **)bio)[-1] = magazine->set; /* the owner word (BioSet::owner_of) */
	*vecs = nr_vecs ? bio + magazine->bio_size : NULL;
	*capacity = nr_vecs ? magazine->inline_vecs : 0;
	return bio;
}

/* Gives back a bio biochain_magazine_alloc (or core/) allocated, with its vec table. */
static __always_inline void biochain_magazine_free(const struct bc_magazine *magazine, void *bio, void *vecs,
						   unsigned int capacity)
{
	void *object = (char *)bio - magazine->bio_offset;

	if (likely(capacity <= magazine->inline_vecs && !biochain_magazine_reserve_short(magazine))) {
		if (likely(!in_interrupt())) {
			if (likely(biochain_magazine_push(magazine, object)))
				return;
		} else if (biochain_magazine_push_irq(magazine, object)) {
			return;
		}
	}
	bc_magazine_free_miss(magazine, bio, vecs, capacity);
}

#endif /* BIOCHAIN_MAGAZINE_H */
