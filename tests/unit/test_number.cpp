#include <catch2/catch.hpp>

#include "base/number.h"

using bc::NumberError;
using bc::parse_u64;

TEST_CASE("parse_u64 accepts plain decimal up to 2^64-1") {
    bc::u64 v = 1;
    CHECK(parse_u64("0", &v) == NumberError::none);
    CHECK(v == 0);
    CHECK(parse_u64("007", &v) == NumberError::none);
    CHECK(v == 7);
    CHECK(parse_u64("18446744073709551615", &v) == NumberError::none);
    CHECK(v == 18446744073709551615ull);
}

TEST_CASE("parse_u64 tells each malformed word apart and leaves the value alone") {
    bc::u64 v = 42;
    CHECK(parse_u64("18446744073709551616", &v) == NumberError::too_large);
    CHECK(parse_u64("99999999999999999999999", &v) == NumberError::too_large);
    CHECK(parse_u64("-1", &v) == NumberError::negative);
    CHECK(parse_u64("-", &v) == NumberError::not_a_number);
    CHECK(parse_u64("", &v) == NumberError::not_a_number);
    CHECK(parse_u64("+1", &v) == NumberError::not_a_number);
    CHECK(parse_u64("0x10", &v) == NumberError::not_a_number);
    CHECK(parse_u64("12 ", &v) == NumberError::not_a_number);
    CHECK(parse_u64("1e3", &v) == NumberError::not_a_number);
    CHECK(v == 42);
}

TEST_CASE("parse_u64 is usable at compile time") {
    constexpr auto parsed = [] {
        bc::u64 v = 0;
        return parse_u64("4096", &v) == NumberError::none ? v : 0;
    }();
    STATIC_REQUIRE(parsed == 4096);
}
