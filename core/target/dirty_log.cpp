#include "target/dirty_log.h"

#include "target/region_sync.h"

namespace bc {
namespace {

u64* alloc_words(u64 words) {
    auto* bits = static_cast<u64*>(bc_env_alloc(words * sizeof(u64), 1));
    if (bits)
        for (u64 i = 0; i < words; ++i)
            bits[i] = 0;
    return bits;
}

constexpr u64 kWordsPerBlock = kLogRegionsPerBlock / 64;

// The words of regions first..last, each with the mask of its regions among them:
// `for (WordSpan span(first, last); span.next();)` (a loop, not a callback: clang's
// thread-safety analysis sees the lock held around it).
class WordSpan {
public:
    WordSpan(u64 first, u64 last) : region_(first), last_(last) {}
    bool next() {
        if (region_ > last_)
            return false;
        word = region_ / 64;
        const u64 from = region_ % 64, to = min<u64>(63, from + (last_ - region_));
        mask = (to == 63 ? ~u64(0) : (u64(1) << (to + 1)) - 1) & ~((u64(1) << from) - 1);
        region_ += to - from + 1;
        return true;
    }
    u64 word = 0;
    u64 mask = 0;

private:
    u64 region_;
    u64 last_;
};

}  // namespace

DirtyLog::~DirtyLog() {
    bc_env_free(dirty_);
    bc_env_free(touched_[0]);
    bc_env_free(touched_[1]);
    bc_env_free(candidates_);
    bc_env_free(pending_);
    bc_env_free(passing_);
    bc_env_free(unwritten_);
    bc_env_free(inpass_);
}

Status DirtyLog::init(u64 nr_regions, bool all_dirty) {
    nr_regions_ = nr_regions;
    const u64 block_words = (bitmap_blocks() + 63) / 64;
    dirty_ = alloc_words(words());
    touched_[0] = alloc_words(words());
    touched_[1] = alloc_words(words());
    candidates_ = alloc_words(words());
    passing_ = alloc_words(block_words);
    unwritten_ = alloc_words(words());
    inpass_ = alloc_words(words());
    u64* pending = alloc_words(block_words);
    Guard guard(lock_);
    pending_ = pending;
    if (!dirty_ || !touched_[0] || !touched_[1] || !candidates_ || !passing_ || !pending_ || !unwritten_ ||
        !inpass_) {
        nr_regions_ = 0;
        return out_of_memory("Cannot allocate the mirror log's bitmaps");
    }
    for (u64 i = 0; i < words(); ++i) {
        dirty_[i] = all_dirty ? word_mask(i) : 0;
        unwritten_[i] = word_mask(i);  // no write before the first pass
    }
    // The first pass writes all of it: a new log is formatted, a loaded one rewritten
    // with whatever this table's state added (a replaced leg's regions, say).
    for (u64 block = 0; block < bitmap_blocks(); ++block)
        pending_[block / 64] |= u64(1) << (block % 64);
    header_pending_ = true;
    return {};
}

u64 DirtyLog::word_mask(u64 i) const {
    const u64 in_last = nr_regions_ % 64;
    return i + 1 < words() || !in_last ? ~u64(0) : (u64(1) << in_last) - 1;
}

void DirtyLog::reset_bitmap(const u8* blocks) {
    for (u64 i = 0; i < words(); ++i) {
        __atomic_store_n(&dirty_[i], load_le64(blocks + i * 8) & word_mask(i), __ATOMIC_RELEASE);
        __atomic_store_n(&unwritten_[i], word_mask(i), __ATOMIC_RELEASE);  // until the first pass
    }
}

u64 DirtyLog::dirty_count() const {
    u64 count = 0;
    for (u64 i = 0; i < words(); ++i)
        count += popcount64(__atomic_load_n(&dirty_[i], __ATOMIC_RELAXED));
    return count;
}

void DirtyLog::include_out_of_sync(const RegionSync& regions) {
    Guard guard(lock_);
    for (u64 i = 0; i < words(); ++i) {
        const u64 out = ~regions.in_sync_word(i) & word_mask(i);
        if (out & ~__atomic_load_n(&dirty_[i], __ATOMIC_RELAXED))
            set_dirty(i, out);
    }
}

// Unwritten before dirty (both sequentially consistent): a write that sees the dirty bit
// set and the unwritten bit clear sees a bit a pass has written.
void DirtyLog::set_dirty(u64 i, u64 bits) {
    __atomic_fetch_or(&unwritten_[i], bits, __ATOMIC_SEQ_CST);
    __atomic_fetch_or(&dirty_[i], bits, __ATOMIC_SEQ_CST);
    set_pending_block(i);
}

void DirtyLog::set_pending_block(u64 word) {
    const u64 block = block_of(word);
    pending_[block / 64] |= u64(1) << (block % 64);
}

u64 DirtyLog::begin_write(u64 first, u64 last, unsigned* epoch, bool* kick) {
    *kick = false;
    // Counted in an epoch that clean_begin has not flipped away meanwhile: it reads the
    // old epoch's count after flipping, so a count it missed is one that sees the flip.
    unsigned e;
    for (;;) {
        e = __atomic_load_n(&epoch_, __ATOMIC_SEQ_CST);
        __atomic_fetch_add(&inflight_[e], 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&epoch_, __ATOMIC_SEQ_CST) == e)
            break;
        __atomic_fetch_sub(&inflight_[e], 1, __ATOMIC_SEQ_CST);
    }
    *epoch = e;
    if (failed())
        return 0;
    last = min(last, nr_regions_ - 1);
    // Touched first, then the dirty bits (clean_end's Dekker partner); a word at a time:
    // a discard may span millions of regions.
    for (WordSpan span(first, last); span.next();)
        __atomic_fetch_or(&touched_[e][span.word], span.mask, __ATOMIC_SEQ_CST);
    return prepare_write(first, last, kick);
}

