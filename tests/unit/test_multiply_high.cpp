// stripe_math.h's portable multiply-high, the path every architecture but x86-64 takes,
// against the compiler's 128-bit product. This file selects it; the functions are static
// inline, so this copy stays in this file and every other one keeps the mulq path.
#define BC_PORTABLE_MULTIPLY
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>

#include "target/divisor.h"  // and through it stripe_math.h, with the portable multiply

namespace {

std::uint64_t reference_high(std::uint64_t a, std::uint64_t b) {
    return std::uint64_t((unsigned __int128)a * b >> 64);
}

}  // namespace

TEST_CASE("the portable multiply-high is the high half of the 128-bit product") {
    const std::uint64_t max = ~std::uint64_t{0};
    const std::uint64_t edges[] = {0, 1, 2, 0xffffffffu, 0x100000000u, 0x100000001u, max / 3, max / 2,
                                   max / 2 + 1, max - 1, max};
    for (std::uint64_t a : edges)
        for (std::uint64_t b : edges)
            REQUIRE(bc_multiply_high(a, b) == reference_high(a, b));
    std::mt19937_64 random(20261130);
    for (int i = 0; i < 1000000; ++i) {
        const std::uint64_t a = random() >> (random() % 64), b = random();
        REQUIRE(bc_multiply_high(a, b) == reference_high(a, b));
    }
}

TEST_CASE("striped placement over the portable multiply-high is the definition") {
    // 3 legs of 24-sector chunks: neither divisor is a power of two, so both multiply.
    // Divisor prepares the parameters as for any table; only the multiply is this file's.
    const bc_divisor chunk = bc::Divisor(24).raw(), legs = bc::Divisor(3).raw();
    std::mt19937_64 random(7);
    for (int i = 0; i < 200000; ++i) {
        const bc_sector_t sector = i < 100000 ? bc_sector_t(i) : random() >> 1;
        const bc_stripe_place place = bc_stripes_locate(&chunk, &legs, sector);
        const bc_sector_t k = sector / 24;
        REQUIRE(place.leg == k % 3);
        REQUIRE(place.leg_sector == k / 3 * 24 + sector % 24);
        REQUIRE(place.room == 24 - sector % 24);
    }
}
