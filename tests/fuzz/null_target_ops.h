// The ops a fuzzed target gets: complete (bc_target_create refuses a table with a hole)
// but never called, since no fuzz target sends I/O. A call aborts, which libFuzzer reports.
#pragma once
#include <cstdlib>

#include "abi/target.h"

namespace fuzz {

inline const bc_target_ops kNullTargetOps = {
    [](void*, void*, void*, unsigned, bc_sector_t, bc_sector_t, unsigned) { std::abort(); },
    [](void*, void*, int) { std::abort(); },
    [](void*, void*) { std::abort(); },
    [](void*, void*, bc_sector_t, unsigned, unsigned) -> unsigned { std::abort(); },
    [](void*, const bc_magazine*) -> void* { std::abort(); },
    [](void*, const bc_magazine*, void*) { std::abort(); },
    nullptr,  // event: optional
    nullptr,  // resync: optional
    [](void*) { std::abort(); },  // log_kick: a disk log's, never kicked without I/O
};

}  // namespace fuzz
