#include "target/target.h"

#include "target/chain.h"
#include "target/layout.h"
#include "base/memory.h"
#include "base/number.h"
#include "target/table_parser.h"

namespace bc {
namespace {

CreateResult refuse(int error_code, const char* message) { return CreateResult{error_code, message, nullptr}; }

// Everything about the lower devices that makes a table unusable, one message each.
const char* validate_geometry(const bc_table& table, bc_sector_t sectors, const bc_leg_geometry* legs) {
    for (unsigned i = 0; i < table.nr_legs; ++i) {
        const bc_sector_t block_sectors = max(legs[i].logical_block_size >> BC_SECTOR_SHIFT, 1u);
        if (table.max_child_sectors % block_sectors)
            return "max_child_sectors: not a multiple of the logical block size";
        if (table.layout == BC_LAYOUT_STRIPED && table.chunk_sectors % block_sectors)
            return "striped: chunk size is not a multiple of the logical block size";
        for (unsigned j = 0; j < i; ++j)
            if (legs[i].id == legs[j].id)
                return "The same device is given twice";
    }
    if (table.layout == BC_LAYOUT_STRIPED && sectors % (bc_sector_t(table.chunk_sectors) * table.nr_legs))
        return "striped: target length is not a multiple of <chunk_sectors> x <#devs>";
    const bc_sector_t per_leg = Layout(table).leg_sectors(sectors);
    for (unsigned i = 0; i < table.nr_legs; ++i) {
        if (table.legs[i].offset > kU64Max - per_leg)
            return "Offset plus target length overflows";
        if (table.legs[i].offset + per_leg > legs[i].sectors)
            return "Device too small for target";
    }
    return nullptr;
}

}  // namespace

CreateResult create_target(const bc_table& table, bc_sector_t sectors, const bc_leg_geometry* legs,
                           const bc_bio_shape& shape, const bc_target_ops& ops, void* ctx) {
    if (const char* message = validate_geometry(table, sectors, legs))
        return refuse(-BC_EINVAL, message);

    bc_target* target = make<bc_target>();
    if (!target)
        return refuse(-BC_ENOMEM, "Cannot allocate target context");
    target->table = table;
    target->layout = Layout(table);
    target->remaps_in_place =
        table.layout != BC_LAYOUT_MIRROR && !table.max_child_sectors && !table.max_child_segments;
    for (bc_leg& leg : target->table.legs)
        leg.path = nullptr;
    target->sectors = sectors;
    target->ops = ops;
    target->ctx = ctx;
    target->mirror.init(table.nr_legs);
    target->block_sectors = 1;
    for (unsigned i = 0; i < table.nr_legs; ++i)
        target->block_sectors = max(target->block_sectors, legs[i].logical_block_size >> BC_SECTOR_SHIFT);

    target->stats = Stats::create();
    if (!target->stats) {
        destroy_target(target);
        return refuse(-BC_ENOMEM, "Cannot allocate counters");
    }
    // Children are clones of their parent's data (no vecs of their own): front_pad holds
    // the child record, the reserve is the table's `reserve`.
    const BioSetConfig config{table.reserve, sizeof(ChildRecord), false, !table.no_rescuer,
                              shape.bio_size, shape.bvec_size, shape.inline_vecs, 0x62696f636861696eull};
    target->bio_set = BioSet::create(config, target->stats);
    if (!target->bio_set) {
        destroy_target(target);
        return refuse(-BC_ENOMEM, "Cannot allocate the bio set and its reserve");
    }
    target->bio_set->faults().set_percent(table.fail_alloc_percent);
    target->chain.init(target->bio_set, target->stats);
    return CreateResult{0, nullptr, target};
}

void destroy_target(bc_target* target) {
    if (!target)
        return;
    BioSet::destroy(target->bio_set);
    Stats::destroy(target->stats);
    destroy(target);
}

}  // namespace bc

using namespace bc;

extern "C" int bc_target_create(const bc_table* table, bc_sector_t target_sectors, const bc_leg_geometry* legs,
                                const bc_bio_shape* shape, const bc_target_ops* ops, void* ctx, bc_target** target,
                                const char** error) {
    CreateResult r = create_target(*table, target_sectors, legs, *shape, *ops, ctx);
    if (r.error_code)
        *error = r.message;
    *target = r.target;
    return r.error_code;
}

extern "C" void bc_target_destroy(bc_target* target) { destroy_target(target); }

extern "C" void bc_target_io_hints(const bc_target* target, unsigned int* io_min, unsigned int* io_opt) {
    // Striped: a chunk is the smallest I/O that does not straddle legs, a full row the
    // one that keeps every leg busy (dm-stripe's hints).
    const bc_table& table = target->table;
    const bool striped = table.layout == BC_LAYOUT_STRIPED;
    *io_min = striped ? table.chunk_sectors : 0;
    *io_opt = striped ? table.chunk_sectors * table.nr_legs : 0;
}

extern "C" void bc_target_leg_area(const bc_target* target, unsigned int leg, bc_sector_t* start,
                                   bc_sector_t* sectors) {
    *start = target->table.legs[leg].offset;
    *sectors = target->layout.leg_sectors(target->sectors);
}

extern "C" int bc_target_message(bc_target* target, unsigned int argc, char** argv, const char** error) {
    if (argc == 2 && str_equal(argv[0], "stats") && str_equal(argv[1], "reset")) {
        target->stats->reset();
        target->bio_set->reset_counts();
        target->bio_set->bio_pool().reset_low_water();
        return 0;
    }
    u64 value = 0;
    if (argc == 2 && str_equal(argv[0], "fail_alloc")) {
        if (parse_u64(argv[1], &value) != NumberError::none || value > 100) {
            *error = "fail_alloc: must be a number from 0 to 100";
            return -BC_EINVAL;
        }
        target->bio_set->faults().set_percent(unsigned(value));
        return 0;
    }
    if (argc == 2 && str_equal(argv[0], "reserve")) {
        if (parse_u64(argv[1], &value) != NumberError::none || value < 1 || value > kMaxReserve) {
            *error = "reserve: must be a number from 1 to 4096";
            return -BC_EINVAL;
        }
        if (target->bio_set->resize_reserve(unsigned(value)) != 0) {
            *error = "reserve: cannot allocate the larger reserve";
            return -BC_ENOMEM;
        }
        return 0;
    }
    *error = "Unknown message";
    return -BC_EINVAL;
}
