// The I/O paths of a target: remapping in place, splitting into children, completion,
// mirror read retry, and the bios that go to every leg whole.
#include "chain.h"
#include "layout.h"
#include "target.h"

namespace bc {
namespace {

bool is_mirror(const bc_target* target) { return target->table.layout == BC_LAYOUT_MIRROR; }

unsigned failed_legs(const bc_target* target) { return __atomic_load_n(&target->failed_legs, __ATOMIC_ACQUIRE); }

// The next leg to read a mirror from: rotate over the legs that have not failed.
// Returns nr_legs when every leg has failed.
unsigned pick_read_leg(bc_target* target, unsigned after) {
    const unsigned n = target->table.nr_legs;
    const unsigned failed = failed_legs(target);
    for (unsigned i = 1; i <= n; ++i) {
        const unsigned leg = (after + i) % n;
        if (!(failed >> leg & 1))
            return leg;
    }
    return n;
}

// Children of at most max_child_sectors (and the layout's piece), cut so that each spans at
// most max_child_segments vecs, never below one logical block (a block cannot be split).
unsigned child_sectors(const bc_target* target, void* parent, bc_sector_t offset, unsigned piece) {
    unsigned sectors = piece;
    if (target->table.max_child_segments) {
        sectors = bc_env_sectors_within_segments(parent, offset, sectors, target->table.max_child_segments);
        sectors -= sectors % target->block_sectors;
        sectors = min(max(sectors, target->block_sectors), piece);
    }
    return sectors;
}

void end_parent_if_last(bc_target* target, ParentState* parent, int error) {
    if (Chain::end_one(parent, error))
        bc_env_parent_end(target->shim, parent->handle, Chain::error(parent));
}

ChildRecord* record_of(bc_target* target, void* child) {
    return static_cast<ChildRecord*>(target->bio_set->front(child));
}

void issue(bc_target* target, void* child, void* parent_bio) {
    const ChildRecord* r = record_of(target, child);
    const Piece piece = first_piece(target->table, r->target_sector, r->sectors, 0, r->leg);
    bc_env_child_submit(target->shim, child, parent_bio, piece.leg, piece.leg_sector, r->offset, r->sectors);
}

// Allocates (may wait) and issues one child. False only if memory could not be had.
bool issue_child(bc_target* target, ParentState* parent, bc_sector_t offset, bc_sector_t target_sector,
                 unsigned sectors, unsigned leg, bool write) {
    const BioAllocation child = target->bio_set->alloc(0, true);
    if (!child.bio)
        return false;
    ChildRecord* r = record_of(target, child.bio);
    *r = ChildRecord{parent, offset, target_sector, sectors, u16(leg), write};
    Chain::add_child(parent);
    target->stats->add(Counter::children, 1);
    issue(target, child.bio, parent->handle);
    return true;
}

// A mirror leg returned an error: fail it for good. True if another leg still holds
// the data (the write is still safe, the read can be retried there).
bool fail_mirror_leg(bc_target* target, unsigned leg) {
    const unsigned all = (1u << target->table.nr_legs) - 1;
    const unsigned failed = __atomic_or_fetch(&target->failed_legs, 1u << leg, __ATOMIC_ACQ_REL);
    return (failed & all) != all;
}

}  // namespace
}  // namespace bc

using namespace bc;

extern "C" unsigned int bc_target_parent_state_size(void) { return sizeof(ParentState); }

extern "C" unsigned int bc_target_whole_bios(const bc_target* target) { return target->table.nr_legs; }

extern "C" int bc_target_map_whole(bc_target* target, bc_io_kind kind, unsigned int nr, bc_sector_t sector,
                                   bc_sector_t sectors, unsigned int* leg, bc_sector_t* leg_sector,
                                   bc_sector_t* leg_count) {
    if (nr >= target->table.nr_legs)
        return 0;
    *leg = nr;
    if (kind == BC_IO_FLUSH) {
        target->stats->add(nr, LegCounter::flushes, 1);
        *leg_sector = target->table.legs[nr].offset;
        *leg_count = 0;
        return 1;
    }
    if (is_mirror(target) && (failed_legs(target) >> nr & 1))
        return 0;  // stale: nothing goes to a failed mirror leg
    return leg_range(target->table, nr, sector, sectors, leg_sector, leg_count);
}

