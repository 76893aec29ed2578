// The layout a BioSet publishes for the shim's inline hit path (core/abi/magazine.h,
// module/magazine.h). The kernel's hit path cannot run here, so a POSIX rendering of it
// does, over the published struct alone: bc_env_percpu_enter stands for preempt_disable()
// (task context) and local_irq_save() (interrupt context). What it pops and pushes must be
// core/'s own magazine, counters and owner word included, or the offsets are wrong.
#include <catch2/catch.hpp>

#include <vector>

#include "abi/magazine.h"
#include "engine/bio_set.h"
#include "env_posix.h"
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

// module/magazine.h, with the POSIX environment's per-CPU sections.
char* at(char* m, unsigned long offset) { return m + offset; }
unsigned& uint_at(char* m, unsigned long offset) { return *reinterpret_cast<unsigned*>(m + offset); }
void count(char* m, unsigned long offset) {
    auto* counter = reinterpret_cast<unsigned long long*>(m + offset);
    __atomic_store_n(counter, *counter + 1, __ATOMIC_RELAXED);
}

bool reserve_short(const bc_magazine& mag) {
    return __atomic_load_n(mag.reserve_count, __ATOMIC_RELAXED) < __atomic_load_n(mag.min_nr, __ATOMIC_RELAXED);
}

void* hit_alloc(const bc_magazine& mag, unsigned nr_vecs, void** vecs, unsigned* capacity) {
    void* object = nullptr;
    int irq = 0;
    unsigned long token = 0;
    if (nr_vecs <= mag.inline_vecs) {
        char* m = static_cast<char*>(bc_env_percpu_enter(mag.percpu, &irq, &token));
        unsigned& n = uint_at(m, mag.count);
        if (!irq && n) {
            object = reinterpret_cast<void**>(at(m, mag.objects))[--n];
            count(m, mag.hits[0]);
        }
        bc_env_percpu_leave(irq, token);
    }
    if (!object)
        return bc_magazine_alloc_miss(&mag, nr_vecs, BC_MAGAZINE_MAY_WAIT, vecs, capacity);
    char* bio = static_cast<char*>(object) + mag.bio_offset;
    reinterpret_cast<void**>(bio)[-1] = mag.set;
    *vecs = nr_vecs ? bio + mag.bio_size : nullptr;
    *capacity = nr_vecs ? mag.inline_vecs : 0;
    return bio;
}

// true: a hit; false: the caller's free went to core/ (a miss).
bool hit_free(const bc_magazine& mag, void* bio, void* vecs, unsigned capacity) {
    void* object = static_cast<char*>(bio) - mag.bio_offset;
    bool pushed = false;
    if (capacity <= mag.inline_vecs && !reserve_short(mag)) {
        int irq = 0;
        unsigned long token = 0;
        char* m = static_cast<char*>(bc_env_percpu_enter(mag.percpu, &irq, &token));
        if (!irq && uint_at(m, mag.count) < mag.capacity) {
            unsigned& n = uint_at(m, mag.count);
            reinterpret_cast<void**>(at(m, mag.objects))[n++] = object;
            count(m, mag.frees[0]);
            pushed = true;
        } else if (irq && uint_at(m, mag.irq_count) < mag.capacity) {
            void** head = reinterpret_cast<void**>(at(m, mag.irq_list));
            *static_cast<void**>(object) = *head;
            *head = object;
            __atomic_store_n(&uint_at(m, mag.irq_count), uint_at(m, mag.irq_count) + 1, __ATOMIC_RELAXED);
            count(m, mag.frees[1]);
            pushed = true;
        }
        bc_env_percpu_leave(irq, token);
    }
    if (!pushed)
        bc_magazine_free_miss(&mag, bio, vecs, capacity);
    return pushed;
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
    CHECK_FALSE(reserve_short(mag));
    bc::BioAllocation b = s.set->alloc(0, true);
    CHECK(s.set->count(Counter::alloc_reserve) == 1);
    CHECK(reserve_short(mag));
    CHECK(reserve_short(mag) == s.set->bio_pool().reserve_short());
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
    const unsigned loaded = uint_at(cpu0, mag.count);
    REQUIRE(loaded > 0);
    {
        bc::posix::InterruptScope irq;
        bio = hit_alloc(mag, 0, &vecs, &capacity);
        REQUIRE(bio);
        CHECK(uint_at(cpu0, mag.count) == loaded);
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
