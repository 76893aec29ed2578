// The biochain table line for `create`: checks a request against the geometry of its
// devices and writes "<layout> <layout args...> [<#features> <feature words...>]" in the
// syntax core/table_parser.cpp reads, with the target length that fits the devices.
//
// Everything the kernel would refuse about sizes and alignment is refused here first, in
// the user's units and with the device's name, so a typo costs one line instead of a
// trip to the kernel log. Pure: the geometry comes in, nothing is opened.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expected.h"
#include "size_units.h"

namespace ctl {

enum class Layout { linear, striped, mirror };

std::optional<Layout> layout_from_name(std::string_view name);
const char* layout_name(Layout layout);

constexpr unsigned kMaxLegs = 16;                   // BC_MAX_LEGS
constexpr u64 kDefaultChunkBytes = 64 * 1024;       // when --chunk is not given
constexpr u64 kMinChunkSectors = 8;                 // the table's minimum
constexpr u64 kMaxChunkSectors = u64(1) << 30;      // and maximum (also max_child_sectors)
constexpr u64 kMaxReserve = 4096;
constexpr u64 kMaxChildSegments = 256;

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
