// Locks with clang's thread-safety annotations (checked by `make thread-safety`; GCC
// ignores them, so they compile to nothing there), after Zircon's Guard<SpinLock>.
#pragma once
#include "abi/env.h"

#if defined(__clang__)
#define BC_TSA(x) __attribute__((x))
#else
#define BC_TSA(x)
#endif
#define BC_CAPABILITY(name) BC_TSA(capability(name))
#define BC_SCOPED_CAPABILITY BC_TSA(scoped_lockable)
#define BC_GUARDED_BY(lock) BC_TSA(guarded_by(lock))
#define BC_REQUIRES(...) BC_TSA(requires_capability(__VA_ARGS__))
#define BC_EXCLUDES(...) BC_TSA(locks_excluded(__VA_ARGS__))
#define BC_ACQUIRE(...) BC_TSA(acquire_capability(__VA_ARGS__))
#define BC_RELEASE(...) BC_TSA(release_capability(__VA_ARGS__))
#define BC_NO_TSA BC_TSA(no_thread_safety_analysis)

namespace bc {

// Interrupt-safe spinlock: the I/O completion path frees into the same pools.
class BC_CAPABILITY("spinlock") SpinLock {
public:
    explicit SpinLock(bc_lock_class lock_class) { bc_env_lock_init(&lock_, lock_class); }
    ~SpinLock() { bc_env_lock_destroy(&lock_); }
    SpinLock(const SpinLock&) = delete;
    SpinLock& operator=(const SpinLock&) = delete;

    unsigned long acquire() BC_ACQUIRE() { return bc_env_lock_irqsave(&lock_); }
    void release(unsigned long flags) BC_RELEASE() { bc_env_unlock_irqrestore(&lock_, flags); }

private:
    bc_lock lock_;
};

class BC_SCOPED_CAPABILITY Guard {
public:
    explicit Guard(SpinLock& lock) BC_ACQUIRE(lock) : lock_(lock), flags_(lock.acquire()) {}
    ~Guard() BC_RELEASE() { lock_.release(flags_); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

private:
    SpinLock& lock_;
    unsigned long flags_;
};

// A read-side section (bc_env_rcu_read_lock) for the life of one scope.
class ReadSection {
public:
    ReadSection() { bc_env_rcu_read_lock(); }
    ~ReadSection() { bc_env_rcu_read_unlock(); }
    ReadSection(const ReadSection&) = delete;
    ReadSection& operator=(const ReadSection&) = delete;
};

class WaitQueue {
public:
    WaitQueue() { bc_env_waitq_init(&waitq_); }
    ~WaitQueue() { bc_env_waitq_destroy(&waitq_); }
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;

    // Sleeps until ready() is true; ready runs again after every wake.
    template <typename Ready> void wait_until(Ready& ready) {
        bc_env_wait_until(&waitq_, [](void* arg) -> int { return (*static_cast<Ready*>(arg))() ? 1 : 0; },
                          &ready);
    }
    void wake_all() { bc_env_wake_all(&waitq_); }

private:
    bc_waitq waitq_;
};

// The environment's configuration lock (sleeping; create/destroy paths only).
class BC_CAPABILITY("mutex") ConfigLock {
public:
    constexpr ConfigLock() = default;
    void acquire() BC_ACQUIRE() { bc_env_config_lock(); }
    void release() BC_RELEASE() { bc_env_config_unlock(); }
};

class BC_SCOPED_CAPABILITY ConfigGuard {
public:
    explicit ConfigGuard(ConfigLock& lock) BC_ACQUIRE(lock) : lock_(lock) { lock_.acquire(); }
    ~ConfigGuard() BC_RELEASE() { lock_.release(); }

private:
    ConfigLock& lock_;
};

}  // namespace bc
