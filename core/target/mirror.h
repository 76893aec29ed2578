// A mirror's leg state and its rules, in one place: which legs have failed, which are
// being resynced, which leg a read goes to, whether a write still has a leg to land on.
//
// A leg is live (neither read nor written once failed), and a live leg may be resyncing:
// reinstated or put in by a reload, it takes every write but holds the data only of the
// regions RegionSync says are in sync, so it is never a resync's source. A region in
// sync holds the same data on every live leg: a read goes to the least busy of them. A
// region out of sync is trusted on the source leg only (the first live leg that is not
// resyncing), as dm-raid1 reads an unsynced region from its default mirror.
#pragma once
#include "abi/limits.h"
#include "base/types.h"

namespace bc {

class Mirror {
public:
    void init(unsigned nr_legs) {
        nr_legs_ = nr_legs;
        failed_ = 0;
        resyncing_ = 0;
        last_read_ = 0;
    }

    // The failed legs as a bit mask. Acquire: a leg seen failed stays failed (until a
    // reinstate), and what its failure recorded before is visible.
    unsigned failed() const { return __atomic_load_n(&failed_, __ATOMIC_ACQUIRE); }
    unsigned resyncing() const { return __atomic_load_n(&resyncing_, __ATOMIC_ACQUIRE); }
    unsigned live() const { return ~failed() & all(); }
    bool is_failed(unsigned leg) const { return failed() >> leg & 1; }
    bool all_failed(unsigned failed_mask) const { return (failed_mask & all()) == all(); }

    // Fails leg. True if another leg still holds the data (a write is still safe, a read
    // can be retried there); *newly says whether this call failed it (for the event).
    bool fail_leg(unsigned leg, bool* newly = nullptr) {
        const unsigned before = __atomic_fetch_or(&failed_, 1u << leg, __ATOMIC_ACQ_REL);
        if (newly)
            *newly = !(before >> leg & 1);
        return !all_failed(before | 1u << leg);
    }

    // The leg a region out of sync is read from and copied from, of the legs not in
    // failed_mask; nr_legs if none.
    unsigned source_leg(unsigned failed_mask) const {
        const unsigned trusted = ~failed_mask & all() & ~resyncing();
        return trusted ? unsigned(__builtin_ctz(trusted)) : nr_legs_;
    }
    unsigned source_leg() const { return source_leg(failed()); }

    // The leg for the next read of a region in sync: the live leg with the fewest reads
    // in flight, so that a slow or busy leg gets fewer; on a tie the next after the one
    // chosen last, so that reads at queue depth 1 still use every leg (and a failing leg
    // is found by the next read, not only under load). nr_legs when every leg has failed.
    // The count is the caller's: read_begins on the leg it issues to, read_ends when that
    // read ends. A racy choice costs balance, never correctness.
    unsigned least_busy_leg(unsigned failed_mask) {
        const unsigned last = __atomic_load_n(&last_read_, __ATOMIC_RELAXED);
        unsigned best = nr_legs_, best_load = ~0u;
        for (unsigned i = 1; i <= nr_legs_; ++i) {
            const unsigned leg = (last + i) % nr_legs_;
            const unsigned load = __atomic_load_n(&reads_in_flight_[leg], __ATOMIC_RELAXED);
            if (!(failed_mask >> leg & 1) && load < best_load) {
                best = leg;
                best_load = load;
            }
        }
        if (best < nr_legs_)
            __atomic_store_n(&last_read_, best, __ATOMIC_RELAXED);
        return best;
    }
    void read_begins(unsigned leg) { __atomic_fetch_add(&reads_in_flight_[leg], 1, __ATOMIC_RELAXED); }
    void read_ends(unsigned leg) { __atomic_fetch_sub(&reads_in_flight_[leg], 1, __ATOMIC_RELAXED); }

    // The first leg after `after` (cyclically) not in failed_mask; nr_legs if none.
    unsigned read_leg_after(unsigned after, unsigned failed_mask) const {
        for (unsigned i = 1; i <= nr_legs_; ++i) {
            const unsigned leg = (after + i) % nr_legs_;
            if (!(failed_mask >> leg & 1))
                return leg;
        }
        return nr_legs_;
    }

    // Configuration (table load, reload, reinstate): the caller orders them against I/O.
    // A reinstated leg is resyncing before it is live, so that no read finds it live
    // and trusted.
    void set_state(unsigned failed_mask, unsigned resyncing_mask) {
        __atomic_store_n(&resyncing_, resyncing_mask & all(), __ATOMIC_RELEASE);
        __atomic_store_n(&failed_, failed_mask & all(), __ATOMIC_RELEASE);
    }
    void reinstate(unsigned leg) {
        __atomic_fetch_or(&resyncing_, 1u << leg, __ATOMIC_ACQ_REL);
        __atomic_fetch_and(&failed_, ~(1u << leg), __ATOMIC_ACQ_REL);
    }
    // A resync pass found every region in sync: the resyncing legs hold everything.
    void resynced() { __atomic_store_n(&resyncing_, 0u, __ATOMIC_RELEASE); }

private:
    unsigned all() const { return (1u << nr_legs_) - 1; }

    unsigned nr_legs_ = 0;
    unsigned failed_ = 0;     // bit mask, atomic
    unsigned resyncing_ = 0;  // bit mask, atomic
    unsigned last_read_ = 0;  // the leg least_busy_leg chose last; atomic
    unsigned reads_in_flight_[BC_MAX_LEGS] = {};  // in-place reads issued per leg; atomic
};

}  // namespace bc
