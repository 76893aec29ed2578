// `list`: every device-mapper device whose table is one biochain target, with its legs
// by kernel name (sorted by name, so the output is stable for scripts and tests).
#include <fmt/format.h>

#include <algorithm>

#include "args.h"
#include "block_device.h"
#include "cli_error.h"
#include "commands.h"
#include "device_mapper.h"
#include "table_summary.h"

namespace ctl {
namespace {

struct Row {
    std::string name, size, layout, legs;
};

std::string describe_legs(const TableSummary& table) {
    std::string legs;
    for (const TableLeg& leg : table.legs) {
        if (!legs.empty())
            legs += ',';
        legs += kernel_name_of(leg.device);
        if (leg.offset_sectors)
            legs += "+" + exact_bytes(leg.offset_sectors * kSectorBytes);
    }
    return legs;
}

}  // namespace

int list_command(const Words& words) {
    const std::optional<Args> parsed = Args::parse_or_help("list", words, {});
    if (!parsed)
        return kExitOk;
    const Args& args = *parsed;
    args.expect_positionals(0, 0, "");
    DeviceMapper dm;
    std::vector<Row> rows;
    for (const std::string& name : dm.names()) {
        std::vector<DmTarget> targets;
        try {
            targets = dm.table(name);
        } catch (const Failure&) {
            continue;  // removed while we were listing
        }
        if (!dm.is_biochain(targets))
            continue;
        const DmTarget& target = targets[0];
        const Expected<TableSummary> table = parse_table_params(target.params);
        rows.push_back(Row{name, human_bytes(target.length * kSectorBytes), table ? table->layout : "?",
                           table ? describe_legs(*table) : target.params});
    }
    if (rows.empty())
        return kExitOk;
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.name < b.name; });
    std::size_t name_width = 4, size_width = 4, layout_width = 6;
    for (const Row& row : rows) {
        name_width = std::max(name_width, row.name.size());
        size_width = std::max(size_width, row.size.size());
        layout_width = std::max(layout_width, row.layout.size());
    }
    fmt::print("{:<{}}  {:>{}}  {:<{}}  {}\n", "NAME", name_width, "SIZE", size_width, "LAYOUT", layout_width, "LEGS");
    for (const Row& row : rows)
        fmt::print("{:<{}}  {:>{}}  {:<{}}  {}\n", row.name, name_width, row.size, size_width, row.layout, layout_width,
                   row.legs);
    return kExitOk;
}

}  // namespace ctl
