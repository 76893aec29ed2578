#include "table_builder.h"

#include <algorithm>

#include <fmt/format.h>

namespace ctl {
namespace {

u64 max_block_size(const std::vector<LegGeometry>& legs) {
    u64 block = kSectorBytes;
    for (const LegGeometry& leg : legs)
        block = std::max<u64>(block, leg.logical_block_size);
    return block;
}

Expected<bool> check_leg_count(Layout layout, std::size_t count) {
    switch (layout) {
    case Layout::linear:
        if (count != 1)
            return Error{fmt::format("linear takes exactly one device, {} given", count)};
        break;
    case Layout::striped:
        if (count < BC_STRIPED_MIN_LEGS || count > BC_MAX_LEGS)
            return Error{
                fmt::format("striped takes {} to {} devices, {} given", BC_STRIPED_MIN_LEGS, BC_MAX_LEGS, count)};
        break;
    case Layout::mirror:
        if (count < BC_MIRROR_MIN_LEGS || count > BC_MAX_LEGS)
            return Error{
                fmt::format("mirror takes {} to {} devices, {} given", BC_MIRROR_MIN_LEGS, BC_MAX_LEGS, count)};
        break;
    }
    return true;
}

// The striped chunk in bytes, checked against the table's limits and every device.
Expected<u64> checked_chunk(const CreateRequest& request, const std::vector<LegGeometry>& legs) {
    const u64 chunk = request.chunk_bytes.value_or(kDefaultChunkBytes);
    const std::string given = exact_bytes(chunk);
    if (chunk % kSectorBytes)
        return Error{fmt::format("--chunk {} is not a whole number of 512-byte sectors", given)};
    if (chunk / kSectorBytes < BC_CHUNK_SECTORS_MIN)
        return Error{fmt::format("--chunk {} is too small (at least {})", given,
                                 exact_bytes(BC_CHUNK_SECTORS_MIN * kSectorBytes))};
    if (chunk / kSectorBytes > BC_CHUNK_SECTORS_MAX)
        return Error{fmt::format("--chunk {} is too large (at most {})", given,
                                 exact_bytes(BC_CHUNK_SECTORS_MAX * kSectorBytes))};
    for (std::size_t i = 0; i < legs.size(); ++i)
        if (chunk % legs[i].logical_block_size)
            return Error{fmt::format("--chunk {} is not a multiple of the logical block size of {} ({} bytes)",
                                     given, request.legs[i].device, legs[i].logical_block_size)};
    return chunk;
}

void append_features(const CreateRequest& request, const std::optional<LegGeometry>& log, std::string* params) {
    // The module's order (kFeatureOptions), so the same request always gives the same line;
    // --log's three words in region_size's wake, given or not, so before nosync.
    std::vector<std::string> words;
    for (const FeatureOption& feature : kFeatureOptions) {
        if (feature.value && request.*feature.value) {
            words.emplace_back(feature.word);
            words.push_back(std::to_string(*(request.*feature.value)));
        } else if (feature.flag && request.*feature.flag) {
            words.emplace_back(feature.word);
        }
        if (feature.value == &CreateRequest::region_size && request.log && log) {
            words.emplace_back("log");
            words.push_back(log->table_name);
            words.push_back(std::to_string(request.log->offset_sectors));
        }
    }
    if (words.empty())
        return;
    *params += fmt::format(" {}", words.size());
    for (const std::string& word : words)
        *params += " " + word;
}

// The module keeps one bit per region in one allocation; a mirror longer than
// kMaxMirrorRegions regions is refused by its constructor. Say which region size fits.
Expected<bool> check_region_count(const CreateRequest& request, u64 sectors) {
    const u64 region = request.region_size.value_or(BC_REGION_SIZE_DEFAULT);
    auto regions = [&](u64 size) { return sectors / size + (sectors % size != 0); };
    if (regions(region) <= kMaxMirrorRegions)
        return true;
    u64 fits = region;
    while (fits <= BC_REGION_SIZE_MAX && regions(fits) > kMaxMirrorRegions)
        fits *= 2;
    const std::string given = request.region_size
                                  ? fmt::format("--region-size {}", region)
                                  : fmt::format("the default region size ({} sectors)", region);
    const std::string advice = fits <= BC_REGION_SIZE_MAX
                                   ? fmt::format("--region-size {} or more fits", fits)
                                   : std::string("no region size fits: give a smaller --size");
    return Error{fmt::format("{} cuts the mirror ({}) into {} regions, more than the module's {}; {}", given,
                             exact_bytes(sectors * kSectorBytes), regions(region), kMaxMirrorRegions, advice)};
}

// The log's place on its device: its offset aligned and inside it, and room after it for
// the whole log of this mirror. In sectors, as the user gave the offset.
Expected<bool> check_log_geometry(const CreateRequest& request, const LegGeometry& log, u64 sectors) {
    const std::string& device = request.log->device;
    const u64 offset = request.log->offset_sectors;
    const u64 device_sectors = log.size_bytes / kSectorBytes;
    if (offset * kSectorBytes % log.logical_block_size)
        return Error{fmt::format("--log {}: offset {} is not a multiple of its logical block size ({} bytes, {} sectors)",
                                 device, offset, log.logical_block_size, log.logical_block_size / kSectorBytes)};
    if (offset >= device_sectors)
        return Error{fmt::format("--log {}: offset {} is not inside the device ({} sectors)", device, offset,
                                 device_sectors)};
    const u64 region = request.region_size.value_or(BC_REGION_SIZE_DEFAULT);
    const u64 needed = log_bytes(sectors, region) / kSectorBytes;
    if (needed > device_sectors - offset)
        return Error{fmt::format("--log {}: the log of this mirror ({} regions) takes {} sectors, the device has {} "
                                 "from offset {}",
                                 device, sectors / region + (sectors % region != 0), needed, device_sectors - offset,
                                 offset)};
    return true;
}

}  // namespace

std::optional<Layout> layout_from_name(std::string_view name) {
    for (Layout layout : {Layout::linear, Layout::striped, Layout::mirror})
        if (name == layout_name(layout))
            return layout;
    return std::nullopt;
}

const char* layout_name(Layout layout) {
    switch (layout) {
    case Layout::linear:
        return "linear";
    case Layout::striped:
        return "striped";
    case Layout::mirror:
        return "mirror";
    }
    return "?";
}

Expected<u64> parse_feature_value(const FeatureOption& feature, std::string_view text, std::string_view what) {
    if (std::string_view(feature.option) == "fail-alloc" && !text.empty() && text.back() == '%')
        text.remove_suffix(1);
    const Expected<u64> value = parse_count(text, feature.min, feature.max, what);
    if (value && feature.power_of_two && (*value & (*value - 1))) {
        u64 below = 1;
        while (below * 2 < *value)
            below *= 2;
        return Error{fmt::format("{}: {} is not a power of two ({} and {} are)", what, text, below, below * 2)};
    }
    return value;
}

Expected<bool> check_layout_options(const CreateRequest& request) {
    if (request.chunk_bytes && request.layout != Layout::striped)
        return Error{"--chunk applies to the striped layout only"};
    if (request.layout != Layout::mirror)
        for (const FeatureOption& feature : kFeatureOptions)
            if (feature.mirror_only &&
                ((feature.value && request.*feature.value) || (feature.flag && request.*feature.flag)))
                return Error{fmt::format("--{} applies to the mirror layout only", feature.option)};
    if (request.log && request.layout != Layout::mirror)
        return Error{"--log applies to the mirror layout only"};
    return true;
}

Expected<bool> check_log_not_a_leg(const CreateRequest& request) {
    if (request.log)
        for (const LegArgument& leg : request.legs)
            if (leg.device == request.log->device)
                return Error{fmt::format("--log {} is also a leg of the mirror: the log needs a device of its own",
                                         request.log->device)};
    return true;
}

u64 log_bytes(u64 target_sectors, u64 region_sectors) {
    constexpr u64 kBlockBytes = 4096;  // log_format.h: kLogBlockBytes
    constexpr u64 kHeaderBlocks = 2;   // kLogHeaderCopies
    const u64 regions = target_sectors / region_sectors + (target_sectors % region_sectors != 0);
    const u64 bitmap_blocks = (regions + kBlockBytes * 8 - 1) / (kBlockBytes * 8);
    return (kHeaderBlocks + bitmap_blocks) * kBlockBytes;
}

Expected<LegArgument> split_leg_argument(const std::string& word) {
    const std::size_t colon = word.rfind(':');
    if (colon == std::string::npos)
        return LegArgument{word, 0};
    const std::string device = word.substr(0, colon);
    if (device.empty())
        return Error{fmt::format("'{}': no device before the ':'", word)};
    const Expected<u64> offset = parse_size(word.substr(colon + 1));
    if (!offset)
        return Error{fmt::format("{}: offset {}", device, offset.error())};
    return LegArgument{device, *offset};
}

Expected<LogArgument> split_log_argument(const std::string& word) {
    const std::size_t colon = word.rfind(':');
    if (colon == std::string::npos)
        return LogArgument{word, 0};
    const std::string device = word.substr(0, colon);
    if (device.empty())
        return Error{fmt::format("--log '{}': no device before the ':'", word)};
    const std::string text = word.substr(colon + 1);
    // In sectors, as the table has it: a size's suffixes would read as bytes here.
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
        return Error{fmt::format("--log {}: offset '{}' is not a number of 512-byte sectors", device, text)};
    // At most what is still a byte count: the checks against the device multiply by 512.
    const Expected<u64> offset = parse_count(text, 0, ~u64(0) / kSectorBytes, fmt::format("--log {}: offset", device));
    if (!offset)
        return Error{offset.error()};
    return LogArgument{device, *offset};
}

std::string TableLine::dmsetup_line() const { return fmt::format("0 {} biochain {}", sectors, params); }

Expected<TableLine> build_table(const CreateRequest& request, const std::vector<LegGeometry>& legs,
                                const std::optional<LegGeometry>& log) {
    if (auto count = check_leg_count(request.layout, request.legs.size()); !count)
        return Error{count.error()};
    if (legs.size() != request.legs.size())
        return Error{"internal: one geometry per device expected"};
    if (auto options = check_layout_options(request); !options)
        return Error{options.error()};
    if (request.log.has_value() != log.has_value())
        return Error{"internal: the log's geometry expected with --log, and only then"};
    if (auto apart = check_log_not_a_leg(request); !apart)
        return Error{apart.error()};
    for (std::size_t i = 0; i < legs.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j)
            if (legs[i].table_name == legs[j].table_name)
                return Error{fmt::format("{} and {} are the same device ({})", request.legs[j].device,
                                         request.legs[i].device, legs[i].table_name)};
        if (log && log->table_name == legs[i].table_name)
            return Error{fmt::format("--log {} and {} are the same device ({}): the log needs a device of its own",
                                     request.log->device, request.legs[i].device, log->table_name)};
    }

