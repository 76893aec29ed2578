// Self tests: TableParser (table_parser.h): what a good line gives, and that every
// malformed line is refused with its own message (the user's only view of the failure).
#include "abi/selftest.h"
#include "target/table_parser.h"

namespace bc {
namespace selftest_table {

// A table line split into the argv device-mapper would hand to ctr.
struct Words {
    explicit Words(const char* line) {
        usize n = 0;
        for (; line[n] && n + 1 < sizeof text; ++n)
            text[n] = line[n] == ' ' ? '\0' : line[n];
        text[n] = '\0';
        for (usize i = 0; i < n && argc < array_size(argv); ++i)
            if (text[i] && (i == 0 || !text[i - 1]))
                argv[argc++] = &text[i];
    }
    char text[256];
    char* argv[48];
    unsigned argc = 0;
};

int parse(const char* line, bc_table* table, const char** error) {
    Words w(line);
    return bc_table_parse(w.argc, w.argv, table, error);
}

void linear_takes_the_defaults(bc_test* test) {
    bc_table t;
    const char* error = nullptr;
    BC_ASSERT_EQ(test, parse("linear /dev/vda 2048", &t, &error), 0);
    BC_EXPECT_EQ(test, t.layout, BC_LAYOUT_LINEAR);
    BC_EXPECT_EQ(test, t.nr_legs, 1);
    BC_EXPECT(test, str_equal(t.legs[0].path, "/dev/vda"));
    BC_EXPECT_EQ(test, t.legs[0].offset, 2048);
    BC_EXPECT_EQ(test, t.reserve, BC_RESERVE_DEFAULT);
    BC_EXPECT_EQ(test, t.nr_features, 0);
}

void features_are_kept_in_order(bc_test* test) {
    bc_table t;
    const char* error = nullptr;
    BC_ASSERT_EQ(test, parse("striped 2 24 8:0 0 8:16 0 5 fail_alloc 50 no_rescuer reserve 1", &t, &error), 0);
    BC_EXPECT_EQ(test, t.chunk_sectors, 24);
    BC_EXPECT_EQ(test, t.nr_legs, 2);
    BC_ASSERT_EQ(test, t.nr_features, 3);
    BC_EXPECT_EQ(test, t.feature_order[0], BC_FEATURE_FAIL_ALLOC);
    BC_EXPECT_EQ(test, t.feature_order[1], BC_FEATURE_NO_RESCUER);
    BC_EXPECT_EQ(test, t.feature_order[2], BC_FEATURE_RESERVE);
    BC_EXPECT_EQ(test, t.fail_alloc_percent, 50);
    BC_EXPECT_EQ(test, t.reserve, 1);
}

void bad_lines_get_their_own_message(bc_test* test) {
    static const char* const cases[][2] = {
        {"", "Missing layout"},
        {"foo 8:0 0", "Unknown layout"},
        {"linear 8:0", "linear: missing <offset>"},
        {"linear 8:0 -8", "Invalid offset: negative"},
        {"linear 8:0 99999999999999999999999", "Invalid offset: too large"},
        {"linear 8:0 0 2 reserve", "Feature count exceeds the words given"},
        {"linear 8:0 0 4 reserve 4 reserve 8", "Duplicate feature"},
        {"linear 8:0 0 2 reserve 0", "reserve: must be at least 1"},
        {"linear 8:0 0 2 fail_alloc 101", "fail_alloc: must be at most 100"},
        {"striped 0 8", "striped: needs at least 1 device"},
    };
    for (const auto& c : cases) {
        bc_table t;
        const char* error = nullptr;
        BC_EXPECT_EQ(test, parse(c[0], &t, &error), -BC_EINVAL);
        if (!BC_EXPECT(test, error && str_equal(error, c[1])))
            bc_test_expect(test, 0, __FILE__, __LINE__, error ? error : "(no message)");
    }
}

const bc_test_case cases[] = {
    BC_TEST_CASE(linear_takes_the_defaults),
    BC_TEST_CASE(features_are_kept_in_order),
    BC_TEST_CASE(bad_lines_get_their_own_message),
    BC_TEST_CASES_END,
};

}  // namespace selftest_table
}  // namespace bc

extern "C" const bc_test_suite bc_suite_table = {"biochain_table", bc::selftest_table::cases};
