#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/bio_set.h"
#include "engine/cache_registry.h"
#include "env_posix.h"
#include "require_ok.h"

using bc::BioSet;
using bc::Counter;

namespace {
constexpr unsigned kBio = 136, kBvec = 16, kInline = 4;

struct Set {
    explicit Set(unsigned pool_size = 2, unsigned front_pad = 24, bool bvecs = true, bool rescuer = true) {
        stats = require_ok(bc::Stats::create());
        set = require_ok(BioSet::create({pool_size, front_pad, bvecs, rescuer, kBio, kBvec, kInline, 1}, stats));
    }
    ~Set() {
        BioSet::destroy(set);
        bc::Stats::destroy(stats);
    }
    bc::Stats* stats;
    BioSet* set;
};
}  // namespace

TEST_CASE("a BioSet object is [front_pad | owner | bio | inline vecs]") {
    bc::posix::NoioScope noio;
    Set s(2, 24);
    bc::BioAllocation a = s.set->alloc(3, true);
    REQUIRE(a.bio);
    CHECK(BioSet::owner_of(a.bio) == s.set);
    CHECK(bc_bio_owner(a.bio) == s.set);
    CHECK(s.set->bio_of(s.set->front(a.bio)) == a.bio);
    CHECK(reinterpret_cast<bc::uptr>(a.bio) % 16 == 0);
    // every byte of each region is writable (ASan checks the bounds)
    std::memset(s.set->front(a.bio), 0xaa, 24);
    std::memset(a.bio, 0xbb, kBio);
    CHECK(a.vecs == static_cast<char*>(a.bio) + kBio);
    CHECK(a.vec_capacity == kInline);
    std::memset(a.vecs, 0xcc, kInline * kBvec);
    CHECK(BioSet::owner_of(a.bio) == s.set);  // the user's data did not touch the owner word
    s.set->free(a.bio, a.vecs, a.vec_capacity);
}

TEST_CASE("vec tables come from size classes, inline up to 4") {
    bc::posix::NoioScope noio;
    Set s;
    struct Case {
        unsigned nr, capacity;
    } cases[] = {{0, 0}, {1, 4}, {4, 4}, {5, 16}, {16, 16}, {17, 64}, {64, 64}, {65, 128}, {129, 256}, {256, 256}};
    for (const Case& c : cases) {
        INFO("nr_vecs " << c.nr);
        bc::BioAllocation a = s.set->alloc(c.nr, true);
        REQUIRE(a.bio);
        CHECK(a.vec_capacity == c.capacity);
        if (c.nr)
            std::memset(a.vecs, 0x5a, std::size_t(c.capacity) * kBvec);
        else
            CHECK(a.vecs == nullptr);
        s.set->free(a.bio, a.vecs, a.vec_capacity);
    }
    CHECK(s.set->alloc(257, true).bio == nullptr);
}

TEST_CASE("a BioSet without NEED_BVECS refuses vecs") {
    bc::posix::NoioScope noio;
    Set s(2, 8, false);
    CHECK(s.set->alloc(1, true).bio == nullptr);
    bc::BioAllocation a = s.set->alloc(0, true);
    REQUIRE(a.bio);
    s.set->free(a.bio, nullptr, 0);
}

TEST_CASE("when the small classes fail, vecs come from the 256 reserve") {
    bc::posix::NoioScope noio;
    Set s(2);
    s.set->faults().set_percent(100);
    bc::BioAllocation a = s.set->alloc(20, false);
    REQUIRE(a.bio);
    CHECK(a.vec_capacity == 256);
    s.set->free(a.bio, a.vecs, a.vec_capacity);
}

TEST_CASE("a freed object is reused from a magazine, not the cache") {
    bc::posix::NoioScope noio;
    Set s(2);
    bc::BioAllocation a = s.set->alloc(0, true);
    CHECK(s.set->count(Counter::alloc_backing) == 1);
    s.set->free(a.bio, nullptr, 0);
    const long live = bc::posix::live_allocations();  // the object stays with the set
    bc::BioAllocation b = s.set->alloc(0, true);
    // the thread may have moved to another CPU in between (then the cache serves it)
    CHECK(s.set->count(Counter::alloc_percpu) + s.set->count(Counter::alloc_backing) == 2);
    if (s.set->count(Counter::alloc_percpu) == 1) {
        CHECK(b.bio == a.bio);
        CHECK(bc::posix::live_allocations() == live);
    }
    s.set->free(b.bio, nullptr, 0);
}

