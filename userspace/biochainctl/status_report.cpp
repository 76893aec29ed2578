#include "status_report.h"

#include <algorithm>

#include <fmt/format.h>

#include "words.h"

namespace ctl {

std::optional<u64> StatusReport::find(std::string_view name) const {
    for (const Counter& counter : counters)
        if (counter.name == name)
            return counter.value;
    return std::nullopt;
}

std::optional<std::string> StatusReport::label(std::string_view name) const {
    for (const Label& label : labels)
        if (label.name == name)
            return label.value;
    return std::nullopt;
}

namespace {

// A state's word ("disk", "ok"), not a malformed number: see status_report.h.
bool is_label_value(std::string_view word) {
    if (word.empty() || word[0] < 'a' || word[0] > 'z')
        return false;
    for (char c : word)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}

}  // namespace

Expected<StatusReport> parse_status_info(std::string_view params) {
    const std::vector<std::string_view> words = split_words(params);
    if (words.empty())
        return Error{"empty status"};
    StatusReport report;
    report.layout = std::string(words[0]);
    if (words.size() < 2)
        return Error{fmt::format("status '{}' has no word count", params)};
    const Expected<u64> count = parse_count(words[1], 0, ~u64(0), "status word count");
    if (!count)
        return Error{count.error()};
    if (*count % 2)
        return Error{fmt::format("status word count {} is odd (names and values come in pairs)", *count)};
    if (*count > words.size() - 2)
        return Error{fmt::format("status truncated: {} words announced, {} present", *count, words.size() - 2)};
    for (std::size_t i = 2; i < 2 + *count; i += 2) {
        // Counters are found by name (find, counter_rates): a name given twice would make
        // the second one's rate a difference from the first one's value.
        if (report.find(words[i]) || report.label(words[i]))
            return Error{fmt::format("status names counter '{}' twice", words[i])};
        if (is_label_value(words[i + 1])) {
            report.labels.push_back(Label{std::string(words[i]), std::string(words[i + 1]), report.counters.size()});
            continue;
        }
        const Expected<u64> value = parse_count(words[i + 1], 0, ~u64(0), fmt::format("status value of {}", words[i]));
        if (!value)
            return Error{value.error()};
        report.counters.push_back(Counter{std::string(words[i]), *value});
    }
    return report;
}

bool is_gauge(std::string_view name) {
    static constexpr std::string_view kGauges[] = {"outstanding", "reserve", "reserve_free", "reserve_low",
                                                   "fail_alloc", "regions", "regions_in_sync", "log_dirty"};
    for (std::string_view gauge : kGauges)
        if (name == gauge)
            return true;
    // leg<i>_failed, leg<i>_resyncing: 0 or 1, the mirror's view of the leg.
    for (std::string_view state : {std::string_view("_failed"), std::string_view("_resyncing")})
        if (name.size() > 3 + state.size() && name.compare(0, 3, "leg") == 0 &&
            name.compare(name.size() - state.size(), state.size(), state) == 0)
            return true;
    return false;
}

const char* leg_state_name(LegState state) {
    switch (state) {
    case LegState::alive:
        return "alive";
    case LegState::resyncing:
        return "resyncing";
    case LegState::failed:
        return "failed";
    }
    return "?";
}

std::optional<MirrorState> mirror_state(const StatusReport& report) {
    if (report.layout != "mirror")
        return std::nullopt;
    MirrorState state;
    const std::optional<u64> regions = report.find("regions");
    const std::optional<u64> in_sync = report.find("regions_in_sync");
    if (regions && in_sync)
        state.resync = ResyncProgress{*regions, std::min(*in_sync, *regions)};
    if (const std::optional<std::string> kind = report.label("log"))
        state.log = MirrorLog{*kind, report.label("log_state"), report.find("log_dirty")};
    for (unsigned leg = 0;; ++leg) {
        const std::optional<u64> failed = report.find(fmt::format("leg{}_failed", leg));
        if (!failed)
            break;
        const std::optional<u64> resyncing = report.find(fmt::format("leg{}_resyncing", leg));
        if (*failed)
            state.legs.push_back(LegState::failed);
        else if (resyncing && *resyncing)
            state.legs.push_back(LegState::resyncing);
        else
            state.legs.push_back(LegState::alive);
    }
    return state;
}

std::vector<std::optional<double>> counter_rates(const StatusReport& before, const StatusReport& now, double seconds) {
    std::vector<std::optional<double>> rates;
    rates.reserve(now.counters.size());
    for (const Counter& counter : now.counters) {
        const std::optional<u64> old = before.find(counter.name);
        if (is_gauge(counter.name) || !old || counter.value < *old || seconds <= 0)
            rates.emplace_back();
        else
            rates.emplace_back(double(counter.value - *old) / seconds);
    }
    return rates;
}

}  // namespace ctl