u64 DirtyLog::prepare_write(u64 first, u64 last, bool* kick) {
    *kick = false;
    if (failed())
        return 0;
    last = min(last, nr_regions_ - 1);
    // A write deferred until its pass: touched in the current epoch, so that a cleaning
    // round before it is mapped does not clear the bits it waits for (begin_write counts
    // it when it is mapped; an epoch flip in between costs it a second wait at worst).
    const unsigned e = __atomic_load_n(&epoch_, __ATOMIC_SEQ_CST);
    for (WordSpan span(first, last); span.next();)
        __atomic_fetch_or(&touched_[e][span.word], span.mask, __ATOMIC_SEQ_CST);
    bool on_disk = true;
    for (WordSpan span(first, last); span.next();)
        on_disk = on_disk && (__atomic_load_n(&dirty_[span.word], __ATOMIC_SEQ_CST) & span.mask) == span.mask &&
                  !(__atomic_load_n(&unwritten_[span.word], __ATOMIC_SEQ_CST) & span.mask);
    if (on_disk)
        return 0;
    // Whatever is unwritten is in the pass after the one taken last, or in that one.
    Guard guard(lock_);
    for (WordSpan span(first, last); span.next();) {
        const u64 missing = span.mask & ~__atomic_load_n(&dirty_[span.word], __ATOMIC_SEQ_CST);
        if (missing)
            set_dirty(span.word, missing);
    }
    *kick = true;
    return gen_ + 1;
}

void DirtyLog::end_write(unsigned epoch) { __atomic_fetch_sub(&inflight_[epoch], 1, __ATOMIC_SEQ_CST); }

void DirtyLog::wait_written(u64 gen) {
    auto ready = [this, gen] { return written(gen); };
    waitq_.wait_until(ready);
}

// A word at a time: a reinstate marks every region, under a spinlock.
u64 DirtyLog::mark_dirty_locked(u64 first, u64 last) {
    for (WordSpan span(first, min(last, nr_regions_ - 1)); span.next();)
        set_dirty(span.word, span.mask);
    return gen_ + 1;
}

u64 DirtyLog::mark_header() {
    Guard guard(lock_);
    header_pending_ = true;
    return gen_ + 1;
}

bool DirtyLog::take_pass_locked(u64* gen, bool* header) {
    bool any = header_pending_;
    const u64 block_words = (bitmap_blocks() + 63) / 64;
    for (u64 i = 0; i < block_words; ++i) {
        passing_[i] |= pending_[i];
        any |= pending_[i] != 0;
        pending_[i] = 0;
    }
    *header = header_pending_;
    header_pending_ = false;
    *gen = ++gen_;
    copy_cursor_ = 0;
    return any && !failed();
}

bool DirtyLog::copy_block(u64* index, u8* buffer) {
    for (; copy_cursor_ < bitmap_blocks(); ++copy_cursor_) {
        const u64 block = copy_cursor_;
        if (!(passing_[block / 64] >> (block % 64) & 1))
            continue;
        passing_[block / 64] &= ~(u64(1) << (block % 64));
        ++copy_cursor_;
        // Under the lock: clean_end's clear-then-restore is never seen half done.
        Guard guard(lock_);
        const u64 first = block * kWordsPerBlock;
        const u64 n = min<u64>(kWordsPerBlock, words() - first);  // the last block may be short
        for (u64 w = 0; w < n; ++w) {
            // written once this pass is: end_pass clears them
            inpass_[first + w] |= __atomic_load_n(&unwritten_[first + w], __ATOMIC_RELAXED);
            store_le64(buffer + w * 8, __atomic_load_n(&dirty_[first + w], __ATOMIC_RELAXED));
        }
        __builtin_memset(buffer + n * 8, 0, (kWordsPerBlock - n) * 8);
        *index = block;
        return true;
    }
    return false;
}

void DirtyLog::fail() {
    __atomic_store_n(&failed_, true, __ATOMIC_RELEASE);
    waitq_.wake_all();
}

