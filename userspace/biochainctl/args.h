// The command line of one subcommand: options (--name or --name=value, anywhere before a
// lone "--") and positional words. Each subcommand declares the options it knows; anything
// else is a UsageError naming the command and the word, so the user gets one line saying
// exactly what is wrong. --help and -h are known to every command.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctl {

struct OptionSpec {
    std::string_view name;  // without the leading "--"
    bool takes_value;
};

class Args {
public:
    // Throws UsageError ("COMMAND: unknown option '--x'", "...: option --chunk needs a value",
    // "...: option --json given twice", "...: option --json takes no value").
    static Args parse(std::string_view command, const std::vector<std::string>& words,
                      std::initializer_list<OptionSpec> options);
    // parse, then answer --help / -h for every command alike: prints the command's help page
    // and returns nothing, so the command returns kExitOk.
    static std::optional<Args> parse_or_help(std::string_view command, const std::vector<std::string>& words,
                                             std::initializer_list<OptionSpec> options);

    bool help() const { return help_; }
    bool has(std::string_view option) const;
    std::optional<std::string> value(std::string_view option) const;
    const std::vector<std::string>& positionals() const { return positionals_; }

    // Throws UsageError unless the positional count is in [min, max].
    void expect_positionals(std::size_t min, std::size_t max, std::string_view what) const;

private:
    std::string command_;
    bool help_ = false;
    std::map<std::string, std::optional<std::string>, std::less<>> options_;
    std::vector<std::string> positionals_;
};

}  // namespace ctl
