// Test-side controls of the POSIX environment (userspace/env_posix.cpp).
#pragma once
#include <functional>

#include "abi/env.h"
#include "abi/target.h"
#include "abi/types.h"

namespace bc::posix {

// Allocations core/ holds right now (bc_env_alloc and cache objects); tests assert it
// returns to its starting value.
long live_allocations();
// Object caches alive now.
long live_caches();

// Stand-ins for what the kernel shim does, set by a test (nullptr: no-op defaults):
// child_submit must eventually call bc_target_child_end for the child.
struct ShimHooks {
    std::function<void(void* shim, void* child, void* parent, unsigned leg, bc_sector_t leg_sector,
                       bc_sector_t offset, unsigned sectors)>
        child_submit;
    std::function<void(void* shim, void* parent, int error)> parent_end;
    // A child core/ wants issued again later (the kernel queues it to a worker).
    std::function<void(void* shim, void* child)> child_retry;
    std::function<unsigned(void* parent, bc_sector_t offset, unsigned max_sectors, unsigned max_segments)>
        sectors_within_segments;
    // Submit recursion (the simulator's current->bio_list): per calling thread.
    std::function<bool()> task_has_parked;
    std::function<unsigned(const void* owner)> rescue_parked;
};
void set_shim_hooks(ShimHooks hooks);

// Whether the calling thread is inside a NOIO scope (the shim's memalloc_noio_save).
class NoioScope {
public:
    NoioScope();
    ~NoioScope();
    NoioScope(const NoioScope&) = delete;
    NoioScope& operator=(const NoioScope&) = delete;

private:
    bool saved_;
};

// Marks the calling thread as interrupt context (a completion), as the kernel's
// in_interrupt() would: frees then take the BioSet's interrupt path.
class InterruptScope {
public:
    InterruptScope();
    ~InterruptScope();
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;

private:
    bool saved_;
};

}  // namespace bc::posix
