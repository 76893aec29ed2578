// Divisor (core/divisor.h) against the divide instruction: every small divisor with the
// dividends where an off-by-one would show, the divisors at the edges of the 64-bit range,
// and a few million random pairs.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "target/divisor.h"

namespace {

std::vector<std::uint64_t> edge_dividends(std::uint64_t d) {
    const std::uint64_t max = ~std::uint64_t{0};
    std::vector<std::uint64_t> n = {0, 1, 2, d - 1, d, d + 1, 2 * d - 1, 2 * d, max, max - 1, max - d,
                                    max - d + 1, max / d * d, max / d * d - 1, std::uint64_t{1} << 63,
                                    (std::uint64_t{1} << 63) - 1, std::uint64_t{1} << 32, 0xffffffffu};
    for (std::uint64_t k = 1; k < max / d && k < (std::uint64_t{1} << 62); k = k * 3 + 1) {
        n.push_back(k * d - 1);
        n.push_back(k * d);
        n.push_back(k * d + 1);
    }
    return n;
}

void check(std::uint64_t d, std::uint64_t n) {
    const bc::Divisor div(d);
    const std::uint64_t q = div.quotient(n);
    if (q != n / d || div.remainder(n, q) != n % d) {
        INFO("d " << d << " n " << n << " q " << q << " r " << div.remainder(n, q));
        CHECK(q == n / d);
        CHECK(div.remainder(n, q) == n % d);
    }
}

}  // namespace

TEST_CASE("Divisor is exact for every divisor up to 4096 at the edge dividends") {
    for (std::uint64_t d = 1; d <= 4096; ++d)
        for (std::uint64_t n : edge_dividends(d))
            check(d, n);
}

TEST_CASE("Divisor is exact at the edges of the 64-bit range") {
    const std::uint64_t max = ~std::uint64_t{0};
    const std::uint64_t divisors[] = {max,
                                      max - 1,
                                      std::uint64_t{1} << 63,
                                      (std::uint64_t{1} << 63) + 1,
                                      (std::uint64_t{1} << 63) - 1,
                                      std::uint64_t{1} << 32,
                                      (std::uint64_t{1} << 32) + 1,
                                      (std::uint64_t{1} << 32) - 1,
                                      0x5555555555555555,
                                      0xaaaaaaaaaaaaaaab,
                                      3 * 128,
                                      641,
                                      6700417};
    for (std::uint64_t d : divisors)
        for (std::uint64_t n : edge_dividends(d))
            check(d, n);
}

TEST_CASE("Divisor is exact for random divisors and dividends") {
    std::mt19937_64 random(20261123);
    for (int i = 0; i < 2000000; ++i) {
        // divisors of every magnitude: a random 64-bit value shifted down by 0..63
        const std::uint64_t d = (random() >> (random() % 64)) | 1u << (i & 1);
        check(d, random());
        check(d, random() >> (random() % 64));
    }
}

TEST_CASE("Divisor's default is one, and zero is treated as one") {
    CHECK(bc::Divisor().quotient(12345) == 12345);
    CHECK(bc::Divisor(0).quotient(77) == 77);
    CHECK(bc::Divisor(0).value() == 1);
}
