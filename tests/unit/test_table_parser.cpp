#include <catch2/catch.hpp>

#include "target/table_parser.h"
#include "table_words.h"

namespace {
struct Parsed {
    int rc;
    std::string error;
    bc_table table;
    std::vector<std::string> paths;  // table.legs[].path point into argv, gone after parse()
};

Parsed parse(const std::string& line) {
    TableWords words(line);
    Parsed p{};
    const char* error = nullptr;
    p.rc = bc_table_parse(words.argc(), words.argv(), &p.table, &error);
    p.error = error ? error : "";
    for (unsigned i = 0; p.rc == 0 && i < p.table.nr_legs; ++i) {
        p.paths.push_back(p.table.legs[i].path);
        p.table.legs[i].path = nullptr;
    }
    return p;
}
}  // namespace

TEST_CASE("linear with no features takes the defaults") {
    Parsed p = parse("linear /dev/vda 2048");
    REQUIRE(p.rc == 0);
    CHECK(p.table.layout == BC_LAYOUT_LINEAR);
    CHECK(p.table.nr_legs == 1);
    CHECK(p.paths[0] == "/dev/vda");
    CHECK(p.table.legs[0].offset == 2048);
    CHECK(p.table.nr_features == 0);
    CHECK(p.table.reserve == BC_RESERVE_DEFAULT);
    CHECK(p.table.max_child_sectors == 0);
    CHECK(p.table.max_child_segments == 0);
    CHECK(p.table.fail_alloc_percent == 0);
    CHECK(p.table.no_rescuer == 0);
}

TEST_CASE("features are counted in words and kept in the order given") {
    Parsed p = parse("linear 8:0 0 7 fail_alloc 50 no_rescuer reserve 1 max_child_segments 4");
    REQUIRE(p.rc == 0);
    REQUIRE(p.table.nr_features == 4);
    CHECK(p.table.feature_order[0] == BC_FEATURE_FAIL_ALLOC);
    CHECK(p.table.feature_order[1] == BC_FEATURE_NO_RESCUER);
    CHECK(p.table.feature_order[2] == BC_FEATURE_RESERVE);
    CHECK(p.table.feature_order[3] == BC_FEATURE_MAX_CHILD_SEGMENTS);
    CHECK(p.table.fail_alloc_percent == 50);
    CHECK(p.table.no_rescuer == 1);
    CHECK(p.table.reserve == 1);
    CHECK(p.table.max_child_segments == 4);
}

TEST_CASE("a zero feature count is allowed, as in other targets") {
    Parsed p = parse("linear 8:0 0 0");
    REQUIRE(p.rc == 0);
    CHECK(p.table.nr_features == 0);
}

TEST_CASE("feature limits are inclusive") {
    CHECK(parse("linear a 0 2 reserve 4096").rc == 0);
    CHECK(parse("linear a 0 2 reserve 1").rc == 0);
    CHECK(parse("linear a 0 2 max_child_sectors 8").rc == 0);
    CHECK(parse("linear a 0 2 max_child_sectors 1073741824").rc == 0);
    CHECK(parse("linear a 0 2 max_child_segments 256").rc == 0);
    CHECK(parse("linear a 0 2 fail_alloc 0").rc == 0);
    CHECK(parse("linear a 0 2 fail_alloc 100").rc == 0);
    CHECK(parse("linear a 0 2 inline_children 0").rc == 0);
    CHECK(parse("linear a 0 2 inline_children 2").rc == 0);
    CHECK(parse("linear a 36028797018963967").rc == 0);
}

// One inline child object per leg beside the first, at most BC_INLINE_CHILDREN_MAX; none
// where nothing is ever split; what the table says when it says it.
TEST_CASE("inline_children: the layout's default unless given") {
    CHECK(parse("linear a 0").table.inline_children == 0);
    CHECK(parse("linear a 0 2 max_child_sectors 8").table.inline_children == 1);
    CHECK(parse("linear a 0 2 max_child_segments 4").table.inline_children == 1);
    CHECK(parse("striped 1 8 a 0").table.inline_children == 0);  // its chunks continue the clone's
    CHECK(parse("striped 1 8 a 0 2 max_child_sectors 8").table.inline_children == 1);
    CHECK(parse("striped 2 8 a 0 b 0").table.inline_children == 1);
    CHECK(parse("striped 5 8 a 0 b 0 c 0 d 0 e 0").table.inline_children == BC_INLINE_CHILDREN_MAX);
    CHECK(parse("mirror 2 a 0 b 0").table.inline_children == 1);
    CHECK(parse("mirror 3 a 0 b 0 c 0").table.inline_children == 2);
    const Parsed given = parse("mirror 3 a 0 b 0 c 0 2 inline_children 0");
    REQUIRE(given.rc == 0);
    CHECK(given.table.inline_children == 0);
    CHECK(given.table.feature_order[0] == BC_FEATURE_INLINE_CHILDREN);
    CHECK(parse("linear a 0 2 inline_children 2").table.inline_children == 2);
}

TEST_CASE("striped and mirror device lists") {
    Parsed s = parse("striped 3 24 a 0 b 8 c 16 2 reserve 2");
    REQUIRE(s.rc == 0);
    CHECK(s.table.layout == BC_LAYOUT_STRIPED);
    CHECK(s.table.nr_legs == 3);
    CHECK(s.table.chunk_sectors == 24);
    CHECK(s.paths[2] == "c");
    CHECK(s.table.legs[2].offset == 16);
    CHECK(s.table.reserve == 2);

    Parsed m = parse("mirror 2 a 0 b 0");
    REQUIRE(m.rc == 0);
    CHECK(m.table.layout == BC_LAYOUT_MIRROR);
    CHECK(m.table.nr_legs == 2);

    std::string sixteen = "striped 16 8";
    for (int i = 0; i < 16; ++i)
        sixteen += " d" + std::to_string(i) + " 0";
    CHECK(parse(sixteen).rc == 0);
}

TEST_CASE("a failed parse returns -EINVAL") {
    CHECK(parse("linear").rc == -BC_EINVAL);
}
