#include <catch2/catch.hpp>
#include <cstring>

#include "base/text_buffer.h"

TEST_CASE("TextBuffer separates words and prints numbers in decimal") {
    char buf[64];
    bc::TextBuffer out(buf, sizeof buf);
    out.word("linear").word(bc::u64{0}).word(18446744073709551615ull).word("x");
    CHECK(std::string(buf) == "linear 0 18446744073709551615 x");
    CHECK_FALSE(out.overflowed());
    CHECK(out.length() == std::strlen(buf));
}

TEST_CASE("TextBuffer truncates like DMEMIT and stays terminated") {
    char buf[8];
    std::memset(buf, 'Z', sizeof buf);
    bc::TextBuffer out(buf, sizeof buf);
    out.word("abcd").word("efgh");
    CHECK(std::string(buf) == "abcd ef");
    CHECK(out.overflowed());
}

TEST_CASE("TextBuffer with no room writes nothing") {
    char guard = 'G';
    bc::TextBuffer out(&guard, 0);
    out.word("x");
    CHECK(guard == 'G');
    CHECK(out.overflowed());
}
