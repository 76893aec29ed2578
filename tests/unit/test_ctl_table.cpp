// biochainctl's table building (userspace/biochainctl/table_builder.h), and the proof that
// what it builds is what the module takes: every line goes through core/'s own parser and
// target constructor with the same geometry.
#include <catch2/catch.hpp>

#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "table_builder.h"
#include "table_summary.h"
#include "target/log_format.h"
#include "target/target.h"
#include "table_words.h"
#include "target_ops.h"

using ctl::CreateRequest;
using ctl::Layout;
using ctl::LegGeometry;

namespace {

constexpr ctl::u64 kMiB = 1 << 20;
constexpr ctl::u64 kGiB = 1ull << 30;

CreateRequest request(Layout layout, std::vector<ctl::LegArgument> legs) {
    CreateRequest r;
    r.layout = layout;
    r.legs = std::move(legs);
    return r;
}

std::vector<LegGeometry> disks(std::size_t count, ctl::u64 size = kGiB, unsigned block = 512) {
    std::vector<LegGeometry> legs;
    for (std::size_t i = 0; i < count; ++i)
        legs.push_back(LegGeometry{"254:" + std::to_string(16 * i), size, block});
    return legs;
}

std::string built(const CreateRequest& r, const std::vector<LegGeometry>& legs) {
    const auto table = ctl::build_table(r, legs);
    return table ? table->dmsetup_line() : "refused: " + table.error();
}

std::string refusal(const CreateRequest& r, const std::vector<LegGeometry>& legs) {
    const auto table = ctl::build_table(r, legs);
    return table ? "(accepted: " + table->dmsetup_line() + ")" : table.error();
}

std::string built_with_log(const CreateRequest& r, const std::vector<LegGeometry>& legs, const LegGeometry& log) {
    const auto table = ctl::build_table(r, legs, log);
    return table ? table->dmsetup_line() : "refused: " + table.error();
}

std::string refusal_with_log(const CreateRequest& r, const std::vector<LegGeometry>& legs, const LegGeometry& log) {
    const auto table = ctl::build_table(r, legs, log);
    return table ? "(accepted: " + table->dmsetup_line() + ")" : table.error();
}

// The module's verdict on a line: core/'s parser, then its constructor with this geometry.
std::string module_verdict(const ctl::TableLine& line, const std::vector<LegGeometry>& legs) {
    TableWords words(line.params);
    bc_table table{};
    const char* error = nullptr;
    if (bc_table_parse(words.argc(), words.argv(), &table, &error) != 0)
        return std::string("parser: ") + error;
    bc_leg_geometry geometry[BC_MAX_LEGS] = {};
    for (std::size_t i = 0; i < legs.size(); ++i)
        geometry[i] = bc_leg_geometry{legs[i].size_bytes / 512, legs[i].logical_block_size, 0xfd00 + i};
    const bc_bio_shape shape{128, 16, 4};
    bc_target* target = nullptr;
    if (bc_target_create(&table, line.sectors, geometry, &shape, &TargetOps::kTable, nullptr, &target, &error) != 0)
        return std::string("constructor: ") + error;
    bc_target_destroy(target);
    return "ok";
}

}  // namespace

TEST_CASE("biochainctl builds linear, striped and mirror tables in the module's syntax") {
    CHECK(built(request(Layout::linear, {{"/dev/vda", 0}}), disks(1)) == "0 2097152 biochain linear 254:0 0");
    CHECK(built(request(Layout::linear, {{"/dev/vda", kMiB}}), disks(1)) == "0 2095104 biochain linear 254:0 2048");

    // Striped: the smallest leg after its offset, whole chunks, times the legs.
    CreateRequest striped = request(Layout::striped, {{"/dev/vdb", 0}, {"/dev/vdc", kMiB}, {"/dev/vdd", 0}});
    CHECK(built(striped, disks(3)) == "0 6285312 biochain striped 3 128 254:0 0 254:16 2048 254:32 0");
    striped.chunk_bytes = 96 * 1024;  // not a power of two: allowed
    CHECK(built(striped, disks(3)) == "0 6285312 biochain striped 3 192 254:0 0 254:16 2048 254:32 0");

    // Mirror: the smallest leg.
    std::vector<LegGeometry> unequal = disks(2);
    unequal[1].size_bytes = 512 * kMiB;
    CHECK(built(request(Layout::mirror, {{"/dev/vdb", 0}, {"/dev/vdc", 0}}), unequal) ==
          "0 1048576 biochain mirror 2 254:0 0 254:16 0");
}

