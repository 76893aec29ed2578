// The module's self-test interface, as the module publishes it:
//
//   /sys/module/biochain/parameters/selftest_dev  a scratch block device for the suites that
//                                                 need real I/O (empty: they report SKIP)
//   /sys/kernel/debug/biochain/selftest           write a filter glob ("suite_glob[.case_glob]",
//                                                 "*" or a lone newline for all) to run the
//                                                 tests; the write returns when they are done
//                                                 (EBUSY while another run is going on); read
//                                                 it for the KTAP report of the last run
//   /sys/kernel/debug/biochain/kunit              on a kernel with KUnit only: write a filter
//                                                 to register those suites with KUnit, which
//                                                 runs them before the write returns; read it
//                                                 for the names of the suites registered
//   /sys/kernel/debug/kunit/<suite>/results       KUnit's KTAP of each registered suite
#pragma once

#include <string>
#include <vector>

#include "kunit_results.h"

namespace ctl {

class SelftestKernel {
public:
    // Failure (one line) if the module is not loaded or has no self tests; mounts debugfs
    // at /sys/kernel/debug if it is not mounted, to find out.
    SelftestKernel();

    std::string scratch_device() const;  // "" when none is set
    void set_scratch_device(const std::string& path);
    // Runs the tests and returns the KTAP report.
    std::string run(const std::string& filter);

    // Whether the module's suites can run under KUnit here (a kernel with KUnit and its
    // debugfs results, and a module built for it).
    bool has_kunit() const;
    // Runs the tests under KUnit (Failure without it) and returns KUnit's results files.
    std::vector<KunitResultsFile> run_kunit(const std::string& filter);
};

// The filter as the module reads it; UsageError when it cannot be one.
void check_filter(const std::string& filter);

}  // namespace ctl
