// A loaded biochain table read back (`dmsetup table` / DM_DEVICE_TABLE): the layout and
// its legs, for `list`. The module echoes the constructor with devices as major:minor.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "expected.h"
#include "size_units.h"

namespace ctl {

struct TableLeg {
    std::string device;  // "254:0"
    u64 offset_sectors = 0;
};

struct TableSummary {
    std::string layout;
    u64 chunk_sectors = 0;  // striped only
    std::vector<TableLeg> legs;
    std::vector<std::string> feature_words;
};

Expected<TableSummary> parse_table_params(std::string_view params);

}  // namespace ctl
