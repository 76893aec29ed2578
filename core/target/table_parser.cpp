#include "target/table_parser.h"

#include "abi/limits.h"
#include "base/number.h"

namespace bc {
namespace {

// Walks argv front to back; next() returns nullptr past the end.
class Words {
public:
    Words(unsigned argc, char** argv) : argc_(argc), argv_(argv) {}
    const char* next() { return pos_ < argc_ ? argv_[pos_++] : nullptr; }
    unsigned remaining() const { return argc_ - pos_; }

private:
    unsigned argc_;
    char** argv_;
    unsigned pos_ = 0;
};

struct FeatureSpec {
    const char* name;
    bc_feature id;
    bool takes_value;
    u64 min;
    u64 max;
    unsigned bc_table::*field;  // takes_value; else flag
    int bc_table::*flag;
    const char* too_small;
    NumberMessages messages;
};

constexpr FeatureSpec kFeatures[] = {
    {"reserve", BC_FEATURE_RESERVE, true, BC_RESERVE_MIN, BC_RESERVE_MAX, &bc_table::reserve, nullptr,
     "reserve: must be at least " BC_STRINGIFY(BC_RESERVE_MIN),
     {"reserve: missing value", "reserve: not a number", "reserve: negative",
      "reserve: too large (at most " BC_STRINGIFY(BC_RESERVE_MAX) ")"}},
    {"max_child_sectors", BC_FEATURE_MAX_CHILD_SECTORS, true, BC_MAX_CHILD_SECTORS_MIN, BC_MAX_CHILD_SECTORS_MAX,
     &bc_table::max_child_sectors, nullptr, "max_child_sectors: must be at least " BC_STRINGIFY(BC_MAX_CHILD_SECTORS_MIN),
     {"max_child_sectors: missing value", "max_child_sectors: not a number", "max_child_sectors: negative",
      "max_child_sectors: too large (at most " BC_STRINGIFY(BC_MAX_CHILD_SECTORS_MAX) ")"}},
    {"max_child_segments", BC_FEATURE_MAX_CHILD_SEGMENTS, true, BC_MAX_CHILD_SEGMENTS_MIN, BC_MAX_CHILD_SEGMENTS_MAX,
     &bc_table::max_child_segments, nullptr, "max_child_segments: must be at least " BC_STRINGIFY(BC_MAX_CHILD_SEGMENTS_MIN),
     {"max_child_segments: missing value", "max_child_segments: not a number", "max_child_segments: negative",
      "max_child_segments: too large (at most " BC_STRINGIFY(BC_MAX_CHILD_SEGMENTS_MAX) ")"}},
    {"no_rescuer", BC_FEATURE_NO_RESCUER, false, 0, 0, nullptr, &bc_table::no_rescuer, nullptr, {}},
    {"fail_alloc", BC_FEATURE_FAIL_ALLOC, true, BC_FAIL_ALLOC_MIN, BC_FAIL_ALLOC_MAX, &bc_table::fail_alloc_percent, nullptr,
     "fail_alloc: must be at least " BC_STRINGIFY(BC_FAIL_ALLOC_MIN),
     {"fail_alloc: missing value", "fail_alloc: not a number", "fail_alloc: negative",
      "fail_alloc: must be at most " BC_STRINGIFY(BC_FAIL_ALLOC_MAX)}},
    {"inline_children", BC_FEATURE_INLINE_CHILDREN, true, BC_INLINE_CHILDREN_MIN, BC_INLINE_CHILDREN_MAX,
     &bc_table::inline_children, nullptr, "inline_children: must be at least " BC_STRINGIFY(BC_INLINE_CHILDREN_MIN),
     {"inline_children: missing value", "inline_children: not a number", "inline_children: negative",
      "inline_children: must be at most " BC_STRINGIFY(BC_INLINE_CHILDREN_MAX)}},
    {"region_size", BC_FEATURE_REGION_SIZE, true, BC_REGION_SIZE_MIN, BC_REGION_SIZE_MAX, &bc_table::region_size,
     nullptr, "region_size: must be at least " BC_STRINGIFY(BC_REGION_SIZE_MIN),
     {"region_size: missing value", "region_size: not a number", "region_size: negative",
      "region_size: must be at most " BC_STRINGIFY(BC_REGION_SIZE_MAX)}},
    {"nosync", BC_FEATURE_NOSYNC, false, 0, 0, nullptr, &bc_table::nosync, nullptr, {}},
    // Two values, a device and an offset: parse_log.
    {"log", BC_FEATURE_LOG, true, 0, 0, nullptr, nullptr, nullptr, {}},
    {"max_recovery_rate", BC_FEATURE_MAX_RECOVERY_RATE, true, BC_MAX_RECOVERY_RATE_MIN, BC_MAX_RECOVERY_RATE_MAX,
     &bc_table::max_recovery_rate, nullptr, "max_recovery_rate: must be at least " BC_STRINGIFY(BC_MAX_RECOVERY_RATE_MIN),
     {"max_recovery_rate: missing value", "max_recovery_rate: not a number", "max_recovery_rate: negative",
      "max_recovery_rate: must be at most " BC_STRINGIFY(BC_MAX_RECOVERY_RATE_MAX)}},
};

const FeatureSpec* find_feature(const char* name) {
    for (const FeatureSpec& spec : kFeatures)
        if (str_equal(spec.name, name))
            return &spec;
    return nullptr;
}

constexpr NumberMessages kOffsetMessages = {"Missing offset", "Invalid offset: not a number",
                                            "Invalid offset: negative", "Invalid offset: too large"};

// <dev> <offset> pairs, count of them known.
Status parse_legs(Words& words, bc_table* table, const char* not_enough) {
    if (words.remaining() < 2 * table->nr_legs)
        return invalid(not_enough);
    for (unsigned i = 0; i < table->nr_legs; ++i) {
        bc_leg& leg = table->legs[i];
        leg.path = words.next();
        // Offsets are sectors; keep them below 2^55 so offset << 9 is still a byte count.
        leg.offset = BC_TRY(parse_u64(words.next(), kU64Max >> BC_SECTOR_SHIFT, kOffsetMessages));
    }
    for (unsigned i = 0; i < table->nr_legs; ++i)
        for (unsigned j = 0; j < i; ++j)
            if (str_equal(table->legs[i].path, table->legs[j].path))
                return invalid("The same device is given twice");
    return {};
}

Status parse_device_count(Words& words, unsigned min, bc_table* table, const NumberMessages& messages,
                          const char* too_few) {
    const u64 count = BC_TRY(parse_u64(words.next(), BC_MAX_LEGS, messages));
    if (count < min)
        return invalid(too_few);
    table->nr_legs = unsigned(count);
    return {};
}

Status parse_layout(Words& words, bc_table* table) {
    const char* name = words.next();
    if (!name)
        return invalid("Missing layout");
    if (str_equal(name, "linear")) {
        table->layout = BC_LAYOUT_LINEAR;
        table->nr_legs = 1;
        if (words.remaining() == 0)
            return invalid("linear: missing <dev> <offset>");
        return parse_legs(words, table, "linear: missing <offset>");
    }
    if (str_equal(name, "striped")) {
        table->layout = BC_LAYOUT_STRIPED;
        BC_TRY(parse_device_count(words, BC_STRIPED_MIN_LEGS, table,
                                  {"striped: missing <#devs>", "striped: <#devs> is not a number",
                                   "striped: <#devs> is negative",
                                   "striped: too many devices (at most " BC_STRINGIFY(BC_MAX_LEGS) ")"},
                                  "striped: needs at least " BC_STRINGIFY(BC_STRIPED_MIN_LEGS) " device"));
        const u64 chunk = BC_TRY(parse_u64(words.next(), BC_CHUNK_SECTORS_MAX,
                                           {"striped: missing <chunk_sectors>", "striped: chunk size is not a number",
                                            "striped: chunk size is negative", "striped: chunk size too large"}));
        if (chunk < BC_CHUNK_SECTORS_MIN)
            return invalid("striped: chunk size must be at least " BC_STRINGIFY(BC_CHUNK_SECTORS_MIN) " sectors");
        table->chunk_sectors = unsigned(chunk);
        return parse_legs(words, table, "striped: fewer <dev> <offset> pairs than <#devs>");
    }
    if (str_equal(name, "mirror")) {
        table->layout = BC_LAYOUT_MIRROR;
        BC_TRY(parse_device_count(words, BC_MIRROR_MIN_LEGS, table,
                                  {"mirror: missing <#devs>", "mirror: <#devs> is not a number",
                                   "mirror: <#devs> is negative",
                                   "mirror: too many devices (at most " BC_STRINGIFY(BC_MAX_LEGS) ")"},
                                  "mirror: needs at least " BC_STRINGIFY(BC_MIRROR_MIN_LEGS) " devices"));
        return parse_legs(words, table, "mirror: fewer <dev> <offset> pairs than <#devs>");
    }
    return invalid("Unknown layout");
}

// `log <dev> <offset>`: the device is opened by the shim, which says what is wrong with it.
Status parse_log(Words& words, bc_table* table) {
    const char* path = words.next();
    if (!path)
        return invalid("log: missing device");
    table->log_path = path;
    table->log_offset = BC_TRY(parse_u64(words.next(), kU64Max,
                                         {"log: missing offset", "log: offset not a number", "log: offset negative",
                                          "log: offset too large"}));
    return {};
}

Status parse_features(Words& words, bc_table* table) {
    if (words.remaining() == 0)
        return {};
    const u64 count = BC_TRY(parse_u64(words.next(), kU64Max,
                                       {"Missing feature count", "Invalid feature count: not a number",
                                        "Invalid feature count: negative", "Invalid feature count: too large"}));
    if (count > words.remaining())
        return invalid("Feature count exceeds the words given");
    if (count < words.remaining())
        return invalid("Too many arguments");

    bool seen[BC_FEATURE_COUNT] = {};
    while (words.remaining()) {
        const FeatureSpec* spec = find_feature(words.next());
        if (!spec)
            return invalid("Unknown feature");
        if (seen[spec->id])
            return invalid("Duplicate feature");
        seen[spec->id] = true;
        table->feature_order[table->nr_features++] = spec->id;
        if (!spec->takes_value) {
            table->*(spec->flag) = 1;
            continue;
        }
        if (spec->id == BC_FEATURE_LOG) {
            BC_TRY(parse_log(words, table));
            continue;
        }
        const u64 value = BC_TRY(parse_u64(words.next(), spec->max, spec->messages));
        if (value < spec->min)
            return invalid(spec->too_small);
        table->*(spec->field) = unsigned(value);
    }
    return {};
}

// A mirror's features, on a mirror only: elsewhere there is nothing to resync, and a
// word that changes nothing is a mistake in the table.
Status check_mirror_features(const bc_table& table) {
    if (table.layout != BC_LAYOUT_MIRROR) {
        if (table.region_size)
            return invalid("region_size: for a mirror only");
        if (table.nosync)
            return invalid("nosync: for a mirror only");
        if (table.log_path)
            return invalid("log: for a mirror only");
        if (table.max_recovery_rate)
            return invalid("max_recovery_rate: for a mirror only");
        return {};
    }
    if (table.region_size & (table.region_size - 1))
        return invalid("region_size: not a power of two");
    return {};
}

}  // namespace

Status parse_table(unsigned argc, char** argv, bc_table* table) {
    *table = bc_table{};
    table->reserve = BC_RESERVE_DEFAULT;
    Words words(argc, argv);
    BC_TRY(parse_layout(words, table));
    BC_TRY(parse_features(words, table));
    BC_TRY(check_mirror_features(*table));
    if (!table->region_size)
        table->region_size = BC_REGION_SIZE_DEFAULT;
    bool given = false;
    for (unsigned i = 0; i < table->nr_features; ++i)
        given |= table->feature_order[i] == BC_FEATURE_INLINE_CHILDREN;
    if (!given)
        table->inline_children = default_inline_children(*table);
    return {};
}

unsigned default_inline_children(const bc_table& table) {
    // One leg without a child limit: every piece continues the clone's (a single-leg
    // stripe's chunks are contiguous on its leg), so no child is ever made.
    if (table.nr_legs == 1 && !table.max_child_sectors && !table.max_child_segments)
        return 0;
    return min(max(table.nr_legs, 2u) - 1, unsigned(BC_INLINE_CHILDREN_MAX));
}

const char* feature_name(bc_feature feature) {
    for (const FeatureSpec& spec : kFeatures)
        if (spec.id == feature)
            return spec.name;
    return "?";
}

unsigned feature_values(bc_feature feature) {
    if (feature == BC_FEATURE_LOG)
        return 2;
    for (const FeatureSpec& spec : kFeatures)
        if (spec.id == feature)
            return spec.takes_value ? 1 : 0;
    return 0;
}

const char* layout_name(bc_layout layout) {
    switch (layout) {
    case BC_LAYOUT_LINEAR:
        return "linear";
    case BC_LAYOUT_STRIPED:
        return "striped";
    case BC_LAYOUT_MIRROR:
        return "mirror";
    }
    return "?";
}

}  // namespace bc

extern "C" int bc_table_parse(unsigned int argc, char** argv, bc_table* table, const char** error) {
    return bc::to_abi(bc::parse_table(argc, argv, table), error);
}
