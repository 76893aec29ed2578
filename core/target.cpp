#include "target.h"

#include "chain.h"
#include "memory.h"
#include "number.h"
#include "table_parser.h"
#include "text_buffer.h"

namespace bc {
namespace {

CreateResult refuse(int error_code, const char* message) { return CreateResult{error_code, message, nullptr}; }

const char* validate_geometry(const bc_table& table, bc_sector_t sectors, const bc_leg_geometry* legs) {
    for (unsigned i = 0; i < table.nr_legs; ++i) {
        const bc_sector_t block_sectors = max(legs[i].logical_block_size >> BC_SECTOR_SHIFT, 1u);
        if (table.max_child_sectors % block_sectors)
            return "max_child_sectors: not a multiple of the logical block size";
        if (table.layout == BC_LAYOUT_STRIPED && table.chunk_sectors % block_sectors)
            return "striped: chunk size is not a multiple of the logical block size";
    }
    if (table.layout == BC_LAYOUT_LINEAR) {
        const bc_leg& leg = table.legs[0];
        if (leg.offset > kU64Max - sectors)
            return "Offset plus target length overflows";
        if (leg.offset + sectors > legs[0].sectors)
            return "Device too small for target";
    }
    return nullptr;
}

// Parsed and validated, but implemented by a later stage of the project: refuse honestly.
const char* unsupported(const bc_table& table) {
    if (table.layout == BC_LAYOUT_STRIPED)
        return "striped: layout not supported yet";
    if (table.layout == BC_LAYOUT_MIRROR)
        return "mirror: layout not supported yet";
    return nullptr;
}

u64 feature_value(const bc_table& table, bc_feature feature) {
    switch (feature) {
    case BC_FEATURE_RESERVE:
        return table.reserve;
    case BC_FEATURE_MAX_CHILD_SECTORS:
        return table.max_child_sectors;
    case BC_FEATURE_MAX_CHILD_SEGMENTS:
        return table.max_child_segments;
    case BC_FEATURE_FAIL_ALLOC:
        return table.fail_alloc_percent;
    case BC_FEATURE_NO_RESCUER:
    case BC_FEATURE_COUNT:
        break;
    }
    return 0;
}

}  // namespace

CreateResult create_target(const bc_table& table, bc_sector_t sectors, const bc_leg_geometry* legs,
                           const bc_bio_shape& shape, void* shim) {
    if (const char* message = validate_geometry(table, sectors, legs))
        return refuse(-BC_EINVAL, message);
    if (const char* message = unsupported(table))
        return refuse(-BC_EOPNOTSUPP, message);

    bc_target* target = make<bc_target>();
    if (!target)
        return refuse(-BC_ENOMEM, "Cannot allocate target context");
    target->table = table;
    for (bc_leg& leg : target->table.legs)
        leg.path = nullptr;
    target->sectors = sectors;
    target->shim = shim;
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
    return CreateResult{0, nullptr, target};
}

void destroy_target(bc_target* target) {
    if (!target)
        return;
    BioSet::destroy(target->bio_set);
    Stats::destroy(target->stats);
    destroy(target);
}

namespace {

// Children of at most max_child_sectors, cut so that each spans at most
// max_child_segments vecs, never below one logical block (a block cannot be split).
unsigned child_sectors(const bc_target* target, void* parent, bc_sector_t offset, unsigned remaining) {
    const bc_table& table = target->table;
    unsigned sectors = table.max_child_sectors ? min(remaining, table.max_child_sectors) : remaining;
    if (table.max_child_segments) {
        sectors = bc_env_sectors_within_segments(parent, offset, sectors, table.max_child_segments);
        sectors -= sectors % target->block_sectors;
        sectors = min(max(sectors, target->block_sectors), remaining);
    }
    return sectors;
}

void end_parent_if_last(bc_target* target, ParentState* parent, int error) {
    if (Chain::end_one(parent, error))
        bc_env_parent_end(target->shim, parent->handle, Chain::error(parent));
}

}  // namespace

}  // namespace bc

using namespace bc;

extern "C" int bc_target_create(const bc_table* table, bc_sector_t target_sectors, const bc_leg_geometry* legs,
                                const bc_bio_shape* shape, void* shim, bc_target** target, const char** error) {
    CreateResult r = create_target(*table, target_sectors, legs, *shape, shim);
    if (r.error_code)
        *error = r.message;
    *target = r.target;
    return r.error_code;
}

extern "C" void bc_target_destroy(bc_target* target) { destroy_target(target); }

extern "C" bc_sector_t bc_target_remap_linear(const bc_target* target, bc_sector_t sector) {
    return target->table.legs[0].offset + sector;
}

extern "C" void bc_target_account_io(bc_target* target, bc_io_kind kind, unsigned int sectors) {
    static constexpr Counter kBios[BC_IO_KIND_COUNT] = {Counter::reads,    Counter::writes,       Counter::flushes,
                                                        Counter::discards, Counter::write_zeroes, Counter::other};
    target->stats->add(kBios[kind], 1);
    if (kind == BC_IO_READ)
        target->stats->add(Counter::read_sectors, sectors);
    else if (kind == BC_IO_WRITE)
        target->stats->add(Counter::write_sectors, sectors);
}

