#include <catch2/catch.hpp>

#include <string>

#include "base/number.h"

using bc::parse_u64;

namespace {

constexpr bc::NumberMessages kMessages{"missing", "not a number", "negative", "too large"};

// What parse_u64 makes of word: the number, or the message it chose.
std::string parsed(const char* word, bc::u64 max = bc::kU64Max) {
    const bc::Result<bc::u64> r = parse_u64(word, max, kMessages);
    if (!r.ok())
        return r.error().code == -BC_EINVAL ? r.error().message : "wrong errno";
    return std::to_string(r.value());
}

}  // namespace

TEST_CASE("parse_u64 accepts plain decimal up to 2^64-1") {
    CHECK(parsed("0") == "0");
    CHECK(parsed("007") == "7");
    CHECK(parsed("18446744073709551615") == "18446744073709551615");
}

TEST_CASE("parse_u64 tells each malformed word apart") {
    CHECK(parsed(nullptr) == "missing");
    CHECK(parsed("18446744073709551616") == "too large");
    CHECK(parsed("99999999999999999999999") == "too large");
    CHECK(parsed("-1") == "negative");
    CHECK(parsed("-") == "not a number");
    CHECK(parsed("") == "not a number");
    CHECK(parsed("+1") == "not a number");
    CHECK(parsed("0x10") == "not a number");
    CHECK(parsed("12 ") == "not a number");
    CHECK(parsed("1e3") == "not a number");
}

TEST_CASE("parse_u64's maximum is inclusive") {
    CHECK(parsed("4096", 4096) == "4096");
    CHECK(parsed("4097", 4096) == "too large");
    CHECK(parsed("0", 0) == "0");
    CHECK(parsed("1", 0) == "too large");
}

TEST_CASE("parse_u64 is usable at compile time") {
    STATIC_REQUIRE(parse_u64("4096", 4096, kMessages).value() == 4096);
    STATIC_REQUIRE(!parse_u64("4097", 4096, kMessages).ok());
}
