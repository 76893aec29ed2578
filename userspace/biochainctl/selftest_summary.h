// What `selftest` prints about a KTAP report: the failures first (suite.case and the
// diagnostics the case printed), then one line per suite with its counts, then totals.
// The top-level results of the report are the suites, their subtests the cases; a suite
// without subtests counts as one case of its own.
#pragma once

#include <string>
#include <vector>

#include "ktap.h"

namespace ctl {

struct TestFailure {
    std::string path;  // "suite.case", or "suite.case.param" for nested cases
    std::vector<std::string> diagnostics;
    unsigned line = 0;
};

struct SuiteTally {
    std::string name;
    ktap::Outcome outcome = ktap::Outcome::pass;
    std::string skip_reason;
    unsigned passed = 0;
    unsigned failed = 0;
    unsigned skipped = 0;
    unsigned total() const { return passed + failed + skipped; }
};

struct SelftestSummary {
    std::vector<TestFailure> failures;
    std::vector<SuiteTally> suites;
    SuiteTally totals;
    bool any_failed = false;  // a case or a suite is "not ok"
};

SelftestSummary summarize(const ktap::Document& document);

// The report as printed on stdout (the KTAP errors are the caller's to print); with
// `verbose`, every case's outcome is listed after the failures.
std::string format_summary(const SelftestSummary& summary, const ktap::Document& document, bool verbose);

}  // namespace ctl
