// core/abi/bio_set.h, the direct BioSet interface (benchmarks, self tests): a BioSet and the
// counters it reports into, created and destroyed together.
#include "engine/bio_set.h"
#include "base/memory.h"

struct bc_bio_set {
    bc::Stats* stats;
    bc::BioSet* set;
};

namespace {

bc::Status create_parts(bc_bio_set* handle, const bc::BioSetConfig& config) {
    handle->stats = BC_TRY(bc::Stats::create());
    handle->set = BC_TRY(bc::BioSet::create(config, handle->stats));
    return {};
}

}  // namespace

extern "C" bc_bio_set* bc_bio_set_create(const bc_bio_set_config* config, const bc_bio_shape* shape) {
    bc_bio_set* handle = bc::make<bc_bio_set>();
    if (!handle)
        return nullptr;
    const bc::BioSetConfig set_config{config->pool_size,   config->front_pad, config->need_bvecs != 0,
                                      config->need_rescuer != 0, shape->bio_size,  shape->bvec_size,
                                      shape->inline_vecs,  0x62656e6368ull};
    // NULL is this boundary's whole answer: its callers (benchmarks, self tests) have no
    // user to show a message to.
    if (!create_parts(handle, set_config).ok()) {
        bc_bio_set_destroy(handle);
        return nullptr;
    }
    handle->set->faults().set_percent(config->fail_alloc_percent);
    return handle;
}

extern "C" void bc_bio_set_destroy(bc_bio_set* handle) {
    if (!handle)
        return;
    bc::BioSet::destroy(handle->set);
    bc::Stats::destroy(handle->stats);
    bc::destroy(handle);
}

extern "C" void* bc_bio_set_alloc(bc_bio_set* handle, unsigned int nr_vecs, int may_wait, void** vecs,
                                  unsigned int* capacity) {
    const bc::BioAllocation a = handle->set->alloc(nr_vecs, may_wait != 0);
    *vecs = a.vecs;
    *capacity = a.vec_capacity;
    return a.bio;
}

extern "C" void bc_bio_set_free(bc_bio_set* handle, void* bio, void* vecs, unsigned int capacity) {
    handle->set->free(bio, vecs, capacity);
}

extern "C" void bc_bio_set_magazine(const bc_bio_set* handle, bc_magazine* magazine) {
    handle->set->magazine_layout(magazine);
}
