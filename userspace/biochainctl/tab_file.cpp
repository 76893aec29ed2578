#include "tab_file.h"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "cli_error.h"
#include "commands.h"

namespace ctl {
namespace {

// The words of one line, up to a '#' that begins a word.
std::vector<std::string> line_words(const std::string& line) {
    std::vector<std::string> words;
    std::size_t pos = 0;
    for (;;) {
        pos = line.find_first_not_of(" \t\r", pos);
        if (pos == std::string::npos || line[pos] == '#')
            return words;
        const std::size_t end = line.find_first_of(" \t\r", pos);
        words.push_back(line.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
        if (end == std::string::npos)
            return words;
        pos = end;
    }
}

}  // namespace

Expected<std::vector<TabEntry>> parse_tab(const std::string& text, const std::string& path) {
    std::vector<TabEntry> entries;
    std::set<std::string> names;
    std::istringstream lines(text);
    std::string line;
    for (unsigned number = 1; std::getline(lines, line); ++number) {
        std::vector<std::string> words = line_words(line);
        if (words.empty())
            continue;
        const std::string where = fmt::format("{}:{}", path, number);
        try {
            check_device_name(where, words[0]);
        } catch (const UsageError& error) {
            return Error{error.what()};
        }
        if (words.size() == 1)
            return Error{fmt::format("{}: '{}' has no layout and no devices (create's arguments follow the name)",
                                     where, words[0])};
        if (!names.insert(words[0]).second)
            return Error{fmt::format("{}: '{}' is named twice", where, words[0])};
        TabEntry entry;
        entry.name = words[0];
        entry.words.assign(words.begin() + 1, words.end());
        entry.line = number;
        entries.push_back(std::move(entry));
    }
    return entries;
}

Expected<std::vector<TabEntry>> read_tab(const std::string& path) {
    std::ifstream file(path);
    if (!file)
        return Error{fmt::format("cannot read {}", path)};
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad())
        return Error{fmt::format("cannot read {}", path)};
    return parse_tab(text.str(), path);
}

}  // namespace ctl
