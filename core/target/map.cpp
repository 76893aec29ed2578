// The I/O paths of a target: the fast path's parameters, splitting into children,
// completion, mirror read retry, and the bios that go to every leg whole.
#include "abi/fast_path.h"
#include "target/chain.h"
#include "target/layout.h"
#include "target/target.h"

namespace bc {
namespace {

// Whether a child's error fails its mirror leg: not a NOWAIT refusal (AGAIN) nor an
// operation the leg does not support (dm-raid1's rules), which say nothing of its data.
bool fails_leg(int error) { return error != -BC_EAGAIN && error != -BC_EOPNOTSUPP; }

// Counts an error a leg returned (leg<i>_errors): not a NOWAIT refusal (AGAIN), which is
// no error of the leg's and is issued again, as the target's own `errors` leaves it out.
void count_leg_error(bc_target* target, unsigned leg, int error) {
    if (error && error != -BC_EAGAIN)
        target->stats->add(leg, LegCounter::errors, 1);
}

// The counters of each kind of bio; reads and writes count their sectors too.
constexpr Counter kBios[BC_IO_KIND_COUNT] = {Counter::reads,    Counter::writes,       Counter::flushes,
                                             Counter::discards, Counter::write_zeroes, Counter::other};
constexpr Counter kSectors[2] = {Counter::read_sectors, Counter::write_sectors};
static_assert(BC_IO_READ == 0 && BC_IO_WRITE == 1, "kSectors and bc_fast_path are indexed by kind");

// Whether a bio of kind carries data (vecs): a mirror's discard and write-zeroes are
// mapped and copied as writes are, but whole: no segments to count, and no child limit
// (those shape data), so never handed back in part: dm-raid1 never cuts one either, and
// DM's handling of an extent-changing bio accepted in part has changed between versions.
bool carries_data(bc_io_kind kind) { return kind == BC_IO_READ || kind == BC_IO_WRITE; }

// The child limit in sectors for a bio of kind (0: none).
unsigned max_child_sectors(const bc_target* target, bc_io_kind kind) {
    return carries_data(kind) ? target->table.max_child_sectors : 0;
}

// Children of at most max_child_sectors (and the layout's piece), cut so that each spans at
// most max_child_segments vecs, never below one logical block (a block cannot be split).
unsigned child_sectors(const bc_target* target, void* parent, bc_io_kind kind, bc_sector_t offset, unsigned piece) {
    unsigned sectors = piece;
    if (target->table.max_child_segments && carries_data(kind)) {
        sectors = target->ops.sectors_within_segments(target->ctx, parent, offset, sectors,
                                                      target->table.max_child_segments);
        sectors -= sectors % target->block_sectors;
        sectors = min(max(sectors, target->block_sectors), piece);
    }
    return sectors;
}

ChildRecord* record_of(bc_target* target, void* child) {
    return static_cast<ChildRecord*>(target->bio_set->front(child));
}

// Fails a mirror leg: true while another leg holds the data. A watcher hears of it
// (dm_table_event) when this call is the one that failed it.
bool fail_mirror_leg(bc_target* target, unsigned leg) {
    bool newly = false;
    const bool others_hold = target->mirror.fail_leg(leg, &newly);
    if (newly)
        (void)leg_state_changed(target, LegChange::failed);
    return others_hold;
}

// The last region [sector, sector + sectors) touches (its first: region_of(sector)).
u64 last_region(const RegionSync& regions, bc_sector_t sector, bc_sector_t sectors) {
    return regions.region_of(sector + max<bc_sector_t>(sectors, 1) - 1);
}

// Whether every region of [sector, sector + sectors) is in sync (bc_mirror_regions_in_sync).
bool regions_in_sync(const bc_target* target, bc_sector_t sector, bc_sector_t sectors) {
    const RegionSync& regions = target->regions;
    return bc_mirror_regions_in_sync(regions.bits(), regions.region_of(sector), last_region(regions, sector, sectors));
}

// The leg a mirror read goes to (nr_legs: none), by the rule the shim's fast path applies
// too (bc_mirror_read_leg).
unsigned mirror_read_leg(bc_target* target, bc_sector_t sector, bc_sector_t sectors) {
    const RegionSync& regions = target->regions;
    return target->mirror.read_leg(regions.bits(), regions.region_of(sector), last_region(regions, sector, sectors));
}

// The leg a mirror read that failed on failed_leg is issued to again: another live leg
// where its regions are in sync; where they are not, no other leg has the data
// (dm-raid1 does not retry an unsynced region either). nr_legs: none. The legs first, as
// for mirror_read_leg.
unsigned mirror_retry_leg(const bc_target* target, unsigned failed_leg, bc_sector_t sector, bc_sector_t sectors) {
    const unsigned failed = target->mirror.failed();
    if (!regions_in_sync(target, sector, sectors))
        return target->table.nr_legs;
    return target->mirror.read_leg_after(failed_leg, failed);
}

void leave_write_gate(bc_target* target, ParentState* parent);

// A mirror write's regions enter RegionSync's gate (waiting for a resync of one of them
// if may_wait); false, nothing entered, if one is being resynced and it may not wait.
// With a disk log, the write then enters the log (DirtyLog::begin_write): when one of
// its regions' bits is not on the log disk yet, it waits for the log worker's pass that
// writes it (or, if it may not wait, leaves both and is refused with AGAIN).
bool enter_write_gate(bc_target* target, ParentState* parent, bc_sector_t sector, bc_sector_t sectors,
                      bool may_wait) {
    RegionSync& regions = target->regions;
    const u64 first = regions.region_of(sector);
    const u64 last = last_region(regions, sector, sectors);
    const u64 span = last - first + 1;
    // Regions kBuckets apart share a bucket: entering kBuckets of them covers the rest.
    const u32 n = u32(min<u64>(span, RegionSync::kBuckets));
    bool waited = false;
    for (u32 i = 0; i < n; ++i) {
        if (!regions.enter_write(first + i, may_wait, &waited)) {
            while (i--)
                regions.exit_write(first + i);
            return false;
        }
    }
    if (waited)
        target->stats->add(Counter::write_gate_waits, 1);
    parent->gate_first = first;
    parent->gate_last = last;
    parent->gate_regions = n;
    parent->log_epoch = 0;
    if (!target->log.attached())
        return true;
    unsigned epoch = 0;
    bool kick = false;
    const u64 gen = target->log.begin_write(first, last, &epoch, &kick);
    parent->log_epoch = u8(epoch + 1);
    if (kick)
        target->ops.log_kick(target->ctx);
    if (!gen)
        return true;
    if (!may_wait) {
        leave_write_gate(target, parent);
        return false;
    }
    target->stats->add(Counter::log_waits, 1);
    target->log.wait_written(gen);
    return true;
}

// A leg's piece of a mirror write ended with error, which fails no leg: recorded, for
// leave_write_gate.
void note_leg_refused(ParentState* parent, int error) {
    if (error && !fails_leg(error))
        __atomic_store_n(&parent->legs_refused, error, __ATOMIC_RELAXED);
}

// A mirror write leaves the gate of its regions. One that a leg refused (NOTSUPP, AGAIN:
// the leg is not at fault, and stays live) may have landed on the other legs: its
// regions are put out of sync first, while it still holds them (a copy waiting for it
// to drain copies them again), so that the resync makes the legs agree, from the
// source leg, instead of reads returning old and new data by turns. The write ends with
// that error: its caller takes it as not done (blkdev_issue_zeroout writes the zeroes
// itself), and what the source holds is what every leg will hold.
void leave_write_gate(bc_target* target, ParentState* parent) {
    if (parent->gate_regions && __atomic_load_n(&parent->legs_refused, __ATOMIC_RELAXED)) {
        target->stats->add(Counter::write_refusals, 1);
        if (target->regions.mark_out_of_sync(parent->gate_first, parent->gate_last) && target->ops.resync)
            target->ops.resync(target->ctx);
    }
    for (u32 i = 0; i < parent->gate_regions; ++i)
        target->regions.exit_write(parent->gate_first + i);
    parent->gate_regions = 0;
    if (parent->log_epoch)
        target->log.end_write(parent->log_epoch - 1u);
    parent->log_epoch = 0;
}

// A mirror's in-place parent keeps its children's error in Chain::error for its own end
// (bc_target_in_place_end), which must tell it apart from the parent's own leg's error:
// folded into the parent's status here, a child's AGAIN would hide the parent's failed
// leg, and a failed leg the retry it allows.
// A parent that carries no piece itself (kNoLeg) ends here, and a mirror write among
// them leaves the write gate first: once it has ended the target may go.
void end_parent_if_last(bc_target* target, ParentState* parent, int error) {
    if (!target->chain.end(parent, error))
        return;
    if (parent->parent_leg == kNoLeg && parent->gate_regions)
        leave_write_gate(target, parent);
    target->ops.parent_end(target->ctx, parent->handle, parent->parent_leg == kNoLeg ? Chain::error(parent) : 0);
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

// The parent's inline child objects (bc_target_parent_state_size): the bio of slot i.
char* inline_bio(const bc_target* target, ParentState* parent, unsigned slot) {
    char* object = reinterpret_cast<char*>(parent) + target->inline_offset + slot * target->inline_stride;
    return static_cast<char*>(target->bio_set->bio_of(object));
}

// Which of parent's inline slots bio is, or -1 when it is the BioSet's.
int inline_slot(const bc_target* target, ParentState* parent, const void* bio) {
    for (unsigned slot = 0; slot < target->inline_children; ++slot)
        if (bio == inline_bio(target, parent, slot))
            return int(slot);
    return -1;
}

void issue_pending(bc_target* target, ParentState* parent, PendingChild& pending) {
    if (!pending.bio)
        return;
    Chain::add_child(parent);
    target->stats->add(Counter::children, 1);
    if (inline_slot(target, parent, pending.bio) >= 0)
        target->stats->add(Counter::children_inline, 1);
    void* bio = pending.bio;
    pending.bio = nullptr;
    issue(target, bio, parent->handle);
}

// How a new child's object is had: only what is at hand (the parent's own, magazine,
// depot, cache, reserve), or, when that is nothing, chain_next (may wait, recycling an
// earlier child of the same parent).
enum class Take { wait, at_hand };

// A free inline object of parent's, first: DM allocated it with the clone, from its own
// mempool, so under pressure the first pieces of a split and a mirror write's copies cost
// the BioSet nothing. The owner word is the BioSet's, as on its objects: the rescuer
// tells our children by it. Only the mapper takes, so the bit it saw set stays set until
// it clears it; a child's end may set others meanwhile.
void* inline_at_hand(bc_target* target, ParentState* parent) {
    const u32 free = __atomic_load_n(&parent->inline_free, __ATOMIC_ACQUIRE);
    if (!free)
        return nullptr;
    const unsigned slot = unsigned(__builtin_ctz(free));
    __atomic_fetch_and(&parent->inline_free, ~(1u << slot), __ATOMIC_RELAXED);
    char* bio = inline_bio(target, parent, slot);
    *reinterpret_cast<BioSet**>(bio - sizeof(BioSet*)) = target->bio_set;
    return bio;
}

// The parent's own, else the shim's inline magazine hit, else the BioSet's miss
// (ops.child_alloc).
void* object_at_hand(bc_target* target, ParentState* parent) {
    if (void* object = inline_at_hand(target, parent))
        return object;
    return target->ops.child_alloc(target->ctx, &target->magazine);
}

// Back to the parent's slots, or to the BioSet. The release orders the child's last use
// of the object before the mapper's next take of it.
void free_object(bc_target* target, ParentState* parent, void* object) {
    const int slot = inline_slot(target, parent, object);
    if (slot >= 0)
        __atomic_fetch_or(&parent->inline_free, 1u << slot, __ATOMIC_RELEASE);
    else
        target->ops.child_free(target->ctx, &target->magazine, object);
}

void* take_object(bc_target* target, ParentState* parent, Take take) {
    if (void* object = object_at_hand(target, parent))
        return object;
    return take == Take::wait ? target->chain.next(parent) : nullptr;
}

// A parent's state at a map call: Chain's, and every inline object free.
void begin_parent(bc_target* target, ParentState* parent, void* parent_bio) {
    Chain::begin(parent, parent_bio);
    parent->inline_free = (1u << target->inline_children) - 1;
}

// The object bio becomes the child for piece (at offset in the parent's data): its record.
void* begin_child(bc_target* target, void* bio, ParentState* parent, bc_sector_t offset, bc_sector_t target_sector,
                  const Piece& piece, bool write, bool readahead) {
    *record_of(target, bio) =
        ChildRecord{parent, offset, target_sector, piece.leg_sector, piece.sectors, u16(piece.leg), write, readahead};
    return bio;
}

// Adds a piece: merged into the pending child when it continues it, else the pending
// child is issued and a new one begun. False only if no object could be had.
bool add_piece(bc_target* target, ParentState* parent, PendingChild& pending, bc_sector_t offset,
               bc_sector_t target_sector, const Piece& piece, unsigned sectors, bool write,
               Take take = Take::wait, bool readahead = false) {
    if (pending.bio) {
        ChildRecord* r = record_of(target, pending.bio);
        if (merges_into(target, r, piece, sectors)) {
            r->sectors += sectors;
            target->stats->add(Counter::merges, 1);
            return true;
        }
        issue_pending(target, parent, pending);
    }
    void* bio = take_object(target, parent, take);
    if (!bio)
        return false;
    pending.bio = begin_child(target, bio, parent, offset, target_sector, {piece.leg, piece.leg_sector, sectors}, write,
                              readahead);
    return true;
}

// ----------------------------------------------------------------- in place (DM's clone)

// One bc_target_map_in_place: the parent, its range, and how far it got.
struct InPlace {
    bc_target* target;
    ParentState* parent;
    void* parent_bio;
    bc_sector_t sector;
    unsigned sectors;
    bc_io_kind kind;
    bool write;
    bool nowait;
    bool readahead;
    bc_in_place* result;
    bc_sector_t offset = 0;  // sectors of the parent mapped so far

    // The next piece, at offset, on leg (a mirror's; striped and linear ignore it).
    Piece next_piece(unsigned leg) const {
        const Piece piece = target->layout.first_piece(sector + offset, unsigned(sectors - offset),
                                                       max_child_sectors(target, kind), leg);
        return {piece.leg, piece.leg_sector, child_sectors(target, parent_bio, kind, offset, piece.sectors)};
    }

    // The parent carries piece itself.
    void remap_parent(const Piece& piece) {
        result->remapped = 1;
        result->leg = piece.leg;
        result->leg_sector = piece.leg_sector;
        result->parent_sectors = piece.sectors;
    }

    // Whether piece continues the parent's own piece on its leg (Richter's contiguity, as
    // merges_into for a child): only while no child has been cut after the parent's piece.
    bool continues_parent(const Piece& piece) const {
        const bc_table& table = target->table;
        return result->remapped && offset == result->parent_sectors && piece.leg == result->leg &&
               result->leg_sector + result->parent_sectors == piece.leg_sector && !table.max_child_segments &&
               (!table.max_child_sectors || result->parent_sectors + piece.sectors <= table.max_child_sectors);
    }
};

// Linear, striped, and a mirror's read on leg: the parent takes the first piece; further
// pieces are children of objects at hand, and the first that finds none ends the split
// there.
int split_in_place(InPlace& split, unsigned leg = 0) {
    bc_target* target = split.target;
    split.remap_parent(split.next_piece(leg));
    split.offset = split.result->parent_sectors;
    PendingChild pending;
    while (split.offset < split.sectors) {
        const Piece piece = split.next_piece(leg);
        if (split.continues_parent(piece)) {
            split.result->parent_sectors += piece.sectors;
            target->stats->add(Counter::merges, 1);
        } else if (!add_piece(target, split.parent, pending, split.offset, split.sector + split.offset, piece,
                              piece.sectors, split.write, Take::at_hand, split.readahead)) {
            break;
        }
        split.offset += piece.sectors;
    }
    issue_pending(target, split.parent, pending);
    return 0;
}

// A mirror's parent carries its first piece itself on leg: what its end needs.
void record_parent_piece(InPlace& split, unsigned leg) {
    ParentState* parent = split.parent;
    parent->parent_leg = leg;
    parent->parent_write = split.write;
    parent->parent_readahead = split.readahead;
    parent->parent_sector = split.sector;
    parent->parent_sectors = split.result->parent_sectors;
    parent->parent_retryable = false;
    parent->parent_landed = 0;
    parent->parent_turns = 0;
}

// One child per leg of mask for piece (copies of a mirror write), issued together, of
// objects at hand: all or none (false, nothing issued, when one is missing).
bool issue_copies(InPlace& split, const Piece& piece, unsigned mask) {
    bc_target* target = split.target;
    void* objects[BC_MAX_LEGS] = {};
    for (unsigned leg = 0; leg < target->table.nr_legs; ++leg) {
        if (!(mask >> leg & 1))
            continue;
        if (!(objects[leg] = object_at_hand(target, split.parent))) {
            for (void* object : objects)
                if (object)
                    free_object(target, split.parent, object);
            return false;
        }
    }
    for (unsigned leg = 0; leg < target->table.nr_legs; ++leg) {
        if (!(mask >> leg & 1))
            continue;
        const Piece copy = target->layout.first_piece(split.sector + split.offset, piece.sectors, 0, leg);
        PendingChild pending{begin_child(target, objects[leg], split.parent, split.offset,
                                         split.sector + split.offset, {leg, copy.leg_sector, piece.sectors}, true,
                                         false)};
        issue_pending(target, split.parent, pending);
    }
    return true;
}

// Mirror write: the parent goes to the first live leg, a copy to every other live leg,
// all at hand or none; a further piece only with all its copies at hand. Without them
// the parent carries the copies itself, one leg after another (bc_target_in_place_end
// has it issued again on the next leg, as a read is retried): the mapper never waits for
// an object, so writes under pressure do not take turns through one reserve. A NOWAIT
// write is refused instead: its turns would wait in the shim's worker.
int mirror_write_in_place(InPlace& split) {
    bc_target* target = split.target;
    const unsigned failed = target->mirror.failed();
    if (target->mirror.all_failed(failed))
        return -BC_EIO;
    const unsigned live = ~failed & ((1u << target->table.nr_legs) - 1);
    const unsigned first_leg = unsigned(__builtin_ctz(live));
    const unsigned others = live & ~(1u << first_leg);
    const Piece first = split.next_piece(first_leg);
    const bool copied = issue_copies(split, first, others);
    if (!copied && split.nowait)
        return -BC_EAGAIN;
    split.remap_parent(first);
    record_parent_piece(split, first_leg);
    split.offset = first.sectors;
    if (!copied) {
        split.parent->parent_turns = u16(others);
        split.parent->parent_retryable = true;
        split.result->retryable = 1;
        return 0;  // a further piece would find nothing at hand either: DM has it back
    }
    while (split.offset < split.sectors) {
        const Piece piece = split.next_piece(first_leg);
        if (!issue_copies(split, piece, live))
            break;
        split.offset += piece.sectors;
    }
    return 0;
}

// Mirror read: the parent reads its first piece itself from the next read leg, as
// dm-raid1's mirror_map does, and is issued again on another leg if that fails
// (bc_target_in_place_end); further pieces are children at hand, each retried alone. So
// a read never waits for an object, and a NOWAIT read is never refused for want of one.
int mirror_read_in_place(InPlace& split) {
    const unsigned read_leg = mirror_read_leg(split.target, split.sector, split.sectors);
    if (read_leg == split.target->table.nr_legs)
        return -BC_EIO;
    split.target->mirror.read_begins(read_leg);  // until its end (judge_in_place_end)
    split_in_place(split, read_leg);
    record_parent_piece(split, read_leg);
    split.parent->parent_retryable = true;
    split.result->retryable = 1;
    return 0;
}

}  // namespace
}  // namespace bc

using namespace bc;

extern "C" unsigned int bc_target_parent_state_size(const bc_target* target) {
    return unsigned(target->inline_offset + target->inline_children * target->inline_stride);
}

extern "C" void bc_target_parent_refused(void* parent_state, void* parent) {
    Chain::begin(static_cast<ParentState*>(parent_state), parent);
}

extern "C" unsigned int bc_target_whole_bios(const bc_target* target) { return target->table.nr_legs; }

// One clone where writes are copied (bc_fast_path.writes_copied, the rule the shim maps by).
extern "C" unsigned int bc_target_discard_bios(const bc_target* target) {
    return is_mirror(target) ? 1 : target->table.nr_legs;
}

extern "C" int bc_target_map_whole(bc_target* target, bc_io_kind kind, unsigned int nr, bc_sector_t sector,
                                   bc_sector_t sectors, unsigned int* leg, bc_sector_t* leg_sector,
                                   bc_sector_t* leg_count) {
    if (nr >= target->table.nr_legs)
        return 0;
    *leg = nr;
    if (is_mirror(target)) {
        // A mirror's discard or write-zeroes is one clone, mapped as a write
        // (bc_target_discard_bios): never here, where it would pass the write gate leg by
        // leg, and a copy could fall between its legs.
        if (kind != BC_IO_FLUSH)
            return -BC_EIO;
        const unsigned failed = target->mirror.failed();
        if (target->mirror.all_failed(failed))
            return -BC_EIO;  // nothing holds the data: never a success, never a hang
        if (failed >> nr & 1)
            return 0;  // a failed leg is not flushed: its data is stale
    }
    if (kind == BC_IO_FLUSH) {
        target->stats->add(nr, LegCounter::flushes, 1);
        *leg_sector = target->table.legs[nr].offset;
        *leg_count = 0;
        return 1;
    }
    return target->layout.leg_range(nr, sector, sectors, leg_sector, leg_count);
}

extern "C" int bc_target_whole_end(bc_target* target, unsigned int nr, int error) {
    if (!is_mirror(target))
        return error;
    if (error) {
        count_leg_error(target, nr, error);
        if (fails_leg(error) && fail_mirror_leg(target, nr))
            error = 0;  // another live leg has it: the mirror goes on degraded
    }
    return error;
}

extern "C" void bc_target_leg_flush_error(bc_target* target, unsigned int leg, int error) {
    if (!is_mirror(target) || leg >= target->table.nr_legs || !error)
        return;
    count_leg_error(target, leg, error);
    if (fails_leg(error))
        (void)fail_mirror_leg(target, leg);
}

extern "C" void bc_target_fast_path(bc_target* target, bc_fast_path* path) {
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
    if (table.layout == BC_LAYOUT_MIRROR)
        path->mirror = target->mirror.legs();
    if (table.layout == BC_LAYOUT_MIRROR && !table.max_child_sectors && !table.max_child_segments) {
        path->mirror_whole = 1;
        path->in_sync = target->regions.bits();
        path->region_shift = unsigned(__builtin_ctz(target->regions.region_sectors()));
        for (unsigned leg = 0; leg < table.nr_legs; ++leg)
            path->leg_offsets[leg] = target->layout.first_piece(0, 1, 0, leg).leg_sector;
    }
    path->writes_copied = table.layout == BC_LAYOUT_MIRROR;
    path->ends_judged = table.layout == BC_LAYOUT_MIRROR;
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
    begin_parent(target, parent, parent_bio);
    int error = 0;
    unsigned read_leg = 0;
    if (is_mirror(target) && write)
        enter_write_gate(target, parent, sector, sectors, true);
    if (is_mirror(target) && !write) {
        read_leg = mirror_read_leg(target, sector, sectors);
        if (read_leg == table.nr_legs)
            error = -BC_EIO;
    }
    PendingChild pending;
    for (bc_sector_t offset = 0; !error && offset < sectors;) {
        const unsigned remaining = unsigned(sectors - offset);
        const Piece piece =
            target->layout.first_piece(sector + offset, remaining, max_child_sectors(target, kind), read_leg);
        const unsigned n = child_sectors(target, parent_bio, kind, offset, piece.sectors);
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

extern "C" void bc_target_map_in_place(bc_target* target, void* parent_bio, void* parent_state, bc_io_kind kind,
                                       bc_sector_t sector, unsigned int sectors, unsigned int flags,
                                       bc_in_place* result) {
    auto* parent = static_cast<ParentState*>(parent_state);
    const bool write = kind != BC_IO_READ;
    *result = bc_in_place{};
    begin_parent(target, parent, parent_bio);
    InPlace split{target,
                  parent,
                  parent_bio,
                  sector,
                  sectors,
                  kind,
                  write,
                  (flags & BC_MAP_NOWAIT) != 0,
                  (flags & BC_MAP_READAHEAD) != 0,
                  result};
    int error;
    if (!is_mirror(target)) {
        error = split_in_place(split);
    } else if (write) {
        // NOWAIT: a region being resynced refuses rather than waits
        error = enter_write_gate(target, parent, sector, sectors, !split.nowait) ? mirror_write_in_place(split)
                                                                                  : -BC_EAGAIN;
        if (error && parent->gate_regions)
            leave_write_gate(target, parent);
    } else {
        error = mirror_read_in_place(split);
    }
    result->error = error;
    if (error) {
        result->remapped = 0;
        result->accepted = sectors;  // DM ends the whole bio with the error: nothing comes back
    } else {
        result->accepted = unsigned(split.offset);
    }
    // A refusal (AGAIN) is issued again later and counted then; a bio handed back in part
    // is counted when its last piece is accepted, its sectors as they are.
    if (error != -BC_EAGAIN) {
        if (result->accepted == sectors)
            target->stats->add(kBios[kind], 1);
        else
            target->stats->add(Counter::partial_accepts, 1);
        if (carries_data(kind))
            target->stats->add(kSectors[kind], result->accepted);
    }
    end_parent_if_last(target, parent, error);  // drops the bias
}

namespace {
// The error a bio ends with, of its parent's own and its children's: a real error over a
// NOWAIT refusal (which would send a failed read back to be issued again), else the first.
int worse_error(int own, int children) {
    if (!own || (own == -BC_EAGAIN && children))
        return children;
    return own;
}
}  // namespace

namespace {
// Aims a read or write's piece [sector, sector + sectors) at leg: what the shim issues it
// to again.
void aim_retry(bc_target* target, unsigned leg, bc_sector_t sector, bc_sector_t sectors, bc_in_place_end* end) {
    end->error = 0;
    end->retry = 1;
    end->leg = leg;
    end->leg_sector = target->layout.first_piece(sector, unsigned(sectors), 0, leg).leg_sector;
}

// Aims a retryable parent's piece at leg.
void retry_on(bc_target* target, ParentState* parent, unsigned leg, bc_in_place_end* end) {
    parent->parent_leg = leg;  // judged again when that I/O ends
    aim_retry(target, leg, parent->parent_sector, parent->parent_sectors, end);
}

// A mirror read's own piece ended on leg with error (the leg's count ends here): true if
// the error fails the leg and another leg still holds the data. AGAIN and NOTSUPP say
// nothing about the leg's data, nor does a failed readahead.
bool read_failed_its_leg(bc_target* target, unsigned leg, bool readahead, int error) {
    target->mirror.read_ends(leg);
    if (!error)
        return false;
    count_leg_error(target, leg, error);
    return fails_leg(error) && !readahead && fail_mirror_leg(target, leg);
}

// Where a read that failed its leg goes again: counted there; nr_legs: nowhere.
unsigned read_retry_leg(bc_target* target, unsigned failed_leg, bc_sector_t sector, bc_sector_t sectors) {
    const unsigned leg = mirror_retry_leg(target, failed_leg, sector, sectors);
    if (leg < target->table.nr_legs) {
        target->stats->add(Counter::read_retries, 1);
        target->mirror.read_begins(leg);
    }
    return leg;
}

// A mirror write's parent has written its piece to parent_leg, with error. Its copies
// were children (the parent's leg failed: they hold the data), or the parent carries them
// itself in turns: the next live leg whose turn it is, else the end, written if a leg
// that has it is still live. An error fails the leg, except one that says nothing of the
// leg's data (AGAIN, NOTSUPP): before any leg has it, nothing was written and the write
// ends with that error, to be issued again or failed as a whole; once a live leg has
// it, the leg stays live, the write goes on to the next turn and ends with that error,
// and leave_write_gate has its regions resynced (note_leg_refused), so that legs that
// differ do not return old and new data by turns. The same as for copies as children.
void end_write(bc_target* target, ParentState* parent, int own, int children, bc_in_place_end* end) {
    if (!parent->parent_retryable) {
        note_leg_refused(parent, own);
        if (own && fails_leg(own) && fail_mirror_leg(target, parent->parent_leg))
            own = 0;  // the copies landed: the mirror goes on degraded
        end->error = worse_error(own, children);
        return;
    }
    if (!own) {
        parent->parent_landed = u16(parent->parent_landed | 1u << parent->parent_leg);
    } else if (fails_leg(own)) {
        fail_mirror_leg(target, parent->parent_leg);
    } else if (!(parent->parent_landed & ~target->mirror.failed())) {
        end->error = worse_error(own, children);  // no live leg has it: nothing to undo
        return;
    } else {
        note_leg_refused(parent, own);
    }
    const unsigned next = parent->parent_turns & ~target->mirror.failed();
    if (next) {
        const unsigned leg = unsigned(__builtin_ctz(next));
        parent->parent_turns = u16(next & ~(1u << leg));
        target->stats->add(Counter::write_turns, 1);
        retry_on(target, parent, leg, end);
        return;
    }
    if (parent->parent_landed & ~target->mirror.failed())
        own = 0;  // the legs that failed on their turn are failed: degraded
    else if (!own)
        own = -BC_EIO;  // its leg failed (another write's error) after it landed
    end->error = worse_error(worse_error(own, __atomic_load_n(&parent->legs_refused, __ATOMIC_RELAXED)), children);
}
}  // namespace

namespace {
void judge_in_place_end(bc_target* target, ParentState* parent, int error, bc_in_place_end* end) {
    *end = bc_in_place_end{error, 0, 0, 0, 0};
    // Only a mirror parent's own leg is ours to judge (error is then its own piece's
    // alone, and its children's is Chain::error, judged at each child's end): elsewhere
    // error already holds the children's.
    if (parent->parent_leg == kNoLeg)
        return;
    end->retryable = parent->parent_retryable;
    const int children = Chain::error(parent);
    int own = error;
    if (parent->parent_write) {
        count_leg_error(target, parent->parent_leg, own);
        end_write(target, parent, own, children, end);
        return;
    }
    if (read_failed_its_leg(target, parent->parent_leg, parent->parent_readahead, own)) {
        if (!children) {
            const unsigned leg =
                read_retry_leg(target, parent->parent_leg, parent->parent_sector, parent->parent_sectors);
            if (leg < target->table.nr_legs) {
                retry_on(target, parent, leg, end);
                return;
            }
        } else if (children == -BC_EAGAIN) {
            // A child was refused (NOWAIT): the whole bio goes back to be issued again,
            // and its read then goes to a leg that has not failed.
            own = -BC_EAGAIN;
        }
    }
    end->error = worse_error(own, children);
}
}  // namespace

extern "C" void bc_target_in_place_end(bc_target* target, void* parent_state, int error, bc_in_place_end* end) {
    auto* parent = static_cast<ParentState*>(parent_state);
    judge_in_place_end(target, parent, error, end);
    if (!end->retry && parent->gate_regions)
        leave_write_gate(target, parent);  // its last turn: the region may be resynced
}

extern "C" void bc_target_mirror_read_end(bc_target* target, unsigned int leg, bc_sector_t sector,
                                          unsigned int sectors, unsigned int flags, int error, bc_in_place_end* end) {
    *end = bc_in_place_end{error, 1, 0, 0, 0};
    if (read_failed_its_leg(target, leg, (flags & BC_MAP_READAHEAD) != 0, error)) {
        const unsigned next = read_retry_leg(target, leg, sector, sectors);
        if (next < target->table.nr_legs)
            aim_retry(target, next, sector, sectors, end);
    }
}

extern "C" void bc_target_child_end(bc_target* target, void* child, int error) {
    // Our count-down may let the parent end and the target go while we still wake its
    // queue (Chain::hand_over, Chain::end): destroy_target waits for this section.
    ReadSection section;
    ChildRecord* r = record_of(target, child);
    if (error) {
        count_leg_error(target, r->leg, error);
        if (is_mirror(target) && r->write)
            note_leg_refused(r->parent, error);
        if (is_mirror(target) && fails_leg(error) && !r->readahead && fail_mirror_leg(target, r->leg)) {
            if (r->write) {
                error = 0;  // another leg holds the data: the mirror goes on degraded
            } else {
                const unsigned leg = mirror_retry_leg(target, r->leg, r->target_sector, r->sectors);
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
    // Before the parent can end: after that the target may go, magazines and all.
    if (!target->chain.hand_over(parent, child))
        free_object(target, parent, child);
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
