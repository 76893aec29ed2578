// The POSIX environment of core/: the same contract as module/env.c, over libc and pthreads.
#include "env_posix.h"

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "abi.h"

namespace {
std::atomic<long> g_live_allocations{0};
}

extern "C" void* bc_env_alloc(unsigned long size, int /*may_wait*/) {
    void* ptr = std::malloc(size);
    if (ptr)
        g_live_allocations.fetch_add(1, std::memory_order_relaxed);
    return ptr;
}

extern "C" void bc_env_free(void* ptr) {
    if (!ptr)
        return;
    g_live_allocations.fetch_sub(1, std::memory_order_relaxed);
    std::free(ptr);
}

extern "C" unsigned int bc_env_cpu(void) {
    const int cpu = sched_getcpu();
    return cpu < 0 ? 0u : unsigned(cpu);
}

extern "C" unsigned int bc_env_nr_cpus(void) {
    const long n = sysconf(_SC_NPROCESSORS_CONF);
    return n > 0 ? unsigned(n) : 1u;
}

namespace bc::posix {
long live_allocations() { return g_live_allocations.load(std::memory_order_relaxed); }
}  // namespace bc::posix
