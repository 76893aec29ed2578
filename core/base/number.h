// Strict decimal parsing of table and message words: no sign, no base prefix, no trailing
// junk, no silent wrap. Each way a word can be wrong has its own message, the caller's,
// so that every field is refused in its own words.
#pragma once
#include "base/result.h"
#include "base/types.h"

namespace bc {

struct NumberMessages {
    const char* missing;  // no word at all (nullptr)
    const char* not_a_number;
    const char* negative;
    const char* too_large;  // above max, or past 2^64 - 1
};

constexpr Result<u64> parse_u64(const char* word, u64 max, const NumberMessages& messages) {
    if (!word)
        return invalid(messages.missing);
    if (word[0] == '-')
        return invalid(word[1] >= '0' && word[1] <= '9' ? messages.negative : messages.not_a_number);
    if (word[0] == '\0')
        return invalid(messages.not_a_number);
    u64 result = 0;
    for (const char* p = word; *p; ++p) {
        if (*p < '0' || *p > '9')
            return invalid(messages.not_a_number);
        const u64 digit = u64(*p - '0');
        if (result > (kU64Max - digit) / 10)
            return invalid(messages.too_large);
        result = result * 10 + digit;
    }
    if (result > max)
        return invalid(messages.too_large);
    return result;
}

}  // namespace bc
