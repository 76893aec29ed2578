// module/magazine.h, the inline magazine hit path, rendered over the POSIX environment:
// bc_env_percpu_enter stands for preempt_disable() (task context) and local_irq_save()
// (interrupt context). It pops and pushes through the struct bc_magazine a BioSet
// publishes (core/abi/magazine.h) and nothing else, so the tests and the simulator run the
// I/O path's child_alloc and child_free (core/abi/target.h) as the kernel shim does: a
// wrong offset in the published layout shows as a corrupted magazine or a lost object.
#pragma once
#include "abi/env.h"
#include "abi/magazine.h"

namespace bc::posix {

inline unsigned& magazine_uint(char* m, unsigned long offset) { return *reinterpret_cast<unsigned*>(m + offset); }

inline void magazine_count(char* m, unsigned long offset) {
    auto* counter = reinterpret_cast<unsigned long long*>(m + offset);
    __atomic_store_n(counter, *counter + 1, __ATOMIC_RELAXED);
}

inline bool magazine_reserve_short(const bc_magazine& mag) {
    return __atomic_load_n(mag.reserve_count, __ATOMIC_RELAXED) < __atomic_load_n(mag.min_nr, __ATOMIC_RELAXED);
}

// biochain_magazine_alloc: flags as BC_MAGAZINE_MAY_WAIT and BC_MAGAZINE_QUIET.
inline void* magazine_alloc(const bc_magazine& mag, unsigned nr_vecs, unsigned flags, void** vecs,
                            unsigned* capacity) {
    void* object = nullptr;
    if (nr_vecs <= mag.inline_vecs) {
        int irq = 0;
        unsigned long token = 0;
        char* m = static_cast<char*>(bc_env_percpu_enter(mag.percpu, &irq, &token));
        unsigned& n = magazine_uint(m, mag.count);
        if (!irq && n) {
            object = reinterpret_cast<void**>(m + mag.objects)[--n];
            magazine_count(m, mag.hits[0]);
        }
        bc_env_percpu_leave(irq, token);
    }
    if (!object)
        return bc_magazine_alloc_miss(&mag, nr_vecs, flags, vecs, capacity);
    char* bio = static_cast<char*>(object) + mag.bio_offset;
    reinterpret_cast<void**>(bio)[-1] = mag.set;  // the owner word
    *vecs = nr_vecs ? bio + mag.bio_size : nullptr;
    *capacity = nr_vecs ? mag.inline_vecs : 0;
    return bio;
}

// biochain_magazine_free. True: a hit; false: the free went to core/ (a miss).
inline bool magazine_free(const bc_magazine& mag, void* bio, void* vecs, unsigned capacity) {
    void* object = static_cast<char*>(bio) - mag.bio_offset;
    bool pushed = false;
    if (capacity <= mag.inline_vecs && !magazine_reserve_short(mag)) {
        int irq = 0;
        unsigned long token = 0;
        char* m = static_cast<char*>(bc_env_percpu_enter(mag.percpu, &irq, &token));
        if (!irq && magazine_uint(m, mag.count) < mag.capacity) {
            unsigned& n = magazine_uint(m, mag.count);
            reinterpret_cast<void**>(m + mag.objects)[n++] = object;
            magazine_count(m, mag.frees[0]);
            pushed = true;
        } else if (irq && magazine_uint(m, mag.irq_count) < mag.capacity) {
            void** head = reinterpret_cast<void**>(m + mag.irq_list);
            *static_cast<void**>(object) = *head;
            *head = object;
            __atomic_store_n(&magazine_uint(m, mag.irq_count), magazine_uint(m, mag.irq_count) + 1, __ATOMIC_RELAXED);
            magazine_count(m, mag.frees[1]);
            pushed = true;
        }
        bc_env_percpu_leave(irq, token);
    }
    if (!pushed)
        bc_magazine_free_miss(&mag, bio, vecs, capacity);
    return pushed;
}

// The target ops over them (bc_target_ops::child_alloc and child_free), as
// module/child_bio.c's.
inline void* child_alloc(void*, const bc_magazine* mag) {
    void* vecs = nullptr;
    unsigned capacity = 0;
    return magazine_alloc(*mag, 0, BC_MAGAZINE_QUIET, &vecs, &capacity);
}

inline void child_free(void*, const bc_magazine* mag, void* child) { magazine_free(*mag, child, nullptr, 0); }

}  // namespace bc::posix
