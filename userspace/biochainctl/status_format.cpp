#include "status_format.h"

#include <algorithm>

#include <fmt/format.h>

namespace ctl {

std::string format_status_table(const StatusSnapshot& status, const std::vector<std::optional<double>>* rates) {
    const StatusReport& report = status.report;
    std::size_t name_width = 7;  // "COUNTER"
    std::size_t value_width = 5;  // "VALUE"
    for (const Counter& counter : report.counters) {
        name_width = std::max(name_width, counter.name.size());
        value_width = std::max(value_width, fmt::formatted_size("{}", counter.value));
    }
    std::vector<std::string> rate_texts;
    std::size_t rate_width = 7;  // "PER SEC"
    if (rates) {
        for (const std::optional<double>& rate : *rates)
            rate_texts.push_back(rate ? fmt::format("{:.1f}", *rate) : std::string());
        for (const std::string& text : rate_texts)
            rate_width = std::max(rate_width, text.size());
    }

    std::string out = fmt::format("{}: {}, {} ({} sectors)\n", status.device, report.layout,
                                  human_bytes(status.sectors * kSectorBytes), status.sectors);
    out += fmt::format("  {:<{}}  {:>{}}", "COUNTER", name_width, "VALUE", value_width);
    if (rates)
        out += fmt::format("  {:>{}}", "PER SEC", rate_width);
    out += '\n';
    for (std::size_t i = 0; i < report.counters.size(); ++i) {
        const Counter& counter = report.counters[i];
        std::string line = fmt::format("  {:<{}}  {:>{}}", counter.name, name_width, counter.value, value_width);
        if (rates && i < rate_texts.size() && !rate_texts[i].empty())
            line += fmt::format("  {:>{}}", rate_texts[i], rate_width);
        out += line + '\n';
    }
    return out;
}

std::string format_status_json(const StatusSnapshot& status, const std::vector<std::optional<double>>* rates) {
    const StatusReport& report = status.report;
    std::string out = fmt::format("{{\"device\":{},\"layout\":{},\"sectors\":{},\"counters\":{{", json_string(status.device),
                                  json_string(report.layout), status.sectors);
    for (std::size_t i = 0; i < report.counters.size(); ++i)
        out += fmt::format("{}{}:{}", i ? "," : "", json_string(report.counters[i].name), report.counters[i].value);
    out += '}';
    if (rates) {
        out += ",\"rates\":{";
        bool first = true;
        for (std::size_t i = 0; i < report.counters.size() && i < rates->size(); ++i) {
            if (!(*rates)[i])
                continue;
            out += fmt::format("{}{}:{:.1f}", first ? "" : ",", json_string(report.counters[i].name), *(*rates)[i]);
            first = false;
        }
        out += '}';
    }
    out += '}';
    return out;
}

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20)
                out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
            else
                out += c;
        }
    }
    return out + '"';
}

}  // namespace ctl
