// bc_target_map: a parent split into children, each ended through the shim's hooks.
#include <catch2/catch.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "chain.h"
#include "env_posix.h"
#include "table_words.h"
#include "target.h"

namespace {
struct Child {
    void* bio;
    unsigned leg;
    bc_sector_t leg_sector, offset;
    unsigned sectors;
};

struct Parent {
    bc::ParentState state;
    std::atomic<int> ends{0};
    std::atomic<int> error{0};
};

struct Fixture {
    explicit Fixture(const std::string& line) {
        TableWords words(line);
        const char* error = nullptr;
        bc_table table{};
        REQUIRE(bc_table_parse(words.argc(), words.argv(), &table, &error) == 0);
        bc_leg_geometry legs[BC_MAX_LEGS];
        for (auto& g : legs)
            g = {1ull << 30, 512};
        const bc_bio_shape shape{136, 16, 4};
        REQUIRE(bc_target_create(&table, 1ull << 20, legs, &shape, this, &target, &error) == 0);
    }
    ~Fixture() {
        bc::posix::set_shim_hooks({});
        bc_target_destroy(target);
    }
    void hooks(bool complete_inline, int error_for_child = 0) {
        bc::posix::ShimHooks h;
        h.child_submit = [this, complete_inline, error_for_child](void*, void* child, void*, unsigned leg,
                                                                 bc_sector_t leg_sector, bc_sector_t offset,
                                                                 unsigned sectors) {
            {
                std::lock_guard<std::mutex> guard(mutex);
                children.push_back({child, leg, leg_sector, offset, sectors});
            }
            if (complete_inline)
                bc_target_child_end(target, child, error_for_child);
        };
        h.parent_end = [](void*, void* parent, int error) {
            auto* p = static_cast<Parent*>(parent);
            p->error = error;
            ++p->ends;
        };
        bc::posix::set_shim_hooks(h);
    }
    bc_target* target = nullptr;
    std::mutex mutex;
    std::vector<Child> children;
};

std::string info(bc_target* t) {
    char buf[BC_STATUS_MAX];
    bc_target_emit_info(t, buf, sizeof buf);
    return buf;
}
}  // namespace

TEST_CASE("only reads and writes with data are split, and only with a child limit") {
    Fixture plain("linear /dev/vda 0");
    CHECK_FALSE(bc_target_splits(plain.target, BC_IO_WRITE, 64));
    Fixture f("linear /dev/vda 0 2 max_child_sectors 8");
    CHECK(bc_target_splits(f.target, BC_IO_WRITE, 64));
    CHECK(bc_target_splits(f.target, BC_IO_READ, 8));
    CHECK_FALSE(bc_target_splits(f.target, BC_IO_FLUSH, 0));
    CHECK_FALSE(bc_target_splits(f.target, BC_IO_DISCARD, 64));
    CHECK_FALSE(bc_target_splits(f.target, BC_IO_WRITE, 0));
}

TEST_CASE("a parent is cut at max_child_sectors, remapped by the offset, and ends once") {
    Fixture f("linear /dev/vda 1000 2 max_child_sectors 8");
    f.hooks(false);
    bc::posix::NoioScope noio;
    Parent p;
    bc_target_map(f.target, &p, &p.state, 100, 60);
    REQUIRE(f.children.size() == 8);  // 7 x 8 + 4
    for (unsigned i = 0; i < f.children.size(); ++i) {
        CHECK(f.children[i].offset == i * 8);
        CHECK(f.children[i].leg_sector == 1100 + i * 8);
        CHECK(f.children[i].sectors == (i < 7 ? 8u : 4u));
    }
    CHECK(p.ends == 0);
    for (auto& c : f.children) {
        CHECK(p.ends == 0);
        bc_target_child_end(f.target, c.bio, 0);
    }
    CHECK(p.ends == 1);
    CHECK(p.error == 0);
    CHECK(info(f.target).find(" children 8 ") != std::string::npos);
    CHECK(info(f.target).find(" outstanding 0 ") != std::string::npos);
}

TEST_CASE("the first error of any child is the parent's") {
    Fixture f("linear /dev/vda 0 2 max_child_sectors 8");
    f.hooks(false);
    bc::posix::NoioScope noio;
    Parent p;
    bc_target_map(f.target, &p, &p.state, 0, 32);
    REQUIRE(f.children.size() == 4);
    bc_target_child_end(f.target, f.children[2].bio, 0);
    bc_target_child_end(f.target, f.children[0].bio, -5);
    bc_target_child_end(f.target, f.children[3].bio, -28);
    CHECK(p.ends == 0);
    bc_target_child_end(f.target, f.children[1].bio, 0);
    CHECK(p.ends == 1);
    CHECK(p.error == -5);
}

TEST_CASE("children that end while the parent is still being split do not end it early") {
    Fixture f("linear /dev/vda 0 2 max_child_sectors 8");
    f.hooks(true, -5);
    bc::posix::NoioScope noio;
    Parent p;
    bc_target_map(f.target, &p, &p.state, 0, 64);
    CHECK(f.children.size() == 8);
    CHECK(p.ends == 1);
    CHECK(p.error == -5);
}

