// core/'s environment inside the simulator: memory from malloc, locks that never contend
// (only the task with the baton runs, and no task yields while holding one), waits that
// block in the scheduler, one CPU, the block layer's bio lists, and rescuer tasks.
#include <cstdlib>
#include <cstring>
#include <deque>
#include <new>

#include "abi/env.h"
#include "abi/target.h"
#include "abi/types.h"
#include "block_layer.h"
#include "magazine_posix.h"
#include "scheduler.h"

using sim::Bio;
using sim::scheduler;

struct bc_env_cache {
    unsigned long size;
};

struct bc_env_rescuer {
    const void* owner;
    sim::BioList bios;
    bool stopping = false;
    int task = -1;
};

namespace {
std::deque<bc_env_rescuer*> g_rescuers;
}

extern "C" {

void* bc_env_alloc(unsigned long size, int) {
    void* p = nullptr;
    return posix_memalign(&p, 16, size ? size : 1) == 0 ? p : nullptr;
}
void bc_env_free(void* ptr) { std::free(ptr); }
unsigned int bc_env_nr_cpus(void) { return 1; }

void bc_env_lock_init(bc_lock*, bc_lock_class) {}
void bc_env_lock_destroy(bc_lock*) {}
unsigned long bc_env_lock_irqsave(bc_lock*) { return 0; }
void bc_env_unlock_irqrestore(bc_lock*, unsigned long) {}

void bc_env_waitq_init(bc_waitq*) {}
void bc_env_waitq_destroy(bc_waitq*) {}
void bc_env_wait_until(bc_waitq* waitq, int (*ready)(void*), void* arg) {
    while (!ready(arg)) {
        sim::trace("sleeps waiting for memory");
        scheduler().block(waitq);
    }
}
void bc_env_wake_all(bc_waitq* waitq) {
    sim::trace("wakes the waiters for memory");
    scheduler().wake(waitq);
}

void* bc_env_percpu_enter(void* percpu, int* irq, unsigned long* token) {
    *irq = sim::task_context().interrupt ? 1 : 0;
    *token = 0;
    return percpu;
}
void bc_env_percpu_leave(int, unsigned long) {}
unsigned long bc_env_irq_save(void) { return 0; }
void bc_env_irq_restore(unsigned long) {}
void* bc_env_percpu_alloc(unsigned long size) {
    void* p = bc_env_alloc(size, 1);
    if (p)
        std::memset(p, 0, size);
    return p;
}
void bc_env_percpu_free(void* percpu) { bc_env_free(percpu); }
void* bc_env_percpu_slot(void* percpu, unsigned int cpu) { return cpu == 0 ? percpu : nullptr; }
void bc_env_percpu_add(void* percpu, unsigned long offset, unsigned long long n) {
    *reinterpret_cast<unsigned long long*>(static_cast<char*>(percpu) + offset) += n;
}

bc_env_cache* bc_env_cache_create(const char*, unsigned long size) { return new (std::nothrow) bc_env_cache{size}; }
void bc_env_cache_destroy(bc_env_cache* cache) { delete cache; }
void* bc_env_cache_alloc(bc_env_cache* cache, bc_alloc_wait wait) {
    return bc_env_alloc(cache->size, wait != BC_ALLOC_NOWAIT);
}
void bc_env_cache_free(bc_env_cache*, void* object) { bc_env_free(object); }

// One task runs at a time and a completion never yields inside bc_target_child_end: no
// section can be open while a target is destroyed.
void bc_env_rcu_read_lock(void) {}
void bc_env_rcu_read_unlock(void) {}
void bc_env_synchronize_rcu(void) {}

void bc_env_config_lock(void) {}
void bc_env_config_unlock(void) {}
int bc_env_noio_active(void) { return sim::task_context().noio || sim::task_context().interrupt; }

// A rescuer is a task: it sleeps until bios are punted to it, then issues them from a
// submit context of its own (as the kernel's WQ_MEM_RECLAIM worker does).
bc_env_rescuer* bc_env_rescuer_create(const void* owner) {
    auto* rescuer = new bc_env_rescuer{owner, {}, false, -1};
    g_rescuers.push_back(rescuer);
    return rescuer;
}

void bc_env_rescuer_destroy(bc_env_rescuer* rescuer) {
    for (auto it = g_rescuers.begin(); it != g_rescuers.end(); ++it)
        if (*it == rescuer) {
            g_rescuers.erase(it);
            break;
        }
    delete rescuer;
}

int bc_env_task_has_parked(void) {
    const sim::BioList* lists = sim::task_context().bio_list;
    return lists && (!lists[0].empty() || !lists[1].empty());
}

unsigned int bc_env_rescue_parked(bc_env_rescuer* rescuer) {
    sim::BioList* lists = sim::task_context().bio_list;
    if (!lists)
        return 0;
    unsigned moved = 0;
    for (int i = 0; i < 2; ++i) {
        sim::BioList keep;
        while (Bio* bio = lists[i].pop()) {
            if (bio->child && bc_bio_owner(bio) == rescuer->owner) {
                rescuer->bios.add(bio);
                ++moved;
            } else {
                keep.add(bio);
            }
        }
        lists[i] = keep;
    }
    if (moved) {
        sim::trace("punts " + std::to_string(moved) + " parked bios to the rescuer");
        scheduler().wake(rescuer);
    }
    return moved;
}

}  // extern "C"

