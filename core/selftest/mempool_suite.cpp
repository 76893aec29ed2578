// Self tests: Mempool's contract (mempool.h) over the environment's real caches and locks.
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
    BC_EXPECT(test, p.pool->reserve_short());
    p.pool->free(a);
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 1);
    p.pool->free(b);
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 2);
    BC_EXPECT(test, !p.pool->reserve_short());
}

void resize_keeps_every_element(bc_test* test) {
    Pool p(4, 100);
    BC_ASSERT(test, p.pool);
    AllocPath path;
    void* held[3];
    for (void*& h : held)
        h = p.pool->alloc(false, &path);
    BC_ASSERT(test, held[0] && held[1] && held[2]);
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 1);
    p.faults.set_percent(0);  // growing allocates from the backing cache
    BC_EXPECT(test, p.pool->resize(8).ok());
    BC_EXPECT_EQ(test, p.pool->min_nr(), 8);
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 8);  // full now, whatever is still out
    for (void* h : held)
        p.pool->free(h);  // the reserve is full: back to the cache, none lost or kept twice
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 8);
    BC_EXPECT(test, p.pool->resize(1).ok());
    BC_EXPECT_EQ(test, p.pool->reserve_count(), 1);
}

const bc_test_case cases[] = {
    BC_TEST_CASE(reserve_is_preallocated),
    BC_TEST_CASE(backing_then_reserve_then_nothing),
    BC_TEST_CASE(free_refills_reserve_first),
    BC_TEST_CASE(resize_keeps_every_element),
    BC_TEST_CASES_END,
};

}  // namespace selftest_mempool
}  // namespace bc

extern "C" const bc_test_suite bc_suite_mempool = {"biochain_mempool", bc::selftest_mempool::cases};
