#include <catch2/catch.hpp>
#include "target/target.h"

#include <atomic>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "abi/limits.h"
#include "engine/cache_registry.h"
#include "env_posix.h"
#include "table_words.h"
#include "target_ops.h"
#include "target/layout.h"

namespace {
struct Target {
    explicit Target(const std::string& line, unsigned long long sectors = 2048,
                    bc_leg_geometry geometry = {1 << 21, 512, 0}) {
        TableWords words(line);
        const char* error = nullptr;
        REQUIRE(bc_table_parse(words.argc(), words.argv(), &table, &error) == 0);
        for (unsigned i = 0; i < BC_MAX_LEGS; ++i) {
            legs[i] = geometry;
            legs[i].id = 0xfd00 + i;  // distinct disks
        }
        const bc_bio_shape shape{128, 16, 4};
        rc = bc_target_create(&table, sectors, legs, &shape, &TargetOps::kTable, nullptr, &target, &error);
        message = error && rc ? error : "";
    }
    ~Target() { bc_target_destroy(target); }

    std::string info() const {
        char buf[BC_STATUS_MAX];
        bc_target_emit_info(target, buf, sizeof buf);
        return buf;
    }
    std::string table_line(const char* const* names) const {
        char buf[BC_STATUS_MAX];
        bc_target_emit_table(target, names, buf, sizeof buf);
        return buf;
    }

    bc_table table{};
    bc_leg_geometry legs[BC_MAX_LEGS];
    bc_target* target = nullptr;
    int rc = 0;
    std::string message;
};

const char* const kNames[] = {"252:0", "252:16"};
}  // namespace

TEST_CASE("linear remaps by the offset") {
    Target t("linear /dev/vda 100");
    REQUIRE(t.rc == 0);
    unsigned leg = 9;
    bc_sector_t sector = 0;
    REQUIRE(remap(t.target, 0, 8, &leg, &sector));
    CHECK(leg == 0);
    CHECK(sector == 100);
    REQUIRE(remap(t.target, 1947, 1, &leg, &sector));
    CHECK(sector == 2047);
}

TEST_CASE("striped remaps in place only what stays in one chunk") {
    Target t("striped 3 24 a 0 b 8 c 16", 24 * 3 * 4);
    REQUIRE(t.rc == 0);
    unsigned leg = 9;
    bc_sector_t sector = 0;
    REQUIRE(remap(t.target, 30, 18, &leg, &sector));  // chunk 1: leg 1
    CHECK(leg == 1);
    CHECK(sector == 8 + 6);
    CHECK_FALSE(remap(t.target, 30, 19, &leg, &sector));  // crosses into chunk 2
    unsigned io_min = 0, io_opt = 0;
    bc_target_io_hints(t.target, &io_min, &io_opt);
    CHECK(io_min == 24 * 512);  // bytes, as queue_limits holds them
    CHECK(io_opt == 72 * 512);
    bc_sector_t start = 0, length = 0;
    bc_target_leg_area(t.target, 2, &start, &length);
    CHECK(start == 16);
    CHECK(length == 24 * 4);
}

// io_min and io_opt are bytes in an unsigned int (queue_limits); a chunk of the largest
// size the parser accepts (2^30 sectors) over its most legs (16) is 2^39 bytes a chunk and
// 2^43 a row. They used to be computed in 32-bit sectors and shifted to bytes by the shim:
// io_opt wrapped to 0 and io_min to garbage. Like dm-stripe, hints that do not fit are
// left as the stacked limits have them (both 0), and hints that fit are exact.
TEST_CASE("io hints too large for 32 bits of bytes are left to the stacked limits") {
    const unsigned long long max_chunk = BC_CHUNK_SECTORS_MAX;
    struct Case {
        unsigned long long chunk;
        unsigned nr_legs;
        unsigned long long io_min, io_opt;
    };
    const Case cases[] = {
        {max_chunk, BC_MAX_LEGS, 0, 0},       // neither fits
        {1ull << 23, 1, 0, 0},                // the chunk alone is 4 GiB
        {1ull << 22, 2, 0, 0},                // a 2 GiB chunk fits, the 4 GiB row does not: neither
        {1ull << 21, 2, 1ull << 30, 1ull << 31},  // both fit
        {(1ull << 23) - 8, 1, ((1ull << 23) - 8) * 512, ((1ull << 23) - 8) * 512},
    };
    for (const Case& c : cases) {
        INFO("chunk " << c.chunk << " x " << c.nr_legs << " legs");
        std::string line = "striped " + std::to_string(c.nr_legs) + " " + std::to_string(c.chunk);
        for (unsigned i = 0; i < c.nr_legs; ++i)
            line += " l" + std::to_string(i) + " 0";
        Target t(line, c.chunk * c.nr_legs, {c.chunk, 512, 0});
        REQUIRE(t.rc == 0);
        unsigned io_min = 1, io_opt = 1;
        bc_target_io_hints(t.target, &io_min, &io_opt);
        CHECK(io_min == c.io_min);
        CHECK(io_opt == c.io_opt);
    }
}

