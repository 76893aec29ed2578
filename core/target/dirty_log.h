// A mirror's dirty-region log in memory, kept in step with its on-disk form
// (log_format.h): which regions the disk says may differ between the legs, which
// bitmap blocks and whether the header must be written again, and the write path's rule
// that a region's bit is on the disk before the first write to it is issued.
//
// A write enters (begin_write): it is counted in the current epoch and marks its
// regions touched in it, then looks at their dirty bits. All set and none of them still
// unwritten (set in memory, its pass not yet written): it goes on at once (the common
// case, two loads a word, no lock). Else it sets them (unwritten first), the blocks
// holding them become pending, and it waits until a log pass started after that has
// written them (written(gen)): the shim's log worker runs passes (take_pass, copy_block,
// end_pass). A pass clears the unwritten bits its block copies held once it is written.
//
// Bits are cleared lazily, by a cleaning round in two steps a few seconds apart (md's
// bitmap daemon): clean_begin flips the epoch and, once every write of the epoch before
// has ended, notes as candidates the dirty regions in sync that neither epoch has
// touched (nothing written in the whole interval since the round before); the shim then
// flushes every live leg (the ended writes are on stable media) and calls clean_end,
// which clears the candidates still untouched. A write and the
// clearing meet Dekker-style: the write sets its touched bit, then reads the dirty bit;
// clean_end clears the dirty bit, then reads the touched bit and sets the dirty bit
// again if it finds it (all sequentially consistent), so a write either sees its bit
// cleared and marks it again, or is seen and keeps it. clean_end holds the lock a pass
// takes its block copies under, so no pass writes a bit that is cleared only for an
// instant.
#pragma once
#include "base/result.h"
#include "base/sync.h"
#include "base/types.h"
#include "target/log_format.h"

namespace bc {

class RegionSync;

class DirtyLog {
public:
    DirtyLog() = default;
    ~DirtyLog();
    DirtyLog(const DirtyLog&) = delete;
    DirtyLog& operator=(const DirtyLog&) = delete;

    // nr_regions regions, every one dirty or none. Configuration path (may sleep).
    Status init(u64 nr_regions, bool all_dirty);
    bool attached() const { return nr_regions_ != 0; }
    u64 nr_regions() const { return nr_regions_; }
    u64 bitmap_blocks() const { return log_bitmap_blocks(nr_regions_); }

    // The bitmap read from the disk (bitmap_blocks() blocks, little-endian words) replaces
    // this one; bits past the last region are ignored. Before the first write.
    void reset_bitmap(const u8* blocks);
    u64 dirty_word(u64 i) const { return __atomic_load_n(&dirty_[i], __ATOMIC_SEQ_CST); }
    u64 dirty_count() const;

    // Every region out of sync is dirty too (the invariant a resync relies on: a region
    // still to copy stays dirty on the disk); at load, whatever the state came from.
    void include_out_of_sync(const RegionSync& regions);

    // A write to regions first..last begins: counted in the epoch it returns through
    // *epoch (end_write takes it back). 0: every region's bit is on the disk, or the log
    // has failed (nothing is waited for then); else the generation the caller must see
    // written before it issues anything (written()), a pass having been asked for (*kick).
    u64 begin_write(u64 first, u64 last, unsigned* epoch, bool* kick);
    void end_write(unsigned epoch);
    // Before a write is mapped: 0 when every region's bit is on the disk (or the log has
    // failed); else its bits are set (and touched) and the pass that writes them is
    // returned (*kick: ask for it). Counts nothing in flight: begin_write still comes
    // when the write is mapped.
    u64 prepare_write(u64 first, u64 last, bool* kick);
    bool written(u64 gen) const { return __atomic_load_n(&done_gen_, __ATOMIC_ACQUIRE) >= gen; }
    // Sleeps until written(gen) (process context).
    void wait_written(u64 gen);

