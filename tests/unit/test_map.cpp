// bc_target_map: a parent split into children, each ended through the target's ops.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "target/chain.h"
#include "env_posix.h"
#include "table_words.h"
#include "target/target.h"
#include "target_ops.h"

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
    explicit Fixture(const std::string& line, bc_sector_t length = 1ull << 20) {
        TableWords words(line);
        const char* error = nullptr;
        bc_table table{};
        REQUIRE(bc_table_parse(words.argc(), words.argv(), &table, &error) == 0);
        bc_leg_geometry legs[BC_MAX_LEGS];
        for (unsigned i = 0; i < BC_MAX_LEGS; ++i)
            legs[i] = {1ull << 30, 512, 0xfd00ull + i};
        const bc_bio_shape shape{136, 16, 4};
        REQUIRE(bc_target_create(&table, length, legs, &shape, &TargetOps::kTable, &ops, &target, &error) == 0);
    }
    ~Fixture() { bc_target_destroy(target); }
    void hooks(bool complete_inline, int error_for_child = 0) {
        ops.child_submit = [this, complete_inline, error_for_child](void* child, void*, unsigned leg,
                                                                 bc_sector_t leg_sector, bc_sector_t offset,
                                                                 unsigned sectors) {
            {
                std::lock_guard<std::mutex> guard(mutex);
                children.push_back({child, leg, leg_sector, offset, sectors});
            }
            if (complete_inline)
                bc_target_child_end(target, child, error_for_child);
        };
        ops.parent_end = [](void* parent, int error) {
            auto* p = static_cast<Parent*>(parent);
            p->error = error;
            ++p->ends;
        };
    }
    TargetOps ops;
    bc_target* target = nullptr;
    std::mutex mutex;
    std::vector<Child> children;
};

// Children queued by child_submit and ended later, out of order, by completion threads
// that run as interrupt context, as the disk's completions would.
class AsyncCompletions {
public:
    AsyncCompletions(bc_target* target, TargetOps& ops, unsigned threads) : target_(target) {
        ops.child_submit = [this](void* child, void*, unsigned, bc_sector_t, bc_sector_t, unsigned) {
            std::lock_guard<std::mutex> guard(mutex_);
            inflight_.push_back(child);
        };
        ops.parent_end = [](void* parent, int error) {
            static_cast<Parent*>(parent)->error = error;
            ++static_cast<Parent*>(parent)->ends;
        };
        for (unsigned t = 0; t < threads; ++t)
            threads_.emplace_back([this, t] { run(t); });
    }
    // Ends every child still queued, then stops the threads.
    ~AsyncCompletions() {
        done_ = true;
        for (auto& t : threads_)
            t.join();
    }

private:
    void run(unsigned t) {
        bc::posix::InterruptScope irq;
        for (unsigned n = t;; ++n) {
            void* child = nullptr;
            {
                std::lock_guard<std::mutex> guard(mutex_);
                if (!inflight_.empty()) {
                    // out of order: take from either end
                    if (n % 3) {
                        child = inflight_.front();
                        inflight_.pop_front();
                    } else {
                        child = inflight_.back();
                        inflight_.pop_back();
                    }
                } else if (done_) {
                    return;
                }
            }
            if (child)
                bc_target_child_end(target_, child, 0);
            else
                std::this_thread::yield();
        }
    }

    bc_target* target_;
    std::mutex mutex_;
    std::deque<void*> inflight_;
    std::atomic<bool> done_{false};
    std::vector<std::thread> threads_;
};

std::string info(bc_target* t) {
    char buf[BC_STATUS_MAX];
    bc_target_emit_info(t, buf, sizeof buf);
    return buf;
}
}  // namespace

TEST_CASE("linear reads and writes are split only with a child limit") {
    unsigned leg;
    bc_sector_t sector;
    Fixture plain("linear /dev/vda 0");
    CHECK(remap(plain.target, 0, 64, &leg, &sector));
    Fixture f("linear /dev/vda 0 2 max_child_sectors 8");
    CHECK_FALSE(remap(f.target, 0, 64, &leg, &sector));
    CHECK_FALSE(remap(f.target, 0, 8, &leg, &sector));
}

TEST_CASE("a parent is cut at max_child_sectors, remapped by the offset, and ends once") {
    Fixture f("linear /dev/vda 1000 2 max_child_sectors 8");
    f.hooks(false);
    bc::posix::NoioScope noio;
    Parent p;
    bc_target_map(f.target, &p, &p.state, BC_IO_WRITE, 100, 60);
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
    bc_target_map(f.target, &p, &p.state, BC_IO_WRITE, 0, 32);
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
    bc_target_map(f.target, &p, &p.state, BC_IO_WRITE, 0, 64);
    CHECK(f.children.size() == 8);
    CHECK(p.ends == 1);
    CHECK(p.error == -5);
}

TEST_CASE("children respect max_child_segments, but never cut a logical block") {
    Fixture f("linear /dev/vda 0 2 max_child_segments 2");
    f.hooks(true);
    // a parent made of 3-sector vecs: 2 segments = 6 sectors, rounded to the 1-sector block
    TargetOps& h = f.ops;
    bc::posix::NoioScope noio;
    Parent p;
    {
        h.child_submit = [&](void* child, void*, unsigned leg, bc_sector_t ls, bc_sector_t off, unsigned n) {
            f.children.push_back({child, leg, ls, off, n});
            bc_target_child_end(f.target, child, 0);
        };
        h.parent_end = [](void* parent, int error) {
            static_cast<Parent*>(parent)->error = error;
            ++static_cast<Parent*>(parent)->ends;
        };
        h.sectors_within_segments = [](void*, bc_sector_t, unsigned max_sectors, unsigned max_segments) {
            return std::min(max_sectors, max_segments * 3);
        };
    }
    bc_target_map(f.target, &p, &p.state, BC_IO_READ, 0, 20);
    REQUIRE(f.children.size() == 4);  // 6 6 6 2
    CHECK(f.children[0].sectors == 6);
    CHECK(f.children[3].sectors == 2);
    CHECK(p.ends == 1);
}

