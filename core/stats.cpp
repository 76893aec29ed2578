#include "stats.h"

#include "memory.h"

namespace bc {

const char* const kCounterNames[unsigned(Counter::count)] = {
    "reads", "writes", "flushes", "discards", "write_zeroes", "other", "read_sectors", "write_sectors", "errors",
    "alloc_percpu", "alloc_backing", "alloc_reserve", "alloc_waited", "alloc_failed", "frees",
    "rescues", "bios_rescued", "noio_violations", "children",
};

Stats* Stats::create() {
    const unsigned nr_slots = max(bc_env_nr_cpus(), 1u);
    Slot* slots = make_zeroed_array<Slot>(nr_slots);
    if (!slots)
        return nullptr;
    Stats* stats = make<Stats>(Stats(slots, nr_slots));
    if (!stats)
        destroy_array(slots);
    return stats;
}

void Stats::destroy(Stats* stats) {
    if (!stats)
        return;
    destroy_array(stats->slots_);
    bc::destroy(stats);
}

u64 Stats::read(Counter counter) const {
    u64 sum = 0;
    for (unsigned i = 0; i < nr_slots_; ++i)
        sum += __atomic_load_n(&slots_[i].values[unsigned(counter)], __ATOMIC_RELAXED);
    return sum;
}

void Stats::reset() {
    for (unsigned i = 0; i < nr_slots_; ++i)
        for (u64& value : slots_[i].values)
            __atomic_store_n(&value, 0, __ATOMIC_RELAXED);
}

}  // namespace bc
