// A mirror's leg state and its rules, in one place: which legs have failed, which leg a
// read goes to, whether a write still has a leg to land on.
//
// The rules today: a leg that returned an error is failed for good (no resync yet) and
// is neither read nor written again; reads rotate over the legs that have not failed; a
// write is safe while one leg that has not failed took it.
#pragma once
#include "base/types.h"

namespace bc {

class Mirror {
public:
    void init(unsigned nr_legs) {
        nr_legs_ = nr_legs;
        failed_ = 0;
        next_read_ = 0;
    }

    // The failed legs as a bit mask. Acquire: a leg seen failed stays failed, and what
    // its failure recorded before is visible.
    unsigned failed() const { return __atomic_load_n(&failed_, __ATOMIC_ACQUIRE); }
    bool is_failed(unsigned leg) const { return failed() >> leg & 1; }
    bool all_failed(unsigned failed_mask) const { return (failed_mask & all()) == all(); }

    // Fails leg for good. True if another leg still holds the data (a write is still
    // safe, a read can be retried there).
    bool fail_leg(unsigned leg) {
        return !all_failed(__atomic_or_fetch(&failed_, 1u << leg, __ATOMIC_ACQ_REL));
    }

    // The leg for the next read, rotating per bio; nr_legs when every leg has failed.
    unsigned next_read_leg() { return read_leg_after(__atomic_fetch_add(&next_read_, 1, __ATOMIC_RELAXED)); }

    // The first leg after `after` (cyclically) that has not failed; nr_legs if none.
    unsigned read_leg_after(unsigned after) const {
        const unsigned failed_mask = failed();
        for (unsigned i = 1; i <= nr_legs_; ++i) {
            const unsigned leg = (after + i) % nr_legs_;
            if (!(failed_mask >> leg & 1))
                return leg;
        }
        return nr_legs_;
    }

private:
    unsigned all() const { return (1u << nr_legs_) - 1; }

    unsigned nr_legs_ = 0;
    unsigned failed_ = 0;     // bit mask, atomic
    unsigned next_read_ = 0;  // atomic round robin
};

}  // namespace bc