TEST_CASE("a mirror never remaps in place and has no io hints") {
    Target t("mirror 2 a 0 b 0");
    REQUIRE(t.rc == 0);
    unsigned leg = 9;
    bc_sector_t sector = 0;
    CHECK_FALSE(remap(t.target, 0, 8, &leg, &sector));
    unsigned io_min = 1, io_opt = 1;
    bc_target_io_hints(t.target, &io_min, &io_opt);
    CHECK(io_min == 0);
    CHECK(io_opt == 0);
    CHECK(bc_target_whole_bios(t.target) == 2);
}

TEST_CASE("flushes go to every leg and are counted per leg, and discards only where they land") {
    Target t("striped 2 8 a 100 b 200", 64);
    REQUIRE(t.rc == 0);
    unsigned leg = 9;
    bc_sector_t sector = 0, count = 0;
    for (unsigned nr = 0; nr < 2; ++nr) {
        REQUIRE(bc_target_map_whole(t.target, BC_IO_FLUSH, nr, 0, 0, &leg, &sector, &count));
        CHECK(leg == nr);
    }
    CHECK(t.info().find(" leg0_flushes 1 leg0_errors 0 leg0_failed 0 leg1_flushes 1 ") != std::string::npos);
    // sectors 0..7 are all on leg 0: nothing for leg 1
    REQUIRE(bc_target_map_whole(t.target, BC_IO_DISCARD, 0, 0, 8, &leg, &sector, &count));
    CHECK(sector == 100);
    CHECK(count == 8);
    CHECK_FALSE(bc_target_map_whole(t.target, BC_IO_DISCARD, 1, 0, 8, &leg, &sector, &count));
    // 4..19: leg 0 gets 4..7 and 16..19 -> its 4..11; leg 1 gets 8..15 -> its 0..7
    REQUIRE(bc_target_map_whole(t.target, BC_IO_DISCARD, 0, 4, 16, &leg, &sector, &count));
    CHECK(sector == 104);
    CHECK(count == 8);
    REQUIRE(bc_target_map_whole(t.target, BC_IO_DISCARD, 1, 4, 16, &leg, &sector, &count));
    CHECK(sector == 200);
    CHECK(count == 8);
}

// DM sends a flush, discard or write-zeroes as one clone per leg (num_flush_bios etc.):
// the status counts the bio once, and each leg its own flush. Every clone used to be
// counted (tests/vm/layouts saw flushes 3 on a 3-leg device after one fsync).
TEST_CASE("a flush, discard or write-zeroes is counted once however many legs it is cloned to") {
    Target t("striped 3 8 a 0 b 0 c 0", 8 * 3 * 4);
    REQUIRE(t.rc == 0);
    REQUIRE(bc_target_whole_bios(t.target) == 3);
    for (const bc_io_kind kind : {BC_IO_FLUSH, BC_IO_DISCARD, BC_IO_WRITE_ZEROES}) {
        for (unsigned nr = 0; nr < 3; ++nr) {
            unsigned leg = 9;
            bc_sector_t sector = 0, count = 0;
            bc_target_account_whole(t.target, kind, nr);
            bc_target_map_whole(t.target, kind, nr, 0, kind == BC_IO_FLUSH ? 0 : 24, &leg, &sector, &count);
        }
    }
    CHECK(t.info().find(" flushes 1 discards 1 write_zeroes 1 other 0 ") != std::string::npos);
    CHECK(t.info().find(" leg0_flushes 1 leg0_errors 0 leg0_failed 0 leg1_flushes 1 leg1_errors 0 "
                        "leg1_failed 0 leg2_flushes 1 ") != std::string::npos);
}

TEST_CASE("striped and mirror geometry is checked against every leg") {
    Target len("striped 2 8 a 0 b 0", 24);
    CHECK(len.message == "striped: target length is not a multiple of <chunk_sectors> x <#devs>");
    Target small("striped 2 8 a 0 b 100", 32, {110, 512, 0});
    CHECK(small.message == "Device too small for target");
    Target mirror_small("mirror 2 a 0 b 10", 100, {105, 512, 0});
    CHECK(mirror_small.message == "Device too small for target");
    Target ok("striped 2 8 a 0 b 0", 32, {16, 512, 0});
    CHECK(ok.rc == 0);
}

