// A parent and its children (Richter, "bio_chain: proposed solution for bio_alloc failure
// and large IO simplification", 2002).
//
// Accounting: a parent ends exactly once, after its last child, with the first error any
// child reported. The issuing loop holds one extra reference (the bias) so the parent
// cannot end while children are still being issued.
//
// chain_next: the next child of a parent can always be had. First without waiting
// (magazine, cache, reserve); when that fails, wait for a child of this same parent to
// end and take its object (the recycle slot below), so one object per parent in flight is
// enough to make progress whatever other parents hold.
#pragma once
#include "abi/limits.h"
#include "abi/types.h"
#include "base/sync.h"
#include "base/types.h"

namespace bc {

class BioSet;
class Stats;

struct ParentState {
    void* handle;    // the shim's parent bio
    int remaining;   // children not yet ended, plus the bias while issuing
    int error;       // 0 or the first -errno
    // chain_next's recycling. recycle_slot is nullptr (nobody waits), kWanted (the
    // mapper waits: the next child to end swaps in its object instead of freeing it), or
    // that object. One word, so "wanted" and "handed over" cannot race apart.
    void* recycle_slot;
    // bc_target_map_in_place: the piece a mirror's parent carries itself, for its end
    // (bc_target_in_place_end): a write's leg is judged there, a read is issued again on
    // another leg. parent_leg is kNoLeg when there is nothing to judge (linear, striped).
    unsigned parent_leg;
    bool parent_write;
    bool parent_readahead;
    bool parent_retryable;  // the shim keeps what issuing it again needs (bc_in_place)
    // A mirror write counted in the disk log's epoch log_epoch - 1 (DirtyLog::begin_write;
    // 0: not counted), left with the write gate.
    u8 log_epoch;
    u32 parent_sectors;
    // A write carried in turns: the legs still to take its piece, one after another, and
    // the legs that have it (written only while one of those has not failed).
    u16 parent_turns;
    u16 parent_landed;
    bc_sector_t parent_sector;  // the target sector of the parent's piece
    // The child objects in the per-bio data after this state that are free, a bit each
    // (bc_target::inline_children): only the mapper takes (clears a bit), a child's end
    // gives back (sets it), each with one atomic operation.
    u32 inline_free;
    // A mirror write's regions in RegionSync's write gate (gate_regions from gate_first;
    // 0: none), left when the parent ends; gate_last is the last region it touches.
    u32 gate_regions;
    u64 gate_first;
    u64 gate_last;
    // A leg's piece of a mirror write (its own or a child's) ended with an error that
    // fails no leg (AGAIN, NOTSUPP): 0 or that -errno (atomic; children end at once).
    // Other legs may have taken it: its regions are resynced as it leaves the gate.
    int legs_refused;
};

constexpr unsigned kNoLeg = ~0u;
static_assert(BC_MAX_LEGS <= 16, "parent_turns and parent_landed are 16-bit leg masks");

inline void* const kWanted = reinterpret_cast<void*>(uptr(1));

class Chain {
public:
    static void begin(ParentState* parent, void* handle) {
        parent->handle = handle;
        parent->error = 0;
        parent->recycle_slot = nullptr;
        parent->parent_leg = kNoLeg;
        parent->inline_free = 0;  // the mappers that use them say how many (bc_target_map*)
        parent->gate_regions = 0;
        parent->legs_refused = 0;
        parent->log_epoch = 0;
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

    // The children of one target come from set; recycles are counted in stats.
    void init(BioSet* set, Stats* stats) {
        set_ = set;
        stats_ = stats;
    }

    // chain_next: an object for the next child of parent, once the caller's own attempt
    // without waiting (the magazine, the depot, the cache, the reserve) found nothing:
    // the rescue, the recycle and the mempool's wait, with no second attempt (nor a second
    // draw of fail_alloc's injector, which would change a replay). Sleeps only when
    // nothing is free; call inside a NOIO scope. nullptr only if the set cannot wait
    // (never here).
    void* next(ParentState* parent);

    // A child of parent has ended: its object goes to the mapper waiting in next() for
    // this parent, if there is one (true). False: nobody waits, the caller frees it.
    bool hand_over(ParentState* parent, void* child);

    // One child (or the bias) of parent ends with error. True: the parent must end now.
    // When only the bias is left, a mapper waiting in next() for this parent is woken:
    // no child of it can hand an object over any more.
    bool end(ParentState* parent, int error);

private:
    BioSet* set_ = nullptr;
    Stats* stats_ = nullptr;
    WaitQueue waitq_;  // mappers waiting for a child of their parent to end
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
    bool readahead = false;  // REQ_RAHEAD: its failure says nothing of the leg
};

}  // namespace bc
