#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/cache_registry.h"
#include "env_posix.h"
#include "engine/mempool.h"
#include "require_ok.h"

using bc::AllocPath;
using bc::Mempool;

namespace {
struct Pool {
    explicit Pool(unsigned min_nr, unsigned percent = 0) {
        cache = require_ok(bc::cache_get(64));
        faults.set_percent(percent);
        pool = require_ok(Mempool::create(cache, min_nr, &faults));
    }
    ~Pool() {
        Mempool::destroy(pool);
        bc::cache_put(cache);
    }
    bc_env_cache* cache;
    bc::FaultInjector faults;
    Mempool* pool;
};
}  // namespace

TEST_CASE("a mempool preallocates its reserve") {
    Pool p(5);
    CHECK(p.pool->min_nr() == 5);
    CHECK(p.pool->reserve_count() == 5);
    CHECK_FALSE(p.pool->reserve_short());
}

TEST_CASE("alloc takes the backing cache first, then the reserve, then fails only if it cannot wait") {
    Pool p(2, 100);  // every backing allocation fails
    AllocPath path = AllocPath::none;
    void* a = p.pool->alloc(false, &path);
    CHECK(path == AllocPath::reserve);
    void* b = p.pool->alloc(false, &path);
    CHECK(path == AllocPath::reserve);
    CHECK(p.pool->alloc(false, &path) == nullptr);
    CHECK(path == AllocPath::none);
    CHECK(p.pool->low_water() == 0);

    p.faults.set_percent(0);
    void* c = p.pool->alloc(false, &path);
    CHECK(path == AllocPath::backing);
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(c);
    // frees refill the reserve before anything goes back to the cache
    p.pool->free(c);
    CHECK(p.pool->reserve_count() == 1);
    p.pool->free(b);
    CHECK(p.pool->reserve_count() == 2);
    const long live = bc::posix::live_allocations();
    p.pool->free(a);  // reserve full: back to the cache
    CHECK(p.pool->reserve_count() == 2);
    CHECK(bc::posix::live_allocations() == live - 1);
}

TEST_CASE("a waiter sleeps until a free and is woken by it") {
    Pool p(1, 100);
    AllocPath path = AllocPath::none;
    void* held = p.pool->alloc(true, &path);
    REQUIRE(held);
    std::atomic<bool> got{false};
    AllocPath waiter_path = AllocPath::none;
    void* waited = nullptr;
    std::thread waiter([&] {
        waited = p.pool->alloc(true, &waiter_path);
        got = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK_FALSE(got.load());  // nothing free: it must still be waiting
    p.pool->free(held);
    waiter.join();
    CHECK(got.load());
    CHECK(waiter_path == AllocPath::waited);
    CHECK(waited == held);
    p.pool->free(waited);
}

TEST_CASE("resizing keeps every element") {
    const long live_before = bc::posix::live_allocations();
    {
        Pool p(4, 100);
        AllocPath path;
        std::vector<void*> held;
        for (int i = 0; i < 3; ++i)
            held.push_back(p.pool->alloc(false, &path));
        CHECK(p.pool->reserve_count() == 1);
        require_ok(p.pool->resize(2));  // smaller than before, more than is free: filled up
        CHECK(p.pool->reserve_count() == 2);
        p.pool->free(held.back());  // reserve full: this one goes back to the cache
        held.pop_back();
        CHECK(p.pool->reserve_count() == 2);
        require_ok(p.pool->resize(8));  // grow: allocated now, may wait
        CHECK(p.pool->reserve_count() == 8);
        for (void* e : held)
            p.pool->free(e);
        CHECK(p.pool->reserve_count() == 8);
        require_ok(p.pool->resize(1));
        CHECK(p.pool->reserve_count() == 1);
    }
    CHECK(bc::posix::live_allocations() == live_before);
}

// Producers allocate (waiting when they must), consumers on other threads free: every
// element allocated is freed, waiters are woken, and the pool ends as it began.
static void stress(unsigned percent) {
    const long live_before = bc::posix::live_allocations();
    {
        Pool p(2, percent);
        std::mutex mutex;
        std::deque<void*> queue;
        std::atomic<long> allocated{0}, freed{0}, waited{0}, nulls{0};  // Catch2 asserts on the main thread only
        std::atomic<int> producers_left{3};
        constexpr int kPerProducer = 20000;
        std::vector<std::thread> threads;
        for (int t = 0; t < 3; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < kPerProducer; ++i) {
                    AllocPath path;
                    void* e = p.pool->alloc(true, &path);
                    if (!e) {
                        ++nulls;
                        continue;
                    }
                    waited += path == AllocPath::waited;
                    ++allocated;
                    std::lock_guard<std::mutex> guard(mutex);
                    queue.push_back(e);
                }
                --producers_left;
            });
        for (int t = 0; t < 2; ++t)
            threads.emplace_back([&] {
                for (;;) {
                    void* e = nullptr;
                    {
                        std::lock_guard<std::mutex> guard(mutex);
                        if (!queue.empty()) {
                            e = queue.front();
                            queue.pop_front();
                        }
                    }
                    if (e) {
                        p.pool->free(e);
                        ++freed;
                    } else if (producers_left == 0) {
                        std::lock_guard<std::mutex> guard(mutex);
                        if (queue.empty())
                            return;
                    } else {
                        std::this_thread::yield();
                    }
                }
            });
        for (auto& t : threads)
            t.join();
        CHECK(nulls == 0);
        CHECK(allocated == 3 * kPerProducer);
        CHECK(freed == allocated);
        CHECK(p.pool->reserve_count() == 2);
        if (percent == 100)
            CHECK(waited > 0);
    }
    CHECK(bc::posix::live_allocations() == live_before);
}

TEST_CASE("mempool stress across threads at 0% backing failures") { stress(0); }
TEST_CASE("mempool stress across threads at 50% backing failures") { stress(50); }
TEST_CASE("mempool stress across threads at 100% backing failures") { stress(100); }

TEST_CASE("fault injection is deterministic for a seed and near its rate") {
    bc::FaultInjector a(7), b(7);
    a.set_percent(50);
    b.set_percent(50);
    int failures = 0;
    for (int i = 0; i < 10000; ++i) {
        const bool fa = a.should_fail();
        CHECK(fa == b.should_fail());
        failures += fa;
    }
    CHECK(failures > 4500);
    CHECK(failures < 5500);
    a.set_percent(150);
    CHECK(a.percent() == 100);
}

TEST_CASE("caches are shared by size and released with their last user") {
    const unsigned before = bc::cache_registry_size();
    bc_env_cache* a = require_ok(bc::cache_get(1000));
    bc_env_cache* b = require_ok(bc::cache_get(1000));
    bc_env_cache* c = require_ok(bc::cache_get(2000));
    CHECK(a == b);
    CHECK(a != c);
    CHECK(bc::cache_registry_size() == before + 2);
    bc::cache_put(a);
    CHECK(bc::cache_registry_size() == before + 2);
    bc::cache_put(b);
    bc::cache_put(c);
    CHECK(bc::cache_registry_size() == before);
}