TEST_CASE("a linear target may end exactly at the end of its device") {
    Target exact("linear /dev/vda 2048", 2048, {4096, 512, 0});
    CHECK(exact.rc == 0);
    Target over("linear /dev/vda 2049", 2048, {4096, 512, 0});
    CHECK(over.rc == -BC_EINVAL);
    CHECK(over.message == "Device too small for target");
}

TEST_CASE("offset plus length may not wrap around (DM refuses such lengths first, core/ too)") {
    Target t("linear /dev/vda 4096", 18446744073709549568ull, {~0ull, 512, 0});
    CHECK(t.rc == -BC_EINVAL);
    CHECK(t.message == "Offset plus target length overflows");
}

TEST_CASE("child size must be whole logical blocks of every leg") {
    Target t("linear /dev/vda 0 2 max_child_sectors 12", 2048, {1 << 21, 4096, 0});
    CHECK(t.rc == -BC_EINVAL);
    CHECK(t.message == "max_child_sectors: not a multiple of the logical block size");
    Target s("striped 2 12 a 0 b 0", 2048, {1 << 21, 4096, 0});
    CHECK(s.message == "striped: chunk size is not a multiple of the logical block size");
}

TEST_CASE("status INFO counts bios and sectors by kind") {
    Target t("linear /dev/vda 0");
    REQUIRE(t.rc == 0);
    map_read_write(t.target, BC_IO_READ, 0, 8);
    map_read_write(t.target, BC_IO_READ, 8, 16);
    map_read_write(t.target, BC_IO_WRITE, 0, 256);
    bc_target_account_whole(t.target, BC_IO_FLUSH, 0);
    bc_target_account_whole(t.target, BC_IO_DISCARD, 0);
    bc_target_account_error(t.target);
    CHECK(t.info().rfind(
              "linear 82 reads 2 writes 1 flushes 1 discards 1 write_zeroes 0 other 0 read_sectors 24 "
              "write_sectors 256 errors 1 alloc_percpu 0 ",
              0) == 0);

    char reset[] = "reset";
    char stats[] = "stats";
    char* argv[] = {stats, reset};
    const char* error = nullptr;
    CHECK(bc_target_message(t.target, 2, argv, &error) == 0);
    CHECK(t.info().rfind(
              "linear 82 reads 0 writes 0 flushes 0 discards 0 write_zeroes 0 other 0 read_sectors 0 "
              "write_sectors 0 errors 0 ",
              0) == 0);
}

TEST_CASE("the map path counts a read or write once, whether remapped in place or split") {
    Target t("striped 2 8 a 0 b 0", 8 * 2 * 4);
    REQUIRE(t.rc == 0);
    CHECK(map_read_write(t.target, BC_IO_READ, 8, 8).remapped == 1);
    CHECK(map_read_write(t.target, BC_IO_WRITE, 4, 12).remapped == 0);  // crosses a chunk: split
    bc_target_account_whole(t.target, BC_IO_FLUSH, 0);
    CHECK(t.info().find(" reads 1 writes 1 flushes 1 ") != std::string::npos);
    CHECK(t.info().find(" read_sectors 8 write_sectors 12 ") != std::string::npos);
    unsigned leg = 9;
    bc_sector_t sector = 0;
    CHECK(remap(t.target, 8, 8, &leg, &sector));  // the fast path's answer alone counts nothing
    CHECK(t.info().find(" reads 1 writes 1 flushes 1 ") != std::string::npos);
}

// The shim counts a read or write before it splits it: bc_target_map must not count the
// parent again (only its children), or every split bio would show twice in status.
TEST_CASE("bc_target_map counts children, never the parent's read or write") {
    TargetOps ops;
    ops.child_submit = [](void*, void*, unsigned, bc_sector_t, bc_sector_t, unsigned) {};
    TableWords words("striped 2 8 a 0 b 0");
    const char* error = nullptr;
    bc_table table{};
    REQUIRE(bc_table_parse(words.argc(), words.argv(), &table, &error) == 0);
    bc_leg_geometry legs[2] = {{1 << 21, 512, 0xfd00}, {1 << 21, 512, 0xfd01}};
    const bc_bio_shape shape{128, 16, 4};
    bc_target* target = nullptr;
    REQUIRE(bc_target_create(&table, 8 * 2 * 4, legs, &shape, &TargetOps::kTable, &ops, &target, &error) == 0);
    std::vector<void*> children;
    ops.child_submit = [&](void* child, void*, unsigned, bc_sector_t, bc_sector_t, unsigned) {
        children.push_back(child);
    };
    REQUIRE(ParentArea::fits(target));
    ParentArea area;
    bc::ParentState& state = area.state;
    {
        bc::posix::NoioScope noio;
        bc_target_map(target, &state, &state, BC_IO_READ, 4, 12);  // crosses a chunk: 2 children
    }
    REQUIRE(children.size() == 2);
    for (void* child : children)
        bc_target_child_end(target, child, 0);
    char buf[BC_STATUS_MAX];
    bc_target_emit_info(target, buf, sizeof buf);
    const std::string info = buf;
    CHECK(info.find(" reads 0 writes 0 ") != std::string::npos);
    CHECK(info.find(" read_sectors 0 write_sectors 0 ") != std::string::npos);
    CHECK(info.find(" children 2 ") != std::string::npos);
    bc_target_destroy(target);
}

