// biochainctl's reading and printing of the INFO status (status_report.h, status_format.h),
// over hand-written lines and over what core/ itself emits.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "status_format.h"
#include "status_report.h"
#include "table_words.h"
#include "target/target.h"
#include "target_ops.h"

using ctl::parse_status_info;
using ctl::StatusReport;

namespace {

// A real core target (POSIX environment) of 2048 sectors.
bc_target* core_target(const std::string& table_line) {
    TableWords words(table_line);
    bc_table table{};
    const char* error = nullptr;
    REQUIRE(bc_table_parse(words.argc(), words.argv(), &table, &error) == 0);
    bc_leg_geometry legs[BC_MAX_LEGS] = {};
    for (unsigned i = 0; i < BC_MAX_LEGS; ++i)
        legs[i] = bc_leg_geometry{1 << 21, 512, 0xfd00 + i};
    const bc_bio_shape shape{128, 16, 4};
    bc_target* target = nullptr;
    REQUIRE(bc_target_create(&table, 2048, legs, &shape, &TargetOps::kTable, nullptr, &target, &error) == 0);
    return target;
}

// Its INFO line, as `dmsetup status` shows it.
std::string info_line(const bc_target* target) {
    char buf[BC_STATUS_MAX];
    bc_target_emit_info(target, buf, sizeof buf);
    return buf;
}

std::string core_info_line(const std::string& table_line) {
    bc_target* target = core_target(table_line);
    const std::string line = info_line(target);
    bc_target_destroy(target);
    return line;
}

std::string table_of(const std::string& device, const std::string& info) {
    return ctl::format_status_table(ctl::StatusSnapshot{device, 2048, *parse_status_info(info)}, nullptr);
}

std::string json_of(const std::string& device, const std::string& info) {
    return ctl::format_status_json(ctl::StatusSnapshot{device, 2048, *parse_status_info(info)}, nullptr);
}

}  // namespace

TEST_CASE("biochainctl reads the status words of the README's example") {
    const auto report = parse_status_info(
        "linear 18 reads 117615 writes 50700 flushes 0 discards 0 write_zeroes 0 other 0 read_sectors 5714416 "
        "write_sectors 2487584 errors 0");
    REQUIRE(report);
    CHECK(report->layout == "linear");
    REQUIRE(report->counters.size() == 9);
    CHECK(report->counters[0].name == "reads");
    CHECK(report->counters[0].value == 117615);
    CHECK(*report->find("write_sectors") == 2487584);
    CHECK_FALSE(report->find("merges"));
}

TEST_CASE("biochainctl reads every counter core/ emits, legs included") {
    const auto mirror = parse_status_info(core_info_line("mirror 3 /dev/a 0 /dev/b 0 /dev/c 0 2 reserve 5"));
    REQUIRE(mirror);
    CHECK(mirror->layout == "mirror");
    CHECK(*mirror->find("reserve") == 5);
    CHECK(*mirror->find("reserve_free") == 5);
    CHECK(*mirror->find("outstanding") == 0);
    CHECK(*mirror->find("leg2_failed") == 0);
    CHECK(mirror->find("alloc_percpu"));
    CHECK(mirror->find("chain_recycles"));
    CHECK(mirror->find("depot_puts"));
    CHECK(mirror->find("depot_gets"));
    CHECK(mirror->find("resync_regions"));
    CHECK(mirror->find("resync_sectors"));
    CHECK(mirror->find("write_gate_waits"));
    CHECK(mirror->find("log_writes"));
    CHECK(mirror->find("log_waits"));
    CHECK(*mirror->find("regions") == 2);  // 2048 sectors in the default 1024-sector regions
    CHECK(*mirror->find("regions_in_sync") == 0);  // a new mirror without nosync resyncs all
    CHECK(*mirror->find("leg1_resyncing") == 1);  // until the first pass copies leg 0 to it
    CHECK(mirror->counters.back().name == "leg2_resyncing");
    // The log's words: two name a state, one counts. Without `log` in the table, in memory.
    CHECK(*mirror->label("log") == "core");
    CHECK(*mirror->label("log_state") == "ok");
    CHECK(*mirror->find("log_dirty") == 2);  // in memory: the regions out of sync
    CHECK(mirror->labels.size() == 2);

    const auto linear = parse_status_info(core_info_line("linear /dev/a 0"));
    REQUIRE(linear);
    CHECK(linear->find("write_gate_waits"));
    CHECK(linear->find("log_writes"));
    CHECK_FALSE(linear->find("regions"));
    CHECK_FALSE(linear->find("leg0_resyncing"));
    CHECK_FALSE(linear->find("log_dirty"));
    CHECK(linear->labels.empty());
    // Two more legs of three pairs each; then the mirror's regions and regions_in_sync,
    // log_dirty, and leg<i>_resyncing for each of its three legs.
    CHECK(linear->counters.size() + 2 * 3 + 2 + 1 + 3 == mirror->counters.size());
}

