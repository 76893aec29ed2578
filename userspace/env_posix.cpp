// The POSIX environment of core/: the same contract as module/env.c and module/rescuer.c,
// over libc and pthreads. Per-CPU sections are emulated with one mutex per CPU slot, which
// gives the exclusion interrupts-off gives in the kernel.
#include "env_posix.h"

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <new>

namespace {
std::atomic<long> g_live_allocations{0};
std::atomic<long> g_live_caches{0};
std::mutex g_config_mutex;
std::mutex g_hooks_mutex;
bc::posix::ShimHooks g_hooks;
thread_local bool t_noio = false;
// Read-side sections: a count of threads inside one (nesting counted per thread), which
// bc_env_synchronize_rcu waits to reach zero. Stronger than RCU (it also waits for
// sections begun after it), which only makes a destroy wait longer.
std::atomic<long> g_rcu_readers{0};
thread_local unsigned t_rcu_depth = 0;

constexpr unsigned kMaxCpuSlots = 256;
// One lock per CPU slot: what preemption-off (or interrupts-off) gives in the kernel.
std::mutex g_cpu_slots[kMaxCpuSlots];
thread_local bool t_interrupt = false;
// The emulated CPU a CpuScope placed the thread on (-1: wherever it runs).
thread_local int t_cpu = -1;
// fail_nth_allocation(): requests left before the one that fails (0: none fails).
thread_local unsigned long t_fail_countdown = 0;
thread_local unsigned long t_allocations_asked = 0;
thread_local std::function<void()> t_on_allocation;
thread_local bc_alloc_wait t_last_cache_wait = BC_ALLOC_NOWAIT;

// Every allocating entry point asks here first; true: this request fails.
bool injected_failure() {
    ++t_allocations_asked;
    if (t_on_allocation)
        t_on_allocation();
    return t_fail_countdown != 0 && --t_fail_countdown == 0;
}

bc::posix::ShimHooks hooks() {
    std::lock_guard<std::mutex> guard(g_hooks_mutex);
    return g_hooks;
}

void* aligned_malloc(unsigned long size) {
    void* ptr = nullptr;
    return posix_memalign(&ptr, 16, size ? size : 1) == 0 ? ptr : nullptr;
}

struct Waitq {
    std::mutex mutex;
    std::condition_variable cond;
    // Read by every wait and wake in instrumented code (the mutex and condition variable
    // live in libc, which ASan does not see): a wake on a destroyed or freed queue is
    // caught, not silently done on dead memory.
    unsigned alive = kAlive;
    static constexpr unsigned kAlive = 0x77616974;  // "wait"
};
static_assert(sizeof(std::mutex) <= sizeof(bc_lock), "bc_lock too small");
static_assert(sizeof(Waitq) <= sizeof(bc_waitq), "bc_waitq too small");

std::mutex& as_mutex(bc_lock* lock) { return *reinterpret_cast<std::mutex*>(lock->opaque); }
Waitq& as_waitq(bc_waitq* waitq) { return *reinterpret_cast<Waitq*>(waitq->opaque); }
}  // namespace

struct bc_env_cache {
    unsigned long size;
    std::atomic<long> live{0};
};

struct bc_env_rescuer {
    const void* owner;
};