// The kernel shim counts reads and writes itself, at the offsets the fast path names:
// adding there, as its this_cpu_add does, must move exactly the counters status shows.
TEST_CASE("the fast path names the counters that status reports for reads and writes") {
    Target t("striped 2 8 a 0 b 0", 8 * 2 * 4);
    REQUIRE(t.rc == 0);
    bc_fast_path path{};
    bc_target_fast_path(t.target, &path);
    REQUIRE(path.percpu != nullptr);
    const unsigned long offsets[] = {path.bios[BC_IO_READ], path.bios[BC_IO_WRITE], path.sectors[BC_IO_READ],
                                     path.sectors[BC_IO_WRITE]};
    for (unsigned i = 0; i < 4; ++i)
        for (unsigned j = 0; j < i; ++j)
            CHECK(offsets[i] != offsets[j]);
    bc_env_percpu_add(path.percpu, path.bios[BC_IO_READ], 3);
    bc_env_percpu_add(path.percpu, path.sectors[BC_IO_READ], 24);
    bc_env_percpu_add(path.percpu, path.bios[BC_IO_WRITE], 2);
    bc_env_percpu_add(path.percpu, path.sectors[BC_IO_WRITE], 40);
    CHECK(t.info().find(" reads 3 writes 2 flushes 0 ") != std::string::npos);
    CHECK(t.info().find(" read_sectors 24 write_sectors 40 ") != std::string::npos);
}

TEST_CASE("unknown messages are refused") {
    Target t("linear /dev/vda 0");
    char word[] = "frobnicate";
    char* argv[] = {word};
    const char* error = nullptr;
    CHECK(bc_target_message(t.target, 1, argv, &error) == -BC_EINVAL);
    CHECK(std::string(error) == "Unknown message");
    CHECK(bc_target_message(t.target, 0, argv, &error) == -BC_EINVAL);
}

TEST_CASE("status TABLE echoes the constructor line, and that line parses back the same") {
    Target t("linear /dev/vda 64");
    REQUIRE(t.rc == 0);
    const std::string line = t.table_line(kNames);
    CHECK(line == "linear 252:0 64");

    Target again(line);
    REQUIRE(again.rc == 0);
    CHECK(again.table_line(kNames) == line);
}

TEST_CASE("status TABLE echoes features in their order with their word count") {
    Target t("linear /dev/vda 0 5 fail_alloc 5 no_rescuer reserve 3");
    REQUIRE(t.rc == 0);
    CHECK(t.table_line(kNames) == "linear 252:0 0 5 fail_alloc 5 no_rescuer reserve 3");
}

TEST_CASE("status TABLE echoes a mirror's max_recovery_rate, and the resync pauses to keep it") {
    Target t("mirror 2 /dev/vda 0 /dev/vdb 0 4 region_size 2048 max_recovery_rate 1024");
    REQUIRE(t.rc == 0);
    CHECK(t.table_line(kNames).find(" 4 region_size 2048 max_recovery_rate 1024") != std::string::npos);
    // 1024 KiB/s: a MiB copied is due at 1 s; whatever of it has not passed is the pause
    CHECK(bc_target_resync_pause(t.target, 1 << 20, 0) == 1000000000ull);
    CHECK(bc_target_resync_pause(t.target, 1 << 20, 250000000) == 750000000ull);
    CHECK(bc_target_resync_pause(t.target, 1 << 20, 1000000000) == 0);
    CHECK(bc_target_resync_pause(t.target, 3 << 19, 0) == 1500000000ull);  // 1.5 MiB
    CHECK(bc_target_resync_pause(t.target, 0, 0) == 0);
    // the largest mirror's bytes at the lowest rate: no product overflows, the pause is long
    Target slow("mirror 2 /dev/vda 0 /dev/vdb 0 2 max_recovery_rate 1");
    REQUIRE(slow.rc == 0);
    CHECK(bc_target_resync_pause(slow.target, 1ull << 55, 0) > 1000000000ull * 3600 * 24 * 365);
    CHECK(bc_target_resync_pause(slow.target, 1024, 0) == 1000000000ull);
    // nothing left to copy: no pause, so that the pass ends (its event, no leg
    // resyncing) as soon as its last region is copied
    Target done("mirror 2 /dev/vda 0 /dev/vdb 0 3 max_recovery_rate 1 nosync");
    REQUIRE(done.rc == 0);
    CHECK(bc_target_resync_pause(done.target, 1 << 20, 0) == 0);
    // not given: no pause
    Target fast("mirror 2 /dev/vda 0 /dev/vdb 0");
    REQUIRE(fast.rc == 0);
    CHECK(bc_target_resync_pause(fast.target, 1ull << 40, 0) == 0);
}

