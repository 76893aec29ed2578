// Test helper: a table line split into the argv that device-mapper would hand to ctr.
#pragma once
#include <sstream>
#include <string>
#include <vector>

class TableWords {
public:
    explicit TableWords(const std::string& line) {
        std::istringstream in(line);
        for (std::string word; in >> word;)
            words_.push_back(word);
        for (std::string& word : words_)
            argv_.push_back(word.data());
    }
    unsigned argc() const { return unsigned(argv_.size()); }
    char** argv() { return argv_.data(); }

private:
    std::vector<std::string> words_;
    std::vector<char*> argv_;
};
