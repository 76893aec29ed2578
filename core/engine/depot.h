// Depot: a bounded store of full batches of free objects that every CPU of one BioSet
// shares (Bonwick and Adams, "Magazines and Vmem", 2001, section 3: the depot of full
// magazines behind the per-CPU layer). A CPU whose magazine is full hands a batch here
// instead of to the backing cache; a CPU whose magazine is empty takes one before going
// to the mempool. So objects keep flowing from the CPU that frees them (where completions
// land) to the CPU that allocates, even while the backing cache fails every allocation:
// without it, what one CPU's magazine cannot hold goes back to the cache, and under
// `fail_alloc 100` is gone, and the allocating CPU waits on the reserve.
//
// A batch is a chain of objects linked through their first word (the magazine's interrupt
// list has that shape already); the depot never walks one, so put and take are O(1)
// under the lock. It is bounded: objects here are memory held for no one (a few
// magazines per CPU, as the magazines themselves hold). It knows nothing of caches: its
// owner drains it (take() until empty) before destroying it.
#pragma once
#include "base/result.h"
#include "base/sync.h"
#include "base/types.h"

namespace bc {

class Depot {
public:
    struct Batch {
        void* head;      // nullptr: none
        unsigned count;  // objects on the chain
    };

    static Result<Depot*> create(unsigned max_batches);
    static void destroy(Depot* depot);

    // Stores batch; false (nothing stored) when the depot is full.
    bool put(Batch batch) BC_EXCLUDES(lock_);
    // The batch put last (its objects the likeliest still in a cache), or {nullptr, 0}.
    Batch take() BC_EXCLUDES(lock_);

    // Racy hints, for a caller deciding whether to build a batch at all.
    bool full() const { return __atomic_load_n(&nr_, __ATOMIC_RELAXED) == max_; }
    bool empty() const { return __atomic_load_n(&nr_, __ATOMIC_RELAXED) == 0; }
    unsigned max_batches() const { return max_; }

    Depot(Batch* batches, unsigned max) : batches_(batches), max_(max) {}
    ~Depot();

private:
    SpinLock lock_{BC_LOCK_DEPOT};
    Batch* const batches_;  // [max_], the first nr_ in use, under lock_
    const unsigned max_;
    unsigned nr_ = 0;  // written under lock_, read racily by the hints
};

}  // namespace bc