TEST_CASE("biochainctl reads a mirror's resync and legs from what core/ emits") {
    CHECK_FALSE(ctl::mirror_state(*parse_status_info(core_info_line("linear /dev/a 0"))));
    CHECK_FALSE(ctl::mirror_state(*parse_status_info(core_info_line("striped 2 8 /dev/a 0 /dev/b 0"))));

    // A new mirror copies its first leg to the others, which are "resyncing" until the
    // copy is done: out-of-sync regions are read from leg 0 alone.
    const auto fresh = ctl::mirror_state(*parse_status_info(core_info_line("mirror 2 /dev/a 0 /dev/b 0")));
    REQUIRE(fresh);
    REQUIRE(fresh->resync);
    CHECK(fresh->resync->regions == 2);
    CHECK(fresh->resync->in_sync == 0);
    CHECK(fresh->legs == std::vector<ctl::LegState>{ctl::LegState::alive, ctl::LegState::resyncing});

    // nosync: in sync from the start. A flush that fails on leg 2 fails the leg; reinstated,
    // it is resyncing and every region is out of sync again.
    bc_target* target = core_target("mirror 3 /dev/a 0 /dev/b 0 /dev/c 0 3 region_size 256 nosync");
    CHECK(table_of("m", info_line(target)).rfind("m: mirror, 1 MiB (2048 sectors)\n"
                                                 "  resync  in sync (8 regions)\n"
                                                 "  log     core, ok, 0 regions dirty\n"
                                                 "  leg0    alive\n"
                                                 "  leg1    alive\n"
                                                 "  leg2    alive\n"
                                                 "  COUNTER ",
                                                 0) == 0);
    unsigned leg = 0;
    bc_sector_t leg_sector = 0, leg_sectors = 0;
    REQUIRE(bc_target_map_whole(target, BC_IO_FLUSH, 2, 0, 0, &leg, &leg_sector, &leg_sectors) == 1);
    CHECK(bc_target_whole_end(target, 2, -BC_EIO) == 0);  // legs 0 and 1 have it
    auto state = ctl::mirror_state(*parse_status_info(info_line(target)));
    REQUIRE(state);
    CHECK(state->legs == std::vector<ctl::LegState>{ctl::LegState::alive, ctl::LegState::alive, ctl::LegState::failed});
    CHECK(state->resync->done());

    TableWords reinstate("reinstate 2");
    const char* error = nullptr;
    REQUIRE(bc_target_message(target, reinstate.argc(), reinstate.argv(), &error) == 0);
    const std::string info = info_line(target);
    state = ctl::mirror_state(*parse_status_info(info));
    REQUIRE(state);
    CHECK(state->legs ==
          std::vector<ctl::LegState>{ctl::LegState::alive, ctl::LegState::alive, ctl::LegState::resyncing});
    CHECK(state->resync->regions == 8);
    CHECK(state->resync->in_sync == 0);
    const std::string table = table_of("m", info);
    CHECK(table.find("  resync  [....................]  0/8 regions (0.0%)\n  log     core, ok, 8 regions dirty\n"
                     "  leg0    alive\n  leg1    alive\n  leg2    resyncing\n  COUNTER ") != std::string::npos);
    CHECK(json_of("m", info).find(R"(,"labels":{"log":"core","log_state":"ok"},)") != std::string::npos);
    CHECK(json_of("m", info).find(R"(,"mirror":{"regions":8,"regions_in_sync":0,"in_sync_percent":0.0,)"
                                  R"("log":{"kind":"core","state":"ok","dirty":8},)"
                                  R"("legs":{"leg0":"alive","leg1":"alive","leg2":"resyncing"}}})") != std::string::npos);
    bc_target_destroy(target);
}

