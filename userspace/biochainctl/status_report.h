// The INFO status of a biochain target, read back: "<layout> <#words> <name> <value> ...".
// The word count (names and values together, as table features are counted) is what
// lets a newer module add counters: names we do not know are shown like the others, and
// words after the counted ones are ignored, so an older biochainctl keeps working. Each
// name is given once: a line that repeats one is refused.
//
// A value is a number (a counter or a gauge) or a word that names a state ("log disk",
// "log_state ok"): a lower-case letter, then lower-case letters, digits and '_'. Anything
// else ("-1", "1.5", a number too large) is refused: it is neither.
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

// A name whose value is a word, not a number.
struct Label {
    std::string name;
    std::string value;
    std::size_t before = 0;  // how many counters the module printed before it
};

struct StatusReport {
    std::string layout;
    std::vector<Counter> counters;  // in the order the module printed them
    std::vector<Label> labels;      // likewise; counters and labels share the names' space

    std::optional<u64> find(std::string_view name) const;
    std::optional<std::string> label(std::string_view name) const;
};

Expected<StatusReport> parse_status_info(std::string_view params);

// A gauge is a level (reserve_free, outstanding, leg0_failed, regions_in_sync, log_dirty), not an
// event count: a rate of it means nothing, so --watch shows rates of the other counters only.
bool is_gauge(std::string_view name);

// A mirror's health, read from its words: the regions in sync of all (a mirror resyncs
// region by region) and each leg's state. A leg that failed is failed, whatever else it
// says; a resyncing leg (reinstated, or new to a reload) takes writes but is read only
// in regions in sync, until a resync pass finds every region in sync.
enum class LegState { alive, resyncing, failed };
const char* leg_state_name(LegState state);  // "alive", "resyncing", "failed"

struct ResyncProgress {
    u64 regions = 0;
    u64 in_sync = 0;  // never more than regions
    bool done() const { return in_sync == regions; }
};

// The mirror's region log: on a disk (the table's `log <dev> <offset>`) or in memory
// ("core", dm-raid1's word), whether it still works, and the regions it holds dirty (to
// be resynced after a crash). As the module words them: a kind or state this biochainctl
// does not know is shown as given.
struct MirrorLog {
    std::string kind;                  // "disk", "core"
    std::optional<std::string> state;  // "ok", "failed"
    std::optional<u64> dirty;
};

struct MirrorState {
    std::optional<ResyncProgress> resync;  // absent from a module without mirror resync
    std::optional<MirrorLog> log;          // absent from a module without the log words
    std::vector<LegState> legs;            // leg0, leg1, ... while leg<i>_failed is given
};

// nullopt unless the layout is mirror.
std::optional<MirrorState> mirror_state(const StatusReport& report);

// Per-second rate of each counter of `now` against `before`, taken `seconds` apart;
// nullopt for gauges, for counters `before` lacks, and for counters that went down
// (a `stats reset` in between).
std::vector<std::optional<double>> counter_rates(const StatusReport& before, const StatusReport& now, double seconds);

}  // namespace ctl
