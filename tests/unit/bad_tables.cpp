#include "bad_tables.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace {
void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size())
        text.replace(pos, from.size(), to);
}
}  // namespace

std::vector<BadTable> load_bad_tables() {
    std::ifstream in(BC_SOURCE_DIR "/tests/data/bad-tables.tsv");
    if (!in)
        throw std::runtime_error("cannot open tests/data/bad-tables.tsv");
    std::vector<BadTable> rows;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty() || line[0] == '#')
            continue;
        std::vector<std::string> fields;
        std::istringstream cols(line);
        for (std::string field; std::getline(cols, field, '\t');)
            fields.push_back(field);
        if (fields.size() != 4)
            throw std::runtime_error("bad-tables.tsv:" + std::to_string(number) + ": expected 4 columns");
        rows.push_back({number, fields[0], fields[1], fields[2], fields[3]});
    }
    return rows;
}

std::string expand_placeholders(std::string text, unsigned long long dev_sectors) {
    replace_all(text, "$DEVSECTORS+8", std::to_string(dev_sectors + 8));
    replace_all(text, "$DEVSECTORS", std::to_string(dev_sectors));
    replace_all(text, "$DEV0MM", "253:0");
    replace_all(text, "$DEV0", "/dev/vda");
    replace_all(text, "$DEV1", "/dev/vdb");
    return text;
}
