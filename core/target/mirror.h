// A mirror's leg state and its rules, in one place: which legs have failed, which are
// being resynced, which leg a read goes to, whether a write still has a leg to land on.
// The state is a struct bc_mirror_legs, and the read rules its inlines
// (abi/mirror_legs.h), which the shim's fast path applies to the same struct.
#pragma once
#include "abi/limits.h"
#include "abi/mirror_legs.h"
#include "base/types.h"

namespace bc {

class Mirror {
public:
    void init(unsigned nr_legs) { legs_ = bc_mirror_legs{nr_legs, 0, 0, 0, {}}; }

    // What the shim's fast path reads (bc_fast_path::mirror); fixed for the target's life.
    bc_mirror_legs* legs() { return &legs_; }

    // The failed legs as a bit mask (acquire: see bc_mirror_failed).
    unsigned failed() const { return bc_mirror_failed(&legs_); }
    unsigned resyncing() const { return bc_mirror_resyncing(&legs_); }
    unsigned live() const { return ~failed() & all(); }
    bool is_failed(unsigned leg) const { return failed() >> leg & 1; }
    bool all_failed(unsigned failed_mask) const { return (failed_mask & all()) == all(); }

    // Fails leg. True if another leg still holds the data (a write is still safe, a read
    // can be retried there); *newly says whether this call failed it (for the event).
    bool fail_leg(unsigned leg, bool* newly = nullptr) {
        const unsigned before = __atomic_fetch_or(&legs_.failed, 1u << leg, __ATOMIC_ACQ_REL);
        if (newly)
            *newly = !(before >> leg & 1);
        return !all_failed(before | 1u << leg);
    }

    unsigned source_leg(unsigned failed_mask) const { return bc_mirror_source_leg(&legs_, failed_mask); }
    unsigned source_leg() const { return source_leg(failed()); }

    // The leg for a read of regions first..last (bc_mirror_read_leg); the count is the
    // caller's: read_begins on the leg it issues to, read_ends when that read ends.
    unsigned read_leg(const u64* in_sync, u64 first, u64 last) {
        return bc_mirror_read_leg(&legs_, in_sync, first, last);
    }
    void read_begins(unsigned leg) { bc_mirror_read_begins(&legs_, leg); }
    void read_ends(unsigned leg) { bc_mirror_read_ends(&legs_, leg); }

    // The first leg after `after` (cyclically) not in failed_mask; nr_legs if none.
    unsigned read_leg_after(unsigned after, unsigned failed_mask) const {
        for (unsigned i = 1; i <= legs_.nr_legs; ++i) {
            const unsigned leg = (after + i) % legs_.nr_legs;
            if (!(failed_mask >> leg & 1))
                return leg;
        }
        return legs_.nr_legs;
    }

    // Configuration (table load, reload, reinstate): the caller orders them against I/O.
    // A reinstated leg is resyncing before it is live, so that no read finds it live
    // and trusted.
    void set_state(unsigned failed_mask, unsigned resyncing_mask) {
        __atomic_store_n(&legs_.resyncing, resyncing_mask & all(), __ATOMIC_RELEASE);
        __atomic_store_n(&legs_.failed, failed_mask & all(), __ATOMIC_RELEASE);
    }
    void reinstate(unsigned leg) {
        __atomic_fetch_or(&legs_.resyncing, 1u << leg, __ATOMIC_ACQ_REL);
        __atomic_fetch_and(&legs_.failed, ~(1u << leg), __ATOMIC_ACQ_REL);
    }
    // A resync pass found every region in sync: the resyncing legs hold everything.
    void resynced() { __atomic_store_n(&legs_.resyncing, 0u, __ATOMIC_RELEASE); }

private:
    unsigned all() const { return bc_mirror_all(&legs_); }

    bc_mirror_legs legs_{};
};

}  // namespace bc
