// The layout a BioSet publishes for the shim's inline hit path (core/abi/magazine.h,
// module/magazine.h). The kernel's hit path cannot run here, so its POSIX rendering
// (userspace/magazine_posix.h) does, over the published struct alone. What it pops and
// pushes must be core/'s own magazine, counters and owner word included, or the offsets
// are wrong.
#include <catch2/catch.hpp>

#include <vector>

#include "abi/magazine.h"
#include "engine/bio_set.h"
#include "env_posix.h"
#include "magazine_posix.h"
#include "require_ok.h"

using bc::BioSet;
using bc::Counter;

namespace {
constexpr unsigned kBio = 136, kBvec = 16, kInline = 4;

struct Set {
    explicit Set(unsigned pool_size) {
        stats = require_ok(bc::Stats::create());
        set = require_ok(BioSet::create({pool_size, 24, true, true, kBio, kBvec, kInline, 1}, stats));
        set->magazine_layout(&magazine);
    }
    ~Set() {
        BioSet::destroy(set);
        bc::Stats::destroy(stats);
    }
    bc::Stats* stats;
    BioSet* set;
    bc_magazine magazine;
};

using bc::posix::magazine_reserve_short;
using bc::posix::magazine_uint;

void* hit_alloc(const bc_magazine& mag, unsigned nr_vecs, void** vecs, unsigned* capacity) {
    return bc::posix::magazine_alloc(mag, nr_vecs, BC_MAGAZINE_MAY_WAIT, vecs, capacity);
}
bool hit_free(const bc_magazine& mag, void* bio, void* vecs, unsigned capacity) {
    return bc::posix::magazine_free(mag, bio, vecs, capacity);
}
}  // namespace

TEST_CASE("the published magazine layout describes core/'s magazine, counters and owner word") {
    bc::posix::CpuScope cpu(0);
    bc::posix::NoioScope noio;
    Set s(1);
    const bc_magazine& mag = s.magazine;
    CHECK(mag.capacity == BioSet::kMagazineSize);
    CHECK(mag.inline_vecs == kInline);

    // core/ frees into the magazine; the hit path pops that object
    bc::BioAllocation a = s.set->alloc(4, true);
    s.set->free(a.bio, a.vecs, a.vec_capacity);
    void* vecs = nullptr;
    unsigned capacity = 0;
    void* bio = hit_alloc(mag, 4, &vecs, &capacity);
    CHECK(bio == a.bio);
    CHECK(vecs == a.vecs);
    CHECK(capacity == a.vec_capacity);
    CHECK(BioSet::owner_of(bio) == s.set);
    CHECK(s.set->count(Counter::alloc_percpu) == 1);

    // the hit path pushes; core/ pops that object, counted once each
    CHECK(hit_free(mag, bio, vecs, capacity));
    CHECK(s.set->count(Counter::frees) == 2);
    a = s.set->alloc(0, true);
    CHECK(a.bio == bio);
    CHECK(s.set->count(Counter::alloc_percpu) == 2);

    // an interrupt's push lands on irq_list, which core/'s task context takes over
    {
        bc::posix::InterruptScope irq;
        CHECK(hit_free(mag, a.bio, nullptr, 0));
    }
    CHECK(s.set->count(Counter::frees) == 3);
    a = s.set->alloc(0, true);
    CHECK(a.bio == bio);
    CHECK(s.set->count(Counter::alloc_percpu) == 3);

    // the reserve's words: short once its only object is taken, and then a free is a miss
    // that refills it
    s.set->faults().set_percent(100);
    CHECK_FALSE(magazine_reserve_short(mag));
    bc::BioAllocation b = s.set->alloc(0, true);
    CHECK(s.set->count(Counter::alloc_reserve) == 1);
    CHECK(magazine_reserve_short(mag));
    CHECK(magazine_reserve_short(mag) == s.set->bio_pool().reserve_short());
    CHECK_FALSE(hit_free(mag, b.bio, nullptr, 0));
    CHECK(s.set->bio_pool().reserve_count() == 1);
    CHECK(hit_free(mag, a.bio, nullptr, 0));
    CHECK(s.set->count(Counter::frees) == 5);
}

TEST_CASE("the hit path misses on a full magazine, on vec tables and on interrupt context") {
    bc::posix::CpuScope cpu(0);
    bc::posix::NoioScope noio;
    Set s(1);
    const bc_magazine& mag = s.magazine;
    std::vector<bc::BioAllocation> held;
    for (unsigned i = 0; i <= BioSet::kMagazineSize; ++i)
        held.push_back(s.set->alloc(0, true));
    for (unsigned i = 0; i < BioSet::kMagazineSize; ++i)
        CHECK(hit_free(mag, held[i].bio, nullptr, 0));
    CHECK_FALSE(hit_free(mag, held.back().bio, nullptr, 0));  // full: core/ decides
    CHECK(s.set->count(Counter::frees) == BioSet::kMagazineSize + 1);

    // more vecs than inline: core/ serves them, from a size class
    void* vecs = nullptr;
    unsigned capacity = 0;
    void* bio = hit_alloc(mag, 16, &vecs, &capacity);
    CHECK(capacity == 16);
    CHECK_FALSE(hit_free(mag, bio, vecs, capacity));

    // interrupt context never touches objects[] (core/ may serve it from the depot)
    char* cpu0 = static_cast<char*>(bc_env_percpu_slot(mag.percpu, 0));
    const unsigned loaded = magazine_uint(cpu0, mag.count);
    REQUIRE(loaded > 0);
    {
        bc::posix::InterruptScope irq;
        bio = hit_alloc(mag, 0, &vecs, &capacity);
        REQUIRE(bio);
        CHECK(magazine_uint(cpu0, mag.count) == loaded);
    }
    s.set->free(bio, vecs, capacity);
}

TEST_CASE("an allocation miss without waiting fails as a value, counted unless QUIET") {
    bc::posix::NoioScope noio;
    Set s(1);
    s.set->faults().set_percent(100);
    void* vecs = nullptr;
    unsigned capacity = 0;
    void* first = bc_magazine_alloc_miss(&s.magazine, 0, 0, &vecs, &capacity);  // the reserve's
    REQUIRE(first);
    CHECK(bc_magazine_alloc_miss(&s.magazine, 0, BC_MAGAZINE_QUIET, &vecs, &capacity) == nullptr);
    CHECK(s.set->count(Counter::alloc_failed) == 0);
    CHECK(bc_magazine_alloc_miss(&s.magazine, 0, 0, &vecs, &capacity) == nullptr);
    CHECK(s.set->count(Counter::alloc_failed) == 1);
    bc_magazine_free_miss(&s.magazine, first, nullptr, 0);
}
