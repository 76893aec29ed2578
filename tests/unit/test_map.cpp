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
    unsigned char inline_objects[sizeof(ParentArea) - sizeof(bc::ParentState)];  // see ParentArea
    std::atomic<int> ends{0};
    std::atomic<int> error{0};
};

struct Fixture {
    // Leg i's identity (dev_t) is 0xfd00 + i unless ids says otherwise (a reload test's
    // other device, or legs in another order).
    explicit Fixture(const std::string& line, bc_sector_t length = 1ull << 20,
                     std::vector<unsigned long long> ids = {}) {
        TableWords words(line);
        const char* error = nullptr;
        bc_table table{};
        REQUIRE(bc_table_parse(words.argc(), words.argv(), &table, &error) == 0);
        bc_leg_geometry legs[BC_MAX_LEGS];
        for (unsigned i = 0; i < BC_MAX_LEGS; ++i)
            legs[i] = {1ull << 30, 512, i < ids.size() ? ids[i] : 0xfd00ull + i};
        const bc_bio_shape shape{136, 16, 4};
        REQUIRE(bc_target_create(&table, length, legs, &shape, &TargetOps::kTable, &ops, &target, &error) == 0);
        REQUIRE(ParentArea::fits(target));
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

// bc_target_map of sectors at 0 (a write) while a disk thread ends a child only when the
// mapper waits for one in chain_next, so every object after those at hand can only come
// from recycling (an earlier completion would put the object back in the reserve, and
// the counts would be a race).
void map_with_recycling_disk(Fixture& f, Parent& p, unsigned sectors) {
    f.hooks(false);
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
        bc_target_map(f.target, &p, &p.state, BC_IO_WRITE, 0, sectors);
    }
    mapped = true;
    disk.join();
}

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

TEST_CASE("a mirror write goes to every leg") {
    Fixture f("mirror 2 a 0 b 500 1 nosync");
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
}

TEST_CASE("a failed mirror read is retried on the other leg, which then serves alone") {
    Fixture f("mirror 2 a 0 b 500 1 nosync");
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
    Fixture f("mirror 2 a 0 b 500 1 nosync");
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
    Fixture f("linear /dev/vda 0 8 max_child_sectors 8 reserve 1 fail_alloc 100 inline_children 0");
    Parent p;
    map_with_recycling_disk(f, p, 32);
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

// Whether s holds words (whole words: between spaces, or at the end).
bool has(const std::string& s, const std::string& words) { return s.find(" " + words + " ") != std::string::npos ||
                                                                   s.size() >= words.size() + 1 &&
                                                                       s.compare(s.size() - words.size() - 1, std::string::npos, " " + words) == 0; }

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
    Fixture f("striped 2 8 a 0 b 0 2 inline_children 0");  // every child the magazine's
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
    Fixture f("striped 2 8 a 0 b 0 6 reserve 1 fail_alloc 100 inline_children 0");
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

// The first children of a split are made in the parent's own per-bio data (as many as the
// table's inline_children), before the BioSet: under pressure a round carries the parent's
// piece, those, and what the reserve holds. They go back to the parent, not the BioSet.
TEST_CASE("in place: the first children are the parent's inline objects, then the BioSet's") {
    Fixture f("striped 3 8 a 0 b 0 c 0 4 reserve 1 fail_alloc 100", 24 * 1000);  // 2 inline by default
    f.hooks(false);
    std::vector<void*> taken, given;
    f.ops.on_child_alloc = [&](void* child) { taken.push_back(child); };
    f.ops.on_child_free = [&](void* child) { given.push_back(child); };
    // an inline object is back in its parent before the parent ends: DM may free it then
    std::vector<unsigned> free_at_end;
    auto parent_end = f.ops.parent_end;
    f.ops.parent_end = [&, parent_end](void* parent, int error) {
        free_at_end.push_back(static_cast<Parent*>(parent)->state.inline_free);
        parent_end(parent, error);
    };
    DmBio bio;
    map_like_dm(f, bio, BC_IO_READ, 0, 48);  // 6 chunks: legs 0 1 2 0 1 2
    // round 1: the parent's chunk, two inline children, the reserve's object; then the
    // rest (2 chunks) in a second round: the parent's chunk and an inline child
    REQUIRE(bio.rounds == 2);
    CHECK(bio.results[0].accepted == 32);
    REQUIRE(f.children.size() == 4);
    const auto* area0 = reinterpret_cast<const unsigned char*>(&bio.clones[0]->state);
    const size_t size = bc_target_parent_state_size(f.target);
    auto inside = [size](const void* bio_mem, const unsigned char* area) {
        const auto* b = static_cast<const unsigned char*>(bio_mem);
        return b > area && b < area + size;
    };
    CHECK(inside(f.children[0].bio, area0));
    CHECK(inside(f.children[1].bio, area0));
    CHECK(!inside(f.children[2].bio, area0));
    // the shim's ops see the BioSet's alone: the reserve's object, then the try that found
    // nothing and ended the round
    CHECK(taken == std::vector<void*>{f.children[2].bio, nullptr});
    CHECK(inside(f.children[3].bio, reinterpret_cast<const unsigned char*>(&bio.clones[1]->state)));
    CHECK(f.children[0].offset == 8);
    CHECK(f.children[2].offset == 24);
    CHECK(f.children[3].offset == 8);  // in the second round's parent, which starts at 32
    CHECK(counter(f.target, "children_inline") == 3);
    CHECK(counter(f.target, "alloc_reserve") == 1);
    CHECK(counter(f.target, "partial_accepts") == 1);
    for (const Child& c : f.children)
        bc_target_child_end(f.target, c.bio, 0);
    CHECK(given == std::vector<void*>{f.children[2].bio});
    CHECK(free_at_end == std::vector<unsigned>{3u, 3u});
    for (auto& clone : bio.clones) {
        CHECK(clone->ends == 1);
        CHECK(clone->state.inline_free == 3u);  // both back to their parent
    }
    CHECK(counter(f.target, "outstanding") == 0);
    CHECK(counter(f.target, "frees") == 1);
}

// An inline object given back while the mapper is still issuing serves the same split
// again; the children of one parent never share one.
TEST_CASE("in place: an inline child that ends while the split goes on is taken again") {
    Fixture f("striped 2 8 a 0 b 0 6 reserve 1 fail_alloc 100 inline_children 1");
    f.hooks(true);  // every child ends inside its submit
    DmBio bio;
    map_like_dm(f, bio, BC_IO_READ, 0, 64);
    // each child ends as it is issued, so the one inline object serves every piece
    CHECK(bio.rounds == 1);
    CHECK(f.children.size() == 7);
    for (const Child& c : f.children)
        CHECK(c.bio == f.children[0].bio);
    CHECK(counter(f.target, "children_inline") == 7);
    CHECK(counter(f.target, "alloc_reserve") == 0);
    CHECK(bio.clones[0]->ends == 1);
    CHECK(counter(f.target, "outstanding") == 0);
}

// A mirror write's copies are inline objects: with one other leg per inline object, the
// write needs nothing of the BioSet and never goes in turns, whatever the pressure.
TEST_CASE("in place: a mirror write's copies are the parent's inline objects, never in turns") {
    Fixture f("mirror 3 a 0 b 100 c 200 5 reserve 1 fail_alloc 100 nosync");
    f.hooks(false);
    DmBio bio;
    map_like_dm(f, bio, BC_IO_WRITE, 0, 16, BC_MAP_NOWAIT);  // NOWAIT: nothing to refuse
    REQUIRE(bio.rounds == 1);
    CHECK(bio.results[0].error == 0);
    CHECK(bio.results[0].retryable == 0);
    REQUIRE(f.children.size() == 2);
    CHECK(f.children[0].leg == 1);
    CHECK(f.children[0].leg_sector == 100);
    CHECK(f.children[1].leg == 2);
    CHECK(counter(f.target, "children_inline") == 2);
    CHECK(counter(f.target, "alloc_reserve") == 0);
    for (const Child& c : f.children)
        bc_target_child_end(f.target, c.bio, 0);
    const bc_in_place_end end = in_place_end(f.target, *bio.clones[0], 0);
    CHECK(end.retry == 0);
    CHECK(end.error == 0);
    CHECK(counter(f.target, "write_turns") == 0);
    CHECK(counter(f.target, "outstanding") == 0);
}

// chain_next (bc_target_map, which may wait) recycles an inline child like any other: it
// serves the same parent's next child, and goes back to that parent in the end.
TEST_CASE("chain_next recycles an inline child, which ends back in its parent") {
    Fixture f("linear /dev/vda 0 8 max_child_sectors 8 reserve 1 fail_alloc 100 inline_children 1");
    Parent p;
    map_with_recycling_disk(f, p, 32);
    CHECK(p.ends == 1);
    CHECK(p.error == 0);
    CHECK(counter(f.target, "children") == 4);
    CHECK(counter(f.target, "alloc_reserve") == 1);    // the second
    CHECK(counter(f.target, "chain_recycles") == 2);   // the two after them: the first's object,
    CHECK(counter(f.target, "children_inline") == 2);  // inline, then the second's
    CHECK(counter(f.target, "alloc_waited") == 0);
    CHECK(p.state.inline_free == 1u);
    CHECK(counter(f.target, "outstanding") == 0);
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
    Fixture f("mirror 3 a 0 b 100 c 200 1 nosync");
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
    Fixture f{"mirror 2 a 0 b 0 7 reserve 1 fail_alloc 100 inline_children 0 nosync"};
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
    Fixture f("mirror 3 a 0 b 100 c 200 7 reserve 1 fail_alloc 100 inline_children 0 nosync");
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

// A write that landed on one leg and was refused on a later turn for a reason that says
// nothing of the leg (NOTSUPP, AGAIN) ended with the error and no leg failed: the legs
// then differed in a region in sync, and reads alternated between old and new data. A
// review (bde29da) had that leg failed, as dm-raid1's write_callback
// does; a leg that does not support an operation (a SCSI disk that dropped WRITE SAME)
// is not faulty, so now it stays live, the write ends with the refusal, and its regions
// are resynced from the source leg: the legs agree, on what the source holds.
TEST_CASE("in place: a write in turns refused on a later leg ends with the refusal, its regions resynced") {
    HeldMirror held;
    Fixture& f = held.f;
    const unsigned resyncs = unsigned(f.ops.resyncs_wanted);
    DmBio w;
    map_like_dm(f, w, BC_IO_WRITE, 0, 8);
    bc_in_place_end e = in_place_end(f.target, *w.clones[0], 0);
    REQUIRE(e.retry == 1);
    e = in_place_end(f.target, *w.clones[0], -BC_EOPNOTSUPP);
    CHECK(e.retry == 0);
    CHECK(e.error == -BC_EOPNOTSUPP);
    CHECK(has(info(f.target), "leg1_failed 0"));
    CHECK(has(info(f.target), "regions_in_sync 1023"));  // region 0 to be copied again
    CHECK(counter(f.target, "write_refusals") == 1);
    CHECK(unsigned(f.ops.resyncs_wanted) == resyncs + 1);
    held.release();
}

// Review of 3653c95: a leg that refuses its copy of a write-zeroes (NOTSUPP: write-zeroes
// support lost at run time) while another leg zeroed: the legs differed in a region in
// sync (a caller without blkdev_issue_zeroout's fallback, fallocate PUNCH_HOLE, never
// writes the zeroes itself).
TEST_CASE("mirror: a write-zeroes refused by one leg after another took it leaves no region in sync with the legs different") {
    Fixture f("mirror 2 a 0 b 0 1 nosync", 4096);
    f.hooks(false);
    DmBio z;
    map_like_dm(f, z, BC_IO_WRITE_ZEROES, 0, 1024);  // region 0
    REQUIRE(f.children.size() == 1);                   // leg 1's copy
    bc_target_child_end(f.target, f.children[0].bio, -BC_EOPNOTSUPP);
    CHECK(in_place_end(f.target, *z.clones[0], 0).error == -BC_EOPNOTSUPP);  // leg 0 zeroed
    CHECK(has(info(f.target), "leg1_failed 0"));
    CHECK(has(info(f.target), "regions 4 regions_in_sync 3"));
    CHECK(f.ops.resyncs_wanted == 1);
    // the parent's own leg refused, the copy taken: the same
    DmBio d;
    map_like_dm(f, d, BC_IO_DISCARD, 1024, 1024);  // region 1
    REQUIRE(f.children.size() == 2);
    bc_target_child_end(f.target, f.children[1].bio, 0);
    CHECK(in_place_end(f.target, *d.clones[0], -BC_EOPNOTSUPP).error == -BC_EOPNOTSUPP);
    CHECK(has(info(f.target), "regions 4 regions_in_sync 2"));
    CHECK(has(info(f.target), "leg0_failed 0"));
    CHECK(counter(f.target, "write_refusals") == 2);
}

// The same refusal is judged alike whether the copies went as children or in turns.
TEST_CASE("mirror: a discard refused by a later leg is judged alike in turns and as children") {
    Fixture f("mirror 2 a 0 b 0 1 nosync", 4096);
    f.hooks(false);
    DmBio c;
    map_like_dm(f, c, BC_IO_DISCARD, 0, 8);
    REQUIRE(f.children.size() == 1);
    bc_target_child_end(f.target, f.children[0].bio, -BC_EOPNOTSUPP);
    const int as_children = in_place_end(f.target, *c.clones[0], 0).error;
    const bool failed_as_children = has(info(f.target), "leg1_failed 1");
    HeldMirror held;
    DmBio t;
    map_like_dm(held.f, t, BC_IO_DISCARD, 0, 8);
    REQUIRE(in_place_end(held.f.target, *t.clones[0], 0).retry == 1);
    CHECK(in_place_end(held.f.target, *t.clones[0], -BC_EOPNOTSUPP).error == as_children);
    CHECK(has(info(held.f.target), "leg1_failed 1") == failed_as_children);
    CHECK(counter(held.f.target, "write_refusals") == counter(f.target, "write_refusals"));
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
    Fixture f("mirror 2 a 0 b 0 7 reserve 1 fail_alloc 100 inline_children 0 nosync");
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
    Fixture f("mirror 3 a 0 b 100 c 200 1 nosync");
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
    Fixture f("mirror 2 a 0 b 0 3 max_child_sectors 8 nosync");
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
    Fixture f("mirror 2 a 0 b 0 3 max_child_sectors 8 nosync");
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
    Fixture f("mirror 2 a 0 b 0 1 nosync");
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
    Fixture f("mirror 2 a 0 b 0 3 max_child_sectors 8 nosync");
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
    Fixture m("mirror 2 a 0 b 0 1 nosync");
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
    Fixture f("mirror 2 a 0 b 0 1 nosync");
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
    Fixture m("mirror 2 a 0 b 0 1 nosync");
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

// ------------------------------------------------------------ a mirror's regions and resync

namespace {
// One flush clone (or a discard's or write-zeroes' of a target other than a mirror),
// mapped and ended as the shim does.
struct WholeClone {
    int map(bc_target* t, bc_io_kind kind, unsigned nr, bc_sector_t sector = 0, bc_sector_t sectors = 0) {
        unsigned leg;
        bc_sector_t leg_sector, leg_sectors;
        return bc_target_map_whole(t, kind, nr, sector, sectors, &leg, &leg_sector, &leg_sectors);
    }
    int end(bc_target* t, unsigned nr, int error) { return bc_target_whole_end(t, nr, error); }
};

// Runs a resync pass to its end; returns the regions copied.
unsigned resync_all(bc_target* t) {
    unsigned copied = 0;
    bc_resync_job job;
    while (bc_target_resync_begin(t, &job) > 0) {
        bc_target_resync_end(t, &job, 0, 0);
        ++copied;
    }
    return copied;
}

// Leg fails (a flush error on it), then the message reinstates it: every region out of
// sync, the leg resyncing.
void fail_and_reinstate(bc_target* t, unsigned leg) {
    WholeClone flush;
    REQUIRE(flush.map(t, BC_IO_FLUSH, leg) == 1);
    REQUIRE(flush.end(t, leg, -BC_EIO) == 0);
    TableWords words("reinstate " + std::to_string(leg));
    const char* error = nullptr;
    REQUIRE(bc_target_message(t, words.argc(), words.argv(), &error) == 0);
}

}  // namespace

TEST_CASE("mirror: a new mirror reads regions out of sync from its first leg, and retries them nowhere") {
    Fixture f("mirror 3 a 0 b 100 c 200", 4096);  // 4 regions of 1024, none in sync
    f.hooks(false);
    CHECK(has(info(f.target), "regions 4 regions_in_sync 0"));
    for (int i = 0; i < 4; ++i) {
        DmBio bio;
        map_like_dm(f, bio, BC_IO_READ, 8, 8);
        CHECK(bio.results[0].leg == 0);  // never rotated: the other legs may hold other data
        CHECK(in_place_end(f.target, *bio.clones[0], 0).error == 0);
    }
    CHECK(has(info(f.target), "leg1_failed 0 leg1_resyncing 1"));  // they hold nothing yet
    DmBio bio;
    map_like_dm(f, bio, BC_IO_READ, 8, 8);
    const bc_in_place_end end = in_place_end(f.target, *bio.clones[0], -BC_EIO);
    CHECK(end.retry == 0);  // leg 1 and 2 do not hold this region: no retry there
    CHECK(end.error == -BC_EIO);
    CHECK(f.ops.events == 1);  // leg 0 failed: an event
    // No leg holds the regions never copied (dm-raid1: "Primary mirror failed while
    // out-of-sync"): a read of one fails, and the resync has nothing to copy from.
    Parent next;
    bc_in_place r;
    bc_target_map_in_place(f.target, &next, &next.state, BC_IO_READ, 8, 8, 0, &r);
    CHECK(r.error == -BC_EIO);
    bc_resync_job job;
    CHECK(bc_target_resync_begin(f.target, &job) == -BC_EIO);
    CHECK(has(info(f.target), "regions_in_sync 0"));
}

TEST_CASE("mirror: a resync pass copies every region from the source to the reinstated leg, then it serves reads") {
    Fixture f("mirror 3 a 0 b 100 c 200 1 nosync", 4096);
    f.hooks(false);
    WholeClone flush;
    REQUIRE(flush.map(f.target, BC_IO_FLUSH, 2) == 1);
    CHECK(flush.end(f.target, 2, -BC_EIO) == 0);  // leg 2 failed; the others hold it
    CHECK(has(info(f.target), "leg2_failed 1 leg2_resyncing 0"));
    CHECK(f.ops.events == 1);
    CHECK_FALSE(bc_target_resync_wanted(f.target));

    const char* error = nullptr;
    TableWords words("reinstate 2");
    REQUIRE(bc_target_message(f.target, words.argc(), words.argv(), &error) == 0);
    CHECK(f.ops.resyncs_wanted == 1);
    CHECK(bc_target_resync_wanted(f.target));
    CHECK(has(info(f.target), "regions 4 regions_in_sync 0"));
    CHECK(has(info(f.target), "leg2_failed 0 leg2_resyncing 1"));

    bc_resync_job job;
    REQUIRE(bc_target_resync_begin(f.target, &job) == 1);
    CHECK(job.source == 0);  // the first live leg that is not resyncing
    CHECK(job.legs == 0b110u);
    CHECK(job.sectors == 1024);
    CHECK(job.leg_sector[0] == job.region * 1024);
    CHECK(job.leg_sector[1] == job.region * 1024 + 100);
    CHECK(job.leg_sector[2] == job.region * 1024 + 200);
    bc_target_resync_end(f.target, &job, 0, 0);
    CHECK(has(info(f.target), "regions_in_sync 1"));
    // a region out of sync is still read from the source, whatever the rotation
    for (int i = 0; i < 3; ++i) {
        DmBio bio;
        map_like_dm(f, bio, BC_IO_READ, (job.region + 1) % 4 * 1024, 8);
        CHECK(bio.results[0].leg == 0);
        in_place_end(f.target, *bio.clones[0], 0);
    }
    CHECK(resync_all(f.target) == 3);
    CHECK(has(info(f.target), "leg2_failed 0 leg2_resyncing 0"));
    CHECK(f.ops.events == 2);  // the pass completed
    CHECK(counter(f.target, "resync_regions") == 4);
    CHECK(counter(f.target, "resync_sectors") == 4096);
    // in sync: three reads in flight go to the three legs, the reinstated one too
    DmBio reads[3];
    unsigned legs = 0;
    for (DmBio& bio : reads) {
        map_like_dm(f, bio, BC_IO_READ, 8, 8);
        legs |= 1u << bio.results[0].leg;
    }
    CHECK(legs == 0b111u);
    for (DmBio& bio : reads)
        in_place_end(f.target, *bio.clones[0], 0);
}

TEST_CASE("mirror: a read goes to the leg with the fewest reads in flight, the next one on a tie") {
    Fixture f("mirror 2 a 0 b 500 1 nosync", 4096);
    f.hooks(false);
    DmBio first, second, third;
    map_like_dm(f, first, BC_IO_READ, 0, 8);
    map_like_dm(f, second, BC_IO_READ, 64, 8);
    CHECK(first.results[0].leg != second.results[0].leg);  // one in flight on each
    in_place_end(f.target, *second.clones[0], 0);
    map_like_dm(f, third, BC_IO_READ, 128, 8);
    CHECK(third.results[0].leg == second.results[0].leg);  // the idle one
    in_place_end(f.target, *first.clones[0], 0);
    in_place_end(f.target, *third.clones[0], 0);
    // one at a time (queue depth 1): every leg in turn, so a failing one is met
    std::vector<unsigned> legs;
    for (bc_sector_t sector = 0; sector < 32; sector += 8) {
        DmBio bio;
        map_like_dm(f, bio, BC_IO_READ, sector, 8);
        legs.push_back(bio.results[0].leg);
        in_place_end(f.target, *bio.clones[0], 0);
    }
    CHECK(legs == std::vector<unsigned>{legs[0], 1 - legs[0], legs[0], 1 - legs[0]});
    // a read retried elsewhere is counted there: the failed leg's count is gone with it
    DmBio failing;
    map_like_dm(f, failing, BC_IO_READ, 0, 8);
    const bc_in_place_end again = in_place_end(f.target, *failing.clones[0], -BC_EIO);
    REQUIRE(again.retry == 1);
    DmBio busy;
    map_like_dm(f, busy, BC_IO_READ, 64, 8);
    CHECK(busy.results[0].leg == again.leg);  // the only live leg
    in_place_end(f.target, *failing.clones[0], 0);
    in_place_end(f.target, *busy.clones[0], 0);
}

// The shim's map of a mirror read (module/dm_target.c's biochain_map_mirror_read): the
// fast path's inline, no call into core/.
struct FastRead {
    bc_fast_path path;
    explicit FastRead(bc_target* t) { bc_target_fast_path(t, &path); }
    bc_remap map(bc_sector_t sector, unsigned sectors) { return bc_fast_path_mirror_read(&path, sector, sectors); }
    void end_clean(unsigned leg) { bc_mirror_read_ends(path.mirror, leg); }
    unsigned in_flight(unsigned leg) const { return path.mirror->reads_in_flight[leg]; }
};

bc_in_place_end fast_read_end(bc_target* t, unsigned leg, bc_sector_t sector, unsigned sectors, int error,
                              unsigned flags = 0) {
    bc_in_place_end end;
    bc_target_mirror_read_end(t, leg, sector, sectors, flags, error, &end);
    return end;
}

TEST_CASE("mirror fast path: reads go down whole to the least busy live leg, at its offset") {
    Fixture f("mirror 3 a 0 b 100 c 200 1 nosync", 4096);
    FastRead fast(f.target);
    REQUIRE(fast.path.mirror_whole == 1);
    CHECK(fast.path.kind == BC_FAST_PATH_NONE);  // writes are still split
    // three in flight: one on each leg, each at its leg's offset
    unsigned legs = 0;
    for (int i = 0; i < 3; ++i) {
        const bc_remap r = fast.map(8, 8);
        REQUIRE(r.remapped == 1);
        CHECK(r.leg_sector == 8 + 100 * r.leg);
        CHECK(fast.in_flight(r.leg) == 1);
        legs |= 1u << r.leg;
    }
    CHECK(legs == 0b111u);
    fast.end_clean(1);
    CHECK(fast.map(64, 8).leg == 1);  // the one with a read fewer
    for (unsigned leg = 0; leg < 3; ++leg)
        fast.end_clean(leg);
    CHECK(fast.in_flight(0) + fast.in_flight(1) + fast.in_flight(2) == 0);
    // at queue depth 1, every leg in turn
    std::vector<unsigned> order;
    for (int i = 0; i < 3; ++i) {
        const bc_remap r = fast.map(0, 8);
        order.push_back(r.leg);
        fast.end_clean(r.leg);
    }
    CHECK(order == std::vector<unsigned>{order[0], (order[0] + 1) % 3, (order[0] + 2) % 3});
    // a failed leg is never chosen
    WholeClone flush;
    REQUIRE(flush.map(f.target, BC_IO_FLUSH, 1) == 1);
    REQUIRE(flush.end(f.target, 1, -BC_EIO) == 0);
    for (int i = 0; i < 4; ++i) {
        const bc_remap r = fast.map(0, 8);
        CHECK(r.leg != 1);
        fast.end_clean(r.leg);
    }
    // counted as reads (the shim adds to the fast path's counters), nothing split
    CHECK(counter(f.target, "reads") == 0);
}

TEST_CASE("mirror fast path: only a mirror without a child limit reads in place") {
    bc_fast_path path;
    Fixture limited("mirror 2 a 0 b 0 3 nosync max_child_sectors 8");
    bc_target_fast_path(limited.target, &path);
    CHECK(path.mirror_whole == 0);  // neither its reads nor its deferred writes whole
    CHECK(path.mirror != nullptr);  // its legs' state all the same: the shim checks it at suspend
    Fixture linear("linear a 0");
    bc_target_fast_path(linear.target, &path);
    CHECK(path.mirror_whole == 0);
    CHECK(path.mirror == nullptr);
    Fixture striped("striped 2 8 a 0 b 0");
    bc_target_fast_path(striped.target, &path);
    CHECK(path.mirror_whole == 0);
}

TEST_CASE("mirror fast path: a region out of sync is read from the source leg, with no leg holding it not at all") {
    Fixture f("mirror 3 a 0 b 100 c 200", 4096);  // 4 regions of 1024, none in sync
    FastRead fast(f.target);
    for (int i = 0; i < 4; ++i) {
        const bc_remap r = fast.map(1024 + 8, 8);
        CHECK(r.leg == 0);
        fast.end_clean(r.leg);
    }
    // its source fails it: no other leg holds the region, no retry
    const bc_remap r = fast.map(8, 8);
    const bc_in_place_end end = fast_read_end(f.target, r.leg, 8, 8, -BC_EIO);
    CHECK(end.retry == 0);
    CHECK(end.error == -BC_EIO);
    CHECK(fast.in_flight(0) == 0);
    CHECK(has(info(f.target), "leg0_failed 1"));
    // the others are live but hold nothing yet: not remapped (the split path's EIO)
    CHECK(fast.map(8, 8).remapped == 0);
    CHECK(fast.in_flight(1) + fast.in_flight(2) == 0);
}

TEST_CASE("mirror fast path: with every leg failed a read is not remapped") {
    Fixture f("mirror 2 a 0 b 100 1 nosync", 4096);
    FastRead fast(f.target);
    WholeClone a, b;
    REQUIRE(a.map(f.target, BC_IO_FLUSH, 0) == 1);
    REQUIRE(a.end(f.target, 0, -BC_EIO) == 0);
    REQUIRE(b.map(f.target, BC_IO_FLUSH, 1) == 1);
    b.end(f.target, 1, -BC_EIO);
    CHECK(fast.map(8, 8).remapped == 0);
    CHECK(fast.in_flight(0) + fast.in_flight(1) == 0);
}

TEST_CASE("mirror fast path: a failed read fails its leg and goes again on another, AGAIN and readahead fail none") {
    Fixture f("mirror 3 a 0 b 100 c 200 1 nosync", 4096);
    FastRead fast(f.target);
    const bc_remap r = fast.map(16, 8);
    // AGAIN (a NOWAIT read a lower queue refused) and NOTSUPP say nothing of the leg
    for (int error : {-BC_EAGAIN, -BC_EOPNOTSUPP}) {
        fast.path.mirror->reads_in_flight[r.leg]++;  // as if mapped again
        const bc_in_place_end end = fast_read_end(f.target, r.leg, 16, 8, error);
        CHECK(end.retry == 0);
        CHECK(end.error == error);
    }
    // nor does a failed readahead
    fast.path.mirror->reads_in_flight[r.leg]++;
    const bc_in_place_end ra = fast_read_end(f.target, r.leg, 16, 8, -BC_EIO, BC_MAP_READAHEAD);
    CHECK(ra.retry == 0);
    CHECK(ra.error == -BC_EIO);
    const std::string leg = "leg" + std::to_string(r.leg);
    CHECK(has(info(f.target), leg + "_failed 0"));
    CHECK(f.ops.events == 0);
    // a refusal (AGAIN) is no error of the leg; NOTSUPP and the readahead's EIO are
    CHECK(has(info(f.target), leg + "_errors 2"));
    // an I/O error fails the leg (an event) and aims the read at the next live leg, counted there
    const bc_in_place_end again = fast_read_end(f.target, r.leg, 16, 8, -BC_EIO);
    REQUIRE(again.retry == 1);
    CHECK(again.error == 0);
    CHECK(again.leg == (r.leg + 1) % 3);
    CHECK(again.leg_sector == 16 + 100 * again.leg);
    CHECK(fast.in_flight(r.leg) == 0);
    CHECK(fast.in_flight(again.leg) == 1);
    CHECK(has(info(f.target), "leg" + std::to_string(r.leg) + "_failed 1"));
    CHECK(f.ops.events == 1);
    CHECK(counter(f.target, "read_retries") == 1);
    // it fails there too, and on the last leg: then nothing holds the data
    const bc_in_place_end last = fast_read_end(f.target, again.leg, 16, 8, -BC_EIO);
    REQUIRE(last.retry == 1);
    const bc_in_place_end failed = fast_read_end(f.target, last.leg, 16, 8, -BC_EIO);
    CHECK(failed.retry == 0);
    CHECK(failed.error == -BC_EIO);
    for (unsigned leg = 0; leg < 3; ++leg)
        CHECK(fast.in_flight(leg) == 0);
}

TEST_CASE("mirror: a resync read error fails the source, a write error its leg, and the region stays out of sync") {
    // legs 0 and 1 hold the data, leg 2 is reinstated
    Fixture f("mirror 3 a 0 b 100 c 200 1 nosync", 2048);
    f.hooks(false);
    fail_and_reinstate(f.target, 2);
    bc_resync_job job;
    REQUIRE(bc_target_resync_begin(f.target, &job) == 1);
    CHECK(job.source == 0);
    bc_target_resync_end(f.target, &job, -BC_EIO, 0);
    CHECK(has(info(f.target), "leg0_failed 1"));
    CHECK(has(info(f.target), "regions_in_sync 0"));
    REQUIRE(bc_target_resync_begin(f.target, &job) == 1);
    CHECK(job.source == 1);
    CHECK(job.legs == 0b100u);  // leg 0 failed: not written
    bc_target_resync_end(f.target, &job, 0, 0b100u);
    CHECK(has(info(f.target), "leg2_failed 1"));
    CHECK(f.ops.events == 3);
    CHECK(has(info(f.target), "regions_in_sync 1"));  // in sync on the one leg left
}

TEST_CASE("mirror: a write to the region being resynced waits for the copy, a NOWAIT one is refused") {
    Fixture f("mirror 2 a 0 b 0", 4096);
    f.hooks(true);
    bc_resync_job job;
    REQUIRE(bc_target_resync_begin(f.target, &job) == 1);
    const bc_sector_t in_copy = job.region * 1024 + 8, elsewhere = (job.region + 1) % 4 * 1024;
    Parent refused;
    bc_in_place r;
    {
        bc::posix::NoioScope noio;
        bc_target_map_in_place(f.target, &refused, &refused.state, BC_IO_WRITE, in_copy, 8, BC_MAP_NOWAIT, &r);
    }
    CHECK(r.error == -BC_EAGAIN);
    DmBio other;
    map_like_dm(f, other, BC_IO_WRITE, elsewhere, 8, BC_MAP_NOWAIT);  // another bucket: never waits
    in_place_end(f.target, *other.clones[0], 0);

    std::atomic<bool> mapped{false};
    Parent waiting;
    std::thread writer([&] {
        bc::posix::NoioScope noio;
        bc_in_place w;
        bc_target_map_in_place(f.target, &waiting, &waiting.state, BC_IO_WRITE, in_copy, 8, 0, &w);
        mapped = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_FALSE(mapped);
    bc_target_resync_end(f.target, &job, 0, 0);
    writer.join();
    CHECK(mapped);
    in_place_end(f.target, waiting, 0);
    CHECK(counter(f.target, "write_gate_waits") == 1);
}

TEST_CASE("mirror: the resync waits for the writes in flight to its region before it copies") {
    Fixture f("mirror 2 a 0 b 0", 4096);
    f.hooks(true);
    DmBio write;
    map_like_dm(f, write, BC_IO_WRITE, 8, 8);  // region 0, in flight until its end
    std::atomic<bool> begun{false};
    bc_resync_job job;
    int begin = 0;
    std::thread resync([&] {  // no Catch2 assertion in a thread: they are not thread-safe
        begin = bc_target_resync_begin(f.target, &job);
        begun = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_FALSE(begun);
    in_place_end(f.target, *write.clones[0], 0);
    resync.join();
    REQUIRE(begin == 1);
    CHECK(job.region == 0);
    bc_target_resync_end(f.target, &job, 0, 0);
}

TEST_CASE("mirror: flushes go to live legs only, and succeed while one live leg's flush does") {
    Fixture f("mirror 2 a 0 b 0 1 nosync", 4096);
    WholeClone c;
    CHECK(c.map(f.target, BC_IO_FLUSH, 0) == 1);
    CHECK(c.map(f.target, BC_IO_FLUSH, 1) == 1);
    CHECK(c.end(f.target, 1, -BC_EOPNOTSUPP) == -BC_EOPNOTSUPP);  // says nothing of the leg
    CHECK(c.end(f.target, 1, -BC_EAGAIN) == -BC_EAGAIN);
    CHECK(has(info(f.target), "leg1_failed 0"));
    CHECK(c.end(f.target, 1, -BC_EIO) == 0);
    CHECK(has(info(f.target), "leg1_failed 1"));
    CHECK(c.map(f.target, BC_IO_FLUSH, 1) == 0);  // not sent to the failed leg
    CHECK(c.end(f.target, 0, -BC_EIO) == -BC_EIO);  // the last live leg: the flush fails
    CHECK(c.map(f.target, BC_IO_FLUSH, 0) == -BC_EIO);  // no live leg: never a success
    CHECK(f.ops.events == 2);
}

// DM sends a mirror's discard or write-zeroes as one clone (bc_target_discard_bios), mapped
// as a write: the parent on the first live leg, a child on every other, through the write
// gate once. Clones per leg passed the gate one by one, and a resync's copy could fall
// between them (review 3 of 561faae: after a reinstate of leg 0, clone 0 discarded leg 0,
// the copy gave it leg 1's old data and marked the region in sync, then clone 1 discarded
// leg 1; its F2 case as a unit test failed on d1e298c).
TEST_CASE("mirror: a discard is one clone, copied to every live leg as a write is") {
    Fixture f("mirror 3 a 0 b 0 c 0 1 nosync", 4096);
    f.hooks(false);
    CHECK(bc_target_discard_bios(f.target) == 1);
    CHECK(bc_target_whole_bios(f.target) == 3);  // flushes stay one clone per leg
    Fixture striped("striped 2 8 a 0 b 0", 64);
    CHECK(bc_target_discard_bios(striped.target) == 2);
    WholeClone flush;  // leg 1 fails
    REQUIRE(flush.map(f.target, BC_IO_FLUSH, 1) == 1);
    REQUIRE(flush.end(f.target, 1, -BC_EIO) == 0);
    CHECK(flush.map(f.target, BC_IO_DISCARD, 0, 0, 8) == -BC_EIO);  // never mapped whole
    auto map_one = [&f](DmBio& bio, bc_io_kind kind) {
        f.children.clear();
        map_like_dm(f, bio, kind, 1024, 2048);  // regions 1 and 2, one clone
        REQUIRE(bio.rounds == 1);
        CHECK(bio.results[0].remapped == 1);
        CHECK(bio.results[0].leg == 0);
        CHECK(bio.results[0].leg_sector == 1024);
        CHECK(bio.results[0].parent_sectors == 2048);
        unsigned legs = 0;
        for (const Child& c : f.children) {
            legs |= 1u << c.leg;
            CHECK(c.leg_sector == 1024);
            CHECK(c.sectors == 2048);
        }
        return legs;
    };
    DmBio discard;
    CHECK(map_one(discard, BC_IO_DISCARD) == 1u << 2);  // not the failed leg 1
    // leg 1 back, resyncing: a copy of region 1 waits for the discard's ends on every
    // leg, the parent's own among them
    bc::posix::NoioScope noio;
    TableWords words("reinstate 1");
    const char* error = nullptr;
    REQUIRE(bc_target_message(f.target, words.argc(), words.argv(), &error) == 0);
    std::atomic<bool> begun{false};
    bc_resync_job job{};
    int begin = 0;
    std::thread resync([&] {  // no Catch2 assertion in a thread: they are not thread-safe
        begin = bc_target_resync_begin(f.target, &job);
        while (begin > 0 && job.region != 1) {  // region 0 is copied first
            bc_target_resync_end(f.target, &job, 0, 0);
            begin = bc_target_resync_begin(f.target, &job);
        }
        begun = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_FALSE(begun);
    bc_target_child_end(f.target, f.children[0].bio, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_FALSE(begun);  // the parent's leg is still being discarded
    CHECK(in_place_end(f.target, *discard.clones[0], 0).error == 0);
    resync.join();
    CHECK(begin == 1);
    CHECK(job.region == 1);
    bc_target_resync_end(f.target, &job, 0, 0);
    resync_all(f.target);
    DmBio zeroes;
    CHECK(map_one(zeroes, BC_IO_WRITE_ZEROES) == (1u << 1 | 1u << 2));  // leg 1 live again
    for (const Child& c : f.children)
        bc_target_child_end(f.target, c.bio, 0);
    CHECK(in_place_end(f.target, *zeroes.clones[0], 0).error == 0);
    CHECK(has(info(f.target), "discards 1 write_zeroes 1"));
    CHECK(counter(f.target, "write_sectors") == 0);  // no data: no sectors counted as written
}

TEST_CASE("mirror: a discard waits for the copy of its regions as a write does, all legs or none") {
    Fixture f("mirror 2 a 0 b 0", 4096);
    f.hooks(false);
    bc_resync_job job;
    REQUIRE(bc_target_resync_begin(f.target, &job) == 1);
    REQUIRE(job.region == 0);
    Parent refused;
    bc_in_place r{};
    {
        bc::posix::NoioScope noio;
        bc_target_map_in_place(f.target, &refused, &refused.state, BC_IO_DISCARD, 0, 2048, BC_MAP_NOWAIT, &r);
    }
    CHECK(r.error == -BC_EAGAIN);  // nothing reached any leg
    CHECK(r.remapped == 0);
    CHECK(f.children.empty());
    CHECK(refused.ends == 1);
    Parent zeroes;
    bc_in_place mapped{};
    std::atomic<bool> done{false};
    std::thread writer([&] {  // no Catch2 assertion in a thread
        bc::posix::NoioScope noio;
        bc_target_map_in_place(f.target, &zeroes, &zeroes.state, BC_IO_WRITE_ZEROES, 0, 2048, 0, &mapped);
        done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_FALSE(done);  // region 0 is being copied
    CHECK(f.children.empty());
    bc_target_resync_end(f.target, &job, 0, 0);
    writer.join();
    CHECK(mapped.error == 0);
    CHECK(mapped.remapped == 1);
    REQUIRE(f.children.size() == 1);
    bc_target_child_end(f.target, f.children[0].bio, 0);
    CHECK(in_place_end(f.target, zeroes, 0).error == 0);
    CHECK(resync_all(f.target) == 3);
}

// A mirror with child limits maps a discard whole: the limits shape data (segments it
// has none of: the shim's sectors_within_segments would walk a bio without vecs), and a
// discard or write-zeroes is never handed back to DM in part.
TEST_CASE("mirror: a discard under child limits is mapped whole, without counting segments") {
    Fixture f("mirror 2 a 0 b 0 5 nosync max_child_segments 2 max_child_sectors 16", 4096);
    f.hooks(false);
    unsigned segment_calls = 0;
    f.ops.sectors_within_segments = [&](void*, bc_sector_t, unsigned max_sectors, unsigned) {
        ++segment_calls;
        return std::min(max_sectors, 6u);
    };
    auto end_all = [&f](DmBio& bio) {
        for (const Child& c : f.children)
            bc_target_child_end(f.target, c.bio, 0);
        f.children.clear();
        for (auto& clone : bio.clones)
            CHECK(in_place_end(f.target, *clone, 0).error == 0);
    };
    for (const bc_io_kind kind : {BC_IO_DISCARD, BC_IO_WRITE_ZEROES}) {
        DmBio bio;
        map_like_dm(f, bio, kind, 0, 1024);
        CHECK(segment_calls == 0);
        CHECK(bio.rounds == 1);
        CHECK(bio.results[0].parent_sectors == 1024);
        REQUIRE(f.children.size() == 1);
        CHECK(f.children[0].sectors == 1024);
        end_all(bio);
        // the all-children path (a deferred write's when child limits apply) likewise
        Parent p;
        bc::posix::NoioScope noio;
        bc_target_map(f.target, &p, &p.state, kind, 0, 1024);
        CHECK(segment_calls == 0);
        REQUIRE(f.children.size() == 2);
        CHECK(f.children[0].sectors == 1024);
        CHECK(f.children[1].sectors == 1024);
        for (const Child& c : f.children)
            bc_target_child_end(f.target, c.bio, 0);
        f.children.clear();
        CHECK(p.ends == 1);
    }
    DmBio write;
    map_like_dm(f, write, BC_IO_WRITE, 0, 64);
    CHECK(segment_calls > 0);  // a write's pieces are measured in segments
    CHECK(write.results[0].parent_sectors == 6);
    end_all(write);
}

TEST_CASE("mirror: a reload carries the legs' states over by identity, and the regions by geometry") {
    Fixture old("mirror 2 a 0 b 0 1 nosync", 4096);
    WholeClone c;
    REQUIRE(c.map(old.target, BC_IO_FLUSH, 1) == 1);
    REQUIRE(c.end(old.target, 1, -BC_EIO) == 0);
    std::vector<unsigned char> state(bc_target_mirror_state_size(old.target));
    bc_target_mirror_state_save(old.target, state.data());

    Fixture same("mirror 2 a 0 b 0 1 nosync", 4096);
    REQUIRE(bc_target_mirror_state_load(same.target, state.data(), state.size()) == 0);
    CHECK(has(info(same.target), "regions 4 regions_in_sync 4"));
    CHECK(has(info(same.target), "leg1_failed 1 leg1_resyncing 0"));

    Fixture fresh("mirror 2 a 0 b 0", 4096);  // nosync or not, the carried state wins
    REQUIRE(bc_target_mirror_state_load(fresh.target, state.data(), state.size()) == 0);
    CHECK(has(info(fresh.target), "regions_in_sync 4"));

    Fixture replaced("mirror 2 a 0 b 0 1 nosync", 4096, {0xfd00, 0xfe01});  // another device at index 1
    REQUIRE(bc_target_mirror_state_load(replaced.target, state.data(), state.size()) == 0);
    CHECK(has(info(replaced.target), "leg0_failed 0 leg0_resyncing 0"));
    CHECK(has(info(replaced.target), "leg1_failed 0 leg1_resyncing 1"));
    CHECK(has(info(replaced.target), "regions_in_sync 0"));

    Fixture resized("mirror 2 a 0 b 0 3 region_size 512 nosync", 4096);
    REQUIRE(bc_target_mirror_state_load(resized.target, state.data(), state.size()) == 0);
    CHECK(has(info(resized.target), "regions 8 regions_in_sync 0"));
    CHECK(has(info(resized.target), "leg1_failed 1"));

    std::vector<unsigned char> garbage(state.size(), 0x5a);
    CHECK(bc_target_mirror_state_load(same.target, garbage.data(), garbage.size()) == -BC_EINVAL);
    Fixture linear("linear a 0", 4096);
    CHECK(bc_target_mirror_state_size(linear.target) == 0);
}

TEST_CASE("mirror: reinstate refuses a live leg, a leg that is not there, and a target that is not a mirror") {
    Fixture f("mirror 2 a 0 b 0 1 nosync", 4096);
    Fixture linear("linear a 0", 4096);
    const std::pair<const char*, const char*> cases[] = {
        {"reinstate 1", "reinstate: the leg has not failed"},
        {"reinstate 2", "reinstate: <leg> must be a leg number of the mirror"},
        {"reinstate -1", "reinstate: <leg> must be a leg number of the mirror"},
        {"reinstate", "Unknown message"},
    };
    for (const auto& [line, message] : cases) {
        TableWords words(line);
        const char* error = nullptr;
        CHECK(bc_target_message(f.target, words.argc(), words.argv(), &error) == -BC_EINVAL);
        CHECK(std::string(error) == message);
    }
    TableWords words("reinstate 0");
    const char* error = nullptr;
    CHECK(bc_target_message(linear.target, words.argc(), words.argv(), &error) == -BC_EINVAL);
    CHECK(std::string(error) == "reinstate: for a mirror only");
    CHECK(f.ops.resyncs_wanted == 0);
}

// Leg 0, the source of a new mirror's initial resync, fails half-way; the regions copied
// are read from leg 1. Reinstating leg 0 would leave no leg to resync it from (leg 1 is
// still resyncing): every region out of sync, every read EIO, the resync stuck, and a
// disk log would keep it so. Refused, and the copied region stays readable.
TEST_CASE("mirror: reinstate refuses a leg no other leg can be resynced from, and reads go on") {
    Fixture f("mirror 2 a 0 b 100", 4096);  // leg 1 resyncing, nothing in sync
    f.hooks(false);
    bc_resync_job job;
    REQUIRE(bc_target_resync_begin(f.target, &job) == 1);
    bc_target_resync_end(f.target, &job, 0, 0);
    const bc_sector_t synced = job.region * 1024;
    WholeClone flush;
    REQUIRE(flush.map(f.target, BC_IO_FLUSH, 0) == 1);
    REQUIRE(flush.end(f.target, 0, -BC_EIO) == 0);  // leg 0 fails; leg 1 holds the copied region
    TableWords words("reinstate 0");
    const char* error = nullptr;
    CHECK(bc_target_message(f.target, words.argc(), words.argv(), &error) == -BC_EINVAL);
    CHECK(std::string(error ? error : "") ==
          "reinstate: no other leg holds the data to resync it from (each has failed or is resyncing)");
    CHECK(has(info(f.target), "leg0_failed 1"));
    DmBio bio;
    map_like_dm(f, bio, BC_IO_READ, synced, 8);
    REQUIRE(bio.results.size() == 1);
    CHECK(bio.results[0].leg == 1);
    in_place_end(f.target, *bio.clones[0], 0);
}

// A disk log's cleaning round flushes every live leg before it clears bits; a leg whose
// flush fails there fails as it would for a user's flush (it was left live: its cache
// could not be trusted, and every round cleared nothing).
TEST_CASE("mirror: a leg whose flush the shim issued fails is failed as for a user's flush") {
    Fixture f("mirror 2 a 0 b 0 1 nosync", 4096);
    f.hooks(false);
    bc_target_leg_flush_error(f.target, 1, -BC_EOPNOTSUPP);  // says nothing of the leg
    CHECK(has(info(f.target), "leg1_errors 1 leg1_failed 0"));
    bc_target_leg_flush_error(f.target, 1, -BC_EIO);
    CHECK(has(info(f.target), "leg1_errors 2 leg1_failed 1"));
    CHECK(f.ops.events == 1);
    bc_target_leg_flush_error(f.target, 5, -BC_EIO);  // no such leg: nothing
    Fixture linear("linear a 0", 4096);
    bc_target_leg_flush_error(linear.target, 0, -BC_EIO);  // not a mirror: nothing
    CHECK(f.ops.events == 1);
}

TEST_CASE("mirror: the resync takes its source after the writes in flight, and a source that fails meanwhile marks nothing") {
    Fixture f("mirror 3 a 0 b 100 c 200 1 nosync", 4096);
    f.hooks(false);
    fail_and_reinstate(f.target, 2);
    // a write in flight on region 0, its parent on leg 0, copies on legs 1 and 2
    DmBio write;
    map_like_dm(f, write, BC_IO_WRITE, 8, 8);
    REQUIRE(write.results[0].leg == 0);
    bc_resync_job job;
    int begin = 0;
    std::thread resync([&] { begin = bc_target_resync_begin(f.target, &job); });  // asserted after join
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (const Child& c : f.children)
        bc_target_child_end(f.target, c.bio, 0);
    CHECK(in_place_end(f.target, *write.clones[0], -BC_EIO).error == 0);  // leg 0 failed; 1 and 2 have it
    resync.join();
    REQUIRE(begin == 1);
    CHECK(job.source == 1);  // not leg 0, whose data is older than the write just acknowledged
    CHECK(job.legs == 0b100u);
    bc_target_resync_end(f.target, &job, 0, 0);
    // the source fails while its region is being copied: the region stays out of sync
    REQUIRE(bc_target_resync_begin(f.target, &job) == 1);
    REQUIRE(job.source == 1);
    WholeClone flush;
    REQUIRE(flush.map(f.target, BC_IO_FLUSH, 1) == 1);
    REQUIRE(flush.end(f.target, 1, -BC_EIO) == 0);
    bc_target_resync_end(f.target, &job, 0, 0);
    CHECK(has(info(f.target), "regions_in_sync 1"));
}

TEST_CASE("mirror: a pass stopped after its last region is taken up again (the resyncing legs are done then)") {
    Fixture f("mirror 2 a 0 b 0 1 nosync", 2048);
    fail_and_reinstate(f.target, 1);
    bc_resync_job job;
    for (int i = 0; i < 2; ++i) {
        REQUIRE(bc_target_resync_begin(f.target, &job) == 1);
        bc_target_resync_end(f.target, &job, 0, 0);
    }
    // the worker stopped here (a suspend): every region in sync, leg 1 still resyncing
    CHECK(bc_target_resync_wanted(f.target));
    CHECK(bc_target_resync_begin(f.target, &job) == 0);
    CHECK(has(info(f.target), "leg1_failed 0 leg1_resyncing 0"));
    CHECK_FALSE(bc_target_resync_wanted(f.target));
}

TEST_CASE("mirror: a reload finds each leg by device and offset, wherever it is in the table") {
    Fixture old("mirror 2 a 0 b 100 1 nosync", 4096);
    WholeClone c;
    REQUIRE(c.map(old.target, BC_IO_FLUSH, 1) == 1);
    REQUIRE(c.end(old.target, 1, -BC_EIO) == 0);  // b failed
    std::vector<unsigned char> state(bc_target_mirror_state_size(old.target));
    bc_target_mirror_state_save(old.target, state.data());

    Fixture swapped("mirror 2 b 100 a 0 1 nosync", 4096, {0xfd01, 0xfd00});
    REQUIRE(bc_target_mirror_state_load(swapped.target, state.data(), state.size()) == 0);
    CHECK(has(info(swapped.target), "leg0_failed 1 leg0_resyncing 0"));
    CHECK(has(info(swapped.target), "leg1_failed 0 leg1_resyncing 0"));
    CHECK(has(info(swapped.target), "regions_in_sync 4"));

    Fixture moved("mirror 2 a 0 b 200 1 nosync", 4096);  // b at another offset: another leg
    REQUIRE(bc_target_mirror_state_load(moved.target, state.data(), state.size()) == 0);
    CHECK(has(info(moved.target), "leg1_failed 0 leg1_resyncing 1"));
    CHECK(has(info(moved.target), "regions_in_sync 0"));

    Fixture all_new("mirror 2 c 0 d 0", 4096, {0xfe00, 0xfe01});  // nothing in common: its own state
    REQUIRE(bc_target_mirror_state_load(all_new.target, state.data(), state.size()) == 0);
    CHECK(has(info(all_new.target), "leg0_failed 0 leg0_resyncing 0"));
    CHECK(has(info(all_new.target), "leg1_failed 0 leg1_resyncing 1"));
}

// ------------------------------------------------------------------ the disk log

namespace {

// A log device in memory: what the shim's log worker writes, pass by pass.
struct LogDisk {
    std::vector<unsigned char> bytes;
    std::vector<unsigned long long> order;  // the blocks in the order written
    int fail = 0;                            // the error every write returns

    explicit LogDisk(bc_target* t) : bytes(bc_target_log_blocks(t) * bc::kLogBlockBytes) {}
    unsigned char* block(unsigned long long i) { return bytes.data() + i * bc::kLogBlockBytes; }
    // One pass, as module/mirror_log.c runs it.
    void pass(bc_target* t) {
        bc_log_pass p;
        std::vector<unsigned char> buffer(bc::kLogBlockBytes);
        if (bc_target_log_pass_begin(t, &p)) {
            if (p.pre_header) {
                bc_target_log_pass_header(t, &p, buffer.data(), 1);
                write(p.header_block, buffer);
            }
            unsigned long long index;
            while (bc_target_log_pass_block(t, &p, &index, buffer.data()))
                write(index, buffer);
            if (p.header) {
                bc_target_log_pass_header(t, &p, buffer.data(), 0);
                write(p.header_block, buffer);
            }
        }
        bc_target_log_pass_end(t, &p, fail);
    }
    void write(unsigned long long index, const std::vector<unsigned char>& buffer) {
        order.push_back(index);
        if (!fail)
            std::memcpy(block(index), buffer.data(), buffer.size());
    }
    // A cleaning round: the legs flushed (flushed), then a pass. idle: a suspend's.
    void clean(bc_target* t, bool flushed = true, bool idle = false) {
        if (bc_target_log_clean_begin(t, idle))
            bc_target_log_clean_end(t, flushed);
        pass(t);
    }
    bool dirty(unsigned long long region) {
        return block(bc::kLogHeaderCopies + region / bc::kLogRegionsPerBlock)[region % bc::kLogRegionsPerBlock / 8] >>
                   (region % 8) & 1;
    }
    bc::LogHeader header() {
        bc::LogHeader h{};
        REQUIRE(bc::decode_log_header(block(0), block(1), &h).ok());
        return h;
    }
};

// A mirror with a disk log over 4 regions of 1024 sectors, its log passes run at once
// by the kick (auto_pass) or by the test.
struct LoggedMirror {
    explicit LoggedMirror(const std::string& features = "4 log c 0 nosync",
                          std::vector<unsigned long long> ids = {}, bool auto_pass = true)
        : f("mirror 2 a 0 b 0 " + features, 4096, ids), disk(f.target) {
        f.hooks(true);
        if (auto_pass)
            f.ops.on_log_kick = [this] { disk.pass(f.target); };
        const char* error = nullptr;
        REQUIRE(bc_target_log_load(f.target, disk.bytes.data(), &error) == 0);
        disk.pass(f.target);  // the first pass formats the log
    }
    void write(bc_sector_t sector, unsigned sectors = 8) {
        DmBio bio;
        map_like_dm(f, bio, BC_IO_WRITE, sector, sectors);
        for (auto& clone : bio.clones)
            in_place_end(f.target, *clone, 0);
    }
    Fixture f;
    LogDisk disk;
};

// A new table over the log as `from` left it (a crash, a reboot): loaded from its bytes.
int load_from(Fixture& g, const LogDisk& from, const char** error) {
    return bc_target_log_load(g.target, from.bytes.data(), error);
}

}  // namespace

TEST_CASE("log format: CRC-32C's check value, and a header read back as written") {
    const char* check = "123456789";
    CHECK((bc::crc32c(~0u, reinterpret_cast<const bc::u8*>(check), 9) ^ ~0u) == 0xe3069283u);
    bc::LogHeader h{};
    h.seq = 7;
    h.target_sectors = 4096;
    h.region_sectors = 1024;
    h.nr_regions = 4;
    h.nr_legs = 2;
    h.failed = 2;
    h.leg_ids[0] = 0xfd00;
    h.leg_offsets[1] = 99;
    std::vector<bc::u8> a(bc::kLogBlockBytes), b(bc::kLogBlockBytes, 0);
    bc::encode_log_header(h, a.data());
    bc::LogHeader got{};
    auto read = bc::decode_log_header(a.data(), b.data(), &got);
    REQUIRE(read.ok());
    CHECK(read.value() == bc::LogRead::valid);
    CHECK(got.seq == 7);
    CHECK(got.failed == 2);
    CHECK(got.leg_ids[0] == 0xfd00);
    CHECK(got.leg_offsets[1] == 99);
    CHECK(bc::check_log_geometry(got, 4096, 1024, 4).ok());
    CHECK(std::string(bc::check_log_geometry(got, 4096, 512, 8).error().message) ==
          "log: written for another region_size: not overwritten");
    CHECK(std::string(bc::check_log_geometry(got, 8192, 1024, 8).error().message) ==
          "log: written for a device of another length: not overwritten");
}

TEST_CASE("log format: blank, a torn copy beside a whole one, the newer copy, and a corrupt log refused") {
    std::vector<bc::u8> a(bc::kLogBlockBytes, 0), b(bc::kLogBlockBytes, 0);
    bc::LogHeader got{};
    CHECK(bc::decode_log_header(a.data(), b.data(), &got).value() == bc::LogRead::blank);
    bc::LogHeader h{};
    h.region_sectors = 1024;
    h.nr_regions = 4;
    h.nr_legs = 2;
    h.seq = 1;
    bc::encode_log_header(h, a.data());
    h.seq = 2;
    bc::encode_log_header(h, b.data());
    REQUIRE(bc::decode_log_header(a.data(), b.data(), &got).ok());
    CHECK(got.seq == 2);  // the newer
    b[100] ^= 1;          // a torn write of the newer copy: the older stands
    REQUIRE(bc::decode_log_header(a.data(), b.data(), &got).ok());
    CHECK(got.seq == 1);
    a[20] ^= 1;  // both torn: refused, never taken for blank
    auto read = bc::decode_log_header(a.data(), b.data(), &got);
    REQUIRE_FALSE(read.ok());
    CHECK(std::string(read.error().message) == "log: corrupt header (checksum or version): not overwritten");
}

TEST_CASE("mirror log: a write to a clean region waits until a pass has written its bit, the next one does not") {
    LoggedMirror m("4 log c 0 nosync", {}, false);
    CHECK(has(info(m.f.target), "log disk log_state ok log_dirty 0"));
    CHECK_FALSE(m.disk.dirty(1));
    std::atomic<bool> mapped{false};
    std::thread writer([&] {
        m.write(1024 + 8);
        mapped = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_FALSE(mapped);  // waiting for the log
    CHECK(m.f.ops.log_kicks == 1);
    m.disk.pass(m.f.target);
    writer.join();
    CHECK(mapped);
    CHECK(m.disk.dirty(1));
    CHECK_FALSE(m.disk.dirty(0));
    CHECK(counter(m.f.target, "log_waits") == 1);
    m.write(1024 + 64);  // its bit is on the disk: no wait, no pass
    CHECK(counter(m.f.target, "log_waits") == 1);
    CHECK(m.f.ops.log_kicks == 1);
}

TEST_CASE("mirror log: a NOWAIT write to a clean region is refused with AGAIN, and nothing is left entered") {
    LoggedMirror m("4 log c 0 nosync", {}, false);
    Parent refused;
    bc_in_place r;
    {
        bc::posix::NoioScope noio;
        bc_target_map_in_place(m.f.target, &refused, &refused.state, BC_IO_WRITE, 2048, 8, BC_MAP_NOWAIT, &r);
    }
    CHECK(r.error == -BC_EAGAIN);
    m.disk.pass(m.f.target);  // the bit it set is written all the same
    CHECK(m.disk.dirty(2));
    DmBio again;  // now it goes through without waiting
    map_like_dm(m.f, again, BC_IO_WRITE, 2048, 8, BC_MAP_NOWAIT);
    in_place_end(m.f.target, *again.clones[0], 0);
    // nothing in flight: the resync gate and the log's epochs are free (a round clears it)
    m.disk.clean(m.f.target);
    m.disk.clean(m.f.target);
    CHECK_FALSE(m.disk.dirty(2));
}

TEST_CASE("mirror log: bits are cleared lazily, after the writes end and the legs are flushed") {
    LoggedMirror m;
    DmBio inflight;
    map_like_dm(m.f, inflight, BC_IO_WRITE, 0, 8);  // region 0, not ended yet
    m.write(3072);                                  // region 3, ended
    CHECK(m.disk.dirty(0));
    CHECK(m.disk.dirty(3));
    m.disk.clean(m.f.target);  // flips the epoch; the old epoch's write 0 is in flight
    CHECK(m.disk.dirty(3));
    CHECK(m.disk.dirty(0));
    in_place_end(m.f.target, *inflight.clones[0], 0);
    m.disk.clean(m.f.target);  // both written in the interval before: kept
    CHECK(m.disk.dirty(3));
    CHECK(m.disk.dirty(0));
    REQUIRE(bc_target_log_clean_begin(m.f.target, 0) == 1);  // candidates now
    bc_target_log_clean_end(m.f.target, 0);  // but a leg's flush failed: nothing is cleared
    m.disk.pass(m.f.target);
    CHECK(m.disk.dirty(3));
    CHECK(m.disk.dirty(0));
    REQUIRE(bc_target_log_clean_begin(m.f.target, 0) == 1);
    m.write(3072 + 8);  // between the flush and the clearing: its data may not be flushed
    bc_target_log_clean_end(m.f.target, 1);
    m.disk.pass(m.f.target);
    CHECK_FALSE(m.disk.dirty(0));
    CHECK(m.disk.dirty(3));  // kept
    m.disk.clean(m.f.target);
    CHECK(m.disk.dirty(3));  // written in the interval before this round: kept once more
    m.disk.clean(m.f.target);
    CHECK_FALSE(m.disk.dirty(3));
    CHECK(has(info(m.f.target), "log_dirty 0"));
}

// A round clears what was not written since the round before it (md's bitmap, daemon_sleep):
// a region written in the last interval keeps its bit, so a steady writer never waits for
// the log again. It used to clear every region not written since the round's own epoch flip,
// and the next write to it waited for a pass: 0.36x dm-raid1 at QD32 4k random writes.
TEST_CASE("mirror log: a round keeps the bits of regions written since the round before") {
    LoggedMirror m;
    m.write(3072);  // region 3: a pass
    const auto waits = counter(m.f.target, "log_waits");
    for (int round = 0; round < 3; ++round) {
        m.disk.clean(m.f.target);
        CHECK(m.disk.dirty(3));
        m.write(3072 + 8 * (round + 1));  // written in every interval: no wait, no pass
    }
    CHECK(counter(m.f.target, "log_waits") == waits);
    m.disk.clean(m.f.target);  // written in the interval before: kept once more
    CHECK(m.disk.dirty(3));
    m.disk.clean(m.f.target);  // a whole interval without a write: cleared
    CHECK_FALSE(m.disk.dirty(3));
}

// postsuspend: nothing in flight, so one idle round leaves a clean shutdown's log, even
// right after a round that found a write in flight (draining) and one just written.
TEST_CASE("mirror log: a suspend's idle round clears every region in sync, written or not") {
    LoggedMirror m;
    DmBio inflight;
    map_like_dm(m.f, inflight, BC_IO_WRITE, 0, 8);  // region 0
    m.write(3072);                                  // region 3
    m.disk.clean(m.f.target);                       // draining: region 0 in flight
    in_place_end(m.f.target, *inflight.clones[0], 0);
    m.write(2048);  // region 2, just now
    CHECK(m.disk.dirty(0));
    CHECK(m.disk.dirty(2));
    CHECK(m.disk.dirty(3));
    m.disk.clean(m.f.target, true, true);
    for (unsigned r = 0; r < 4; ++r)
        CHECK_FALSE(m.disk.dirty(r));
    CHECK(has(info(m.f.target), "log_dirty 0"));
    m.write(2048 + 8);  // after the resume: its bit again, through a pass
    CHECK(m.disk.dirty(2));
}

// The idle round is safe by itself (DM's destroy of a device never suspended calls
// postsuspend without waiting for its I/O): a write in flight, or one that comes
// between the round's two steps, keeps its bit; a region out of sync keeps its bit.
TEST_CASE("mirror log: an idle round that is not idle clears nothing in flight") {
    LoggedMirror m("3 log c 0");  // every region out of sync, dirty
    CHECK(resync_all(m.f.target) == 4);
    m.disk.clean(m.f.target, true, true);
    for (unsigned r = 0; r < 4; ++r)
        CHECK_FALSE(m.disk.dirty(r));
    DmBio inflight;
    map_like_dm(m.f, inflight, BC_IO_WRITE, 0, 8);  // region 0, in flight
    m.write(3072);                                  // region 3, ended
    CHECK(bc_target_log_clean_begin(m.f.target, 1) == 0);  // refused: nothing cleared
    m.disk.pass(m.f.target);
    CHECK(m.disk.dirty(0));
    CHECK(m.disk.dirty(3));
    in_place_end(m.f.target, *inflight.clones[0], 0);
    REQUIRE(bc_target_log_clean_begin(m.f.target, 1) == 1);
    m.write(8);  // between the round's two steps
    bc_target_log_clean_end(m.f.target, 1);
    m.disk.pass(m.f.target);
    CHECK(m.disk.dirty(0));  // kept
    CHECK_FALSE(m.disk.dirty(3));
    m.disk.clean(m.f.target, true, true);
    CHECK_FALSE(m.disk.dirty(0));
}

TEST_CASE("mirror log: an idle round keeps a region out of sync dirty") {
    LoggedMirror m("3 log c 0");  // every region out of sync, dirty
    m.disk.clean(m.f.target, true, true);
    for (unsigned r = 0; r < 4; ++r)
        CHECK(m.disk.dirty(r));
}

TEST_CASE("mirror log: a region out of sync keeps its bit until the resync has copied it") {
    LoggedMirror m("3 log c 0");  // no nosync: a new log, every region dirty and out of sync
    for (unsigned r = 0; r < 4; ++r)
        CHECK(m.disk.dirty(r));
    m.disk.clean(m.f.target);
    m.disk.clean(m.f.target);
    CHECK(m.disk.dirty(0));  // out of sync: kept
    CHECK(resync_all(m.f.target) == 4);
    m.disk.clean(m.f.target);
    m.disk.clean(m.f.target);
    for (unsigned r = 0; r < 4; ++r)
        CHECK_FALSE(m.disk.dirty(r));
    CHECK(m.disk.header().resyncing == 0);  // the pass's end is in the header
}

TEST_CASE("mirror log: after a crash, a new table resyncs only the regions the log marks dirty, nosync or not") {
    LoggedMirror m;
    m.write(1024);
    m.write(3072);
    m.disk.clean(m.f.target);
    m.disk.clean(m.f.target);
    m.write(1024 + 8);  // the crash comes now: region 1 dirty, 3 cleared
    CHECK(m.disk.dirty(1));
    CHECK_FALSE(m.disk.dirty(3));
    Fixture g("mirror 2 a 0 b 0 4 log c 0 nosync", 4096);
    g.hooks(true);
    const char* error = nullptr;
    REQUIRE(load_from(g, m.disk, &error) == 0);
    CHECK(has(info(g.target), "regions 4 regions_in_sync 3"));
    CHECK(has(info(g.target), "leg1_failed 0 leg1_resyncing 0"));
    CHECK(resync_all(g.target) == 1);
}

TEST_CASE("mirror log: a failed leg is in the header, and a new table finds it failed") {
    LoggedMirror m;
    WholeClone flush;
    REQUIRE(flush.map(m.f.target, BC_IO_FLUSH, 1) == 1);
    REQUIRE(flush.end(m.f.target, 1, -BC_EIO) == 0);  // leg 1 fails; its kick ran a pass
    CHECK(m.disk.header().failed == 2);
    Fixture g("mirror 2 a 0 b 0 4 log c 0 nosync", 4096);
    const char* error = nullptr;
    REQUIRE(load_from(g, m.disk, &error) == 0);
    CHECK(has(info(g.target), "leg1_failed 1"));
}

TEST_CASE("mirror log: reinstate writes every region dirty, then the header with the leg resyncing") {
    LoggedMirror m;
    m.disk.order.clear();
    fail_and_reinstate(m.f.target, 1);
    for (unsigned r = 0; r < 4; ++r)
        CHECK(m.disk.dirty(r));
    const bc::LogHeader h = m.disk.header();
    CHECK(h.failed == 0);
    CHECK(h.resyncing == 2);
    REQUIRE(m.disk.order.size() >= 2);
    CHECK(m.disk.order.back() < bc::kLogHeaderCopies);     // the header last
    CHECK(m.disk.order[m.disk.order.size() - 2] == 2);     // after the bitmap
}

TEST_CASE("mirror log: a replaced leg resyncs completely, a log of another mirror is taken as new") {
    LoggedMirror m;
    Fixture replaced("mirror 2 a 0 b 0 4 log c 0 nosync", 4096, {0xfd00, 0xfe01});
    const char* error = nullptr;
    REQUIRE(load_from(replaced, m.disk, &error) == 0);
    CHECK(has(info(replaced.target), "regions 4 regions_in_sync 0"));
    CHECK(has(info(replaced.target), "leg1_failed 0 leg1_resyncing 1"));
    CHECK(has(info(replaced.target), "log_dirty 4"));
    Fixture other("mirror 2 a 0 b 0 4 log c 0 nosync", 4096, {0xfe00, 0xfe01});
    REQUIRE(load_from(other, m.disk, &error) == 0);
    CHECK(has(info(other.target), "regions_in_sync 0"));  // nosync applies to a blank log only
    CHECK(has(info(other.target), "leg0_resyncing 0"));
    CHECK(has(info(other.target), "leg1_resyncing 1"));
}

TEST_CASE("mirror log: a log of another geometry or a corrupt one is refused, a blank one taken") {
    LoggedMirror m;
    Fixture other_size("mirror 2 a 0 b 0 4 log c 0 nosync", 8192);
    const char* error = nullptr;
    CHECK(bc_target_log_check(other_size.target, m.disk.block(0), m.disk.block(1), &error) != 0);
    CHECK(std::string(error) == "log: written for a device of another length: not overwritten");
    Fixture other_region("mirror 2 a 0 b 0 6 region_size 512 log c 0 nosync", 4096);
    CHECK(bc_target_log_check(other_region.target, m.disk.block(0), m.disk.block(1), &error) != 0);
    CHECK(std::string(error) == "log: written for another region_size: not overwritten");
    WholeClone flush;  // a second header (a leg failure): both copies written
    REQUIRE(flush.map(m.f.target, BC_IO_FLUSH, 1) == 1);
    REQUIRE(flush.end(m.f.target, 1, -BC_EIO) == 0);
    REQUIRE(m.disk.header().seq >= 2);
    m.disk.block(0)[30] ^= 1;
    m.disk.block(1)[30] ^= 1;
    Fixture same("mirror 2 a 0 b 0 4 log c 0 nosync", 4096);
    CHECK(bc_target_log_check(same.target, m.disk.block(0), m.disk.block(1), &error) != 0);
    CHECK(std::string(error) == "log: corrupt header (checksum or version): not overwritten");
    std::vector<unsigned char> blank(bc::kLogBlockBytes, 0);
    CHECK(bc_target_log_check(same.target, blank.data(), blank.data(), &error) == 0);
}

TEST_CASE("mirror log: a log whose writes fail is failed: writes go on without waiting, status says so") {
    LoggedMirror m("4 log c 0 nosync", {}, false);
    m.disk.fail = -BC_EIO;
    std::thread writer([&] { m.write(1024); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    m.disk.pass(m.f.target);  // fails: the writer goes on
    writer.join();
    CHECK(has(info(m.f.target), "log disk log_state failed"));
    CHECK(m.f.ops.events == 1);
    m.write(2048);  // no wait, no kick
    CHECK(m.f.ops.log_kicks == 1);
}

TEST_CASE("mirror log: a write ending after a leg failed is acknowledged only once the header has the failure") {
    LoggedMirror m("4 log c 0 nosync", {}, false);
    CHECK(bc_target_log_ack_gen(m.f.target) == 0);
    WholeClone flush;
    REQUIRE(flush.map(m.f.target, BC_IO_FLUSH, 1) == 1);
    REQUIRE(flush.end(m.f.target, 1, -BC_EIO) == 0);  // leg 1 fails: the header is pending
    const unsigned long long gen = bc_target_log_ack_gen(m.f.target);
    CHECK(gen != 0);
    CHECK(m.f.ops.log_kicks >= 1);  // the pass that writes it is on its way
    std::atomic<bool> waited{false};
    std::thread acker([&] {
        bc_target_log_wait(m.f.target, gen);
        waited = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK_FALSE(waited);
    m.disk.pass(m.f.target);
    acker.join();
    CHECK(m.disk.header().failed == 2);
    CHECK(bc_target_log_ack_gen(m.f.target) == 0);
    Fixture core_log("mirror 2 a 0 b 0 1 nosync", 4096);  // no disk log: nothing held
    CHECK(bc_target_log_ack_gen(core_log.target) == 0);
}

TEST_CASE("log format: a header torn on the very first format leaves a blank log, not a corrupt one") {
    std::vector<bc::u8> a(bc::kLogBlockBytes, 0), b(bc::kLogBlockBytes, 0);
    bc::LogHeader h{};
    h.region_sectors = 1024; h.nr_regions = 4; h.nr_legs = 2; h.seq = 1;
    bc::encode_log_header(h, b.data());   // seq 1 goes to copy 1
    b[200] ^= 1;                          // torn
    bc::LogHeader got{};
    auto read = bc::decode_log_header(a.data(), b.data(), &got);
    REQUIRE(read.ok());
    CHECK(read.value() == bc::LogRead::blank);  // nothing was ever recorded: pass 1 comes before any write
}

TEST_CASE("mirror log: a log that knows none of the legs keeps the failure a reload carried") {
    Fixture old("mirror 2 a 0 b 0 1 nosync", 4096);
    old.hooks(true);
    WholeClone flush;
    REQUIRE(flush.map(old.target, BC_IO_FLUSH, 0) == 1);
    REQUIRE(flush.end(old.target, 0, -BC_EIO) == 0);  // leg 0 failed
    std::vector<unsigned char> state(bc_target_mirror_state_size(old.target));
    bc_target_mirror_state_save(old.target, state.data());
    LoggedMirror other("4 log c 0 nosync", {0xaa00, 0xaa01});  // a log naming other legs
    Fixture g("mirror 2 a 0 b 0 4 log c 0 nosync", 4096);
    g.hooks(true);
    REQUIRE(bc_target_mirror_state_load(g.target, state.data(), state.size()) == 0);
    CHECK(has(info(g.target), "leg0_failed 1"));
    const char* error = nullptr;
    REQUIRE(load_from(g, other.disk, &error) == 0);
    CHECK(has(info(g.target), "leg0_failed 1"));
    CHECK(has(info(g.target), "regions_in_sync 0"));  // every region from leg 1, the live one
    CHECK(has(info(g.target), "leg1_resyncing 0"));
}

TEST_CASE("mirror log: a pass writes a new leg failure's header before the bitmap it clears") {
    LoggedMirror m;
    m.write(1024);                 // region 1 dirty, epoch 0, ended
    m.disk.clean(m.f.target);      // written in the interval before: kept this round
    m.f.ops.on_log_kick = nullptr; // passes by hand now
    WholeClone flush;
    REQUIRE(flush.map(m.f.target, BC_IO_FLUSH, 1) == 1);
    REQUIRE(flush.end(m.f.target, 1, -BC_EIO) == 0);  // leg 1 fails; header pending
    LogDisk before = m.disk;
    m.disk.order.clear();
    m.disk.clean(m.f.target);
    REQUIRE(m.disk.order.size() >= 2);
    CHECK(m.disk.order[0] < bc::kLogHeaderCopies);  // the failure first
    CHECK_FALSE(m.disk.dirty(1));
    // a crash after the bitmap block of that pass, whatever came after it:
    std::memcpy(before.block(2), m.disk.block(2), bc::kLogBlockBytes);
    std::memcpy(before.block(m.disk.order[0]), m.disk.block(m.disk.order[0]), bc::kLogBlockBytes);
    Fixture g("mirror 2 a 0 b 0 4 log c 0 nosync", 4096);
    const char* error = nullptr;
    REQUIRE(load_from(g, before, &error) == 0);
    CHECK(has(info(g.target), "leg1_failed 1"));
}

TEST_CASE("mirror log: a reinstate during a pass is in a later pass, its bitmap before its header") {
    Fixture f("mirror 3 a 0 b 0 c 0 4 log d 0 nosync", 4096);
    f.hooks(true);
    LogDisk disk(f.target);
    const char* error = nullptr;
    REQUIRE(bc_target_log_load(f.target, disk.bytes.data(), &error) == 0);
    disk.pass(f.target);
    WholeClone f1, f2;
    REQUIRE(f1.map(f.target, BC_IO_FLUSH, 1) == 1);
    REQUIRE(f1.end(f.target, 1, -BC_EIO) == 0);
    disk.pass(f.target);                    // leg 1 failed on disk
    REQUIRE(f2.map(f.target, BC_IO_FLUSH, 2) == 1);
    REQUIRE(f2.end(f.target, 2, -BC_EIO) == 0);  // leg 2 fails: header pending
    bc_log_pass p;
    std::vector<unsigned char> buffer(bc::kLogBlockBytes);
    REQUIRE(bc_target_log_pass_begin(f.target, &p));  // pass P taken, header in it
    REQUIRE(p.header);
    std::thread admin([&] {
        TableWords words("reinstate 1");
        const char* e = nullptr;
        bc_target_message(f.target, words.argc(), words.argv(), &e);
    });
    for (int i = 0; i < 200 && !has(info(f.target), "leg1_failed 0"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (p.pre_header) {
        bc_target_log_pass_header(f.target, &p, buffer.data(), 1);
        disk.write(p.header_block, buffer);
    }
    unsigned long long index;
    while (bc_target_log_pass_block(f.target, &p, &index, buffer.data()))
        disk.write(index, buffer);
    bc_target_log_pass_header(f.target, &p, buffer.data(), 0);
    disk.write(p.header_block, buffer);
    LogDisk crashed = disk;  // the crash comes after P
    bc_target_log_pass_end(f.target, &p, 0);
    disk.pass(f.target);
    admin.join();
    Fixture g("mirror 3 a 0 b 0 c 0 4 log d 0 nosync", 4096);
    REQUIRE(load_from(g, crashed, &error) == 0);
    INFO(info(g.target));
    CHECK((has(info(g.target), "leg1_failed 1") || has(info(g.target), "regions_in_sync 0")));
}

TEST_CASE("mirror log: a reload over a log that failed keeps what the old table knew") {
    Fixture three("mirror 3 a 0 b 0 c 0 4 log d 0 nosync", 4096);
    three.hooks(true);
    LogDisk disk(three.target);
    three.ops.on_log_kick = [&] { disk.pass(three.target); };
    const char* error = nullptr;
    REQUIRE(bc_target_log_load(three.target, disk.bytes.data(), &error) == 0);
    disk.pass(three.target);
    disk.fail = -BC_EIO;
    three.ops.on_log_kick = nullptr;
    // the log fails on some pass
    WholeClone fl;
    REQUIRE(fl.map(three.target, BC_IO_FLUSH, 2) == 1);
    REQUIRE(fl.end(three.target, 2, -BC_EIO) == 0);
    disk.pass(three.target);  // fails: log failed, leg 2 failure not on disk
    CHECK(has(info(three.target), "log_state failed"));
    std::vector<unsigned char> state(bc_target_mirror_state_size(three.target));
    bc_target_mirror_state_save(three.target, state.data());
    disk.fail = 0;  // the device is back (transient) for the new table
    Fixture g("mirror 3 a 0 b 0 c 0 4 log d 0 nosync", 4096);
    g.hooks(true);
    REQUIRE(bc_target_mirror_state_load(g.target, state.data(), state.size()) == 0);
    CHECK(has(info(g.target), "leg2_failed 1"));
    REQUIRE(load_from(g, disk, &error) == 0);
    CHECK(has(info(g.target), "leg2_failed 1"));
}

TEST_CASE("mirror log: a write to a region long on the disk does not wait for another region's pass") {
    LoggedMirror m("4 log c 0 nosync", {}, false);
    std::thread w1([&] { m.write(0); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    m.disk.pass(m.f.target);
    w1.join();  // region 0 on disk
    const auto waits = counter(m.f.target, "log_waits");
    std::thread w2([&] { m.write(1024); });  // region 1 newly dirty, waiting
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::atomic<bool> done{false};
    std::thread w3([&] { m.write(8); done = true; });  // region 0 again
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(done);
    m.disk.pass(m.f.target);
    w2.join(); w3.join();
    CHECK(counter(m.f.target, "log_waits") == waits + 1);
}

TEST_CASE("mirror log: a log recording a failed leg that none of the table's legs is, is refused") {
    LoggedMirror m;
    WholeClone flush;
    REQUIRE(flush.map(m.f.target, BC_IO_FLUSH, 1) == 1);
    REQUIRE(flush.end(m.f.target, 1, -BC_EIO) == 0);
    REQUIRE(m.disk.header().failed == 2);
    Fixture renumbered("mirror 2 a 0 b 0 4 log c 0 nosync", 4096, {0xfe00, 0xfe01});
    const char* error = nullptr;
    CHECK(load_from(renumbered, m.disk, &error) != 0);
    CHECK(std::string(error) ==
          "log: records a failed or resyncing leg that is none of the table's (device numbers changed?): "
          "not overwritten");
}

TEST_CASE("mirror log: a write is prepared before it is mapped: deferred until its bit is on the disk") {
    LoggedMirror m("4 log c 0 nosync", {}, false);
    const unsigned long long gen = bc_target_log_write_prepare(m.f.target, 1024, 8);
    CHECK(gen != 0);
    CHECK(m.f.ops.log_kicks == 1);
    CHECK_FALSE(bc_target_log_written(m.f.target, gen));
    CHECK(bc_target_log_write_prepare(m.f.target, 1024 + 8, 8) == gen);  // the same pass
    m.disk.pass(m.f.target);
    CHECK(bc_target_log_written(m.f.target, gen));
    CHECK(m.disk.dirty(1));
    CHECK(bc_target_log_write_prepare(m.f.target, 1024, 8) == 0);  // on the disk: map it now
    m.write(1024);                                                  // and mapped, it does not wait
    CHECK(counter(m.f.target, "log_waits") == 2);  // the two deferred
    Fixture no_log("mirror 2 a 0 b 0 1 nosync", 4096);
    CHECK(bc_target_log_write_prepare(no_log.target, 0, 8) == 0);
}

TEST_CASE("mirror log: a refused log is read again at the next resume, not taken as loaded") {
    LoggedMirror m;
    WholeClone flush;
    REQUIRE(flush.map(m.f.target, BC_IO_FLUSH, 1) == 1);
    REQUIRE(flush.end(m.f.target, 1, -BC_EIO) == 0);
    Fixture renumbered("mirror 2 a 0 b 0 4 log c 0 nosync", 4096, {0xfe00, 0xfe01});
    const char* error = nullptr;
    REQUIRE(load_from(renumbered, m.disk, &error) != 0);
    CHECK_FALSE(bc_target_log_loaded(renumbered.target));
    CHECK(load_from(renumbered, m.disk, &error) != 0);  // refused again, not skipped
}

// A mirror's discard waits for the log as a write does: all its regions' bits on the log
// disk before any leg is discarded, then one clone to every leg.
TEST_CASE("mirror log: a discard's regions are all on the log before it is mapped") {
    LoggedMirror m("4 log c 0 nosync", {}, false);
    const unsigned long long gen = bc_target_log_write_prepare(m.f.target, 512, 2048);  // regions 0..2
    CHECK(gen != 0);
    m.disk.pass(m.f.target);
    CHECK(m.disk.dirty(0));
    CHECK(m.disk.dirty(1));
    CHECK(m.disk.dirty(2));
    CHECK_FALSE(m.disk.dirty(3));
    CHECK(bc_target_log_write_prepare(m.f.target, 512, 2048) == 0);
    DmBio bio;
    map_like_dm(m.f, bio, BC_IO_DISCARD, 512, 2048);
    REQUIRE(m.f.children.size() == 1);
    bc_target_child_end(m.f.target, m.f.children[0].bio, 0);
    CHECK(in_place_end(m.f.target, *bio.clones[0], 0).error == 0);
    CHECK(has(info(m.f.target), "regions 4 regions_in_sync 4"));
}
