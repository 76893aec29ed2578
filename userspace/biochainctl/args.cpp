#include "args.h"

#include <fmt/format.h>

#include "cli_error.h"
#include "help.h"

namespace ctl {

std::optional<Args> Args::parse_or_help(std::string_view command, const std::vector<std::string>& words,
                                        std::initializer_list<OptionSpec> options) {
    Args args = parse(command, words, options);
    if (!args.help())
        return args;
    fmt::print("{}", *command_help(command));
    return std::nullopt;
}

Args Args::parse(std::string_view command, const std::vector<std::string>& words,
                 std::initializer_list<OptionSpec> options) {
    Args args;
    args.command_ = std::string(command);
    bool options_ended = false;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& word = words[i];
        // A lone "-" is a word (stdin for --ktap), and so is everything after "--".
        if (options_ended || word == "-" || word.empty() || word[0] != '-') {
            args.positionals_.push_back(word);
            continue;
        }
        if (word == "--") {
            options_ended = true;
            continue;
        }
        if (word == "-h" || word == "--help") {
            args.help_ = true;
            continue;
        }
        if (word.compare(0, 2, "--") != 0)
            throw UsageError(fmt::format("{}: unknown option '{}'", command, word));
        const std::size_t equals = word.find('=');
        const std::string name = word.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
        const OptionSpec* spec = nullptr;
        for (const OptionSpec& candidate : options)
            if (candidate.name == name)
                spec = &candidate;
        if (!spec)
            throw UsageError(fmt::format("{}: unknown option '--{}'", command, name));
        if (args.options_.count(name))
            throw UsageError(fmt::format("{}: option --{} given twice", command, name));
        std::optional<std::string> value;
        if (spec->takes_value) {
            if (equals != std::string::npos)
                value = word.substr(equals + 1);
            else if (i + 1 < words.size())
                value = words[++i];
            else
                throw UsageError(fmt::format("{}: option --{} needs a value", command, name));
        } else if (equals != std::string::npos) {
            throw UsageError(fmt::format("{}: option --{} takes no value", command, name));
        }
        args.options_.emplace(name, std::move(value));
    }
    return args;
}

bool Args::has(std::string_view option) const { return options_.find(option) != options_.end(); }

std::optional<std::string> Args::value(std::string_view option) const {
    const auto it = options_.find(option);
    return it == options_.end() ? std::nullopt : it->second;
}

void Args::expect_positionals(std::size_t min, std::size_t max, std::string_view what) const {
    if (positionals_.size() < min)
        throw UsageError(fmt::format("{}: missing {}", command_, what));
    if (positionals_.size() > max)
        throw UsageError(fmt::format("{}: unexpected argument '{}'", command_, positionals_[max]));
}

}  // namespace ctl
