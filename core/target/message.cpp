// `dmsetup message` to a target: "stats reset", "fail_alloc <percent>", "reserve <n>".
// The bounds are abi/limits.h's, the same the table's features have.
#include "abi/limits.h"
#include "base/number.h"
#include "base/result.h"
#include "target/target.h"

namespace bc {
namespace {

constexpr const char* kFailAllocRange =
    "fail_alloc: must be a number from " BC_STRINGIFY(BC_FAIL_ALLOC_MIN) " to " BC_STRINGIFY(BC_FAIL_ALLOC_MAX);
constexpr const char* kReserveRange =
    "reserve: must be a number from " BC_STRINGIFY(BC_RESERVE_MIN) " to " BC_STRINGIFY(BC_RESERVE_MAX);

// A message's number: one sentence, the range, for every way it can be wrong.
Result<u64> message_number(const char* word, u64 min, u64 max, const char* range) {
    const u64 value = BC_TRY(parse_u64(word, max, {range, range, range, range}));
    if (value < min)
        return invalid(range);
    return value;
}

// A failed mirror leg back in service: every region out of sync first, then the leg
// resyncing, then live, so that no read trusts it before the resync has copied to it.
// Under state_lock against a resync pass's end, which clears resyncing legs. Refused
// when no other leg is live and in sync: with every region out of sync, nothing could
// be read or copied from (the source of an initial resync that failed half-way, say;
// the other leg still resyncing holds only the regions copied so far, which it serves
// as long as the leg stays failed).
Status reinstate(bc_target* target, const char* word) {
    if (!is_mirror(target))
        return invalid("reinstate: for a mirror only");
    constexpr const char* kLegRange = "reinstate: <leg> must be a leg number of the mirror";
    const u64 leg = BC_TRY(message_number(word, 0, target->table.nr_legs - 1, kLegRange));
    // With a disk log, the leg is reinstated under the lock a pass is taken under, once
    // every region is dirty: a pass that has the leg resyncing has those bits too, and
    // writes them before its header. The message returns once it is on the disk (a crash
    // before that finds the leg failed, as it was).
    u64 gen = 0;
    {
        Guard guard(target->state_lock);
        if (!target->mirror.is_failed(unsigned(leg)))
            return invalid("reinstate: the leg has not failed");
        if (target->mirror.source_leg(target->mirror.failed() | 1u << leg) == target->table.nr_legs)
            return invalid("reinstate: no other leg holds the data to resync it from (each has failed or is resyncing)");
        target->regions.mark_all_out_of_sync();
        if (target->log.attached())
            gen = target->log.mark_dirty(0, target->regions.nr_regions() - 1, true,
                                         [&] { target->mirror.reinstate(unsigned(leg)); });
        else
            target->mirror.reinstate(unsigned(leg));
    }
    if (gen) {
        (void)leg_state_changed(target, LegChange::reinstated);  // the kick
        target->log.wait_written(gen);
    }
    if (target->ops.resync)
        target->ops.resync(target->ctx);
    return {};
}

Status handle_message(bc_target* target, unsigned argc, char** argv) {
    if (argc == 2 && str_equal(argv[0], "stats") && str_equal(argv[1], "reset")) {
        target->stats->reset();
        target->bio_set->reset_counts();
        target->bio_set->bio_pool().reset_low_water();
        return {};
    }
    if (argc == 2 && str_equal(argv[0], "fail_alloc")) {
        const u64 percent = BC_TRY(message_number(argv[1], BC_FAIL_ALLOC_MIN, BC_FAIL_ALLOC_MAX, kFailAllocRange));
        target->bio_set->faults().set_percent(unsigned(percent));
        return {};
    }
    if (argc == 2 && str_equal(argv[0], "reserve")) {
        const u64 size = BC_TRY(message_number(argv[1], BC_RESERVE_MIN, BC_RESERVE_MAX, kReserveRange));
        // The set's own sentence does not say which message failed; the user's word does.
        const Status resized = target->bio_set->resize_reserve(unsigned(size));
        if (!resized.ok())
            return Error{resized.error().code, "reserve: cannot allocate the larger reserve"};
        return {};
    }
    if (argc == 2 && str_equal(argv[0], "reinstate"))
        return reinstate(target, argv[1]);
    return invalid("Unknown message");
}

}  // namespace
}  // namespace bc

extern "C" int bc_target_message(bc_target* target, unsigned int argc, char** argv, const char** error) {
    return bc::to_abi(bc::handle_message(target, argc, argv), error);
}