TEST_CASE("status INFO ends with the reserve, outstanding objects and the fault rate") {
    Target t("linear /dev/vda 0 4 reserve 3 fail_alloc 7");
    REQUIRE(t.rc == 0);
    const std::string info = t.info();
    CHECK(info.find(" outstanding 0 reserve 3 reserve_free 3 reserve_low 3 fail_alloc 7") != std::string::npos);
    // the word count is right: every name has its value
    std::istringstream words(info);
    std::string layout;
    unsigned count = 0;
    words >> layout >> count;
    unsigned n = 0;
    for (std::string w; words >> w;)
        ++n;
    CHECK(n == count);
}

TEST_CASE("messages change the fault rate and the reserve live, and refuse bad values") {
    Target t("linear /dev/vda 0");
    REQUIRE(t.rc == 0);
    auto message = [&](std::string line) {
        TableWords words(line);
        const char* error = nullptr;
        const int rc = bc_target_message(t.target, words.argc(), words.argv(), &error);
        return rc ? std::string(error) : std::string("ok");
    };
    CHECK(message("fail_alloc 40") == "ok");
    CHECK(t.info().find(" fail_alloc 40") != std::string::npos);
    CHECK(message("fail_alloc 101") == "fail_alloc: must be a number from 0 to 100");
    CHECK(message("fail_alloc x") == "fail_alloc: must be a number from 0 to 100");
    CHECK(message("reserve 5") == "ok");
    CHECK(t.info().find(" reserve 5 reserve_free 5") != std::string::npos);
    CHECK(message("reserve 0") == "reserve: must be a number from 1 to 4096");
    CHECK(message("reserve 1") == "ok");
    CHECK(t.info().find(" reserve 1 reserve_free 1") != std::string::npos);
}

// BC_STATUS_MAX is the buffer every status line is written into outside DM (the module's
// self tests, the unit tests): it must hold the longest INFO line, a 16-leg mirror with
// every counter at 2^64 - 1 (20 digits where a fresh target writes "0"). It was 1024,
// and a 16-leg mirror's INFO line of a fresh target is already 1066 bytes: its last leg
// counters were cut off. Found by tests/fuzz/table.cpp (corpus: regression-info-line-of-16-leg-mirror).
TEST_CASE("the longest status lines fit BC_STATUS_MAX") {
    std::string legs;
    for (unsigned i = 0; i < BC_MAX_LEGS; ++i)
        legs += " " + std::to_string(i) + " 36028797018963967";
    Target t("mirror 16" + legs + " 9 reserve 4096 max_child_sectors 1073741824 max_child_segments 256 no_rescuer fail_alloc 100",
             2048, {~0ull, 512, 0});
    REQUIRE(t.rc == 0);
    char buf[4 * BC_STATUS_MAX];
    bc_target_emit_info(t.target, buf, sizeof buf);
    std::istringstream words(buf);
    std::string layout;
    unsigned count = 0;
    words >> layout >> count;
    std::size_t longest = std::string(buf).size();
    for (std::string name, value; words >> name >> value;)
        longest += 20 - value.size();
    CHECK(longest < BC_STATUS_MAX);

    std::vector<std::string> names;
    for (unsigned i = 0; i < BC_MAX_LEGS; ++i)
        names.push_back("4095:" + std::to_string(1048575 - i));  // MAJORBITS 12, MINORBITS 20
    std::vector<const char*> name_pointers;
    for (const std::string& name : names)
        name_pointers.push_back(name.c_str());
    bc_target_emit_table(t.target, name_pointers.data(), buf, sizeof buf);
    CHECK(std::string(buf).size() < BC_STATUS_MAX);
}

