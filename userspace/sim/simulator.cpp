// biochain_sim: core/ over a simulated block layer (block_layer.h) with a seeded,
// deterministic scheduler (scheduler.h). Each seed builds a stack of biochain levels over
// a disk, each level under a simulated device-mapper (dm_level.cpp) and splitting into
// 4k children from a tiny reserve whose backing allocations fail, and runs submitters,
// the disk's completions and the rescuers in an order the seed decides. It reports
// progress or a deadlock (no runnable task while I/O is outstanding), with the seed and
// a trace to replay it.
//
//   biochain_sim [--seeds FIRST:LAST] [--split-all] [--layouts L,...] [--no-rescuer]
//                [--unaligned] [--preempt] [--completion-frames] [--expect-deadlock]
//                [--quiet] [--trace]
//
//   --split-all        every level maps with bc_target_map (every piece a child, chain_next,
//                      the rescuer: the self tests' split, REQ_ATOMIC bios in the module)
//                      instead of DM's way, bc_target_map_in_place (the default: the clone
//                      carries the first piece, children only from objects at hand, the
//                      rest handed back to DM and resubmitted behind what was issued)
//   --layouts L,...    the layouts levels are drawn from: linear, striped, mirror (2 or 3
//                      legs), mirror2, mirror3 (that many legs); default linear,striped,mirror
//   --no-rescuer       the levels' tables say no_rescuer
//   --unaligned        top-level bios of 1..64 sectors at any sector (else 4k multiples)
//   --preempt          a task under submit_bio_noacct yields after each bio it hands to a
//                      device, so completions run while its bio list holds bios
//   --completion-frames  parent_end queues a parent ended inside another's end through its
//                      bio list link, as module/child_bio.c's biochain_parent_end does; a bio
//                      linked while on another list fails the run
//   --expect-deadlock  success is finding a seed that deadlocks
//   --trace            keep every event of a run and print them, whether it fails or not
//
// Configurations are drawn from the seed: levels 1..4, reserve 1..2, fail_alloc 50/100,
// 1..3 submitters of 12 bios of 8..64 sectors (4k-aligned), and for each level a layout (striped: 2 or
// 3 legs, chunk 8, 16 or 24 sectors; mirror: 2 or 3 legs), every level with
// max_child_sectors 8. Each run also checks what reached the disk: every top-level bio
// ends once, after every disk bio of it has completed, and those disk bios cover its
// sectors exactly (once per mirror copy, never overlapping).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "abi/table.h"
#include "abi/target.h"
#include "abi/types.h"
#include "block_layer.h"
#include "scheduler.h"

namespace sim {
void start_rescuers();
bool rescuers_idle();
void stop_rescuers();
}  // namespace sim

namespace {

bool g_trace_all = false;

struct Level {
    bc_layout layout;
    unsigned legs;   // striped, mirror
    unsigned chunk;  // striped
};

struct Options {
    bool rescuer = true;
    sim::Path path = sim::Path::dm;
    std::vector<Level> layouts;  // what levels are drawn from (legs, chunk: 0 = drawn)
    bool expect_deadlock = false, quiet = false, trace = false;
    bool unaligned = false;  // top-level bios of any size and start, not 4k ones
};

struct Config {
    unsigned reserve, fail, submitters, bios;
    bool rescuer;
    sim::Path path;
    std::vector<Level> levels;  // [0] is the bottom level, over the disk
};

// The top level's size: a multiple of every chunk x legs the levels can draw (8, 16, 24
// sectors x 2 or 3 legs). A mirror's legs lie one after the other on its lower device,
// so each mirror level below multiplies the lower device's size by its legs.
constexpr bc_sector_t kTopSectors = bc_sector_t(9) << 22;

Config config_for(uint64_t seed, const Options& o) {
    Config c{unsigned(1 + seed / 4 % 2), seed / 8 % 2 ? 100u : 50u, unsigned(1 + seed / 16 % 3), 12, o.rescuer,
             o.path, {}};
    // The layouts from a generator of their own, so that the counts above stay those of
    // the seed whatever layouts are allowed.
    std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull + 1);
    const unsigned levels = unsigned(1 + seed % 4);
    for (unsigned l = 0; l < levels; ++l) {
        Level level = o.layouts[rng() % o.layouts.size()];
        const unsigned legs = unsigned(2 + rng() % 2), chunk = unsigned(8 * (1 + rng() % 3));
        if (level.layout != BC_LAYOUT_LINEAR && !level.legs)
            level.legs = legs;
        if (level.layout == BC_LAYOUT_STRIPED)
            level.chunk = chunk;
        if (level.layout == BC_LAYOUT_LINEAR)
            level.legs = 1;
        c.levels.push_back(level);
    }
    return c;
}

