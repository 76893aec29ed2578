// A mirror's resync and the state a reload carries over: which regions to copy, from
// which leg to which, the write gate around each copy (RegionSync), and the legs' states
// from one table of a device to the next.
#include "abi/target.h"
#include "target/layout.h"
#include "target/target.h"

namespace bc {
namespace {

// A pass has found every region in sync: the resyncing legs hold everything now. Under
// state_lock, against a reinstate that puts regions out of sync and a leg resyncing.
void end_pass(bc_target* target) {
    bool ended = false;
    {
        Guard guard(target->state_lock);
        if (target->regions.all_in_sync()) {
            target->mirror.resynced();
            ended = target->resync_running;
            target->resync_running = false;
        }
    }
    if (ended)
        (void)leg_state_changed(target, LegChange::resynced);  // no leg resyncing any more
}

}  // namespace
}  // namespace bc

using namespace bc;

extern "C" int bc_target_resync_wanted(const bc_target* target) {
    return is_mirror(target) && (!target->regions.all_in_sync() || target->mirror.resyncing());
}

extern "C" int bc_target_resync_begin(bc_target* target, bc_resync_job* job) {
    if (!is_mirror(target))
        return 0;
    RegionSync& regions = target->regions;
    u64 region;
    if (!regions.next_out_of_sync(&region)) {
        end_pass(target);
        return 0;
    }
    if (target->mirror.source_leg() >= target->table.nr_legs)
        return -BC_EIO;  // the regions out of sync are on no trusted leg: nothing to copy
    {
        Guard guard(target->state_lock);
        target->resync_running = true;
    }
    regions.raise_barrier(region);
    // The source and the legs once the writes in flight have ended: a write whose own leg
    // failed was acknowledged for the others' sake, and the failed leg holds older data.
    const unsigned source = target->mirror.source_leg();
    if (source >= target->table.nr_legs) {
        regions.lower_barrier(region, false);
        return -BC_EIO;
    }
    *job = bc_resync_job{};
    job->region = region;
    job->sectors = regions.region_length(region);
    job->source = source;
    job->legs = target->mirror.live() & ~(1u << source);
    for (unsigned leg = 0; leg < target->table.nr_legs; ++leg)
        job->leg_sector[leg] = target->layout.first_piece(regions.region_start(region), unsigned(job->sectors), 0, leg)
                                   .leg_sector;
    return 1;
}

extern "C" void bc_target_resync_end(bc_target* target, const bc_resync_job* job, int read_error,
                                     unsigned int failed_legs) {
    bool event = false;
    if (read_error) {
        target->stats->add(job->source, LegCounter::errors, 1);
        bool newly = false;
        target->mirror.fail_leg(job->source, &newly);
        event |= newly;
    }
    for (unsigned leg = 0; leg < target->table.nr_legs; ++leg) {
        if (!(failed_legs >> leg & 1))
            continue;
        target->stats->add(leg, LegCounter::errors, 1);
        bool newly = false;
        target->mirror.fail_leg(leg, &newly);
        event |= newly;
    }
    // A leg that failed holds nothing to keep in sync: the region is in sync on the rest,
    // unless the source failed meanwhile (what was read from it may be older than a
    // write that another leg acknowledged: reads go elsewhere now, so copy again).
    const bool synced = !read_error && !target->mirror.is_failed(job->source);
    if (synced) {
        target->stats->add(Counter::resync_regions, 1);
        target->stats->add(Counter::resync_sectors, job->sectors);
    }
    target->regions.lower_barrier(job->region, synced);
    if (event)
        (void)leg_state_changed(target, LegChange::failed);
}

// max_recovery_rate: bytes take bytes / rate seconds; what of that the copy has not yet
// spent is the pause. In two steps (whole seconds, then the rest) so that no product
// overflows: the rest is below the rate (at most 2^34 bytes/s) times 10^9 (below 2^30).
// None once nothing is left to copy: the pass ends (its event, no leg resyncing) at the
// next resync_begin, not a pause later.
extern "C" unsigned long long bc_target_resync_pause(const bc_target* target, unsigned long long bytes,
                                                     unsigned long long elapsed_ns) {
    const u64 rate = u64(target->table.max_recovery_rate) * 1024;  // bytes/s
    if (!rate || target->regions.all_in_sync())
        return 0;
    constexpr u64 kNsPerSecond = 1000000000;
    const u64 seconds = bytes / rate;
    if (seconds >= kU64Max / kNsPerSecond - 1)
        return kU64Max - elapsed_ns;  // centuries
    const u64 due = seconds * kNsPerSecond + bytes % rate * kNsPerSecond / rate;
    return due > elapsed_ns ? due - elapsed_ns : 0;
}