TEST_CASE("a striped parent is cut at chunk boundaries onto the right legs") {
    Fixture f("striped 3 24 a 0 b 1000 c 2000", 72 * 1000);
    f.hooks(false);
    bc::posix::NoioScope noio;
    Parent p;
    bc_target_map(f.target, &p, &p.state, BC_IO_WRITE, 20, 60);  // 20..79
    REQUIRE(f.children.size() == 4);  // 20-23 | 24-47 | 48-71 | 72-79
    CHECK(f.children[0].leg == 0);
    CHECK(f.children[0].leg_sector == 20);
    CHECK(f.children[0].sectors == 4);
    CHECK(f.children[1].leg == 1);
    CHECK(f.children[1].leg_sector == 1000);
    CHECK(f.children[1].sectors == 24);
    CHECK(f.children[2].leg == 2);
    CHECK(f.children[2].leg_sector == 2000);
    CHECK(f.children[3].leg == 0);
    CHECK(f.children[3].leg_sector == 24);  // row 1 of leg 0
    CHECK(f.children[3].offset == 52);
    CHECK(f.children[3].sectors == 8);
    for (auto& c : f.children)
        bc_target_child_end(f.target, c.bio, 0);
    CHECK(p.ends == 1);
}

TEST_CASE("a mirror write goes to every leg, reads alternate") {
    Fixture f("mirror 2 a 0 b 500");
    f.hooks(true);
    bc::posix::NoioScope noio;
    Parent w;
    bc_target_map(f.target, &w, &w.state, BC_IO_WRITE, 10, 16);
    REQUIRE(f.children.size() == 2);
    CHECK(f.children[0].leg == 0);
    CHECK(f.children[0].leg_sector == 10);
    CHECK(f.children[1].leg == 1);
    CHECK(f.children[1].leg_sector == 510);
    CHECK(w.ends == 1);
    f.children.clear();
    Parent r1, r2;
    bc_target_map(f.target, &r1, &r1.state, BC_IO_READ, 0, 8);
    bc_target_map(f.target, &r2, &r2.state, BC_IO_READ, 0, 8);
    REQUIRE(f.children.size() == 2);
    CHECK(f.children[0].leg != f.children[1].leg);
}

TEST_CASE("a failed mirror read is retried on the other leg, which then serves alone") {
    Fixture f("mirror 2 a 0 b 500");
    std::vector<void*> retried;
    TargetOps& h = f.ops;
    h.child_submit = [&](void* child, void*, unsigned leg, bc_sector_t ls, bc_sector_t off, unsigned n) {
        f.children.push_back({child, leg, ls, off, n});
    };
    h.parent_end = [](void* parent, int error) {
        static_cast<Parent*>(parent)->error = error;
        ++static_cast<Parent*>(parent)->ends;
    };
    h.child_retry = [&](void* child) { retried.push_back(child); };
    bc::posix::NoioScope noio;
    Parent p;
    bc_target_map(f.target, &p, &p.state, BC_IO_READ, 0, 8);
    REQUIRE(f.children.size() == 1);
    const unsigned bad = f.children[0].leg;
    bc_target_child_end(f.target, f.children[0].bio, -5);
    CHECK(p.ends == 0);  // not failed: queued for a retry
    REQUIRE(retried.size() == 1);
    bc_target_child_retry(f.target, retried[0]);
    REQUIRE(f.children.size() == 2);
    CHECK(f.children[1].leg == 1 - bad);
    CHECK(f.children[1].leg_sector == (bad ? 0u : 500u));
    bc_target_child_end(f.target, f.children[1].bio, 0);
    CHECK(p.ends == 1);
    CHECK(p.error == 0);
    const std::string status = info(f.target);
    CHECK(status.find(" read_retries 1 ") != std::string::npos);
    CHECK(status.find("leg" + std::to_string(bad) + "_errors 1 leg" + std::to_string(bad) + "_failed 1") !=
          std::string::npos);

    // degraded: writes go to the good leg only, and succeed
    f.children.clear();
    Parent w;
    bc_target_map(f.target, &w, &w.state, BC_IO_WRITE, 0, 8);
    REQUIRE(f.children.size() == 1);
    CHECK(f.children[0].leg == 1 - bad);
    bc_target_child_end(f.target, f.children[0].bio, 0);
    CHECK(w.ends == 1);

    // the last leg fails a read too: no leg left, the error reaches the parent
    f.children.clear();
    Parent last;
    bc_target_map(f.target, &last, &last.state, BC_IO_READ, 0, 8);
    REQUIRE(f.children.size() == 1);
    bc_target_child_end(f.target, f.children[0].bio, -5);
    CHECK(last.ends == 1);
    CHECK(last.error == -5);
    Parent none;
    bc_target_map(f.target, &none, &none.state, BC_IO_READ, 0, 8);
    CHECK(none.ends == 1);
    CHECK(none.error == -BC_EIO);
}

TEST_CASE("a mirror write that fails on one leg succeeds on the other") {
    Fixture f("mirror 2 a 0 b 500");
    f.hooks(false);
    bc::posix::NoioScope noio;
    Parent w;
    bc_target_map(f.target, &w, &w.state, BC_IO_WRITE, 0, 8);
    REQUIRE(f.children.size() == 2);
    bc_target_child_end(f.target, f.children[0].bio, -5);
    bc_target_child_end(f.target, f.children[1].bio, 0);
    CHECK(w.ends == 1);
    CHECK(w.error == 0);
    CHECK(info(f.target).find("leg0_failed 1") != std::string::npos);
}

