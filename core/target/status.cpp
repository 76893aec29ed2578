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
    case BC_FEATURE_NO_RESCUER:
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
// the reserve's size, fill and low-water mark, the fault rate, then for each leg its
// flushes, errors and whether it has failed (mirror).
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
    const unsigned nr_legs = target->table.nr_legs;
    TextBuffer out(buf, maxlen);
    out.word(layout_name(target->table.layout)).word((u64(Counter::count) + 5 + 3 * u64(nr_legs)) * 2);
    for (unsigned i = 0; i < unsigned(Counter::count); ++i)
        out.word(kCounterNames[i]).word(set.count(Counter(i)));
    out.word("outstanding").word(bc_target_outstanding(target));
    out.word("reserve").word(pool.min_nr());
    out.word("reserve_free").word(pool.reserve_count());
    out.word("reserve_low").word(pool.low_water());
    out.word("fail_alloc").word(target->bio_set->faults().percent());
    for (unsigned leg = 0; leg < nr_legs; ++leg) {
        out.word("leg").number(leg).text("_flushes").word(target->stats->read(leg, LegCounter::flushes));
        out.word("leg").number(leg).text("_errors").word(target->stats->read(leg, LegCounter::errors));
        out.word("leg").number(leg).text("_failed").word((failed >> leg) & 1);
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
        words += table.feature_order[i] == BC_FEATURE_NO_RESCUER ? 1 : 2;
    out.word(words);
    for (unsigned i = 0; i < table.nr_features; ++i) {
        const bc_feature feature = table.feature_order[i];
        out.word(feature_name(feature));
        if (feature != BC_FEATURE_NO_RESCUER)
            out.word(feature_value(table, feature));
    }
}

