// The kernel build of core/ as ONE translation unit. Inline functions and template
// instances emitted by two C++ objects become COMDAT duplicates that break the module
// link under ftrace's -mrecord-mcount (DESIGN.md); a single unit emits each exactly once.
// Every core/*.cpp is listed here; scripts/check-kobj fails the build if one is missing.
#include "bio_set.cpp"
#include "bio_set_abi.cpp"
#include "cache_registry.cpp"
#include "layout.cpp"
#include "mempool.cpp"
#include "runtime.cpp"
#include "selftest_bio_set.cpp"
#include "selftest_chain.cpp"
#include "selftest_layout.cpp"
#include "selftest_mempool.cpp"
#include "selftest_runner.cpp"
#include "selftest_suites.cpp"
#include "selftest_table.cpp"
#include "stats.cpp"
#include "table_parser.cpp"
#include "target.cpp"
#include "target_io.cpp"
#include "target_status.cpp"
