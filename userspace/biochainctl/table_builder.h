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

// --log DEV[:OFFSET], a mirror's on-disk region log (the table's `log <dev> <offset>`).
// Split like a leg's DEV[:OFFSET], but OFFSET is a plain count of 512-byte sectors, as the
// table has it, not a SIZE. The refusal starts with "--log".
struct LogArgument {
    std::string device;
    u64 offset_sectors = 0;
};
template <class PathExists>
Expected<LogArgument> parse_log_argument(const std::string& word, PathExists exists);

// What `create` was asked for, in bytes.
struct CreateRequest {
    Layout layout = Layout::linear;
    std::optional<u64> chunk_bytes;  // striped only; kDefaultChunkBytes when absent
    std::optional<u64> size_bytes;   // the whole target; the largest that fits when absent
    std::optional<u64> reserve;
    std::optional<u64> max_child_sectors;
    std::optional<u64> max_child_segments;
    std::optional<u64> fail_alloc_percent;
    std::optional<u64> inline_children;
    std::optional<u64> region_size;  // mirror only, in sectors; the module's default when absent
    bool no_rescuer = false;
    bool nosync = false;             // mirror only
    std::optional<u64> max_recovery_rate;  // mirror only, KiB/s; no limit when absent
    std::optional<LogArgument> log;  // mirror only: the on-disk log; in memory when absent
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

// legs[i] describes request.legs[i]; log describes request.log, and is given exactly when
// it is. The log is written as the legs are, by its major:minor.
Expected<TableLine> build_table(const CreateRequest& request, const std::vector<LegGeometry>& legs,
                                const std::optional<LegGeometry>& log = std::nullopt);

// The options of `create` that set a feature of the table: a number, checked against the
// bounds the module checks it against, or a flag word without a value (no_rescuer). One
// entry per feature of the module (enum bc_feature), in its order, which is also the
// order of the words in the table line; but for `log <dev> <offset>`, which takes a
// device (CreateRequest::log, --log) and is written after region_size, before nosync.
struct FeatureOption {
    const char* option;  // without the "--"
    const char* word;    // in the table line
    std::optional<u64> CreateRequest::*value;  // a number; nullptr for a flag
    bool CreateRequest::*flag;                  // a flag; nullptr for a number
    u64 min = 0;
    u64 max = 0;
    bool power_of_two = false;  // the module refuses any other value
    bool mirror_only = false;   // the module refuses it in a table of another layout
};
inline constexpr FeatureOption kFeatureOptions[] = {
    {"reserve", "reserve", &CreateRequest::reserve, nullptr, BC_RESERVE_MIN, BC_RESERVE_MAX},
    {"max-child-sectors", "max_child_sectors", &CreateRequest::max_child_sectors, nullptr, BC_MAX_CHILD_SECTORS_MIN,
     BC_MAX_CHILD_SECTORS_MAX},
    {"max-child-segments", "max_child_segments", &CreateRequest::max_child_segments, nullptr,
     BC_MAX_CHILD_SEGMENTS_MIN, BC_MAX_CHILD_SEGMENTS_MAX},
    {"no-rescuer", "no_rescuer", nullptr, &CreateRequest::no_rescuer},
    {"fail-alloc", "fail_alloc", &CreateRequest::fail_alloc_percent, nullptr, BC_FAIL_ALLOC_MIN, BC_FAIL_ALLOC_MAX},
    {"inline-children", "inline_children", &CreateRequest::inline_children, nullptr, BC_INLINE_CHILDREN_MIN,
     BC_INLINE_CHILDREN_MAX},
    {"region-size", "region_size", &CreateRequest::region_size, nullptr, BC_REGION_SIZE_MIN, BC_REGION_SIZE_MAX, true,
     true},
    {"nosync", "nosync", nullptr, &CreateRequest::nosync, 0, 0, false, true},
    {"max-recovery-rate", "max_recovery_rate", &CreateRequest::max_recovery_rate, nullptr, BC_MAX_RECOVERY_RATE_MIN,
     BC_MAX_RECOVERY_RATE_MAX, false, true},
};

// The value of a numeric feature's option as the user wrote it: its bounds, and a power
// of two where the module wants one. "--fail-alloc 50%" reads naturally: the sign is
// accepted. The refusal starts with `what` ("create: --region-size").
Expected<u64> parse_feature_value(const FeatureOption& feature, std::string_view text, std::string_view what);

// What can be refused before any device is looked at: options that do not apply to the
// layout (--chunk but striped, a mirror's feature on another layout). build_table checks
// it too.
Expected<bool> check_layout_options(const CreateRequest& request);

// The log is none of the legs, by the path as written (DEV of DEV[:OFFSET]): a log on a
// leg would share the leg's fate (its failure is exactly when the log is needed) and lie
// among the mirror's data. Refused before any device is opened; build_table checks it
// again by major:minor, which also catches two names of one device.
Expected<bool> check_log_not_a_leg(const CreateRequest& request);

// The log's length on its device for a mirror of this many sectors and region size, in
// bytes: core/target/log_format.h's two 4 KiB header blocks, then the dirty bitmap, a
// bit per region in 4 KiB blocks (log_blocks()). The unit tests hold the two equal.
u64 log_bytes(u64 target_sectors, u64 region_sectors);

// A mirror's regions are a bitmap the module allocates in one piece (core/target/
// region_sync.cpp): at most this many regions, whatever the region size.
constexpr u64 kMaxMirrorRegions = BC_MIRROR_MAX_REGIONS;

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

Expected<LogArgument> split_log_argument(const std::string& word);

template <class PathExists>
Expected<LogArgument> parse_log_argument(const std::string& word, PathExists exists) {
    if (word.empty())
        return Error{"--log: empty device argument"};
    if (exists(word))
        return LogArgument{word, 0};
    return split_log_argument(word);
}

}  // namespace ctl
