#include "target/target.h"

#include "abi/limits.h"
#include "target/chain.h"
#include "target/layout.h"
#include "base/memory.h"

namespace bc {
namespace {

// Everything about the lower devices that makes a table unusable, one message each.
Status validate_geometry(const bc_table& table, bc_sector_t sectors, const bc_leg_geometry* legs) {
    for (unsigned i = 0; i < table.nr_legs; ++i) {
        const bc_sector_t block_sectors = max(legs[i].logical_block_size >> BC_SECTOR_SHIFT, 1u);
        if (table.max_child_sectors % block_sectors)
            return invalid("max_child_sectors: not a multiple of the logical block size");
        if (table.layout == BC_LAYOUT_STRIPED && table.chunk_sectors % block_sectors)
            return invalid("striped: chunk size is not a multiple of the logical block size");
        for (unsigned j = 0; j < i; ++j)
            if (legs[i].id == legs[j].id)
                return invalid("The same device is given twice");
    }
    if (table.layout == BC_LAYOUT_STRIPED && sectors % (bc_sector_t(table.chunk_sectors) * table.nr_legs))
        return invalid("striped: target length is not a multiple of <chunk_sectors> x <#devs>");
    const bc_sector_t per_leg = Layout(table).leg_sectors(sectors);
    for (unsigned i = 0; i < table.nr_legs; ++i) {
        if (table.legs[i].offset > kU64Max - per_leg)
            return invalid("Offset plus target length overflows");
        if (table.legs[i].offset + per_leg > legs[i].sectors)
            return invalid("Device too small for target");
    }
    return {};
}

}  // namespace

Result<bc_target*> create_target(const bc_table& table, bc_sector_t sectors, const bc_leg_geometry* legs,
                                 const bc_bio_shape& shape, const bc_target_ops& ops, void* ctx) {
    BC_TRY(validate_geometry(table, sectors, legs));

    bc_target* target = make<bc_target>();
    if (!target)
        return out_of_memory("Cannot allocate target context");
    target->table = table;
    target->layout = Layout(table);
    for (bc_leg& leg : target->table.legs)
        leg.path = nullptr;
    target->sectors = sectors;
    target->ops = ops;
    target->ctx = ctx;
    target->mirror.init(table.nr_legs);
    target->block_sectors = 1;
    for (unsigned i = 0; i < table.nr_legs; ++i) {
        target->block_sectors = max(target->block_sectors, legs[i].logical_block_size >> BC_SECTOR_SHIFT);
        target->leg_ids[i] = legs[i].id;
    }
    if (is_mirror(target)) {
        // A new mirror resyncs every region from its first leg unless the table says the
        // legs are identical (nosync); a reload's state replaces this
        // (bc_target_mirror_state_load).
        const Status regions = target->regions.init(sectors, table.region_size, table.nosync);
        if (!regions.ok()) {
            destroy_target(target);
            return regions.error();
        }
        // Until the first pass ends only leg 0 holds the data: if it fails, no other leg
        // may stand in for a region never copied (dm-raid1: "Primary mirror failed while
        // out-of-sync").
        if (!table.nosync)
            target->mirror.set_state(0, ((1u << table.nr_legs) - 1) & ~1u);
        // A disk log: every region dirty but for nosync, until bc_target_log_load reads
        // what the log holds.
        if (table.log_path) {
            const Status log = target->log.init(target->regions.nr_regions(), !table.nosync);
            if (!log.ok()) {
                destroy_target(target);
                return log.error();
            }
            target->table.log_path = nullptr;
            target->log_written_failed = ~0u;  // nothing known of the disk until bc_target_log_load
        }
    }

    const Result<Stats*> stats = Stats::create();
    if (!stats.ok()) {
        destroy_target(target);
        return stats.error();
    }
    target->stats = stats.value();
    // Children are clones of their parent's data (no vecs of their own): front_pad holds
    // the child record, the reserve is the table's `reserve`.
    const BioSetConfig config{table.reserve, sizeof(ChildRecord), false, !table.no_rescuer,
                              shape.bio_size, shape.bvec_size, shape.inline_vecs, 0x62696f636861696eull};
    const Result<BioSet*> bio_set = BioSet::create(config, target->stats);
    if (!bio_set.ok()) {
        // One message whatever part of the set failed (a cache, the reserve, the rescuer):
        // what a user of the table can act on is the same, and ti->error keeps its words.
        destroy_target(target);
        return out_of_memory("Cannot allocate the bio set and its reserve");
    }
    target->bio_set = bio_set.value();
    target->bio_set->faults().set_percent(table.fail_alloc_percent);
    target->bio_set->magazine_layout(&target->magazine);
    target->chain.init(target->bio_set, target->stats);
    static_assert(BC_INLINE_CHILDREN_MAX <= 8 * sizeof(ParentState::inline_free), "one bit per inline child");
    target->inline_children = min(table.inline_children, unsigned(BC_INLINE_CHILDREN_MAX));
    target->inline_offset = align_up(sizeof(ParentState), alignof(void*));
    target->inline_stride = align_up(target->bio_set->object_size(), alignof(void*));
    return target;
}

void destroy_target(bc_target* target) {
    if (!target)
        return;
    // A completion that counted down the last parent may still be waking chain's queue
    // (bc_target_child_end runs in a read-side section): wait it out before freeing.
    bc_env_synchronize_rcu();
    BioSet::destroy(target->bio_set);
    Stats::destroy(target->stats);
    destroy(target);
}

}  // namespace bc

