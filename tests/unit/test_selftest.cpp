// The self-test runner (core/selftest/runner.cpp) and core/'s own suites, run here over
// the POSIX environment exactly as the module runs them over the kernel's.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "env_posix.h"
#include "abi/selftest.h"

namespace {
std::vector<std::string> run(const bc_test_suite* const* suites, unsigned n, const char* filter,
                             bc_selftest_totals* totals) {
    std::vector<std::string> lines;
    bc_selftest_run(
        suites, n, filter, [](void* ctx, const char* line) { static_cast<std::vector<std::string>*>(ctx)->push_back(line); },
        &lines, totals);
    return lines;
}

void passes(bc_test* test) { BC_EXPECT_EQ(test, 2 + 2, 4); }
int fails_line, stops_line;  // where the failures below are, as the runner must report
void fails(bc_test* test) {
    fails_line = __LINE__ + 1;
    BC_EXPECT_EQ(test, 2 + 2, 5);
    BC_EXPECT(test, false);
}
void stops_at_assert(bc_test* test) {
    stops_line = __LINE__ + 1;
    BC_ASSERT(test, 1 == 0);
    BC_EXPECT(test, "never reached" == nullptr);
}
void skips(bc_test* test) { bc_test_skip(test, "no scratch device"); }

const bc_test_case mixed_cases[] = {BC_TEST_CASE(passes), BC_TEST_CASE(fails), BC_TEST_CASE(stops_at_assert),
                                    BC_TEST_CASE(skips), BC_TEST_CASES_END};
const bc_test_case skipped_cases[] = {BC_TEST_CASE(skips), BC_TEST_CASES_END};
const bc_test_suite mixed = {"mixed", mixed_cases};
const bc_test_suite skipped = {"skipped", skipped_cases};
const bc_test_suite* const synthetic[] = {&mixed, &skipped};
}  // namespace

TEST_CASE("the runner prints KTAP version 1 with nested suites, diagnostics and skips") {
    bc_selftest_totals totals{};
    const auto lines = run(synthetic, 2, nullptr, &totals);
    const auto at = [](int line) { return "EXPECTATION FAILED at test_selftest.cpp:" + std::to_string(line); };
    const std::vector<std::string> expected = {
        "KTAP version 1",
        "1..2",
        "    KTAP version 1",
        "    # Subtest: mixed",
        "    1..4",
        "    ok 1 passes",
        "    # fails: " + at(fails_line),
        "    # 2 + 2 == 5",
        "    # got 4, expected 5",
        "    # fails: " + at(fails_line + 1),
        "    # false",
        "    not ok 2 fails",
        "    # stops_at_assert: " + at(stops_line),
        "    # 1 == 0",
        "    not ok 3 stops_at_assert",
        "    ok 4 skips # SKIP no scratch device",
        "# mixed: pass:1 fail:2 skip:1 total:4",
        "not ok 1 mixed",
        "    KTAP version 1",
        "    # Subtest: skipped",
        "    1..1",
        "    ok 1 skips # SKIP no scratch device",
        "# skipped: pass:0 fail:0 skip:1 total:1",
        "ok 2 skipped # SKIP every case skipped",
        "# Totals: pass:1 fail:2 skip:2 total:5",
    };
    CHECK(lines == expected);
    CHECK(totals.passed == 1);
    CHECK(totals.failed == 2);
    CHECK(totals.skipped == 2);
}

TEST_CASE("a filter selects suites and cases by glob, and the plans count only those") {
    bc_selftest_totals totals{};
    auto lines = run(synthetic, 2, "mix*.pass?s", &totals);
    REQUIRE(lines.size() == 9);
    CHECK(lines[1] == "1..1");
    CHECK(lines[4] == "    1..1");
    CHECK(lines[5] == "    ok 1 passes");
    CHECK(lines[7] == "ok 1 mixed");
    CHECK(totals.passed == 1);
    CHECK(totals.failed + totals.skipped == 0);

    lines = run(synthetic, 2, "skipped", &totals);
    CHECK(lines[1] == "1..1");
    CHECK(lines[3] == "    # Subtest: skipped");

    lines = run(synthetic, 2, "nothing*", &totals);
    CHECK(lines == std::vector<std::string>{"KTAP version 1", "1..0", "# Totals: pass:0 fail:0 skip:0 total:0"});
}