std::string describe(const Level& level) {
    switch (level.layout) {
    case BC_LAYOUT_STRIPED:
        return "striped " + std::to_string(level.legs) + "x" + std::to_string(level.chunk);
    case BC_LAYOUT_MIRROR:
        return "mirror " + std::to_string(level.legs);
    default:
        return "linear";
    }
}

std::string describe(const Config& c) {
    std::string layouts;
    for (size_t l = c.levels.size(); l-- > 0;)
        layouts += describe(c.levels[l]) + (l ? " / " : "");
    return "levels " + std::to_string(c.levels.size()) + " (top down: " + layouts + "), reserve " + std::to_string(c.reserve) +
           ", fail_alloc " + std::to_string(c.fail) + ", " + std::to_string(c.submitters) + " submitters x " +
           std::to_string(c.bios) + " bios, " + (c.path == sim::Path::dm ? "dm path" : "split-all") +
           (c.rescuer ? "" : ", no_rescuer");
}

// A level of size sectors over a lower device of lower_sectors: its table line, with
// every leg a distinct range of the one lower device (under names of their own: the
// parser refuses a device given twice).
bc_target* make_level(sim::Device* dev, const Config& c, const Level& level, bc_sector_t sectors,
                      bc_sector_t lower_sectors) {
    std::vector<std::string> words;
    if (level.layout == BC_LAYOUT_LINEAR) {
        words = {"linear", "lower", "0"};
    } else {
        const bool striped = level.layout == BC_LAYOUT_STRIPED;
        words = {striped ? "striped" : "mirror", std::to_string(level.legs)};
        if (striped)
            words.push_back(std::to_string(level.chunk));
        const bc_sector_t per_leg = striped ? sectors / level.legs : sectors;
        for (unsigned leg = 0; leg < level.legs; ++leg) {
            words.push_back("lower" + std::to_string(leg));  // names only: each is the lower device
            words.push_back(std::to_string(leg * per_leg));
        }
    }
    for (const char* w : {c.rescuer ? "6" : "7", "max_child_sectors", "8", "reserve"})
        words.push_back(w);
    words.push_back(std::to_string(c.reserve));
    words.push_back("fail_alloc");
    words.push_back(std::to_string(c.fail));
    if (!c.rescuer)
        words.push_back("no_rescuer");
    std::vector<char*> argv;
    for (auto& w : words)
        argv.push_back(w.data());
    bc_table table{};
    const char* error = nullptr;
    if (bc_table_parse(unsigned(argv.size()), argv.data(), &table, &error) != 0) {
        std::fprintf(stderr, "sim: table: %s\n", error);
        std::exit(2);
    }
    bc_leg_geometry geometry[BC_MAX_LEGS];
    for (unsigned leg = 0; leg < table.nr_legs; ++leg)
        geometry[leg] = bc_leg_geometry{lower_sectors, 512, leg + 1ull};  // distinct ranges, not one device twice
    const bc_bio_shape shape{unsigned(sizeof(sim::Bio)), 16, 4};
    bc_target* target = nullptr;
    if (bc_target_create(&table, sectors, geometry, &shape, &sim::target_ops, dev, &target, &error) != 0) {
        std::fprintf(stderr, "sim: create: %s\n", error);
        std::exit(2);
    }
    return target;
}

