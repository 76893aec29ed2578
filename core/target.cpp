#include "target.h"

#include "memory.h"
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
    for (unsigned i = 0; i < table.nr_features; ++i) {
        switch (table.feature_order[i]) {
        case BC_FEATURE_RESERVE:
            return "reserve: not supported yet";
        case BC_FEATURE_MAX_CHILD_SECTORS:
            return "max_child_sectors: not supported yet";
        case BC_FEATURE_MAX_CHILD_SEGMENTS:
            return "max_child_segments: not supported yet";
        case BC_FEATURE_NO_RESCUER:
            return "no_rescuer: not supported yet";
        case BC_FEATURE_FAIL_ALLOC:
            return "fail_alloc: not supported yet";
        case BC_FEATURE_COUNT:
            break;
        }
    }
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

CreateResult create_target(const bc_table& table, bc_sector_t sectors, const bc_leg_geometry* legs) {
    if (const char* message = validate_geometry(table, sectors, legs))
        return refuse(-BC_EINVAL, message);
    if (const char* message = unsupported(table))
        return refuse(-BC_EOPNOTSUPP, message);

    Stats* stats = Stats::create();
    if (!stats)
        return refuse(-BC_ENOMEM, "Cannot allocate counters");
    bc_target* target = make<bc_target>();
    if (!target) {
        Stats::destroy(stats);
        return refuse(-BC_ENOMEM, "Cannot allocate target context");
    }
    target->table = table;
    for (bc_leg& leg : target->table.legs)
        leg.path = nullptr;
    target->sectors = sectors;
    target->stats = stats;
    return CreateResult{0, nullptr, target};
}

void destroy_target(bc_target* target) {
    if (!target)
        return;
    Stats::destroy(target->stats);
    destroy(target);
}

}  // namespace bc

using namespace bc;

extern "C" int bc_target_create(const bc_table* table, bc_sector_t target_sectors, const bc_leg_geometry* legs,
                                bc_target** target, const char** error) {
    CreateResult r = create_target(*table, target_sectors, legs);
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

// INFO: "<layout> <#counters> <name> <value> ...", counted like table features so that
// later counters can be added without breaking a parser that skips unknown names.
extern "C" void bc_target_emit_info(const bc_target* target, char* buf, unsigned int maxlen) {
    TextBuffer out(buf, maxlen);
    out.word(layout_name(target->table.layout)).word(u64(Counter::count) * 2);
    for (unsigned i = 0; i < unsigned(Counter::count); ++i)
        out.word(kCounterNames[i]).word(target->stats->read(Counter(i)));
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
        return 0;
    }
    *error = "Unknown message";
    return -BC_EINVAL;
}
