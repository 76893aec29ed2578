#include "status_format.h"

#include <algorithm>

#include <fmt/format.h>

namespace ctl {
namespace {

constexpr unsigned kBarCells = 20;

// in_sync of regions in `steps` steps, rounded down: the bar is never full, nor the
// percentage 100.0, while a region is out of sync (2^25 - 1 of 2^25 is 99.9%).
u64 steps_in_sync(const ResyncProgress& resync, u64 steps) {
    if (resync.done())
        return steps;
    const auto steps_done = static_cast<u64>(static_cast<long double>(resync.in_sync) * steps / resync.regions);
    return std::min(steps_done, steps - 1);
}

std::string percent_in_sync(const ResyncProgress& resync) {
    const u64 tenths = steps_in_sync(resync, 1000);
    return fmt::format("{}.{}", tenths / 10, tenths % 10);
}

// "disk, ok, 12 regions dirty": what the module said of its log, in that order.
std::string log_text(const MirrorLog& log) {
    std::string text = log.kind;
    if (log.state)
        text += ", " + *log.state;
    if (log.dirty)
        text += fmt::format(", {} region{} dirty", *log.dirty, *log.dirty == 1 ? "" : "s");
    return text;
}

// "  resync  [#####...............]  512/2048 regions (25.0%)", "  resync  in sync (2048 regions)",
// "  log     disk, ok, 0 regions dirty", then "  leg0    alive" for each leg.
std::string mirror_lines(const MirrorState& mirror) {
    std::size_t label_width = 6;  // "resync"
    for (std::size_t leg = 0; leg < mirror.legs.size(); ++leg)
        label_width = std::max(label_width, fmt::formatted_size("leg{}", leg));
    std::string out;
    if (const std::optional<ResyncProgress>& resync = mirror.resync) {
        if (resync->done()) {
            out += fmt::format("  {:<{}}  in sync ({} regions)\n", "resync", label_width, resync->regions);
        } else {
            const u64 filled = steps_in_sync(*resync, kBarCells);
            out += fmt::format("  {:<{}}  [{}{}]  {}/{} regions ({}%)\n", "resync", label_width,
                               std::string(filled, '#'), std::string(kBarCells - filled, '.'), resync->in_sync,
                               resync->regions, percent_in_sync(*resync));
        }
    }
    if (mirror.log)
        out += fmt::format("  {:<{}}  {}\n", "log", label_width, log_text(*mirror.log));
    for (std::size_t leg = 0; leg < mirror.legs.size(); ++leg)
        out += fmt::format("  {:<{}}  {}\n", fmt::format("leg{}", leg), label_width, leg_state_name(mirror.legs[leg]));
    return out;
}

// ,"mirror":{"regions":2048,"regions_in_sync":512,"in_sync_percent":25.0,
//   "log":{"kind":"disk","state":"ok","dirty":12},"legs":{"leg0":"alive",...}}
std::string mirror_json(const MirrorState& mirror) {
    std::string out = ",\"mirror\":{";
    if (const std::optional<ResyncProgress>& resync = mirror.resync)
        out += fmt::format("\"regions\":{},\"regions_in_sync\":{},\"in_sync_percent\":{},", resync->regions,
                           resync->in_sync, percent_in_sync(*resync));
    if (const std::optional<MirrorLog>& log = mirror.log) {
        out += "\"log\":{\"kind\":" + json_string(log->kind);
        if (log->state)
            out += ",\"state\":" + json_string(*log->state);
        if (log->dirty)
            out += fmt::format(",\"dirty\":{}", *log->dirty);
        out += "},";
    }
    out += "\"legs\":{";
    for (std::size_t leg = 0; leg < mirror.legs.size(); ++leg)
        out += fmt::format("{}\"leg{}\":\"{}\"", leg ? "," : "", leg, leg_state_name(mirror.legs[leg]));
    return out + "}}";
}

}  // namespace

std::string format_status_table(const StatusSnapshot& status, const std::vector<std::optional<double>>* rates) {
    const StatusReport& report = status.report;
    std::size_t name_width = 7;  // "COUNTER"
    std::size_t value_width = 5;  // "VALUE"
    for (const Counter& counter : report.counters) {
        name_width = std::max(name_width, counter.name.size());
        value_width = std::max(value_width, fmt::formatted_size("{}", counter.value));
    }
    for (const Label& label : report.labels) {
        name_width = std::max(name_width, label.name.size());
        value_width = std::max(value_width, label.value.size());
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
    if (const std::optional<MirrorState> mirror = mirror_state(report))
        out += mirror_lines(*mirror);
    out += fmt::format("  {:<{}}  {:>{}}", "COUNTER", name_width, "VALUE", value_width);
    if (rates)
        out += fmt::format("  {:>{}}", "PER SEC", rate_width);
    out += '\n';
    // A label in the module's place among the counters, its word where a value goes.
    std::size_t next_label = 0;
    auto labels_before = [&](std::size_t counter) {
        for (; next_label < report.labels.size() && report.labels[next_label].before <= counter; ++next_label) {
            const Label& label = report.labels[next_label];
            out += fmt::format("  {:<{}}  {:>{}}\n", label.name, name_width, label.value, value_width);
        }
    };
    for (std::size_t i = 0; i < report.counters.size(); ++i) {
        labels_before(i);
        const Counter& counter = report.counters[i];
        std::string line = fmt::format("  {:<{}}  {:>{}}", counter.name, name_width, counter.value, value_width);
        if (rates && i < rate_texts.size() && !rate_texts[i].empty())
            line += fmt::format("  {:>{}}", rate_texts[i], rate_width);
        out += line + '\n';
    }
    labels_before(~std::size_t(0));
    return out;
}

std::string format_status_json(const StatusSnapshot& status, const std::vector<std::optional<double>>* rates) {
    const StatusReport& report = status.report;
    std::string out = fmt::format("{{\"device\":{},\"layout\":{},\"sectors\":{},\"counters\":{{", json_string(status.device),
                                  json_string(report.layout), status.sectors);
    for (std::size_t i = 0; i < report.counters.size(); ++i)
        out += fmt::format("{}{}:{}", i ? "," : "", json_string(report.counters[i].name), report.counters[i].value);
    out += '}';
    if (!report.labels.empty()) {
        out += ",\"labels\":{";
        for (std::size_t i = 0; i < report.labels.size(); ++i)
            out += fmt::format("{}{}:{}", i ? "," : "", json_string(report.labels[i].name),
                               json_string(report.labels[i].value));
        out += '}';
    }
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
    if (const std::optional<MirrorState> mirror = mirror_state(report))
        out += mirror_json(*mirror);
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
