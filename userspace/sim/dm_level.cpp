// The part of device-mapper a biochain level runs under (drivers/md/dm.c of 6.12, one
// target per table), as far as the split's progress depends on it:
//   - dm_submit_bio / dm_split_and_process_bio: for each bio the level receives (the
//     original), a clone with the target's per-bio data; the target maps the clone;
//   - biochain_map_split (module/dm_target.c) on Path::dm: bio_inc_remaining on the clone
//     for core/, bc_target_map_in_place, dm_accept_partial_bio for what was not accepted,
//     then the clone remapped to the lower device (DM_MAPIO_REMAPPED: submit_bio_noacct)
//     or its own reference ended;
//   - the remainder: the original trimmed past what was accepted, bio_inc_remaining, and
//     submit_bio_noacct: under a submit it is parked behind the bios already issued, and
//     __submit_bio_noacct sorts the lower device's bios first;
//   - clone_endio: the target's end_io (bc_target_in_place_end), then the dm_io's end:
//     bio_endio of the original with the error (the original ends once every clone has);
//     or, when core/ has the clone issued again on another leg (a mirror write's next
//     turn, DM_ENDIO_INCOMPLETE), the shim's worker resubmits it (biochain_retry_clone).
// On Path::split_all the clone goes to bc_target_map (biochain_map_all_children, the way
// REQ_ATOMIC bios take in the module): every piece a child, chain_next, the rescuer.
// DM's own allocations (dm_io, the clone) come from mempools of DM's that are not
// modelled: here they never fail.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "abi/target.h"
#include "block_layer.h"
#include "scheduler.h"

