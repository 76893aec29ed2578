// Self tests: BioSet (bio_set.h) over the environment's caches, per-CPU memory and locks.
// The shape is a stand-in (no bio is initialised here); the shim's suites use real bios.
#include "engine/bio_set.h"
#include "engine/cache_registry.h"
#include "abi/selftest.h"
#include "abi/target.h"

namespace bc {
namespace selftest_bio_set {

constexpr unsigned kBio = 136, kBvec = 16, kInline = 4;

struct Set {
    Set(unsigned pool_size, unsigned front_pad, bool need_bvecs = true) {
        stats = Stats::create().value_or(nullptr);
        const BioSetConfig config{pool_size, front_pad, need_bvecs, false, kBio, kBvec, kInline, 1};
        set = stats ? BioSet::create(config, stats).value_or(nullptr) : nullptr;
    }
    ~Set() {
        if (set)
            BioSet::destroy(set);
        if (stats)
            Stats::destroy(stats);
    }
    Stats* stats;
    BioSet* set;
};

// An allocation the set must refuse; one it makes anyway is given back, so that the set
// can still be destroyed.
void expect_refused(bc_test* test, BioSet* set, unsigned nr_vecs) {
    const BioAllocation a = set->alloc(nr_vecs, true);
    if (!BC_EXPECT(test, a.bio == nullptr))
        set->free(a.bio, a.vecs, a.vec_capacity);
}

// Every byte of each region is writable (under ASan in userspace, its bounds are checked)
// and none of them reaches the owner word.
void object_layout(bc_test* test) {
    Set s(2, 24);
    BC_ASSERT(test, s.set);
    BioAllocation a = s.set->alloc(3, true);
    BC_ASSERT(test, a.bio);
    BC_EXPECT(test, BioSet::owner_of(a.bio) == s.set);
    BC_EXPECT(test, bc_bio_owner(a.bio) == s.set);  // what the shim's rescuer compares
    BC_EXPECT(test, s.set->bio_of(s.set->front(a.bio)) == a.bio);
    BC_EXPECT_EQ(test, reinterpret_cast<uptr>(a.bio) % 16, 0);
    BC_EXPECT(test, a.vecs == static_cast<char*>(a.bio) + kBio);
    BC_EXPECT_EQ(test, a.vec_capacity, kInline);
    __builtin_memset(s.set->front(a.bio), 0xaa, 24);
    __builtin_memset(a.bio, 0xbb, kBio);
    __builtin_memset(a.vecs, 0xcc, kInline * kBvec);
    BC_EXPECT(test, BioSet::owner_of(a.bio) == s.set);
    s.set->free(a.bio, a.vecs, a.vec_capacity);
}

// Vec tables by size class, inline up to 4, each as large as the capacity it reports.
void vec_size_classes(bc_test* test) {
    Set s(2, 24);
    BC_ASSERT(test, s.set);
    const unsigned cases[][2] = {{0, 0},   {1, 4},   {4, 4},   {5, 16},    {16, 16},
                                 {17, 64}, {64, 64}, {65, 128}, {129, 256}, {256, 256}};
    for (const auto& c : cases) {
        BioAllocation a = s.set->alloc(c[0], true);
        BC_ASSERT(test, a.bio);
        BC_EXPECT_EQ(test, a.vec_capacity, c[1]);
        if (c[0])
            __builtin_memset(a.vecs, 0x5a, usize(a.vec_capacity) * kBvec);
        else
            BC_EXPECT(test, a.vecs == nullptr);
        s.set->free(a.bio, a.vecs, a.vec_capacity);
    }
    expect_refused(test, s.set, 257);  // more than BIO_MAX_VECS
}

void refuses_vecs_without_need_bvecs(bc_test* test) {
    Set s(2, 8, false);
    BC_ASSERT(test, s.set);
    expect_refused(test, s.set, 1);
    BioAllocation a = s.set->alloc(0, true);
    BC_ASSERT(test, a.bio);
    s.set->free(a.bio, nullptr, 0);
}

// Only the 256 class has a reserve: when the small classes fail, any table comes from it.
void vecs_fall_back_to_the_256_reserve(bc_test* test) {
    Set s(2, 24);
    BC_ASSERT(test, s.set);
    s.set->faults().set_percent(100);
    BioAllocation a = s.set->alloc(20, false);
    BC_ASSERT(test, a.bio);
    BC_EXPECT_EQ(test, a.vec_capacity, 256);
    s.set->free(a.bio, a.vecs, a.vec_capacity);
}

// A freed object is the next one allocated on that CPU, from its magazine, not from the
// cache. A task may migrate between the free and the alloc (the kernel runs this
// preemptible), so give it a few tries: one hit that returns the object just freed proves
// the path, none means it is broken.
void freed_object_comes_back_from_the_magazine(bc_test* test) {
    Set s(2, 24);
    BC_ASSERT(test, s.set);
    BioAllocation first = s.set->alloc(0, true);
    BC_ASSERT(test, first.bio);
    BC_EXPECT_EQ(test, s.set->count(Counter::alloc_backing), 1);  // nothing freed yet: the cache
    s.set->free(first.bio, nullptr, 0);
    constexpr unsigned kTries = 8;
    void* freed = first.bio;
    unsigned same_object_hits = 0;
    for (unsigned i = 1; i < kTries; ++i) {
        const u64 hits = s.set->count(Counter::alloc_percpu);
        BioAllocation a = s.set->alloc(0, true);
        BC_ASSERT(test, a.bio);
        same_object_hits += s.set->count(Counter::alloc_percpu) > hits && a.bio == freed;
        s.set->free(a.bio, nullptr, 0);
        freed = a.bio;
    }
    BC_EXPECT(test, same_object_hits >= 1);
    BC_EXPECT_EQ(test, s.set->count(Counter::alloc_percpu) + s.set->count(Counter::alloc_backing), kTries);
    BC_EXPECT_EQ(test, s.set->count(Counter::frees), kTries);
}

void reserve_refilled_before_any_magazine(bc_test* test) {
    Set s(2, 24);
    BC_ASSERT(test, s.set);
    s.set->faults().set_percent(100);
    BioAllocation held[2];
    for (BioAllocation& h : held) {
        h = s.set->alloc(0, false);
        BC_ASSERT(test, h.bio);
    }
    BC_EXPECT(test, s.set->alloc(0, false).bio == nullptr);
    BC_EXPECT_EQ(test, s.set->count(Counter::alloc_failed), 1);
    BC_EXPECT_EQ(test, s.set->count(Counter::alloc_reserve), 2);
    for (BioAllocation& h : held)
        s.set->free(h.bio, nullptr, 0);
    BC_EXPECT_EQ(test, s.set->bio_pool().reserve_count(), 2);
}

void same_shape_shares_caches(bc_test* test) {
    const unsigned before = cache_registry_size();
    {
        Set a(4, 24), b(8, 24), c(4, 40);
        BC_ASSERT(test, a.set && b.set && c.set);
        // a and b: one object cache and the vec classes 16/64/128/256; c: its own object
        // cache (front_pad 40 rounds to another size), the same vec classes
        BC_EXPECT_EQ(test, cache_registry_size(), before + 1 + 4 + 1);
    }
    BC_EXPECT_EQ(test, cache_registry_size(), before);
}

const bc_test_case cases[] = {
    BC_TEST_CASE(object_layout),
    BC_TEST_CASE(vec_size_classes),
    BC_TEST_CASE(refuses_vecs_without_need_bvecs),
    BC_TEST_CASE(vecs_fall_back_to_the_256_reserve),
    BC_TEST_CASE(freed_object_comes_back_from_the_magazine),
    BC_TEST_CASE(reserve_refilled_before_any_magazine),
    BC_TEST_CASE(same_shape_shares_caches),
    BC_TEST_CASES_END,
};

}  // namespace selftest_bio_set
}  // namespace bc

extern "C" const bc_test_suite bc_suite_bio_set = {"biochain_bio_set", bc::selftest_bio_set::cases};