TEST_CASE("biochainctl writes features counted in words, in one fixed order") {
    CreateRequest r = request(Layout::linear, {{"/dev/vda", 0}});
    r.fail_alloc_percent = 50;
    r.no_rescuer = true;
    r.max_child_segments = 4;
    r.max_child_sectors = 8;
    r.reserve = 1;
    r.inline_children = 2;
    CHECK(built(r, disks(1)) == "0 2097152 biochain linear 254:0 0 11 reserve 1 max_child_sectors 8 "
                                "max_child_segments 4 no_rescuer fail_alloc 50 inline_children 2");
    CreateRequest one = request(Layout::linear, {{"/dev/vda", 0}});
    one.no_rescuer = true;
    CHECK(built(one, disks(1)) == "0 2097152 biochain linear 254:0 0 1 no_rescuer");

    // A mirror's own two last, in the module's order whatever order they were set in.
    CreateRequest mirror = request(Layout::mirror, {{"/dev/vdb", 0}, {"/dev/vdc", 0}});
    mirror.nosync = true;
    mirror.region_size = 2048;
    mirror.reserve = 4;
    CHECK(built(mirror, disks(2)) == "0 2097152 biochain mirror 2 254:0 0 254:16 0 5 reserve 4 region_size 2048 nosync");
    mirror.region_size.reset();
    CHECK(built(mirror, disks(2)) == "0 2097152 biochain mirror 2 254:0 0 254:16 0 3 reserve 4 nosync");
}

TEST_CASE("biochainctl honours --size and checks it") {
    CreateRequest r = request(Layout::striped, {{"/dev/vdb", 0}, {"/dev/vdc", 0}});
    r.size_bytes = 256 * kMiB;
    CHECK(built(r, disks(2)) == "0 524288 biochain striped 2 128 254:0 0 254:16 0");
    r.size_bytes = 64 * 1024;
    CHECK(refusal(r, disks(2)) == "--size 64 KiB is not a multiple of chunk x devices (128 KiB)");
    r.size_bytes = 4 * kGiB;
    CHECK(refusal(r, disks(2)) == "--size 4 GiB is larger than the devices allow (2 GiB)");
    r.size_bytes = 0;
    CHECK(refusal(r, disks(2)) == "--size must not be 0");
    r.size_bytes = 1000;
    CHECK(refusal(r, disks(2)) == "--size 1000 bytes is not a whole number of 512-byte sectors");

    CreateRequest mirror = request(Layout::mirror, {{"/dev/vdb", 0}, {"/dev/vdc", 0}});
    mirror.size_bytes = 2048;
    CHECK(refusal(mirror, disks(2, kGiB, 4096)) == "--size 2 KiB is not a multiple of the logical block size (4096 bytes)");
    mirror.size_bytes = kGiB;
    CHECK(built(mirror, disks(2)) == "0 2097152 biochain mirror 2 254:0 0 254:16 0");
    mirror.size_bytes = kGiB + 512;
    CHECK(refusal(mirror, disks(2)) == "--size 1073742336 bytes is larger than the devices allow (1 GiB)");
}

TEST_CASE("biochainctl refuses what the devices cannot hold, naming the device") {
    CHECK(refusal(request(Layout::linear, {{"/dev/vda", kGiB}}), disks(1)) ==
          "/dev/vda: offset 1 GiB is not inside the device (1 GiB)");
    CHECK(refusal(request(Layout::linear, {{"/dev/vda", 1024}}), disks(1, kGiB, 4096)) ==
          "/dev/vda: offset 1 KiB is not a multiple of its logical block size (4096 bytes)");
    CHECK(refusal(request(Layout::linear, {{"/dev/vda", 0}, {"/dev/vdb", 0}}), disks(2)) ==
          "linear takes exactly one device, 2 given");
    CHECK(refusal(request(Layout::mirror, {{"/dev/vda", 0}}), disks(1)) == "mirror takes 2 to 16 devices, 1 given");
    CHECK(refusal(request(Layout::striped, std::vector<ctl::LegArgument>(17, {"/dev/vda", 0})), disks(17)) ==
          "striped takes 1 to 16 devices, 17 given");

    std::vector<LegGeometry> same = disks(2);
    same[1].table_name = same[0].table_name;
    CHECK(refusal(request(Layout::mirror, {{"/dev/vda", 0}, {"/dev/disk/alias", 0}}), same) ==
          "/dev/vda and /dev/disk/alias are the same device (254:0)");

    CreateRequest chunk = request(Layout::striped, {{"/dev/vda", 0}, {"/dev/vdb", 0}});
    chunk.chunk_bytes = 6 * 1024;
    CHECK(refusal(chunk, disks(2, kGiB, 4096)) ==
          "--chunk 6 KiB is not a multiple of the logical block size of /dev/vda (4096 bytes)");
    chunk.chunk_bytes = 2048;
    CHECK(refusal(chunk, disks(2)) == "--chunk 2 KiB is too small (at least 4 KiB)");
    chunk.chunk_bytes = 6000;
    CHECK(refusal(chunk, disks(2)) == "--chunk 6000 bytes is not a whole number of 512-byte sectors");
    chunk.chunk_bytes = 1024 * kGiB;
    CHECK(refusal(chunk, disks(2)) == "--chunk 1 TiB is too large (at most 512 GiB)");
    chunk.chunk_bytes = 64 * kMiB;
    CHECK(refusal(chunk, disks(2, 32 * kMiB)) == "the devices hold less than one chunk (64 MiB) after their offsets");

    CreateRequest linear_chunk = request(Layout::linear, {{"/dev/vda", 0}});
    linear_chunk.chunk_bytes = 64 * 1024;
    CHECK(refusal(linear_chunk, disks(1)) == "--chunk applies to the striped layout only");

    CreateRequest child = request(Layout::linear, {{"/dev/vda", 0}});
    child.max_child_sectors = 12;
    CHECK(refusal(child, disks(1, kGiB, 4096)) ==
          "--max-child-sectors 12 is not a multiple of the logical block size of /dev/vda (4096 bytes)");
}

