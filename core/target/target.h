// One biochain target instance: the validated table, the layout's sector math and the
// counters. The shim owns the lower devices; this object owns every decision about them.
#pragma once
#include "abi/env.h"
#include "abi/target.h"
#include "engine/bio_set.h"
#include "target/chain.h"
#include "target/dirty_log.h"
#include "target/mirror.h"
#include "target/region_sync.h"
#include "target/layout.h"
#include "engine/stats.h"
#include "base/result.h"
#include "base/sync.h"
#include "base/types.h"

struct bc_target {
    bc_table table;  // leg paths cleared: they pointed into the constructor's argv
    bc::Layout layout;  // the table's sector math, divisions prepared
    bc_sector_t sectors;
    unsigned block_sectors;  // largest logical block of the legs, in sectors
    bc_target_ops ops;  // how children are issued and parents ended
    void* ctx;          // handed to every op
    bc::Stats* stats;
    bc::BioSet* bio_set;
    // Where bio_set's magazines lie: ops.child_alloc and ops.child_free pop and push there
    // inline (abi/magazine.h), so a child's object on a hit costs no call into core/.
    bc_magazine magazine;
    bc::Chain chain;    // chain_next over bio_set
    // The child objects of each parent's state (bc_target_parent_state_size), laid out
    // as bio_set's: inline_children of them, inline_stride bytes apart from inline_offset
    // bytes past the ParentState. ParentState::inline_free says which are free.
    unsigned inline_children;
    bc::usize inline_offset;
    bc::usize inline_stride;
    bc::Mirror mirror;  // mirror only: leg state and read rotation
    bc::RegionSync regions;  // mirror only: regions in sync, the resync's write gate
    // Mirror with `log <dev> <offset>` only: the dirty regions as the log disk has them
    // (not attached without one). log_seq is the header's last write (the log worker's),
    // log_loaded whether this table has taken its state from the log yet.
    bc::DirtyLog log;
    bc::u64 log_seq;
    bool log_loaded;
    bc::u64 log_failure_gen;  // the pass that writes the last leg failure; atomic
    // The legs' states the log's disk has (the log worker's alone).
    unsigned log_written_failed;
    unsigned log_written_resyncing;
    bool state_carried;  // bc_target_mirror_state_load took a previous table's state
    unsigned long long leg_ids[BC_MAX_LEGS];  // the legs' identities (dev_t), for a reload
    // Mirror state changes that must not interleave: a reinstate (regions out of sync,
    // then the leg resyncing and live) against a resync pass's end (every region in
    // sync: no leg resyncing any more).
    bc::SpinLock state_lock{BC_LOCK_TARGET_STATE};
    bool resync_running BC_GUARDED_BY(state_lock) = false;  // a pass has begun and not ended
};

namespace bc {

Result<bc_target*> create_target(const bc_table& table, bc_sector_t sectors, const bc_leg_geometry* legs,
                                 const bc_bio_shape& shape, const bc_target_ops& ops, void* ctx);
void destroy_target(bc_target* target);

inline bool is_mirror(const bc_target* target) { return target->table.layout == BC_LAYOUT_MIRROR; }

// A mirror leg's state changed: a watcher hears of it (ops.event) when a leg failed or a
// resync ended, and a disk log's header is written again by the log worker's next pass;
// a failure's pass is one every write must see written before it is acknowledged
// (bc_target_log_ack_gen). Returns the pass that writes it (0: no disk log). Any context.
enum class LegChange { failed, resynced, reinstated };
u64 leg_state_changed(bc_target* target, LegChange change);

}  // namespace bc
