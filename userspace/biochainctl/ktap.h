// A KTAP version 1 reader (also TAP version 14), for the self-test reports of the module
// (/sys/kernel/debug/biochain/selftest) and for KUnit-style logs saved from dmesg.
//
// What it accepts, as KUnit prints it:
//
//   KTAP version 1                      the version line; `TAP version 14` too
//   1..2                                the plan, before the results of its level
//       KTAP version 1                  a subtest: the same, indented 4 spaces per level
//       # Subtest: biochain_mempool     its name (also accepted at the parent's indent,
//       1..2                            TAP 14 style, before the subtest)
//       ok 1 alloc_free
//       # resize: EXPECTATION FAILED at core/mempool.cpp:88    diagnostics: "#" lines,
//           Expected free == 4, but                             and any lines right after
//       not ok 2 resize                                         one, belong to the next result
//   # biochain_mempool: pass:1 fail:1 skip:0 total:2
//   not ok 1 biochain_mempool           the subtest's result ends it
//   ok 2 biochain_shim # SKIP no selftest_dev                  a skip (ok or not ok)
//
// "ok N - name" (the dash) and results without a plan inside a subtest that has no version
// line of its own (KUnit's parameterised cases) are accepted too.
//
// Kernel logs: a "[   12.345678] " timestamp is stripped from every line that has one.
// Once such a line has been seen the input is a kernel log: lines before the version line
// are other kernel messages and are skipped, and unrecognised lines anywhere (messages of
// other code, the indented continuation lines of multi-line messages) are kept as
// diagnostics of the next result. Nothing else is
// stripped: a subsystem prefix such as "biochain: " is part of the line, because KTAP as
// KUnit and the debugfs file write it has none, and guessing which prefix is "noise" would
// also eat real text. In a kernel log, a second document that starts after a complete one
// replaces it (the last run is the one that matters).
//
// Anything else is an error with its line number, never a crash: a missing version line,
// a missing plan, a result count that differs from the plan, numbering that is not 1, 2,
// 3..., a subtest without its result line, input that ends early, a line that is not
// KTAP (outside a kernel log) and structural lines at an indentation that fits no level.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctl::ktap {

enum class Outcome { pass, fail, skip };

struct Result {
    unsigned number = 0;
    std::string name;
    Outcome outcome = Outcome::pass;
    std::string directive;                 // after "# " on the result line, e.g. "SKIP no device"
    std::string skip_reason;               // the directive's text after SKIP
    std::vector<std::string> diagnostics;  // the lines before the result at its level
    std::vector<Result> subtests;
    unsigned line = 0;                     // where the result line is (0: synthesised)
};

struct Problem {
    unsigned line = 0;  // 0: the input as a whole
    std::string message;
};

struct Document {
    bool found = false;       // a version line was seen
    bool kernel_log = false;  // some lines carried a dmesg timestamp
    unsigned version_line = 0;
    std::optional<unsigned> plan;
    std::vector<Result> tests;
    std::vector<Problem> errors;
    unsigned lines = 0;

    bool well_formed() const { return found && errors.empty(); }
};

Document parse(std::string_view text);

// "line 12: message", or "message" for problems of the whole input.
std::string describe(const Problem& problem);

const char* outcome_name(Outcome outcome);  // "ok", "not ok", "skip"

}  // namespace ctl::ktap
