// Layout against a reference that walks sector by sector, for every small geometry.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "layout.h"

namespace {
struct Location {
    unsigned leg;
    bc_sector_t leg_sector;
    bool operator==(const Location& o) const { return leg == o.leg && leg_sector == o.leg_sector; }
};

// The obvious definition: sector s is in chunk s / C, chunk k lives on leg k % N as that
// leg's chunk k / N.
Location reference_striped(const bc_table& t, bc_sector_t s) {
    const bc_sector_t k = s / t.chunk_sectors;
    const unsigned leg = unsigned(k % t.nr_legs);
    return {leg, t.legs[leg].offset + (k / t.nr_legs) * t.chunk_sectors + s % t.chunk_sectors};
}

bc_table striped(unsigned legs, unsigned chunk) {
    bc_table t{};
    t.layout = BC_LAYOUT_STRIPED;
    t.nr_legs = legs;
    t.chunk_sectors = chunk;
    for (unsigned i = 0; i < legs; ++i)
        t.legs[i].offset = 1000 * i + 7;
    return t;
}
}  // namespace

TEST_CASE("striped pieces match the sector-by-sector reference for small geometries") {
    for (unsigned legs = 1; legs <= 4; ++legs)
        for (unsigned chunk : {8u, 12u, 16u, 24u}) {
            const bc_table t = striped(legs, chunk);
            const bc_sector_t length = bc_sector_t(chunk) * legs * 3;
            for (unsigned max : {0u, 5u, 8u})
                for (bc_sector_t start = 0; start < length; ++start)
                    for (unsigned len = 1; start + len <= length && len <= 2 * chunk + 3; ++len) {
                        // walk the whole range piece by piece, compare every sector
                        bc_sector_t s = start;
                        unsigned left = len;
                        while (left) {
                            const bc::Piece p = bc::first_piece(t, s, left, max, 0);
                            REQUIRE(p.sectors >= 1);
                            REQUIRE(p.sectors <= left);
                            if (max)
                                REQUIRE(p.sectors <= max);
                            for (unsigned i = 0; i < p.sectors; ++i) {
                                const Location want = reference_striped(t, s + i);
                                REQUIRE(want.leg == p.leg);
                                REQUIRE(want.leg_sector == p.leg_sector + i);
                            }
                            // a piece never runs past its chunk
                            REQUIRE((s % chunk) + p.sectors <= chunk);
                            s += p.sectors;
                            left -= p.sectors;
                        }
                    }
        }
}

TEST_CASE("striped leg ranges cover exactly the sectors of each leg") {
    for (unsigned legs = 1; legs <= 4; ++legs)
        for (unsigned chunk : {8u, 12u, 24u}) {
            const bc_table t = striped(legs, chunk);
            const bc_sector_t length = bc_sector_t(chunk) * legs * 3;
            for (bc_sector_t start = 0; start < length; start += 3)
                for (bc_sector_t len = 1; start + len <= length; len += 5) {
                    std::map<unsigned, std::vector<bc_sector_t>> want;
                    for (bc_sector_t s = start; s < start + len; ++s) {
                        const Location l = reference_striped(t, s);
                        want[l.leg].push_back(l.leg_sector);
                    }
                    for (unsigned leg = 0; leg < legs; ++leg) {
                        bc_sector_t begin = 0, count = 0;
                        const bool any = bc::leg_range(t, leg, start, len, &begin, &count);
                        const auto& w = want[leg];
                        REQUIRE(any == !w.empty());
                        if (!any)
                            continue;
                        REQUIRE(count == w.size());
                        REQUIRE(begin == w.front());  // contiguous on the leg
                        REQUIRE(begin + count - 1 == w.back());
                    }
                }
        }
}

TEST_CASE("linear and mirror pieces are offset by their leg") {
    bc_table t{};
    t.layout = BC_LAYOUT_LINEAR;
    t.nr_legs = 1;
    t.legs[0].offset = 100;
    bc::Piece p = bc::first_piece(t, 50, 30, 8, 0);
    CHECK(p.leg == 0);
    CHECK(p.leg_sector == 150);
    CHECK(p.sectors == 8);

    t.layout = BC_LAYOUT_MIRROR;
    t.nr_legs = 2;
    t.legs[1].offset = 900;
    p = bc::first_piece(t, 50, 30, 0, 1);
    CHECK(p.leg == 1);
    CHECK(p.leg_sector == 950);
    CHECK(p.sectors == 30);
    CHECK(bc::leg_sectors(t, 4096) == 4096);

    bc_sector_t begin = 0, count = 0;
    CHECK(bc::leg_range(t, 1, 10, 20, &begin, &count));
    CHECK(begin == 910);
    CHECK(count == 20);
    CHECK(bc::leg_sectors(striped(3, 8), 3 * 8 * 5) == 8 * 5);
}