    u64 chunk = 0;
    if (request.layout == Layout::striped) {
        Expected<u64> checked = checked_chunk(request, legs);
        if (!checked)
            return Error{checked.error()};
        chunk = *checked;
    }

    // What each device offers after its offset; the target gets the smallest of them.
    u64 per_leg = ~u64(0);
    for (std::size_t i = 0; i < legs.size(); ++i) {
        const LegArgument& leg = request.legs[i];
        const LegGeometry& geometry = legs[i];
        if (leg.offset_bytes % geometry.logical_block_size)
            return Error{fmt::format("{}: offset {} is not a multiple of its logical block size ({} bytes)",
                                     leg.device, exact_bytes(leg.offset_bytes), geometry.logical_block_size)};
        if (leg.offset_bytes >= geometry.size_bytes)
            return Error{fmt::format("{}: offset {} is not inside the device ({})", leg.device,
                                     exact_bytes(leg.offset_bytes), exact_bytes(geometry.size_bytes))};
        if (request.max_child_sectors && (*request.max_child_sectors * kSectorBytes) % geometry.logical_block_size)
            return Error{fmt::format("--max-child-sectors {} is not a multiple of the logical block size of {} ({} bytes)",
                                     *request.max_child_sectors, leg.device, geometry.logical_block_size)};
        // Whole sectors only: a device size is always one, but be exact rather than trusting it.
        const u64 available = (geometry.size_bytes - leg.offset_bytes) / kSectorBytes * kSectorBytes;
        per_leg = std::min(per_leg, available);
    }
    const u64 block = max_block_size(legs);
    per_leg = per_leg / block * block;

