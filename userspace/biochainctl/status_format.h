// `status` output: an aligned table for people, one JSON object for programs. With
// --watch both carry per-second rates of the counters (gauges have none).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "status_report.h"

namespace ctl {

struct StatusSnapshot {
    std::string device;
    u64 sectors = 0;
    StatusReport report;
};

// rates: nullptr for a plain status, else one entry per counter (counter_rates()).
std::string format_status_table(const StatusSnapshot& status, const std::vector<std::optional<double>>* rates);
// One line, no trailing newline: {"device":..,"layout":..,"sectors":..,"counters":{..}[,"rates":{..}]}
std::string format_status_json(const StatusSnapshot& status, const std::vector<std::optional<double>>* rates);

// A JSON string literal, quotes included.
std::string json_string(std::string_view text);

}  // namespace ctl
