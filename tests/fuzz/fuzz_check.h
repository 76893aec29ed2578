// A property a fuzz target checks. When it does not hold the target prints which one and
// aborts: libFuzzer then saves the input as a crash, exactly as for a sanitizer report, so
// a wrong answer is found and replayed the same way as a memory error.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(condition) ((condition) ? (void)0 : ::fuzz::property_failed(#condition, __FILE__, __LINE__))

namespace fuzz {

[[noreturn]] inline void property_failed(const char* condition, const char* file, int line) {
    std::fprintf(stderr, "fuzz: property does not hold: %s (%s:%d)\n", condition, file, line);
    std::abort();
}

// What a refusal may hand to ti->error or print: a short sentence of printable ASCII.
inline bool is_short_sentence(const char* message, std::size_t max_length = 80) {
    if (!message || !*message)
        return false;
    std::size_t length = 0;
    for (const char* p = message; *p; ++p, ++length)
        if (*p < ' ' || *p > '~' || length >= max_length)
            return false;
    return true;
}

}  // namespace fuzz