    u64 largest = per_leg;
    if (request.layout == Layout::striped) {
        per_leg = per_leg / chunk * chunk;
        if (per_leg == 0)
            return Error{fmt::format("the devices hold less than one chunk ({}) after their offsets", exact_bytes(chunk))};
        largest = per_leg * legs.size();
    }
    if (largest == 0)
        return Error{"the devices hold nothing after their offsets"};

    u64 bytes = largest;
    if (request.size_bytes) {
        bytes = *request.size_bytes;
        const std::string given = exact_bytes(bytes);
        if (bytes == 0)
            return Error{"--size must not be 0"};
        if (bytes % kSectorBytes)
            return Error{fmt::format("--size {} is not a whole number of 512-byte sectors", given)};
        if (bytes % block)
            return Error{fmt::format("--size {} is not a multiple of the logical block size ({} bytes)", given, block)};
        if (request.layout == Layout::striped && bytes % (chunk * legs.size()))
            return Error{fmt::format("--size {} is not a multiple of chunk x devices ({})", given,
                                     exact_bytes(chunk * legs.size()))};
        if (bytes > largest)
            return Error{fmt::format("--size {} is larger than the devices allow ({})", given, exact_bytes(largest))};
    }

    if (request.layout == Layout::mirror)
        if (auto regions = check_region_count(request, bytes / kSectorBytes); !regions)
            return Error{regions.error()};
    if (log)
        if (auto placed = check_log_geometry(request, *log, bytes / kSectorBytes); !placed)
            return Error{placed.error()};

    TableLine table;
    table.sectors = bytes / kSectorBytes;
    table.params = layout_name(request.layout);
    if (request.layout != Layout::linear)
        table.params += fmt::format(" {}", legs.size());
    if (request.layout == Layout::striped)
        table.params += fmt::format(" {}", chunk / kSectorBytes);
    for (std::size_t i = 0; i < legs.size(); ++i)
        table.params += fmt::format(" {} {}", legs[i].table_name, request.legs[i].offset_bytes / kSectorBytes);
    append_features(request, log, &table.params);
    return table;
}

}  // namespace ctl