TEST_CASE("biochainctl skips words after the counted ones and refuses broken status lines") {
    const auto newer = parse_status_info("striped 4 reads 1 writes 2 future_section 7 8");
    REQUIRE(newer);
    CHECK(newer->counters.size() == 2);

    CHECK(parse_status_info("").error() == "empty status");
    CHECK(parse_status_info("  ").error() == "empty status");
    CHECK(parse_status_info("linear").error() == "status 'linear' has no word count");
    CHECK(parse_status_info("linear x reads 1").error() == "status word count: 'x' is not a number");
    CHECK(parse_status_info("linear 3 reads 1 writes").error() ==
          "status word count 3 is odd (names and values come in pairs)");
    CHECK(parse_status_info("linear 6 reads 1 writes 2").error() == "status truncated: 6 words announced, 4 present");
    CHECK(parse_status_info("linear 2 reads -1").error() == "status value of reads: '-1' is not a number");
    CHECK(parse_status_info("linear 99999999999999999999999 reads 1").error() ==
          "status word count: 99999999999999999999999 is too large (at most 18446744073709551615)");
}

TEST_CASE("biochainctl computes per-second rates of counters, not of gauges") {
    const StatusReport before = *parse_status_info("linear 8 reads 100 writes 50 reserve_free 16 leg0_failed 0");
    const StatusReport after = *parse_status_info("linear 10 reads 300 writes 10 reserve_free 3 leg0_failed 1 new 5");
    const auto rates = ctl::counter_rates(before, after, 2.0);
    REQUIRE(rates.size() == 5);
    CHECK(*rates[0] == Approx(100.0));
    CHECK_FALSE(rates[1]);  // went down: a stats reset in between
    CHECK_FALSE(rates[2]);  // a gauge
    CHECK_FALSE(rates[3]);  // a gauge
    CHECK_FALSE(rates[4]);  // not there before
    CHECK(ctl::is_gauge("outstanding"));
    CHECK(ctl::is_gauge("leg15_failed"));
    CHECK_FALSE(ctl::is_gauge("leg15_errors"));
    CHECK_FALSE(ctl::is_gauge("alloc_waited"));
    // A mirror's levels: how many regions, how many in sync, which legs resync.
    CHECK(ctl::is_gauge("regions"));
    CHECK(ctl::is_gauge("regions_in_sync"));
    CHECK(ctl::is_gauge("leg0_resyncing"));
    CHECK(ctl::is_gauge("leg15_resyncing"));
    CHECK_FALSE(ctl::is_gauge("leg_resyncing"));
    CHECK(ctl::is_gauge("log_dirty"));
    CHECK_FALSE(ctl::is_gauge("log_writes"));
    CHECK_FALSE(ctl::is_gauge("log_waits"));
    // ... and its events, counted
    CHECK_FALSE(ctl::is_gauge("resync_regions"));
    CHECK_FALSE(ctl::is_gauge("resync_sectors"));
    CHECK_FALSE(ctl::is_gauge("write_gate_waits"));

    const StatusReport synced = *parse_status_info("mirror 6 regions 64 regions_in_sync 16 resync_regions 16");
    const StatusReport later = *parse_status_info("mirror 6 regions 64 regions_in_sync 48 resync_regions 48");
    const auto resync_rates = ctl::counter_rates(synced, later, 4.0);
    CHECK_FALSE(resync_rates[0]);
    CHECK_FALSE(resync_rates[1]);
    CHECK(*resync_rates[2] == Approx(8.0));
}

// Counters are looked up by name: with a name given twice, `status --watch` took the
// second one's rate against the first one's value (a report against itself had a rate
// of 1/s here). Such a line is refused. Found by tests/fuzz/status.cpp (corpus:
// regression-duplicate-counter-name).
TEST_CASE("biochainctl refuses a status line that names a counter twice") {
    const auto report = parse_status_info("linear 4 reads 1 reads 2");
    REQUIRE_FALSE(report);
    CHECK(report.error() == "status names counter 'reads' twice");
}

TEST_CASE("biochainctl prints status as an aligned table and as JSON") {
    ctl::StatusSnapshot status{"bc0", 2097152, *parse_status_info("striped 6 reads 117615 writes 7 reserve_free 16")};
    CHECK(ctl::format_status_table(status, nullptr) ==
          "bc0: striped, 1 GiB (2097152 sectors)\n"
          "  COUNTER        VALUE\n"
          "  reads         117615\n"
          "  writes             7\n"
          "  reserve_free      16\n");
    const std::vector<std::optional<double>> rates{1234.56, 0.0, std::nullopt};
    CHECK(ctl::format_status_table(status, &rates) ==
          "bc0: striped, 1 GiB (2097152 sectors)\n"
          "  COUNTER        VALUE  PER SEC\n"
          "  reads         117615   1234.6\n"
          "  writes             7      0.0\n"
          "  reserve_free      16\n");
    CHECK(ctl::format_status_json(status, nullptr) ==
          R"({"device":"bc0","layout":"striped","sectors":2097152,"counters":{"reads":117615,"writes":7,"reserve_free":16}})");
    CHECK(ctl::format_status_json(status, &rates) ==
          R"({"device":"bc0","layout":"striped","sectors":2097152,"counters":{"reads":117615,"writes":7,"reserve_free":16},"rates":{"reads":1234.6,"writes":0.0}})");
    CHECK(ctl::json_string("a\"b\\c\n\x01") == R"("a\"b\\c\n\u0001")");
}

