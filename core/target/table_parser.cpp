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
    unsigned bc_table::*field;
    const char* too_small;
    NumberMessages messages;
};

constexpr FeatureSpec kFeatures[] = {
    {"reserve", BC_FEATURE_RESERVE, true, BC_RESERVE_MIN, BC_RESERVE_MAX, &bc_table::reserve,
     "reserve: must be at least " BC_STRINGIFY(BC_RESERVE_MIN),
     {"reserve: missing value", "reserve: not a number", "reserve: negative",
      "reserve: too large (at most " BC_STRINGIFY(BC_RESERVE_MAX) ")"}},
    {"max_child_sectors", BC_FEATURE_MAX_CHILD_SECTORS, true, BC_MAX_CHILD_SECTORS_MIN, BC_MAX_CHILD_SECTORS_MAX,
     &bc_table::max_child_sectors, "max_child_sectors: must be at least " BC_STRINGIFY(BC_MAX_CHILD_SECTORS_MIN),
     {"max_child_sectors: missing value", "max_child_sectors: not a number", "max_child_sectors: negative",
      "max_child_sectors: too large (at most " BC_STRINGIFY(BC_MAX_CHILD_SECTORS_MAX) ")"}},
    {"max_child_segments", BC_FEATURE_MAX_CHILD_SEGMENTS, true, BC_MAX_CHILD_SEGMENTS_MIN, BC_MAX_CHILD_SEGMENTS_MAX,
     &bc_table::max_child_segments, "max_child_segments: must be at least " BC_STRINGIFY(BC_MAX_CHILD_SEGMENTS_MIN),
     {"max_child_segments: missing value", "max_child_segments: not a number", "max_child_segments: negative",
      "max_child_segments: too large (at most " BC_STRINGIFY(BC_MAX_CHILD_SEGMENTS_MAX) ")"}},
    {"no_rescuer", BC_FEATURE_NO_RESCUER, false, 0, 0, nullptr, nullptr, {}},
    {"fail_alloc", BC_FEATURE_FAIL_ALLOC, true, BC_FAIL_ALLOC_MIN, BC_FAIL_ALLOC_MAX, &bc_table::fail_alloc_percent,
     "fail_alloc: must be at least " BC_STRINGIFY(BC_FAIL_ALLOC_MIN),
     {"fail_alloc: missing value", "fail_alloc: not a number", "fail_alloc: negative",
      "fail_alloc: must be at most " BC_STRINGIFY(BC_FAIL_ALLOC_MAX)}},
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
            table->no_rescuer = 1;
            continue;
        }
        const u64 value = BC_TRY(parse_u64(words.next(), spec->max, spec->messages));
        if (value < spec->min)
            return invalid(spec->too_small);
        table->*(spec->field) = unsigned(value);
    }
    return {};
}

}  // namespace

Status parse_table(unsigned argc, char** argv, bc_table* table) {
    *table = bc_table{};
    table->reserve = BC_RESERVE_DEFAULT;
    Words words(argc, argv);
    BC_TRY(parse_layout(words, table));
    return parse_features(words, table);
}

const char* feature_name(bc_feature feature) {
    for (const FeatureSpec& spec : kFeatures)
        if (spec.id == feature)
            return spec.name;
    return "?";
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