namespace sim {

// One dm_io: the bio DM received and a count of the references on it (the clone's, and
// the submission's until dm_split_and_process_bio is done), with the first error.
struct DmIo {
    Bio* orig;
    int count;
    int status;
};

namespace {

[[noreturn]] void broken(const std::string& what) {
    trace(what);
    std::fprintf(stderr, "sim: %s\n", what.c_str());
    for (const auto& line : trace_tail())
        std::fprintf(stderr, "sim:   %s\n", line.c_str());
    std::abort();
}

// The shim's retry worker (module/dm_target.c's retry_wq): a task that issues the clones
// queued to it from a submit context of its own, NOIO, as biochain_resubmit_clone does.
struct RetryWorker {
    BioList clones;
    bool stopping = false;
};
RetryWorker g_retry;

std::string range(bc_sector_t sector, unsigned sectors) {
    return std::to_string(sectors) + " sectors at " + std::to_string(sector);
}

// dm_io_dec_pending: the last reference ends the original (one bio_endio of it: a
// remainder resubmitted took a reference of its own).
void dm_io_dec(DmIo* io, int error) {
    if (error && !io->status)
        io->status = error;
    if (--io->count)
        return;
    Bio* orig = io->orig;
    const int status = io->status;
    delete io;
    bio_endio(orig, status);
}

// clone_endio: the target's end_io, then the clone's reference on its dm_io.
void clone_end_io(Bio* clone, int error) {
    Device* level = clone->owner;
    // The shim's biochain_end_io: every read and write of a level without a fast path (a
    // child limit) went through bc_target_map_in_place or bc_target_map; only a mirror
    // parent's own leg is judged, with its children's error kept apart in core/, and an
    // old-path parent has none (kNoLeg). The disk never fails, so no mirror read is
    // issued again; a mirror write that carries its copies itself is, leg after leg.
    bc_in_place_end end;
    bc_target_in_place_end(level->target, clone->parent_state, error, &end);
    if (end.retry) {
        if (!end.retryable)
            broken(level->name + " clone " + std::to_string(clone->id) + " is issued again but was not mapped retryable");
        trace(level->name + " clone " + std::to_string(clone->id) + " goes again, to leg " + std::to_string(end.leg) +
              " at " + std::to_string(end.leg_sector));
        clone->sector = end.leg_sector;  // its piece as mapped: a lower level trimmed it
        clone->sectors = clone->mapped_sectors;
        clone->remaining = 1;
        clone->status = 0;
        g_retry.clones.add(clone);
        scheduler().wake(&g_retry);
        return;  // DM_ENDIO_INCOMPLETE
    }
    error = end.error;
    DmIo* io = clone->io;
    trace(level->name + " clone " + std::to_string(clone->id) + " of bio " + std::to_string(io->orig->id) + " ends" +
          (error ? " with " + std::to_string(error) : ""));
    delete[] clone->parent_state;
    delete clone;
    dm_io_dec(io, error);
}

}  // namespace

void start_retry_worker() {
    g_retry = RetryWorker{};
    scheduler().spawn("retry_wq", [] {
        for (;;) {
            if (Bio* clone = g_retry.clones.pop()) {
                trace("retry worker issues clone " + std::to_string(clone->id));
                const bool saved = task_context().noio;
                task_context().noio = true;
                submit_bio_noacct(clone);
                task_context().noio = saved;
                scheduler().yield();
            } else if (g_retry.stopping) {
                return;
            } else {
                scheduler().block(&g_retry);
            }
        }
    });
}

bool retry_worker_idle() { return g_retry.clones.empty(); }

void stop_retry_worker() {
    g_retry.stopping = true;
    scheduler().wake(&g_retry);
}

void dm_submit_bio(Bio* orig) {
    Device* level = orig->dev;
    auto* io = new DmIo{orig, 2, 0};  // the clone's reference and the submission's
    auto* clone = new Bio;
    clone->dev = level;
    clone->sector = orig->sector;
    clone->sectors = orig->sectors;
    clone->write = orig->write;
    clone->owner = level;
    clone->io = io;
    clone->end_io = clone_end_io;
    clone->id = next_clone_id();
    clone->root = orig->root;
    const bc_io_kind kind = orig->write ? BC_IO_WRITE : BC_IO_READ;
    clone->parent_state = new unsigned char[bc_target_parent_state_size(level->target)]();
    const bool saved = task_context().noio;
    task_context().noio = true;  // memalloc_noio_save(): every allocation of the split
    if (level->path == Path::split_all) {
        trace(level->name + " maps bio " + std::to_string(orig->id) + " as clone " + std::to_string(clone->id) +
              ", all children (" + range(orig->sector, orig->sectors) + ")");
        // DM_MAPIO_SUBMITTED: core/ ends the clone through parent_end after its last child.
        bc_target_map(level->target, clone, clone->parent_state, kind, clone->sector, clone->sectors);
        task_context().noio = saved;
        dm_io_dec(io, 0);
        return;
    }
    trace(level->name + " maps bio " + std::to_string(orig->id) + " as clone " + std::to_string(clone->id) +
          " in place (" + range(orig->sector, orig->sectors) + ")");
    bio_inc_remaining(clone);  // core/'s reference: parent_end drops it
    bc_in_place result;
    bc_target_map_in_place(level->target, clone, clone->parent_state, kind, clone->sector, clone->sectors, 0,
                           &result);
    task_context().noio = saved;

    // What DM and the shim rely on (dm_accept_partial_bio's BUG_ONs and progress).
    if (result.accepted > orig->sectors)
        broken(level->name + ": accepted " + std::to_string(result.accepted) + " of " +
               std::to_string(orig->sectors) + " sectors");
    if (!result.error && result.accepted == 0)
        broken(level->name + ": nothing accepted and no error: the remainder would come back forever");
    if (result.remapped && (result.error || result.parent_sectors == 0 || result.parent_sectors > result.accepted))
        broken(level->name + ": remapped " + std::to_string(result.parent_sectors) + " sectors with " +
               std::to_string(result.accepted) + " accepted, error " + std::to_string(result.error));

    const unsigned handed_back = orig->sectors - result.accepted;
    trace(level->name + " clone " + std::to_string(clone->id) +
          (result.error ? ": error " + std::to_string(result.error)
                        : ": accepted " + std::to_string(result.accepted) +
                              (result.remapped ? ", carries " + std::to_string(result.parent_sectors) + " to leg " +
                                                     std::to_string(result.leg) + " at " +
                                                     std::to_string(result.leg_sector)
                                               : ", carries nothing") +
                              (handed_back ? ", hands back " + std::to_string(handed_back) : "")));
    if (result.remapped) {
        clone->dev = level->lower;  // every leg is a range of the one lower device
        clone->sector = result.leg_sector;
        clone->sectors = result.parent_sectors;
        if (result.retryable)
            clone->mapped_sectors = result.parent_sectors;  // biochain_map_split's record
        submit_bio_noacct(clone);  // DM_MAPIO_REMAPPED: dm_submit_bio_remap
    } else {
        clone->sectors = result.accepted;
        bio_endio(clone, 0);  // its own reference: it carries no I/O itself
    }
    if (handed_back) {
        // dm_split_and_process_bio: bio_trim, bio_inc_remaining, submit_bio_noacct.
        orig->sector += result.accepted;
        orig->sectors = handed_back;
        bio_inc_remaining(orig);
        trace(level->name + " resubmits bio " + std::to_string(orig->id) + " (" + range(orig->sector, orig->sectors) +
              ")");
        submit_bio_noacct(orig);
    }
    dm_io_dec(io, 0);  // the submission's reference
}

}  // namespace sim
