#include "engine/depot.h"

#include "base/memory.h"

namespace bc {

Result<Depot*> Depot::create(unsigned max_batches) {
    auto* batches = static_cast<Depot::Batch*>(bc_env_alloc(sizeof(Batch) * (max_batches ? max_batches : 1), 1));
    if (!batches)
        return out_of_memory("Cannot allocate the depot");
    Depot* depot = make<Depot>(batches, max_batches);
    if (!depot) {
        bc_env_free(batches);
        return out_of_memory("Cannot allocate the depot");
    }
    return depot;
}

void Depot::destroy(Depot* depot) { bc::destroy(depot); }

// The owner has taken every batch (its contract): only the table is left.
Depot::~Depot() { bc_env_free(batches_); }

bool Depot::put(Batch batch) {
    Guard guard(lock_);
    if (nr_ == max_)
        return false;
    batches_[nr_] = batch;
    __atomic_store_n(&nr_, nr_ + 1, __ATOMIC_RELAXED);
    return true;
}

Depot::Batch Depot::take() {
    Guard guard(lock_);
    if (nr_ == 0)
        return {nullptr, 0};
    __atomic_store_n(&nr_, nr_ - 1, __ATOMIC_RELAXED);
    return batches_[nr_];
}

}  // namespace bc
