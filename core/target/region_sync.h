// Which regions of a mirror hold the same data on every leg that is not failed, and the
// gate that keeps writes out of the one region a resync is copying.
//
// A region is region_size sectors of the target (DM splits bios at region boundaries:
// max_io_len), one bit in a bitmap: set, the region is in sync and a read may go to any
// live leg; clear, only the resync's source leg is trusted for it, and the resync copies
// it from there to the others (dm-raid1's region states; dm-region-hash.c).
//
// The gate is md raid1's barrier (Coly Li, "md: raid1: a new I/O barrier implementation
// to remove resync window", 2017): writes are counted per bucket of regions; the resync
// raises the barrier on the bucket of the region it copies and waits for the bucket's
// writes in flight to end, and a write that finds the barrier up waits for it to come
// down. One barrier at a time (one resync worker per target); writes to other buckets
// never wait. A write and the barrier meet Dekker-style: each stores its own word, then
// reads the other's, both sequentially consistent, so at least one sees the other.
#pragma once
#include "abi/mirror_legs.h"
#include "abi/types.h"
#include "base/result.h"
#include "base/sync.h"
#include "base/types.h"

namespace bc {

class RegionSync {
public:
    static constexpr unsigned kBuckets = 256;
    static constexpr u64 kNoRegion = ~u64(0);

    RegionSync() = default;
    ~RegionSync();
    RegionSync(const RegionSync&) = delete;
    RegionSync& operator=(const RegionSync&) = delete;

    // target_sectors cut into regions of region_sectors (a power of two), every one in
    // sync or none. Configuration path (may sleep).
    Status init(bc_sector_t target_sectors, unsigned region_sectors, bool in_sync);

    u64 nr_regions() const { return nr_regions_; }
    unsigned region_sectors() const { return 1u << shift_; }
    u64 region_of(bc_sector_t sector) const { return sector >> shift_; }
    bc_sector_t region_start(u64 region) const { return bc_sector_t(region) << shift_; }
    // The region's length: the last one may be short.
    bc_sector_t region_length(u64 region) const;

    bool in_sync(u64 region) const;
    // The bitmap itself, for the shim's reads (abi/mirror_legs.h); fixed after init.
    const u64* bits() const { return bits_; }
    // Regions 64 * i .. 64 * i + 63, a bit each (set: in sync), as one word.
    u64 in_sync_word(u64 i) const { return __atomic_load_n(&bits_[i], __ATOMIC_SEQ_CST); }
    u64 in_sync_count() const { return __atomic_load_n(&in_sync_count_, __ATOMIC_RELAXED); }
    bool all_in_sync() const { return in_sync_count() == nr_regions_; }
    // A copy of the bitmap (words() u64 of it) out and in: what a reload carries over.
    u64 words() const { return (nr_regions_ + 63) / 64; }
    void save(u64* bits) const;
    void load(const u64* bits);
    // The same, word i being word_at(i) (a disk log's: the regions it does not mark dirty).
    // A word at a time (a 16 TiB mirror at the default size is 2^19 words): the lock is a
    // spinlock with interrupts off.
    template <typename WordAt> void load_with(WordAt word_at) {
        Guard guard(lock_);
        u64 count = 0;
        for (u64 i = 0; i < words(); ++i) {
            const u64 word = word_at(i) & word_mask(i);
            count += popcount64(word);
            __atomic_store_n(&bits_[i], word, __ATOMIC_RELEASE);
        }
        __atomic_store_n(&in_sync_count_, count, __ATOMIC_RELAXED);
    }
    // Regions first..last (inclusive) no longer in sync; how many were.
    u64 mark_out_of_sync(u64 first, u64 last);
    void mark_all_out_of_sync() { mark_out_of_sync(0, nr_regions_ - 1); }

    // A write to region begins. False when the region's bucket is being resynced and
    // the caller may not wait (REQ_NOWAIT): nothing was counted. Else counted, after
    // waiting for the barrier if it was up (*waited). Process context if may_wait.
    bool enter_write(u64 region, bool may_wait, bool* waited);
    // A write entered by enter_write has ended (any context).
    void exit_write(u64 region);

    // The next region out of sync at or after the cursor (wrapping); false if none.
    bool next_out_of_sync(u64* region);
    // The resync's region: new writes to its bucket wait, and this waits until the
    // bucket's writes in flight have ended. Process context.
    void raise_barrier(u64 region);
    // The copy is over: in sync if synced; the waiting writes go on.
    void lower_barrier(u64 region, bool synced);

private:
    static unsigned bucket_of(u64 region) { return unsigned(region % kBuckets); }
    u64 word_mask(u64 i) const;
    unsigned writes(unsigned bucket) const { return __atomic_load_n(&writes_[bucket], __ATOMIC_SEQ_CST); }
    bool barrier_on(unsigned bucket) const {
        return __atomic_load_n(&barrier_, __ATOMIC_SEQ_CST) == bucket + 1;
    }

    u64* bits_ = nullptr;  // one per region, set: in sync; atomic
    u64 nr_regions_ = 0;
    bc_sector_t target_sectors_ = 0;
    unsigned shift_ = 0;
    u64 in_sync_count_ = 0;  // atomic
    u64 cursor_ = 0;         // the resync worker's alone
    // The bitmap's changes other than a copy's: a reinstate's mark_out_of_sync may land
    // while a region is being copied, and must not be undone by the copy's end.
    SpinLock lock_{BC_LOCK_REGION_SYNC};
    u64 copying_ BC_GUARDED_BY(lock_) = kNoRegion;
    bool recopy_ BC_GUARDED_BY(lock_) = false;
    unsigned writes_[kBuckets] = {};  // writes in flight per bucket; atomic
    unsigned barrier_ = 0;            // the raised barrier's bucket + 1, 0 for none; atomic
    WaitQueue waitq_;  // writes waiting for the barrier, the resync for writes to end
};

}  // namespace bc
