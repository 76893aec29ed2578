// Fuzz target: the table line, from core/'s parser (bc_table_parse) through the target
// it builds (bc_target_create) to the status lines that target writes and biochainctl
// reads back. Properties:
//   - a refused table gets -EINVAL and a short printable message that is not a pointer
//     into the words; the words are never written; nothing is left allocated;
//   - an accepted table keeps every bound of abi/limits.h;
//   - over lower devices that fit it exactly, the table builds a target; its TABLE line is
//     whole, parses back (core/) to the same configuration and writes the same line
//     again, and biochainctl reads the TABLE and INFO lines to the same legs, reserve and
//     fault rate;
//   - the same table with one allocation of its constructor failed (which one depends on
//     the input) is refused with -ENOMEM and a message, or built; either way destroying
//     it leaves no allocation and no cache behind.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "abi/limits.h"
#include "abi/target.h"
#include "dm_words.h"
#include "env_posix.h"
#include "fuzz_check.h"
#include "null_target_ops.h"
#include "status_report.h"
#include "table_summary.h"
#include "target/table_parser.h"

namespace {

using fuzz::Argv;

void check_refusal(int rc, const char* error, const Argv& argv) {
    FUZZ_CHECK(rc == -BC_EINVAL);
    FUZZ_CHECK(fuzz::is_short_sentence(error));
    FUZZ_CHECK(!argv.points_into(error));
}

void check_bounds(const bc_table& t, const Argv& argv) {
    FUZZ_CHECK(t.nr_legs >= 1 && t.nr_legs <= BC_MAX_LEGS);
    switch (t.layout) {
    case BC_LAYOUT_LINEAR:
        FUZZ_CHECK(t.nr_legs == 1 && t.chunk_sectors == 0);
        break;
    case BC_LAYOUT_STRIPED:
        FUZZ_CHECK(t.nr_legs >= BC_STRIPED_MIN_LEGS);
        FUZZ_CHECK(t.chunk_sectors >= BC_CHUNK_SECTORS_MIN && t.chunk_sectors <= BC_CHUNK_SECTORS_MAX);
        break;
    case BC_LAYOUT_MIRROR:
        FUZZ_CHECK(t.nr_legs >= BC_MIRROR_MIN_LEGS && t.chunk_sectors == 0);
        break;
    default:
        FUZZ_CHECK(!"a layout bc_layout does not name");
    }
    for (unsigned i = 0; i < t.nr_legs; ++i) {
        FUZZ_CHECK(argv.points_into(t.legs[i].path));
        FUZZ_CHECK(t.legs[i].offset <= (~0ull >> BC_SECTOR_SHIFT));
        for (unsigned j = 0; j < i; ++j)
            FUZZ_CHECK(std::string_view(t.legs[i].path) != t.legs[j].path);
    }
    FUZZ_CHECK(t.reserve >= BC_RESERVE_MIN && t.reserve <= BC_RESERVE_MAX);
    FUZZ_CHECK(t.fail_alloc_percent <= BC_FAIL_ALLOC_MAX);
    FUZZ_CHECK(t.inline_children <= BC_INLINE_CHILDREN_MAX);
    FUZZ_CHECK(t.max_child_sectors == 0 ||
               (t.max_child_sectors >= BC_MAX_CHILD_SECTORS_MIN && t.max_child_sectors <= BC_MAX_CHILD_SECTORS_MAX));
    FUZZ_CHECK(t.max_child_segments == 0 ||
               (t.max_child_segments >= BC_MAX_CHILD_SEGMENTS_MIN && t.max_child_segments <= BC_MAX_CHILD_SEGMENTS_MAX));
    FUZZ_CHECK(t.nr_features <= BC_FEATURE_COUNT);
    for (unsigned i = 0; i < t.nr_features; ++i)
        for (unsigned j = 0; j < i; ++j)
            FUZZ_CHECK(t.feature_order[i] != t.feature_order[j]);
    FUZZ_CHECK(t.no_rescuer == 0 || t.no_rescuer == 1);
    FUZZ_CHECK(t.nosync == 0 || (t.nosync == 1 && t.layout == BC_LAYOUT_MIRROR));
    FUZZ_CHECK(!t.log_path || t.layout == BC_LAYOUT_MIRROR);
    FUZZ_CHECK(t.log_path || !t.log_offset);
    FUZZ_CHECK(t.region_size >= BC_REGION_SIZE_MIN && t.region_size <= BC_REGION_SIZE_MAX &&
               !(t.region_size & (t.region_size - 1)));
    FUZZ_CHECK(t.max_recovery_rate == 0 ||
               (t.layout == BC_LAYOUT_MIRROR && t.max_recovery_rate >= BC_MAX_RECOVERY_RATE_MIN &&
                t.max_recovery_rate <= BC_MAX_RECOVERY_RATE_MAX));
}

// Everything of a table but its paths (the TABLE line names devices major:minor).
bool same_configuration(const bc_table& a, const bc_table& b) {
    if (a.layout != b.layout || a.nr_legs != b.nr_legs || a.chunk_sectors != b.chunk_sectors ||
        a.nr_features != b.nr_features || a.reserve != b.reserve || a.max_child_sectors != b.max_child_sectors ||
        a.max_child_segments != b.max_child_segments || a.fail_alloc_percent != b.fail_alloc_percent ||
        a.no_rescuer != b.no_rescuer || a.inline_children != b.inline_children || a.region_size != b.region_size ||
        a.nosync != b.nosync || !a.log_path != !b.log_path || a.log_offset != b.log_offset ||
        a.max_recovery_rate != b.max_recovery_rate)
        return false;
    for (unsigned i = 0; i < a.nr_legs; ++i)
        if (a.legs[i].offset != b.legs[i].offset)
            return false;
    for (unsigned i = 0; i < a.nr_features; ++i)
        if (a.feature_order[i] != b.feature_order[i])
            return false;
    return true;
}

// Lower devices the table fits exactly: each leg ends where the target's part of it ends.
// 4 KiB blocks where the table allows them, so that the block-size checks run too.
struct Devices {
    bc_sector_t target_sectors = 0;
    bc_sector_t per_leg = 0;
    bc_leg_geometry legs[BC_MAX_LEGS] = {};
    std::vector<std::string> names;  // as the shim shows them: major:minor
};

Devices devices_for(const bc_table& t) {
    Devices d;
    const bool striped = t.layout == BC_LAYOUT_STRIPED;
    d.target_sectors = striped ? bc_sector_t(t.chunk_sectors) * t.nr_legs : 2048;
    d.per_leg = striped ? t.chunk_sectors : d.target_sectors;
    const bool whole_4k = t.max_child_sectors % 8 == 0 && (!striped || t.chunk_sectors % 8 == 0);
    for (unsigned i = 0; i < t.nr_legs; ++i) {
        d.legs[i] = bc_leg_geometry{t.legs[i].offset + d.per_leg, whole_4k ? 4096u : 512u, 0xfd00ull + i};
        d.names.push_back("253:" + std::to_string(i));
    }
    if (t.log_path)
        d.names.push_back("253:99");  // the log's, after the legs' (bc_target_emit_table)
    return d;
}

bc_target* create(const bc_table& table, const Devices& devices, int* rc, const char** error) {
    const bc_bio_shape shape{128, 16, 4};
    bc_target* target = nullptr;
    *error = nullptr;
    *rc = bc_target_create(&table, devices.target_sectors, devices.legs, &shape, &fuzz::kNullTargetOps, nullptr,
                           &target, error);
    return target;
}

std::string table_line(const bc_target* target, const Devices& devices) {
    std::vector<const char*> names;
    for (const std::string& name : devices.names)
        names.push_back(name.c_str());
    char buf[BC_STATUS_MAX];
    bc_target_emit_table(target, names.data(), buf, sizeof buf);
    return buf;
}

std::string info_line(const bc_target* target) {
    char buf[BC_STATUS_MAX];
    bc_target_emit_info(target, buf, sizeof buf);
    return buf;
}

// The TABLE line is the constructor again: core/ parses it to the same table, which
// writes the same line; biochainctl (`list`) reads the same legs from it.
void check_table_line(const bc_table& table, const bc_target* target, const Devices& devices) {
    const std::string line = table_line(target, devices);
    FUZZ_CHECK(line.size() + 1 < BC_STATUS_MAX);  // whole, not cut at the buffer's end

    Argv again(fuzz::split_dm_words(line));
    bc_table reparsed{};
    const char* error = nullptr;
    FUZZ_CHECK(bc_table_parse(again.argc(), again.argv(), &reparsed, &error) == 0);
    FUZZ_CHECK(same_configuration(table, reparsed));
    for (unsigned i = 0; i < reparsed.nr_legs; ++i)
        FUZZ_CHECK(reparsed.legs[i].path == devices.names[i]);
    FUZZ_CHECK(!reparsed.log_path || reparsed.log_path == devices.names.back());

    int rc = 0;
    bc_target* second = create(reparsed, devices, &rc, &error);
    FUZZ_CHECK(rc == 0 && second);
    FUZZ_CHECK(table_line(second, devices) == line);
    bc_target_destroy(second);

    const ctl::Expected<ctl::TableSummary> summary = ctl::parse_table_params(line);
    FUZZ_CHECK(summary.ok());
    FUZZ_CHECK(summary->layout == bc::layout_name(table.layout));
    FUZZ_CHECK(summary->chunk_sectors == table.chunk_sectors);
    FUZZ_CHECK(summary->legs.size() == table.nr_legs);
    for (unsigned i = 0; i < table.nr_legs && i < summary->legs.size(); ++i) {
        FUZZ_CHECK(summary->legs[i].device == devices.names[i]);
        FUZZ_CHECK(summary->legs[i].offset_sectors == table.legs[i].offset);
    }
    unsigned feature_words = 0;
    for (unsigned i = 0; i < table.nr_features; ++i)
        feature_words += 1 + bc::feature_values(table.feature_order[i]);
    FUZZ_CHECK(summary->feature_words.size() == feature_words);
}

// The INFO line of a fresh target, as `biochainctl status` reads it.
void check_info_line(const bc_table& table, const bc_target* target) {
    const std::string line = info_line(target);
    FUZZ_CHECK(line.size() + 1 < BC_STATUS_MAX);
    const ctl::Expected<ctl::StatusReport> report = ctl::parse_status_info(line);
    FUZZ_CHECK(report.ok());
    FUZZ_CHECK(report->layout == bc::layout_name(table.layout));
    FUZZ_CHECK(report->find("reserve") == table.reserve);
    FUZZ_CHECK(report->find("reserve_free") == table.reserve);
    FUZZ_CHECK(report->find("fail_alloc") == table.fail_alloc_percent);
    FUZZ_CHECK(report->find("outstanding") == 0);
    for (unsigned i = 0; i < table.nr_legs; ++i)
        FUZZ_CHECK(report->find("leg" + std::to_string(i) + "_failed") == 0);
}

void check_target(const bc_table& table, const bc_target* target, const Devices& devices) {
    unsigned io_min = 0, io_opt = 0;
    bc_target_io_hints(target, &io_min, &io_opt);
    if (table.layout == BC_LAYOUT_STRIPED) {
        // Bytes; both left (0) when the row does not fit an unsigned int.
        const unsigned long long row = (unsigned long long)table.chunk_sectors * table.nr_legs * 512;
        if (row > 0xffffffffull)
            FUZZ_CHECK(io_min == 0 && io_opt == 0);
        else
            FUZZ_CHECK(io_min == table.chunk_sectors * 512ull && io_opt == row);
    } else {
        FUZZ_CHECK(io_min == 0 && io_opt == 0);
    }
    for (unsigned i = 0; i < table.nr_legs; ++i) {
        bc_sector_t start = 0, sectors = 0;
        bc_target_leg_area(target, i, &start, &sectors);
        FUZZ_CHECK(start == table.legs[i].offset && sectors == devices.per_leg);
    }
    FUZZ_CHECK(bc_target_whole_bios(target) == table.nr_legs);
    FUZZ_CHECK(bc_target_discard_bios(target) == (table.layout == BC_LAYOUT_MIRROR ? 1u : table.nr_legs));
    check_table_line(table, target, devices);
    check_info_line(table, target);
}

std::uint64_t fnv1a(std::string_view text) {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (char c : text)
        hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return hash;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const long allocations_before = bc::posix::live_allocations();
    const long caches_before = bc::posix::live_caches();

    Argv argv(fuzz::split_dm_words(text));
    bc_table table{};
    const char* error = nullptr;
    const int parsed = bc_table_parse(argv.argc(), argv.argv(), &table, &error);
    FUZZ_CHECK(argv.untouched());
    if (parsed != 0) {
        check_refusal(parsed, error, argv);
        FUZZ_CHECK(bc::posix::live_allocations() == allocations_before);
        return 0;
    }
    check_bounds(table, argv);

    const Devices devices = devices_for(table);
    int rc = 0;
    const unsigned long asked_before = bc::posix::allocations_asked();
    bc_target* target = create(table, devices, &rc, &error);
    const unsigned long asked = bc::posix::allocations_asked() - asked_before;
    FUZZ_CHECK(rc == 0 && target);
    check_target(table, target, devices);
    bc_target_destroy(target);
    FUZZ_CHECK(bc::posix::live_allocations() == allocations_before);
    FUZZ_CHECK(bc::posix::live_caches() == caches_before);

    // The constructor once more, with one of its allocations failed.
    bc::posix::fail_nth_allocation(1 + fnv1a(text) % asked);
    target = create(table, devices, &rc, &error);
    bc::posix::fail_nth_allocation(0);
    if (rc == 0) {
        FUZZ_CHECK(target != nullptr);
        bc_target_destroy(target);
    } else {
        FUZZ_CHECK(rc == -BC_ENOMEM && target == nullptr);
        FUZZ_CHECK(fuzz::is_short_sentence(error));
    }
    FUZZ_CHECK(bc::posix::live_allocations() == allocations_before);
    FUZZ_CHECK(bc::posix::live_caches() == caches_before);
    return 0;
}