TEST_CASE("every table biochainctl builds is accepted by the module's parser and constructor") {
    struct Case {
        CreateRequest request;
        std::vector<LegGeometry> legs;
    };
    std::vector<Case> cases;
    for (unsigned block : {512u, 4096u})
        for (ctl::u64 size : {kGiB, 7 * kMiB + 4096 * 3, 300 * kMiB + 4096})
            for (ctl::u64 offset : {ctl::u64(0), ctl::u64(4096), kMiB}) {
                cases.push_back({request(Layout::linear, {{"/dev/a", offset}}), disks(1, size, block)});
                cases.push_back({request(Layout::mirror, {{"/dev/a", offset}, {"/dev/b", 0}, {"/dev/c", offset}}),
                                 disks(3, size, block)});
                for (ctl::u64 chunk : {ctl::u64(4096), ctl::u64(64 * 1024), ctl::u64(96 * 1024), kMiB})
                    for (std::size_t legs : {1u, 2u, 3u, 16u}) {
                        CreateRequest r = request(Layout::striped, {});
                        for (std::size_t i = 0; i < legs; ++i)
                            r.legs.push_back({"/dev/x" + std::to_string(i), i % 2 ? offset : 0});
                        r.chunk_bytes = chunk;
                        r.reserve = 2;
                        r.max_child_sectors = 8;
                        cases.push_back({r, disks(legs, size, block)});
                    }
            }
    unsigned built_count = 0;
    for (const Case& c : cases) {
        const auto table = ctl::build_table(c.request, c.legs);
        if (!table)
            continue;  // refused up front: the refusal tests above say why
        ++built_count;
        INFO(table->dmsetup_line());
        CHECK(module_verdict(*table, c.legs) == "ok");
    }
    CHECK(built_count > 200);
}

namespace {

// Both sides' answer to one value: biochainctl's ("ok" or its refusal) and the module's.
struct Verdicts {
    std::string ctl;
    std::string module;
};

// A striped or mirror line of `count` devices as the module reads it, written here because
// the builder refuses to write one past its bounds.
ctl::TableLine by_hand(const std::string& layout, std::size_t count, const std::string& chunk_sectors = "") {
    ctl::TableLine line{2048, layout + " " + std::to_string(count)};
    if (!chunk_sectors.empty())
        line.params += " " + chunk_sectors;
    for (std::size_t i = 0; i < count; ++i)
        line.params += " 254:" + std::to_string(16 * i) + " 0";
    return line;
}

// A bound is taken by both sides, and one past it refused by both.
void check_bound(const std::function<Verdicts(ctl::u64)>& verdicts, ctl::u64 bound, bool is_min) {
    const Verdicts at = verdicts(bound);
    INFO("at the bound " << bound << ": biochainctl '" << at.ctl << "', module '" << at.module << "'");
    CHECK(at.ctl == "ok");
    CHECK(at.module == "ok");
    if (is_min && bound == 0)
        return;
    const ctl::u64 past = is_min ? bound - 1 : bound + 1;
    const Verdicts beyond = verdicts(past);
    INFO("past the bound, " << past << ": biochainctl '" << beyond.ctl << "', module '" << beyond.module << "'");
    CHECK(beyond.ctl != "ok");
    CHECK(beyond.module.rfind("parser: ", 0) == 0);  // refused for the number, not for the devices
}

}  // namespace

