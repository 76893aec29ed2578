#include "selftest_summary.h"

#include <algorithm>

#include <fmt/format.h>

namespace ctl {
namespace {

using ktap::Outcome;
using ktap::Result;

std::string label(const Result& result) {
    return result.name.empty() ? fmt::format("#{}", result.number) : result.name;
}

// The deepest failed results: a failed case whose parameters failed is reported by them.
void collect_failures(const Result& result, const std::string& path, std::vector<TestFailure>* failures) {
    if (result.outcome != Outcome::fail)
        return;
    bool child_failed = false;
    for (const Result& child : result.subtests)
        if (child.outcome == Outcome::fail) {
            child_failed = true;
            collect_failures(child, path + "." + label(child), failures);
        }
    if (!child_failed)
        failures->push_back(TestFailure{path, result.diagnostics, result.line});
}

void count(Outcome outcome, SuiteTally* tally) {
    switch (outcome) {
    case Outcome::pass:
        ++tally->passed;
        break;
    case Outcome::fail:
        ++tally->failed;
        break;
    case Outcome::skip:
        ++tally->skipped;
        break;
    }
}

void list_cases(const Result& result, const std::string& path, std::string* out) {
    const char* status = result.outcome == Outcome::pass ? "ok    " : result.outcome == Outcome::fail ? "FAIL  " : "skip  ";
    *out += fmt::format("{}{}", status, path);
    if (result.outcome == Outcome::skip && !result.skip_reason.empty())
        *out += fmt::format("  ({})", result.skip_reason);
    *out += '\n';
    for (const Result& child : result.subtests)
        list_cases(child, path + "." + label(child), out);
}

}  // namespace

SelftestSummary summarize(const ktap::Document& document) {
    SelftestSummary summary;
    summary.totals.name = "total";
    for (const Result& suite : document.tests) {
        SuiteTally tally;
        tally.name = label(suite);
        tally.outcome = suite.outcome;
        tally.skip_reason = suite.skip_reason;
        if (suite.subtests.empty())
            count(suite.outcome, &tally);
        for (const Result& test_case : suite.subtests)
            count(test_case.outcome, &tally);
        collect_failures(suite, label(suite), &summary.failures);
        if (suite.outcome == Outcome::fail || tally.failed)
            summary.any_failed = true;
        summary.totals.passed += tally.passed;
        summary.totals.failed += tally.failed;
        summary.totals.skipped += tally.skipped;
        summary.suites.push_back(std::move(tally));
    }
    return summary;
}

std::string format_summary(const SelftestSummary& summary, const ktap::Document& document, bool verbose) {
    std::string out;
    for (const TestFailure& failure : summary.failures) {
        out += fmt::format("FAIL  {}", failure.path);
        if (failure.line)
            out += fmt::format("  (line {})", failure.line);
        out += '\n';
        for (const std::string& line : failure.diagnostics)
            out += fmt::format("      {}\n", line);
    }
    if (!summary.failures.empty())
        out += '\n';

    if (verbose) {
        for (const Result& suite : document.tests)
            list_cases(suite, label(suite), &out);
        if (!document.tests.empty())
            out += '\n';
    }

    std::size_t name_width = 5;  // "SUITE"
    for (const SuiteTally& suite : summary.suites)
        name_width = std::max(name_width, suite.name.size());
    out += fmt::format("{:<{}}  {:>5}  {:>5}  {:>5}  {:>5}\n", "SUITE", name_width, "PASS", "FAIL", "SKIP", "TOTAL");
    for (const SuiteTally& suite : summary.suites) {
        std::string status = suite.outcome == Outcome::pass ? "ok" : suite.outcome == Outcome::fail ? "FAILED" : "skipped";
        if (suite.outcome == Outcome::skip && !suite.skip_reason.empty())
            status += ": " + suite.skip_reason;
        out += fmt::format("{:<{}}  {:>5}  {:>5}  {:>5}  {:>5}  {}\n", suite.name, name_width, suite.passed, suite.failed,
                           suite.skipped, suite.total(), status);
    }
    const SuiteTally& totals = summary.totals;
    out += fmt::format("{:<{}}  {:>5}  {:>5}  {:>5}  {:>5}\n", totals.name, name_width, totals.passed, totals.failed,
                       totals.skipped, totals.total());

    out += '\n';
    const std::size_t errors = document.errors.size();
    const std::string counts = fmt::format("{} passed, {} failed, {} skipped of {} tests", totals.passed, totals.failed,
                                           totals.skipped, totals.total());
    if (summary.any_failed)
        out += fmt::format("selftest: FAILED ({})", counts);
    else if (errors)
        out += fmt::format("selftest: FAILED: the KTAP report is malformed ({})", counts);
    else if (totals.total() == 0)
        out += "selftest: ok, but no test ran (does the filter match a suite?)";
    else
        out += fmt::format("selftest: ok ({})", counts);
    if (errors && summary.any_failed)
        out += fmt::format("; and the KTAP report is malformed");
    out += '\n';
    return out;
}

}  // namespace ctl
