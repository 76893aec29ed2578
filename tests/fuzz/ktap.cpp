// Fuzz target: biochainctl's KTAP reader (ktap::parse) and the summary `selftest` prints
// from it (summarize, format_summary). The input is the report as read from debugfs or
// dmesg. Properties:
//   - parsing reads only the input (libFuzzer's buffer is exactly its size, ASan watches
//     its end) and counts its lines; every problem and result names a line inside it;
//     errors stay bounded;
//   - a well-formed report numbers each level's results 1..N and the top one matches its plan;
//   - the totals add up: passed + failed + skipped is the number of cases read (a suite's
//     subtests, or the suite itself when it has none), suite by suite and in total, and
//     the last line of the summary says ok exactly when nothing failed and the report is
//     well formed with some test in it;
//   - a well-formed report that is not a kernel log reads the same once every line carries
//     a dmesg timestamp (the way `selftest` reads it from the kernel log).
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "ktap.h"
#include "selftest_summary.h"

namespace {

using ctl::ktap::Document;
using ctl::ktap::Outcome;
using ctl::ktap::Result;

unsigned count_lines(std::string_view text) {
    unsigned lines = 0;
    for (char c : text)
        lines += c == '\n';
    return lines + (!text.empty() && text.back() != '\n');
}

void check_results(const std::vector<Result>& results, const Document& doc, bool numbered) {
    for (std::size_t i = 0; i < results.size(); ++i) {
        const Result& result = results[i];
        FUZZ_CHECK(result.line <= doc.lines);
        if (numbered)
            FUZZ_CHECK(result.number == i + 1);
        FUZZ_CHECK(result.outcome == Outcome::skip || result.skip_reason.empty());
        check_results(result.subtests, doc, numbered);
    }
}

bool same_results(const std::vector<Result>& a, const std::vector<Result>& b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].number != b[i].number || a[i].name != b[i].name || a[i].outcome != b[i].outcome ||
            a[i].directive != b[i].directive || a[i].skip_reason != b[i].skip_reason ||
            a[i].diagnostics != b[i].diagnostics || a[i].line != b[i].line ||
            !same_results(a[i].subtests, b[i].subtests))
            return false;
    return true;
}

void check_summary(const Document& doc) {
    const ctl::SelftestSummary summary = ctl::summarize(doc);
    FUZZ_CHECK(summary.suites.size() == doc.tests.size());
    unsigned cases = 0, passed = 0, failed = 0, skipped = 0;
    bool any_failed = false;
    for (std::size_t i = 0; i < doc.tests.size(); ++i) {
        const Result& suite = doc.tests[i];
        const ctl::SuiteTally& tally = summary.suites[i];
        const std::size_t suite_cases = suite.subtests.empty() ? 1 : suite.subtests.size();
        FUZZ_CHECK(tally.total() == suite_cases);
        cases += unsigned(suite_cases);
        passed += tally.passed;
        failed += tally.failed;
        skipped += tally.skipped;
        any_failed = any_failed || suite.outcome == Outcome::fail || tally.failed;
    }
    FUZZ_CHECK(summary.totals.passed == passed && summary.totals.failed == failed &&
               summary.totals.skipped == skipped);
    FUZZ_CHECK(summary.totals.total() == cases);
    FUZZ_CHECK(summary.any_failed == any_failed);
    FUZZ_CHECK(summary.failures.empty() || any_failed);
    for (const ctl::TestFailure& failure : summary.failures)
        FUZZ_CHECK(!failure.path.empty() && failure.line <= doc.lines);

    const std::string printed = ctl::format_summary(summary, doc, true);
    const std::size_t last = printed.rfind("\nselftest: ");
    FUZZ_CHECK(last != std::string::npos && printed.back() == '\n');
    const bool says_ok = printed.compare(last, 15, "\nselftest: ok (") == 0;
    FUZZ_CHECK(says_ok == (!any_failed && doc.errors.empty() && cases > 0));
}

// The report as the kernel log shows it: "[    1.000000] " before every line.
std::string timestamped(std::string_view text) {
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        const bool last = end == std::string_view::npos;
        if (last)
            end = text.size();
        out += "[    1.000000] ";
        out += text.substr(pos, end - pos);
        if (!last)
            out += '\n';
        pos = end + 1;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const Document doc = ctl::ktap::parse(text);

    const bool gave_up = !doc.errors.empty() && doc.errors.back().message == "too many errors, giving up";
    FUZZ_CHECK(gave_up ? doc.lines <= count_lines(text) : doc.lines == count_lines(text));
    FUZZ_CHECK(doc.errors.size() <= 101);
    FUZZ_CHECK(doc.version_line <= doc.lines && (doc.found == (doc.version_line != 0)));
    for (const ctl::ktap::Problem& problem : doc.errors) {
        FUZZ_CHECK(problem.line <= doc.lines && !problem.message.empty());
        FUZZ_CHECK(!ctl::ktap::describe(problem).empty());
    }
    FUZZ_CHECK(doc.found || !doc.errors.empty());
    check_results(doc.tests, doc, doc.well_formed());
    if (doc.well_formed())
        FUZZ_CHECK(doc.plan && *doc.plan == doc.tests.size());
    check_summary(doc);

    if (doc.well_formed() && !doc.kernel_log) {
        const Document logged = ctl::ktap::parse(timestamped(text));
        FUZZ_CHECK(logged.kernel_log && logged.well_formed());
        FUZZ_CHECK(logged.plan == doc.plan && logged.version_line == doc.version_line);
        FUZZ_CHECK(same_results(logged.tests, doc.tests));
    }
    return 0;
}