TEST_CASE("objects freed in interrupt context come back through the magazine") {
    bc::posix::NoioScope noio;
    Set s(1);
    std::vector<bc::BioAllocation> held;
    for (int i = 0; i < 8; ++i)
        held.push_back(s.set->alloc(0, true));
    {
        bc::posix::InterruptScope irq;
        for (auto& a : held)
            s.set->free(a.bio, nullptr, 0);
        // in interrupt context the task-side magazine is not touched: no percpu hit
        bc::BioAllocation in_irq = s.set->alloc(0, false);
        REQUIRE(in_irq.bio);
        CHECK(s.set->count(Counter::alloc_percpu) == 0);
        s.set->free(in_irq.bio, nullptr, 0);
    }
    // task context takes the interrupt list over (same CPU slot unless the thread moved)
    std::vector<bc::BioAllocation> again;
    for (int i = 0; i < 4; ++i)
        again.push_back(s.set->alloc(0, true));
    CHECK(s.set->count(Counter::alloc_percpu) + s.set->count(Counter::alloc_backing) >= 4);
    CHECK(s.set->count(Counter::alloc_percpu) > 0);
    for (auto& a : again)
        s.set->free(a.bio, nullptr, 0);
}

TEST_CASE("the reserve is refilled before any magazine") {
    bc::posix::NoioScope noio;
    Set s(2);
    s.set->faults().set_percent(100);
    std::vector<bc::BioAllocation> held;
    while (s.set->bio_pool().reserve_count())
        held.push_back(s.set->alloc(0, false));
    CHECK(s.set->alloc(0, false).bio == nullptr);  // magazines are empty too
    CHECK(s.set->count(Counter::alloc_failed) == 1);
    for (auto& a : held)
        s.set->free(a.bio, nullptr, 0);
    CHECK(s.set->bio_pool().reserve_count() == 2);
}

TEST_CASE("BioSet::create says what is wrong with a configuration, and allocates nothing") {
    bc::Stats* stats = require_ok(bc::Stats::create());
    const long live_before = bc::posix::live_allocations();
    const bc::Result<BioSet*> empty = BioSet::create({0, 24, true, false, kBio, kBvec, kInline, 1}, stats);
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().code == -BC_EINVAL);
    CHECK(std::string(empty.error().message) == "Invalid bio set configuration");
    CHECK(bc::posix::live_allocations() == live_before);
    bc::Stats::destroy(stats);
}

// A half-built set gives back everything it got; the registry's own error comes up as it is.
TEST_CASE("a full cache registry fails BioSet::create with its message, and nothing leaks") {
    bc::Stats* stats = require_ok(bc::Stats::create());
    const long live_before = bc::posix::live_allocations();
    const long caches_before = bc::posix::live_caches();
    std::vector<bc_env_cache*> filler;
    for (bc::usize size = 7;; size += 8) {  // sizes no set uses
        const bc::Result<bc_env_cache*> cache = bc::cache_get(size);
        if (!cache.ok()) {
            CHECK(cache.error().code == -BC_ENOMEM);
            CHECK(std::string(cache.error().message) == "Too many object sizes in use");
            break;
        }
        filler.push_back(cache.value());
        REQUIRE(filler.size() <= 64);
    }
    bc::cache_put(filler.back());  // one free entry: the object cache gets it, a vec class does not
    filler.pop_back();
    const bc::Result<BioSet*> set = BioSet::create({2, 40, true, true, kBio, kBvec, kInline, 1}, stats);
    REQUIRE_FALSE(set.ok());
    CHECK(set.error().code == -BC_ENOMEM);
    CHECK(std::string(set.error().message) == "Too many object sizes in use");
    for (bc_env_cache* cache : filler)
        bc::cache_put(cache);
    CHECK(bc::posix::live_caches() == caches_before);
    CHECK(bc::posix::live_allocations() == live_before);
    bc::Stats::destroy(stats);
}

TEST_CASE("resize_reserve refuses an empty reserve and resizes both reserves") {
    bc::posix::NoioScope noio;
    Set s(2);
    const bc::Status empty = s.set->resize_reserve(0);
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().code == -BC_EINVAL);
    require_ok(s.set->resize_reserve(5));
    CHECK(s.set->bio_pool().reserve_count() == 5);
    s.set->faults().set_percent(100);  // the 256-vec reserve now serves every vec table
    std::vector<bc::BioAllocation> held;
    for (int i = 0; i < 5; ++i) {
        held.push_back(s.set->alloc(20, false));
        REQUIRE(held.back().bio);
        CHECK(held.back().vec_capacity == 256);
    }
    for (auto& a : held)
        s.set->free(a.bio, a.vecs, a.vec_capacity);
}

TEST_CASE("an allocation that must wait under submit recursion rescues parked bios first") {
    Set s(1);
    s.set->faults().set_percent(100);
    bc::posix::NoioScope noio;
    bc::BioAllocation parked = s.set->alloc(0, true);  // the only object, now "parked"
    REQUIRE(parked.bio);
    std::atomic<bool> is_parked{true};
    std::thread completion;
    bc::posix::ShimHooks hooks;
    hooks.task_has_parked = [&] { return is_parked.load(); };
    hooks.rescue_parked = [&](const void* owner) -> unsigned {
        CHECK(owner == s.set);
        is_parked = false;
        // the rescuer issues it; it completes later, on another thread
        completion = std::thread([&] { s.set->free(parked.bio, nullptr, 0); });
        return 1;
    };
    bc::posix::set_shim_hooks(hooks);
    bc::BioAllocation next = s.set->alloc(0, true);  // would wait forever without the rescue
    bc::posix::set_shim_hooks({});
    // The waiter can take the freed object before free() has woken the wait queue, so the
    // completion must have returned before the BioSet is destroyed, as in the module, where
    // a child is given back before its parent ends and the target may be torn down.
    completion.join();
    REQUIRE(next.bio);
    CHECK(s.set->count(Counter::rescues) == 1);
    CHECK(s.set->count(Counter::bios_rescued) == 1);
    s.set->free(next.bio, nullptr, 0);
}