namespace {

// A mirror's INFO words: regions, then each leg's failed and resyncing flags.
std::string mirror_info(ctl::u64 regions, ctl::u64 in_sync, const std::vector<std::pair<int, int>>& legs) {
    std::string words = "regions " + std::to_string(regions) + " regions_in_sync " + std::to_string(in_sync);
    for (std::size_t i = 0; i < legs.size(); ++i)
        words += " leg" + std::to_string(i) + "_failed " + std::to_string(legs[i].first) + " leg" + std::to_string(i) +
                 "_resyncing " + std::to_string(legs[i].second);
    return "mirror " + std::to_string(2 * (2 + 2 * legs.size())) + " " + words;
}

}  // namespace

TEST_CASE("biochainctl shows a mirror's resync progress and each leg's state") {
    const std::string resyncing = mirror_info(1024, 512, {{0, 0}, {0, 1}, {1, 0}});
    CHECK(table_of("bc0", resyncing) ==
          "bc0: mirror, 1 MiB (2048 sectors)\n"
          "  resync  [##########..........]  512/1024 regions (50.0%)\n"
          "  leg0    alive\n"
          "  leg1    resyncing\n"
          "  leg2    failed\n"
          "  COUNTER          VALUE\n"
          "  regions           1024\n"
          "  regions_in_sync    512\n"
          "  leg0_failed          0\n"
          "  leg0_resyncing       0\n"
          "  leg1_failed          0\n"
          "  leg1_resyncing       1\n"
          "  leg2_failed          1\n"
          "  leg2_resyncing       0\n");
    CHECK(json_of("bc0", resyncing) ==
          R"({"device":"bc0","layout":"mirror","sectors":2048,"counters":{"regions":1024,"regions_in_sync":512,)"
          R"("leg0_failed":0,"leg0_resyncing":0,"leg1_failed":0,"leg1_resyncing":1,"leg2_failed":1,"leg2_resyncing":0},)"
          R"("mirror":{"regions":1024,"regions_in_sync":512,"in_sync_percent":50.0,)"
          R"("legs":{"leg0":"alive","leg1":"resyncing","leg2":"failed"}}})");
    // with --watch: the mirror after the rates
    const std::vector<std::optional<double>> rates(8);
    CHECK(ctl::format_status_json(ctl::StatusSnapshot{"bc0", 2048, *parse_status_info(resyncing)}, &rates)
              .find(R"(,"rates":{},"mirror":{"regions":1024,)") != std::string::npos);

    const std::string synced = mirror_info(1024, 1024, {{0, 0}, {0, 0}});
    CHECK(table_of("bc0", synced).rfind("bc0: mirror, 1 MiB (2048 sectors)\n"
                                        "  resync  in sync (1024 regions)\n"
                                        "  leg0    alive\n"
                                        "  leg1    alive\n"
                                        "  COUNTER ",
                                        0) == 0);
    CHECK(json_of("bc0", synced).find(R"("mirror":{"regions":1024,"regions_in_sync":1024,"in_sync_percent":100.0,)")
          != std::string::npos);

    // A failed leg is failed even if it was resyncing when it failed.
    CHECK(table_of("bc0", mirror_info(8, 8, {{0, 0}, {1, 1}})).find("  leg1    failed\n") != std::string::npos);
}

