// Mempool: a reserve of preallocated elements in front of a backing object cache, so that
// an allocation that may wait always succeeds eventually (mm/mempool.c's contract, with a
// real wakeup instead of its 5 s poll). See the invariants in mempool.cpp.
#pragma once
#include "abi/env.h"
#include "engine/fault_injector.h"
#include "base/result.h"
#include "base/sync.h"
#include "base/types.h"

namespace bc {

enum class AllocPath : u8 { none, percpu, backing, reserve, waited };

class Mempool {
public:
    // min_nr elements are allocated now (may wait). faults, if given, can fail the
    // backing allocations of alloc() (never the reserve's own).
    static Result<Mempool*> create(bc_env_cache* backing, unsigned min_nr, FaultInjector* faults);
    static void destroy(Mempool* pool);

    // 1. the backing cache without waiting, 2. the reserve, 3. if may_wait: the backing
    // cache allowed to reclaim, then sleep until a free refills the reserve.
    // Returns nullptr only when !may_wait. *path says which step gave the element.
    void* alloc(bool may_wait, AllocPath* path) BC_EXCLUDES(lock_);
    // Refills the reserve first (waking a waiter), else returns the element to the cache.
    void free(void* element) BC_EXCLUDES(lock_);

    // Changes min_nr at run time; growing allocates (may wait). No element is lost:
    // elements in use come back to whichever reserve size is current then. On failure
    // (no memory to grow) the pool keeps its old size, with nothing added to it, unless
    // another resize came meanwhile: the last one to set the size wins, and a failed one
    // never undoes it.
    // What a resize replaced: the old min_nr, and which resize it was (resizes_ after it).
    struct MinNrChange {
        unsigned previous;
        unsigned generation;
    };
    // *change (if given) is what a successful resize replaced, for undo_resize().
    Status resize(unsigned min_nr, MinNrChange* change = nullptr) BC_EXCLUDES(lock_);
    // Puts back the min_nr a successful resize replaced, for a caller whose next step
    // failed (BioSet's second reserve), unless another resize came since. Allocates
    // nothing: a reserve shrunk by that resize is refilled by frees.
    void undo_resize(const MinNrChange& change) BC_EXCLUDES(lock_) { undo_min_nr(change); }

    // A racy hint for the per-CPU layer above: is the reserve short of elements?
    bool reserve_short() const {
        return __atomic_load_n(&reserve_count_, __ATOMIC_RELAXED) < __atomic_load_n(&min_nr_, __ATOMIC_RELAXED);
    }
    unsigned min_nr() const { return __atomic_load_n(&min_nr_, __ATOMIC_RELAXED); }
    // Where reserve_short() reads, for a shim that asks it inline (core/abi/magazine.h).
    const unsigned* reserve_count_word() const { return &reserve_count_; }
    const unsigned* min_nr_word() const { return &min_nr_; }
    unsigned reserve_count() const { return __atomic_load_n(&reserve_count_, __ATOMIC_RELAXED); }
    // Lowest reserve_count seen since the last reset_low_water().
    unsigned low_water() const { return __atomic_load_n(&low_water_, __ATOMIC_RELAXED); }
    void reset_low_water() BC_EXCLUDES(lock_);

    Mempool(bc_env_cache* backing, FaultInjector* faults) : backing_(backing), faults_(faults) {}
    ~Mempool();

private:
    struct FreeElement {
        FreeElement* next;
    };

    void* backing_alloc(bool may_wait);
    // Sets min_nr and releases the elements above it to the cache.
    MinNrChange set_min_nr(unsigned min_nr) BC_EXCLUDES(lock_);
    // Puts back the min_nr that change replaced, unless another set_min_nr came since.
    void undo_min_nr(const MinNrChange& change) BC_EXCLUDES(lock_);
    // Lowers reserve_count_ to min_nr_; returns the elements taken, for release_excess().
    FreeElement* take_excess_locked() BC_REQUIRES(lock_);
    void release_excess(FreeElement* excess);
    void push_locked(void* element) BC_REQUIRES(lock_);
    void* pop_locked() BC_REQUIRES(lock_);

    bc_env_cache* const backing_;
    FaultInjector* const faults_;
    SpinLock lock_;
    WaitQueue waitq_;
    FreeElement* reserve_ BC_GUARDED_BY(lock_) = nullptr;
    // Written under lock_, read racily through the accessors above.
    unsigned reserve_count_ = 0;
    unsigned min_nr_ = 0;
    unsigned low_water_ = 0;
    unsigned waiters_ BC_GUARDED_BY(lock_) = 0;
    unsigned resizes_ BC_GUARDED_BY(lock_) = 0;  // set_min_nr() calls, to tell them apart
};

}  // namespace bc