void print_trace() {
    std::printf("sim: trace (%s):\n", g_trace_all ? "every event" : "last events");
    for (const auto& line : sim::trace_tail())
        std::printf("sim:   %s\n", line.c_str());
    std::fflush(stdout);
}

// What reached the disk for each top-level bio.
struct Coverage : sim::DiskObserver {
    struct Root {
        uint64_t expected = 0;  // sectors the disk must see: the bio's, once per mirror copy
        int inflight = 0;
        std::vector<std::pair<bc_sector_t, unsigned>> ranges;
    };
    std::map<uint64_t, Root> roots;
    uint64_t seed = 0;

    void queued(const sim::Bio& bio) override {
        Root& root = roots.at(bio.root);
        root.ranges.emplace_back(bio.sector, bio.sectors);
        ++root.inflight;
    }
    void completed(const sim::Bio& bio) override { --roots.at(bio.root).inflight; }

    [[noreturn]] void fail(uint64_t id, const std::string& what) {
        std::printf("sim: seed %llu: top bio %llu %s\n", (unsigned long long)seed, (unsigned long long)id, what.c_str());
        print_trace();
        std::exit(1);
    }

    // The top-level bio id has ended: checked and forgotten.
    void ended(uint64_t id) {
        auto it = roots.find(id);
        if (it == roots.end())
            fail(id, "ended twice");
        Root& root = it->second;
        if (root.inflight)
            fail(id, "ended with " + std::to_string(root.inflight) + " of its bios still on the disk");
        std::sort(root.ranges.begin(), root.ranges.end());
        uint64_t total = 0;
        for (size_t i = 0; i < root.ranges.size(); ++i) {
            total += root.ranges[i].second;
            if (i && root.ranges[i - 1].first + root.ranges[i - 1].second > root.ranges[i].first)
                fail(id, "reached the disk twice at sector " + std::to_string(root.ranges[i].first));
        }
        if (total != root.expected)
            fail(id, "reached the disk with " + std::to_string(total) + " sectors, " + std::to_string(root.expected) +
                         " expected");
        roots.erase(it);
    }
};

Coverage* g_coverage = nullptr;
int g_top_done = 0;

void top_end_io(sim::Bio* bio, int error) {
    if (error) {
        std::printf("sim: a top-level bio failed with %d\n", error);
        print_trace();
        std::exit(1);
    }
    sim::trace("top bio " + std::to_string(bio->id) + " done");
    g_coverage->ended(bio->id);
    ++g_top_done;
    delete bio;
}

