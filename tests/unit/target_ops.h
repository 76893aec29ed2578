// What a test gives a target in place of the kernel shim: per-target callbacks
// (bc_target_ops, with this object as ctx) and the shim's map path over the fast path.
#pragma once
#include <cstdlib>
#include <atomic>
#include <functional>

#include "abi/env.h"
#include "abi/fast_path.h"
#include "abi/target.h"
#include "magazine_posix.h"
#include "target/chain.h"

// A parent's per-bio data as the shim gives it to core/: the state and, right after it,
// room for the table's inline child objects (bc_target_parent_state_size says how much).
struct ParentArea {
    bc::ParentState state;
    unsigned char inline_objects[2048];
    static bool fits(const bc_target* target) {
        return bc_target_parent_state_size(target) <= sizeof(ParentArea);
    }
};
static_assert(__builtin_offsetof(ParentArea, inline_objects) == sizeof(bc::ParentState),
              "the inline objects follow the state, as bc_target::inline_offset says");

struct TargetOps {
    // child_submit must eventually call bc_target_child_end for the child.
    std::function<void(void* child, void* parent, unsigned leg, bc_sector_t leg_sector, bc_sector_t offset,
                       unsigned sectors)>
        child_submit;
    std::function<void(void* parent, int error)> parent_end;  // unset: nothing to do
    // A child core/ wants issued again later (the kernel queues it to a worker).
    std::function<void(void* child)> child_retry;
    // unset: every vec is one sector, so no segment limit cuts a child
    std::function<unsigned(void* parent, bc_sector_t offset, unsigned max_sectors, unsigned max_segments)>
        sectors_within_segments;
    // Told of each child object the target takes (nullptr: none at hand) and gives back,
    // after the inline hit path (userspace/magazine_posix.h) served it. unset: nothing.
    std::function<void(void* child)> on_child_alloc;
    std::function<void(void* child)> on_child_free;
    // A mirror's event (a leg failed, a resync completed) and its wish for a resync
    // worker: counted, and told if set.
    std::function<void()> on_event;
    std::function<void()> on_resync;
    // A disk log's pass wanted (the log worker's kick): counted, and told if set.
    std::function<void()> on_log_kick;
    int events = 0;
    int resyncs_wanted = 0;
    std::atomic<int> log_kicks{0};  // a mapper thread kicks while the test reads it

    // The table to hand bc_target_create with a TargetOps* as ctx. A target that never
    // maps may get a null ctx: any call then aborts.
    static const bc_target_ops kTable;
};

// A notification from core/ (an event, a resync wanted, a log kick): counted, then the
// test's hook, if it set one.
template <auto Count, auto Hook>
void notified(void* ctx) {
    auto* ops = static_cast<TargetOps*>(ctx);
    if (!ops)
        return;
    ++(ops->*Count);
    if (ops->*Hook)
        (ops->*Hook)();
}

inline const bc_target_ops TargetOps::kTable = {
    [](void* ctx, void* child, void* parent, unsigned leg, bc_sector_t leg_sector, bc_sector_t offset,
       unsigned sectors) {
        auto* ops = static_cast<TargetOps*>(ctx);
        if (!ops || !ops->child_submit)
            std::abort();  // a test that maps must say where children go
        ops->child_submit(child, parent, leg, leg_sector, offset, sectors);
    },
    [](void* ctx, void* parent, int error) {
        auto* ops = static_cast<TargetOps*>(ctx);
        if (!ops)
            std::abort();
        if (ops->parent_end)
            ops->parent_end(parent, error);
    },
    [](void* ctx, void* child) {
        auto* ops = static_cast<TargetOps*>(ctx);
        if (!ops || !ops->child_retry)
            std::abort();  // a test that fails mirror reads must say where retries go
        ops->child_retry(child);
    },
    [](void* ctx, void* parent, bc_sector_t offset, unsigned max_sectors, unsigned max_segments) -> unsigned {
        auto* ops = static_cast<TargetOps*>(ctx);
        if (!ops)
            std::abort();
        return ops->sectors_within_segments ? ops->sectors_within_segments(parent, offset, max_sectors, max_segments)
                                            : max_sectors;
    },
    // The shim's inline hit path, as module/child_bio.c's.
    [](void* ctx, const bc_magazine* magazine) -> void* {
        auto* ops = static_cast<TargetOps*>(ctx);
        void* child = bc::posix::child_alloc(ctx, magazine);
        if (ops && ops->on_child_alloc)
            ops->on_child_alloc(child);
        return child;
    },
    [](void* ctx, const bc_magazine* magazine, void* child) {
        auto* ops = static_cast<TargetOps*>(ctx);
        if (ops && ops->on_child_free)
            ops->on_child_free(child);
        bc::posix::child_free(ctx, magazine, child);
    },
    notified<&TargetOps::events, &TargetOps::on_event>,
    notified<&TargetOps::resyncs_wanted, &TargetOps::on_resync>,
    notified<&TargetOps::log_kicks, &TargetOps::on_log_kick>,
};

// The kernel shim's map of a read or write, over the POSIX environment: count it at the
// fast path's counters, then remap it in place or say it must be split.
inline bc_remap map_read_write(bc_target* target, bc_io_kind kind, bc_sector_t sector, unsigned sectors) {
    bc_fast_path path;
    bc_target_fast_path(target, &path);
    bc_env_percpu_add(path.percpu, path.bios[kind], 1);
    bc_env_percpu_add(path.percpu, path.sectors[kind], sectors);
    return bc_fast_path_remap(&path, sector, sectors);
}

// The fast path's answer alone (nothing counted), with out-parameters for tests that
// check a few remaps in a row.
inline bool remap(bc_target* target, bc_sector_t sector, unsigned sectors, unsigned* leg,
                  bc_sector_t* leg_sector) {
    bc_fast_path path;
    bc_target_fast_path(target, &path);
    const bc_remap r = bc_fast_path_remap(&path, sector, sectors);
    if (r.remapped) {
        *leg = r.leg;
        *leg_sector = r.leg_sector;
    }
    return r.remapped != 0;
}
