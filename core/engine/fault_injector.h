// Deterministic fault injection for backing allocations (table feature `fail_alloc`).
// The n-th decision of an injector depends only on its seed and n, so a failing run can be
// replayed; decisions are lock-free (one atomic increment), as the I/O path needs.
#pragma once
#include "base/types.h"

namespace bc {

class FaultInjector {
public:
    explicit FaultInjector(u64 seed = 0x62696f636861696eull) : seed_(seed) {}

    void set_percent(unsigned percent) { __atomic_store_n(&percent_, min(percent, 100u), __ATOMIC_RELAXED); }
    unsigned percent() const { return __atomic_load_n(&percent_, __ATOMIC_RELAXED); }

    bool should_fail() {
        const unsigned percent = this->percent();
        if (BC_LIKELY(percent == 0))
            return false;
        if (percent >= 100)
            return true;
        const u64 n = __atomic_fetch_add(&decisions_, 1, __ATOMIC_RELAXED);
        return mix(seed_ + n) % 100 < percent;
    }

private:
    // splitmix64's finaliser: consecutive inputs give independent-looking outputs.
    static constexpr u64 mix(u64 z) {
        z += 0x9e3779b97f4a7c15ull;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }

    u64 seed_;
    u64 decisions_ = 0;
    unsigned percent_ = 0;
};

}  // namespace bc
