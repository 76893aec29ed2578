// core/abi/magazine.h, the misses of the shim's inline magazine path: whatever a hit does
// not serve is the BioSet's ordinary allocation and free.
#include "engine/bio_set.h"

namespace {
bc::BioSet* set_of(const bc_magazine* magazine) { return static_cast<bc::BioSet*>(magazine->set); }
}  // namespace

extern "C" void* bc_magazine_alloc_miss(const bc_magazine* magazine, unsigned int nr_vecs, unsigned int flags,
                                        void** vecs, unsigned int* capacity) {
    bc::BioSet* set = set_of(magazine);
    const bc::BioAllocation a = flags & BC_MAGAZINE_QUIET ? set->try_alloc(nr_vecs)
                                                          : set->alloc(nr_vecs, (flags & BC_MAGAZINE_MAY_WAIT) != 0);
    *vecs = a.vecs;
    *capacity = a.vec_capacity;
    return a.bio;
}

extern "C" void bc_magazine_free_miss(const bc_magazine* magazine, void* bio, void* vecs, unsigned int capacity) {
    set_of(magazine)->free(bio, vecs, capacity);
}
