// Self tests: Layout (layout.h) against the sector-by-sector definition of each layout,
// for every small geometry (in the kernel, and under Catch2 through test_selftest.cpp).
#include "target/layout.h"
#include "abi/selftest.h"

namespace bc {
namespace selftest_layout {

bc_table striped(unsigned legs, unsigned chunk) {
    bc_table t{};
    t.layout = BC_LAYOUT_STRIPED;
    t.nr_legs = legs;
    t.chunk_sectors = chunk;
    for (unsigned i = 0; i < legs; ++i)
        t.legs[i].offset = 1000 * i + 7;
    return t;
}

// Sector s is in chunk s / C; chunk k lives on leg k % N as that leg's chunk k / N.
Piece reference(const bc_table& t, bc_sector_t s) {
    const bc_sector_t k = s / t.chunk_sectors;
    const unsigned leg = unsigned(k % t.nr_legs);
    return {leg, t.legs[leg].offset + (k / t.nr_legs) * t.chunk_sectors + s % t.chunk_sectors, 1};
}

// Every range of every small geometry, walked piece by piece, lands where the
// definition says, sector by sector; pieces never cross a chunk or exceed the limit.
void striped_matches_the_definition(bc_test* test) {
    const unsigned chunks[] = {8, 12, 16, 24};
    for (unsigned legs = 1; legs <= 4; ++legs)
        for (unsigned chunk : chunks) {
            const bc_table t = striped(legs, chunk);
            const Layout layout(t);
            const bc_sector_t length = bc_sector_t(chunk) * legs * 3;
            const unsigned limits[] = {0, 5, 8};
            for (unsigned max : limits)
                for (bc_sector_t start = 0; start < length; ++start)
                    for (unsigned len = 1; start + len <= length && len <= 2 * chunk + 3; ++len) {
                        bc_sector_t s = start;
                        unsigned left = len;
                        while (left) {
                            const Piece p = layout.first_piece(s, left, max, 0);
                            BC_ASSERT(test, p.sectors >= 1 && p.sectors <= left);
                            BC_ASSERT(test, !max || p.sectors <= max);
                            BC_ASSERT(test, s % chunk + p.sectors <= chunk);
                            for (unsigned i = 0; i < p.sectors; ++i) {
                                const Piece want = reference(t, s + i);
                                BC_ASSERT_EQ(test, p.leg, want.leg);
                                BC_ASSERT_EQ(test, p.leg_sector + i, want.leg_sector);
                            }
                            s += p.sectors;
                            left -= p.sectors;
                        }
                    }
        }
}

// A whole-leg range (discard, write-zeroes) is exactly the sectors of the range on
// that leg: contiguous there, from the first to the last.
void striped_leg_ranges_are_exact(bc_test* test) {
    const unsigned chunks[] = {8, 12, 24};
    for (unsigned legs = 1; legs <= 4; ++legs)
        for (unsigned chunk : chunks) {
            const bc_table t = striped(legs, chunk);
            const bc_sector_t length = bc_sector_t(chunk) * legs * 3;
            for (bc_sector_t start = 0; start < length; start += 3)
                for (bc_sector_t len = 1; start + len <= length; len += 5)
                    for (unsigned leg = 0; leg < legs; ++leg) {
                        bc_sector_t first = 0, last = 0, count = 0;
                        for (bc_sector_t s = start; s < start + len; ++s) {
                            const Piece p = reference(t, s);
                            if (p.leg != leg)
                                continue;
                            if (!count++)
                                first = p.leg_sector;
                            last = p.leg_sector;
                        }
                        bc_sector_t begin = 0, n = 0;
                        BC_ASSERT_EQ(test, Layout(t).leg_range(leg, start, len, &begin, &n), count != 0);
                        if (!count)
                            continue;
                        BC_ASSERT_EQ(test, n, count);
                        BC_ASSERT_EQ(test, begin, first);
                        BC_ASSERT_EQ(test, begin + n - 1, last);
                    }
        }
}

void linear_and_mirror_are_offset_by_their_leg(bc_test* test) {
    bc_table t{};
    t.layout = BC_LAYOUT_LINEAR;
    t.nr_legs = 1;
    t.legs[0].offset = 100;
    Piece p = Layout(t).first_piece(50, 30, 8, 0);
    BC_EXPECT_EQ(test, p.leg, 0);
    BC_EXPECT_EQ(test, p.leg_sector, 150);
    BC_EXPECT_EQ(test, p.sectors, 8);
    t.layout = BC_LAYOUT_MIRROR;
    t.nr_legs = 2;
    t.legs[1].offset = 900;
    p = Layout(t).first_piece(50, 30, 0, 1);
    BC_EXPECT_EQ(test, p.leg, 1);
    BC_EXPECT_EQ(test, p.leg_sector, 950);
    BC_EXPECT_EQ(test, p.sectors, 30);
    BC_EXPECT_EQ(test, Layout(t).leg_sectors(4096), 4096);
    BC_EXPECT_EQ(test, Layout(striped(3, 8)).leg_sectors(3 * 8 * 5), 8 * 5);
}

// Division by a divisor fixed at load (divisor.h) agrees with the divide instruction, for
// every divisor up to 1000 and a few of 64 bits, at the dividends where an off-by-one in
// the multiplier would show.
void divisor_matches_division(bc_test* test) {
    const u64 max = kU64Max;
    const u64 big[] = {max, max - 1, u64{1} << 63, (u64{1} << 63) + 1, (u64{1} << 32) + 1, 0xaaaaaaaaaaaaaaab};
    for (unsigned i = 0; i < 1000 + array_size(big); ++i) {
        const u64 d = i < 1000 ? i + 1 : big[i - 1000];
        const Divisor div(d);
        const u64 dividends[] = {0, 1, d - 1, d, d + 1, 2 * d - 1, max, max - d, max / d * d, max / d * d - 1,
                                 u64{1} << 63, 0x123456789abcdefull};
        for (u64 n : dividends) {
            const u64 q = div.quotient(n);
            BC_ASSERT_EQ(test, q, n / d);
            BC_ASSERT_EQ(test, div.remainder(n, q), n % d);
        }
    }
}

const bc_test_case cases[] = {
    BC_TEST_CASE(striped_matches_the_definition),
    BC_TEST_CASE(striped_leg_ranges_are_exact),
    BC_TEST_CASE(linear_and_mirror_are_offset_by_their_leg),
    BC_TEST_CASE(divisor_matches_division),
    BC_TEST_CASES_END,
};

}  // namespace selftest_layout
}  // namespace bc

extern "C" const bc_test_suite bc_suite_layout = {"biochain_layout", bc::selftest_layout::cases};
