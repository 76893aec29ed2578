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
    // elements in use come back to whichever reserve size is current then. A resize that
    // fails (no memory to grow) changes nothing, and one that succeeds shows its size only
    // once it has every element: see prepare_resize(). Of concurrent resizes that succeed,
    // the last to commit sets the size.
    Status resize(unsigned min_nr) BC_EXCLUDES(lock_);

    // A resize in two steps, for a caller that resizes two pools as one (BioSet):
    // prepare_resize() allocates, outside the pool, the elements the reserve lacks of
    // min_nr (may wait); on failure it has given them back and the pool is as it was.
    // commit_resize() then sets min_nr and adds them (it cannot fail, and gives back what
    // frees made unneeded meanwhile); abandon_resize() gives them back instead.
    struct Growth {
        unsigned min_nr;
        void* elements;  // a list of FreeElement
        unsigned count;
    };
    Status prepare_resize(unsigned min_nr, Growth* growth) BC_EXCLUDES(lock_);
    void commit_resize(Growth* growth) BC_EXCLUDES(lock_);
    void abandon_resize(Growth* growth);

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
    // Lowers reserve_count_ to min_nr_; returns the elements taken, for release_excess().
    FreeElement* take_excess_locked() BC_REQUIRES(lock_);
    void release_excess(FreeElement* excess);
    void push_locked(void* element) BC_REQUIRES(lock_);
    void* pop_locked() BC_REQUIRES(lock_);

    bc_env_cache* const backing_;
    FaultInjector* const faults_;
    SpinLock lock_{BC_LOCK_MEMPOOL};
    WaitQueue waitq_;
    FreeElement* reserve_ BC_GUARDED_BY(lock_) = nullptr;
    // Written under lock_, read racily through the accessors above.
    unsigned reserve_count_ = 0;
    unsigned min_nr_ = 0;
    unsigned low_water_ = 0;
    unsigned waiters_ BC_GUARDED_BY(lock_) = 0;
};

}  // namespace bc
