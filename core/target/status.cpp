// The status lines of a target: INFO (counters) and TABLE (the constructor again).
#include "target/table_parser.h"
#include "target/target.h"
#include "base/text_buffer.h"

namespace bc {
namespace {

u64 feature_value(const bc_table& table, bc_feature feature) {
    switch (feature) {
    case BC_FEATURE_RESERVE:
        return table.reserve;
    case BC_FEATURE_MAX_CHILD_SECTORS:
        return table.max_child_sectors;
    case BC_FEATURE_MAX_CHILD_SEGMENTS:
        return table.max_child_segments;
    case BC_FEATURE_FAIL_ALLOC:
        return table.fail_alloc_percent;
    case BC_FEATURE_INLINE_CHILDREN:
        return table.inline_children;
    case BC_FEATURE_REGION_SIZE:
        return table.region_size;
    case BC_FEATURE_MAX_RECOVERY_RATE:
        return table.max_recovery_rate;
    case BC_FEATURE_NO_RESCUER:
    case BC_FEATURE_NOSYNC:
    case BC_FEATURE_LOG:
    case BC_FEATURE_COUNT:
        break;
    }
    return 0;
}

}  // namespace
}  // namespace bc

using namespace bc;

// INFO: "<layout> <#words> <name> <value> ...", counted like table features so that
// later counters can be added without breaking a parser that skips unknown names.
// After the counters: child objects outstanding (allocated, not yet freed; 0 when idle),
// the reserve's size, fill and low-water mark, the fault rate, a mirror's regions and
// how many are in sync, then for each leg its flushes, errors, whether it has failed
// and (mirror) whether it is being resynced.
// From the totals since creation, which no `stats reset` touches: derived from counters
// a reset zeroes, it could stay above 0 once all was freed (postsuspend WARNs on it).
// Frees are read first: every object freed by then was allocated by the later read of
// the allocations, so a read racing with I/O is never below the truth.
extern "C" unsigned long long bc_target_outstanding(const bc_target* target) {
    const BioSet& set = *target->bio_set;
    const u64 frees = set.total(Counter::frees);
    const u64 allocated = set.total(Counter::alloc_percpu) + set.total(Counter::alloc_backing) +
                          set.total(Counter::alloc_reserve) + set.total(Counter::alloc_waited);
    return allocated > frees ? allocated - frees : 0;
}

extern "C" void bc_target_emit_info(const bc_target* target, char* buf, unsigned int maxlen) {
    const BioSet& set = *target->bio_set;
    Mempool& pool = target->bio_set->bio_pool();
    const unsigned failed = target->mirror.failed();
    const unsigned resyncing = target->mirror.resyncing();
    const unsigned nr_legs = target->table.nr_legs;
    const bool mirror = is_mirror(target);
    const u64 pairs = u64(Counter::count) + 5 + 3 * u64(nr_legs) + (mirror ? 5 + u64(nr_legs) : 0);
    TextBuffer out(buf, maxlen);
    out.word(layout_name(target->table.layout)).word(pairs * 2);
    for (unsigned i = 0; i < unsigned(Counter::count); ++i)
        out.word(kCounterNames[i]).word(set.count(Counter(i)));
    out.word("outstanding").word(bc_target_outstanding(target));
    out.word("reserve").word(pool.min_nr());
    out.word("reserve_free").word(pool.reserve_count());
    out.word("reserve_low").word(pool.low_water());
    out.word("fail_alloc").word(target->bio_set->faults().percent());
    if (mirror) {
        out.word("regions").word(target->regions.nr_regions());
        out.word("regions_in_sync").word(target->regions.in_sync_count());
        // The log: on a disk or in memory (dm-raid1's core log), whether its device has
        // failed, and the regions it marks dirty (in memory: those out of sync).
        const DirtyLog& log = target->log;
        out.word("log").word(log.attached() ? "disk" : "core");
        out.word("log_state").word(log.failed() ? "failed" : "ok");
        out.word("log_dirty").word(log.attached() ? log.dirty_count()
                                                  : target->regions.nr_regions() - target->regions.in_sync_count());
    }
    for (unsigned leg = 0; leg < nr_legs; ++leg) {
        out.word("leg").number(leg).text("_flushes").word(target->stats->read(leg, LegCounter::flushes));
        out.word("leg").number(leg).text("_errors").word(target->stats->read(leg, LegCounter::errors));
        out.word("leg").number(leg).text("_failed").word((failed >> leg) & 1);
        if (mirror)
            out.word("leg").number(leg).text("_resyncing").word((resyncing >> leg) & 1 & ~(failed >> leg));
    }
}

// TABLE: the constructor line again, devices by the name DM knows them (major:minor),
// features in the order they were given, so `dmsetup table` output loads back unchanged.
extern "C" void bc_target_emit_table(const bc_target* target, const char* const* leg_names, char* buf,
                                     unsigned int maxlen) {
    const bc_table& table = target->table;
    TextBuffer out(buf, maxlen);
    out.word(layout_name(table.layout));
    if (table.layout != BC_LAYOUT_LINEAR)
        out.word(table.nr_legs);
    if (table.layout == BC_LAYOUT_STRIPED)
        out.word(table.chunk_sectors);
    for (unsigned i = 0; i < table.nr_legs; ++i)
        out.word(leg_names[i]).word(table.legs[i].offset);
    if (table.nr_features == 0)
        return;
    u64 words = 0;
    for (unsigned i = 0; i < table.nr_features; ++i)
        words += 1 + feature_values(table.feature_order[i]);
    out.word(words);
    for (unsigned i = 0; i < table.nr_features; ++i) {
        const bc_feature feature = table.feature_order[i];
        out.word(feature_name(feature));
        if (feature == BC_FEATURE_LOG)
            out.word(leg_names[table.nr_legs]).word(table.log_offset);  // the log's name after the legs'
        else if (feature_values(feature))
            out.word(feature_value(table, feature));
    }
}

