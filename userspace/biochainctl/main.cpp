// biochainctl: create, inspect and test biochain devices. This file only dispatches:
// it finds the command, runs it, and turns its outcome into the exit status and the
// "biochainctl: ..." lines on stderr (see help.cpp's EXIT STATUS).
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli_error.h"
#include "commands.h"
#include "help.h"

namespace {

using ctl::Words;

struct Command {
    const char* name;
    int (*run)(const Words&);
};

constexpr Command kCommands[] = {
    {"create", ctl::create_command},     {"remove", ctl::remove_command},   {"list", ctl::list_command},
    {"status", ctl::status_command},     {"message", ctl::message_command}, {"selftest", ctl::selftest_command},
    {"bench", ctl::bench_command},       {"activate", ctl::activate_command},
    {"deactivate", ctl::deactivate_command},
};

int help_command(const Words& words) {
    if (words.empty()) {
        fmt::print("{}", ctl::main_help());
        return ctl::kExitOk;
    }
    if (words.size() > 1)
        throw ctl::UsageError(fmt::format("help: unexpected argument '{}'", words[1]));
    const std::optional<std::string> page = ctl::command_help(words[0]);
    if (!page)
        throw ctl::UsageError(fmt::format("help: unknown command '{}'", words[0]));
    fmt::print("{}", *page);
    return ctl::kExitOk;
}

int dispatch(const Words& words) {
    if (words.empty())
        throw ctl::UsageError("missing command (biochainctl --help lists them)");
    const std::string& name = words[0];
    const Words rest(words.begin() + 1, words.end());
    if (name == "--help" || name == "-h" || name == "help")
        return help_command(rest);
    for (const Command& command : kCommands)
        if (name == command.name)
            return command.run(rest);
    if (!name.empty() && name[0] == '-')
        throw ctl::UsageError(fmt::format("unknown option '{}' (options come after the command)", name));
    throw ctl::UsageError(fmt::format("unknown command '{}' (biochainctl --help lists them)", name));
}

// Each line of a failure gets the prefix, so every stderr line says who is talking.
void print_failure(const std::string& message) {
    std::size_t pos = 0;
    while (pos <= message.size()) {
        std::size_t end = message.find('\n', pos);
        if (end == std::string::npos)
            end = message.size();
        fmt::print(stderr, "biochainctl: {}\n", message.substr(pos, end - pos));
        pos = end + 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const Words words(argv + 1, argv + argc);
    try {
        const int status = dispatch(words);
        if (std::fflush(stdout) != 0)
            return ctl::kExitFailure;  // e.g. stdout closed or full: the output was lost
        return status;
    } catch (const ctl::UsageError& error) {
        std::fflush(stdout);
        // Exactly one line, whatever the user typed into the word we quote.
        std::string line = error.what();
        for (char& c : line)
            if (static_cast<unsigned char>(c) < 0x20)
                c = '?';
        fmt::print(stderr, "biochainctl: {}\n", line);
        return ctl::kExitUsage;
    } catch (const ctl::Failure& error) {
        std::fflush(stdout);
        print_failure(error.what());
        return ctl::kExitFailure;
    } catch (const std::exception& error) {
        std::fflush(stdout);
        print_failure(fmt::format("unexpected error: {}", error.what()));
        return ctl::kExitFailure;
    }
}
