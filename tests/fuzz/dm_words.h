// Fuzz input as device-mapper hands it to a target: a line split into words at blanks
// (dm_split_args), each word a NUL-terminated string of the target's argv. A NUL byte in
// the input ends a word too, since no argv word can hold one.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace fuzz {

inline bool is_separator(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\0';
}

inline std::vector<std::string> split_dm_words(std::string_view text) {
    std::vector<std::string> words;
    std::size_t pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && is_separator(text[pos]))
            ++pos;
        const std::size_t start = pos;
        while (pos < text.size() && !is_separator(text[pos]))
            ++pos;
        if (pos > start)
            words.emplace_back(text.substr(start, pos - start));
    }
    return words;
}

// An argv over copies of words, kept apart from them so that a callee that writes into
// its argv (it must not) is seen by comparing the two.
class Argv {
public:
    explicit Argv(const std::vector<std::string>& words) : words_(words), copies_(words) {
        for (std::string& word : copies_)
            argv_.push_back(word.data());
    }
    unsigned argc() const { return unsigned(argv_.size()); }
    char** argv() { return argv_.data(); }
    bool untouched() const { return copies_ == words_; }
    // Whether p points into one of the words (a message must not: DM frees them).
    bool points_into(const char* p) const {
        for (const std::string& word : copies_)
            if (p >= word.data() && p <= word.data() + word.size())
                return true;
        return false;
    }

private:
    std::vector<std::string> words_;
    std::vector<std::string> copies_;
    std::vector<char*> argv_;
};

}  // namespace fuzz
