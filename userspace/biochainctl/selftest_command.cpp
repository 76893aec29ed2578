// `selftest`: run the module's self tests (or read a recorded report), parse the KTAP,
// print the summary. The tests run under the module's own runner, or with --kunit under
// KUnit (a kernel with KUnit): the same suites, reported by KUnit's debugfs results. Parse errors go to stderr with their line numbers and fail the run
// like a failed test: a report that cannot be read proves nothing.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

#include <fmt/format.h>

#include "args.h"
#include "cli_error.h"
#include "commands.h"
#include "ktap.h"
#include "kunit_results.h"
#include "selftest_kernel.h"
#include "selftest_summary.h"

namespace ctl {
namespace {

std::string read_recorded_report(const std::string& path) {
    if (path == "-")
        return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
        throw UsageError(fmt::format("selftest: --ktap {}: no such file", path));
    if (S_ISDIR(st.st_mode))
        throw UsageError(fmt::format("selftest: --ktap {}: is a directory", path));
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw Failure(fmt::format("selftest: cannot read {}: {}", path, std::strerror(errno)));
    return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// The report and where it came from, for the messages.
struct Report {
    ktap::Document document;
    std::string source;
};

Report run_in_kernel(const Args& args) {
    const std::string filter = args.value("filter").value_or("*");
    check_filter(filter);
    SelftestKernel kernel;
    if (const std::optional<std::string> device = args.value("device"))
        kernel.set_scratch_device(*device);
    const std::string scratch = kernel.scratch_device();
    const bool kunit = args.has("kunit");
    fmt::print(stderr, "selftest: running '{}'{} with {}\n", filter, kunit ? " under KUnit" : "",
               scratch.empty() ? "no scratch device (the suites that need one skip; see --device)"
                               : "scratch device " + scratch);
    if (!kunit) {
        Report report{ktap::parse(kernel.run(filter)), "selftest report"};
        fmt::print(stderr, "selftest: read the module's report, /sys/kernel/debug/biochain/selftest\n");
        return report;
    }
    const std::vector<KunitResultsFile> files = kernel.run_kunit(filter);
    std::string suites;
    for (const KunitResultsFile& file : files)
        suites += (suites.empty() ? "" : ",") + file.suite;
    fmt::print(stderr, "selftest: read KUnit's results, /sys/kernel/debug/kunit/{}/results\n",
               files.size() == 1 ? suites : "{" + suites + "}");
    return {merge_kunit_results(files), "KUnit results"};
}

}  // namespace

int selftest_command(const Words& words) {
    const std::optional<Args> parsed = Args::parse_or_help("selftest", words,
                                  {{"filter", true}, {"device", true}, {"ktap", true}, {"kunit", false},
                                   {"verbose", false}});
    if (!parsed)
        return kExitOk;
    const Args& args = *parsed;
    args.expect_positionals(0, 0, "");
    const std::optional<std::string> recorded = args.value("ktap");
    if (recorded && (args.has("filter") || args.has("device") || args.has("kunit")))
        throw UsageError("selftest: --ktap summarises a recorded report; --filter, --device and --kunit do not apply");
    if (recorded && recorded->empty())
        throw UsageError("selftest: --ktap needs a file name ('-' for stdin)");

    const Report report = recorded ? Report{ktap::parse(read_recorded_report(*recorded)),
                                            *recorded == "-" ? "stdin" : *recorded}
                                   : run_in_kernel(args);
    const ktap::Document& document = report.document;
    const std::string& source = report.source;
    const SelftestSummary summary = summarize(document);
    std::fflush(stdout);
    for (const ktap::Problem& problem : document.errors)
        fmt::print(stderr, "biochainctl: {}: {}\n", source, ktap::describe(problem));
    fmt::print("{}", format_summary(summary, document, args.has("verbose")));
    return summary.any_failed || !document.errors.empty() ? kExitFailure : kExitOk;
}

}  // namespace ctl
