// KUnit's results of biochain's suites, as one report. On a kernel with KUnit the module
// registers its suites with it (module/kunit.c), and KUnit keeps each suite's results in
// its own KTAP document, /sys/kernel/debug/kunit/<suite>/results:
//
//   KTAP version 1
//   1..1                                a plan of one: this suite
//       KTAP version 1
//       # Subtest: biochain_target
//       1..5
//       # children_carry_the_data: EXPECTATION FAILED at selftest_device.c:46
//       Expected err == 0, but
//           got -16, expected 0
//       not ok 1 children_carry_the_data
//       ...
//   # biochain_target: pass:4 fail:1 skip:0 total:5
//   not ok 1 biochain_target            numbered 1 in every file
//
// Each file is read on its own (a problem is reported with the file's path and its own
// line number); the suites are then numbered in order into one document, as the module's
// runner would have written it, which the selftest summary reads like any other.
#pragma once

#include <string>
#include <vector>

#include "ktap.h"

namespace ctl {

struct KunitResultsFile {
    std::string suite;  // the directory's name under /sys/kernel/debug/kunit
    std::string path;   // for the messages
    std::string text;
};

// A problem of one file is "PATH: line N: ..." (line 0 in the Problem, since the lines of
// the merged document are no file's). A file must hold one suite, named as its directory.
ktap::Document merge_kunit_results(const std::vector<KunitResultsFile>& files);

}  // namespace ctl