// The target's ops in the simulator: children go down to the level's lower device. A
// child's Bio lives in the BioSet object's bio area (bio_size = sizeof(Bio)).
namespace {

void child_end_io(Bio* child, int error) { bc_target_child_end(child->owner->target, child, error); }

void child_submit(void* ctx, void* child_mem, void* parent_mem, unsigned int leg, bc_sector_t leg_sector, bc_sector_t,
                  unsigned int sectors) {
    auto* level = static_cast<sim::Device*>(ctx);
    auto* parent = static_cast<Bio*>(parent_mem);
    Bio* child = new (child_mem) Bio;
    child->dev = level->lower;  // every leg of a level is a range of its one lower device
    child->sector = leg_sector;
    child->sectors = sectors;
    child->write = parent->write;
    child->child = true;
    child->owner = level;
    child->end_io = child_end_io;
    child->id = sim::next_child_id();
    child->root = parent->root;
    sim::trace(level->name + " issues child " + std::to_string(child->id) + " of clone " + std::to_string(parent->id) +
               " (" + std::to_string(sectors) + " sectors to leg " + std::to_string(leg) + " at " +
               std::to_string(leg_sector) + ")");
    sim::submit_bio_noacct(child);
}

// core/'s reference on the parent (DM's clone): bio_endio with the children's first error.
// With completion frames, as module/child_bio.c's biochain_parent_end: only the last
// reference ends the clone (before that it may still be parked on a list, its link in
// use); a parent ended inside another parent's end on this CPU (the simulation has one)
// is queued on the frame through its bio_list link and ended by the outermost.
struct CompletionFrame {
    unsigned depth = 0;
    sim::BioList deferred;
};
CompletionFrame g_frame;

void parent_end(void*, void* parent_mem, int error) {
    Bio* parent = static_cast<Bio*>(parent_mem);
    if (!sim::completion_frames()) {
        sim::bio_endio(parent, error);
        return;
    }
    if (error && !parent->status)
        parent->status = error;
    // biochain_parent_put: while the clone's own I/O holds it, it may sit on a list
    // (parked behind its children): drop core/'s reference and leave the end to that I/O.
    if (parent->remaining > 1) {
        --parent->remaining;
        return;
    }
    if (g_frame.depth) {
        sim::trace("defers the end of clone " + std::to_string(parent->id) + " to the completion frame");
        if (parent->listed)
            sim::list_corrupted(parent, "the completion frame's deferred list");
        g_frame.deferred.add(parent);
        return;
    }
    g_frame.depth = 1;
    for (;;) {
        sim::bio_endio(parent, 0);
        parent = g_frame.deferred.pop();
        if (!parent) {
            g_frame.depth = 0;
            return;
        }
    }
}

void child_retry(void*, void*) { std::abort(); }  // the disk never fails: no mirror read is retried

unsigned int sectors_within_segments(void*, void*, bc_sector_t, unsigned int max_sectors, unsigned int) {
    return max_sectors;
}

}  // namespace

namespace sim {
const bc_target_ops target_ops = {child_submit,           parent_end,           child_retry,
                                  sectors_within_segments, bc::posix::child_alloc, bc::posix::child_free,
                                  nullptr,                 nullptr,              nullptr};
}  // namespace sim

namespace sim {

// The body of the rescuer task of every BioSet: runs until stop_rescuers().
void start_rescuers() {
    for (bc_env_rescuer* rescuer : g_rescuers)
        rescuer->task = scheduler().spawn("rescuer", [rescuer] {
            for (;;) {
                if (Bio* bio = rescuer->bios.pop()) {
                    trace("rescuer issues bio " + std::to_string(bio->id));
                    submit_bio_noacct(bio);
                    scheduler().yield();
                } else if (rescuer->stopping) {
                    return;
                } else {
                    scheduler().block(rescuer);
                }
            }
        });
}

bool rescuers_idle() {
    for (bc_env_rescuer* rescuer : g_rescuers)
        if (!rescuer->bios.empty())
            return false;
    return true;
}

void stop_rescuers() {
    for (bc_env_rescuer* rescuer : g_rescuers) {
        rescuer->stopping = true;
        scheduler().wake(rescuer);
    }
}

}  // namespace sim
