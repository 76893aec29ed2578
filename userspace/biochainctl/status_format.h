// `status` output: an aligned table for people, one JSON object for programs. With
// --watch both carry per-second rates of the counters (gauges have none). A mirror's
// resync progress, log and legs' states (mirror_state()) come first in the table, last in
// JSON.
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
// One line, no trailing newline:
// {"device":..,"layout":..,"sectors":..,"counters":{..}[,"labels":{..}][,"rates":{..}][,"mirror":{..}]}
// "counters" holds the numbers, "labels" (only when there are any) the words whose value
// is a word, as strings ("log":"disk"). "mirror" (a mirror only): "regions",
// "regions_in_sync", "in_sync_percent" (rounded down: 100.0 only when all are in sync;
// absent from an older module), "log": {"kind": "disk"|"core", "state": "ok"|"failed",
// "dirty": N} (absent from an older module), "legs": {"leg0": "alive"|"resyncing"|"failed",
// ...}, last.
std::string format_status_json(const StatusSnapshot& status, const std::vector<std::optional<double>>* rates);

// A JSON string literal, quotes included.
std::string json_string(std::string_view text);

}  // namespace ctl
