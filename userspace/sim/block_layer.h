// A simulated block layer for core/: bios, devices (biochain levels stacked over a disk),
// submit_bio_noacct with the kernel's current->bio_list recursion-to-iteration, a disk
// that completes bios in random order from an "interrupt" task, and per-BioSet rescuers.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "abi/target.h"
#include "abi/types.h"

namespace sim {

struct Device;

struct Bio {
    Bio* next = nullptr;  // bio_list link
    Device* dev = nullptr;
    bc_sector_t sector = 0;
    unsigned sectors = 0;
    bool write = false;
    bool child = false;     // memory from a BioSet (has an owner word), else a top-level bio
    Device* owner = nullptr;  // for a child: the level that issued it
    void (*end_io)(Bio*, int) = nullptr;
    uint64_t id = 0;
    alignas(16) unsigned char parent_state[64];  // dm_per_bio_data of the device mapping it
};

struct BioList {
    Bio* head = nullptr;
    Bio* tail = nullptr;
    bool empty() const { return head == nullptr; }
    void add(Bio* bio);
    Bio* pop();
    void merge(BioList& other);
};

struct Device {
    std::string name;
    bc_target* target = nullptr;  // nullptr: the disk
    Device* lower = nullptr;
};

// Per-task state the kernel keeps in task_struct.
struct TaskContext {
    BioList* bio_list = nullptr;  // current->bio_list: two lists while under submit
    bool interrupt = false;
    bool noio = false;
};
TaskContext& task_context();

void submit_bio_noacct(Bio* bio);

// How a simulated biochain level issues its children (sim_env.cpp), with the level's
// Device as ctx.
extern const bc_target_ops target_ops;

// The disk: bios in flight, completed in random order by complete_one(). The task that
// completes them sleeps on disk_irq() while the disk is idle; queueing a bio wakes it.
size_t disk_inflight();
void complete_one();
const void* disk_irq();

// The trace of the current simulation (last events), printed on a deadlock.
void trace(const std::string& event);
std::vector<std::string> trace_tail();
void reset_block_layer();

}  // namespace sim
