// A mirror's disk log at the target's level: what its header says of the legs, how a
// table takes its state from the log, and the log worker's passes and cleaning rounds
// (the shim does the I/O; DirtyLog keeps the bits; log_format.h is the disk's form).
#include "abi/target.h"
#include "target/target.h"

namespace bc {
namespace {

LogHeader header_of(const bc_target* target, u64 seq, unsigned failed, unsigned resyncing) {
    LogHeader header{};
    header.seq = seq;
    header.target_sectors = target->sectors;
    header.region_sectors = target->regions.region_sectors();
    header.nr_regions = target->regions.nr_regions();
    header.nr_legs = target->table.nr_legs;
    header.failed = failed;
    header.resyncing = resyncing;
    for (unsigned leg = 0; leg < target->table.nr_legs; ++leg) {
        header.leg_ids[leg] = target->leg_ids[leg];
        header.leg_offsets[leg] = target->table.legs[leg].offset;
    }
    return header;
}

// The leg of the header that is the target's leg (same identity, same offset), or nr_legs.
unsigned logged_leg(const LogHeader& header, const bc_target* target, unsigned leg) {
    for (unsigned i = 0; i < header.nr_legs; ++i)
        if (header.leg_ids[i] == target->leg_ids[leg] && header.leg_offsets[i] == target->table.legs[leg].offset)
            return i;
    return header.nr_legs;
}

const u8* block_at(const void* blocks, u64 index) { return static_cast<const u8*>(blocks) + index * kLogBlockBytes; }

}  // namespace

u64 leg_state_changed(bc_target* target, LegChange change) {
    if (change != LegChange::reinstated && target->ops.event)
        target->ops.event(target->ctx);
    if (!target->log.attached())
        return 0;
    const u64 gen = target->log.mark_header();
    if (change == LegChange::failed) {
        u64 was = __atomic_load_n(&target->log_failure_gen, __ATOMIC_RELAXED);
        while (was < gen &&
               !__atomic_compare_exchange_n(&target->log_failure_gen, &was, gen, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
        }
    }
    target->ops.log_kick(target->ctx);
    return gen;
}

}  // namespace bc

using namespace bc;

extern "C" unsigned long long bc_target_log_blocks(const bc_target* target) {
    return target->log.attached() ? log_blocks(target->log.nr_regions()) : 0;
}

extern "C" int bc_target_log_check(const bc_target* target, const void* header0, const void* header1,
                                   const char** error) {
    LogHeader header{};
    const Result<LogRead> read = decode_log_header(static_cast<const u8*>(header0), static_cast<const u8*>(header1),
                                                   &header);
    if (!read.ok())
        return to_abi(Status(read.error()), error);
    if (read.value() == LogRead::blank)
        return 0;
    return to_abi(check_log_geometry(header, target->sectors, target->regions.region_sectors(),
                                     target->regions.nr_regions()),
                  error);
}

// The table's own state (a new log: legs 1.. resyncing, every region out of sync and
// dirty unless nosync; create_target set it) stands for a blank log; a log that knows
// none of the legs makes them a new mirror's (never nosync), or is refused when it
// records a leg failed or resyncing. A refused log leaves the table as it was, to be
// read again at the next resume.
extern "C" int bc_target_log_load(bc_target* target, const void* blocks, const char** error) {
    if (!target->log.attached() || target->log_loaded)
        return 0;
    LogHeader header{};
    const Result<LogRead> read = decode_log_header(block_at(blocks, 0), block_at(blocks, 1), &header);
    if (!read.ok())
        return to_abi(Status(read.error()), error);
    if (read.value() == LogRead::blank) {
        target->log_loaded = true;
        target->log.include_out_of_sync(target->regions);  // a reload's state, say
        target->log_written_failed = ~0u;  // nothing on the disk: the first header is whole
        return 0;
    }
    RegionSync& regions = target->regions;
    const Status geometry = check_log_geometry(header, target->sectors, regions.region_sectors(), regions.nr_regions());
    if (!geometry.ok())
        return to_abi(geometry, error);
    unsigned failed = 0, resyncing = 0;
    bool replaced = false, known = false;
    for (unsigned leg = 0; leg < target->table.nr_legs; ++leg) {
        const unsigned was = logged_leg(header, target, leg);
        if (was < header.nr_legs) {
            failed |= (header.failed >> was & 1) << leg;
            resyncing |= (header.resyncing >> was & 1) << leg;
            known = true;
        } else {
            resyncing |= 1u << leg;  // a leg the log does not know: it holds nothing yet
            replaced = true;
        }
    }
    const unsigned all = (1u << target->table.nr_legs) - 1;
    // What a reload carried (the previous table's state, in memory) stands beside the
    // disk's: that table may have known more (its log failed, or this log is an older
    // one): a leg failed or resyncing on either is so, a region in sync on both is.
    const bool carried = target->state_carried;
    if (carried) {
        failed |= target->mirror.failed();
        resyncing |= target->mirror.resyncing();
    }
    if (!known) {
        // Another mirror's log, or these legs under other device numbers (a reboot may
        // renumber them): a leg it records failed or resyncing cannot be placed, and
        // might be any of these: refused rather than guessed.
        if ((header.failed | header.resyncing) & ((1u << header.nr_legs) - 1))
            return to_abi(Status(invalid("log: records a failed or resyncing leg that is none of the table's "
                                         "(device numbers changed?): not overwritten")),
                          error);
        // Else this table's legs as a new mirror's, never as nosync: every region from
        // the first live leg (a failure a reload carried stands).
        target->log_loaded = true;
        target->log_seq = header.seq;
        target->log_written_failed = header.failed;
        target->log_written_resyncing = header.resyncing;
        failed = carried ? target->mirror.failed() : 0;
        const unsigned live = all & ~failed;
        resyncing = live & ~(live & (0u - live));
        regions.mark_all_out_of_sync();
        (void)target->log.mark_dirty(0, regions.nr_regions() - 1, true);
        target->mirror.set_state(failed, resyncing);
        return 0;
    }
    // A region is in sync unless the log marks it dirty; nosync does not apply to a log
    // that exists (a crash's dirty regions are resynced whatever the table says).
    target->log_loaded = true;
    target->log_seq = header.seq;
    DirtyLog& log = target->log;
    log.reset_bitmap(block_at(blocks, kLogHeaderCopies));
    regions.load_with([&log, &regions, carried](u64 i) {
        return ~log.dirty_word(i) & (carried ? regions.in_sync_word(i) : ~u64(0));
    });
    if (replaced) {
        regions.mark_all_out_of_sync();
        (void)log.mark_dirty(0, regions.nr_regions() - 1, true);
    }
    log.include_out_of_sync(regions);
    target->mirror.set_state(failed, resyncing);
    target->log_written_failed = header.failed;
    target->log_written_resyncing = header.resyncing;
    return 0;
}

// The legs' states are taken under the lock a reinstate changes them under (with its
// bits), and a header adding a failure goes before the bitmap blocks, whose cleared bits
// a crash must not find beside a header that has the failed leg live.
extern "C" int bc_target_log_pass_begin(bc_target* target, bc_log_pass* pass) {
    bool header = false;
    u64 gen = 0;
    unsigned failed = 0, resyncing = 0;
    *pass = bc_log_pass{};
    const bool any = target->log.take_pass(&gen, &header, [&] {
        failed = target->mirror.failed();
        resyncing = target->mirror.resyncing();
    });
    pass->gen = gen;
    pass->header = header;
    pass->failed = failed;
    pass->resyncing = resyncing;
    pass->pre_header = header && (failed & ~target->log_written_failed) != 0;
    return any;
}

extern "C" int bc_target_log_pass_block(bc_target* target, bc_log_pass*, unsigned long long* block, void* buffer) {
    u64 index = 0;
    if (!target->log.copy_block(&index, static_cast<u8*>(buffer)))
        return 0;
    *block = kLogHeaderCopies + index;
    target->stats->add(Counter::log_writes, 1);
    return 1;
}

// The copy not holding the newest header: a torn write leaves the newest whole. pre: the
// header the disk has, with the new failures alone added.
extern "C" void bc_target_log_pass_header(bc_target* target, bc_log_pass* pass, void* buffer, int pre) {
    const u64 seq = ++target->log_seq;
    const unsigned failed = pre ? target->log_written_failed | pass->failed : pass->failed;
    const unsigned resyncing = pre ? target->log_written_resyncing & ~pass->failed : pass->resyncing;
    encode_log_header(header_of(target, seq, failed, resyncing), static_cast<u8*>(buffer));
    target->log_written_failed = failed;
    target->log_written_resyncing = resyncing;
    pass->header_block = seq % kLogHeaderCopies;
    target->stats->add(Counter::log_writes, 1);
}

extern "C" void bc_target_log_pass_end(bc_target* target, const bc_log_pass* pass, int error) {
    const bool was_failed = target->log.failed();
    target->log.end_pass(pass->gen, !error);
    if (error && !was_failed && target->ops.event)
        target->ops.event(target->ctx);  // the log's state changed: status says failed
}

extern "C" int bc_target_log_loaded(const bc_target* target) { return target->log_loaded; }

extern "C" void bc_target_log_unreadable(bc_target* target) {
    target->log_loaded = true;
    target->regions.mark_all_out_of_sync();
    target->log.fail();
    if (target->ops.event)
        target->ops.event(target->ctx);
}

extern "C" int bc_target_log_clean_begin(bc_target* target, int idle) {
    return target->log.attached() && target->log.clean_begin(target->regions, idle != 0);
}

extern "C" void bc_target_log_clean_end(bc_target* target, int flushed) {
    (void)target->log.clean_end(target->regions, flushed != 0);
}

extern "C" unsigned long long bc_target_log_write_prepare(bc_target* target, bc_sector_t sector, bc_sector_t sectors) {
    if (!target->log.attached())
        return 0;
    const RegionSync& regions = target->regions;
    bool kick = false;
    const u64 gen = target->log.prepare_write(regions.region_of(sector),
                                              regions.region_of(sector + max<bc_sector_t>(sectors, 1) - 1), &kick);
    if (kick)
        target->ops.log_kick(target->ctx);
    if (gen)
        target->stats->add(Counter::log_waits, 1);  // deferred: it waits, in the shim
    return gen;
}

extern "C" int bc_target_log_written(const bc_target* target, unsigned long long gen) {
    return target->log.written(gen);
}

// A leg failure is on the log's disk before a write that ended with it (or after it) is
// acknowledged: after a crash, the failed leg's older data must not be read as current.
// A failed log holds nothing back (written() is true for every pass then).
extern "C" unsigned long long bc_target_log_ack_gen(const bc_target* target) {
    if (!target->log.attached())
        return 0;
    const u64 gen = __atomic_load_n(&target->log_failure_gen, __ATOMIC_ACQUIRE);
    return target->log.written(gen) ? 0 : gen;
}

extern "C" void bc_target_log_wait(bc_target* target, unsigned long long gen) { target->log.wait_written(gen); }

extern "C" unsigned int bc_target_live_legs(const bc_target* target) { return target->mirror.live(); }
