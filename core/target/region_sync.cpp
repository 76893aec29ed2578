#include "target/region_sync.h"

#include "abi/limits.h"
#include "base/memory.h"

namespace bc {

RegionSync::~RegionSync() { bc_env_free(bits_); }

Status RegionSync::init(bc_sector_t target_sectors, unsigned region_sectors, bool in_sync) {
    shift_ = unsigned(__builtin_ctz(region_sectors));
    target_sectors_ = target_sectors;
    nr_regions_ = (target_sectors + region_sectors - 1) >> shift_;
    if (!nr_regions_)
        nr_regions_ = 1;  // DM refuses an empty target; keep the arithmetic whole anyway
    if (nr_regions_ > BC_MIRROR_MAX_REGIONS)
        return invalid("region_size: too many regions for the device (give a larger region_size)");
    bits_ = static_cast<u64*>(bc_env_alloc(words() * sizeof(u64), 1));
    if (!bits_)
        return out_of_memory("Cannot allocate the mirror's region bitmap");
    for (u64 i = 0; i < words(); ++i)
        bits_[i] = 0;
    in_sync_count_ = 0;
    if (in_sync) {
        for (u64 i = 0; i < words(); ++i)
            bits_[i] = word_mask(i);
        in_sync_count_ = nr_regions_;
    }
    return {};
}

bc_sector_t RegionSync::region_length(u64 region) const {
    const bc_sector_t start = region_start(region);
    const bc_sector_t end = min(start + region_sectors(), target_sectors_);
    return end > start ? end - start : 0;
}

bool RegionSync::in_sync(u64 region) const { return bc_mirror_region_in_sync(bits_, region); }

void RegionSync::save(u64* bits) const {
    for (u64 i = 0; i < words(); ++i)
        bits[i] = __atomic_load_n(&bits_[i], __ATOMIC_ACQUIRE);
}

// The bits of word i that are regions (the last word's high bits are none).
u64 RegionSync::word_mask(u64 i) const {
    const u64 in_last = nr_regions_ % 64;
    return i + 1 < words() || !in_last ? ~u64(0) : (u64(1) << in_last) - 1;
}

void RegionSync::load(const u64* bits) {
    load_with([bits](u64 i) { return bits[i]; });
}

u64 RegionSync::mark_out_of_sync(u64 first, u64 last) {
    Guard guard(lock_);
    u64 cleared = 0;
    last = min(last, nr_regions_ - 1);
    for (u64 r = first; r <= last;) {
        const u64 i = r / 64, from = r % 64, to = min<u64>(63, from + (last - r));
        const u64 mask = (to == 63 ? ~u64(0) : (u64(1) << (to + 1)) - 1) & ~((u64(1) << from) - 1);
        cleared += popcount64(__atomic_fetch_and(&bits_[i], ~mask, __ATOMIC_ACQ_REL) & mask);
        r += to - from + 1;
    }
    if (copying_ != kNoRegion && first <= copying_ && copying_ <= last)
        recopy_ = true;
    __atomic_fetch_sub(&in_sync_count_, cleared, __ATOMIC_RELAXED);
    return cleared;
}

bool RegionSync::enter_write(u64 region, bool may_wait, bool* waited) {
    const unsigned bucket = bucket_of(region);
    for (;;) {
        __atomic_fetch_add(&writes_[bucket], 1, __ATOMIC_SEQ_CST);
        if (!barrier_on(bucket))
            return true;
        exit_write(region);  // the resync may be waiting for this count to drop
        if (!may_wait)
            return false;
        *waited = true;
        auto down = [this, bucket] { return !barrier_on(bucket); };
        waitq_.wait_until(down);
    }
}

void RegionSync::exit_write(u64 region) {
    const unsigned bucket = bucket_of(region);
    if (__atomic_sub_fetch(&writes_[bucket], 1, __ATOMIC_SEQ_CST) == 0 && barrier_on(bucket))
        waitq_.wake_all();
}

bool RegionSync::next_out_of_sync(u64* region) {
    for (u64 n = 0; n < nr_regions_; ++n) {
        const u64 r = (cursor_ + n) % nr_regions_;
        if (!in_sync(r)) {
            cursor_ = r;
            *region = r;
            return true;
        }
    }
    return false;
}

void RegionSync::raise_barrier(u64 region) {
    const unsigned bucket = bucket_of(region);
    {
        Guard guard(lock_);
        copying_ = region;
        recopy_ = false;
    }
    __atomic_store_n(&barrier_, bucket + 1, __ATOMIC_SEQ_CST);
    auto drained = [this, bucket] { return writes(bucket) == 0; };
    waitq_.wait_until(drained);
}

void RegionSync::lower_barrier(u64 region, bool synced) {
    {
        Guard guard(lock_);
        if (synced && !recopy_) {
            const u64 mask = u64(1) << (region % 64);
            if (!(__atomic_fetch_or(&bits_[region / 64], mask, __ATOMIC_RELEASE) & mask))
                __atomic_fetch_add(&in_sync_count_, 1, __ATOMIC_RELAXED);
        }
        copying_ = kNoRegion;
    }
    if (synced)
        cursor_ = region + 1 < nr_regions_ ? region + 1 : 0;
    __atomic_store_n(&barrier_, 0, __ATOMIC_SEQ_CST);
    waitq_.wake_all();
}

}  // namespace bc
