// BioSet: memory for the child bios one target issues, shaped like block/bio.c's bio_set
// (bioset_init with a pool size and front_pad, inline vecs, bvec pools by size).
//
// An object is [front_pad | owner | bio | inline bio_vecs]:
//   front_pad  the user's per-bio data (the target keeps its child record there)
//   owner      the BioSet* that allocated it, one word just before the bio, so a parked
//              bio found on current->bio_list can be told apart by owner (as bi_pool is)
//   bio        bio_size bytes, sizeof(struct bio) as the shim reports it
//   vecs       inline_vecs bio_vecs when NEED_BVECS
// Larger vec tables come from size classes 16/64/128/256 (1 and 4 are the inline vecs).
//
// Allocation order: this CPU's magazine; then a batch from the depot that all CPUs share
// (engine/depot.h); then the bio mempool (backing cache, reserve, wait). A free goes to
// the reserve while it is short, else to this CPU's magazine, and a full magazine hands a
// batch to the depot (the backing cache only when the depot is full too). Before waiting under submit recursion, our parked bios go to the rescuer first
// (Overstreet and Heo's rescuer, 2012), or the wait could be for a bio that cannot be
// issued until we return.
#pragma once
#include "abi/env.h"
#include "abi/bio_set.h"
#include "abi/magazine.h"
#include "engine/depot.h"
#include "engine/fault_injector.h"
#include "engine/mempool.h"
#include "engine/stats.h"
#include "base/result.h"
#include "base/types.h"

namespace bc {

struct BioSetConfig {
    unsigned pool_size;    // reserve objects: bio mempool min_nr, and the 256-vec reserve
    unsigned front_pad;    // bytes of per-bio user data in front of the bio
    bool need_bvecs;       // inline vecs and vec size classes
    bool need_rescuer;     // punt parked bios before waiting
    unsigned bio_size;     // sizeof(struct bio)
    unsigned bvec_size;    // sizeof(struct bio_vec)
    unsigned inline_vecs;  // BIO_INLINE_VECS, with need_bvecs
    u64 fault_seed;        // FaultInjector seed (replay a run)
};

struct BioAllocation {
    void* bio;  // nullptr: failed (only when the caller could not wait)
    void* vecs;
    unsigned vec_capacity;
};

class BioSet {
public:
    static constexpr unsigned kVecClasses[] = {1, 4, 16, 64, 128, 256};
    static constexpr unsigned kMaxVecs = 256;
    static constexpr unsigned kMagazineSize = 32;
    // The depot's bound, in batches of up to kMagazineSize objects per CPU: as much again
    // as the magazines hold (objects[] and irq_list), so that what one CPU's completions
    // free while another allocates is held, and no more.
    static constexpr unsigned kDepotBatchesPerCpu = 2;

    static Result<BioSet*> create(const BioSetConfig& config, Stats* stats);
    static void destroy(BioSet* set);

    BioAllocation alloc(unsigned nr_vecs, bool may_wait);
    // alloc(nr_vecs, false) for a caller with another way on (chain_next): a failure is
    // not counted as alloc_failed.
    BioAllocation try_alloc(unsigned nr_vecs);
    void free(void* bio, void* vecs, unsigned vec_capacity);

    void* front(void* bio) const { return static_cast<char*>(bio) - bio_offset_; }
    void* bio_of(void* front) const { return static_cast<char*>(front) + bio_offset_; }
    static const BioSet* owner_of(const void* bio) {
        return *reinterpret_cast<BioSet* const*>(static_cast<const char*>(bio) - sizeof(BioSet*));
    }

    FaultInjector& faults() { return faults_; }
    bool has_rescuer() const { return rescuer_ != nullptr; }
    // Hands this set's bios parked on the caller's submit list to the rescuer (counted).
    void rescue_parked();
    Mempool& bio_pool() { return *bio_pool_; }
    // Both reserves (bios, and the largest vec tables) to pool_size; growing may wait. On
    // failure neither keeps the new size.
    Status resize_reserve(unsigned pool_size);
    // resize_reserve's work, under the configuration lock.
    Status resize_both(unsigned pool_size);
    usize object_size() const { return object_size_; }
    // Where this set's magazines lie, for a shim that pops and pushes inline
    // (core/abi/magazine.h); fixed for the set's life.
    void magazine_layout(bc_magazine* layout) const;

    BioSet(const BioSetConfig& config, Stats* stats);
    ~BioSet();

private:
    // One per CPU. objects[] is used from task context only, with preemption off; frees
    // from interrupt context (most completions) go to irq_list with interrupts off, and
    // task context takes that list over in one go when objects[] runs dry. So the common
    // path never switches interrupts off, and an interrupt never meets a half-done push.
    // The fast path's counters live here too, one set per context, so they are plain
    // increments of data no one else writes. A full objects[] or irq_list goes to the
    // depot whole, as one batch (the list already is a chain; objects[] is linked into one
    // inside the section), and an empty objects[] is filled from a batch the depot gives.
    struct FreeObject {
        FreeObject* next;
    };
    struct Magazine {
        unsigned count;
        void* objects[kMagazineSize];
        FreeObject* irq_list;
        unsigned irq_count;  // read racily by task context as a hint
        u64 hits[2];         // alloc_percpu, [irq]
        u64 frees[2];        // frees into the magazine, [irq]
    };

    void* magazine_pop();
    bool magazine_push(void* object);
    static void take_irq_list(Magazine* m);
    // A batch from the depot: one object for the caller, the rest into this CPU's
    // objects[] (what does not fit goes back). nullptr: the depot is empty.
    void* depot_alloc();
    // A full magazine's batch: first what the reserve is short of, then the depot, and
    // what the depot has no room for to the mempool.
    void depot_put(Depot::Batch batch);
    // Every object of batch through the mempool (the reserve, else the backing cache).
    void release(Depot::Batch batch);

    u64 magazine_count(Counter counter) const;

public:
    // A counter of the Stats this set reports into, with the fast path's share added
    // (alloc_percpu and frees are kept in the magazines): since creation, and since the
    // last reset_counts() (what status shows).
    u64 total(Counter counter) const { return stats_->total(counter) + magazine_count(counter); }
    u64 count(Counter counter) const { return stats_->since_reset(counter, total(counter)); }
    // After Stats::reset(): moves the baseline of the counters the magazines share, so
    // that they too read 0, without writing the magazines.
    void reset_counts();

private:
    // The caches, reserves, rescuer and magazines of a new set; on failure the destructor
    // releases what was got.
    Status set_up();
    BioAllocation alloc(unsigned nr_vecs, bool may_wait, bool count_failure);
    void* alloc_object(bool may_wait, bool count_failure);
    void* alloc_vecs(unsigned nr_vecs, bool may_wait, unsigned* capacity);
    void free_vecs(void* vecs, unsigned capacity);
    void* pool_alloc(Mempool& pool, bool may_wait, AllocPath* path);
    void count_path(AllocPath path);
    static unsigned vec_class(unsigned nr_vecs);

    const BioSetConfig config_;
    Stats* const stats_;
    usize bio_offset_ = 0;
    usize object_size_ = 0;
    FaultInjector faults_;
    bc_env_cache* object_cache_ = nullptr;
    Mempool* bio_pool_ = nullptr;
    // Vec tables by class index (classes served inline have no cache).
    bc_env_cache* vec_caches_[6] = {};
    Mempool* vec_reserve_ = nullptr;  // the 256 class: every vec request can fall back to it
    void* magazines_ = nullptr;       // per-CPU Magazine
    Depot* depot_ = nullptr;
    bc_env_rescuer* rescuer_ = nullptr;
};

}  // namespace bc
