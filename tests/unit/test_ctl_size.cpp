// biochainctl's sizes and counts (userspace/biochainctl/size_units.h).
#include <catch2/catch.hpp>

#include "size_units.h"

using ctl::exact_bytes;
using ctl::human_bytes;
using ctl::parse_count;
using ctl::parse_size;

TEST_CASE("biochainctl sizes are bytes, with s/k/m/g/t suffixes in either case") {
    CHECK(*parse_size("0") == 0);
    CHECK(*parse_size("4096") == 4096);
    CHECK(*parse_size("8s") == 4096);
    CHECK(*parse_size("8S") == 4096);
    CHECK(*parse_size("4k") == 4096);
    CHECK(*parse_size("4K") == 4096);
    CHECK(*parse_size("64m") == 64ull << 20);
    CHECK(*parse_size("1G") == 1ull << 30);
    CHECK(*parse_size("2t") == 2ull << 40);
    CHECK(*parse_size("007k") == 7 * 1024);
    CHECK(*parse_size("18446744073709551615") == 18446744073709551615ull);
    CHECK(*parse_size("16777215t") == 16777215ull << 40);
}

TEST_CASE("biochainctl refuses malformed and overflowing sizes with the reason") {
    CHECK(parse_size("").error() == "empty size");
    CHECK(parse_size("12q").error() == "'12q': unknown size suffix 'q' (use s, k, m, g or t)");
    CHECK(parse_size("k").error() == "'k' is not a size (decimal digits and an optional s/k/m/g/t)");
    CHECK_FALSE(parse_size("-1").ok());
    CHECK_FALSE(parse_size("+1").ok());
    CHECK_FALSE(parse_size("0x10").ok());
    CHECK_FALSE(parse_size("1.5G").ok());
    CHECK_FALSE(parse_size("1 G").ok());
    CHECK_FALSE(parse_size("4kk").ok());
    CHECK_FALSE(parse_size("1KiB").ok());
    CHECK(parse_size("18446744073709551616").error() == "'18446744073709551616' is too large");
    CHECK(parse_size("16777216t").error() == "'16777216t' is too large");
    CHECK(parse_size("36028797018963968s").error() == "'36028797018963968s' is too large");
}

TEST_CASE("biochainctl counts are plain decimal within their range") {
    CHECK(*parse_count("16", 1, 4096, "--reserve") == 16);
    CHECK(*parse_count("4096", 1, 4096, "--reserve") == 4096);
    CHECK(parse_count("0", 1, 4096, "--reserve").error() == "--reserve: 0 is too small (at least 1)");
    CHECK(parse_count("4097", 1, 4096, "--reserve").error() == "--reserve: 4097 is too large (at most 4096)");
    CHECK(parse_count("99999999999999999999", 1, 4096, "--reserve").error() ==
          "--reserve: 99999999999999999999 is too large (at most 4096)");
    CHECK(parse_count("1k", 1, 4096, "--reserve").error() == "--reserve: '1k' is not a number");
    CHECK(parse_count("", 1, 4096, "--reserve").error() == "--reserve: '' is not a number");
    CHECK(parse_count("-1", 0, 100, "--fail-alloc").error() == "--fail-alloc: '-1' is not a number");
}

TEST_CASE("biochainctl writes sizes exactly in messages and rounded in listings") {
    CHECK(exact_bytes(0) == "0 bytes");
    CHECK(exact_bytes(1000) == "1000 bytes");
    CHECK(exact_bytes(65536) == "64 KiB");
    CHECK(exact_bytes(3ull << 29) == "1536 MiB");
    CHECK(exact_bytes(1ull << 30) == "1 GiB");
    CHECK(exact_bytes(5ull << 40) == "5 TiB");
    CHECK(human_bytes(0) == "0 B");
    CHECK(human_bytes(1023) == "1023 B");
    CHECK(human_bytes(1024) == "1 KiB");
    CHECK(human_bytes(1536) == "1.5 KiB");
    CHECK(human_bytes(2095104ull * 512) == "1023 MiB");
    CHECK(human_bytes(2095103ull * 512) == "1022.9 MiB");
    CHECK(human_bytes(1ull << 30) == "1 GiB");
    CHECK(human_bytes((1ull << 40) - 1) == "1023.9 GiB");
    CHECK(human_bytes(~0ull) == "16777215.9 TiB");
}
