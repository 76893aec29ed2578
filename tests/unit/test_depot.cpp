// The BioSet's depot (core/engine/depot.h): full magazines shared by every CPU, so that
// objects freed on one CPU (completions, interrupt context) reach allocations on another
// while the backing cache fails every allocation. Needs two emulated CPUs and threads:
// the POSIX environment's CpuScope places each thread on one.
#include <catch2/catch.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/bio_set.h"
#include "env_posix.h"
#include "require_ok.h"

using bc::BioSet;
using bc::Counter;

namespace {
constexpr unsigned kBio = 136, kBvec = 16, kInline = 4;
constexpr unsigned kBatch = BioSet::kMagazineSize;
using u64 = bc::u64;

struct Set {
    explicit Set(unsigned pool_size) {
        stats = require_ok(bc::Stats::create());
        set = require_ok(BioSet::create({pool_size, 24, true, true, kBio, kBvec, kInline, 1}, stats));
    }
    ~Set() {
        BioSet::destroy(set);
        bc::Stats::destroy(stats);
    }
    // What `stats reset` does: the counters from here on.
    void reset_counts() {
        stats->reset();
        set->reset_counts();
    }
    u64 allocated() const {
        return set->count(Counter::alloc_percpu) + set->count(Counter::alloc_backing) +
               set->count(Counter::alloc_reserve) + set->count(Counter::alloc_waited);
    }
    bc::Stats* stats;
    BioSet* set;
};

// n objects from the backing cache, allocated on emulated CPU 0 before any failure.
std::vector<void*> allocate_on_cpu0(Set& s, unsigned n) {
    bc::posix::CpuScope cpu(0);
    std::vector<void*> bios;
    for (unsigned i = 0; i < n; ++i)
        bios.push_back(s.set->alloc(0, true).bio);
    return bios;
}

bool two_cpus() {
    if (bc_env_nr_cpus() >= 2)
        return true;
    WARN("one CPU: the depot's cross-CPU flow cannot be shown here");
    return false;
}
}  // namespace

// Before the depot, a completion CPU kept kMagazineSize objects on its interrupt list and
// gave every other back to the backing cache: under 100 % failure, the allocating CPU had
// the reserve's one object and then nothing (here: 1 allocation of 65 instead of 65).
TEST_CASE("objects freed in interrupt context on one CPU serve allocations on another through the depot") {
    if (!two_cpus())
        return;
    const long live_before = bc::posix::live_allocations();
    {
        bc::posix::NoioScope noio;
        Set s(1);
        std::vector<void*> bios = allocate_on_cpu0(s, 3 * kBatch);
        s.set->faults().set_percent(100);
        s.reset_counts();
        {
            bc::posix::CpuScope cpu(1);
            bc::posix::InterruptScope irq;
            for (void* bio : bios)
                s.set->free(bio, nullptr, 0);
        }
        // CPU 1's interrupt list holds one batch, the depot the two it handed over
        CHECK(s.set->count(Counter::depot_puts) == 2);
        CHECK(s.set->count(Counter::frees) == 3 * kBatch);

        bios.clear();
        bc::posix::CpuScope cpu(0);
        for (unsigned i = 0; i < 2 * kBatch + 1; ++i) {
            bc::BioAllocation a = s.set->try_alloc(0);
            REQUIRE(a.bio);
            bios.push_back(a.bio);
        }
        CHECK(s.set->count(Counter::depot_gets) == 2);
        CHECK(s.set->count(Counter::alloc_percpu) == 2 * kBatch);  // the depot's, through the magazine
        CHECK(s.set->count(Counter::alloc_reserve) == 1);           // then the reserve
        CHECK(s.set->count(Counter::alloc_backing) == 0);
        CHECK(s.set->count(Counter::alloc_waited) == 0);
        // what is left lies on CPU 1's interrupt list, for CPU 1's next allocation
        CHECK(s.set->alloc(0, false).bio == nullptr);
        CHECK(s.set->count(Counter::alloc_failed) == 1);
        for (void* bio : bios)
            s.set->free(bio, nullptr, 0);
        CHECK(s.set->bio_pool().reserve_count() == 1);  // the reserve refilled first
    }
    CHECK(bc::posix::live_allocations() == live_before);  // magazines and depot drained
}