namespace {

// A request of the layout a feature applies to: a mirror's features on a mirror.
CreateRequest request_for(const ctl::FeatureOption& feature) {
    return feature.mirror_only ? request(Layout::mirror, {{"/dev/vda", 0}, {"/dev/vdb", 0}})
                               : request(Layout::linear, {{"/dev/vda", 0}});
}

}  // namespace

namespace {

// A log device beside `count` legs of disks(count): the next major:minor.
LegGeometry log_disk(std::size_t count, ctl::u64 size = kGiB, unsigned block = 512) {
    return LegGeometry{"254:" + std::to_string(16 * count), size, block};
}

}  // namespace

TEST_CASE("biochainctl's create options are the module's features, one each, in its order") {
    // A request with every feature, numbers at their least: the module reads back each
    // feature once, in enum bc_feature's order but for the log (--log, not a number nor
    // a flag: it names a device), which comes after region_size.
    CreateRequest r = request(Layout::mirror, {{"/dev/vda", 0}, {"/dev/vdb", 0}});
    for (const ctl::FeatureOption& feature : ctl::kFeatureOptions) {
        CHECK((feature.value == nullptr) != (feature.flag == nullptr));
        if (feature.value)
            r.*feature.value = feature.min;
        else
            r.*feature.flag = true;
    }
    r.log = ctl::LogArgument{"/dev/vdc", 0};
    const auto line = ctl::build_table(r, disks(2), log_disk(2));
    REQUIRE(line);
    TableWords words(line->params);
    bc_table table{};
    const char* error = nullptr;
    REQUIRE(bc_table_parse(words.argc(), words.argv(), &table, &error) == 0);
    REQUIRE(std::size(ctl::kFeatureOptions) + 1 == BC_FEATURE_COUNT);
    REQUIRE(table.nr_features == BC_FEATURE_COUNT);
    std::vector<bc_feature> expected;
    for (unsigned i = 0; i < BC_FEATURE_COUNT; ++i) {
        if (bc_feature(i) == BC_FEATURE_LOG)
            continue;  // no option of its own: right after region_size
        expected.push_back(bc_feature(i));
        if (bc_feature(i) == BC_FEATURE_REGION_SIZE)
            expected.push_back(BC_FEATURE_LOG);
    }
    for (unsigned i = 0; i < BC_FEATURE_COUNT; ++i) {
        INFO("feature " << i << " of the line " << line->params);
        CHECK(table.feature_order[i] == expected[i]);
    }
    CHECK(table.no_rescuer == 1);
    CHECK(table.nosync == 1);
    CHECK(table.region_size == BC_REGION_SIZE_MIN);
    CHECK(std::string(table.log_path) == "254:32");
    CHECK(module_verdict(*line, disks(2)) == "ok");
}

TEST_CASE("biochainctl writes --log as `log <major:minor> <offset>`, after region_size, before nosync") {
    CreateRequest mirror = request(Layout::mirror, {{"/dev/vdb", 0}, {"/dev/vdc", 0}});
    mirror.log = ctl::LogArgument{"/dev/vdd", 0};
    CHECK(built_with_log(mirror, disks(2), log_disk(2)) ==
          "0 2097152 biochain mirror 2 254:0 0 254:16 0 3 log 254:32 0");

    // Counted as three words, in one fixed order with the others: region_size, log,
    // nosync, whatever order they were set in.
    mirror.nosync = true;
    mirror.log->offset_sectors = 2048;
    mirror.region_size = 2048;
    mirror.reserve = 4;
    const std::string line = built_with_log(mirror, disks(2), log_disk(2));
    CHECK(line == "0 2097152 biochain mirror 2 254:0 0 254:16 0 8 reserve 4 region_size 2048 log 254:32 2048 nosync");
    mirror.region_size.reset();
    CHECK(built_with_log(mirror, disks(2), log_disk(2)) ==
          "0 2097152 biochain mirror 2 254:0 0 254:16 0 6 reserve 4 log 254:32 2048 nosync");

    // The module reads it so, and its constructor takes it.
    const auto table_line = ctl::build_table(mirror, disks(2), log_disk(2));
    REQUIRE(table_line);
    TableWords words(table_line->params);
    bc_table table{};
    const char* error = nullptr;
    REQUIRE(bc_table_parse(words.argc(), words.argv(), &table, &error) == 0);
    CHECK(std::string(table.log_path) == "254:32");
    CHECK(table.log_offset == 2048);
    CHECK(table.nosync == 1);
    CHECK(module_verdict(*table_line, disks(2)) == "ok");

    // list reads the three words back as feature words
    const auto summary = ctl::parse_table_params(table_line->params);
    REQUIRE(summary);
    CHECK(summary->feature_words ==
          std::vector<std::string>{"reserve", "4", "log", "254:32", "2048", "nosync"});
}

