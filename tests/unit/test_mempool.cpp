// Mempool contracts that need userspace: threads that wait and wake each other, and a
// stress across threads under TSan. Everything a single task can check (the reserve, the
// order of alloc's steps, refilling on free, resize, the fault injector, shared caches)
// is written once, in core/selftest/mempool_suite.cpp, and runs both in the module and
// here through test_selftest.cpp; here too what needs the POSIX environment's allocation
// failures (bc::posix::fail_nth_allocation).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <utility>
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

// A second thread blocks in alloc() and the first one's free() must wake it: the core
// suites run on one task and cannot start a thread.
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

// Producers allocate (waiting when they must), consumers on other threads free: every
// element allocated is freed, waiters are woken, and the pool ends as it began. Threads,
// and TSan watching them: userspace only.
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

// A resize that cannot allocate its larger reserve fails and leaves the pool as it was:
// `dmsetup message reserve N` says it failed, so the reserve must not have changed (it
// used to keep the new size with the reserve short of it, filled later by frees).
// Found by tests/fuzz/message.cpp.
TEST_CASE("a growing resize that runs out of memory changes nothing") {
    Pool p(4);
    const long live_before = bc::posix::live_allocations();
    for (unsigned long nth = 1; nth <= 4; ++nth) {  // growing 4 -> 8 takes 4 allocations
        INFO("allocation " << nth << " of the resize fails");
        bc::posix::fail_nth_allocation(nth);
        const bc::Status resized = p.pool->resize(8);
        bc::posix::fail_nth_allocation(0);
        REQUIRE_FALSE(resized.ok());
        CHECK(resized.error().code == -BC_ENOMEM);
        CHECK(p.pool->min_nr() == 4);
        CHECK(p.pool->reserve_count() == 4);
        CHECK(bc::posix::live_allocations() == live_before);
    }
    REQUIRE(p.pool->resize(8).ok());
    CHECK(p.pool->reserve_count() == 8);
}

// Two resizes at once (two `reserve` messages: DM does not serialise a target's messages):
// one that fails puts back the size it replaced only if nothing set another since. Here
// A (4 -> 64) fails at its second allocation while B (-> 8) is filling: B's caller is told
// it succeeded, so the pool must end at 8. A used to put back 4 regardless, and B, finding
// 4 reached, returned success with the reserve at 4. Fails before the fix (min_nr 4).
TEST_CASE("a failed resize does not undo a concurrent resize that succeeded") {
    Pool p(4);
    std::promise<void> b_allocating, b_may_go_on;
    std::shared_future<void> go_on = b_may_go_on.get_future().share();
    std::thread b;
    std::atomic<bool> b_ok{false};
    unsigned a_asked = 0;
    bc::posix::on_each_allocation([&] {
        if (++a_asked != 2)
            return;
        b = std::thread([&] {
            bool first = true;
            bc::posix::on_each_allocation([&] {
                if (!std::exchange(first, false))
                    return;
                b_allocating.set_value();  // B has set 8 and is short: A may fail now
                go_on.wait();
            });
            b_ok = p.pool->resize(8).ok();
            bc::posix::on_each_allocation(nullptr);
        });
        b_allocating.get_future().wait();
    });
    bc::posix::fail_nth_allocation(2);
    const bc::Status a = p.pool->resize(64);
    bc::posix::fail_nth_allocation(0);
    bc::posix::on_each_allocation(nullptr);
    b_may_go_on.set_value();
    b.join();
    CHECK_FALSE(a.ok());
    CHECK(b_ok);
    CHECK(p.pool->min_nr() == 8);
    CHECK(p.pool->reserve_count() == 8);
}

// mm/mempool.c's rules: the one waiting attempt at the backing cache before the reserve's
// wait may reclaim but not retry, nor take the emergency reserves; growing a reserve is an
// ordinary sleeping allocation.
TEST_CASE("a waiting allocation asks the backing cache with mempool's rules") {
    Pool p(1);
    REQUIRE(bc::posix::last_cache_wait() == BC_ALLOC_CONFIG);  // create filled the reserve
    AllocPath path;
    void* held = p.pool->alloc(false, &path);  // from the cache, without waiting
    REQUIRE(path == AllocPath::backing);
    CHECK(bc::posix::last_cache_wait() == BC_ALLOC_NOWAIT);
    // the attempt without waiting fails: the reserve's element
    bc::posix::fail_nth_allocation(1);
    void* from_reserve = p.pool->alloc(true, &path);
    bc::posix::fail_nth_allocation(0);
    REQUIRE(path == AllocPath::reserve);
    // again, with the reserve empty: the one waiting attempt at the cache
    bc::posix::fail_nth_allocation(1);
    void* waited = p.pool->alloc(true, &path);
    bc::posix::fail_nth_allocation(0);
    CHECK(path == AllocPath::backing);
    CHECK(bc::posix::last_cache_wait() == BC_ALLOC_IO);
    for (void* element : {held, from_reserve, waited})
        p.pool->free(element);
}

// A growing resize changes nothing until it has every element it needs: while it
// allocates, status shows the old size and the reserve is not short of the new one (a
// short reserve makes BioSet::free bypass the per-CPU magazines). It used to set the new
// size first and fill it, so both showed the new size mid-way; on failure it undid them.
TEST_CASE("a growing resize shows nothing of the new size before it has every element") {
    Pool p(4);
    unsigned asked = 0;
    unsigned seen_min_nr = 0;
    bool seen_short = true;
    bc::posix::on_each_allocation([&] {
        if (++asked == 2) {
            seen_min_nr = p.pool->min_nr();
            seen_short = p.pool->reserve_short();
        }
    });
    REQUIRE(p.pool->resize(8).ok());
    bc::posix::on_each_allocation(nullptr);
    CHECK(seen_min_nr == 4);
    CHECK_FALSE(seen_short);
    CHECK(p.pool->min_nr() == 8);
    CHECK(p.pool->reserve_count() == 8);
}

// Two resizes that both fail, the second begun while the first allocates (two `reserve`
// messages, both told they failed): the pool must end as it began. The second used to
// put back the size the first had set, and the first, seeing a resize after its own,
// left it: min_nr 32 after two failures, the reserve short of it, frees bypassing the
// magazines until they filled it.
TEST_CASE("two concurrent resizes that both fail leave the pool as it was") {
    Pool p(4);
    const long live_before = bc::posix::live_allocations();
    std::thread b;
    bool b_ok = true;
    unsigned a_asked = 0;
    bc::posix::on_each_allocation([&] {
        if (++a_asked != 2)
            return;
        b = std::thread([&] {
            bc::posix::fail_nth_allocation(1);
            b_ok = p.pool->resize(64).ok();
            bc::posix::fail_nth_allocation(0);
        });
        b.join();  // B has failed before A's second allocation fails
    });
    bc::posix::fail_nth_allocation(2);
    const bc::Status a = p.pool->resize(32);
    bc::posix::fail_nth_allocation(0);
    bc::posix::on_each_allocation(nullptr);
    CHECK_FALSE(a.ok());
    CHECK_FALSE(b_ok);
    CHECK(p.pool->min_nr() == 4);
    CHECK(p.pool->reserve_count() == 4);
    CHECK_FALSE(p.pool->reserve_short());
    CHECK(bc::posix::live_allocations() == live_before);
}