// Objects in the depot are memory held for no one: past its bound, a full magazine's
// objects go back to the backing cache as before.
TEST_CASE("the depot is bounded: past kDepotBatchesPerCpu batches per CPU, full magazines go to the cache") {
    const long live_before = bc::posix::live_allocations();
    {
        bc::posix::NoioScope noio;
        bc::posix::CpuScope cpu(0);
        Set s(1);
        const unsigned max_batches = BioSet::kDepotBatchesPerCpu * bc_env_nr_cpus();
        const unsigned held = kBatch + max_batches * kBatch;  // objects[] and the depot
        std::vector<void*> bios = allocate_on_cpu0(s, held + 2 * kBatch);
        s.reset_counts();
        for (void* bio : bios)
            s.set->free(bio, nullptr, 0);
        CHECK(s.set->count(Counter::depot_puts) == max_batches);
        CHECK(s.set->count(Counter::frees) == bios.size());

        s.set->faults().set_percent(100);
        bios.clear();
        while (void* bio = s.set->try_alloc(0).bio)
            bios.push_back(bio);
        CHECK(bios.size() == held + 1);  // and the reserve's
        CHECK(s.set->count(Counter::depot_gets) == max_batches);
        for (void* bio : bios)
            s.set->free(bio, nullptr, 0);
    }
    CHECK(bc::posix::live_allocations() == live_before);
}

// One thread allocates (task context, CPU 0) and hands each object to another that frees
// it as a completion would (interrupt context, CPU 1), under 100 % backing failure with a
// reserve of one. At most kQueue objects wait to be freed, and at most two batches sit on
// CPU 1 (its interrupt list, and one on its way to the depot): every other object is in
// the depot or CPU 0's magazine, so the allocating thread must never reach the reserve,
// let alone wait on it. Without the depot it would wait for almost every allocation.
TEST_CASE("under 100% backing failure an allocating CPU is fed by another CPU's completions, without waiting") {
    if (!two_cpus())
        return;
    constexpr unsigned kPopulation = 100;  // < the depot's bound (4 batches on 2 CPUs)
    constexpr unsigned kQueue = 16;
    constexpr unsigned kRounds = 20000;
    static_assert(kPopulation > kQueue + 2 + 2 * kBatch, "the depot must never run dry");
    const long live_before = bc::posix::live_allocations();
    {
        Set s(1);
        bc::posix::NoioScope noio;
        std::mutex mutex;
        std::deque<void*> queue;
        std::atomic<bool> done{false};
        {
            std::vector<void*> bios = allocate_on_cpu0(s, kPopulation);
            s.set->faults().set_percent(100);
            s.reset_counts();
            std::lock_guard<std::mutex> guard(mutex);
            queue.assign(bios.begin(), bios.end());
        }
        std::thread completions([&] {
            bc::posix::CpuScope cpu(1);
            bc::posix::InterruptScope irq;
            for (;;) {
                void* bio = nullptr;
                {
                    std::lock_guard<std::mutex> guard(mutex);
                    if (!queue.empty()) {
                        bio = queue.front();
                        queue.pop_front();
                    } else if (done) {
                        return;
                    }
                }
                if (bio)
                    s.set->free(bio, nullptr, 0);
                else
                    std::this_thread::yield();
            }
        });
        {
            bc::posix::CpuScope cpu(0);
            for (unsigned i = 0; i < kRounds; ++i) {
                for (;;) {  // at most kQueue objects waiting for their completion
                    {
                        std::lock_guard<std::mutex> guard(mutex);
                        if (queue.size() < kQueue)
                            break;
                    }
                    std::this_thread::yield();
                }
                void* bio = s.set->alloc(0, true).bio;
                std::lock_guard<std::mutex> guard(mutex);
                queue.push_back(bio);
            }
            done = true;
        }
        completions.join();
        CHECK(s.allocated() == kRounds);
        CHECK(s.set->count(Counter::alloc_waited) == 0);
        CHECK(s.set->count(Counter::alloc_reserve) == 0);
        CHECK(s.set->count(Counter::alloc_backing) == 0);
        CHECK(s.set->count(Counter::alloc_failed) == 0);
        CHECK(s.set->count(Counter::depot_gets) > 0);
        CHECK(s.set->count(Counter::depot_puts) >= s.set->count(Counter::depot_gets));
        CHECK(s.set->count(Counter::frees) == kPopulation + kRounds);
        CHECK(s.set->bio_pool().reserve_count() == 1);
    }
    CHECK(bc::posix::live_allocations() == live_before);
}