// True: progress (every bio completed). False: deadlock (reported).
bool simulate(uint64_t seed, const Config& c, const Options& o) {
    auto scheduler = std::make_unique<sim::Scheduler>(seed);
    sim::set_scheduler(scheduler.get());
    sim::reset_block_layer();
    sim::set_run_description("seed " + std::to_string(seed) + " (" + describe(c) + ")");
    auto coverage = std::make_unique<Coverage>();
    coverage->seed = seed;
    g_coverage = coverage.get();
    sim::set_disk_observer(g_coverage);
    g_top_done = 0;

    // Sizes from the top down: a mirror's lower device holds its legs one after another.
    const size_t n = c.levels.size();
    std::vector<bc_sector_t> sectors(n + 1);
    sectors[n] = kTopSectors;
    for (size_t l = n; l-- > 0;)
        sectors[l] = sectors[l + 1] * (c.levels[l].layout == BC_LAYOUT_MIRROR ? c.levels[l].legs : 1);
    uint64_t copies = 1;  // disk copies of a written sector
    for (const Level& level : c.levels)
        copies *= level.layout == BC_LAYOUT_MIRROR ? level.legs : 1;

    std::vector<std::unique_ptr<sim::Device>> devices;
    devices.push_back(std::make_unique<sim::Device>(sim::Device{"disk", nullptr, nullptr, c.path}));
    for (size_t l = 0; l < n; ++l) {
        auto dev = std::make_unique<sim::Device>(
            sim::Device{"level" + std::to_string(l + 1), nullptr, devices.back().get(), c.path});
        dev->target = make_level(dev.get(), c, c.levels[l], sectors[l + 1], l ? sectors[l] : bc_sector_t(1) << 40);
        devices.push_back(std::move(dev));
    }
    sim::Device* top = devices.back().get();
    sim::start_rescuers();
    sim::start_retry_worker();

    int submitters_left = int(c.submitters);
    for (unsigned s = 0; s < c.submitters; ++s)
        scheduler->spawn("submitter" + std::to_string(s), [&, s] {
            for (unsigned i = 0; i < c.bios; ++i) {
                auto* bio = new sim::Bio;
                bio->dev = top;
                if (o.unaligned) {
                    bio->sectors = unsigned(1 + sim::scheduler().random(64));
                    bio->sector = sim::scheduler().random(kTopSectors - 64);
                } else {
                    bio->sectors = unsigned(8 * (1 + sim::scheduler().random(8)));
                    bio->sector = 8 * sim::scheduler().random(kTopSectors / 8 - 8);
                }
                bio->write = sim::scheduler().random(2);
                bio->end_io = top_end_io;
                bio->id = s * 1000 + i;
                bio->root = bio->id;
                g_coverage->roots[bio->id].expected = bio->sectors * (bio->write ? copies : 1);
                sim::trace("submits bio " + std::to_string(bio->id) + " (" + (bio->write ? "write" : "read") + ", " +
                           std::to_string(bio->sectors) + " sectors at " + std::to_string(bio->sector) + ")");
                sim::submit_bio_noacct(bio);
                sim::scheduler().yield();
            }
            --submitters_left;
            sim::scheduler().wake(sim::disk_irq());  // the irq task decides when all is done
        });
    scheduler->spawn("irq", [&] {
        for (;;) {
            if (sim::disk_inflight()) {
                sim::complete_one();
                sim::scheduler().yield();
            } else if (submitters_left == 0 && sim::rescuers_idle() && sim::retry_worker_idle() &&
                       g_top_done == int(c.submitters * c.bios)) {
                sim::stop_rescuers();
                sim::stop_retry_worker();
                return;
            } else {
                sim::scheduler().block(sim::disk_irq());
            }
        }
    });

    const bool progressed = scheduler->run();
    if (!progressed) {
        std::printf("sim: DEADLOCK with seed %llu (%s): %d of %u bios done, %zu on the disk\n",
                    (unsigned long long)seed, describe(c).c_str(), g_top_done, c.submitters * c.bios,
                    sim::disk_inflight());
        for (const auto& name : scheduler->blocked_tasks())
            std::printf("sim:   blocked: %s\n", name.c_str());
        print_trace();
        // The tasks stay parked inside core/ on the scheduler's locks: keep it alive (the
        // caller exits the process) rather than destroy what they sleep on.
        (void)scheduler.release();
        (void)coverage.release();
        return false;
    }
    for (auto& dev : devices)
        if (dev->target) {
            if (bc_target_outstanding(dev->target) != 0) {
                std::printf("sim: seed %llu: %s has objects outstanding after the run\n", (unsigned long long)seed,
                            dev->name.c_str());
                std::exit(1);
            }
            bc_target_destroy(dev->target);
        }
    scheduler.reset();
    sim::set_disk_observer(nullptr);
    if (!o.quiet)
        std::printf("sim: seed %llu (%s): progress\n", (unsigned long long)seed, describe(c).c_str());
    if (o.trace)
        print_trace();
    return true;
}

bool parse_layouts(const char* list, std::vector<Level>* layouts) {
    layouts->clear();
    std::string s(list);
    for (size_t pos = 0; pos <= s.size();) {
        size_t end = s.find(',', pos);
        if (end == std::string::npos)
            end = s.size();
        const std::string name = s.substr(pos, end - pos);
        if (name == "linear")
            layouts->push_back({BC_LAYOUT_LINEAR, 1, 0});
        else if (name == "striped")
            layouts->push_back({BC_LAYOUT_STRIPED, 0, 0});
        else if (name == "mirror")
            layouts->push_back({BC_LAYOUT_MIRROR, 0, 0});
        else if (name == "mirror2" || name == "mirror3")
            layouts->push_back({BC_LAYOUT_MIRROR, unsigned(name[6] - '0'), 0});
        else
            return false;
        pos = end + 1;
    }
    return !layouts->empty();
}

