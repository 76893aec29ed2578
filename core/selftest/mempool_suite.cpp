// Self tests: Mempool's contract (mempool.h) over the environment's real caches and locks,
// with the fault injector and the cache registry it stands on.
#include "engine/cache_registry.h"
#include "engine/mempool.h"
#include "abi/selftest.h"

namespace bc {
namespace selftest_mempool {

// A pool of 64-byte elements whose backing allocations fail at `percent`.
struct Pool {
    Pool(unsigned min_nr, unsigned percent) {
        cache = cache_get(64).value_or(nullptr);
        faults.set_percent(percent);
        pool = cache ? Mempool::create(cache, min_nr, &faults).value_or(nullptr) : nullptr;
    }
    ~Pool() {
        if (pool)
            Mempool::destroy(pool);
        if (cache)
            cache_put(cache);
    }
    bc_env_cache* cache;
    FaultInjector faults;
    Mempool* pool;
};

void reserve_is_preallocated(bc_test* test) {
    Pool p(5, 0);
    BC_ASSERT(test, p.pool);
    BC_EXPECT_EQ(test, p.pool->min_nr(), 5);
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 5);
    BC_EXPECT(test, !p.pool->reserve_short());
}

void backing_then_reserve_then_nothing(bc_test* test) {
    Pool p(2, 100);  // every backing allocation fails
    BC_ASSERT(test, p.pool);
    AllocPath path = AllocPath::none;
    void* a = p.pool->alloc(false, &path);
    BC_EXPECT(test, a && path == AllocPath::reserve);
    void* b = p.pool->alloc(false, &path);
    BC_EXPECT(test, b && path == AllocPath::reserve);
    BC_EXPECT(test, p.pool->alloc(false, &path) == nullptr);  // a value, not a crash
    BC_EXPECT(test, path == AllocPath::none);
    BC_EXPECT_EQ(test, p.pool->low_water(), 0);
    p.faults.set_percent(0);
    void* c = p.pool->alloc(false, &path);
    BC_EXPECT(test, c && path == AllocPath::backing);
    void* const all[] = {a, b, c};
    for (void* element : all)
        if (element)
            p.pool->free(element);
}

void free_refills_reserve_first(bc_test* test) {
    Pool p(2, 100);
    BC_ASSERT(test, p.pool);
    AllocPath path;
    void* a = p.pool->alloc(false, &path);
    void* b = p.pool->alloc(false, &path);
    BC_ASSERT(test, a && b);
    p.faults.set_percent(0);
    void* c = p.pool->alloc(false, &path);  // from the backing cache
    BC_ASSERT(test, c);
    BC_EXPECT(test, p.pool->reserve_short());
    p.pool->free(c);  // an element of the cache refills the reserve too
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 1);
    p.pool->free(b);
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 2);
    BC_EXPECT(test, !p.pool->reserve_short());
    // The reserve is full: a goes back to the cache (a leak would be caught after the
    // case: test_selftest.cpp counts the POSIX environment's allocations, and the module
    // warns at unload), and the reserve holds just its two.
    p.pool->free(a);
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 2);
    p.faults.set_percent(100);
    void* held[3];
    for (void*& h : held)
        h = p.pool->alloc(false, &path);
    BC_EXPECT(test, held[0] && held[1] && !held[2]);
    for (void* h : held)
        if (h)
            p.pool->free(h);
}

// Resizing never loses or doubles an element, whatever is in use at the time, and the
// reserve's own allocations ignore the fault injector (the backing cache fails at 100 %).
void resize_keeps_every_element(bc_test* test) {
    Pool p(4, 100);
    BC_ASSERT(test, p.pool);
    AllocPath path;
    void* held[3];
    for (void*& h : held)
        h = p.pool->alloc(false, &path);
    BC_ASSERT(test, held[0] && held[1] && held[2]);
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 1);
    BC_EXPECT(test, p.pool->resize(2).ok());  // smaller than before, more than is free: filled up
    BC_EXPECT_EQ(test, p.pool->min_nr(), 2);
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 2);
    p.pool->free(held[2]);  // the reserve is full: back to the cache
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 2);
    BC_EXPECT(test, p.pool->resize(8).ok());  // grow: allocated now, may wait
    BC_EXPECT_EQ(test, p.pool->min_nr(), 8);
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 8);  // full now, whatever is still out
    p.pool->free(held[0]);  // the reserve is full: back to the cache, none lost or kept twice
    p.pool->free(held[1]);
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 8);
    BC_EXPECT(test, p.pool->resize(1).ok());
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 1);
}

// The n-th decision depends only on the seed and n (a failing run can be replayed), the
// rate is near the percentage asked for, and a percentage over 100 means 100.
void fault_injection_is_deterministic_and_near_its_rate(bc_test* test) {
    FaultInjector a(7), b(7);
    a.set_percent(50);
    b.set_percent(50);
    unsigned failures = 0, differ = 0;
    for (unsigned i = 0; i < 10000; ++i) {
        const bool fails = a.should_fail();
        differ += fails != b.should_fail();
        failures += fails;
    }
    BC_EXPECT_EQ(test, differ, 0);
    BC_EXPECT(test, failures > 4500);
    BC_EXPECT(test, failures < 5500);
    a.set_percent(150);
    BC_EXPECT_EQ(test, a.percent(), 100);
}

// The registry behind every Mempool's backing cache: one cache per object size, shared,
// destroyed with its last user. Odd sizes: no BioSet's objects or vec tables (multiples
// of 8) can already hold these caches when the module runs the suite beside live targets.
void caches_are_shared_by_size_until_the_last_put(bc_test* test) {
    const unsigned before = cache_registry_size();
    bc_env_cache* a = cache_get(1001).value_or(nullptr);
    bc_env_cache* b = cache_get(1001).value_or(nullptr);
    bc_env_cache* c = cache_get(2001).value_or(nullptr);
    BC_EXPECT(test, a && c);
    BC_EXPECT(test, a == b);
    BC_EXPECT(test, a != c);
    BC_EXPECT_EQ(test, cache_registry_size(), before + 2);
    cache_put(a);
    BC_EXPECT_EQ(test, cache_registry_size(), before + 2);
    cache_put(b);
    cache_put(c);
    BC_EXPECT_EQ(test, cache_registry_size(), before);
}

const bc_test_case cases[] = {
    BC_TEST_CASE(reserve_is_preallocated),
    BC_TEST_CASE(backing_then_reserve_then_nothing),
    BC_TEST_CASE(free_refills_reserve_first),
    BC_TEST_CASE(resize_keeps_every_element),
    BC_TEST_CASE(fault_injection_is_deterministic_and_near_its_rate),
    BC_TEST_CASE(caches_are_shared_by_size_until_the_last_put),
    BC_TEST_CASES_END,
};

}  // namespace selftest_mempool
}  // namespace bc

extern "C" const bc_test_suite bc_suite_mempool = {"biochain_mempool", bc::selftest_mempool::cases};