TEST_CASE("biochainctl refuses a log on a leg, off its device, or on another layout") {
    CreateRequest r = request(Layout::mirror, {{"/dev/vdb", 0}, {"/dev/vdc", 0}});

    // One of the legs, by the path as written: before any device is opened.
    r.log = ctl::LogArgument{"/dev/vdc", 8};
    CHECK(ctl::check_log_not_a_leg(r).error() ==
          "--log /dev/vdc is also a leg of the mirror: the log needs a device of its own");
    CHECK(refusal_with_log(r, disks(2), log_disk(2)) ==
          "--log /dev/vdc is also a leg of the mirror: the log needs a device of its own");
    // ... and by major:minor: another name of a leg.
    r.log = ctl::LogArgument{"/dev/disk/by-id/leg0", 0};
    CHECK(ctl::check_log_not_a_leg(r).ok());
    CHECK(refusal_with_log(r, disks(2), disks(1)[0]) ==
          "--log /dev/disk/by-id/leg0 and /dev/vdb are the same device (254:0): the log needs a device of its own");

    // Its offset: aligned to the log device's logical block size, inside it, and the
    // whole log after it. 1 GiB of the default 1024-sector regions: 2048 regions, the
    // two header blocks and one bitmap block, 12 KiB.
    r.log = ctl::LogArgument{"/dev/vdd", 1};
    CHECK(refusal_with_log(r, disks(2), log_disk(2, kGiB, 4096)) ==
          "--log /dev/vdd: offset 1 is not a multiple of its logical block size (4096 bytes, 8 sectors)");
    r.log->offset_sectors = 2 * kMiB / 512;
    CHECK(refusal_with_log(r, disks(2), log_disk(2, 2 * kMiB)) ==
          "--log /dev/vdd: offset 4096 is not inside the device (4096 sectors)");
    r.log->offset_sectors = 0;
    CHECK(refusal_with_log(r, disks(2), log_disk(2, 8 * 1024)) ==
          "--log /dev/vdd: the log of this mirror (2048 regions) takes 24 sectors, the device has 16 from offset 0");
    CHECK(built_with_log(r, disks(2), log_disk(2, 12 * 1024)).rfind("0 2097152 biochain", 0) == 0);
    r.log->offset_sectors = 8;
    CHECK(built_with_log(r, disks(2), log_disk(2, 16 * 1024)).rfind("0 2097152 biochain", 0) == 0);
    r.log->offset_sectors = 9;
    CHECK(refusal_with_log(r, disks(2), log_disk(2, 16 * 1024)) ==
          "--log /dev/vdd: the log of this mirror (2048 regions) takes 24 sectors, the device has 23 from offset 9");
    r.log->offset_sectors = 0;

    // The geometry comes with --log and only then.
    CHECK(refusal(r, disks(2)) == "internal: the log's geometry expected with --log, and only then");
    CreateRequest plain = request(Layout::mirror, {{"/dev/vdb", 0}, {"/dev/vdc", 0}});
    CHECK(refusal_with_log(plain, disks(2), log_disk(2)) ==
          "internal: the log's geometry expected with --log, and only then");

    // A mirror's only: the module refuses it on another layout too.
    for (const Layout layout : {Layout::linear, Layout::striped}) {
        INFO(ctl::layout_name(layout));
        CreateRequest other = request(layout, {{"/dev/vda", 0}});
        other.log = ctl::LogArgument{"/dev/vdd", 0};
        CHECK(ctl::check_layout_options(other).error() == "--log applies to the mirror layout only");
        CHECK(refusal_with_log(other, disks(1), log_disk(1)) == "--log applies to the mirror layout only");
        const std::string params = layout == Layout::linear ? "linear 254:0 0" : "striped 1 128 254:0 0";
        CHECK(module_verdict({2048, params + " 3 log 254:16 0"}, disks(1)) == "parser: log: for a mirror only");
    }
}

TEST_CASE("biochainctl's log length is the module's (core/target/log_format.h)") {
    for (const ctl::u64 regions : {ctl::u64(1), ctl::u64(2), bc::kLogRegionsPerBlock - 1, bc::kLogRegionsPerBlock,
                                   bc::kLogRegionsPerBlock + 1, ctl::kMaxMirrorRegions}) {
        INFO(regions << " regions");
        CHECK(ctl::log_bytes(regions * BC_REGION_SIZE_MIN, BC_REGION_SIZE_MIN) ==
              bc::log_blocks(regions) * bc::kLogBlockBytes);
        // a last region cut short is a region
        CHECK(ctl::log_bytes(regions * 1024 - 1, 1024) == bc::log_blocks(regions) * bc::kLogBlockBytes);
    }
    CHECK(ctl::log_bytes(2097152, 1024) == 12 * 1024);
    CHECK(ctl::log_bytes(ctl::kMaxMirrorRegions * 1024, 1024) == (2 + 1024) * 4096);
}