constexpr const char* kUsage =
    "usage: biochain_sim [--seeds FIRST:LAST] [--split-all] [--layouts L,...] [--no-rescuer]\n"
    "                    [--unaligned] [--preempt] [--completion-frames] [--expect-deadlock]\n"
    "                    [--quiet] [--trace]\n"
    "  --split-all          map with bc_target_map (all children, chain_next, the rescuer)\n"
    "                       instead of DM's way (bc_target_map_in_place, the rest handed back)\n"
    "  --layouts L,...      linear, striped, mirror (2 or 3 legs), mirror2, mirror3 (2, 3\n"
    "                       legs); default linear,striped,mirror\n"
    "  --no-rescuer         tables with no_rescuer\n"
    "  --unaligned          top-level bios of 1..64 sectors at any sector\n"
    "  --preempt            yield inside submit_bio_noacct after each bio\n"
    "  --completion-frames  queue nested parent ends through the bio list link, as the module\n"
    "  --expect-deadlock    succeed only if some seed deadlocks\n"
    "  --quiet              no line per seed\n"
    "  --trace              print every event of every run (else the last 60 of a failing one)\n";

}  // namespace

int main(int argc, char** argv) {
    uint64_t first = 0, last = 999;
    Options o;
    parse_layouts("linear,striped,mirror", &o.layouts);
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--seeds") && i + 1 < argc) {
            if (std::sscanf(argv[++i], "%lu:%lu", &first, &last) != 2 || last < first) {
                std::fprintf(stderr, "sim: --seeds FIRST:LAST\n");
                return 2;
            }
        } else if (!std::strcmp(argv[i], "--layouts") && i + 1 < argc) {
            if (!parse_layouts(argv[++i], &o.layouts)) {
                std::fprintf(stderr, "sim: --layouts: a list of linear, striped, mirror, mirror2, mirror3\n");
                return 2;
            }
        } else if (!std::strcmp(argv[i], "--split-all")) {
            o.path = sim::Path::split_all;
        } else if (!std::strcmp(argv[i], "--no-rescuer")) {
            o.rescuer = false;
        } else if (!std::strcmp(argv[i], "--expect-deadlock")) {
            o.expect_deadlock = true;
        } else if (!std::strcmp(argv[i], "--quiet")) {
            o.quiet = true;
        } else if (!std::strcmp(argv[i], "--unaligned")) {
            o.unaligned = true;
        } else if (!std::strcmp(argv[i], "--preempt")) {
            sim::set_preempt(true);
        } else if (!std::strcmp(argv[i], "--completion-frames")) {
            sim::set_completion_frames(true);
        } else if (!std::strcmp(argv[i], "--trace")) {
            o.trace = true;
            sim::set_trace_limit(0);
            g_trace_all = true;
        } else {
            std::fprintf(stderr, "%s", kUsage);
            return 2;
        }
    }
    unsigned long runs = 0;
    for (uint64_t seed = first; seed <= last; ++seed, ++runs) {
        if (!simulate(seed, config_for(seed, o), o)) {
            // Tasks are parked for good inside core/: leave without unwinding them.
            std::printf("sim: %lu seeds ran before the deadlock\n", runs);
            std::fflush(stdout);
            _exit(o.expect_deadlock ? 0 : 1);
        }
    }
    if (o.expect_deadlock) {
        std::printf("sim: no deadlock in seeds %lu..%lu, but one was expected\n", first, last);
        return 1;
    }
    std::printf("sim: %lu passed, 0 failed (seeds %lu..%lu, every run made progress)\n", runs, first, last);
    return 0;
}