extern "C" {

void* bc_env_alloc(unsigned long size, int /*may_wait*/) {
    if (injected_failure())
        return nullptr;
    void* ptr = aligned_malloc(size);
    if (ptr)
        g_live_allocations.fetch_add(1, std::memory_order_relaxed);
    return ptr;
}

void bc_env_free(void* ptr) {
    if (!ptr)
        return;
    g_live_allocations.fetch_sub(1, std::memory_order_relaxed);
    std::free(ptr);
}

// The CPU slot of the calling thread (a hint: it may migrate; slots are mutex-protected).
static unsigned int posix_cpu() {
    const int cpu = t_cpu >= 0 ? t_cpu : sched_getcpu();
    return cpu < 0 ? 0u : unsigned(cpu) % bc_env_nr_cpus();
}

unsigned int bc_env_nr_cpus(void) {
    // sysconf reads /sys on every call: ask once (fixed for the process, like nr_cpu_ids).
    static const unsigned nr = [] {
        const long n = sysconf(_SC_NPROCESSORS_CONF);
        return n > 0 ? unsigned(n < long(kMaxCpuSlots) ? n : kMaxCpuSlots) : 1u;
    }();
    return nr;
}

void bc_env_lock_init(bc_lock* lock, bc_lock_class) { new (lock->opaque) std::mutex(); }
void bc_env_lock_destroy(bc_lock* lock) { as_mutex(lock).~mutex(); }
unsigned long bc_env_lock_irqsave(bc_lock* lock) {
    as_mutex(lock).lock();
    return 0;
}
void bc_env_unlock_irqrestore(bc_lock* lock, unsigned long) { as_mutex(lock).unlock(); }

void bc_env_waitq_init(bc_waitq* waitq) { new (waitq->opaque) Waitq(); }
void bc_env_waitq_destroy(bc_waitq* waitq) {
    as_waitq(waitq).alive = 0;
    as_waitq(waitq).~Waitq();
}

// ready() runs under the waitq mutex and wake_all() takes it: a wake between a failed
// ready() and the sleep cannot be lost.
void bc_env_wait_until(bc_waitq* waitq, int (*ready)(void*), void* arg) {
    Waitq& w = as_waitq(waitq);
    if (w.alive != Waitq::kAlive)
        std::abort();
    std::unique_lock<std::mutex> lock(w.mutex);
    w.cond.wait(lock, [&] { return ready(arg) != 0; });
}

void bc_env_wake_all(bc_waitq* waitq) {
    if (auto h = hooks(); h.before_wake)
        h.before_wake();
    Waitq& w = as_waitq(waitq);
    if (w.alive != Waitq::kAlive)
        std::abort();
    std::lock_guard<std::mutex> guard(w.mutex);
    w.cond.notify_all();
}

void* bc_env_percpu_enter(void* percpu, int* irq, unsigned long* token) {
    const unsigned cpu = posix_cpu();
    g_cpu_slots[cpu].lock();
    *irq = t_interrupt ? 1 : 0;
    *token = cpu;
    return bc_env_percpu_slot(percpu, cpu);
}

void bc_env_percpu_leave(int, unsigned long token) { g_cpu_slots[token].unlock(); }

// The slot mutex held by percpu_enter already excludes every other user of the slot.
unsigned long bc_env_irq_save(void) { return 0; }
void bc_env_irq_restore(unsigned long) {}

// One block of nr_cpus copies, each on its own cache lines.
namespace {
constexpr unsigned long kPercpuHeader = 64;
unsigned long percpu_stride(unsigned long size) { return (size + 63) / 64 * 64; }
}  // namespace

void* bc_env_percpu_alloc(unsigned long size) {
    const unsigned long stride = percpu_stride(size);
    char* block = static_cast<char*>(bc_env_alloc(kPercpuHeader + stride * bc_env_nr_cpus(), 1));
    if (!block)
        return nullptr;
    std::memset(block, 0, kPercpuHeader + stride * bc_env_nr_cpus());
    *reinterpret_cast<unsigned long*>(block) = stride;
    return block + kPercpuHeader;
}

void bc_env_percpu_free(void* percpu) {
    if (percpu)
        bc_env_free(static_cast<char*>(percpu) - kPercpuHeader);
}

void* bc_env_percpu_slot(void* percpu, unsigned int cpu) {
    if (cpu >= bc_env_nr_cpus())
        return nullptr;
    const unsigned long stride = *reinterpret_cast<unsigned long*>(static_cast<char*>(percpu) - kPercpuHeader);
    return static_cast<char*>(percpu) + stride * cpu;
}

void bc_env_percpu_add(void* percpu, unsigned long offset, unsigned long long n) {
    auto* counter = reinterpret_cast<unsigned long long*>(static_cast<char*>(bc_env_percpu_slot(percpu, posix_cpu())) + offset);
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}


bc_env_cache* bc_env_cache_create(const char* /*name*/, unsigned long size) {
    if (injected_failure())
        return nullptr;
    auto* cache = new (std::nothrow) bc_env_cache;
    if (!cache)
        return nullptr;
    cache->size = size;
    g_live_caches.fetch_add(1);
    return cache;
}

void bc_env_cache_destroy(bc_env_cache* cache) {
    if (cache->live.load() != 0)
        std::abort();  // objects outlive their cache: kmem_cache_destroy would complain too
    g_live_caches.fetch_sub(1);
    delete cache;
}

void* bc_env_cache_alloc(bc_env_cache* cache, bc_alloc_wait wait) {
    t_last_cache_wait = wait;
    void* object = bc_env_alloc(cache->size, wait != BC_ALLOC_NOWAIT);
    if (object)
        cache->live.fetch_add(1, std::memory_order_relaxed);
    return object;
}

void bc_env_cache_free(bc_env_cache* cache, void* object) {
    cache->live.fetch_sub(1, std::memory_order_relaxed);
    bc_env_free(object);
}

void bc_env_rcu_read_lock(void) {
    if (t_rcu_depth++ == 0)
        g_rcu_readers.fetch_add(1, std::memory_order_seq_cst);
}

void bc_env_rcu_read_unlock(void) {
    if (--t_rcu_depth == 0)
        g_rcu_readers.fetch_sub(1, std::memory_order_release);
}

void bc_env_synchronize_rcu(void) {
    while (g_rcu_readers.load(std::memory_order_acquire) != 0)
        std::this_thread::yield();
}

void bc_env_config_lock(void) { g_config_mutex.lock(); }
void bc_env_config_unlock(void) { g_config_mutex.unlock(); }

int bc_env_noio_active(void) { return t_noio ? 1 : 0; }

bc_env_rescuer* bc_env_rescuer_create(const void* owner) {
    return injected_failure() ? nullptr : new (std::nothrow) bc_env_rescuer{owner};
}
void bc_env_rescuer_destroy(bc_env_rescuer* rescuer) { delete rescuer; }

int bc_env_task_has_parked(void) {
    auto h = hooks();
    return h.task_has_parked && h.task_has_parked() ? 1 : 0;
}

unsigned int bc_env_rescue_parked(bc_env_rescuer* rescuer) {
    auto h = hooks();
    return h.rescue_parked ? h.rescue_parked(rescuer->owner) : 0;
}

}  // extern "C"

namespace bc::posix {
long live_allocations() { return g_live_allocations.load(std::memory_order_relaxed); }
long live_caches() { return g_live_caches.load(); }

void fail_nth_allocation(unsigned long n) { t_fail_countdown = n; }
bc_alloc_wait last_cache_wait() { return t_last_cache_wait; }
unsigned long allocations_asked() { return t_allocations_asked; }
void on_each_allocation(std::function<void()> fn) { t_on_allocation = std::move(fn); }

void set_shim_hooks(ShimHooks new_hooks) {
    std::lock_guard<std::mutex> guard(g_hooks_mutex);
    g_hooks = std::move(new_hooks);
}

NoioScope::NoioScope() : saved_(t_noio) { t_noio = true; }
NoioScope::~NoioScope() { t_noio = saved_; }

InterruptScope::InterruptScope() : saved_(t_interrupt) { t_interrupt = true; }
InterruptScope::~InterruptScope() { t_interrupt = saved_; }

CpuScope::CpuScope(unsigned cpu) : saved_(t_cpu) { t_cpu = int(cpu % bc_env_nr_cpus()); }
CpuScope::~CpuScope() { t_cpu = saved_; }
}  // namespace bc::posix
