// `create`: the options become a CreateRequest, each DEV is probed, table_builder checks
// the request against the devices and writes the line, libdevmapper loads it. Every check
// that can be made here is made here, so the kernel is asked only about what it alone knows.
#include <fmt/format.h>

#include "args.h"
#include "block_device.h"
#include "cli_error.h"
#include "commands.h"
#include "device_mapper.h"
#include "table_builder.h"

namespace ctl {
namespace {

u64 size_option(const Args& args, const char* option) {
    const Expected<u64> size = parse_size(*args.value(option));
    if (!size)
        throw UsageError(fmt::format("create: --{}: {}", option, size.error()));
    return *size;
}

std::optional<u64> feature_option(const Args& args, const FeatureOption& feature) {
    const std::optional<std::string> text = args.value(feature.option);
    if (!text)
        return std::nullopt;
    const Expected<u64> value = parse_feature_value(feature, *text, fmt::format("create: --{}", feature.option));
    if (!value)
        throw UsageError(value.error());
    return *value;
}

CreateRequest request_from(const Args& args) {
    CreateRequest request;
    const std::optional<std::string> layout_text = args.value("layout");
    if (!layout_text)
        throw UsageError("create: missing --layout linear|striped|mirror");
    const std::optional<Layout> layout = layout_from_name(*layout_text);
    if (!layout)
        throw UsageError(fmt::format("create: unknown layout '{}' (linear, striped or mirror)", *layout_text));
    request.layout = *layout;
    if (args.has("chunk"))
        request.chunk_bytes = size_option(args, "chunk");
    if (args.has("size"))
        request.size_bytes = size_option(args, "size");
    for (const FeatureOption& feature : kFeatureOptions) {
        if (feature.value)
            request.*feature.value = feature_option(args, feature);
        else
            request.*feature.flag = args.has(feature.option);
    }
    if (const std::optional<std::string> log = args.value("log")) {
        const Expected<LogArgument> parsed = parse_log_argument(*log, path_exists);
        if (!parsed)
            throw UsageError("create: " + parsed.error());
        request.log = *parsed;
    }
    // Before the devices are probed: an option of another layout (--chunk on a mirror,
    // --nosync on striped) is wrong whatever the devices are.
    if (const Expected<bool> options = check_layout_options(request); !options)
        throw UsageError("create: " + options.error());
    for (std::size_t i = 1; i < args.positionals().size(); ++i) {
        const Expected<LegArgument> leg = parse_leg_argument(args.positionals()[i], path_exists);
        if (!leg)
            throw UsageError("create: " + leg.error());
        request.legs.push_back(*leg);
    }
    if (const Expected<bool> apart = check_log_not_a_leg(request); !apart)
        throw UsageError("create: " + apart.error());
    return request;
}

}  // namespace

int create_command(const Words& words) {
    const std::optional<Args> parsed = Args::parse_or_help("create", words,
                                  {{"layout", true},
                                   {"chunk", true},
                                   {"size", true},
                                   {"reserve", true},
                                   {"max-child-sectors", true},
                                   {"max-child-segments", true},
                                   {"no-rescuer", false},
                                   {"fail-alloc", true},
                                   {"inline-children", true},
                                   {"region-size", true},
                                   {"nosync", false},
                                   {"log", true},
                                   {"dry-run", false}});
    if (!parsed)
        return kExitOk;
    const Args& args = *parsed;
    args.expect_positionals(1, ~std::size_t(0), "NAME");
    const std::string& name = args.positionals()[0];
    check_device_name("create", name);
    const CreateRequest request = request_from(args);
    if (request.legs.empty())
        throw UsageError("create: missing DEV[:OFFSET]");

    std::vector<LegGeometry> geometry;
    for (const LegArgument& leg : request.legs) {
        const BlockDevice device = probe_block_device("create", leg.device);
        geometry.push_back(LegGeometry{device.table_name(), device.size_bytes, device.logical_block_size});
    }
    std::optional<LegGeometry> log_geometry;
    if (request.log) {
        const BlockDevice device = probe_block_device("create: --log", request.log->device);
        log_geometry = LegGeometry{device.table_name(), device.size_bytes, device.logical_block_size};
    }
    const Expected<TableLine> table = build_table(request, geometry, log_geometry);
    if (!table)
        throw UsageError("create: " + table.error());

    if (args.has("dry-run")) {
        fmt::print("{}\n", table->dmsetup_line());
        return kExitOk;
    }
    DeviceMapper dm;
    dm.create(name, table->sectors, table->params);
    fmt::print("{}: {} over {} device{}, {} ({} sectors){}\n", name, layout_name(request.layout), request.legs.size(),
               request.legs.size() == 1 ? "" : "s", human_bytes(table->sectors * kSectorBytes), table->sectors,
               request.log ? ", log on " + request.log->device : std::string());
    return kExitOk;
}

}  // namespace ctl