// Another harness (the module's KUnit glue) runs single cases: it sees each failure as it
// happens, with the values of an _EQ, and the outcome as the runner would count it.
TEST_CASE("a case run alone reports its failures and outcome to the harness") {
    std::vector<std::string> texts;
    const auto record = [](void* ctx, const bc_test_failure* f) {
        auto* texts = static_cast<std::vector<std::string>*>(ctx);
        texts->push_back(std::string(f->case_name) + " " + f->file + ":" + std::to_string(f->line) + " " + f->what +
                         (f->values ? std::string(" / ") + f->values : std::string()));
    };
    const char* skip_reason = "unset";
    CHECK(bc_selftest_run_case(&mixed_cases[0], record, &texts, &skip_reason) == BC_TEST_PASSED);
    CHECK(skip_reason == nullptr);
    CHECK(texts.empty());

    CHECK(bc_selftest_run_case(&mixed_cases[1], record, &texts, &skip_reason) == BC_TEST_FAILED);
    CHECK(texts == std::vector<std::string>{
                       "fails test_selftest.cpp:" + std::to_string(fails_line) + " 2 + 2 == 5 / got 4, expected 5",
                       "fails test_selftest.cpp:" + std::to_string(fails_line + 1) + " false"});

    CHECK(bc_selftest_run_case(&mixed_cases[3], record, &texts, &skip_reason) == BC_TEST_SKIPPED);
    CHECK(std::string(skip_reason) == "no scratch device");
}

TEST_CASE("selects reads the filter as the runner does") {
    CHECK(bc_selftest_selects(nullptr, "mixed", "passes"));
    CHECK(bc_selftest_selects("", "mixed", "passes"));
    CHECK(bc_selftest_selects("mix*", "mixed", "fails"));
    CHECK(bc_selftest_selects("mixed.pass?s", "mixed", "passes"));
    CHECK_FALSE(bc_selftest_selects("mixed.pass?s", "mixed", "fails"));
    CHECK_FALSE(bc_selftest_selects("skipped", "mixed", "passes"));
}

TEST_CASE("glob matches * and ? the way KUnit's filter_glob does") {
    CHECK(bc_selftest_glob("*", ""));
    CHECK(bc_selftest_glob("*", "biochain_mempool"));
    CHECK(bc_selftest_glob("biochain_*", "biochain_mempool"));
    CHECK(bc_selftest_glob("*pool", "biochain_mempool"));
    CHECK(bc_selftest_glob("b?ochain*l", "biochain_mempool"));
    CHECK(bc_selftest_glob("*_*_*", "a_b_c"));
    CHECK_FALSE(bc_selftest_glob("*_*_*", "a_b"));
    CHECK_FALSE(bc_selftest_glob("biochain", "biochain_mempool"));
    CHECK_FALSE(bc_selftest_glob("?", ""));
    CHECK_FALSE(bc_selftest_glob("mempool", "biochain_mempool"));
}

// Every case must leave nothing behind: after each case's result line, the POSIX
// environment's live allocations and object caches are back where the run began. This is
// the userspace half of the suites' contracts that the kernel cannot count per case (a
// Mempool free into a full reserve goes back to its cache, a BioSet releases every object
// and cache); the module checks the same only once, at unload (biochain_env_exit).
TEST_CASE("core/'s self-test suites pass over the POSIX environment, each case leaving nothing") {
    struct Run {
        long live, caches;
        std::vector<std::string> lines;
        std::string leaks;
    } run{bc::posix::live_allocations(), bc::posix::live_caches(), {}, {}};
    bc_selftest_totals totals{};
    bc_selftest_run(
        bc_core_suites, bc_core_nr_suites, nullptr,
        [](void* ctx, const char* line) {
            auto& r = *static_cast<Run*>(ctx);
            r.lines.push_back(line);
            const std::string& l = r.lines.back();
            const bool case_result = l.rfind("    ok ", 0) == 0 || l.rfind("    not ok ", 0) == 0;
            const long live = bc::posix::live_allocations() - r.live, caches = bc::posix::live_caches() - r.caches;
            if (case_result && (live || caches))
                r.leaks += l + ": " + std::to_string(live) + " allocations, " + std::to_string(caches) + " caches left\n";
        },
        &run, &totals);
    std::string failures;
    for (const auto& line : run.lines)
        if (line.find("not ok") != std::string::npos || line.find("# ") != std::string::npos)
            failures += line + "\n";
    INFO(failures);
    CHECK(totals.failed == 0);
    CHECK(totals.skipped == 0);
    CHECK(totals.passed >= 23);
    CHECK(run.lines.front() == "KTAP version 1");
    CHECK(run.lines[1] == "1.." + std::to_string(bc_core_nr_suites));
    CHECK(run.leaks == "");
    CHECK(bc::posix::live_allocations() == run.live);
}
