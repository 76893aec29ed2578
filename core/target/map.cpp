// The I/O paths of a target: the fast path's parameters, splitting into children,
// completion, mirror read retry, and the bios that go to every leg whole.
#include "abi/fast_path.h"
#include "target/chain.h"
#include "target/layout.h"
#include "target/target.h"

namespace bc {
namespace {

bool is_mirror(const bc_target* target) { return target->table.layout == BC_LAYOUT_MIRROR; }

// The counters of each kind of bio; reads and writes count their sectors too.
constexpr Counter kBios[BC_IO_KIND_COUNT] = {Counter::reads,    Counter::writes,       Counter::flushes,
                                             Counter::discards, Counter::write_zeroes, Counter::other};
constexpr Counter kSectors[2] = {Counter::read_sectors, Counter::write_sectors};
static_assert(BC_IO_READ == 0 && BC_IO_WRITE == 1, "kSectors and bc_fast_path are indexed by kind");

// Children of at most max_child_sectors (and the layout's piece), cut so that each spans at
// most max_child_segments vecs, never below one logical block (a block cannot be split).
unsigned child_sectors(const bc_target* target, void* parent, bc_sector_t offset, unsigned piece) {
    unsigned sectors = piece;
    if (target->table.max_child_segments) {
        sectors = target->ops.sectors_within_segments(target->ctx, parent, offset, sectors,
                                                      target->table.max_child_segments);
        sectors -= sectors % target->block_sectors;
        sectors = min(max(sectors, target->block_sectors), piece);
    }
    return sectors;
}

void end_parent_if_last(bc_target* target, ParentState* parent, int error) {
    if (target->chain.end(parent, error))
        target->ops.parent_end(target->ctx, parent->handle, Chain::error(parent));
}

ChildRecord* record_of(bc_target* target, void* child) {
    return static_cast<ChildRecord*>(target->bio_set->front(child));
}

void issue(bc_target* target, void* child, void* parent_bio) {
    const ChildRecord* r = record_of(target, child);
    target->ops.child_submit(target->ctx, child, parent_bio, r->leg, r->leg_sector, r->offset, r->sectors);
}

// The child being built: not yet issued, so a piece that continues it on the same leg
// is added to it in O(1) (Richter's contiguity hint) instead of costing an object.
struct PendingChild {
    void* bio = nullptr;
};

bool merges_into(const bc_target* target, const ChildRecord* r, const Piece& piece, unsigned sectors) {
    const bc_table& table = target->table;
    return r->leg == piece.leg && r->leg_sector + r->sectors == piece.leg_sector && !table.max_child_segments &&
           (!table.max_child_sectors || r->sectors + sectors <= table.max_child_sectors);
}

void issue_pending(bc_target* target, ParentState* parent, PendingChild& pending) {
    if (!pending.bio)
        return;
    Chain::add_child(parent);
    target->stats->add(Counter::children, 1);
    void* bio = pending.bio;
    pending.bio = nullptr;
    issue(target, bio, parent->handle);
}

// Adds a piece: merged into the pending child when it continues it, else the pending
// child is issued and a new one begun. False only if no object could be had.
bool add_piece(bc_target* target, ParentState* parent, PendingChild& pending, bc_sector_t offset,
               bc_sector_t target_sector, const Piece& piece, unsigned sectors, bool write) {
    if (pending.bio) {
        ChildRecord* r = record_of(target, pending.bio);
        if (merges_into(target, r, piece, sectors)) {
            r->sectors += sectors;
            target->stats->add(Counter::merges, 1);
            return true;
        }
        issue_pending(target, parent, pending);
    }
    void* bio = target->chain.next(parent);
    if (!bio)
        return false;
    *record_of(target, bio) = ChildRecord{parent, offset, target_sector, piece.leg_sector, sectors, u16(piece.leg), write};
    pending.bio = bio;
    return true;
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
    if (is_mirror(target) && target->mirror.is_failed(nr))
        return 0;  // stale: nothing goes to a failed mirror leg
    return target->layout.leg_range(nr, sector, sectors, leg_sector, leg_count);
}

extern "C" void bc_target_fast_path(const bc_target* target, bc_fast_path* path) {
    *path = bc_fast_path{};
    path->kind = BC_FAST_PATH_NONE;
    // Reads and writes inside one piece go down whole, remapped: not for a mirror (writes
    // fan out, reads are retried on error), nor when a child limit applies.
    const bc_table& table = target->table;
    if (table.layout != BC_LAYOUT_MIRROR && !table.max_child_sectors && !table.max_child_segments) {
        if (target->layout.fixed_offset(&path->leg, &path->offset))
            path->kind = BC_FAST_PATH_OFFSET;
        else if (target->layout.stripes(&path->stripes))
            path->kind = BC_FAST_PATH_STRIPES;
    }
    path->percpu = target->stats->percpu();
    for (unsigned kind = BC_IO_READ; kind <= BC_IO_WRITE; ++kind) {
        path->bios[kind] = Stats::offset(kBios[kind]);
        path->sectors[kind] = Stats::offset(kSectors[kind]);
    }
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
        read_leg = target->mirror.next_read_leg();
        if (read_leg == table.nr_legs)
            error = -BC_EIO;
    }
    PendingChild pending;
    for (bc_sector_t offset = 0; !error && offset < sectors;) {
        const unsigned remaining = unsigned(sectors - offset);
        const Piece piece = target->layout.first_piece(sector + offset, remaining, table.max_child_sectors, read_leg);
        const unsigned n = child_sectors(target, parent_bio, offset, piece.sectors);
        if (is_mirror(target) && write) {
            // Every leg that has not failed gets the same piece, as a child of its own.
            const unsigned failed = target->mirror.failed();
            if (target->mirror.all_failed(failed))
                error = -BC_EIO;
            for (unsigned leg = 0; !error && leg < table.nr_legs; ++leg) {
                if (failed >> leg & 1)
                    continue;
                const Piece copy = target->layout.first_piece(sector + offset, n, 0, leg);
                if (!add_piece(target, parent, pending, offset, sector + offset, copy, n, true))
                    error = -BC_ENOMEM;  // cannot happen when we may wait; never crash
                issue_pending(target, parent, pending);
            }
        } else if (!add_piece(target, parent, pending, offset, sector + offset, {piece.leg, piece.leg_sector, n}, n,
                              write)) {
            error = -BC_ENOMEM;
        }
        offset += n;
    }
    issue_pending(target, parent, pending);
    end_parent_if_last(target, parent, error);  // drops the bias
}

extern "C" void bc_target_child_end(bc_target* target, void* child, int error) {
    // Our count-down may let the parent end and the target go while we still wake its
    // queue (Chain::release, Chain::end): destroy_target waits for this section.
    ReadSection section;
    ChildRecord* r = record_of(target, child);
    if (error) {
        target->stats->add(r->leg, LegCounter::errors, 1);
        if (is_mirror(target) && target->mirror.fail_leg(r->leg)) {
            if (r->write) {
                error = 0;  // another leg holds the data: the mirror goes on degraded
            } else {
                const unsigned leg = target->mirror.read_leg_after(r->leg);
                if (leg < target->table.nr_legs) {
                    r->leg = u16(leg);
                    r->leg_sector = target->layout.first_piece(r->target_sector, r->sectors, 0, leg).leg_sector;
                    target->stats->add(Counter::read_retries, 1);
                    target->ops.child_retry(target->ctx, child);  // issued again from a worker
                    return;
                }
            }
        }
    }
    ParentState* parent = r->parent;
    target->chain.release(parent, child);
    end_parent_if_last(target, parent, error);
}

extern "C" void bc_target_child_retry(bc_target* target, void* child) {
    issue(target, child, record_of(target, child)->parent->handle);
}

extern "C" const void* bc_bio_owner(const void* bio) { return BioSet::owner_of(bio); }

// One bio however many legs it is cloned to: the user issued one flush, and a per-clone
// count would show it once per leg (each leg's own flushes are counted by map_whole).
extern "C" void bc_target_account_whole(bc_target* target, bc_io_kind kind, unsigned int nr) {
    if (nr == 0)
        target->stats->add(kBios[kind], 1);
}

extern "C" void bc_target_account_error(bc_target* target) { target->stats->add(Counter::errors, 1); }
