// The kernel build of core/ as ONE translation unit. Inline functions and template
// instances emitted by two C++ objects become COMDAT duplicates that break the module
// link under ftrace's -mrecord-mcount (docs/architecture.md); a single unit emits each
// exactly once.
// Every .cpp under core/ is listed here; scripts/check-kobj fails the build if one is missing.
#include "engine/bio_set.cpp"
#include "engine/bio_set_abi.cpp"
#include "engine/cache_registry.cpp"
#include "engine/depot.cpp"
#include "engine/magazine_abi.cpp"
#include "target/chain.cpp"
#include "target/layout.cpp"
#include "engine/mempool.cpp"
#include "base/runtime.cpp"
#include "selftest/bio_set_suite.cpp"
#include "selftest/chain_suite.cpp"
#include "selftest/layout_suite.cpp"
#include "selftest/mempool_suite.cpp"
#include "selftest/runner.cpp"
#include "selftest/suites.cpp"
#include "selftest/table_suite.cpp"
#include "engine/stats.cpp"
#include "target/table_parser.cpp"
#include "target/device_graph.cpp"
#include "target/target.cpp"
#include "target/message.cpp"
#include "target/map.cpp"
#include "target/status.cpp"
