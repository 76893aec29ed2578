// Layout: the sector math of the three layouts, and nothing else (no I/O, no memory).
//   linear   one leg: leg sector = offset + sector
//   striped  N legs, chunks of C sectors dealt round-robin: chunk k of the target is chunk
//            k / N of leg k % N. C is any multiple of the logical block size >= 8 sectors,
//            a power of two or not.
//   mirror   N legs holding the same data: a write goes to every leg, a read to one.
// Built once per table (the divisions by C and N are prepared then, see divisor.h);
// first_piece runs for every bio and stays inline.
#pragma once
#include "abi/table.h"
#include "target/divisor.h"
#include "base/types.h"

namespace bc {

struct Piece {
    unsigned leg;
    bc_sector_t leg_sector;
    unsigned sectors;
};

class Layout {
public:
    Layout() = default;
    explicit Layout(const bc_table& table);

    // The piece of [sector, sector + sectors) that starts at sector: cut at the next chunk
    // boundary (striped) and at max_sectors. mirror_leg picks the leg of a mirror.
    Piece first_piece(bc_sector_t sector, unsigned sectors, unsigned max_sectors, unsigned mirror_leg) const {
        const unsigned limit = max_sectors ? min(sectors, max_sectors) : sectors;
        // One Piece assigned field by field and returned once: GCC then keeps it in
        // registers (one return per case made it build the Piece on the stack).
        Piece piece{0, 0, limit};
        switch (layout_) {
        case BC_LAYOUT_STRIPED: {
            // The same inline the kernel shim runs on its own (stripes()).
            const bc_stripe_place place = bc_stripes_locate(&chunk_.raw(), &legs_.raw(), sector);
            piece.leg = place.leg;
            piece.leg_sector = place.leg_sector;
            piece.sectors = unsigned(min(bc_sector_t{limit}, place.room));
            break;
        }
        case BC_LAYOUT_MIRROR:
            piece.leg = mirror_leg;
            piece.leg_sector = sector;
            break;
        case BC_LAYOUT_LINEAR:
            piece.leg_sector = sector;
            break;
        }
        piece.leg_sector += offsets_[piece.leg];
        return piece;
    }

    // Whether every sector lies on one leg at one fixed distance (linear), and which.
    bool fixed_offset(unsigned* leg, bc_sector_t* offset) const {
        if (layout_ != BC_LAYOUT_LINEAR)
            return false;
        *leg = 0;
        *offset = offsets_[0];
        return true;
    }

    // Whether the layout is striped, and its parameters for stripe_math.h, with which a
    // caller finds every piece's leg and leg sector as first_piece does.
    bool stripes(bc_stripes* stripes) const {
        if (layout_ != BC_LAYOUT_STRIPED)
            return false;
        stripes->chunk = chunk_.raw();
        stripes->legs = legs_.raw();
        for (unsigned i = 0; i < BC_MAX_LEGS; ++i)
            stripes->offsets[i] = offsets_[i];
        return true;
    }

    // How many sectors of each leg a target of target_sectors uses.
    bc_sector_t leg_sectors(bc_sector_t target_sectors) const;

    // The part of [sector, sector + sectors) that lies on leg (for discards and write-zeroes,
    // which go to every leg whole, as dm-stripe does). Returns false if none does.
    bool leg_range(unsigned leg, bc_sector_t sector, bc_sector_t sectors, bc_sector_t* leg_start,
                   bc_sector_t* leg_count) const;

private:
    bc_sector_t striped_leg_position(unsigned leg, bc_sector_t sector) const;

    bc_layout layout_ = BC_LAYOUT_LINEAR;
    Divisor chunk_;  // striped: sectors per chunk
    Divisor legs_;   // striped: legs per row
    bc_sector_t offsets_[BC_MAX_LEGS] = {};
};

}  // namespace bc