TEST_CASE("biochainctl's resync progress is never full while a region is out of sync") {
    auto resync_line = [](ctl::u64 regions, ctl::u64 in_sync) {
        const std::string table = table_of("bc0", mirror_info(regions, in_sync, {{0, 0}, {0, 0}}));
        const std::size_t start = table.find("  resync  ");
        return table.substr(start, table.find('\n', start) - start);
    };
    CHECK(resync_line(1024, 0) == "  resync  [....................]  0/1024 regions (0.0%)");
    CHECK(resync_line(1024, 1) == "  resync  [....................]  1/1024 regions (0.0%)");
    CHECK(resync_line(1024, 1023) == "  resync  [###################.]  1023/1024 regions (99.9%)");
    CHECK(resync_line(3, 1) == "  resync  [######..............]  1/3 regions (33.3%)");
    CHECK(resync_line(3, 2) == "  resync  [#############.......]  2/3 regions (66.6%)");
    CHECK(resync_line(33554432, 33554431) == "  resync  [###################.]  33554431/33554432 regions (99.9%)");
    CHECK(resync_line(~ctl::u64(0), ~ctl::u64(0) - 1) ==
          "  resync  [###################.]  18446744073709551614/18446744073709551615 regions (99.9%)");
    // more in sync than there are: a module's mistake, shown as in sync
    CHECK(resync_line(4, 5) == "  resync  in sync (4 regions)");
}

TEST_CASE("biochainctl shows a mirror's legs from a module without resync") {
    // An older module: no regions, no leg<i>_resyncing. The legs' states still show.
    const std::string older = "mirror 4 leg0_failed 1 leg1_failed 0";
    CHECK(table_of("bc0", older) ==
          "bc0: mirror, 1 MiB (2048 sectors)\n"
          "  leg0    failed\n"
          "  leg1    alive\n"
          "  COUNTER      VALUE\n"
          "  leg0_failed      1\n"
          "  leg1_failed      0\n");
    CHECK(json_of("bc0", older) ==
          R"({"device":"bc0","layout":"mirror","sectors":2048,"counters":{"leg0_failed":1,"leg1_failed":0},)"
          R"("mirror":{"legs":{"leg0":"failed","leg1":"alive"}}})");
    // Linear and striped have no mirror part.
    CHECK(json_of("bc0", "striped 2 leg0_failed 0").find("mirror") == std::string::npos);
    CHECK(table_of("bc0", "linear 2 leg0_failed 0").find("alive") == std::string::npos);
}

TEST_CASE("biochainctl reads a mirror's disk log from what core/ emits") {
    // A new log: every region dirty, to be resynced, unless nosync.
    const auto fresh = ctl::mirror_state(*parse_status_info(core_info_line("mirror 2 /dev/a 0 /dev/b 0 3 log /dev/c 0")));
    REQUIRE(fresh);
    REQUIRE(fresh->log);
    CHECK(fresh->log->kind == "disk");
    CHECK(fresh->log->state == "ok");
    CHECK(fresh->log->dirty == 2);
    const auto nosync =
        ctl::mirror_state(*parse_status_info(core_info_line("mirror 2 /dev/a 0 /dev/b 0 4 log /dev/c 8 nosync")));
    REQUIRE(nosync);
    REQUIRE(nosync->log);
    CHECK(nosync->log->kind == "disk");
    CHECK(nosync->log->dirty == 0);
    CHECK_FALSE(ctl::mirror_state(*parse_status_info(core_info_line("linear /dev/a 0"))));
}

namespace {

// A mirror of two live legs in sync but for 24 regions, with its log's words.
std::string mirror_with_log(const std::string& kind, const std::string& state) {
    return "mirror 22 regions 1024 regions_in_sync 1000 log " + kind + " log_state " + state +
           " log_dirty 24 log_writes 7 log_waits 3 leg0_failed 0 leg0_resyncing 0 leg1_failed 0 leg1_resyncing 0";
}

}  // namespace

