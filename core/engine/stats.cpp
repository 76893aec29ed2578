#include "engine/stats.h"

#include "base/memory.h"

namespace bc {

const char* const kCounterNames[unsigned(Counter::count)] = {
    "reads", "writes", "flushes", "discards", "write_zeroes", "other", "read_sectors", "write_sectors", "errors",
    "alloc_percpu", "alloc_backing", "alloc_reserve", "alloc_waited", "alloc_failed", "frees",
    "rescues", "bios_rescued", "noio_violations", "children", "read_retries", "chain_recycles", "merges",
    "partial_accepts", "depot_puts", "depot_gets", "write_turns", "children_inline", "resync_regions", "resync_sectors", "write_gate_waits",
    "log_writes", "log_waits", "write_refusals",
};

Result<Stats*> Stats::create() {
    if (void* percpu = bc_env_percpu_alloc(sizeof(Values))) {
        if (Stats* stats = make<Stats>(percpu))
            return stats;
        bc_env_percpu_free(percpu);
    }
    return out_of_memory("Cannot allocate counters");
}

void Stats::destroy(Stats* stats) {
    if (!stats)
        return;
    bc_env_percpu_free(stats->percpu_);
    bc::destroy(stats);
}

u64 Stats::sum(unsigned index) const {
    u64 sum = 0;
    for (unsigned cpu = 0; cpu < bc_env_nr_cpus(); ++cpu)
        if (auto* slot = static_cast<Values*>(bc_env_percpu_slot(percpu_, cpu)))
            sum += __atomic_load_n(&slot->values[index], __ATOMIC_RELAXED);
    return sum;
}

void Stats::reset() {
    for (unsigned index = 0; index < kValues; ++index)
        store_baseline(index, sum(index));
}

}  // namespace bc
