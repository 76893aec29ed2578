// Every row of tests/data/bad-tables.tsv that core/ decides is refused here with exactly
// its message; the guest test (tests/vm/bad-tables) checks the same rows end to end.
#include <catch2/catch.hpp>

#include "abi/table.h"
#include "abi/target.h"
#include "abi/types.h"
#include "bad_tables.h"
#include "env_posix.h"
#include "table_words.h"
#include "target_ops.h"

namespace {
constexpr unsigned long long kDevSectors = 2097152;  // a 1 GiB disk

struct Outcome {
    int rc;
    std::string error;
};

Outcome run(const BadTable& row) {
    const std::string args = expand_placeholders(row.args, kDevSectors);
    const unsigned long long length = std::stoull(expand_placeholders(row.length, kDevSectors));
    TableWords words(args);
    bc_table table{};
    const char* error = nullptr;
    int rc = bc_table_parse(words.argc(), words.argv(), &table, &error);
    if (rc)
        return {rc, error};
    bc_leg_geometry geometry[BC_MAX_LEGS];
    for (unsigned i = 0; i < BC_MAX_LEGS; ++i)
        geometry[i] = {kDevSectors, 512, 0xfd00ull + i};
    bc_target* target = nullptr;
    const bc_bio_shape shape{128, 16, 4};
    rc = bc_target_create(&table, length, geometry, &shape, &TargetOps::kTable, nullptr, &target, &error);
    if (rc == 0) {
        bc_target_destroy(target);
        return {0, ""};
    }
    CHECK(target == nullptr);
    return {rc, error};
}
}  // namespace

TEST_CASE("bad-tables.tsv has the cases the foundation issue names") {
    const auto rows = load_bad_tables();
    CHECK(rows.size() >= 25);
}

TEST_CASE("each malformed table is refused by core/ with its exact message") {
    const long live_before = bc::posix::live_allocations();
    for (const BadTable& row : load_bad_tables()) {
        if (row.stage == "shim")
            continue;  // device lookup: only the kernel can refuse it
        INFO("bad-tables.tsv:" << row.line << ": " << row.args);
        REQUIRE((row.stage == "parse" || row.stage == "create"));
        const Outcome outcome = run(row);
        CHECK(outcome.rc < 0);
        CHECK(outcome.error == row.message);
    }
    CHECK(bc::posix::live_allocations() == live_before);
}

TEST_CASE("parse-stage rows fail in the parser, create-stage rows only after it") {
    for (const BadTable& row : load_bad_tables()) {
        if (row.stage == "shim")
            continue;
        INFO("bad-tables.tsv:" << row.line);
        TableWords words(expand_placeholders(row.args, kDevSectors));
        bc_table table{};
        const char* error = nullptr;
        const int rc = bc_table_parse(words.argc(), words.argv(), &table, &error);
        CHECK((rc != 0) == (row.stage == "parse"));
    }
}