extern "C" void bc_target_account_error(bc_target* target) { target->stats->add(Counter::errors, 1); }

extern "C" unsigned int bc_target_parent_state_size(void) { return sizeof(ParentState); }

extern "C" int bc_target_splits(const bc_target* target, bc_io_kind kind, unsigned int sectors) {
    if (kind != BC_IO_READ && kind != BC_IO_WRITE)
        return 0;  // flush, discard, write-zeroes: passed down whole, the lower queue splits
    const bc_table& table = target->table;
    return sectors && (table.max_child_sectors || table.max_child_segments);
}

extern "C" void bc_target_map(bc_target* target, void* parent_bio, void* parent_state, bc_sector_t sector,
                              unsigned int sectors) {
    auto* parent = static_cast<ParentState*>(parent_state);
    Chain::begin(parent, parent_bio);
    const bc_sector_t leg_start = bc_target_remap_linear(target, sector);
    int error = 0;
    for (bc_sector_t offset = 0; offset < sectors;) {
        const unsigned n = child_sectors(target, parent_bio, offset, unsigned(sectors - offset));
        const BioAllocation child = target->bio_set->alloc(0, true);
        if (!child.bio) {
            // Cannot happen when we may wait; should it ever, fail the rest, do not crash.
            error = -BC_ENOMEM;
            break;
        }
        static_cast<ChildRecord*>(target->bio_set->front(child.bio))->parent = parent;
        Chain::add_child(parent);
        target->stats->add(Counter::children, 1);
        bc_env_child_submit(target->shim, child.bio, parent_bio, 0, leg_start + offset, offset, n);
        offset += n;
    }
    end_parent_if_last(target, parent, error);  // drops the bias
}

extern "C" void bc_target_child_end(bc_target* target, void* child, int error) {
    ParentState* parent = static_cast<ChildRecord*>(target->bio_set->front(child))->parent;
    target->bio_set->free(child, nullptr, 0);
    end_parent_if_last(target, parent, error);
}

extern "C" const void* bc_bio_owner(const void* bio) { return BioSet::owner_of(bio); }

// INFO: "<layout> <#words> <name> <value> ...", counted like table features so that
// later counters can be added without breaking a parser that skips unknown names.
// Besides the counters: the reserve's size, its current fill and low-water mark, and the
// child objects outstanding (allocated and not yet freed; 0 when idle).
extern "C" void bc_target_emit_info(const bc_target* target, char* buf, unsigned int maxlen) {
    const BioSet& set = *target->bio_set;
    Mempool& pool = target->bio_set->bio_pool();
    const u64 allocated = set.count(Counter::alloc_percpu) + set.count(Counter::alloc_backing) +
                          set.count(Counter::alloc_reserve) + set.count(Counter::alloc_waited);
    const u64 frees = set.count(Counter::frees);
    TextBuffer out(buf, maxlen);
    out.word(layout_name(target->table.layout)).word((u64(Counter::count) + 5) * 2);
    for (unsigned i = 0; i < unsigned(Counter::count); ++i)
        out.word(kCounterNames[i]).word(set.count(Counter(i)));
    out.word("outstanding").word(allocated > frees ? allocated - frees : 0);
    out.word("reserve").word(pool.min_nr());
    out.word("reserve_free").word(pool.reserve_count());
    out.word("reserve_low").word(pool.low_water());
    out.word("fail_alloc").word(target->bio_set->faults().percent());
}

// TABLE: the constructor line again, devices by the name DM knows them (major:minor),
// features in the order they were given, so `dmsetup table` output loads back unchanged.
extern "C" void bc_target_emit_table(const bc_target* target, const char* const* leg_names, char* buf,
                                     unsigned int maxlen) {
    const bc_table& table = target->table;
    TextBuffer out(buf, maxlen);
    out.word(layout_name(table.layout));
    if (table.layout != BC_LAYOUT_LINEAR)
        out.word(table.nr_legs);
    if (table.layout == BC_LAYOUT_STRIPED)
        out.word(table.chunk_sectors);
    for (unsigned i = 0; i < table.nr_legs; ++i)
        out.word(leg_names[i]).word(table.legs[i].offset);
    if (table.nr_features == 0)
        return;
    u64 words = 0;
    for (unsigned i = 0; i < table.nr_features; ++i)
        words += table.feature_order[i] == BC_FEATURE_NO_RESCUER ? 1 : 2;
    out.word(words);
    for (unsigned i = 0; i < table.nr_features; ++i) {
        const bc_feature feature = table.feature_order[i];
        out.word(feature_name(feature));
        if (feature != BC_FEATURE_NO_RESCUER)
            out.word(feature_value(table, feature));
    }
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
