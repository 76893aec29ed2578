// The KTAP reader and the selftest summary of biochainctl (userspace/biochainctl/ktap.h,
// selftest_summary.h), over the recorded reports in tests/data/ktap/.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "ktap.h"
#include "selftest_summary.h"

using ctl::ktap::Document;
using ctl::ktap::Outcome;
using ctl::ktap::parse;

namespace {

std::string recorded(const std::string& name) {
    std::ifstream in(BC_SOURCE_DIR "/tests/data/ktap/" + name, std::ios::binary);
    REQUIRE(in);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> errors_of(const Document& document) {
    std::vector<std::string> errors;
    for (const auto& problem : document.errors)
        errors.push_back(ctl::ktap::describe(problem));
    return errors;
}

std::vector<std::string> errors_of(const std::string& text) { return errors_of(parse(text)); }

}  // namespace

TEST_CASE("KTAP: an all-pass report reads as suites of cases") {
    const Document doc = parse(recorded("all-pass.ktap"));
    CHECK(doc.well_formed());
    CHECK_FALSE(doc.kernel_log);
    CHECK(*doc.plan == 3);
    REQUIRE(doc.tests.size() == 3);
    CHECK(doc.tests[0].name == "biochain_mempool");
    CHECK(doc.tests[0].outcome == Outcome::pass);
    REQUIRE(doc.tests[0].subtests.size() == 4);
    CHECK(doc.tests[0].subtests[3].name == "resize_keeps_every_object");
    CHECK(doc.tests[0].subtests[0].diagnostics.empty());  // "# module:" belongs to the header
    CHECK(doc.tests[0].diagnostics.size() == 2);          // the suite's pass/fail line and totals

    const ctl::SelftestSummary summary = ctl::summarize(doc);
    CHECK_FALSE(summary.any_failed);
    CHECK(summary.failures.empty());
    REQUIRE(summary.suites.size() == 3);
    CHECK(summary.suites[1].name == "biochain_bioset");
    CHECK(summary.suites[1].passed == 3);
    CHECK(summary.totals.passed == 9);
    CHECK(summary.totals.total() == 9);
    CHECK(ctl::format_summary(summary, doc, false) ==
          "SUITE              PASS   FAIL   SKIP  TOTAL\n"
          "biochain_mempool      4      0      0      4  ok\n"
          "biochain_bioset       3      0      0      3  ok\n"
          "biochain_shim         2      0      0      2  ok\n"
          "total                 9      0      0      9\n"
          "\n"
          "selftest: ok (9 passed, 0 failed, 0 skipped of 9 tests)\n");
}

TEST_CASE("KTAP: failures come first, with the lines their test printed") {
    const Document doc = parse(recorded("failures.ktap"));
    CHECK(doc.well_formed());
    const ctl::SelftestSummary summary = ctl::summarize(doc);
    CHECK(summary.any_failed);
    REQUIRE(summary.failures.size() == 2);
    CHECK(summary.failures[0].path == "biochain_mempool.resize_keeps_every_object");
    CHECK(summary.failures[0].line == 12);
    CHECK(summary.failures[0].diagnostics ==
          std::vector<std::string>{"# resize_keeps_every_object: EXPECTATION FAILED at core/selftest_mempool.cpp:88",
                                   "Expected pool.reserve_count() == 8, but",
                                   "    pool.reserve_count() == 7 (0x7)",
                                   "# resize_keeps_every_object: one object lost while shrinking"});
    CHECK(summary.failures[1].path == "biochain_shim.linear_write_read_back");
    CHECK(summary.totals.failed == 2);
    CHECK(summary.totals.passed == 3);
    const std::string text = ctl::format_summary(summary, doc, false);
    CHECK(text.rfind("FAIL  biochain_mempool.resize_keeps_every_object  (line 12)\n"
                     "      # resize_keeps_every_object: EXPECTATION FAILED at core/selftest_mempool.cpp:88\n",
                     0) == 0);
    CHECK(text.find("biochain_shim         1      1      0      2  FAILED\n") != std::string::npos);
    CHECK(text.find("selftest: FAILED (3 passed, 2 failed, 0 skipped of 5 tests)\n") != std::string::npos);
}

TEST_CASE("KTAP: skips are counted apart and keep their reason") {
    const Document doc = parse(recorded("skips.ktap"));
    CHECK(doc.well_formed());
    REQUIRE(doc.tests.size() == 3);
    CHECK(doc.tests[1].outcome == Outcome::skip);
    CHECK(doc.tests[1].skip_reason == "no selftest_dev");
    CHECK(doc.tests[1].directive == "SKIP no selftest_dev");
    CHECK(doc.tests[0].subtests[2].outcome == Outcome::skip);
    const ctl::SelftestSummary summary = ctl::summarize(doc);
    CHECK_FALSE(summary.any_failed);
    CHECK(summary.totals.passed == 2);
    CHECK(summary.totals.skipped == 4);
    CHECK(summary.suites[2].skipped == 1);  // a suite without cases counts as one
    const std::string text = ctl::format_summary(summary, doc, true);
    CHECK(text.find("biochain_shim        0      0      2      2  skipped: no selftest_dev\n") != std::string::npos);
    CHECK(text.find("skip  biochain_shim.linear_write_read_back  (no selftest_dev)\n") != std::string::npos);
    CHECK(text.find("ok    biochain_layout.linear_identity\n") != std::string::npos);
}

TEST_CASE("KTAP: nested subtests, with and without their own version line and plan") {
    const Document doc = parse(recorded("nested.ktap"));
    CHECK(errors_of(doc).empty());
    REQUIRE(doc.tests.size() == 2);
    const auto& split = doc.tests[0];
    REQUIRE(split.subtests.size() == 2);
    CHECK(split.subtests[0].name == "max_child_sectors");
    REQUIRE(split.subtests[0].subtests.size() == 3);
    CHECK(split.subtests[0].subtests[1].outcome == Outcome::fail);
    // KUnit's parameterised cases: "# Subtest:", no version line, no plan, "ok N - desc".
    REQUIRE(doc.tests[1].subtests.size() == 1);
    REQUIRE(doc.tests[1].subtests[0].subtests.size() == 3);
    CHECK(doc.tests[1].subtests[0].subtests[2].name == "fail_rates 100");

    const ctl::SelftestSummary summary = ctl::summarize(doc);
    REQUIRE(summary.failures.size() == 1);
    CHECK(summary.failures[0].path == "biochain_split.max_child_sectors.64_sectors");
    CHECK(summary.failures[0].diagnostics.size() == 3);
    CHECK(summary.suites[0].failed == 1);
    CHECK(summary.suites[0].passed == 1);
}

TEST_CASE("KTAP: a dmesg capture loses its timestamps and its other kernel messages") {
    const Document doc = parse(recorded("dmesg.ktap"));
    CHECK(doc.well_formed());
    CHECK(doc.kernel_log);
    CHECK(doc.version_line == 4);
    REQUIRE(doc.tests.size() == 2);
    const auto& failed = doc.tests[0].subtests[1];
    CHECK(failed.name == "refuses_zero_reserve");
    CHECK(failed.outcome == Outcome::fail);
    // A kernel message that arrived in the middle stays with the result it preceded; the
    // "biochain: " inside it is not stripped.
    CHECK(failed.diagnostics.front() == "device-mapper: table: 254:0: biochain: reserve: must be at least 1 (-EINVAL)");
    CHECK(failed.diagnostics.back() == "    r == -22 (0xffffffffffffffea)");
    CHECK(doc.tests[1].outcome == Outcome::skip);
}

TEST_CASE("KTAP: a kernel log with two runs is read as its last run") {
    std::string two = recorded("dmesg.ktap");
    two += "[   20.000000] KTAP version 1\n[   20.000001] 1..1\n[   20.000002] ok 1 biochain_mempool\n";
    const Document doc = parse(two);
    CHECK(doc.well_formed());
    CHECK(doc.version_line == 24);
    REQUIRE(doc.tests.size() == 1);
    CHECK(doc.tests[0].outcome == Outcome::pass);
}

TEST_CASE("KTAP: TAP version 14 with its subtest comments at the parent's indent") {
    const Document doc = parse(recorded("tap14.ktap"));
    CHECK(doc.well_formed());
    REQUIRE(doc.tests.size() == 2);
    CHECK(doc.tests[0].name == "biochain_table");
    CHECK(doc.tests[0].subtests.size() == 2);
    CHECK(doc.tests[0].subtests[1].name == "parses_striped");
}

TEST_CASE("KTAP: malformed reports are errors with line numbers") {
    CHECK(errors_of(recorded("bad-missing-version.ktap")) ==
          std::vector<std::string>{"line 1: missing version line: the document must start with 'KTAP version 1', not '1..1'"});
    CHECK(errors_of(recorded("bad-missing-plan.ktap")) ==
          std::vector<std::string>{"line 2: missing plan: a result before the '1..N' line"});
    CHECK(errors_of(recorded("bad-plan-count.ktap")) ==
          std::vector<std::string>{"line 8: subtest 'biochain_mempool' (line 3) planned 3 tests but reported 2",
                                   "line 10: test 3 is beyond the plan 1..2"});
    CHECK(errors_of(recorded("bad-numbering.ktap")) ==
          std::vector<std::string>{"line 4: wrong numbering: expected test 2, got 3"});
    CHECK(errors_of(recorded("bad-truncated.ktap")) ==
          std::vector<std::string>{"line 8: truncated: the input ends inside subtest 'biochain_mempool' (line 3)"});
    CHECK(errors_of(recorded("bad-garbage.ktap")) ==
          std::vector<std::string>{"line 4: not a KTAP line: 'this line is not KTAP'"});
    CHECK(errors_of(recorded("bad-indentation.ktap")) ==
          std::vector<std::string>{"line 7: indented 2 spaces, not a multiple of 4: 'ok 2 free_wakes_waiter'",
                                   "line 8: subtest 'biochain_mempool' (line 3) planned 2 tests but reported 1"});
    CHECK(errors_of(recorded("bad-no-result-line.ktap")) ==
          std::vector<std::string>{"line 7: subtest 'biochain_mempool' (line 3) has no result line"});
}

TEST_CASE("KTAP: a truncated report still shows the failures it got to") {
    const Document doc = parse(recorded("bad-truncated.ktap"));
    const ctl::SelftestSummary summary = ctl::summarize(doc);
    CHECK(summary.any_failed);
    REQUIRE(summary.failures.size() == 1);
    CHECK(summary.failures[0].path == "biochain_mempool.resize_keeps_every_object");
    const std::string text = ctl::format_summary(summary, doc, false);
    CHECK(text.find("selftest: FAILED (1 passed, 1 failed, 0 skipped of 2 tests); and the KTAP report is malformed\n") !=
          std::string::npos);
}

TEST_CASE("KTAP: small malformations, one error each") {
    using V = std::vector<std::string>;
    CHECK(errors_of("") == V{"empty input: no KTAP document"});
    CHECK(errors_of("\n\n") == V{"missing version line: no 'KTAP version 1' in the input"});
    CHECK(errors_of("KTAP version 1\n") == V{"line 1: missing plan: no '1..N' line"});
    CHECK(errors_of("KTAP version 1\n1..2\nok 1 a\n") == V{"line 3: truncated: plan 1..2 but the input ends after 1 results"});
    CHECK(errors_of("KTAP version 2\n1..0\n") ==
          V{"line 1: unsupported version 'KTAP version 2' (KTAP version 1 and TAP version 14 are read)"});
    CHECK(errors_of("KTAP version 1\n1..1\n1..1\nok 1 a\n") == V{"line 3: a second plan"});
    CHECK(errors_of("KTAP version 1\nok 1 a\n1..1\n") ==
          V{"line 2: missing plan: a result before the '1..N' line", "line 3: plan '1..1' after the results: the plan comes first"});
    CHECK(errors_of("KTAP version 1\n1..1\nok a\n") == V{"line 3: result without a test number: 'ok a'", 
                                                         "line 3: truncated: plan 1..1 but the input ends after 0 results"});
    CHECK(errors_of("KTAP version 1\n1..1\nok 1a\n") == V{"line 3: no space after the test number: 'ok 1a'",
                                                          "line 3: truncated: plan 1..1 but the input ends after 0 results"});
    CHECK(errors_of("KTAP version 1\n1..1\nok 1 a\nKTAP version 1\n") ==
          V{"line 4: a second version line (the document started at line 1)"});
    CHECK(errors_of("KTAP version 1\n1..1\n        ok 1 a\nok 1 b\n") ==
          V{"line 3: indented 8 spaces, deeper than any open subtest (at most 4): 'ok 1 a'"});
    CHECK(errors_of("KTAP version 1\n1..1\nok 99999999999 a\n") ==
          V{"line 3: test number too large: 'ok 99999999999 a'", "line 3: truncated: plan 1..1 but the input ends after 0 results"});
    CHECK(errors_of("KTAP version 1\n1..1\n    KTAP version 1\n    ok 1 a\nok 1 s\n") ==
          V{"line 4: subtest (unnamed) (line 3) has no plan"});
    CHECK(errors_of(std::string("KTAP version 1\n1..1\nok 1 a\n\x01\xff garbage\n")) ==
          V{"line 4: not a KTAP line: '\\x01\\xff garbage'"});
}

TEST_CASE("KTAP: what is accepted besides the plain form") {
    // CRLF line ends, a dash before the name, "1..0" with a reason, SKIP in any case,
    // a result without a name, "not ok ... # SKIP" (a skip, not a failure).
    const Document doc = parse("KTAP version 1\r\n1..3\r\nok 1 - a\r\nnot ok 2 b # skip later\nok 3\n");
    CHECK(errors_of(doc).empty());
    REQUIRE(doc.tests.size() == 3);
    CHECK(doc.tests[0].name == "a");
    CHECK(doc.tests[1].outcome == Outcome::skip);
    CHECK(doc.tests[1].skip_reason == "later");
    CHECK(doc.tests[2].name.empty());
    CHECK(ctl::summarize(doc).suites[2].name == "#3");
    CHECK(errors_of("KTAP version 1\n1..0 # SKIP nothing to run\n").empty());
    // A plain "# note" directive is kept and does not change the outcome.
    const Document todo = parse("KTAP version 1\n1..1\nnot ok 1 a # TODO not yet\n");
    CHECK(todo.tests[0].outcome == Outcome::fail);
    CHECK(todo.tests[0].directive == "TODO not yet");
}

TEST_CASE("KTAP: no input crashes the reader: every prefix and random damage of the recordings") {
    std::mt19937 random(12345);
    for (const char* name : {"all-pass.ktap", "failures.ktap", "nested.ktap", "dmesg.ktap", "tap14.ktap"}) {
        const std::string text = recorded(name);
        for (std::size_t cut = 0; cut <= text.size(); ++cut) {
            const Document doc = parse(text.substr(0, cut));
            ctl::format_summary(ctl::summarize(doc), doc, true);
            // Cut short anywhere before the last result, the report is malformed.
            if (cut + 1 < text.rfind("\nok ") && cut + 1 < text.rfind("\nnot ok ") && !doc.kernel_log)
                CHECK_FALSE(doc.errors.empty());
        }
        for (int round = 0; round < 300; ++round) {
            std::string damaged = text;
            for (int hits = 0; hits < 4; ++hits) {
                const std::size_t at = random() % damaged.size();
                switch (random() % 4) {
                case 0:
                    damaged[at] = char(random() % 256);
                    break;
                case 1:
                    damaged.erase(at, random() % 40);
                    break;
                case 2:
                    damaged.insert(at, std::string(random() % 6, ' '));
                    break;
                default:
                    damaged.insert(at, "\nnot ok 7 x\n    ");
                }
            }
            const Document doc = parse(damaged);
            ctl::format_summary(ctl::summarize(doc), doc, true);
            CHECK(doc.errors.size() <= 101);
        }
    }
    // Pathological sizes: one huge line, very deep nesting.
    const std::string huge = "KTAP version 1\n1..1\n" + std::string(1 << 20, 'x') + "\nok 1 a\n";
    CHECK(errors_of(huge).size() == 1);
    std::string deep = "KTAP version 1\n1..1\n";
    for (int level = 1; level < 200; ++level)
        deep += std::string(4 * level, ' ') + "ok 1 deep\n";
    CHECK_FALSE(parse(deep).errors.empty());
}

TEST_CASE("KTAP: the kernel log of a real guest run (tests/vm/ctl): two runs, multi-line messages") {
    // dmesg of a guest, boot lines cut: a multi-line message before the report, the report
    // of `selftest --device /dev/vdd` with the block layer's two-line warnings in the middle
    // of a suite, then the report of a filter that matched nothing.
    const std::string log = recorded("guest-dmesg.ktap");
    const Document last = parse(log);
    CHECK(errors_of(last).empty());
    CHECK(last.kernel_log);
    CHECK(*last.plan == 0);
    CHECK(last.tests.empty());

    const Document first = parse(log.substr(0, log.rfind("KTAP version 1")));
    CHECK(errors_of(first).empty());
    REQUIRE(first.tests.size() == 6);
    CHECK(first.tests[5].name == "biochain_target");
    CHECK(first.tests[5].subtests[1].diagnostics.size() == 16);
    const ctl::SelftestSummary summary = ctl::summarize(first);
    CHECK_FALSE(summary.any_failed);
    CHECK(summary.totals.passed == 23);
}
