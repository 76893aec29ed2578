// Parent/child accounting: a parent ends exactly once, after its last child, with the
// first error any child reported. The issuing loop holds one extra reference (the bias)
// so the parent cannot end while children are still being issued.
#pragma once
#include "abi/env.h"
#include "abi/target.h"
#include "base/types.h"

namespace bc {

struct ParentState {
    void* handle;    // the shim's parent bio
    int remaining;   // children not yet ended, plus the bias while issuing
    int error;       // 0 or the first -errno
    // chain_next's recycling (seed 000). recycle_slot is nullptr (nobody waits), kWanted
    // (the mapper waits: the next child to end swaps in its object instead of freeing it),
    // or that object. One word, so "wanted" and "handed over" cannot race apart.
    void* recycle_slot;
};

inline void* const kWanted = reinterpret_cast<void*>(uptr(1));

class Chain {
public:
    static void begin(ParentState* parent, void* handle) {
        parent->handle = handle;
        parent->error = 0;
        parent->recycle_slot = nullptr;
        __atomic_store_n(&parent->remaining, 1, __ATOMIC_RELAXED);
    }
    static void add_child(ParentState* parent) { __atomic_fetch_add(&parent->remaining, 1, __ATOMIC_RELAXED); }

    // One child (or the bias) ends; returns how many were counted before (1: the caller
    // must end the parent, 2: only the bias is left). Release/acquire order every
    // child's error before the final read.
    static int end_one(ParentState* parent, int error) {
        if (error) {
            int expected = 0;
            __atomic_compare_exchange_n(&parent->error, &expected, error, false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED);
        }
        return __atomic_fetch_sub(&parent->remaining, 1, __ATOMIC_SEQ_CST);
    }
    static int error(const ParentState* parent) { return __atomic_load_n(&parent->error, __ATOMIC_RELAXED); }
    static int in_flight(const ParentState* parent) {
        return __atomic_load_n(&parent->remaining, __ATOMIC_SEQ_CST) - 1;  // minus the bias
    }
};

// What a child keeps in its BioSet front_pad: enough to issue it again elsewhere.
struct ChildRecord {
    ParentState* parent;
    bc_sector_t offset;  // in the parent's data
    bc_sector_t target_sector;
    bc_sector_t leg_sector;
    u32 sectors;
    u16 leg;
    bool write;
};

}  // namespace bc
