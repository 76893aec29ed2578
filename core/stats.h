// Per-target counters, one cache-line-padded slot per CPU so that the I/O path never
// bounces a shared line; a reader sums the slots. Counts are relaxed: a status read racing
// with I/O sees some consistent-enough snapshot, never a torn 64-bit value.
#pragma once
#include "abi.h"
#include "types.h"

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
    count
};

// The word each counter is shown with in `dmsetup status`, indexed by Counter.
extern const char* const kCounterNames[unsigned(Counter::count)];

class Stats {
public:
    static Stats* create();
    static void destroy(Stats* stats);

    void add(Counter counter, u64 n) {
        __atomic_fetch_add(&slots_[bc_env_cpu() % nr_slots_].values[unsigned(counter)], n, __ATOMIC_RELAXED);
    }
    u64 read(Counter counter) const;
    void reset();

private:
    static constexpr usize kSlotBytes = 192;
    struct Slot {
        u64 values[unsigned(Counter::count)];
        char pad[kSlotBytes - sizeof(u64) * unsigned(Counter::count)];
    };
    static_assert(sizeof(Slot) == kSlotBytes, "one slot per two cache lines, no sharing");

    Stats(Slot* slots, unsigned nr_slots) : slots_(slots), nr_slots_(nr_slots) {}

    Slot* slots_;
    unsigned nr_slots_;
};

}  // namespace bc