TEST_CASE("biochainctl shows a mirror's log: where it is, whether it works, its dirty regions") {
    const std::string failed = mirror_with_log("disk", "failed");
    const auto report = parse_status_info(failed);
    REQUIRE(report);
    CHECK(report->counters.size() == 9);
    REQUIRE(report->labels.size() == 2);
    CHECK(report->labels[0].name == "log");
    CHECK(report->labels[0].value == "disk");
    CHECK(report->labels[0].before == 2);  // after regions and regions_in_sync
    CHECK(table_of("bc0", failed) ==
          "bc0: mirror, 1 MiB (2048 sectors)\n"
          "  resync  [###################.]  1000/1024 regions (97.6%)\n"
          "  log     disk, failed, 24 regions dirty\n"
          "  leg0    alive\n"
          "  leg1    alive\n"
          "  COUNTER           VALUE\n"
          "  regions            1024\n"
          "  regions_in_sync    1000\n"
          "  log                disk\n"
          "  log_state        failed\n"
          "  log_dirty            24\n"
          "  log_writes            7\n"
          "  log_waits             3\n"
          "  leg0_failed           0\n"
          "  leg0_resyncing        0\n"
          "  leg1_failed           0\n"
          "  leg1_resyncing        0\n");
    CHECK(json_of("bc0", failed) ==
          R"({"device":"bc0","layout":"mirror","sectors":2048,"counters":{"regions":1024,"regions_in_sync":1000,)"
          R"("log_dirty":24,"log_writes":7,"log_waits":3,"leg0_failed":0,"leg0_resyncing":0,"leg1_failed":0,)"
          R"("leg1_resyncing":0},"labels":{"log":"disk","log_state":"failed"},)"
          R"("mirror":{"regions":1024,"regions_in_sync":1000,"in_sync_percent":97.6,)"
          R"("log":{"kind":"disk","state":"failed","dirty":24},"legs":{"leg0":"alive","leg1":"alive"}}})");
    // with --watch: rates of the counters only, labels before them; log_dirty is a level
    const StatusReport before = *parse_status_info(mirror_with_log("core", "ok"));
    const auto rates = ctl::counter_rates(before, *report, 1.0);
    REQUIRE(rates.size() == report->counters.size());
    CHECK_FALSE(rates[2]);  // log_dirty
    CHECK(*rates[3] == Approx(0.0));  // log_writes
    CHECK(ctl::format_status_json(ctl::StatusSnapshot{"bc0", 2048, *report}, &rates)
              .find(R"("labels":{"log":"disk","log_state":"failed"},"rates":{"log_writes":0.0,)") != std::string::npos);

    const std::string one = "mirror 10 regions 4 regions_in_sync 3 log core log_state ok log_dirty 1";
    CHECK(table_of("bc0", one).find("\n  log     core, ok, 1 region dirty\n") != std::string::npos);
    // Partial words from some other module: what there is.
    const std::string bare = "mirror 6 regions 4 regions_in_sync 4 log disk";
    CHECK(table_of("bc0", bare).find("  resync  in sync (4 regions)\n  log     disk\n  COUNTER ") != std::string::npos);
    CHECK(json_of("bc0", bare).find(R"("log":{"kind":"disk"},"legs":{}}})") != std::string::npos);
    // log_dirty alone (a number, not the word) is no log to show
    CHECK(table_of("bc0", "mirror 6 regions 4 regions_in_sync 4 log_dirty 0").find("  log ") == std::string::npos);
}

TEST_CASE("biochainctl takes a status value that is a word, shows it, and still refuses a broken number") {
    // A word it does not know, from a newer module: kept in place, shown, not counted.
    const auto newer = parse_status_info("linear 8 reads 1 mode fast writes 2 tier_2 hot_3");
    REQUIRE(newer);
    CHECK(newer->counters.size() == 2);
    CHECK(*newer->label("mode") == "fast");
    CHECK(*newer->label("tier_2") == "hot_3");
    CHECK_FALSE(newer->find("mode"));
    CHECK(table_of("bc0", "linear 8 reads 1 mode fast writes 2 tier_2 hot_3") ==
          "bc0: linear, 1 MiB (2048 sectors)\n"
          "  COUNTER  VALUE\n"
          "  reads        1\n"
          "  mode      fast\n"
          "  writes       2\n"
          "  tier_2   hot_3\n");
    CHECK(json_of("bc0", "linear 4 mode fast reads 1") ==
          R"({"device":"bc0","layout":"linear","sectors":2048,"counters":{"reads":1},"labels":{"mode":"fast"}})");
    CHECK(ctl::counter_rates(*newer, *newer, 1.0).size() == 2);

    // Neither a number nor a word: refused as before.
    CHECK(parse_status_info("linear 2 reads -1").error() == "status value of reads: '-1' is not a number");
    CHECK(parse_status_info("linear 2 reads 1.5").error() == "status value of reads: '1.5' is not a number");
    CHECK(parse_status_info("linear 2 reads 1k").error() == "status value of reads: '1k' is not a number");
    CHECK(parse_status_info("linear 2 mode Fast").error() == "status value of mode: 'Fast' is not a number");
    CHECK(parse_status_info("linear 2 mode _x").error() == "status value of mode: '_x' is not a number");
    // A name once, whatever its value.
    CHECK(parse_status_info("mirror 4 log disk log core").error() == "status names counter 'log' twice");
    CHECK(parse_status_info("mirror 4 log 1 log disk").error() == "status names counter 'log' twice");
    CHECK(parse_status_info("mirror 4 log disk log 1").error() == "status names counter 'log' twice");
}