using namespace bc;

extern "C" int bc_target_create(const bc_table* table, bc_sector_t target_sectors, const bc_leg_geometry* legs,
                                const bc_bio_shape* shape, const bc_target_ops* ops, void* ctx, bc_target** target,
                                const char** error) {
    // The ops are the target's only way to issue children and end parents: a hole in
    // them is refused here rather than met as a NULL call on the I/O path.
    if (!ops || !ops->child_submit || !ops->parent_end || !ops->child_retry || !ops->sectors_within_segments ||
        !ops->child_alloc || !ops->child_free || (table->log_path && !ops->log_kick)) {
        // event and resync are optional, log_kick too without a disk log
        *target = nullptr;
        return to_abi(Result<bc_target*>(invalid("Incomplete target ops")), error);
    }
    const Result<bc_target*> created = create_target(*table, target_sectors, legs, *shape, *ops, ctx);
    *target = created.ok() ? created.value() : nullptr;
    return to_abi(created, error);
}

extern "C" void bc_target_destroy(bc_target* target) { destroy_target(target); }

extern "C" void bc_target_io_hints(const bc_target* target, unsigned int* io_min, unsigned int* io_opt) {
    // Striped: a chunk is the smallest I/O that does not straddle legs, a full row the
    // one that keeps every leg busy (dm-stripe's hints). In bytes and 64 bits: the largest
    // chunk (2^30 sectors) is 2^39 bytes, and a row of 16 of them 2^43. Hints that do not
    // fit queue_limits' unsigned int are both left to the stacked limits, as dm-stripe
    // leaves them: a wrapped value would be a wrong hint, and io_min alone would describe
    // a row that io_opt does not.
    const bc_table& table = target->table;
    *io_min = 0;
    *io_opt = 0;
    if (table.layout != BC_LAYOUT_STRIPED)
        return;
    const u64 chunk_bytes = u64(table.chunk_sectors) << BC_SECTOR_SHIFT;  // at most 2^39
    const u64 row_bytes = chunk_bytes * table.nr_legs;                    // at most 2^43
    if (row_bytes > kU32Max)  // and so the chunk, if it is the one too large
        return;
    *io_min = unsigned(chunk_bytes);
    *io_opt = unsigned(row_bytes);
}

extern "C" void bc_target_leg_area(const bc_target* target, unsigned int leg, bc_sector_t* start,
                                   bc_sector_t* sectors) {
    *start = target->table.legs[leg].offset;
    *sectors = target->layout.leg_sectors(target->sectors);
}