// ------------------------------------------------------------------ across a reload

namespace {

constexpr u64 kStateMagic = 0x62636d6972726f72ull;  // "bcmirror"

// What a reload carries over, followed by the bitmap (RegionSync::words() of them).
struct MirrorState {
    u64 magic;
    u64 target_sectors;
    u32 region_sectors;
    u32 nr_legs;
    u32 failed;
    u32 resyncing;
    u64 regions;
    // A leg is its device and its offset on it: the same disk at another offset holds
    // other data.
    unsigned long long leg_ids[BC_MAX_LEGS];
    u64 leg_offsets[BC_MAX_LEGS];
};

// The saved leg that is the target's leg, or nr_legs.
unsigned saved_leg(const MirrorState& state, const bc_target* target, unsigned leg) {
    for (unsigned i = 0; i < state.nr_legs; ++i)
        if (state.leg_ids[i] == target->leg_ids[leg] && state.leg_offsets[i] == target->table.legs[leg].offset)
            return i;
    return state.nr_legs;
}

}  // namespace

extern "C" unsigned long bc_target_mirror_state_size(const bc_target* target) {
    if (!is_mirror(target))
        return 0;
    return sizeof(MirrorState) + target->regions.words() * sizeof(u64);
}

extern "C" void bc_target_mirror_state_save(const bc_target* target, void* buffer) {
    auto* state = static_cast<MirrorState*>(buffer);
    *state = MirrorState{};
    state->magic = kStateMagic;
    state->target_sectors = target->sectors;
    state->region_sectors = target->regions.region_sectors();
    state->nr_legs = target->table.nr_legs;
    state->failed = target->mirror.failed();
    state->resyncing = target->mirror.resyncing();
    state->regions = target->regions.nr_regions();
    for (unsigned leg = 0; leg < target->table.nr_legs; ++leg) {
        state->leg_ids[leg] = target->leg_ids[leg];
        state->leg_offsets[leg] = target->table.legs[leg].offset;
    }
    target->regions.save(reinterpret_cast<u64*>(state + 1));
}

extern "C" int bc_target_mirror_state_load(bc_target* target, const void* buffer, unsigned long size) {
    const auto* state = static_cast<const MirrorState*>(buffer);
    if (!is_mirror(target) || size < sizeof(MirrorState) || state->magic != kStateMagic ||
        state->nr_legs > BC_MAX_LEGS)
        return -BC_EINVAL;
    RegionSync& regions = target->regions;
    const bool same_regions = state->target_sectors == target->sectors &&
                              state->region_sectors == regions.region_sectors() &&
                              state->regions == regions.nr_regions() &&
                              size >= sizeof(MirrorState) + regions.words() * sizeof(u64);
    unsigned failed = 0, resyncing = 0;
    bool replaced = false, known = false;
    for (unsigned leg = 0; leg < target->table.nr_legs; ++leg) {
        const unsigned was = saved_leg(*state, target, leg);
        if (was < state->nr_legs) {
            failed |= (state->failed >> was & 1) << leg;
            resyncing |= (state->resyncing >> was & 1) << leg;
            known = true;
        } else {
            resyncing |= 1u << leg;  // a leg the state does not know: it holds nothing yet
            replaced = true;
        }
    }
    if (!known)
        return 0;  // another mirror altogether: its own table's state stands
    // The bitmap is by region, not by leg: it carries over whatever order the legs are in.
    Guard guard(target->state_lock);
    if (same_regions)
        regions.load(reinterpret_cast<const u64*>(state + 1));
    if (!same_regions || replaced)
        regions.mark_all_out_of_sync();
    target->mirror.set_state(failed, resyncing);
    target->state_carried = true;
    return 0;
}
