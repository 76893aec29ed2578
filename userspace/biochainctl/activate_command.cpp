// `activate` and `deactivate`: the devices of a tab file (/etc/biochaintab, tab_file.h)
// created or removed, every one (--all) or those named; at boot from biochain.service, or
// by hand. Like cryptdisks_start and `mdadm --assemble --scan`: a device already there is
// left as it is, one that fails does not stop the others, and the exit status says
// whether all of them are as asked.
#include <cstdio>

#include <fmt/format.h>
#include <unistd.h>

#include "args.h"
#include "cli_error.h"
#include "commands.h"
#include "device_mapper.h"
#include "tab_file.h"

namespace ctl {
namespace {

struct Selection {
    std::string path;
    std::vector<TabEntry> entries;  // those asked for, in the file's order
    bool dry_run = false;
};

// The tab's entries the command line asks for: --all, or each NAME (which must be there).
// With --all, a default tab that does not exist is an empty one (a host with no biochain
// device boots with the unit enabled).
std::optional<Selection> select(const char* command, const Words& words) {
    const std::optional<Args> parsed =
        Args::parse_or_help(command, words, {{"tab", true}, {"all", false}, {"dry-run", false}});
    if (!parsed)
        return std::nullopt;
    const Args& args = *parsed;
    const bool all = args.has("all");
    if (!all && args.positionals().empty())
        throw UsageError(fmt::format("{}: missing NAME (or --all)", command));
    if (all && !args.positionals().empty())
        throw UsageError(fmt::format("{}: --all and NAMEs: one or the other", command));
    Selection selection;
    selection.path = args.value("tab").value_or(kDefaultTabPath);
    selection.dry_run = args.has("dry-run");
    if (all && !args.has("tab") && access(selection.path.c_str(), F_OK) != 0)
        return selection;
    Expected<std::vector<TabEntry>> tab = read_tab(selection.path);
    if (!tab)
        throw UsageError(fmt::format("{}: {}", command, tab.error()));
    if (all) {
        selection.entries = std::move(tab.value());
        return selection;
    }
    for (const std::string& name : args.positionals()) {
        const TabEntry* found = nullptr;
        for (const TabEntry& entry : *tab)
            if (entry.name == name)
                found = &entry;
        if (!found)
            throw UsageError(fmt::format("{}: '{}' is not in {}", command, name, selection.path));
        selection.entries.push_back(*found);
    }
    return selection;
}

// One entry's command; its failure is reported with the entry's place, and counted.
bool run_entry(const Selection& selection, const TabEntry& entry, int (*command)(const Words&), Words words) {
    try {
        return command(words) == kExitOk;
    } catch (const std::runtime_error& error) {
        std::fflush(stdout);
        fmt::print(stderr, "biochainctl: {}:{}: {}\n", selection.path, entry.line, error.what());
        return false;
    }
}

}  // namespace

int activate_command(const Words& words) {
    const std::optional<Selection> selection = select("activate", words);
    if (!selection)
        return kExitOk;
    bool all_ok = true;
    for (const TabEntry& entry : selection->entries) {
        Words create_words{entry.name};
        create_words.insert(create_words.end(), entry.words.begin(), entry.words.end());
        if (selection->dry_run) {
            create_words.push_back("--dry-run");
        } else if (DeviceMapper().exists(entry.name)) {
            fmt::print("{}: already active\n", entry.name);
            continue;
        }
        all_ok = run_entry(*selection, entry, create_command, create_words) && all_ok;
    }
    return all_ok ? kExitOk : kExitFailure;
}

// In the reverse of the file's order: a device stacked on another listed before it goes
// first.
int deactivate_command(const Words& words) {
    const std::optional<Selection> selection = select("deactivate", words);
    if (!selection)
        return kExitOk;
    if (selection->dry_run)
        throw UsageError("deactivate: --dry-run is activate's");
    bool all_ok = true;
    for (auto entry = selection->entries.rbegin(); entry != selection->entries.rend(); ++entry) {
        if (!DeviceMapper().exists(entry->name)) {
            fmt::print("{}: not active\n", entry->name);
            continue;
        }
        all_ok = run_entry(*selection, *entry, remove_command, Words{entry->name}) && all_ok;
    }
    return all_ok ? kExitOk : kExitFailure;
}

}  // namespace ctl
