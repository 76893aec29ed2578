// The INFO status of a biochain target, read back: "<layout> <#words> <name> <value> ...".
// The word count (names and values together, as table features are counted) is what
// lets a newer module add counters: names we do not know are shown like the others, and
// words after the counted ones are ignored, so an older biochainctl keeps working. Each
// name is given once: a line that repeats one is refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expected.h"
#include "size_units.h"

namespace ctl {

struct Counter {
    std::string name;
    u64 value = 0;
};

struct StatusReport {
    std::string layout;
    std::vector<Counter> counters;  // in the order the module printed them

    std::optional<u64> find(std::string_view name) const;
};

Expected<StatusReport> parse_status_info(std::string_view params);

// A gauge is a level (reserve_free, outstanding, leg0_failed), not an event count: a rate
// of it means nothing, so --watch shows rates of the other counters only.
bool is_gauge(std::string_view name);

// Per-second rate of each counter of `now` against `before`, taken `seconds` apart;
// nullopt for gauges, for counters `before` lacks, and for counters that went down
// (a `stats reset` in between).
std::vector<std::optional<double>> counter_rates(const StatusReport& before, const StatusReport& now, double seconds);

}  // namespace ctl
