// Strict decimal parsing of table words: no sign, no base prefix, no trailing junk,
// no silent wrap. Each way a word can be wrong is told apart so the caller can say which.
#pragma once
#include "base/types.h"

namespace bc {

enum class NumberError { none, not_a_number, negative, too_large };

constexpr NumberError parse_u64(const char* word, u64* value) {
    if (word[0] == '-')
        return word[1] >= '0' && word[1] <= '9' ? NumberError::negative : NumberError::not_a_number;
    if (word[0] == '\0')
        return NumberError::not_a_number;
    u64 result = 0;
    for (const char* p = word; *p; ++p) {
        if (*p < '0' || *p > '9')
            return NumberError::not_a_number;
        const u64 digit = u64(*p - '0');
        if (result > (kU64Max - digit) / 10)
            return NumberError::too_large;
        result = result * 10 + digit;
    }
    *value = result;
    return NumberError::none;
}

}  // namespace bc
