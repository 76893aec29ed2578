// One biochain target instance: the validated table, the layout's sector math and the
// counters. The shim owns the lower devices; this object owns every decision about them.
#pragma once
#include "abi.h"
#include "stats.h"
#include "types.h"

struct bc_target {
    bc_table table;  // leg paths cleared: they pointed into the constructor's argv
    bc_sector_t sectors;
    bc::Stats* stats;
};

namespace bc {

struct CreateResult {
    int error_code;
    const char* message;
    bc_target* target;
};

CreateResult create_target(const bc_table& table, bc_sector_t sectors, const bc_leg_geometry* legs);
void destroy_target(bc_target* target);

}  // namespace bc