    // Regions first..last dirty, and the header pending (a reinstate: every region, and
    // a leg's state); then, under the lock a pass is taken under, then(): a leg's state
    // changed there is in no pass that lacks these bits. Returns the generation that
    // writes them.
    template <typename Then> u64 mark_dirty(u64 first, u64 last, bool header, Then then) {
        Guard guard(lock_);
        const u64 gen = mark_dirty_locked(first, last);
        header_pending_ |= header;
        then();
        return gen;
    }
    u64 mark_dirty(u64 first, u64 last, bool header) {
        return mark_dirty(first, last, header, [] {});
    }
    // The header must be written (a leg's state changed); the generation that writes it.
    u64 mark_header();

    // A log pass (the log worker, process context): take_pass starts one and says whether
    // there is anything to write; copy_block copies the next pending bitmap block
    // (kLogBlockBytes at buffer) and its index, false when none is left; then the header
    // if *header; end_pass publishes the pass (the writers waiting for it go on) or, on an
    // I/O error, fails the log: from then on writes wait for nothing and nothing is
    // written (status says so; the log is not trusted again by this table).
    // snapshot() runs under the lock, for what the header is to say.
    template <typename Snapshot> bool take_pass(u64* gen, bool* header, Snapshot snapshot) {
        Guard guard(lock_);
        snapshot();
        return take_pass_locked(gen, header);
    }
    bool copy_block(u64* index, u8* buffer);
    void end_pass(u64 gen, bool ok);
    bool failed() const { return __atomic_load_n(&failed_, __ATOMIC_ACQUIRE); }
    // The log cannot be read or written: as end_pass's failure, without a pass.
    void fail();

    // The lazy clearing (see above); regions: which are in sync. clean_begin: true when
    // there are candidates and the legs must now be flushed before clean_end. idle: no
    // write in flight nor any to come before the next round (a suspend): every region in
    // sync is a candidate.
    bool clean_begin(const RegionSync& regions, bool idle = false);
    // flushed: every live leg's flush succeeded (else nothing is cleared this round).
    // Returns how many regions were cleared (their blocks are pending).
    u64 clean_end(const RegionSync& regions, bool flushed);

private:
    u64 words() const { return (nr_regions_ + 63) / 64; }
    u64 word_mask(u64 i) const;
    static u64 block_of(u64 word) { return word / (kLogRegionsPerBlock / 64); }
    // Bits of word i dirty, unwritten until a pass has written their block.
    void set_dirty(u64 i, u64 bits) BC_REQUIRES(lock_);
    void set_pending_block(u64 word) BC_REQUIRES(lock_);
    u64 mark_dirty_locked(u64 first, u64 last) BC_REQUIRES(lock_);
    bool take_pass_locked(u64* gen, bool* header) BC_REQUIRES(lock_);

    u64 nr_regions_ = 0;
    u64* dirty_ = nullptr;       // set: the disk has (or is about to have) the bit; atomic
    u64* touched_[2] = {};       // regions written in each epoch; atomic
    u64* candidates_ = nullptr;  // clean_begin's, for clean_end; the log worker's alone
    u64* pending_ BC_GUARDED_BY(lock_) = nullptr;  // bitmap blocks to write, a bit each
    u64* passing_ = nullptr;  // the blocks of the pass taken; the log worker's alone
    bool header_pending_ BC_GUARDED_BY(lock_) = false;
    u64 gen_ BC_GUARDED_BY(lock_) = 0;  // the last pass taken
    u64 done_gen_ = 0;                  // the last pass written; atomic
    u64* unwritten_ = nullptr;  // dirty bits set in memory and not yet written by a pass; atomic
    u64* inpass_ = nullptr;     // the unwritten bits the pass taken has copied; the log worker's alone
    u64 copy_cursor_ = 0;               // copy_block's, the log worker's alone
    unsigned epoch_ = 0;                // atomic
    unsigned long inflight_[2] = {};    // writes in flight per epoch; atomic
    bool draining_ = false;             // the log worker's alone: an epoch flipped, not yet cleaned
    bool failed_ = false;               // atomic
    SpinLock lock_{BC_LOCK_DIRTY_LOG};
    WaitQueue waitq_;
};

}  // namespace bc
