#include "target/layout.h"

namespace bc {

Layout::Layout(const bc_table& table)
    : layout_(table.layout),
      chunk_(table.layout == BC_LAYOUT_STRIPED ? table.chunk_sectors : 1),
      legs_(table.nr_legs ? table.nr_legs : 1) {
    for (unsigned i = 0; i < legs_.value() && i < BC_MAX_LEGS; ++i)
        offsets_[i] = table.legs[i].offset;
}

bc_sector_t Layout::leg_sectors(bc_sector_t target_sectors) const {
    return layout_ == BC_LAYOUT_STRIPED ? legs_.quotient(target_sectors) : target_sectors;
}

// Where a target sector falls on a stripe leg: if the sector's chunk is on another leg,
// the first sector of that leg at or after it (dm-stripe's stripe_map_range_sector).
bc_sector_t Layout::striped_leg_position(unsigned leg, bc_sector_t sector) const {
    const bc_sector_t index = chunk_.quotient(sector);
    const bc_sector_t row = legs_.quotient(index);
    const unsigned on = unsigned(legs_.remainder(index, row));
    const bc_sector_t chunk = chunk_.value();
    if (on == leg)
        return row * chunk + chunk_.remainder(sector, index);
    return on < leg ? row * chunk : (row + 1) * chunk;
}

bool Layout::leg_range(unsigned leg, bc_sector_t sector, bc_sector_t sectors, bc_sector_t* leg_start,
                       bc_sector_t* leg_count) const {
    if (layout_ != BC_LAYOUT_STRIPED) {
        *leg_start = offsets_[leg] + sector;
        *leg_count = sectors;
        return sectors != 0;
    }
    const bc_sector_t begin = striped_leg_position(leg, sector);
    const bc_sector_t end = striped_leg_position(leg, sector + sectors);
    if (begin >= end)
        return false;
    *leg_start = offsets_[leg] + begin;
    *leg_count = end - begin;
    return true;
}

}  // namespace bc