TEST_CASE("biochainctl splits --log DEV[:OFFSET], OFFSET in sectors") {
    auto none_exist = [](const std::string&) { return false; };
    auto all_exist = [](const std::string&) { return true; };
    auto log = ctl::parse_log_argument("/dev/vdd:2048", none_exist);
    REQUIRE(log);
    CHECK(log->device == "/dev/vdd");
    CHECK(log->offset_sectors == 2048);
    CHECK(ctl::parse_log_argument("/dev/vdd", none_exist)->offset_sectors == 0);
    CHECK(ctl::parse_log_argument("/dev/vdd:0", none_exist)->device == "/dev/vdd");
    CHECK(ctl::parse_log_argument("/dev/disk/by-path/pci-0000:00:05.0", all_exist)->device ==
          "/dev/disk/by-path/pci-0000:00:05.0");
    CHECK(ctl::parse_log_argument("/dev/disk/by-path/pci-0000:00:05.0:16", none_exist)->offset_sectors == 16);

    CHECK(ctl::parse_log_argument("", none_exist).error() == "--log: empty device argument");
    CHECK(ctl::parse_log_argument(":8", none_exist).error() == "--log ':8': no device before the ':'");
    // A SIZE's suffix would read as bytes: refused rather than guessed.
    CHECK(ctl::parse_log_argument("/dev/vdd:1k", none_exist).error() ==
          "--log /dev/vdd: offset '1k' is not a number of 512-byte sectors");
    CHECK(ctl::parse_log_argument("/dev/vdd:", none_exist).error() ==
          "--log /dev/vdd: offset '' is not a number of 512-byte sectors");
    CHECK(ctl::parse_log_argument("/dev/vdd:-8", none_exist).error() ==
          "--log /dev/vdd: offset '-8' is not a number of 512-byte sectors");
    CHECK(ctl::parse_log_argument("/dev/vdd:36028797018963967", none_exist)->offset_sectors == 36028797018963967ull);
    CHECK(ctl::parse_log_argument("/dev/vdd:36028797018963968", none_exist).error() ==
          "--log /dev/vdd: offset: 36028797018963968 is too large (at most 36028797018963967)");
}

TEST_CASE("biochainctl and the module agree on every feature's bounds (core/abi/limits.h)") {
    for (const ctl::FeatureOption& feature : ctl::kFeatureOptions) {
        if (!feature.value)
            continue;  // a flag: nothing to bound
        INFO("--" << feature.option);
        auto verdicts = [&](ctl::u64 value) {
            // what create does with --OPTION VALUE, then the module with the table built from it
            const auto parsed = ctl::parse_feature_value(feature, std::to_string(value), feature.option);
            CreateRequest r = request_for(feature);
            r.*feature.value = value;
            const auto line = ctl::build_table(r, disks(r.legs.size()));
            REQUIRE(line);
            return Verdicts{parsed ? "ok" : parsed.error(), module_verdict(*line, disks(r.legs.size()))};
        };
        check_bound(verdicts, feature.min, true);
        check_bound(verdicts, feature.max, false);
    }
}

TEST_CASE("biochainctl and the module agree that region_size is a power of two") {
    const ctl::FeatureOption& region_size = ctl::kFeatureOptions[BC_FEATURE_REGION_SIZE];
    REQUIRE(std::string(region_size.option) == "region-size");
    auto ctl_verdict = [&](const std::string& text) {
        const auto value = ctl::parse_feature_value(region_size, text, "create: --region-size");
        return value ? "ok " + std::to_string(*value) : value.error();
    };
    auto module_says = [](ctl::u64 sectors) {
        return module_verdict({2048, "mirror 2 254:0 0 254:16 0 2 region_size " + std::to_string(sectors)}, disks(2));
    };
    for (ctl::u64 sectors = BC_REGION_SIZE_MIN; sectors <= BC_REGION_SIZE_MAX; sectors *= 2) {
        INFO(sectors);
        CHECK(ctl_verdict(std::to_string(sectors)) == "ok " + std::to_string(sectors));
        CHECK(module_says(sectors) == "ok");
        const ctl::u64 between = sectors + sectors / 2;  // never a power of two
        CHECK(ctl_verdict(std::to_string(between)).rfind("ok", 0) != 0);
        if (between <= BC_REGION_SIZE_MAX)
            CHECK(module_says(between) == "parser: region_size: not a power of two");
    }
    CHECK(ctl_verdict("1000") == "create: --region-size: 1000 is not a power of two (512 and 1024 are)");
    CHECK(ctl_verdict("24") == "create: --region-size: 24 is not a power of two (16 and 32 are)");
    CHECK(ctl_verdict("4") == "create: --region-size: 4 is too small (at least 8)");
    CHECK(ctl_verdict("4194304") == "create: --region-size: 4194304 is too large (at most 2097152)");
    CHECK(ctl_verdict("1k") == "create: --region-size: '1k' is not a number");
    // The percent sign is fail-alloc's alone.
    CHECK(ctl_verdict("1024%") == "create: --region-size: '1024%' is not a number");
    CHECK(ctl::parse_feature_value(ctl::kFeatureOptions[BC_FEATURE_FAIL_ALLOC], "50%", "--fail-alloc").value() == 50);
}

