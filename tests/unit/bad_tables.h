// tests/data/bad-tables.tsv: malformed tables and the exact message each must produce.
#pragma once
#include <string>
#include <vector>

struct BadTable {
    int line;
    std::string length;  // target length, may hold $DEVSECTORS+N
    std::string args;
    std::string stage;  // parse | create | shim
    std::string message;
};

std::vector<BadTable> load_bad_tables();
// Placeholders ($DEV0, $DEV1, $DEVSECTORS) replaced by test values.
std::string expand_placeholders(std::string text, unsigned long long dev_sectors);
