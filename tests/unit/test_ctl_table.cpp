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
    CHECK(built(r, disks(1)) == "0 2097152 biochain linear 254:0 0 "
                                "9 reserve 1 max_child_sectors 8 max_child_segments 4 no_rescuer fail_alloc 50");
    CreateRequest one = request(Layout::linear, {{"/dev/vda", 0}});
    one.no_rescuer = true;
    CHECK(built(one, disks(1)) == "0 2097152 biochain linear 254:0 0 1 no_rescuer");
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

TEST_CASE("biochainctl and the module agree on every feature's bounds (core/abi/limits.h)") {
    // every numeric feature of the module is an option of create
    CHECK(std::size(ctl::kFeatureOptions) == BC_FEATURE_COUNT - 1);  // all but no_rescuer
    for (const ctl::FeatureOption& feature : ctl::kFeatureOptions) {
        INFO("--" << feature.option);
        auto verdicts = [&](ctl::u64 value) {
            // what create does with --OPTION VALUE, then the module with the table built from it
            const auto count = ctl::parse_count(std::to_string(value), feature.min, feature.max, feature.option);
            CreateRequest r = request(Layout::linear, {{"/dev/vda", 0}});
            r.*feature.value = value;
            const auto line = ctl::build_table(r, disks(1));
            REQUIRE(line);
            return Verdicts{count ? "ok" : count.error(), module_verdict(*line, disks(1))};
        };
        check_bound(verdicts, feature.min, true);
        check_bound(verdicts, feature.max, false);
    }
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