TEST_CASE("biochainctl refuses a mirror's features on another layout, as the module does") {
    for (const ctl::FeatureOption& feature : ctl::kFeatureOptions) {
        if (!feature.mirror_only)
            continue;
        INFO("--" << feature.option);
        for (const Layout layout : {Layout::linear, Layout::striped}) {
            INFO(ctl::layout_name(layout));
            CreateRequest r = request(layout, {{"/dev/vda", 0}});
            if (feature.value)
                r.*feature.value = feature.min;
            else
                r.*feature.flag = true;
            CHECK(ctl::check_layout_options(r).error() == std::string("--") + feature.option +
                                                              " applies to the mirror layout only");
            CHECK(refusal(r, disks(1)) == std::string("--") + feature.option + " applies to the mirror layout only");
            // the line the builder will not write, by hand: the module refuses it too
            std::string params = layout == Layout::linear ? "linear 254:0 0" : "striped 1 128 254:0 0";
            params += feature.value ? " 2 " + std::string(feature.word) + " " + std::to_string(feature.min)
                                    : " 1 " + std::string(feature.word);
            CHECK(module_verdict({2048, params}, disks(1)) ==
                  "parser: " + std::string(feature.word) + ": for a mirror only");
        }
    }
    CreateRequest chunk = request(Layout::mirror, {{"/dev/vda", 0}, {"/dev/vdb", 0}});
    chunk.chunk_bytes = 64 * 1024;
    CHECK(ctl::check_layout_options(chunk).error() == "--chunk applies to the striped layout only");
}

TEST_CASE("biochainctl and the module agree on a mirror's most regions") {
    // kMaxMirrorRegions is the module's, stated in biochainctl: the constructor takes a
    // mirror of exactly that many regions and refuses one more.
    constexpr ctl::u64 kRegion = BC_REGION_SIZE_MIN;
    const ctl::u64 largest = ctl::kMaxMirrorRegions * kRegion * 512;
    CreateRequest r = request(Layout::mirror, {{"/dev/vda", 0}, {"/dev/vdb", 0}});
    r.region_size = kRegion;
    const auto line = ctl::build_table(r, disks(2, largest));
    REQUIRE(line);
    CHECK(line->sectors == ctl::kMaxMirrorRegions * kRegion);
    CHECK(module_verdict(*line, disks(2, largest)) == "ok");

    CHECK(refusal(r, disks(2, largest + 4096)) ==
          "--region-size 8 cuts the mirror (134217732 KiB) into 33554433 regions, more than the module's 33554432; "
          "--region-size 16 or more fits");
    const ctl::TableLine one_more{largest / 512 + kRegion, "mirror 2 254:0 0 254:16 0 2 region_size 8"};
    CHECK(module_verdict(one_more, disks(2, largest + 4096)).rfind("constructor: region_size: too many regions", 0) == 0);

    // Without --region-size, the module's default: 16 TiB is the most.
    CreateRequest plain = request(Layout::mirror, {{"/dev/vda", 0}, {"/dev/vdb", 0}});
    CHECK(built(plain, disks(2, 16 * 1024 * kGiB)) == "0 34359738368 biochain mirror 2 254:0 0 254:16 0");
    CHECK(refusal(plain, disks(2, 16 * 1024 * kGiB + kMiB)) ==
          "the default region size (1024 sectors) cuts the mirror (16777217 MiB) into 33554434 regions, more than "
          "the module's 33554432; --region-size 2048 or more fits");
    plain.size_bytes = 16 * 1024 * kGiB;
    CHECK(built(plain, disks(2, 16 * 1024 * kGiB + kMiB)) == "0 34359738368 biochain mirror 2 254:0 0 254:16 0");
}

