#include "layout.h"

namespace bc {
namespace {

struct Split {
    bc_sector_t quotient, remainder;
};

// n / d and n % d, by shift and mask when d is a power of two (as dm-stripe does for its
// chunk): every striped bio pays this, and a 64-bit division is the slowest instruction
// on its path (tens of cycles natively, a helper call under emulation).
inline Split split(bc_sector_t n, bc_sector_t d) {
    if ((d & (d - 1)) == 0)
        return {n >> __builtin_ctzll(d), n & (d - 1)};
    return {n / d, n % d};
}

}  // namespace

Piece first_piece(const bc_table& table, bc_sector_t sector, unsigned sectors, unsigned max_sectors,
                  unsigned mirror_leg) {
    const unsigned limit = max_sectors ? min(sectors, max_sectors) : sectors;
    switch (table.layout) {
    case BC_LAYOUT_STRIPED: {
        const bc_sector_t chunk = table.chunk_sectors;
        const Split by_chunk = split(sector, chunk);
        const Split by_legs = split(by_chunk.quotient, table.nr_legs);
        const unsigned leg = unsigned(by_legs.remainder);
        const unsigned left_in_chunk = unsigned(chunk - by_chunk.remainder);
        return Piece{leg, table.legs[leg].offset + by_legs.quotient * chunk + by_chunk.remainder,
                     min(limit, left_in_chunk)};
    }
    case BC_LAYOUT_MIRROR:
        return Piece{mirror_leg, table.legs[mirror_leg].offset + sector, limit};
    case BC_LAYOUT_LINEAR:
        break;
    }
    return Piece{0, table.legs[0].offset + sector, limit};
}

bc_sector_t leg_sectors(const bc_table& table, bc_sector_t target_sectors) {
    return table.layout == BC_LAYOUT_STRIPED ? target_sectors / table.nr_legs : target_sectors;
}

namespace {
// Where a target sector falls on a stripe leg: if the sector's chunk is on another leg,
// the first sector of that leg at or after it (dm-stripe's stripe_map_range_sector).
bc_sector_t striped_leg_position(const bc_table& table, unsigned leg, bc_sector_t sector) {
    const bc_sector_t chunk = table.chunk_sectors;
    const bc_sector_t index = sector / chunk;
    const unsigned on = unsigned(index % table.nr_legs);
    const bc_sector_t row = index / table.nr_legs;
    if (on == leg)
        return row * chunk + sector % chunk;
    return on < leg ? row * chunk : (row + 1) * chunk;
}
}  // namespace

bool leg_range(const bc_table& table, unsigned leg, bc_sector_t sector, bc_sector_t sectors, bc_sector_t* leg_start,
               bc_sector_t* leg_count) {
    if (table.layout != BC_LAYOUT_STRIPED) {
        *leg_start = table.legs[leg].offset + sector;
        *leg_count = sectors;
        return sectors != 0;
    }
    const bc_sector_t begin = striped_leg_position(table, leg, sector);
    const bc_sector_t end = striped_leg_position(table, leg, sector + sectors);
    if (begin >= end)
        return false;
    *leg_start = table.legs[leg].offset + begin;
    *leg_count = end - begin;
    return true;
}

}  // namespace bc
