#include "block_layer.h"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "scheduler.h"

namespace sim {
namespace {
std::vector<Bio*> g_disk_inflight;
std::deque<std::string> g_trace;
DiskObserver* g_observer = nullptr;
size_t g_trace_limit = 60;
bool g_preempt = false;
std::string g_run;
bool g_completion_frames = false;
uint64_t g_next_child_id, g_next_clone_id;
thread_local TaskContext t_context;
}  // namespace

void set_trace_limit(size_t events) { g_trace_limit = events; }
void set_preempt(bool on) { g_preempt = on; }
void set_run_description(const std::string& run) { g_run = run; }
bool completion_frames() { return g_completion_frames; }
void set_completion_frames(bool on) { g_completion_frames = on; }

void list_corrupted(const Bio* bio, const std::string& where) {
    trace(where + ": bio " + std::to_string(bio->id) + " is already on a list");
    std::printf("sim: %s: bio %llu linked into %s while its link (bi_next) is in use on another list\n",
                g_run.c_str(), (unsigned long long)bio->id, where.c_str());
    std::printf("sim: trace (last events):\n");
    for (const auto& line : trace_tail())
        std::printf("sim:   %s\n", line.c_str());
    std::fflush(stdout);
    _exit(1);  // other tasks may be parked mid-run: leave without unwinding them
}

uint64_t next_child_id() { return g_next_child_id++; }
uint64_t next_clone_id() { return g_next_clone_id++; }
void set_disk_observer(DiskObserver* observer) { g_observer = observer; }

void bio_endio(Bio* bio, int error) {
    if (error && !bio->status)
        bio->status = error;
    if (bio->remaining <= 0) {
        trace("bio " + std::to_string(bio->id) + " ended once too often");
        for (const auto& line : trace_tail())
            std::fprintf(stderr, "sim:   %s\n", line.c_str());
        std::fprintf(stderr, "sim: bio_endio on bio %llu, which has already ended\n", (unsigned long long)bio->id);
        std::abort();
    }
    if (--bio->remaining == 0)
        bio->end_io(bio, bio->status);
}

TaskContext& task_context() { return t_context; }

void BioList::add(Bio* bio) {
    if (bio->listed)
        list_corrupted(bio, "a bio list");
    bio->listed = true;
    bio->next = nullptr;
    if (tail)
        tail->next = bio;
    else
        head = bio;
    tail = bio;
}

Bio* BioList::pop() {
    Bio* bio = head;
    if (bio) {
        head = bio->next;
        if (!head)
            tail = nullptr;
        bio->next = nullptr;
        bio->listed = false;
    }
    return bio;
}

void BioList::merge(BioList& other) {
    if (other.empty())
        return;
    if (tail)
        tail->next = other.head;
    else
        head = other.head;
    tail = other.tail;
    other = BioList{};
}

void trace(const std::string& event) {
    g_trace.push_back("[" + (scheduler().current() >= 0 ? scheduler().name(scheduler().current()) : "sched") + "] " +
                      event);
    if (g_trace_limit && g_trace.size() > g_trace_limit)
        g_trace.pop_front();
}

std::vector<std::string> trace_tail() { return {g_trace.begin(), g_trace.end()}; }

void reset_block_layer() {
    g_disk_inflight.clear();
    g_trace.clear();
    g_next_child_id = 1000000;
    g_next_clone_id = 2000000;
}

size_t disk_inflight() { return g_disk_inflight.size(); }

const void* disk_irq() { return &g_disk_inflight; }

void complete_one() {
    const size_t i = size_t(scheduler().random(g_disk_inflight.size()));
    Bio* bio = g_disk_inflight[i];
    g_disk_inflight[i] = g_disk_inflight.back();
    g_disk_inflight.pop_back();
    trace("disk completes bio " + std::to_string(bio->id));
    if (g_observer)
        g_observer->completed(*bio);
    TaskContext saved = t_context;
    t_context.interrupt = true;
    bio_endio(bio, 0);
    t_context = saved;
}

// One device's submit_bio: the disk queues, a biochain level is DM's (dm_level.cpp).
static void submit_to_device(Bio* bio) {
    if (bio->dev->target) {
        dm_submit_bio(bio);
        return;
    }
    trace("disk queues bio " + std::to_string(bio->id) + " (" + std::to_string(bio->sectors) + " sectors at " +
          std::to_string(bio->sector) + ")");
    if (g_observer)
        g_observer->queued(*bio);
    g_disk_inflight.push_back(bio);
    scheduler().wake(disk_irq());
}

// block/blk-core.c's __submit_bio_noacct: recursion turned into iteration. Under a
// submit, a bio is only parked on current->bio_list; the outermost call issues them,
// lower levels first.
void submit_bio_noacct(Bio* bio) {
    if (t_context.bio_list) {
        t_context.bio_list[0].add(bio);
        return;
    }
    BioList on_stack[2];
    t_context.bio_list = on_stack;
    do {
        Device* level = bio->dev;
        on_stack[1] = on_stack[0];
        on_stack[0] = BioList{};
        submit_to_device(bio);
        BioList lower, same;
        while (Bio* b = on_stack[0].pop())
            (b->dev == level ? same : lower).add(b);
        on_stack[0].merge(lower);
        on_stack[0].merge(same);
        on_stack[0].merge(on_stack[1]);
        if (g_preempt && !on_stack[0].empty())
            scheduler().yield();
    } while ((bio = on_stack[0].pop()));
    t_context.bio_list = nullptr;
}

}  // namespace sim
