// Layout: the sector math of the three layouts, and nothing else (no I/O, no memory).
//   linear   one leg: leg sector = offset + sector
//   striped  N legs, chunks of C sectors dealt round-robin: chunk k of the target is chunk
//            k / N of leg k % N. C is any multiple of the logical block size >= 8 sectors,
//            a power of two or not.
//   mirror   N legs holding the same data: a write goes to every leg, a read to one.
#pragma once
#include "abi.h"
#include "types.h"

namespace bc {

struct Piece {
    unsigned leg;
    bc_sector_t leg_sector;
    unsigned sectors;
};

// The piece of [sector, sector + sectors) that starts at sector: cut at the next chunk
// boundary (striped) and at max_sectors. mirror_leg picks the leg of a mirror.
Piece first_piece(const bc_table& table, bc_sector_t sector, unsigned sectors, unsigned max_sectors,
                  unsigned mirror_leg);

// How many sectors of each leg a target of target_sectors uses.
bc_sector_t leg_sectors(const bc_table& table, bc_sector_t target_sectors);

// The part of [sector, sector + sectors) that lies on leg (for discards and write-zeroes,
// which go to every leg whole, as dm-stripe does). Returns false if none does.
bool leg_range(const bc_table& table, unsigned leg, bc_sector_t sector, bc_sector_t sectors, bc_sector_t* leg_start,
               bc_sector_t* leg_count);

}  // namespace bc
