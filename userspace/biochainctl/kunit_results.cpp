#include "kunit_results.h"

#include <fmt/format.h>

namespace ctl {
namespace {

// Line numbers are of the suite's own file, which the merged report does not show.
void forget_lines(ktap::Result& result) {
    result.line = 0;
    for (ktap::Result& subtest : result.subtests)
        forget_lines(subtest);
}

}  // namespace

ktap::Document merge_kunit_results(const std::vector<KunitResultsFile>& files) {
    ktap::Document merged;
    merged.found = true;
    merged.plan = unsigned(files.size());
    for (const KunitResultsFile& file : files) {
        ktap::Document document = ktap::parse(file.text);
        merged.lines += document.lines;
        merged.found = merged.found && document.found;
        merged.kernel_log = merged.kernel_log || document.kernel_log;
        for (const ktap::Problem& problem : document.errors)
            merged.errors.push_back({0, fmt::format("{}: {}", file.path, ktap::describe(problem))});
        if (document.tests.size() != 1 || document.tests[0].name != file.suite) {
            merged.errors.push_back(
                {0, fmt::format("{}: expected the results of suite {} alone, found {} top-level result{}{}", file.path,
                                file.suite, document.tests.size(), document.tests.size() == 1 ? "" : "s",
                                document.tests.size() == 1 ? " named " + document.tests[0].name : "")});
        }
        for (ktap::Result& result : document.tests) {
            result.number = unsigned(merged.tests.size()) + 1;
            forget_lines(result);
            merged.tests.push_back(std::move(result));
        }
    }
    return merged;
}

}  // namespace ctl
