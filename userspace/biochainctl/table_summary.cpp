#include "table_summary.h"

#include <fmt/format.h>

#include "words.h"

namespace ctl {

Expected<TableSummary> parse_table_params(std::string_view params) {
    const std::vector<std::string_view> words = split_words(params);
    std::size_t next = 0;
    auto take = [&]() -> std::string_view { return next < words.size() ? words[next++] : std::string_view(); };
    auto take_number = [&](std::string_view what) -> Expected<u64> {
        const std::string_view word = take();
        if (word.empty())
            return Error{fmt::format("table '{}': missing {}", params, what)};
        return parse_count(word, 0, ~u64(0), fmt::format("table '{}': {}", params, what));
    };

    TableSummary table;
    table.layout = std::string(take());
    u64 nr_legs = 1;
    if (table.layout == "striped" || table.layout == "mirror") {
        const Expected<u64> count = take_number("<#devs>");
        if (!count)
            return Error{count.error()};
        nr_legs = *count;
    } else if (table.layout != "linear") {
        return Error{fmt::format("table '{}': unknown layout", params)};
    }
    if (table.layout == "striped") {
        const Expected<u64> chunk = take_number("<chunk_sectors>");
        if (!chunk)
            return Error{chunk.error()};
        table.chunk_sectors = *chunk;
    }
    if (nr_legs > words.size())
        return Error{fmt::format("table '{}': fewer devices than <#devs>", params)};
    for (u64 i = 0; i < nr_legs; ++i) {
        const std::string_view device = take();
        const Expected<u64> offset = take_number("<offset>");
        if (device.empty() || !offset)
            return Error{fmt::format("table '{}': fewer devices than <#devs>", params)};
        table.legs.push_back(TableLeg{std::string(device), *offset});
    }
    // The feature count itself, then the words it counts.
    if (next < words.size())
        for (std::size_t i = next + 1; i < words.size(); ++i)
            table.feature_words.emplace_back(words[i]);
    return table;
}

}  // namespace ctl
