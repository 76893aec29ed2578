// KUnit's debugfs results of the module's suites, merged into one report for the selftest
// summary (userspace/biochainctl/kunit_results.h), over results files captured from the
// debug kernel by tests/vm/kunit, in tests/data/kunit/<run>/<suite>/results: `pass` (every
// suite, every case passed; own.ktap is the module's own report of the same boot), `busy`
// (the scratch device held elsewhere: children_carry_the_data alone, failing) and `skip`
// (no scratch device: every target case skips).
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kunit_results.h"
#include "selftest_summary.h"

using ctl::KunitResultsFile;
using ctl::ktap::Outcome;

namespace {

KunitResultsFile captured(const std::string& run, const std::string& suite) {
    const std::string path = BC_SOURCE_DIR "/tests/data/kunit/" + run + "/" + suite + "/results";
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return {suite, "/sys/kernel/debug/kunit/" + suite + "/results",
            std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>())};
}

std::vector<std::string> errors_of(const ctl::ktap::Document& document) {
    std::vector<std::string> errors;
    for (const auto& problem : document.errors)
        errors.push_back(ctl::ktap::describe(problem));
    return errors;
}

}  // namespace

const std::vector<std::string> kSuites = {"biochain_table",   "biochain_layout",  "biochain_chain",
                                           "biochain_mempool", "biochain_bio_set", "biochain_target"};

TEST_CASE("KUnit results: each suite's file is one KTAP document KTAP readers accept") {
    std::vector<std::pair<std::string, std::string>> files = {{"busy", "biochain_target"}, {"skip", "biochain_target"}};
    for (const std::string& suite : kSuites)
        files.emplace_back("pass", suite);
    for (const auto& [run, suite] : files) {
        INFO(run << "/" << suite);
        const ctl::ktap::Document document = ctl::ktap::parse(captured(run, suite).text);
        CHECK(errors_of(document).empty());
        REQUIRE(document.tests.size() == 1);
        CHECK(document.tests[0].name == suite);
    }
}

TEST_CASE("KUnit results: the same suites and counts as the module's own report of the same boot") {
    std::vector<KunitResultsFile> files;
    for (const std::string& suite : kSuites)
        files.push_back(captured("pass", suite));
    const ctl::ktap::Document merged = ctl::merge_kunit_results(files);
    CHECK(errors_of(merged).empty());
    CHECK(*merged.plan == kSuites.size());

    std::ifstream in(BC_SOURCE_DIR "/tests/data/kunit/own.ktap", std::ios::binary);
    REQUIRE(in);
    const ctl::ktap::Document own =
        ctl::ktap::parse(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
    REQUIRE(own.well_formed());

    const ctl::SelftestSummary from_kunit = ctl::summarize(merged);
    const ctl::SelftestSummary from_own = ctl::summarize(own);
    CHECK_FALSE(from_kunit.any_failed);
    REQUIRE(from_kunit.suites.size() == from_own.suites.size());
    for (std::size_t i = 0; i < from_own.suites.size(); ++i) {
        INFO(from_own.suites[i].name);
        CHECK(from_kunit.suites[i].name == from_own.suites[i].name);
        CHECK(from_kunit.suites[i].passed == from_own.suites[i].passed);
        CHECK(from_kunit.suites[i].total() == from_own.suites[i].total());
    }
    CHECK(ctl::format_summary(from_kunit, merged, true) == ctl::format_summary(from_own, own, true));
}

TEST_CASE("KUnit results: suites are numbered in order into one report, failures with KUnit's lines") {
    const ctl::ktap::Document merged =
        ctl::merge_kunit_results({captured("pass", "biochain_table"), captured("busy", "biochain_target")});
    CHECK(merged.well_formed());
    CHECK(*merged.plan == 2);
    REQUIRE(merged.tests.size() == 2);
    CHECK(merged.tests[0].number == 1);
    CHECK(merged.tests[0].outcome == Outcome::pass);
    CHECK(merged.tests[1].number == 2);
    CHECK(merged.tests[1].name == "biochain_target");
    CHECK(merged.tests[1].outcome == Outcome::fail);

    const ctl::SelftestSummary summary = ctl::summarize(merged);
    CHECK(summary.any_failed);
    REQUIRE(summary.failures.size() == 1);
    CHECK(summary.failures[0].path == "biochain_target.children_carry_the_data");
    CHECK(summary.failures[0].line == 0);  // a line of the suite's own file, not shown
    CHECK(summary.failures[0].diagnostics ==
          std::vector<std::string>{"# children_carry_the_data: EXPECTATION FAILED at selftest_device.c:46",
                                   "Expected err == 0, but", "    got -16, expected 0"});
    CHECK(summary.totals.passed == 3);
    CHECK(summary.totals.failed == 1);
    CHECK(ctl::format_summary(summary, merged, false).find("selftest: FAILED (3 passed, 1 failed, 0 skipped of 4 tests)") !=
          std::string::npos);
}

TEST_CASE("KUnit results: skipped cases stay skipped, with their reason") {
    const ctl::ktap::Document merged = ctl::merge_kunit_results({captured("skip", "biochain_target")});
    CHECK(merged.well_formed());
    const ctl::SelftestSummary summary = ctl::summarize(merged);
    CHECK_FALSE(summary.any_failed);
    REQUIRE(summary.suites.size() == 1);
    CHECK(summary.suites[0].skipped == 5);
    CHECK(summary.suites[0].passed == 0);
    REQUIRE(merged.tests[0].subtests.size() == 5);
    CHECK(merged.tests[0].subtests[0].skip_reason == "no scratch device (module parameter selftest_dev)");
}

TEST_CASE("KUnit results: a file that is not its suite's, or is broken, is an error with its path") {
    KunitResultsFile wrong = captured("pass", "biochain_table");
    wrong.suite = "biochain_layout";
    wrong.path = "/sys/kernel/debug/kunit/biochain_layout/results";
    CHECK(errors_of(ctl::merge_kunit_results({wrong})) ==
          std::vector<std::string>{"/sys/kernel/debug/kunit/biochain_layout/results: expected the results of suite "
                                   "biochain_layout alone, found 1 top-level result named biochain_table"});

    KunitResultsFile cut = captured("pass", "biochain_target");
    cut.text.resize(cut.text.find("    ok 3"));
    const std::vector<std::string> errors = errors_of(ctl::merge_kunit_results({captured("pass", "biochain_table"), cut}));
    REQUIRE_FALSE(errors.empty());
    CHECK(errors[0].rfind("/sys/kernel/debug/kunit/biochain_target/results: line 7: truncated", 0) == 0);

    const ctl::ktap::Document none = ctl::merge_kunit_results({});
    CHECK(none.well_formed());
    CHECK(*none.plan == 0);
}
