#include "status_report.h"

#include <fmt/format.h>

#include "words.h"

namespace ctl {

std::optional<u64> StatusReport::find(std::string_view name) const {
    for (const Counter& counter : counters)
        if (counter.name == name)
            return counter.value;
    return std::nullopt;
}

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
        const Expected<u64> value = parse_count(words[i + 1], 0, ~u64(0), fmt::format("status value of {}", words[i]));
        if (!value)
            return Error{value.error()};
        // Counters are found by name (find, counter_rates): a name given twice would make
        // the second one's rate a difference from the first one's value.
        if (report.find(words[i]))
            return Error{fmt::format("status names counter '{}' twice", words[i])};
        report.counters.push_back(Counter{std::string(words[i]), *value});
    }
    return report;
}

bool is_gauge(std::string_view name) {
    static constexpr std::string_view kGauges[] = {"outstanding", "reserve", "reserve_free", "reserve_low",
                                                   "fail_alloc"};
    for (std::string_view gauge : kGauges)
        if (name == gauge)
            return true;
    // leg<i>_failed: 0 or 1, whether the mirror gave up on the leg.
    const std::string_view failed = "_failed";
    return name.size() > failed.size() && name.compare(0, 3, "leg") == 0 &&
           name.compare(name.size() - failed.size(), failed.size(), failed) == 0;
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
