// biochainctl's reading and printing of the INFO status (status_report.h, status_format.h),
// over hand-written lines and over what core/ itself emits.
#include <catch2/catch.hpp>

#include <string>

#include "status_format.h"
#include "status_report.h"
#include "table_words.h"
#include "target/target.h"
#include "target_ops.h"

using ctl::parse_status_info;
using ctl::StatusReport;

namespace {

// The INFO line of a real core target (POSIX environment), as `dmsetup status` shows it.
std::string core_info_line(const std::string& table_line) {
    TableWords words(table_line);
    bc_table table{};
    const char* error = nullptr;
    REQUIRE(bc_table_parse(words.argc(), words.argv(), &table, &error) == 0);
    bc_leg_geometry legs[BC_MAX_LEGS] = {};
    for (unsigned i = 0; i < BC_MAX_LEGS; ++i)
        legs[i] = bc_leg_geometry{1 << 21, 512, 0xfd00 + i};
    const bc_bio_shape shape{128, 16, 4};
    bc_target* target = nullptr;
    REQUIRE(bc_target_create(&table, 2048, legs, &shape, &TargetOps::kTable, nullptr, &target, &error) == 0);
    char buf[BC_STATUS_MAX];
    bc_target_emit_info(target, buf, sizeof buf);
    bc_target_destroy(target);
    return buf;
}

}  // namespace

TEST_CASE("biochainctl reads the status words of the README's example") {
    const auto report = parse_status_info(
        "linear 18 reads 117615 writes 50700 flushes 0 discards 0 write_zeroes 0 other 0 read_sectors 5714416 "
        "write_sectors 2487584 errors 0");
    REQUIRE(report);
    CHECK(report->layout == "linear");
    REQUIRE(report->counters.size() == 9);
    CHECK(report->counters[0].name == "reads");
    CHECK(report->counters[0].value == 117615);
    CHECK(*report->find("write_sectors") == 2487584);
    CHECK_FALSE(report->find("merges"));
}

TEST_CASE("biochainctl reads every counter core/ emits, legs included") {
    const auto mirror = parse_status_info(core_info_line("mirror 3 /dev/a 0 /dev/b 0 /dev/c 0 2 reserve 5"));
    REQUIRE(mirror);
    CHECK(mirror->layout == "mirror");
    CHECK(*mirror->find("reserve") == 5);
    CHECK(*mirror->find("reserve_free") == 5);
    CHECK(*mirror->find("outstanding") == 0);
    CHECK(*mirror->find("leg2_failed") == 0);
    CHECK(mirror->find("alloc_percpu"));
    CHECK(mirror->find("chain_recycles"));
    CHECK(mirror->find("depot_puts"));
    CHECK(mirror->find("depot_gets"));
    CHECK(mirror->counters.back().name == "leg2_failed");

    const auto linear = parse_status_info(core_info_line("linear /dev/a 0"));
    REQUIRE(linear);
    CHECK(linear->counters.size() + 3 * 2 == mirror->counters.size());
}

TEST_CASE("biochainctl skips words after the counted ones and refuses broken status lines") {
    const auto newer = parse_status_info("striped 4 reads 1 writes 2 future_section 7 8");
    REQUIRE(newer);
    CHECK(newer->counters.size() == 2);

    CHECK(parse_status_info("").error() == "empty status");
    CHECK(parse_status_info("  ").error() == "empty status");
    CHECK(parse_status_info("linear").error() == "status 'linear' has no word count");
    CHECK(parse_status_info("linear x reads 1").error() == "status word count: 'x' is not a number");
    CHECK(parse_status_info("linear 3 reads 1 writes").error() ==
          "status word count 3 is odd (names and values come in pairs)");
    CHECK(parse_status_info("linear 6 reads 1 writes 2").error() == "status truncated: 6 words announced, 4 present");
    CHECK(parse_status_info("linear 2 reads -1").error() == "status value of reads: '-1' is not a number");
    CHECK(parse_status_info("linear 99999999999999999999999 reads 1").error() ==
          "status word count: 99999999999999999999999 is too large (at most 18446744073709551615)");
}

TEST_CASE("biochainctl computes per-second rates of counters, not of gauges") {
    const StatusReport before = *parse_status_info("linear 8 reads 100 writes 50 reserve_free 16 leg0_failed 0");
    const StatusReport after = *parse_status_info("linear 10 reads 300 writes 10 reserve_free 3 leg0_failed 1 new 5");
    const auto rates = ctl::counter_rates(before, after, 2.0);
    REQUIRE(rates.size() == 5);
    CHECK(*rates[0] == Approx(100.0));
    CHECK_FALSE(rates[1]);  // went down: a stats reset in between
    CHECK_FALSE(rates[2]);  // a gauge
    CHECK_FALSE(rates[3]);  // a gauge
    CHECK_FALSE(rates[4]);  // not there before
    CHECK(ctl::is_gauge("outstanding"));
    CHECK(ctl::is_gauge("leg15_failed"));
    CHECK_FALSE(ctl::is_gauge("leg15_errors"));
    CHECK_FALSE(ctl::is_gauge("alloc_waited"));
}

// Counters are looked up by name: with a name given twice, `status --watch` took the
// second one's rate against the first one's value (a report against itself had a rate
// of 1/s here). Such a line is refused. Found by tests/fuzz/status.cpp (corpus:
// regression-duplicate-counter-name).
TEST_CASE("biochainctl refuses a status line that names a counter twice") {
    const auto report = parse_status_info("linear 4 reads 1 reads 2");
    REQUIRE_FALSE(report);
    CHECK(report.error() == "status names counter 'reads' twice");
}

TEST_CASE("biochainctl prints status as an aligned table and as JSON") {
    ctl::StatusSnapshot status{"bc0", 2097152, *parse_status_info("striped 6 reads 117615 writes 7 reserve_free 16")};
    CHECK(ctl::format_status_table(status, nullptr) ==
          "bc0: striped, 1 GiB (2097152 sectors)\n"
          "  COUNTER        VALUE\n"
          "  reads         117615\n"
          "  writes             7\n"
          "  reserve_free      16\n");
    const std::vector<std::optional<double>> rates{1234.56, 0.0, std::nullopt};
    CHECK(ctl::format_status_table(status, &rates) ==
          "bc0: striped, 1 GiB (2097152 sectors)\n"
          "  COUNTER        VALUE  PER SEC\n"
          "  reads         117615   1234.6\n"
          "  writes             7      0.0\n"
          "  reserve_free      16\n");
    CHECK(ctl::format_status_json(status, nullptr) ==
          R"({"device":"bc0","layout":"striped","sectors":2097152,"counters":{"reads":117615,"writes":7,"reserve_free":16}})");
    CHECK(ctl::format_status_json(status, &rates) ==
          R"({"device":"bc0","layout":"striped","sectors":2097152,"counters":{"reads":117615,"writes":7,"reserve_free":16},"rates":{"reads":1234.6,"writes":0.0}})");
    CHECK(ctl::json_string("a\"b\\c\n\x01") == R"("a\"b\\c\n\u0001")");
}
