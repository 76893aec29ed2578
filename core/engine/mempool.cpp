#include "engine/mempool.h"

#include "base/memory.h"

namespace bc {

/*
 * Invariants, all under lock_:
 *  - reserve_ holds exactly reserve_count_ elements, and reserve_count_ <= min_nr_
 *    (commit_resize() releases the excess of a shrink under the same hold of the lock).
 *  - An element freed while reserve_count_ < min_nr_ goes to the reserve. So an element
 *    taken from the reserve comes back to it, not to the backing cache: once created, the
 *    pool owns min_nr_ elements that are either in the reserve or in use.
 *  - waiters_ > 0 only while a waiter found the reserve empty. Every free that refills
 *    the reserve while waiters_ > 0 wakes them, and a waiter re-checks the reserve before
 *    each sleep (WaitQueue's contract), so a wakeup is never lost and no timeout is needed:
 *    as long as any element of the pool is in use, the waiter will get one when it returns.
 */

Result<Mempool*> Mempool::create(bc_env_cache* backing, unsigned min_nr, FaultInjector* faults) {
    Mempool* pool = make<Mempool>(backing, faults);
    if (!pool)
        return out_of_memory("Cannot allocate the reserve");
    const Status filled = pool->resize(min_nr);
    if (!filled.ok()) {
        destroy(pool);
        return filled.error();
    }
    pool->reset_low_water();
    return pool;
}

void Mempool::destroy(Mempool* pool) { bc::destroy(pool); }

Mempool::~Mempool() {
    // Every element is back (the owner's contract): release the reserve to the cache.
    Guard guard(lock_);
    while (void* element = pop_locked())
        bc_env_cache_free(backing_, element);
}

void* Mempool::backing_alloc(bool may_wait) {
    if (faults_ && faults_->should_fail())
        return nullptr;
    return bc_env_cache_alloc(backing_, may_wait ? BC_ALLOC_IO : BC_ALLOC_NOWAIT);
}

void Mempool::push_locked(void* element) {
    auto* free_element = static_cast<FreeElement*>(element);
    free_element->next = reserve_;
    reserve_ = free_element;
    __atomic_store_n(&reserve_count_, reserve_count_ + 1, __ATOMIC_RELAXED);
}

void* Mempool::pop_locked() {
    FreeElement* element = reserve_;
    if (!element)
        return nullptr;
    reserve_ = element->next;
    const unsigned count = reserve_count_ - 1;
    __atomic_store_n(&reserve_count_, count, __ATOMIC_RELAXED);
    if (count < low_water_)
        __atomic_store_n(&low_water_, count, __ATOMIC_RELAXED);
    return element;
}

void* Mempool::alloc(bool may_wait, AllocPath* path) {
    if (void* element = backing_alloc(false)) {
        *path = AllocPath::backing;
        return element;
    }
    // The lock only when the reserve seems to hold something: under pressure an empty
    // reserve is what every further piece of a split finds, and each look would cost a
    // lock with interrupts off. The look is a hint: an element freed on another CPU a
    // moment before may be missed, which costs a caller that cannot wait one spurious
    // miss (a split hands its rest back to DM a round early), never an element; a caller
    // that may wait looks again under the lock below before it sleeps.
    if (reserve_count()) {
        Guard guard(lock_);
        if (void* element = pop_locked()) {
            *path = AllocPath::reserve;
            return element;
        }
    }
    if (!may_wait) {
        *path = AllocPath::none;
        return nullptr;
    }
    if (void* element = backing_alloc(true)) {
        *path = AllocPath::backing;
        return element;
    }

    void* element = nullptr;
    auto take = [this, &element]() BC_NO_TSA {
        Guard guard(lock_);
        element = pop_locked();
        return element != nullptr;
    };
    {
        Guard guard(lock_);
        ++waiters_;
    }
    waitq_.wait_until(take);
    {
        Guard guard(lock_);
        --waiters_;
    }
    *path = AllocPath::waited;
    return element;
}

void Mempool::free(void* element) {
    bool wake = false;
    {
        Guard guard(lock_);
        if (reserve_count_ < min_nr_) {
            push_locked(element);
            wake = waiters_ > 0;
            element = nullptr;
        }
    }
    if (wake)
        waitq_.wake_all();
    if (element)
        bc_env_cache_free(backing_, element);
}

// Grow: allocate outside the lock (may sleep) into growth, not into the pool, until growth
// holds what the reserve lacks of min_nr. The pool is not touched: until commit_resize()
// neither status nor the per-CPU layer above (reserve_short()) sees the new size, and a
// failure has nothing to undo, whatever other resizes came and went meanwhile.
Status Mempool::prepare_resize(unsigned min_nr, Growth* growth) {
    *growth = Growth{min_nr, nullptr, 0};
    for (;;) {
        unsigned missing;
        {
            Guard guard(lock_);
            missing = min_nr > reserve_count_ ? min_nr - reserve_count_ : 0;
        }
        if (growth->count >= missing)
            return {};
        void* element = bc_env_cache_alloc(backing_, BC_ALLOC_CONFIG);
        if (!element) {
            abandon_resize(growth);
            return out_of_memory("Cannot allocate the reserve");
        }
        auto* free_element = static_cast<FreeElement*>(element);
        free_element->next = static_cast<FreeElement*>(growth->elements);
        growth->elements = free_element;
        ++growth->count;
    }
}

void Mempool::commit_resize(Growth* growth) {
    auto* elements = static_cast<FreeElement*>(growth->elements);
    FreeElement* excess;
    bool wake = false;
    {
        Guard guard(lock_);
        // The new size, filled up to it, and what is above it released: the excess of a
        // shrink, or elements another resize committed meanwhile made unneeded.
        __atomic_store_n(&min_nr_, growth->min_nr, __ATOMIC_RELAXED);
        while (elements && reserve_count_ < min_nr_) {
            FreeElement* next = elements->next;
            push_locked(elements);
            elements = next;
            wake = waiters_ > 0;
        }
        excess = take_excess_locked();
    }
    if (wake)
        waitq_.wake_all();
    release_excess(excess);
    release_excess(elements);
    *growth = Growth{};
}

void Mempool::abandon_resize(Growth* growth) {
    release_excess(static_cast<FreeElement*>(growth->elements));
    *growth = Growth{};
}

Status Mempool::resize(unsigned min_nr) {
    Growth growth;
    BC_TRY(prepare_resize(min_nr, &growth));
    commit_resize(&growth);
    return {};
}

Mempool::FreeElement* Mempool::take_excess_locked() {
    FreeElement* excess = nullptr;
    while (reserve_count_ > min_nr_) {
        auto* element = static_cast<FreeElement*>(pop_locked());
        element->next = excess;
        excess = element;
    }
    return excess;
}

void Mempool::release_excess(FreeElement* excess) {
    while (excess) {
        FreeElement* next = excess->next;
        bc_env_cache_free(backing_, excess);
        excess = next;
    }
}

void Mempool::reset_low_water() {
    Guard guard(lock_);
    __atomic_store_n(&low_water_, reserve_count_, __ATOMIC_RELAXED);
}

}  // namespace bc
