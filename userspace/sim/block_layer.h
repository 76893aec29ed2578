// A simulated block layer for core/: bios, devices (biochain levels stacked over a disk),
// submit_bio_noacct with the kernel's current->bio_list recursion-to-iteration, a disk
// that completes bios in random order from an "interrupt" task, per-BioSet rescuers, and
// the part of device-mapper a biochain level runs under (dm_level.cpp: a clone per bio it
// receives, the remainder a target hands back resubmitted behind what was issued).
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "abi/target.h"
#include "abi/types.h"

namespace sim {

struct Device;
struct DmIo;

struct Bio {
    Bio* next = nullptr;  // bio_list link
    bool listed = false;  // on a BioList now: its link is in use
    Device* dev = nullptr;
    bc_sector_t sector = 0;
    unsigned sectors = 0;
    bool write = false;
    bool child = false;       // memory from a BioSet (has an owner word), else a top-level bio or a clone
    Device* owner = nullptr;  // for a child: the level that issued it; for a clone: the DM level
    DmIo* io = nullptr;       // for a clone: its dm_io (the bio DM received, and a count)
    // bio_endio's chained countdown (__bi_remaining with BIO_CHAIN): bio_inc_remaining adds
    // one; end_io runs when the last bio_endio brings it to 0, with the first error given.
    int remaining = 1;
    int status = 0;
    void (*end_io)(Bio*, int) = nullptr;
    uint64_t id = 0;
    uint64_t root = 0;  // the id of the top-level bio this one carries a part of
    unsigned mapped_sectors = 0;  // a retryable clone's piece (the shim's record of its iter)
    // A clone's dm_per_bio_data (core/'s parent state and its inline child objects, which
    // are Bios themselves): bc_target_parent_state_size() bytes, freed with the clone.
    unsigned char* parent_state = nullptr;
};

struct BioList {
    Bio* head = nullptr;
    Bio* tail = nullptr;
    bool empty() const { return head == nullptr; }
    void add(Bio* bio);
    Bio* pop();
    void merge(BioList& other);
};

// How a DM level hands a read or write to its biochain target.
enum class Path {
    dm,         // bc_target_map_in_place: the clone carries the first piece, the rest is
                // children at hand or handed back to DM (module/dm_target.c's biochain_map_split)
    split_all,  // bc_target_map: every piece a child, chain_next and the rescuer (the self
                // tests' split, and REQ_ATOMIC bios in the module)
};

struct Device {
    std::string name;
    bc_target* target = nullptr;  // nullptr: the disk
    Device* lower = nullptr;      // every leg of a level is a range of this one device
    Path path = Path::dm;
};

// Per-task state the kernel keeps in task_struct.
struct TaskContext {
    BioList* bio_list = nullptr;  // current->bio_list: two lists while under submit
    bool interrupt = false;
    bool noio = false;
};
TaskContext& task_context();

void submit_bio_noacct(Bio* bio);
// Preemption inside __submit_bio_noacct's loop: the task yields after each bio it hands
// to a device (a real task can be preempted there, or interrupted by a completion).
void set_preempt(bool on);
// Whether parent_end models module/child_bio.c's completion frames (sim_env.cpp).
bool completion_frames();
void set_completion_frames(bool on);
// A bio put on a list while its link is in use elsewhere: the run fails with the trace.
[[noreturn]] void list_corrupted(const Bio* bio, const std::string& where);
// bio_endio with the chained countdown: error (0 or -errno) is kept if it is the first.
void bio_endio(Bio* bio, int error);
inline void bio_inc_remaining(Bio* bio) { ++bio->remaining; }
// Ids for the trace, restarted for every simulation so that a seed replays alone.
uint64_t next_child_id();
uint64_t next_clone_id();

// DM's submit_bio for a biochain level (dm_level.cpp).
void dm_submit_bio(Bio* bio);
// The shim's retry worker, shared by every level (dm_level.cpp): clones core/ has issued
// again on another leg. Started before a run, stopped once idle.
void start_retry_worker();
bool retry_worker_idle();
void stop_retry_worker();

// How a simulated biochain level issues its children (sim_env.cpp), with the level's
// Device as ctx.
extern const bc_target_ops target_ops;

// The disk: bios in flight, completed in random order by complete_one(). The task that
// completes them sleeps on disk_irq() while the disk is idle; queueing a bio wakes it.
// The observer (if set) sees each bio the disk queues and completes (the driver's checks).
struct DiskObserver {
    virtual void queued(const Bio& bio) = 0;
    virtual void completed(const Bio& bio) = 0;
    virtual ~DiskObserver() = default;
};
void set_disk_observer(DiskObserver* observer);
size_t disk_inflight();
void complete_one();
const void* disk_irq();

// The trace of the current simulation (last events), printed on a deadlock or failure;
// it keeps the last 60 events, or all with a limit of 0.
void trace(const std::string& event);
void set_trace_limit(size_t events);
// What the run is (seed, configuration), for a failure found inside the block layer.
void set_run_description(const std::string& run);
std::vector<std::string> trace_tail();
void reset_block_layer();

}  // namespace sim