extern "C" int bc_target_remap(bc_target* target, bc_io_kind kind, bc_sector_t sector, unsigned int sectors,
                               unsigned int* leg, bc_sector_t* leg_sector) {
    const bc_table& table = target->table;
    // A mirror goes through children (writes fan out, reads are retried on error), and
    // so does anything a child limit applies to.
    if (is_mirror(target) || table.max_child_sectors || table.max_child_segments)
        return 0;
    (void)kind;
    const Piece piece = first_piece(table, sector, sectors, 0, 0);
    if (piece.sectors != sectors)
        return 0;  // crosses a chunk boundary
    *leg = piece.leg;
    *leg_sector = piece.leg_sector;
    return 1;
}

extern "C" void bc_target_map(bc_target* target, void* parent_bio, void* parent_state, bc_io_kind kind,
                              bc_sector_t sector, unsigned int sectors) {
    auto* parent = static_cast<ParentState*>(parent_state);
    const bc_table& table = target->table;
    const bool write = kind != BC_IO_READ;
    Chain::begin(parent, parent_bio);
    int error = 0;
    unsigned read_leg = 0;
    if (is_mirror(target) && !write) {
        read_leg = pick_read_leg(target, __atomic_fetch_add(&target->next_read, 1, __ATOMIC_RELAXED));
        if (read_leg == table.nr_legs)
            error = -BC_EIO;
    }
    for (bc_sector_t offset = 0; !error && offset < sectors;) {
        const unsigned remaining = unsigned(sectors - offset);
        const Piece piece = first_piece(table, sector + offset, remaining, table.max_child_sectors, read_leg);
        const unsigned n = child_sectors(target, parent_bio, offset, piece.sectors);
        if (is_mirror(target) && write) {
            // Every leg that has not failed gets the same piece.
            const unsigned failed = failed_legs(target);
            if ((failed & ((1u << table.nr_legs) - 1)) == (1u << table.nr_legs) - 1)
                error = -BC_EIO;
            for (unsigned leg = 0; !error && leg < table.nr_legs; ++leg)
                if (!(failed >> leg & 1) && !issue_child(target, parent, offset, sector + offset, n, leg, true))
                    error = -BC_ENOMEM;  // cannot happen when we may wait; never crash
        } else if (!issue_child(target, parent, offset, sector + offset, n, piece.leg, write)) {
            error = -BC_ENOMEM;
        }
        offset += n;
    }
    end_parent_if_last(target, parent, error);  // drops the bias
}

extern "C" void bc_target_child_end(bc_target* target, void* child, int error) {
    ChildRecord* r = record_of(target, child);
    if (error) {
        target->stats->add(r->leg, LegCounter::errors, 1);
        if (is_mirror(target) && fail_mirror_leg(target, r->leg)) {
            if (r->write) {
                error = 0;  // another leg holds the data: the mirror goes on degraded
            } else {
                const unsigned leg = pick_read_leg(target, r->leg);
                if (leg < target->table.nr_legs) {
                    r->leg = u16(leg);
                    target->stats->add(Counter::read_retries, 1);
                    bc_env_child_retry(target->shim, child);  // issued again from a worker
                    return;
                }
            }
        }
    }
    ParentState* parent = r->parent;
    target->bio_set->free(child, nullptr, 0);
    end_parent_if_last(target, parent, error);
}

extern "C" void bc_target_child_retry(bc_target* target, void* child) {
    issue(target, child, record_of(target, child)->parent->handle);
}

extern "C" const void* bc_bio_owner(const void* bio) { return BioSet::owner_of(bio); }

extern "C" void bc_target_account_io(bc_target* target, bc_io_kind kind, unsigned int sectors) {
    static constexpr Counter kBios[BC_IO_KIND_COUNT] = {Counter::reads,    Counter::writes,       Counter::flushes,
                                                        Counter::discards, Counter::write_zeroes, Counter::other};
    target->stats->add(kBios[kind], 1);
    if (kind == BC_IO_READ)
        target->stats->add(Counter::read_sectors, sectors);
    else if (kind == BC_IO_WRITE)
        target->stats->add(Counter::write_sectors, sectors);
}

extern "C" void bc_target_account_error(bc_target* target) { target->stats->add(Counter::errors, 1); }
