// `status`: the INFO counters once, or every interval with rates (--watch).
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "args.h"
#include "cli_error.h"
#include "commands.h"
#include "device_mapper.h"
#include "status_format.h"

namespace ctl {
namespace {

volatile std::sig_atomic_t g_stop_watching = 0;

void stop_watching(int) { g_stop_watching = 1; }

// "1", "0.5", "2.25": decimal seconds without sign or exponent, 0.1 to 3600.
double parse_interval(const std::string& text) {
    const std::size_t dot = text.find('.');
    const bool shaped = text.find_first_not_of("0123456789.") == std::string::npos &&
                        text.find_first_of("0123456789") != std::string::npos && dot == text.rfind('.');
    if (!shaped)
        throw UsageError(fmt::format("status: --interval '{}' is not a number of seconds", text));
    const double seconds = std::strtod(text.c_str(), nullptr);
    if (!(seconds >= 0.1 && seconds <= 3600))
        throw UsageError(fmt::format("status: --interval {} is out of range (0.1 to 3600 seconds)", text));
    return seconds;
}

StatusSnapshot snapshot(DeviceMapper& dm, const std::string& name) {
    const std::vector<DmTarget> targets = dm.status(name);
    if (!dm.is_biochain(targets))
        throw Failure(fmt::format("{} is not a biochain device (its table is not one biochain target)", name));
    const Expected<StatusReport> report = parse_status_info(targets[0].params);
    if (!report)
        throw Failure(fmt::format("{}: unexpected status from the module: {}", name, report.error()));
    return StatusSnapshot{name, targets[0].length, *report};
}

void print(const StatusSnapshot& status, const std::vector<std::optional<double>>* rates, bool json) {
    if (json)
        fmt::print("{}\n", format_status_json(status, rates));
    else
        fmt::print("{}", format_status_table(status, rates));
}

// Sleeps, returning early (false) when Ctrl-C or SIGTERM asks to stop.
bool sleep_unless_stopped(double seconds) {
    timespec remaining{time_t(seconds), long(std::fmod(seconds, 1.0) * 1e9)};
    while (!g_stop_watching && nanosleep(&remaining, &remaining) != 0)
        ;
    return !g_stop_watching;
}

int watch(DeviceMapper& dm, const std::string& name, double interval, std::optional<u64> count, bool json) {
    struct sigaction action {};
    action.sa_handler = stop_watching;  // no SA_RESTART: nanosleep returns at once
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    const bool clear_screen = !json && isatty(STDOUT_FILENO);

    StatusSnapshot previous;
    auto previous_time = std::chrono::steady_clock::now();
    for (u64 round = 1; !g_stop_watching; ++round) {
        if (round > 1 && !dm.exists(name))
            throw Failure(fmt::format("{} went away", name));
        const StatusSnapshot now = snapshot(dm, name);
        const auto now_time = std::chrono::steady_clock::now();
        const double seconds = std::chrono::duration<double>(now_time - previous_time).count();
        const std::vector<std::optional<double>> rates =
            round > 1 ? counter_rates(previous.report, now.report, seconds)
                      : std::vector<std::optional<double>>(now.report.counters.size());
        if (clear_screen)
            fmt::print("\033[H\033[2J");
        else if (round > 1 && !json)
            fmt::print("\n");
        print(now, &rates, json);
        std::fflush(stdout);
        if (count && round >= *count)
            break;
        previous = now;
        previous_time = now_time;
        if (!sleep_unless_stopped(interval))
            break;
    }
    return kExitOk;
}

}  // namespace

int status_command(const Words& words) {
    const std::optional<Args> parsed = Args::parse_or_help("status", words, {{"json", false}, {"watch", false}, {"interval", true}, {"count", true}});
    if (!parsed)
        return kExitOk;
    const Args& args = *parsed;
    args.expect_positionals(1, 1, "NAME");
    const std::string& name = args.positionals()[0];
    check_device_name("status", name);
    const bool watching = args.has("watch");
    if (!watching && args.has("interval"))
        throw UsageError("status: --interval needs --watch");
    if (!watching && args.has("count"))
        throw UsageError("status: --count needs --watch");
    const double interval = args.has("interval") ? parse_interval(*args.value("interval")) : 1.0;
    std::optional<u64> count;
    if (args.has("count")) {
        const Expected<u64> parsed = parse_count(*args.value("count"), 1, 1000000000, "status: --count");
        if (!parsed)
            throw UsageError(parsed.error());
        count = *parsed;
    }

    DeviceMapper dm;
    dm.biochain_table(name);
    if (watching)
        return watch(dm, name, interval, count, args.has("json"));
    print(snapshot(dm, name), nullptr, args.has("json"));
    return kExitOk;
}

}  // namespace ctl