TEST_CASE("children respect max_child_segments, but never cut a logical block") {
    Fixture f("linear /dev/vda 0 2 max_child_segments 2");
    f.hooks(true);
    // a parent made of 3-sector vecs: 2 segments = 6 sectors, rounded to the 1-sector block
    bc::posix::ShimHooks h;
    bc::posix::set_shim_hooks({});
    bc::posix::NoioScope noio;
    Parent p;
    {
        h.child_submit = [&](void*, void* child, void*, unsigned leg, bc_sector_t ls, bc_sector_t off, unsigned n) {
            f.children.push_back({child, leg, ls, off, n});
            bc_target_child_end(f.target, child, 0);
        };
        h.parent_end = [](void*, void* parent, int error) {
            static_cast<Parent*>(parent)->error = error;
            ++static_cast<Parent*>(parent)->ends;
        };
        h.sectors_within_segments = [](void*, bc_sector_t, unsigned max_sectors, unsigned max_segments) {
            return std::min(max_sectors, max_segments * 3);
        };
        bc::posix::set_shim_hooks(h);
    }
    bc_target_map(f.target, &p, &p.state, 0, 20);
    REQUIRE(f.children.size() == 4);  // 6 6 6 2
    CHECK(f.children[0].sectors == 6);
    CHECK(f.children[3].sectors == 2);
    CHECK(p.ends == 1);
}

// Many parents split at once on several threads, children completed out of order by two
// completion threads, a reserve of 1, at every fault rate: every parent ends exactly once
// with no error, and no object is left.
static void stress(unsigned percent) {
    const long live_before = bc::posix::live_allocations();
    {
        Fixture f("linear /dev/vda 0 4 max_child_sectors 8 reserve 1");
        std::mutex mutex;
        std::deque<void*> inflight;
        std::atomic<bool> done{false};
        bc::posix::ShimHooks h;
        h.child_submit = [&](void*, void* child, void*, unsigned, bc_sector_t, bc_sector_t, unsigned) {
            std::lock_guard<std::mutex> guard(mutex);
            inflight.push_back(child);
        };
        h.parent_end = [](void*, void* parent, int error) {
            static_cast<Parent*>(parent)->error = error;
            ++static_cast<Parent*>(parent)->ends;
        };
        bc::posix::set_shim_hooks(h);
        char fail[] = "fail_alloc", value[4];
        snprintf(value, sizeof value, "%u", percent);
        char* argv[] = {fail, value};
        const char* error = nullptr;
        REQUIRE(bc_target_message(f.target, 2, argv, &error) == 0);

        std::vector<std::thread> completers;
        for (int t = 0; t < 2; ++t)
            completers.emplace_back([&, t] {
                bc::posix::InterruptScope irq;  // completions run in interrupt context
                for (unsigned n = unsigned(t);; ++n) {
                    void* child = nullptr;
                    {
                        std::lock_guard<std::mutex> guard(mutex);
                        if (!inflight.empty()) {
                            // out of order: take from either end
                            if (n % 3) {
                                child = inflight.front();
                                inflight.pop_front();
                            } else {
                                child = inflight.back();
                                inflight.pop_back();
                            }
                        } else if (done) {
                            return;
                        }
                    }
                    if (child)
                        bc_target_child_end(f.target, child, 0);
                    else
                        std::this_thread::yield();
                }
            });
        constexpr int kParents = 2000;
        std::vector<Parent> parents(2 * kParents);
        std::vector<std::thread> submitters;
        for (int t = 0; t < 2; ++t)
            submitters.emplace_back([&, t] {
                bc::posix::NoioScope noio;
                for (int i = 0; i < kParents; ++i) {
                    Parent& p = parents[size_t(t * kParents + i)];
                    bc_target_map(f.target, &p, &p.state, bc_sector_t(i) * 64, 8 + unsigned(i % 7) * 8);
                }
            });
        for (auto& t : submitters)
            t.join();
        done = true;
        for (auto& t : completers)
            t.join();
        for (const Parent& p : parents) {
            CHECK(p.ends == 1);
            CHECK(p.error == 0);
        }
        const std::string status = info(f.target);
        CHECK(status.find(" outstanding 0 ") != std::string::npos);
        CHECK(status.find(" noio_violations 0 ") != std::string::npos);
        CHECK(status.find(" alloc_failed 0 ") != std::string::npos);
        if (percent == 100)
            CHECK(status.find(" alloc_backing 0 ") != std::string::npos);
    }
    CHECK(bc::posix::live_allocations() == live_before);
}

TEST_CASE("map stress at 0% backing failures") { stress(0); }
TEST_CASE("map stress at 50% backing failures") { stress(50); }
TEST_CASE("map stress at 100% backing failures") { stress(100); }
