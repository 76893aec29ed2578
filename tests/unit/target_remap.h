// bc_target_remap with the old out-parameter shape, for tests that check a few remaps in a row.
#pragma once
#include "abi/target.h"
#include "abi/types.h"

inline bool remap(const bc_target* target, bc_sector_t sector, unsigned sectors, unsigned* leg,
                  bc_sector_t* leg_sector) {
    const bc_remap r = bc_target_remap(target, sector, sectors);
    if (r.remapped) {
        *leg = r.leg;
        *leg_sector = r.leg_sector;
    }
    return r.remapped != 0;
}