TEST_CASE("chain_next: with the reserve gone, each next child recycles an earlier one") {
    Fixture f("linear /dev/vda 0 6 max_child_sectors 8 reserve 1 fail_alloc 100");
    f.hooks(false);
    Parent p;
    // The disk ends a child only while the mapper waits for one in chain_next, so every
    // object after the first can only come from recycling (an earlier completion would
    // put the object back in the reserve, and the count below would be a race).
    std::atomic<bool> mapped{false};
    std::thread disk([&] {
        bc::posix::InterruptScope irq;
        for (size_t ended = 0;;) {
            void* child = nullptr;
            {
                std::lock_guard<std::mutex> guard(f.mutex);
                // p.state is the mapper's until its first child is queued under this mutex
                const bool waiting = ended < f.children.size() &&
                                     __atomic_load_n(&p.state.recycle_slot, __ATOMIC_ACQUIRE) == bc::kWanted;
                if (ended < f.children.size() && (waiting || mapped))
                    child = f.children[ended++].bio;
                else if (mapped && ended == f.children.size())
                    return;
            }
            if (child)
                bc_target_child_end(f.target, child, 0);
            else
                std::this_thread::yield();
        }
    });
    {
        bc::posix::NoioScope noio;
        bc_target_map(f.target, &p, &p.state, BC_IO_WRITE, 0, 32);
    }
    mapped = true;
    disk.join();
    const std::string status = info(f.target);
    CHECK(p.ends == 1);
    CHECK(p.error == 0);
    CHECK(status.find(" children 4 ") != std::string::npos);
    CHECK(status.find(" alloc_reserve 1 ") != std::string::npos);  // the first child
    CHECK(status.find(" chain_recycles 3 ") != std::string::npos);  // the three after it
    CHECK(status.find(" alloc_waited 0 ") != std::string::npos);
    CHECK(status.find(" outstanding 0 ") != std::string::npos);
}

// A child that ends while the mapper still holds the bias wakes the mapper's wait queue
// after its count-down. The mapper may meanwhile drop the bias, end the parent, and DM
// may suspend and destroy the target: the completion must be done with the target before
// the target's memory goes. Here the completion is held inside its wake while all that
// happens; under ASan a wake on the freed wait queue is a heap-use-after-free.
TEST_CASE("a completion still waking the mapper is done with the target before the target goes") {
    auto f = std::make_unique<Fixture>("linear /dev/vda 0 2 max_child_sectors 8");
    f->hooks(false);
    static thread_local bool t_completer = false;
    std::atomic<bool> in_wake{false};
    std::thread completer;
    bc::posix::ShimHooks hooks;
    hooks.before_wake = [&] {
        if (!t_completer)
            return;
        in_wake = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    };
    bc::posix::set_shim_hooks(hooks);
    bc_target* target = f->target;
    f->ops.child_submit = [&](void* child, void*, unsigned, bc_sector_t, bc_sector_t, unsigned) {
        completer = std::thread([target, child] {
            t_completer = true;
            bc::posix::InterruptScope irq;
            bc_target_child_end(target, child, 0);  // the count-down leaves the bias alone: wakes
        });
        while (!in_wake)
            std::this_thread::yield();
    };
    Parent p;
    {
        bc::posix::NoioScope noio;
        bc_target_map(target, &p, &p.state, BC_IO_WRITE, 0, 8);  // one child; the bias drops last
    }
    CHECK(p.ends == 1);  // the parent ended while the completion is still inside its wake
    f.reset();           // DM's dtr: the target goes
    completer.join();
    bc::posix::set_shim_hooks({});
}

TEST_CASE("a piece that continues the pending child on the same leg merges into it") {
    Fixture f("striped 1 8 a 100", 8 * 100);  // one leg: every chunk continues the last
    f.hooks(true);
    bc::posix::NoioScope noio;
    Parent p;
    bc_target_map(f.target, &p, &p.state, BC_IO_WRITE, 4, 28);  // 4..31: 4 pieces
    REQUIRE(f.children.size() == 1);
    CHECK(f.children[0].leg_sector == 104);
    CHECK(f.children[0].sectors == 28);
    CHECK(p.ends == 1);
    CHECK(info(f.target).find(" merges 3 ") != std::string::npos);

    Fixture limited("striped 1 8 a 0 2 max_child_sectors 16", 8 * 100);
    limited.hooks(true);
    Parent q;
    bc_target_map(limited.target, &q, &q.state, BC_IO_WRITE, 0, 32);
    REQUIRE(limited.children.size() == 2);  // merged up to the limit, no further
    CHECK(limited.children[0].sectors == 16);
    CHECK(limited.children[1].leg_sector == 16);
    CHECK(info(limited.target).find(" merges 2 ") != std::string::npos);
}