TEST_CASE("biochainctl and the module agree on the number of devices and the chunk size") {
    constexpr ctl::u64 kTiB = 1024 * kGiB;
    for (const Layout layout : {Layout::striped, Layout::mirror}) {
        INFO(ctl::layout_name(layout));
        const std::string chunk = layout == Layout::striped ? "8" : "";
        auto verdicts = [&](ctl::u64 count) {
            CreateRequest r = request(layout, std::vector<ctl::LegArgument>(count, {"/dev/vda", 0}));
            for (std::size_t i = 0; i < count; ++i)
                r.legs[i].device = "/dev/vd" + std::to_string(i);
            r.chunk_bytes = layout == Layout::striped ? std::optional<ctl::u64>(8 * 512) : std::nullopt;
            const auto line = ctl::build_table(r, disks(count));
            return Verdicts{line ? "ok" : line.error(),
                            module_verdict(line ? *line : by_hand(ctl::layout_name(layout), count, chunk), disks(count))};
        };
        check_bound(verdicts, layout == Layout::striped ? BC_STRIPED_MIN_LEGS : BC_MIRROR_MIN_LEGS, true);
        check_bound(verdicts, BC_MAX_LEGS, false);
    }
    auto chunk_verdicts = [&](ctl::u64 chunk_sectors) {
        CreateRequest r = request(Layout::striped, {{"/dev/vda", 0}, {"/dev/vdb", 0}});
        r.chunk_bytes = chunk_sectors * 512;
        const auto line = ctl::build_table(r, disks(2, kTiB));
        return Verdicts{line ? "ok" : line.error(),
                        module_verdict(line ? *line : by_hand("striped", 2, std::to_string(chunk_sectors)),
                                       disks(2, kTiB))};
    };
    check_bound(chunk_verdicts, BC_CHUNK_SECTORS_MIN, true);
    check_bound(chunk_verdicts, BC_CHUNK_SECTORS_MAX, false);
}

TEST_CASE("biochainctl splits DEV[:OFFSET], preferring a path that exists") {
    auto none_exist = [](const std::string&) { return false; };
    auto all_exist = [](const std::string&) { return true; };
    auto leg = ctl::parse_leg_argument("/dev/vda:1M", none_exist);
    REQUIRE(leg);
    CHECK(leg->device == "/dev/vda");
    CHECK(leg->offset_bytes == kMiB);
    CHECK(ctl::parse_leg_argument("/dev/vda", none_exist)->offset_bytes == 0);
    CHECK(ctl::parse_leg_argument("/dev/disk/by-path/pci-0000:00:04.0", all_exist)->device ==
          "/dev/disk/by-path/pci-0000:00:04.0");
    auto by_path = ctl::parse_leg_argument("/dev/disk/by-path/pci-0000:00:04.0:8s", none_exist);
    CHECK(by_path->device == "/dev/disk/by-path/pci-0000:00:04.0");
    CHECK(by_path->offset_bytes == 4096);
    CHECK(ctl::parse_leg_argument("/dev/vda:12q", none_exist).error() ==
          "/dev/vda: offset '12q': unknown size suffix 'q' (use s, k, m, g or t)");
    CHECK(ctl::parse_leg_argument(":4k", none_exist).error() == "':4k': no device before the ':'");
    CHECK(ctl::parse_leg_argument("", none_exist).error() == "empty device argument");
}

TEST_CASE("biochainctl reads back the table the module echoes") {
    const auto linear = ctl::parse_table_params("linear 254:0 2048");
    REQUIRE(linear);
    CHECK(linear->layout == "linear");
    REQUIRE(linear->legs.size() == 1);
    CHECK(linear->legs[0].device == "254:0");
    CHECK(linear->legs[0].offset_sectors == 2048);

    const auto striped = ctl::parse_table_params("striped 3 128 254:16 0 254:32 0 254:48 8 3 reserve 4 no_rescuer");
    REQUIRE(striped);
    CHECK(striped->chunk_sectors == 128);
    CHECK(striped->legs.size() == 3);
    CHECK(striped->legs[2].offset_sectors == 8);
    CHECK(striped->feature_words == std::vector<std::string>{"reserve", "4", "no_rescuer"});

    CHECK(ctl::parse_table_params("mirror 2 254:0 0").error() == "table 'mirror 2 254:0 0': fewer devices than <#devs>");
    CHECK_FALSE(ctl::parse_table_params("raid5 3").ok());
    CHECK_FALSE(ctl::parse_table_params("").ok());
    CHECK_FALSE(ctl::parse_table_params("striped x").ok());
    CHECK_FALSE(ctl::parse_table_params("mirror 99999999999").ok());
}