void DirtyLog::end_pass(u64 gen, bool ok) {
    if (!ok)
        __atomic_store_n(&failed_, true, __ATOMIC_RELEASE);
    for (u64 i = 0; i < words(); ++i) {
        if (inpass_[i] && ok)
            __atomic_fetch_and(&unwritten_[i], ~inpass_[i], __ATOMIC_SEQ_CST);
        inpass_[i] = 0;
    }
    __atomic_store_n(&done_gen_, gen, __ATOMIC_RELEASE);
    waitq_.wake_all();
}

bool DirtyLog::clean_begin(const RegionSync& regions, bool idle) {
    if (failed())
        return false;
    if (idle) {
        // Safe by itself, not only because the caller says nothing is in flight (DM's
        // destroy of a device never suspended calls postsuspend without waiting for its
        // I/O): a fresh epoch, zeroed before the flip, for whatever comes after, so that
        // clean_end's re-check still sees it; the epoch before must have no write in
        // flight. Else nothing is cleared: a bit left set costs a resync, never data.
        if (__atomic_load_n(&inflight_[0], __ATOMIC_SEQ_CST) || __atomic_load_n(&inflight_[1], __ATOMIC_SEQ_CST))
            return false;
        const unsigned before = __atomic_load_n(&epoch_, __ATOMIC_RELAXED), after = before ^ 1u;
        for (u64 i = 0; i < words(); ++i)
            __atomic_store_n(&touched_[after][i], 0, __ATOMIC_RELAXED);
        __atomic_store_n(&epoch_, after, __ATOMIC_SEQ_CST);
        draining_ = true;  // until the epoch before is seen without a write in flight
        if (__atomic_load_n(&inflight_[before], __ATOMIC_SEQ_CST))
            return false;  // one came in before the flip: the next round clears
        draining_ = false;
        bool any = false;
        for (u64 i = 0; i < words(); ++i) {
            __atomic_store_n(&touched_[before][i], 0, __ATOMIC_RELAXED);
            candidates_[i] = __atomic_load_n(&dirty_[i], __ATOMIC_SEQ_CST) & regions.in_sync_word(i);
            any |= candidates_[i] != 0;
        }
        return any;
    }
    if (!draining_) {
        __atomic_store_n(&epoch_, __atomic_load_n(&epoch_, __ATOMIC_RELAXED) ^ 1u, __ATOMIC_SEQ_CST);
        draining_ = true;
    }
    const unsigned current = __atomic_load_n(&epoch_, __ATOMIC_RELAXED), old = current ^ 1u;
    if (__atomic_load_n(&inflight_[old], __ATOMIC_SEQ_CST))
        return false;  // the old epoch's writes are still in flight: next round
    draining_ = false;
    bool any = false;
    for (u64 i = 0; i < words(); ++i) {
        // Written in the interval before this round (the old epoch) or since its flip: kept
        // (md's bitmap clears a bit only after a whole daemon_sleep without a write), so a
        // region written steadily is never cleared and its writes never wait for a pass.
        // (Read and zeroed at once: a deferred write's touch in the old epoch is not lost.)
        const u64 recent = __atomic_exchange_n(&touched_[old][i], u64(0), __ATOMIC_SEQ_CST) |
                           __atomic_load_n(&touched_[current][i], __ATOMIC_SEQ_CST);
        candidates_[i] = __atomic_load_n(&dirty_[i], __ATOMIC_SEQ_CST) & regions.in_sync_word(i) & ~recent;
        any |= candidates_[i] != 0;
    }
    return any;
}

// The lock a block at a time: a 16 TiB mirror's bitmap is 2^19 words, and the lock is a
// spinlock with interrupts off. A pass copies a block under it, so it never sees a word
// cleared and not yet restored.
u64 DirtyLog::clean_end(const RegionSync& regions, bool flushed) {
    const unsigned current = __atomic_load_n(&epoch_, __ATOMIC_RELAXED);
    u64 cleared = 0;
    for (u64 first = 0; first < words(); first += kWordsPerBlock) {
        Guard guard(lock_);
        for (u64 i = first; i < min(first + kWordsPerBlock, words()); ++i) {
            // Still in sync: a reinstate puts regions out of sync before it marks them dirty.
            const u64 clear = flushed ? candidates_[i] & regions.in_sync_word(i) : 0;
            candidates_[i] = 0;
            if (!clear)
                continue;
            __atomic_fetch_and(&dirty_[i], ~clear, __ATOMIC_SEQ_CST);
            const u64 touched = __atomic_load_n(&touched_[current][i], __ATOMIC_SEQ_CST);
            if (clear & touched)
                __atomic_fetch_or(&dirty_[i], clear & touched, __ATOMIC_SEQ_CST);
            if (clear & ~touched) {
                cleared += popcount64(clear & ~touched);
                set_pending_block(i);
            }
        }
    }
    return cleared;
}

}  // namespace bc
