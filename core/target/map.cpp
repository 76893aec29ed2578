// The I/O paths of a target: remapping in place, splitting into children, completion,
// mirror read retry, and the bios that go to every leg whole.
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
static_assert(BC_IO_READ == 0 && BC_IO_WRITE == 1, "kSectors and bc_rw_counters are indexed by kind");

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
    const int before = Chain::end_one(parent, error);
    if (before == 1)
        bc_env_parent_end(target->shim, parent->handle, Chain::error(parent));
    else if (before == 2)
        // The last child in flight ended while the mapper still issues (it holds the bias):
        // a mapper waiting in chain_next for one of them to end must stop waiting. The
        // parent may not be touched here (it is the mapper's), the target may.
        target->chain_waitq.wake_all();
}

ChildRecord* record_of(bc_target* target, void* child) {
    return static_cast<ChildRecord*>(target->bio_set->front(child));
}

void issue(bc_target* target, void* child, void* parent_bio) {
    const ChildRecord* r = record_of(target, child);
    bc_env_child_submit(target->shim, child, parent_bio, r->leg, r->leg_sector, r->offset, r->sectors);
}

/*
 * chain_next (seed 000): the next child of a parent can always be had. First without
 * waiting (magazine, cache, reserve). When that fails, recycle: wait for a child of this
 * same parent to end and take its object, so one object per parent in flight is enough
 * to make progress whatever other parents hold. A child still parked on our own submit
 * list would never end while we wait, so our parked bios go to the rescuer first. With
 * no child in flight (or no rescuer: tests only) it is the mempool's wait.
 */
void* chain_next(bc_target* target, ParentState* parent) {
    BioSet& set = *target->bio_set;
    if (void* bio = set.try_alloc(0).bio)
        return bio;
    if (!set.has_rescuer())
        return set.alloc(0, true).bio;
    set.rescue_parked();
    void** slot = &parent->recycle_slot;
    __atomic_store_n(slot, kWanted, __ATOMIC_SEQ_CST);
    // Wait until a child of this parent hands its object over, or none is in flight any
    // more (end_parent_if_last wakes us when the count drops to the bias alone).
    auto done = [slot, parent] {
        return __atomic_load_n(slot, __ATOMIC_ACQUIRE) != kWanted || Chain::in_flight(parent) == 0;
    };
    target->chain_waitq.wait_until(done);
    void* object = nullptr;
    void* expected = kWanted;
    if (!__atomic_compare_exchange_n(slot, &expected, nullptr, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        object = __atomic_exchange_n(slot, nullptr, __ATOMIC_ACQUIRE);  // handed over
    if (object) {
        target->stats->add(Counter::chain_recycles, 1);
        return object;
    }
    return set.alloc(0, true).bio;
}

// The ending child gives its object to a mapper waiting in chain_next for this parent.
bool hand_over(bc_target* target, ParentState* parent, void* child) {
    void* expected = kWanted;
    if (!__atomic_compare_exchange_n(&parent->recycle_slot, &expected, child, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
        return false;
    target->chain_waitq.wake_all();
    return true;
}

// The child being built: not yet issued, so a piece that continues it on the same leg
// is added to it in O(1) (seed 000's contiguity hint) instead of costing an object.
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
    void* bio = chain_next(target, parent);
    if (!bio)
        return false;
    *record_of(target, bio) = ChildRecord{parent, offset, target_sector, piece.leg_sector, sectors, u16(piece.leg), write};
    pending.bio = bio;
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
    return target->layout.leg_range(nr, sector, sectors, leg_sector, leg_count);
}

extern "C" bc_remap bc_target_remap(const bc_target* target, bc_sector_t sector, unsigned int sectors) {
    if (!target->remaps_in_place)
        return bc_remap{0, 0, 0};
    const Piece piece = target->layout.first_piece(sector, sectors, 0, 0);
    bc_remap remap{0, 0, 0};  // 0: it crosses a chunk boundary
    if (piece.sectors == sectors) {
        remap.leg_sector = piece.leg_sector;
        remap.leg = piece.leg;
        remap.remapped = 1;
    }
    return remap;
}

extern "C" int bc_target_remap_offset(const bc_target* target, unsigned int* leg, bc_sector_t* offset) {
    return target->remaps_in_place && target->layout.fixed_offset(leg, offset);
}

extern "C" int bc_target_remap_stripes(const bc_target* target, bc_stripes* stripes) {
    return target->remaps_in_place && target->layout.stripes(stripes);
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
    PendingChild pending;
    for (bc_sector_t offset = 0; !error && offset < sectors;) {
        const unsigned remaining = unsigned(sectors - offset);
        const Piece piece = target->layout.first_piece(sector + offset, remaining, table.max_child_sectors, read_leg);
        const unsigned n = child_sectors(target, parent_bio, offset, piece.sectors);
        if (is_mirror(target) && write) {
            // Every leg that has not failed gets the same piece, as a child of its own.
            const unsigned failed = failed_legs(target);
            if ((failed & ((1u << table.nr_legs) - 1)) == (1u << table.nr_legs) - 1)
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
                    r->leg_sector = target->layout.first_piece(r->target_sector, r->sectors, 0, leg).leg_sector;
                    target->stats->add(Counter::read_retries, 1);
                    bc_env_child_retry(target->shim, child);  // issued again from a worker
                    return;
                }
            }
        }
    }
    ParentState* parent = r->parent;
    if (!hand_over(target, parent, child))
        target->bio_set->free(child, nullptr, 0);
    end_parent_if_last(target, parent, error);
}

extern "C" void bc_target_child_retry(bc_target* target, void* child) {
    issue(target, child, record_of(target, child)->parent->handle);
}

extern "C" const void* bc_bio_owner(const void* bio) { return BioSet::owner_of(bio); }

extern "C" void bc_target_rw_counters(const bc_target* target, bc_rw_counters* counters) {
    counters->percpu = target->stats->percpu();
    for (unsigned kind = BC_IO_READ; kind <= BC_IO_WRITE; ++kind) {
        counters->bios[kind] = Stats::offset(kBios[kind]);
        counters->sectors[kind] = Stats::offset(kSectors[kind]);
    }
}

extern "C" void bc_target_account_io(bc_target* target, bc_io_kind kind, unsigned int sectors) {
    if (kind == BC_IO_READ || kind == BC_IO_WRITE)
        target->stats->add(kBios[kind], 1, kSectors[kind], sectors);
    else
        target->stats->add(kBios[kind], 1);
}

extern "C" void bc_target_account_error(bc_target* target) { target->stats->add(Counter::errors, 1); }
