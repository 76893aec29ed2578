// One biochain target instance: the validated table, the layout's sector math and the
// counters. The shim owns the lower devices; this object owns every decision about them.
#pragma once
#include "abi/env.h"
#include "abi/target.h"
#include "engine/bio_set.h"
#include "target/chain.h"
#include "target/mirror.h"
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
    bc::Mirror mirror;  // mirror only: leg state and read rotation
};

namespace bc {

Result<bc_target*> create_target(const bc_table& table, bc_sector_t sectors, const bc_leg_geometry* legs,
                                 const bc_bio_shape& shape, const bc_target_ops& ops, void* ctx);
void destroy_target(bc_target* target);

}  // namespace bc