// A refused message changes nothing: a `reserve` that cannot get its memory leaves the
// reserve the size it was and full (it used to report the new size, short of objects).
// Found by tests/fuzz/message.cpp (corpus: regression-reserve-grow-without-memory).
TEST_CASE("a reserve message that cannot allocate leaves the reserve as it was") {
    Target t("mirror 2 a 0 b 0 2 reserve 4");
    REQUIRE(t.rc == 0);
    char size[] = "64";
    char word[] = "reserve";
    char* argv[] = {word, size};
    const char* error = nullptr;
    bc::posix::fail_nth_allocation(3);
    const int rc = bc_target_message(t.target, 2, argv, &error);
    bc::posix::fail_nth_allocation(0);
    CHECK(rc == -BC_ENOMEM);
    CHECK(std::string(error ? error : "") == "reserve: cannot allocate the larger reserve");
    CHECK(t.info().find(" reserve 4 reserve_free 4 ") != std::string::npos);
}

TEST_CASE("status output is cut, never overrun, when the buffer is small") {
    Target t("linear /dev/vda 0");
    char buf[16];
    std::fill(std::begin(buf), std::end(buf), 'Z');
    bc_target_emit_info(t.target, buf, 10);
    CHECK(std::string(buf) == "linear 82");
    CHECK(buf[10] == 'Z');
}

// A table's ctr says what failed in the words it always used: whatever stops the BioSet
// from being built (here, a cache registry with no free entry), ti->error is the one
// message, and nothing is left allocated.
TEST_CASE("a BioSet that cannot be built fails the target with its one message, leaving nothing") {
    const long live_before = bc::posix::live_allocations();
    std::vector<bc_env_cache*> filler;
    for (bc::usize size = 7;; size += 8) {  // sizes no target uses
        const bc::Result<bc_env_cache*> cache = bc::cache_get(size);
        if (!cache.ok())
            break;
        filler.push_back(cache.value());
        REQUIRE(filler.size() <= 64);
    }
    {
        Target t("linear /dev/vda 0");
        CHECK(t.rc == -BC_ENOMEM);
        CHECK(t.message == "Cannot allocate the bio set and its reserve");
        CHECK(t.target == nullptr);
    }
    for (bc_env_cache* cache : filler)
        bc::cache_put(cache);
    CHECK(bc::posix::live_allocations() == live_before);
}

// The ops are the only way a target issues children and ends parents: a table with a
// hole in it is refused at create, not met as a NULL call on the I/O path.
TEST_CASE("a target is refused without a complete ops table") {
    TableWords words("linear /dev/vda 0");
    const char* error = nullptr;
    bc_table table{};
    REQUIRE(bc_table_parse(words.argc(), words.argv(), &table, &error) == 0);
    const bc_leg_geometry legs[1] = {{1 << 21, 512, 0xfd00}};
    const bc_bio_shape shape{128, 16, 4};
    const bc_target_ops full = TargetOps::kTable;
    for (unsigned hole = 0; hole < 6; ++hole) {
        INFO("hole " << hole);
        bc_target_ops ops = full;
        if (hole == 0)
            ops.child_submit = nullptr;
        else if (hole == 1)
            ops.parent_end = nullptr;
        else if (hole == 2)
            ops.child_retry = nullptr;
        else if (hole == 3)
            ops.sectors_within_segments = nullptr;
        else if (hole == 4)
            ops.child_alloc = nullptr;
        else
            ops.child_free = nullptr;
        bc_target* target = reinterpret_cast<bc_target*>(&table);  // must be overwritten
        error = nullptr;
        CHECK(bc_target_create(&table, 2048, legs, &shape, &ops, nullptr, &target, &error) == -BC_EINVAL);
        CHECK(target == nullptr);
        CHECK(std::string(error ? error : "") == "Incomplete target ops");
    }
    bc_target* target = nullptr;
    CHECK(bc_target_create(&table, 2048, legs, &shape, nullptr, nullptr, &target, &error) == -BC_EINVAL);
    CHECK(target == nullptr);
}

TEST_CASE("targets release every allocation") {
    const long before = bc::posix::live_allocations();
    {
        Target t("linear /dev/vda 0");
        CHECK(bc::posix::live_allocations() > before);
    }
    CHECK(bc::posix::live_allocations() == before);
}

// What the split path would make of a bio: its first piece (the whole bio when it fits).
bc::Piece split_piece(const bc_target* target, bc_sector_t sector, unsigned sectors) {
    return target->layout.first_piece(sector, sectors, 0, 0);
}