// Many parents split at once on several threads, children completed out of order by two
// completion threads, a reserve of 1, at every fault rate: every parent ends exactly once
// with no error, and no object is left.
static void stress(unsigned percent) {
    const long live_before = bc::posix::live_allocations();
    {
        Fixture f("linear /dev/vda 0 4 max_child_sectors 8 reserve 1");
        char fail[] = "fail_alloc", value[4];
        snprintf(value, sizeof value, "%u", percent);
        char* argv[] = {fail, value};
        const char* error = nullptr;
        REQUIRE(bc_target_message(f.target, 2, argv, &error) == 0);
        auto completions = std::make_unique<AsyncCompletions>(f.target, f.ops, 2);
        constexpr int kParents = 2000;
        std::vector<Parent> parents(2 * kParents);
        std::vector<std::thread> submitters;
        for (int t = 0; t < 2; ++t)
            submitters.emplace_back([&, t] {
                bc::posix::NoioScope noio;
                for (int i = 0; i < kParents; ++i) {
                    Parent& p = parents[size_t(t * kParents + i)];
                    bc_target_map(f.target, &p, &p.state, i % 2 ? BC_IO_READ : BC_IO_WRITE, bc_sector_t(i) * 64,
                                  8 + unsigned(i % 7) * 8);
                }
            });
        for (auto& t : submitters)
            t.join();
        completions.reset();
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

// ------------------------------------------------------------------ in place (DM's clone)

namespace {
// DM over bc_target_map_in_place: a new parent (clone) for each remainder handed back,
// until the whole bio is accepted. Children stay in flight (the fixture's hooks decide).
struct DmBio {
    std::vector<std::unique_ptr<Parent>> clones;
    std::vector<bc_in_place> results;
    unsigned rounds = 0;
};

void map_like_dm(Fixture& f, DmBio& bio, bc_io_kind kind, bc_sector_t sector, unsigned sectors, unsigned flags = 0) {
    bc::posix::NoioScope noio;
    for (unsigned done = 0; done < sectors;) {
        bio.clones.push_back(std::make_unique<Parent>());
        Parent* p = bio.clones.back().get();
        bc_in_place r;
        bc_target_map_in_place(f.target, p, &p->state, kind, sector + done, sectors - done, flags, &r);
        bio.results.push_back(r);
        ++bio.rounds;
        REQUIRE(r.error == 0);
        REQUIRE(r.accepted > 0);  // every round moves: the parent's own piece needs no object
        done += r.accepted;
    }
}

// bc_target_in_place_end, as DM's end_io calls it.
bc_in_place_end in_place_end(bc_target* target, Parent& parent, int error) {
    bc_in_place_end end;
    bc_target_in_place_end(target, &parent.state, error, &end);
    return end;
}

unsigned long long counter(bc_target* t, const std::string& name) {
    const std::string s = info(t);
    const size_t at = s.find(" " + name + " ");
    REQUIRE(at != std::string::npos);
    return std::stoull(s.substr(at + name.size() + 2));
}
}  // namespace

TEST_CASE("in place: a striped parent carries its first chunk, children the rest") {
    Fixture f("striped 2 8 a 0 b 0");
    f.hooks(false);
    DmBio bio;
    map_like_dm(f, bio, BC_IO_READ, 4, 28);  // chunks: 4..8 (leg 0), 8..16 (1), 16..24 (0), 24..32 (1)
    REQUIRE(bio.rounds == 1);
    const bc_in_place& r = bio.results[0];
    CHECK(r.remapped == 1);
    CHECK(r.leg == 0);
    CHECK(r.leg_sector == 4);
    CHECK(r.parent_sectors == 4);
    CHECK(r.accepted == 28);
    REQUIRE(f.children.size() == 3);
    CHECK(f.children[0].leg == 1);
    CHECK(f.children[0].offset == 4);
    CHECK(f.children[0].sectors == 8);
    CHECK(f.children[2].offset == 20);
    // the parent ends (core/'s reference dropped) only after its children
    CHECK(bio.clones[0]->ends == 0);
    for (const Child& c : f.children)
        bc_target_child_end(f.target, c.bio, 0);
    CHECK(bio.clones[0]->ends == 1);
    CHECK(counter(f.target, "reads") == 1);
    CHECK(counter(f.target, "read_sectors") == 28);
    CHECK(counter(f.target, "partial_accepts") == 0);
    CHECK(counter(f.target, "outstanding") == 0);
}

// A child's object comes from the shim's inline hit path (ops.child_alloc over the layout
// core/ published) and goes back through it (ops.child_free), and before its parent ends:
// after that the target, magazines and all, may be destroyed.
TEST_CASE("in place: children are taken and given back through the shim's magazine ops, before the parent ends") {
    bc::posix::CpuScope cpu(0);
    Fixture f("striped 2 8 a 0 b 0");
    f.hooks(false);
    std::vector<std::string> events;
    std::vector<void*> taken, given;
    f.ops.on_child_alloc = [&](void* child) { taken.push_back(child); };
    f.ops.on_child_free = [&](void* child) {
        given.push_back(child);
        events.push_back("free");
    };
    auto parent_end = f.ops.parent_end;
    f.ops.parent_end = [&, parent_end](void* parent, int error) {
        events.push_back("end");
        parent_end(parent, error);
    };
    for (unsigned round = 0; round < 2; ++round) {
        INFO("round " << round);
        f.children.clear();
        taken.clear();
        given.clear();
        events.clear();
        const unsigned long long hits = counter(f.target, "alloc_percpu");
        DmBio bio;
        map_like_dm(f, bio, BC_IO_READ, 0, 32);  // the parent's chunk, 3 children
        REQUIRE(f.children.size() == 3);
        REQUIRE(taken.size() == 3);
        for (unsigned i = 0; i < 3; ++i)
            CHECK(taken[i] == f.children[i].bio);
        if (round == 1)  // the first round's frees filled CPU 0's magazine: every take a hit
            CHECK(counter(f.target, "alloc_percpu") == hits + 3);
        for (const Child& c : f.children)
            bc_target_child_end(f.target, c.bio, 0);
        CHECK(given == std::vector<void*>{f.children[0].bio, f.children[1].bio, f.children[2].bio});
        CHECK(events == std::vector<std::string>{"free", "free", "free", "end"});
        CHECK(counter(f.target, "outstanding") == 0);
    }
}

TEST_CASE("in place: with nothing at hand a split hands the rest back and never waits") {
    // every backing allocation fails and the reserve holds one object: the first child
    // takes it, and with children held in flight nothing more comes back
    Fixture f("striped 2 8 a 0 b 0 4 reserve 1 fail_alloc 100");
    f.hooks(false);
    DmBio bio;
    map_like_dm(f, bio, BC_IO_READ, 0, 64);
    // round 1: parent 0..8, child 8..16 (the reserve's object), then nothing at hand;
    // every later round: the parent's chunk alone
    CHECK(bio.results[0].accepted == 16);
    CHECK(bio.rounds == 7);
    CHECK(f.children.size() == 1);
    CHECK(counter(f.target, "partial_accepts") == 6);
    CHECK(counter(f.target, "reads") == 1);  // the bio, once, when its last piece is accepted
    CHECK(counter(f.target, "read_sectors") == 64);
    CHECK(counter(f.target, "alloc_waited") == 0);
    CHECK(counter(f.target, "rescues") == 0);
    CHECK(counter(f.target, "chain_recycles") == 0);
    for (const Child& c : f.children)
        bc_target_child_end(f.target, c.bio, 0);
    for (auto& clone : bio.clones)
        CHECK(clone->ends == 1);
}

TEST_CASE("in place: a contiguous next piece on the parent's leg joins the parent") {
    Fixture f("striped 1 8 a 0");
    f.hooks(false);
    DmBio bio;
    map_like_dm(f, bio, BC_IO_WRITE, 0, 32);
    CHECK(bio.results[0].parent_sectors == 32);
    CHECK(f.children.empty());
    CHECK(bio.clones[0]->ends == 1);  // nothing in flight of core/'s: its reference is dropped
    CHECK(counter(f.target, "merges") == 3);
}

TEST_CASE("in place: a mirror write's parent goes to the first live leg, a copy to each other") {
    Fixture f("mirror 3 a 0 b 100 c 200");
    f.hooks(false);
    DmBio bio;
    map_like_dm(f, bio, BC_IO_WRITE, 8, 16);
    const bc_in_place& r = bio.results[0];
    CHECK(r.remapped == 1);
    CHECK(r.leg == 0);
    CHECK(r.leg_sector == 8);
    CHECK(r.accepted == 16);
    REQUIRE(f.children.size() == 2);
    CHECK(f.children[0].leg == 1);
    CHECK(f.children[0].leg_sector == 108);
    CHECK(f.children[1].leg == 2);
    CHECK(f.children[1].leg_sector == 208);
    bc_target_child_end(f.target, f.children[0].bio, 0);
    bc_target_child_end(f.target, f.children[1].bio, 0);
    CHECK(bio.clones[0]->ends == 1);

    // the parent's own leg fails, the copies landed: the write succeeds degraded
    const bc_in_place_end degraded = in_place_end(f.target, *bio.clones[0], -BC_EIO);
    CHECK(degraded.error == 0);
    CHECK(degraded.retry == 0);
    CHECK(info(f.target).find("leg0_failed 1") != std::string::npos);

    // the next write's parent goes to leg 1, its copy to leg 2 only
    f.children.clear();
    DmBio next;
    map_like_dm(f, next, BC_IO_WRITE, 0, 8);
    CHECK(next.results[0].leg == 1);
    REQUIRE(f.children.size() == 1);
    CHECK(f.children[0].leg == 2);
    // AGAIN and NOTSUPP say nothing of the leg's data: no leg is failed for them
    CHECK(in_place_end(f.target, *next.clones[0], -BC_EAGAIN).error == -BC_EAGAIN);
    CHECK(in_place_end(f.target, *next.clones[0], -BC_EOPNOTSUPP).error == -BC_EOPNOTSUPP);
    CHECK(info(f.target).find("leg1_failed 0") != std::string::npos);
    bc_target_child_end(f.target, f.children[0].bio, -BC_EAGAIN);
    CHECK(next.clones[0]->error == 0);  // a mirror parent's children's error is told at its end
    CHECK(in_place_end(f.target, *next.clones[0], 0).error == -BC_EAGAIN);
    CHECK(info(f.target).find("leg2_failed 0") != std::string::npos);
}

// A 2-leg mirror whose one object (reserve 1, every backing allocation failing) is held
// by an earlier write's copy: every write mapped after it goes in turns.
struct HeldMirror {
    Fixture f{"mirror 2 a 0 b 0 4 reserve 1 fail_alloc 100"};
    DmBio holder;
    HeldMirror() {
        f.hooks(false);
        map_like_dm(f, holder, BC_IO_WRITE, 64, 8);
        REQUIRE(f.children.size() == 1);
    }
    void release() { bc_target_child_end(f.target, f.children[0].bio, 0); }
};

// Under pressure (nothing at hand) a mirror write's copies used to wait for objects, one
// write at a time through the whole device (a swap hog at reserve 1 took 5x dm-linear's
// time): now the parent carries them itself, a leg at a time, and the mapper never waits.
TEST_CASE("in place: a mirror write whose copies are not at hand carries them itself, leg after leg") {
    Fixture f("mirror 3 a 0 b 100 c 200 4 reserve 1 fail_alloc 100");
    f.hooks(false);
    DmBio bio;
    map_like_dm(f, bio, BC_IO_WRITE, 8, 16);
    REQUIRE(bio.rounds == 1);
    const bc_in_place& r = bio.results[0];
    CHECK(r.remapped == 1);
    CHECK(r.leg == 0);
    CHECK(r.leg_sector == 8);
    CHECK(r.accepted == 16);
    CHECK(r.retryable == 1);
    CHECK(f.children.empty());  // the reserve's one object is not enough for two copies
    CHECK(bio.clones[0]->ends == 1);
    CHECK(counter(f.target, "alloc_waited") == 0);
    CHECK(counter(f.target, "rescues") == 0);
    CHECK(counter(f.target, "outstanding") == 0);

    // leg 0 has it: the parent goes again, to leg 1, then to leg 2, then ends
    bc_in_place_end e = in_place_end(f.target, *bio.clones[0], 0);
    CHECK(e.retry == 1);
    CHECK(e.leg == 1);
    CHECK(e.leg_sector == 108);
    e = in_place_end(f.target, *bio.clones[0], 0);
    CHECK(e.retry == 1);
    CHECK(e.leg == 2);
    CHECK(e.leg_sector == 208);
    e = in_place_end(f.target, *bio.clones[0], 0);
    CHECK(e.retry == 0);
    CHECK(e.error == 0);
    CHECK(e.retryable == 1);
    CHECK(counter(f.target, "write_turns") == 2);
    CHECK(counter(f.target, "writes") == 1);

    // a leg that fails on its turn is failed and the write goes on: it succeeds degraded
    DmBio degraded;
    map_like_dm(f, degraded, BC_IO_WRITE, 0, 8);
    e = in_place_end(f.target, *degraded.clones[0], 0);
    REQUIRE(e.retry == 1);
    CHECK(e.leg == 1);
    e = in_place_end(f.target, *degraded.clones[0], -BC_EIO);
    CHECK(info(f.target).find("leg1_failed 1") != std::string::npos);
    REQUIRE(e.retry == 1);
    CHECK(e.leg == 2);
    e = in_place_end(f.target, *degraded.clones[0], 0);
    CHECK(e.retry == 0);
    CHECK(e.error == 0);

    // the next write skips the failed leg: one copy, and the reserve's object is held by
    // another write's; its first leg fails, the last takes it
    DmBio holder;
    map_like_dm(f, holder, BC_IO_WRITE, 64, 8);
    REQUIRE(f.children.size() == 1);
    DmBio next;
    map_like_dm(f, next, BC_IO_WRITE, 0, 8);
    CHECK(next.results[0].leg == 0);
    e = in_place_end(f.target, *next.clones[0], -BC_EIO);
    REQUIRE(e.retry == 1);
    CHECK(e.leg == 2);
    e = in_place_end(f.target, *next.clones[0], 0);
    CHECK(e.retry == 0);
    CHECK(e.error == 0);
    CHECK(info(f.target).find("leg0_failed 1") != std::string::npos);

    // the last leg fails too: nothing holds the write, it fails
    DmBio last;
    map_like_dm(f, last, BC_IO_WRITE, 0, 8);
    CHECK(last.results[0].leg == 2);
    e = in_place_end(f.target, *last.clones[0], -BC_EIO);
    CHECK(e.retry == 0);
    CHECK(e.error == -BC_EIO);
    bc_target_child_end(f.target, f.children[0].bio, 0);
    CHECK(counter(f.target, "outstanding") == 0);
}

// Review finding: landing was one bool, so a write that landed on a leg failed since
// (by another write) and then failed on its last live leg was reported written, with no
// live leg holding it.
TEST_CASE("in place: a write in turns has landed only on a leg that is still live") {
    HeldMirror held;
    Fixture& f = held.f;
    DmBio w1, w2;
    map_like_dm(f, w1, BC_IO_WRITE, 0, 8);
    map_like_dm(f, w2, BC_IO_WRITE, 8, 8);
    REQUIRE(f.children.size() == 1);  // both in turns
    bc_in_place_end e = in_place_end(f.target, *w1.clones[0], 0);  // W1 on leg 0
    REQUIRE(e.retry == 1);
    CHECK(e.leg == 1);
    e = in_place_end(f.target, *w2.clones[0], -BC_EIO);  // W2 fails leg 0
    REQUIRE(e.retry == 1);
    CHECK(info(f.target).find("leg0_failed 1") != std::string::npos);
    e = in_place_end(f.target, *w1.clones[0], -BC_EIO);  // W1's turn on leg 1 fails
    CHECK(e.retry == 0);
    CHECK(e.error == -BC_EIO);  // its only copy is on a failed leg
    held.release();
}

// Review finding: a write that landed on one leg and was refused on a later turn for a
// reason that fails no leg (NOTSUPP, AGAIN) ended with the error and no leg failed: the
// legs then differed and reads alternated between old and new data. As dm-raid1's
// write_callback, once the data is on a leg any error on another fails that leg.
TEST_CASE("in place: a write in turns refused on a later leg fails that leg, and is written") {
    HeldMirror held;
    Fixture& f = held.f;
    DmBio w;
    map_like_dm(f, w, BC_IO_WRITE, 0, 8);
    bc_in_place_end e = in_place_end(f.target, *w.clones[0], 0);
    REQUIRE(e.retry == 1);
    e = in_place_end(f.target, *w.clones[0], -BC_EOPNOTSUPP);
    CHECK(e.retry == 0);
    CHECK(e.error == 0);
    CHECK(info(f.target).find("leg1_failed 1") != std::string::npos);
    held.release();
}

// A turn refused for a reason that says nothing of the leg (AGAIN, NOTSUPP) ends the
// write with it: issued again or failed by the caller, never reported written.
TEST_CASE("in place: a mirror write's turn refused with AGAIN ends the write with AGAIN") {
    HeldMirror held;
    Fixture& f = held.f;
    DmBio bio;
    map_like_dm(f, bio, BC_IO_WRITE, 0, 8);
    CHECK(f.children.size() == 1);
    const bc_in_place_end e = in_place_end(f.target, *bio.clones[0], -BC_EAGAIN);
    CHECK(e.retry == 0);
    CHECK(e.error == -BC_EAGAIN);
    CHECK(info(f.target).find("leg0_failed 0") != std::string::npos);
    held.release();
}

TEST_CASE("in place: a NOWAIT split takes what it needs at hand, all or nothing") {
    Fixture f("mirror 2 a 0 b 0 4 reserve 1 fail_alloc 100");
    f.hooks(false);
    bc::posix::NoioScope noio;
    Parent first;
    bc_in_place r;
    bc_target_map_in_place(f.target, &first, &first.state, BC_IO_WRITE, 0, 8, BC_MAP_NOWAIT, &r);
    CHECK(r.error == 0);  // the reserve's object is at hand
    REQUIRE(f.children.size() == 1);

    // nothing at hand now: refused with AGAIN, nothing issued, nothing counted
    Parent refused;
    bc_target_map_in_place(f.target, &refused, &refused.state, BC_IO_WRITE, 8, 8, BC_MAP_NOWAIT, &r);
    CHECK(r.error == -BC_EAGAIN);
    CHECK(r.remapped == 0);
    CHECK(r.accepted == 8);
    CHECK(refused.ends == 1);
    CHECK(refused.error == -BC_EAGAIN);
    CHECK(f.children.size() == 1);
    CHECK(counter(f.target, "writes") == 1);
    CHECK(counter(f.target, "alloc_waited") == 0);

    // a mirror read carries its first piece itself: with nothing at hand it still goes
    Parent read;
    bc_target_map_in_place(f.target, &read, &read.state, BC_IO_READ, 0, 8, BC_MAP_NOWAIT, &r);
    CHECK(r.error == 0);
    CHECK(r.remapped == 1);
    CHECK(r.accepted == 8);
    CHECK(f.children.size() == 1);
    CHECK(read.ends == 1);  // core/'s reference: no child of its own

    // a striped or linear split never needs an object for its first piece: never refused
    Fixture s("striped 2 8 a 0 b 0 4 reserve 1 fail_alloc 100");
    s.hooks(false);
    DmBio bio;
    map_like_dm(s, bio, BC_IO_WRITE, 0, 64, BC_MAP_NOWAIT);
    CHECK(counter(s.target, "writes") == 1);
    for (const Child& c : s.children)
        bc_target_child_end(s.target, c.bio, 0);
    bc_target_child_end(f.target, f.children[0].bio, 0);
}

TEST_CASE("in place: a mirror read's parent reads its first piece, and is issued again on another leg") {
    Fixture f("mirror 3 a 0 b 100 c 200");
    f.hooks(false);
    DmBio bio;
    map_like_dm(f, bio, BC_IO_READ, 8, 16);
    const bc_in_place& r = bio.results[0];
    CHECK(r.remapped == 1);
    CHECK(r.accepted == 16);
    CHECK(r.parent_sectors == 16);
    CHECK(f.children.empty());  // no object: a read never waits, never needs the rescuer
    CHECK(bio.clones[0]->ends == 1);
    const unsigned first = r.leg;
    CHECK(r.leg_sector == 8 + 100 * first);

    // its leg fails: the leg is failed, the parent goes again to the next live one
    const bc_in_place_end again = in_place_end(f.target, *bio.clones[0], -BC_EIO);
    CHECK(again.retry == 1);
    CHECK(again.error == 0);
    const unsigned second = (first + 1) % 3;
    CHECK(again.leg == second);
    CHECK(again.leg_sector == 8 + 100 * second);
    CHECK(info(f.target).find("leg" + std::to_string(first) + "_failed 1") != std::string::npos);
    CHECK(counter(f.target, "read_retries") == 1);
    // that one fails too: the last leg
    const bc_in_place_end last = in_place_end(f.target, *bio.clones[0], -BC_EIO);
    CHECK(last.retry == 1);
    CHECK(last.leg == (second + 1) % 3);
    // and the last: nothing else holds the data, the read fails
    const bc_in_place_end failed = in_place_end(f.target, *bio.clones[0], -BC_EIO);
    CHECK(failed.retry == 0);
    CHECK(failed.error == -BC_EIO);
    CHECK(counter(f.target, "read_retries") == 2);
}

TEST_CASE("in place: a mirror read's further pieces are children at hand, each retried alone") {
    Fixture f("mirror 2 a 0 b 0 2 max_child_sectors 8");
    f.hooks(false);
    std::vector<void*> retried;
    f.ops.child_retry = [&](void* child) { retried.push_back(child); };
    DmBio bio;
    map_like_dm(f, bio, BC_IO_READ, 0, 24);
    CHECK(bio.results[0].parent_sectors == 8);
    REQUIRE(f.children.size() == 2);
    CHECK(f.children[0].leg == bio.results[0].leg);
    bc_target_child_end(f.target, f.children[0].bio, -BC_EIO);
    REQUIRE(retried.size() == 1);
    bc_target_child_retry(f.target, retried[0]);
    REQUIRE(f.children.size() == 3);
    CHECK(f.children[2].leg != bio.results[0].leg);
    bc_target_child_end(f.target, f.children[1].bio, 0);
    bc_target_child_end(f.target, f.children[2].bio, 0);
    CHECK(bio.clones[0]->ends == 1);
    CHECK(bio.clones[0]->error == 0);
}

// A review found the child's AGAIN (a NOWAIT child refused by a full queue) folded into
// the parent's status with the parent's own EIO: the end saw "a child failed", judged no
// leg, and the reader got EIO although the other leg held the data.
TEST_CASE("in place: a child's AGAIN does not hide the mirror parent's failed leg") {
    Fixture f("mirror 2 a 0 b 0 2 max_child_sectors 8");
    f.hooks(false);
    DmBio bio;
    map_like_dm(f, bio, BC_IO_READ, 0, 16, BC_MAP_NOWAIT);
    REQUIRE(f.children.size() == 1);
    const unsigned leg = bio.results[0].leg;
    CHECK(bio.results[0].retryable == 1);
    bc_target_child_end(f.target, f.children[0].bio, -BC_EAGAIN);
    CHECK(bio.clones[0]->ends == 1);
    CHECK(bio.clones[0]->error == 0);  // the children's error stays in core/ for the end
    const bc_in_place_end end = in_place_end(f.target, *bio.clones[0], -BC_EIO);
    CHECK(info(f.target).find("leg" + std::to_string(leg) + "_failed 1") != std::string::npos);
    CHECK(end.retry == 0);
    CHECK(end.error == -BC_EAGAIN);  // issued again whole, and read from the other leg
    CHECK(end.retryable == 1);
}

TEST_CASE("in place: a mirror parent ends with its children's error when its own piece is clean") {
    Fixture f("mirror 2 a 0 b 0");
    f.hooks(false);
    DmBio bio;
    map_like_dm(f, bio, BC_IO_WRITE, 0, 8);
    REQUIRE(f.children.size() == 1);  // the copy
    bc_target_child_end(f.target, f.children[0].bio, -BC_EAGAIN);
    CHECK(bio.clones[0]->ends == 1);
    CHECK(bio.clones[0]->error == 0);  // told at the end, not folded into the status
    const bc_in_place_end end = in_place_end(f.target, *bio.clones[0], 0);
    CHECK(end.error == -BC_EAGAIN);
    CHECK(end.retryable == 0);  // a write is never issued again by the shim
    // a real error of the parent's own wins over the children's AGAIN (its leg failed, the
    // mirror goes on degraded: the write still reports the copy's refusal)
    CHECK(in_place_end(f.target, *bio.clones[0], -BC_EIO).error == -BC_EAGAIN);
    CHECK(info(f.target).find("leg0_failed 1") != std::string::npos);
}

TEST_CASE("in place: a failed readahead fails no mirror leg and is not retried") {
    Fixture f("mirror 2 a 0 b 0 2 max_child_sectors 8");
    f.hooks(false);
    f.ops.child_retry = [](void*) { FAIL("a readahead must not be retried"); };
    bc::posix::NoioScope noio;
    Parent p;
    bc_in_place r;
    bc_target_map_in_place(f.target, &p, &p.state, BC_IO_READ, 0, 16, BC_MAP_READAHEAD, &r);
    REQUIRE(r.remapped == 1);
    REQUIRE(f.children.size() == 1);  // the second piece
    bc_target_child_end(f.target, f.children[0].bio, -BC_EIO);
    CHECK(p.ends == 1);
    CHECK(p.error == 0);  // told at the end
    CHECK(in_place_end(f.target, p, 0).error == -BC_EIO);
    // the parent's own piece fails as well: no retry either
    const bc_in_place_end end = in_place_end(f.target, p, -BC_EIO);
    CHECK(end.retry == 0);
    CHECK(end.error == -BC_EIO);
    CHECK(info(f.target).find("leg0_failed 0 ") != std::string::npos);
    CHECK(info(f.target).find("leg1_failed 0") != std::string::npos);
    // a readahead whose own piece alone fails: no leg failed, no retry, the error stays
    f.children.clear();
    Parent own;
    bc_target_map_in_place(f.target, &own, &own.state, BC_IO_READ, 0, 8, BC_MAP_READAHEAD, &r);
    CHECK(f.children.empty());
    const bc_in_place_end own_end = in_place_end(f.target, own, -BC_EIO);
    CHECK(own_end.retry == 0);
    CHECK(own_end.error == -BC_EIO);
    CHECK(info(f.target).find("leg0_failed 0 ") != std::string::npos);
    CHECK(info(f.target).find("leg1_failed 0") != std::string::npos);
    // the same read without the flag fails its leg and goes again on the other
    Parent q;
    bc_target_map_in_place(f.target, &q, &q.state, BC_IO_READ, 0, 8, 0, &r);
    const bc_in_place_end retry = in_place_end(f.target, q, -BC_EIO);
    CHECK(retry.retry == 1);
    CHECK(retry.leg != r.leg);
}

TEST_CASE("a mirror's writes are copied: the shim sends them down without NOWAIT") {
    bc_fast_path path;
    Fixture m("mirror 2 a 0 b 0");
    bc_target_fast_path(m.target, &path);
    CHECK(path.writes_copied == 1);
    Fixture s("striped 2 8 a 0 b 0");
    bc_target_fast_path(s.target, &path);
    CHECK(path.writes_copied == 0);
}

// A REQ_ATOMIC bio with REQ_NOWAIT is refused by the shim before any map call, and DM's
// end_io still asks core/ about a mirror's: its state was never begun, and whatever the
// memory held (here a mirror write's leg, in turns) was judged, a leg failed by a refusal.
TEST_CASE("a parent refused before any map call ends with its own status, nothing judged") {
    Fixture f("mirror 2 a 0 b 0");
    bc::ParentState state;
    std::memset(&state, 0, sizeof state);  // what a recycled per-bio area may hold
    state.parent_write = true;
    state.parent_retryable = true;
    state.parent_turns = 2;
    bc_target_parent_refused(&state, &state);
    bc_in_place_end end;
    bc_target_in_place_end(f.target, &state, -BC_EAGAIN, &end);
    CHECK(end.error == -BC_EAGAIN);
    CHECK(end.retry == 0);
    CHECK(end.retryable == 0);
    CHECK(info(f.target).find("leg0_errors 0") != std::string::npos);
}

// DM's end_io calls into core/ only where core/ has something to judge: a mirror's clone
// (its own leg, its retry, its turns), not a child-limit table's split, whose status is
// already the bio's.
TEST_CASE("only a mirror's ends are judged in core/") {
    bc_fast_path path;
    Fixture m("mirror 2 a 0 b 0");
    bc_target_fast_path(m.target, &path);
    CHECK(path.ends_judged == 1);
    Fixture limited("striped 2 8 a 0 b 0 2 max_child_sectors 8");
    bc_target_fast_path(limited.target, &path);
    CHECK(path.kind == BC_FAST_PATH_NONE);
    CHECK(path.ends_judged == 0);
    Fixture linear("linear a 0");
    bc_target_fast_path(linear.target, &path);
    CHECK(path.ends_judged == 0);
    // and where it is not, in_place_end hands the status back as it is
    limited.hooks(false);
    DmBio bio;
    map_like_dm(limited, bio, BC_IO_READ, 0, 16);
    REQUIRE(limited.children.size() == 1);
    bc_target_child_end(limited.target, limited.children[0].bio, -BC_EIO);
    CHECK(bio.clones[0]->error == -BC_EIO);  // the children's error is the clone's status
    CHECK(in_place_end(limited.target, *bio.clones[0], -BC_EIO).error == -BC_EIO);
}
