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

void append_features(const CreateRequest& request, std::string* params) {
    // One fixed order, so the same request always gives the same table line.
    std::vector<std::string> words;
    auto add = [&](const char* name, const std::optional<u64>& value) {
        if (value) {
            words.emplace_back(name);
            words.push_back(std::to_string(*value));
        }
    };
    add("reserve", request.reserve);
    add("max_child_sectors", request.max_child_sectors);
    add("max_child_segments", request.max_child_segments);
    if (request.no_rescuer)
        words.emplace_back("no_rescuer");
    add("fail_alloc", request.fail_alloc_percent);
    if (words.empty())
        return;
    *params += fmt::format(" {}", words.size());
    for (const std::string& word : words)
        *params += " " + word;
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

std::string TableLine::dmsetup_line() const { return fmt::format("0 {} biochain {}", sectors, params); }

Expected<TableLine> build_table(const CreateRequest& request, const std::vector<LegGeometry>& legs) {
    if (auto count = check_leg_count(request.layout, request.legs.size()); !count)
        return Error{count.error()};
    if (legs.size() != request.legs.size())
        return Error{"internal: one geometry per device expected"};
    if (request.chunk_bytes && request.layout != Layout::striped)
        return Error{"--chunk applies to the striped layout only"};
    for (std::size_t i = 0; i < legs.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (legs[i].table_name == legs[j].table_name)
                return Error{fmt::format("{} and {} are the same device ({})", request.legs[j].device,
                                         request.legs[i].device, legs[i].table_name)};

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

    TableLine table;
    table.sectors = bytes / kSectorBytes;
    table.params = layout_name(request.layout);
    if (request.layout != Layout::linear)
        table.params += fmt::format(" {}", legs.size());
    if (request.layout == Layout::striped)
        table.params += fmt::format(" {}", chunk / kSectorBytes);
    for (std::size_t i = 0; i < legs.size(); ++i)
        table.params += fmt::format(" {} {}", legs[i].table_name, request.legs[i].offset_bytes / kSectorBytes);
    append_features(request, &table.params);
    return table;
}

}  // namespace ctl
