#include "target/chain.h"

#include "engine/bio_set.h"
#include "engine/stats.h"

namespace bc {

// The caller's attempt without waiting has failed (take_object): recycle. A child still parked on our own
// submit list would never end while we wait, so our parked bios go to the rescuer first
// (Overstreet and Heo, "block: Avoid deadlocks with bio allocation by stacking drivers",
// 2012). With no child in flight (or no rescuer: tests only) it is the mempool's wait.
void* Chain::next(ParentState* parent) {
    if (!set_->has_rescuer())
        return set_->alloc(0, true).bio;
    set_->rescue_parked();
    void** slot = &parent->recycle_slot;
    __atomic_store_n(slot, kWanted, __ATOMIC_SEQ_CST);
    // Wait until a child of this parent hands its object over, or none is in flight any
    // more (end() wakes us when the count drops to the bias alone).
    auto done = [slot, parent] {
        return __atomic_load_n(slot, __ATOMIC_ACQUIRE) != kWanted || in_flight(parent) == 0;
    };
    waitq_.wait_until(done);
    void* object = nullptr;
    void* expected = kWanted;
    if (!__atomic_compare_exchange_n(slot, &expected, nullptr, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        object = __atomic_exchange_n(slot, nullptr, __ATOMIC_ACQUIRE);  // handed over
    if (object) {
        stats_->add(Counter::chain_recycles, 1);
        return object;
    }
    return set_->alloc(0, true).bio;
}

bool Chain::hand_over(ParentState* parent, void* child) {
    void* expected = kWanted;
    if (!__atomic_compare_exchange_n(&parent->recycle_slot, &expected, child, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
        return false;
    waitq_.wake_all();
    return true;
}

bool Chain::end(ParentState* parent, int error) {
    const int before = end_one(parent, error);
    if (before == 2)
        // The last child in flight ended while the mapper still issues (it holds the bias):
        // a mapper waiting in next() for one of them to end must stop waiting. The parent
        // may not be touched after this (it is the mapper's); the Chain may.
        waitq_.wake_all();
    return before == 1;
}

}  // namespace bc
