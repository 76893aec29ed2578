// The biochain table line for `create`: checks a request against the geometry of its
// devices and writes "<layout> <layout args...> [<#features> <feature words...>]" in the
// syntax core/target/table_parser.cpp reads, with the target length that fits the devices.
//
// Everything the kernel would refuse about sizes and alignment is refused here first, in
// the user's units and with the device's name, so a typo costs one line instead of a
// trip to the kernel log. Pure: the geometry comes in, nothing is opened.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "abi/limits.h"
#include "expected.h"
#include "size_units.h"

namespace ctl {

enum class Layout { linear, striped, mirror };

std::optional<Layout> layout_from_name(std::string_view name);
const char* layout_name(Layout layout);

// The table's own bounds are core/abi/limits.h's, read by the module too.
constexpr u64 kDefaultChunkBytes = 64 * 1024;  // when --chunk is not given

// DEV[:OFFSET] as the user wrote it. `exists` answers whether a path exists: a path that
// exists as written is a path even if it contains ':' (/dev/disk/by-path/pci-0000:00:04.0);
// otherwise the text after the last ':' is the offset.
struct LegArgument {
    std::string device;
    u64 offset_bytes = 0;
};
template <class PathExists>
Expected<LegArgument> parse_leg_argument(const std::string& word, PathExists exists);

// What `create` was asked for, in bytes.
struct CreateRequest {
    Layout layout = Layout::linear;
    std::optional<u64> chunk_bytes;  // striped only; kDefaultChunkBytes when absent
    std::optional<u64> size_bytes;   // the whole target; the largest that fits when absent
    std::optional<u64> reserve;
    std::optional<u64> max_child_sectors;
    std::optional<u64> max_child_segments;
    std::optional<u64> fail_alloc_percent;
    bool no_rescuer = false;
    std::vector<LegArgument> legs;
};

// What the kernel will see of each device: its name in the table (major:minor, so that
// the table does not depend on paths) and its size and logical block size.
struct LegGeometry {
    std::string table_name;
    u64 size_bytes = 0;
    unsigned logical_block_size = 512;
};

struct TableLine {
    u64 sectors = 0;     // the target length
    std::string params;  // everything after "biochain"
    std::string dmsetup_line() const;  // "0 <sectors> biochain <params>"
};

// legs[i] describes request.legs[i].
Expected<TableLine> build_table(const CreateRequest& request, const std::vector<LegGeometry>& legs);

// The options of `create` that set a numeric feature of the table, with the bounds the
// module checks it against.
struct FeatureOption {
    const char* option;  // without the "--"
    u64 min;
    u64 max;
    std::optional<u64> CreateRequest::*value;
};
inline constexpr FeatureOption kFeatureOptions[] = {
    {"reserve", BC_RESERVE_MIN, BC_RESERVE_MAX, &CreateRequest::reserve},
    {"max-child-sectors", BC_MAX_CHILD_SECTORS_MIN, BC_MAX_CHILD_SECTORS_MAX, &CreateRequest::max_child_sectors},
    {"max-child-segments", BC_MAX_CHILD_SEGMENTS_MIN, BC_MAX_CHILD_SEGMENTS_MAX, &CreateRequest::max_child_segments},
    {"fail-alloc", BC_FAIL_ALLOC_MIN, BC_FAIL_ALLOC_MAX, &CreateRequest::fail_alloc_percent},
};

// ---- template definition ----

Expected<LegArgument> split_leg_argument(const std::string& word);

template <class PathExists>
Expected<LegArgument> parse_leg_argument(const std::string& word, PathExists exists) {
    if (word.empty())
        return Error{"empty device argument"};
    if (exists(word))
        return LegArgument{word, 0};
    return split_leg_argument(word);
}

}  // namespace ctl