TEST_CASE("allocations that may wait outside a NOIO scope are counted") {
    Set s;
    bc::BioAllocation a = s.set->alloc(0, true);
    CHECK(s.set->count(Counter::noio_violations) == 1);
    s.set->free(a.bio, nullptr, 0);
    {
        bc::posix::NoioScope noio;
        a = s.set->alloc(0, true);
        s.set->free(a.bio, nullptr, 0);
    }
    CHECK(s.set->count(Counter::noio_violations) == 1);
}

TEST_CASE("BioSets of the same shape share their caches, and nothing is left after the last") {
    const unsigned caches = bc::cache_registry_size();
    const long live = bc::posix::live_allocations();
    {
        Set a(4, 24), b(8, 24), c(4, 40);
        // a and b: one object cache and the vec classes 16/64/128/256; c: its own object
        // cache (front_pad 40 rounds to another size), the same vec classes
        CHECK(bc::cache_registry_size() == caches + 1 + 4 + 1);
    }
    CHECK(bc::cache_registry_size() == caches);
    CHECK(bc::posix::live_allocations() == live);
    CHECK(bc::posix::live_caches() == 0);
}

// Producers allocate child bios with vecs of random sizes, consumers on other threads
// free them: objects in == objects out at every fault rate, the reserve ends full.
static void stress(unsigned percent) {
    const long live_before = bc::posix::live_allocations();
    {
        Set s(1);
        s.set->faults().set_percent(percent);
        std::mutex mutex;
        std::deque<bc::BioAllocation> queue;
        std::atomic<int> producers_left{3};
        std::atomic<int> nulls{0};  // Catch2 asserts on the main thread only
        constexpr int kPerProducer = 15000;
        std::vector<std::thread> threads;
        for (int t = 0; t < 3; ++t)
            threads.emplace_back([&, t] {
                bc::posix::NoioScope noio;
                unsigned seed = 17u * unsigned(t + 1);
                for (int i = 0; i < kPerProducer; ++i) {
                    seed = seed * 1103515245u + 12345u;
                    const unsigned nr_vecs = (seed >> 16) % 6 == 0 ? (seed >> 8) % 257 : (seed >> 8) % 5;
                    bc::BioAllocation a = s.set->alloc(nr_vecs, true);
                    if (!a.bio) {
                        ++nulls;
                        continue;
                    }
                    std::lock_guard<std::mutex> guard(mutex);
                    queue.push_back(a);
                }
                --producers_left;
            });
        for (int t = 0; t < 2; ++t)
            threads.emplace_back([&, t] {
                // one consumer frees as a completion would (interrupt context), one as a task
                std::optional<bc::posix::InterruptScope> irq;
                if (t == 0)
                    irq.emplace();
                for (;;) {
                    bc::BioAllocation a{};
                    {
                        std::lock_guard<std::mutex> guard(mutex);
                        if (!queue.empty()) {
                            a = queue.front();
                            queue.pop_front();
                        } else if (producers_left == 0) {
                            return;
                        }
                    }
                    if (a.bio)
                        s.set->free(a.bio, a.vecs, a.vec_capacity);
                    else
                        std::this_thread::yield();
                }
            });
        for (auto& t : threads)
            t.join();
        const auto allocated = s.set->count(Counter::alloc_percpu) + s.set->count(Counter::alloc_backing) +
                               s.set->count(Counter::alloc_reserve) + s.set->count(Counter::alloc_waited);
        CHECK(nulls == 0);
        CHECK(allocated == 3 * kPerProducer);
        CHECK(s.set->count(Counter::frees) == allocated);
        CHECK(s.set->count(Counter::alloc_failed) == 0);
        CHECK(s.set->bio_pool().reserve_count() == 1);
        if (percent == 100) {
            CHECK(s.set->count(Counter::alloc_backing) == 0);
            CHECK(s.set->count(Counter::alloc_waited) + s.set->count(Counter::alloc_reserve) > 0);
        }
    }
    CHECK(bc::posix::live_allocations() == live_before);
}

TEST_CASE("BioSet stress across threads at 0% backing failures") { stress(0); }
TEST_CASE("BioSet stress across threads at 50% backing failures") { stress(50); }
TEST_CASE("BioSet stress across threads at 100% backing failures") { stress(100); }