// The shim remaps a linear target's bios itself with the fast path's offset: that must be
// exactly where the split path would send every one of them, and no other target may
// take it.
TEST_CASE("fast path offset: linear is one leg at one distance, as the split path says, and others are not") {
    Target linear("linear /dev/vda 777", 4096);
    REQUIRE(linear.rc == 0);
    bc_fast_path path{};
    bc_target_fast_path(linear.target, &path);
    REQUIRE(path.kind == BC_FAST_PATH_OFFSET);
    CHECK(path.leg == 0);
    CHECK(path.offset == 777);
    for (bc_sector_t sector : {0ull, 1ull, 7ull, 2047ull, 4000ull}) {
        for (unsigned sectors : {1u, 8u, 96u}) {
            const bc_remap r = bc_fast_path_remap(&path, sector, sectors);
            REQUIRE(r.remapped == 1);
            const bc::Piece piece = split_piece(linear.target, sector, sectors);
            CHECK(piece.sectors == sectors);
            CHECK(r.leg == piece.leg);
            CHECK(r.leg_sector == piece.leg_sector);
            CHECK(r.leg_sector == sector + 777);
        }
    }
    const std::pair<const char*, bc_fast_path_kind> others[] = {
        {"striped 2 8 /dev/vda 0 /dev/vdb 0", BC_FAST_PATH_STRIPES},
        {"mirror 2 /dev/vda 0 /dev/vdb 0", BC_FAST_PATH_NONE},
        {"linear /dev/vda 0 2 max_child_sectors 8", BC_FAST_PATH_NONE},
        {"linear /dev/vda 0 2 max_child_segments 4", BC_FAST_PATH_NONE}};
    for (const auto& [line, kind] : others) {
        INFO(line);
        Target other(line, 4096);
        REQUIRE(other.rc == 0);
        bc_target_fast_path(other.target, &path);
        CHECK(path.kind == kind);
    }
}

// The shim remaps a striped target's bios itself: bc_stripes_locate on the fast path's
// parameters, in place when the bio fits in place.room, split otherwise. That must agree
// with the split path's first piece for every bio, at every sector of a few rows, for
// chunks that are and are not powers of two, and nothing but a striped target without
// child limits may take it.
TEST_CASE("fast path stripes: the shim's inline striped remap is the split path's, and others get none") {
    for (const char* line : {"striped 3 16 /dev/vda 100 /dev/vdb 0 /dev/vdc 7",
                             "striped 3 48 /dev/vda 0 /dev/vdb 5 /dev/vdc 9",
                             "striped 4 8 /dev/vda 1 /dev/vdb 2 /dev/vdc 3 /dev/vdd 4",
                             "striped 5 24 /dev/vda 0 /dev/vdb 0 /dev/vdc 0 /dev/vdd 0 /dev/vde 0"}) {
        INFO(line);
        Target striped(line, 2 * 3 * 4 * 5 * 48);  // a whole number of rows of each
        REQUIRE(striped.rc == 0);
        bc_fast_path path{};
        bc_target_fast_path(striped.target, &path);
        REQUIRE(path.kind == BC_FAST_PATH_STRIPES);
        const bc_table& table = striped.target->table;
        CHECK(path.stripes.chunk.value == table.chunk_sectors);
        CHECK(path.stripes.legs.value == table.nr_legs);
        unsigned in_place = 0, split = 0;
        for (bc_sector_t sector = 0; sector < 3 * table.chunk_sectors * table.nr_legs; ++sector) {
            for (unsigned sectors : {1u, 7u, 8u, 16u, 24u}) {
                INFO("sector " << sector << " sectors " << sectors);
                const bc_remap r = bc_fast_path_remap(&path, sector, sectors);
                const bc::Piece piece = split_piece(striped.target, sector, sectors);
                REQUIRE(r.remapped == (piece.sectors == sectors ? 1 : 0));
                if (!r.remapped) {
                    ++split;
                    continue;
                }
                ++in_place;
                CHECK(piece.leg == r.leg);
                CHECK(piece.leg_sector == r.leg_sector);
                // and both are the definition: chunk k is chunk k / N of leg k % N
                const bc_sector_t k = sector / table.chunk_sectors;
                CHECK(r.leg == k % table.nr_legs);
                CHECK(r.leg_sector ==
                      table.legs[r.leg].offset + k / table.nr_legs * table.chunk_sectors + sector % table.chunk_sectors);
            }
        }
        CHECK(in_place > 0);  // both outcomes were seen
        CHECK(split > 0);
    }
    const std::pair<const char*, bc_fast_path_kind> others[] = {
        {"linear /dev/vda 0", BC_FAST_PATH_OFFSET},
        {"mirror 2 /dev/vda 0 /dev/vdb 0", BC_FAST_PATH_NONE},
        {"striped 2 8 /dev/vda 0 /dev/vdb 0 2 max_child_sectors 8", BC_FAST_PATH_NONE}};
    for (const auto& [line, kind] : others) {
        INFO(line);
        Target other(line, 4096);
        REQUIRE(other.rc == 0);
        bc_fast_path path{};
        bc_target_fast_path(other.target, &path);
        CHECK(path.kind == kind);
        if (kind == BC_FAST_PATH_NONE)  // a mirror or a child limit: nothing stays whole
            CHECK(bc_fast_path_remap(&path, 0, 1).remapped == 0);
    }
}

