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

// Allocation failure on demand, for the paths that only run when memory is gone (a
// target's constructor, a reserve that grows): the n-th allocation the calling thread asks
// the environment for from now on (bc_env_alloc, per-CPU memory, caches and their objects,
// rescuers; 1 is the next one) fails, once. 0 disables it. allocations_asked() counts those
// requests on the calling thread, so a test can find how many a path makes and fail each.
void fail_nth_allocation(unsigned long n);
unsigned long allocations_asked();
// Runs fn at each of those requests the calling thread makes from now on, before the
// count above decides whether it fails (nullptr: none), so that a test can hold a path
// between two of its allocations and run another thread there.
void on_each_allocation(std::function<void()> fn);
// How the calling thread's last cache allocation asked to wait (core/abi/env.h's rules).
bc_alloc_wait last_cache_wait();

// Stand-ins for the kernel's submit recursion (current->bio_list), set by a test
// (nullptr: nothing is ever parked). Per target callbacks are not here: a test hands its
// own bc_target_ops to bc_target_create (tests/unit/target_ops.h).
struct ShimHooks {
    std::function<bool()> task_has_parked;
    std::function<unsigned(const void* owner)> rescue_parked;
    // Runs at the start of every bc_env_wake_all, before the wait queue is touched: a
    // test holds a waker there to open a race window.
    std::function<void()> before_wake;
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

// Runs the calling thread on emulated CPU cpu (modulo bc_env_nr_cpus()) for the scope's
// life, as a kernel thread bound to a CPU would: its per-CPU sections take that CPU's
// slot whatever CPU the thread really runs on, so a test can place a free on one CPU and
// an allocation on another.
class CpuScope {
public:
    explicit CpuScope(unsigned cpu);
    ~CpuScope();
    CpuScope(const CpuScope&) = delete;
    CpuScope& operator=(const CpuScope&) = delete;

private:
    int saved_;
};

}  // namespace bc::posix
