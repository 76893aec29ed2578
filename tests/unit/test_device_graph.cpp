// The device graph (abi/device_graph.h): a table may not make its device a leg of itself,
// directly or through other biochain devices; reloads and removals keep the graph true.
// tests/vm/bad-tables loads the same cases into the module.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "abi/device_graph.h"
#include "env_posix.h"

namespace {
// One registered table, removed with the object.
struct Table {
    Table(unsigned long long self, std::vector<unsigned long long> legs) {
        const char* error = nullptr;
        rc = bc_device_graph_add(self, legs.data(), unsigned(legs.size()), &node, &error);
        message = rc ? error : "";
    }
    ~Table() { bc_device_graph_remove(node); }
    Table(const Table&) = delete;
    Table& operator=(const Table&) = delete;
    int rc = 0;
    bc_device_node* node = nullptr;
    std::string message;
};

constexpr unsigned long long kDisk0 = 0xfe00000, kDisk1 = 0xfe00010;  // not biochain
constexpr unsigned long long kA = 0xfd00000, kB = 0xfd00001, kC = 0xfd00002, kD = 0xfd00003;
const std::string kSelf = "Device cannot be a leg of itself";
const std::string kCycle = "Leg forms a cycle through another biochain device";
}  // namespace

TEST_CASE("a device cannot be a leg of itself") {
    const long live = bc::posix::live_allocations();
    {
        Table linear(kA, {kA});
        CHECK(linear.rc == -BC_EINVAL);
        CHECK(linear.message == kSelf);
        Table striped(kA, {kDisk0, kDisk1, kA});
        CHECK(striped.message == kSelf);
        CHECK(striped.node == nullptr);
    }
    CHECK(bc::posix::live_allocations() == live);
}

TEST_CASE("a leg may not lead back to the device through other biochain devices") {
    const long live = bc::posix::live_allocations();
    {
        Table c(kC, {kDisk1});
        Table b(kB, {kC});
        Table a(kA, {kDisk0, kB});
        REQUIRE((c.rc | b.rc | a.rc) == 0);
        Table b_over_a(kB, {kA});  // b's reload: a sits on b
        CHECK(b_over_a.rc == -BC_EINVAL);
        CHECK(b_over_a.message == kCycle);
        Table c_over_a(kC, {kDisk1, kA});  // two levels down
        CHECK(c_over_a.message == kCycle);
        // Reloads that form no cycle: a with the same legs (its live table is registered
        // too), c moved to another disk, d on top of everything.
        Table a_again(kA, {kDisk0, kB});
        CHECK(a_again.rc == 0);
        Table c_moved(kC, {kDisk0});
        CHECK(c_moved.rc == 0);
        Table d(kD, {kA, kB, kC});  // a diamond: b and c reached twice
        CHECK(d.rc == 0);
        Table c_over_d(kC, {kD});
        CHECK(c_over_d.message == kCycle);
    }
    CHECK(bc::posix::live_allocations() == live);
}

TEST_CASE("a removed table no longer holds its edges") {
    Table b(kB, {kDisk0});
    {
        Table a(kA, {kB});
        Table b_over_a(kB, {kA});
        CHECK(b_over_a.message == kCycle);
    }
    Table b_over_a(kB, {kA});  // a is gone: b may sit on a device numbered as a was
    CHECK(b_over_a.rc == 0);
}

TEST_CASE("a graph node that cannot be allocated fails the add, and nothing is registered") {
    bc::posix::fail_nth_allocation(1);
    Table a(kA, {kB});
    bc::posix::fail_nth_allocation(0);
    CHECK(a.rc == -BC_ENOMEM);
    CHECK(a.node == nullptr);
    Table b(kB, {kA});  // would be a cycle had a been registered
    CHECK(b.rc == 0);
}