// `outstanding` counts objects allocated and not yet freed, whatever was reset between:
// an object allocated before a reset and freed after it, then one allocated and held,
// is one outstanding. Derived from the counters a reset zeroes, it was 0 (1 allocation
// counted, 1 free), and the other way round, an allocation counted after its counter was
// zeroed and a free before, it stays above 0 for good (postsuspend's WARN_ON_ONCE).
TEST_CASE("outstanding counts what is held across a stats reset") {
    Target t("linear /dev/vda 0 2 reserve 4");
    REQUIRE(t.rc == 0);
    bc::BioSet& set = *t.target->bio_set;
    bc::posix::NoioScope noio;
    char stats[] = "stats", reset[] = "reset";
    char* argv[] = {stats, reset};
    const char* error = nullptr;
    void* before = set.alloc(0, true).bio;
    REQUIRE(before);
    REQUIRE(bc_target_message(t.target, 2, argv, &error) == 0);
    set.free(before, nullptr, 0);
    void* held = set.alloc(0, true).bio;
    REQUIRE(held);
    CHECK(bc_target_outstanding(t.target) == 1);
    CHECK(t.info().find(" outstanding 1 ") != std::string::npos);
    set.free(held, nullptr, 0);
    CHECK(bc_target_outstanding(t.target) == 0);
    // What status shows since the reset: one allocation, two frees.
    CHECK(t.info().find(" frees 2 ") != std::string::npos);
}

// `stats reset` while other CPUs allocate and free child objects: `outstanding` (objects
// allocated and not yet freed, which postsuspend WARNs on) must still be 0 once all are
// freed. It was derived from counters the reset zeroes one by one (per CPU, the Stats
// ones and then the magazines'), so an object allocated after its allocation counter was
// zeroed and freed before its free counter was showed outstanding for good; in the
// kernel a this_cpu_add racing the remote zeroing could also undo the zero. Now a reset
// records a baseline and writes nothing the I/O path adds to, and `outstanding` is
// counted from the totals since creation, which no reset touches.
TEST_CASE("stats reset racing allocations and frees leaves outstanding exact") {
    Target t("linear /dev/vda 0 2 reserve 4");
    REQUIRE(t.rc == 0);
    bc::BioSet& set = *t.target->bio_set;
    for (unsigned round = 0; round < 25; ++round) {
        std::atomic<bool> stop{false};
        std::vector<std::thread> workers;
        for (unsigned w = 0; w < 3; ++w)
            workers.emplace_back([&set, &stop] {
                bc::posix::NoioScope noio;
                void* held[8];
                while (!stop.load(std::memory_order_relaxed)) {
                    for (void*& bio : held)
                        bio = set.alloc(0, true).bio;
                    for (void* bio : held)
                        set.free(bio, nullptr, 0);
                }
            });
        // Resets for 20 ms while the workers run (Catch2's REQUIRE is for this thread).
        char stats[] = "stats", reset[] = "reset";
        char* argv[] = {stats, reset};
        const char* error = nullptr;
        int refused = 0;
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
        while (std::chrono::steady_clock::now() < until)
            refused |= bc_target_message(t.target, 2, argv, &error);
        CHECK(refused == 0);
        stop = true;
        for (std::thread& w : workers)
            w.join();
        INFO("round " << round << ": " << t.info());
        REQUIRE(bc_target_outstanding(t.target) == 0);
    }
    // And a reset still zeroes what status shows.
    char stats[] = "stats", reset[] = "reset";
    char* argv[] = {stats, reset};
    const char* error = nullptr;
    REQUIRE(bc_target_message(t.target, 2, argv, &error) == 0);
    CHECK(t.info().find(" alloc_percpu 0 alloc_backing 0 alloc_reserve 0 alloc_waited 0 alloc_failed 0 frees 0 ") !=
          std::string::npos);
    CHECK(t.info().find(" outstanding 0 ") != std::string::npos);
}
