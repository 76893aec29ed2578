/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The striped sector math as plain C inlines: where a target sector lies (which leg,
 * which sector of it, how much of its chunk is left), by divisions prepared at table
 * load. Plain C so that one copy serves both sides of the boundary:
 *   - core/'s Layout (C++) cuts every striped piece with it;
 *   - the kernel shim runs it inline on the map path of every striped read and write,
 *     with the parameters core/ gave it at load (abi/fast_path.h), as it adds
 *     linear's offset itself. Under TCG one call into core/ and back costs about 3 % of a
 *     4k I/O; dm-stripe pays none, and neither does this path.
 * Core/ still owns the math and decides which bios may take this path; the shim only
 * executes it. No kernel types and no state, like core/abi/.
 *
 * Division without a divide instruction: every striped bio divides its sector by the
 * chunk size and the chunk index by the leg count. dm-stripe shifts when those are powers
 * of two and otherwise calls sector_div, a 64-bit `div` (tens of cycles on common x86
 * cores, a helper call under emulation); three legs, the usual odd stripe, pay it on
 * every bio. Here a power of two is a shift and a mask, and anything else a 64x64->128
 * multiply and two shifts (Granlund and Montgomery, "Division by invariant integers using
 * multiplication", PLDI 1994, figure 4.1), exact for every 64-bit n and every d >= 1. The
 * multiplier is found once, at load (core/divisor.h).
 */
#ifndef BIOCHAIN_ABI_STRIPE_MATH_H
#define BIOCHAIN_ABI_STRIPE_MATH_H

#include "abi/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* n / value and n % value for a value fixed at load. */
struct bc_divisor {
	unsigned long long value;      /* >= 1 */
	unsigned long long multiplier; /* unused for a power of two */
	unsigned char shift;
	unsigned char power_of_two;
};

/*
 * The high half of the 128-bit product. Not through unsigned __int128: the kernel builds
 * with an 8-byte stack alignment, and a 16-byte-aligned type in a function makes GCC
 * realign its stack, on the map path of every bio. Other architectures take four 32-bit
 * products (BC_PORTABLE_MULTIPLY selects that path on x86-64 too, for its test).
 */
static inline unsigned long long bc_multiply_high(unsigned long long a, unsigned long long b)
{
#if defined(__x86_64__) && !defined(BC_PORTABLE_MULTIPLY)
	unsigned long long low, high;

	__asm__("mulq %3" : "=a"(low), "=d"(high) : "%0"(a), "rm"(b) : "cc");
	(void)low;
	return high;
#else
	const unsigned long long a_lo = a & 0xffffffffu, a_hi = a >> 32;
	const unsigned long long b_lo = b & 0xffffffffu, b_hi = b >> 32;
	const unsigned long long lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo;
	const unsigned long long lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
	const unsigned long long middle = (lo_lo >> 32) + (hi_lo & 0xffffffffu) + lo_hi;

	return hi_hi + (hi_lo >> 32) + (middle >> 32);
#endif
}

static inline unsigned long long bc_divisor_quotient(const struct bc_divisor *d, unsigned long long n)
{
	unsigned long long t;

	if (d->power_of_two)
		return n >> d->shift;
	t = bc_multiply_high(d->multiplier, n);
	return (t + ((n - t) >> 1)) >> d->shift;
}

/* n % value, given quotient = n / value. */
static inline unsigned long long bc_divisor_remainder(const struct bc_divisor *d, unsigned long long n,
						      unsigned long long quotient)
{
	return d->power_of_two ? n & (d->value - 1) : n - quotient * d->value;
}

/*
 * A striped layout: chunks of chunk.value sectors dealt round-robin over legs.value legs,
 * chunk k of the target being chunk k / legs of leg k % legs; each leg starts at its
 * offset. What the shim keeps to remap in place (struct bc_fast_path).
 */
struct bc_stripes {
	struct bc_divisor chunk; /* sectors per chunk */
	struct bc_divisor legs;	 /* legs per row */
	bc_sector_t offsets[BC_MAX_LEGS];
};

/* Where a target sector lies. leg_sector counts from the leg's start, before its offset. */
struct bc_stripe_place {
	bc_sector_t leg_sector;
	bc_sector_t room; /* sectors of the chunk from sector on: 1..chunk */
	unsigned int leg;
};

static inline struct bc_stripe_place bc_stripes_locate(const struct bc_divisor *chunk,
						       const struct bc_divisor *legs, bc_sector_t sector)
{
	const bc_sector_t chunk_index = bc_divisor_quotient(chunk, sector);
	const bc_sector_t in_chunk = bc_divisor_remainder(chunk, sector, chunk_index);
	const bc_sector_t row = bc_divisor_quotient(legs, chunk_index);
	struct bc_stripe_place place;

	place.leg = (unsigned int)bc_divisor_remainder(legs, chunk_index, row);
	place.leg_sector = row * chunk->value + in_chunk;
	place.room = chunk->value - in_chunk;
	return place;
}

#ifdef __cplusplus
}
#endif

#endif
