// Per-target counters in per-CPU memory, so that the I/O path never bounces a shared
// line; a reader sums the CPUs. Counts are relaxed: a status read racing with I/O sees
// some recent value of each counter, never a torn 64-bit value. Only the I/O path writes
// the per-CPU counters; a reset moves a baseline instead.
#pragma once
#include "abi/env.h"
#include "abi/target.h"
#include "base/result.h"
#include "base/types.h"

namespace bc {

enum class Counter : unsigned {
    reads,
    writes,
    flushes,
    discards,
    write_zeroes,
    other,
    read_sectors,
    write_sectors,
    errors,
    // allocation engine (BioSet)
    alloc_percpu,    // served by this CPU's magazine
    alloc_backing,   // served by the object cache
    alloc_reserve,   // served by the mempool reserve without waiting
    alloc_waited,    // waited for an object to be freed
    alloc_failed,    // could not wait, and nothing was free (a value, never a crash)
    frees,
    rescues,         // times parked bios were handed to the rescuer before waiting
    bios_rescued,    // bios the rescuer submitted
    noio_violations, // I/O-path allocations outside a NOIO scope (must stay 0)
    children,        // child bios submitted
    read_retries,    // mirror reads issued again on another leg after an error
    chain_recycles,  // children made from the object of an earlier child of the same parent
    merges,          // pieces added to the previous, not yet issued child (no allocation)
    partial_accepts, // splits that handed the rest of a bio back to DM rather than wait
    depot_puts,      // batches a full magazine handed to the depot (BioSet)
    depot_gets,      // batches an empty magazine took from the depot
    write_turns,     // a mirror write's parent issued again to carry a copy itself
    children_inline, // children made in their parent's per-bio data (no BioSet object)
    resync_regions,  // mirror regions copied from the source leg to the others
    resync_sectors,  // and their sectors
    write_gate_waits,// mirror writes that waited for a region's resync to end
    log_writes,      // blocks a mirror's disk log wrote (bitmap and header)
    log_waits,       // mirror writes that waited for their region's bit to reach the log
    write_refusals,  // mirror writes a leg refused (NOTSUPP, AGAIN): their regions resynced
    count
};

// Counted for each leg of the target.
enum class LegCounter : unsigned { flushes, errors, count };

// The word each counter is shown with in `dmsetup status`, indexed by Counter.
extern const char* const kCounterNames[unsigned(Counter::count)];

class Stats {
public:
    static Result<Stats*> create();
    static void destroy(Stats* stats);

    // this_cpu_add in the kernel: one instruction, no lock prefix, interrupt-safe.
    void add(Counter counter, u64 n) { bc_env_percpu_add(percpu_, offset(counter), n); }
    void add(unsigned leg, LegCounter counter, u64 n) {
        bc_env_percpu_add(percpu_, byte_offset(leg_index(leg, counter)), n);
    }
    // Since the last reset (what status shows).
    u64 read(Counter counter) const { return since_reset(counter, total(counter)); }
    u64 read(unsigned leg, LegCounter counter) const {
        const unsigned index = leg_index(leg, counter);
        return since_reset(index, sum(index));
    }
    // Since creation: no reset touches it (what `outstanding` is derived from).
    u64 total(Counter counter) const { return sum(unsigned(counter)); }

    // `stats reset`: every counter reads 0 from now on. It records the totals as a
    // baseline and writes nothing the I/O path adds to: zeroing per-CPU counters while
    // other CPUs add to them loses the zero (this_cpu_add is not atomic against a remote
    // store) or lets one of two related counters keep a count the other lost.
    void reset();
    // For a counter kept partly elsewhere (BioSet's magazines): the baseline is its whole
    // total, and reading it subtracts the baseline from the whole total.
    void reset(Counter counter, u64 total) { store_baseline(unsigned(counter), total); }
    u64 since_reset(Counter counter, u64 total) const { return since_reset(unsigned(counter), total); }

    // Where counter lies in each CPU's copy of percpu(), for an environment that adds to
    // it without calling in (struct bc_fast_path).
    static constexpr unsigned long offset(Counter counter) { return byte_offset(unsigned(counter)); }
    void* percpu() const { return percpu_; }

    explicit Stats(void* percpu) : percpu_(percpu) {}

private:
    static constexpr unsigned kValues = unsigned(Counter::count) + BC_MAX_LEGS * unsigned(LegCounter::count);
    struct Values {
        u64 values[kValues];
    };
    static constexpr unsigned long byte_offset(unsigned index) { return sizeof(u64) * index; }
    static constexpr unsigned leg_index(unsigned leg, LegCounter counter) {
        return unsigned(Counter::count) + leg * unsigned(LegCounter::count) + unsigned(counter);
    }
    u64 sum(unsigned index) const;
    void store_baseline(unsigned index, u64 total) { __atomic_store_n(&baseline_[index], total, __ATOMIC_RELAXED); }
    // A read racing a reset may pair a new baseline with an older sum: never below 0.
    u64 since_reset(unsigned index, u64 total) const {
        const u64 base = __atomic_load_n(&baseline_[index], __ATOMIC_RELAXED);
        return total > base ? total - base : 0;
    }

    void* percpu_;  // Values per CPU
    // The totals at the last reset, written by reset() only (relaxed: concurrent resets
    // and readers see one or the other, each value whole).
    u64 baseline_[kValues] = {};
};

}  // namespace bc
