#include "engine/bio_set.h"

#include "engine/cache_registry.h"
#include "base/memory.h"

namespace bc {

/*
 * Which vec classes get a reserve: only the largest (256). Any vec request can be served
 * from a 256-entry table, so one reserve there guarantees progress for every size, as
 * block/bio.c's bvec_alloc does; reserves in every class would pin 16+64+128 tables per
 * reserve object for no extra guarantee. The cost: under memory pressure a 20-vec bio
 * takes a 256-vec table. Classes 1 and 4 are the inline vecs and never allocate.
 */
unsigned BioSet::vec_class(unsigned nr_vecs) {
    unsigned i = 0;
    while (kVecClasses[i] < nr_vecs)
        ++i;
    return i;
}

BioSet::BioSet(const BioSetConfig& config, Stats* stats)
    : config_(config), stats_(stats), faults_(config.fault_seed) {
    bio_offset_ = align_up(config.front_pad + sizeof(BioSet*), 16);
    object_size_ = bio_offset_ + config.bio_size + (config.need_bvecs ? config.inline_vecs * config.bvec_size : 0);
}

Result<BioSet*> BioSet::create(const BioSetConfig& config, Stats* stats) {
    if (config.pool_size == 0 || config.bio_size == 0 || (config.need_bvecs && config.bvec_size == 0))
        return invalid("Invalid bio set configuration");
    BioSet* set = make<BioSet>(config, stats);
    if (!set)
        return out_of_memory("Cannot allocate the bio set");
    const Status ready = set->set_up();
    if (!ready.ok()) {
        destroy(set);
        return ready.error();
    }
    return set;
}

Status BioSet::set_up() {
    object_cache_ = BC_TRY(cache_get(object_size_));
    bio_pool_ = BC_TRY(Mempool::create(object_cache_, config_.pool_size, &faults_));
    if (config_.need_bvecs) {
        for (unsigned i = 0; i < array_size(kVecClasses); ++i)
            if (kVecClasses[i] > config_.inline_vecs)
                vec_caches_[i] = BC_TRY(cache_get(usize(kVecClasses[i]) * config_.bvec_size));
        const unsigned top = array_size(kVecClasses) - 1;
        vec_reserve_ = BC_TRY(Mempool::create(vec_caches_[top], config_.pool_size, &faults_));
    }
    if (config_.need_rescuer && !(rescuer_ = bc_env_rescuer_create(this)))
        return out_of_memory("Cannot create the rescuer");
    if (!(magazines_ = bc_env_percpu_alloc(sizeof(Magazine))))
        return out_of_memory("Cannot allocate the per-CPU magazines");
    depot_ = BC_TRY(Depot::create(kDepotBatchesPerCpu * bc_env_nr_cpus()));
    return {};
}

void BioSet::destroy(BioSet* set) { bc::destroy(set); }

BioSet::~BioSet() {
    // No object is in use any more (the owner's contract): drain the magazines and the
    // depot first so that the pools and caches below see every object.
    if (rescuer_)
        bc_env_rescuer_destroy(rescuer_);
    if (magazines_) {
        for (unsigned cpu = 0; cpu < bc_env_nr_cpus(); ++cpu) {
            auto* m = static_cast<Magazine*>(bc_env_percpu_slot(magazines_, cpu));
            if (!m)
                continue;
            while (m->count)
                bc_env_cache_free(object_cache_, m->objects[--m->count]);
            while (FreeObject* object = m->irq_list) {
                m->irq_list = object->next;
                bc_env_cache_free(object_cache_, object);
            }
        }
        bc_env_percpu_free(magazines_);
    }
    if (depot_) {
        for (Depot::Batch batch = depot_->take(); batch.head; batch = depot_->take())
            while (auto* object = static_cast<FreeObject*>(batch.head)) {
                batch.head = object->next;
                bc_env_cache_free(object_cache_, object);
            }
        Depot::destroy(depot_);
    }
    Mempool::destroy(vec_reserve_);
    Mempool::destroy(bio_pool_);
    for (bc_env_cache* cache : vec_caches_)
        cache_put(cache);
    cache_put(object_cache_);
}

void BioSet::count_path(AllocPath path) {
    static constexpr Counter kByPath[] = {Counter::alloc_failed, Counter::alloc_percpu, Counter::alloc_backing,
                                          Counter::alloc_reserve, Counter::alloc_waited};
    stats_->add(kByPath[unsigned(path)], 1);
}

// The mempool steps, with the rescuer's hand-off (Overstreet and Heo, 2012) in front of
// the wait: while bios we issued sit parked on this task's submit list, first try without waiting; if that fails, hand
// them to the rescuer (which issues them from a worker), and only then wait.
void BioSet::rescue_parked() {
    if (!rescuer_ || !bc_env_task_has_parked())
        return;
    const unsigned rescued = bc_env_rescue_parked(rescuer_);
    stats_->add(Counter::rescues, 1);
    stats_->add(Counter::bios_rescued, rescued);
}

void* BioSet::pool_alloc(Mempool& pool, bool may_wait, AllocPath* path_out) {
    AllocPath path = AllocPath::none;
    const bool rescue_first = may_wait && rescuer_ && bc_env_task_has_parked();
    void* element = pool.alloc(may_wait && !rescue_first, &path);
    if (!element && rescue_first) {
        rescue_parked();
        element = pool.alloc(true, &path);
    }
    *path_out = path;
    return element;
}

void BioSet::take_irq_list(Magazine* m) {
    const unsigned long flags = bc_env_irq_save();
    while (m->irq_list && m->count < kMagazineSize) {
        FreeObject* object = m->irq_list;
        m->irq_list = object->next;
        m->objects[m->count++] = object;
        __atomic_store_n(&m->irq_count, m->irq_count - 1, __ATOMIC_RELAXED);
    }
    bc_env_irq_restore(flags);
}

void* BioSet::magazine_pop() {
    int irq = 0;
    unsigned long token = 0;
    auto* m = static_cast<Magazine*>(bc_env_percpu_enter(magazines_, &irq, &token));
    void* object = nullptr;
    if (!irq) {  // objects[] belongs to task context
        if (!m->count && __atomic_load_n(&m->irq_count, __ATOMIC_RELAXED))
            take_irq_list(m);
        if (m->count) {
            object = m->objects[--m->count];
            __atomic_store_n(&m->hits[0], m->hits[0] + 1, __ATOMIC_RELAXED);
        }
    }
    bc_env_percpu_leave(irq, token);
    return object;
}

bool BioSet::magazine_push(void* object) {
    int irq = 0;
    unsigned long token = 0;
    auto* m = static_cast<Magazine*>(bc_env_percpu_enter(magazines_, &irq, &token));
    auto* free_object = static_cast<FreeObject*>(object);
    Depot::Batch full{nullptr, 0};
    bool cached = false;
    if (irq) {
        if (m->irq_count == kMagazineSize && !depot_->full()) {
            // The whole list leaves as one batch; the object starts a new one.
            full = {m->irq_list, m->irq_count};
            m->irq_list = nullptr;
            __atomic_store_n(&m->irq_count, 0u, __ATOMIC_RELAXED);
        }
        if (m->irq_count < kMagazineSize) {
            free_object->next = m->irq_list;
            m->irq_list = free_object;
            __atomic_store_n(&m->irq_count, m->irq_count + 1, __ATOMIC_RELAXED);
            cached = true;
        }
    } else {
        if (m->count == kMagazineSize && !depot_->full()) {
            // objects[] leaves as one batch, linked here; the most recently freed (the
            // likeliest still in a cache) is its head, what a taker uses first.
            FreeObject* chain = nullptr;
            for (unsigned i = 0; i < kMagazineSize; ++i) {
                auto* batched = static_cast<FreeObject*>(m->objects[i]);
                batched->next = chain;
                chain = batched;
            }
            m->count = 0;
            full = {chain, kMagazineSize};
        }
        if (m->count < kMagazineSize) {
            m->objects[m->count++] = object;
            cached = true;
        }
    }
    if (cached)
        __atomic_store_n(&m->frees[irq], m->frees[irq] + 1, __ATOMIC_RELAXED);
    bc_env_percpu_leave(irq, token);
    if (full.head)
        depot_put(full);
    return cached;
}

void* BioSet::depot_alloc() {
    if (depot_->empty())  // a hint: a batch put meanwhile is found by the next miss
        return nullptr;
    const Depot::Batch batch = depot_->take();
    if (!batch.head)
        return nullptr;
    stats_->add(Counter::depot_gets, 1);
    auto* object = static_cast<FreeObject*>(batch.head);
    Depot::Batch rest{object->next, batch.count - 1};
    int irq = 0;
    unsigned long token = 0;
    auto* m = static_cast<Magazine*>(bc_env_percpu_enter(magazines_, &irq, &token));
    if (!irq)  // objects[] belongs to task context
        while (rest.head && m->count < kMagazineSize) {
            auto* loaded = static_cast<FreeObject*>(rest.head);
            rest.head = loaded->next;
            --rest.count;
            m->objects[m->count++] = loaded;
        }
    bc_env_percpu_leave(irq, token);
    // Left over in interrupt context, or when this CPU's objects[] filled meanwhile (the
    // task moved, or an interrupt's allocation took the batch): back for another CPU.
    if (rest.head)
        depot_put(rest);
    return object;
}

void BioSet::depot_put(Depot::Batch batch) {
    // The reserve first, as in free(): while it is short a waiter may sleep on it, and
    // objects in the depot would be hidden from it. A check, not a lock, as free()'s: a
    // reserve emptied just after it was seen full can leave a waiter asleep beside a batch
    // until the next free refills the reserve, the window free() has for the magazines.
    while (batch.head && bio_pool_->reserve_short()) {
        auto* object = static_cast<FreeObject*>(batch.head);
        batch.head = object->next;
        --batch.count;
        bio_pool_->free(object);
    }
    if (!batch.head)
        return;
    if (depot_->put(batch)) {
        stats_->add(Counter::depot_puts, 1);
        return;
    }
    release(batch);
}

void BioSet::release(Depot::Batch batch) {
    while (auto* object = static_cast<FreeObject*>(batch.head)) {
        batch.head = object->next;  // before the mempool links the object its own way
        bio_pool_->free(object);
    }
}

void BioSet::magazine_layout(bc_magazine* layout) const {
    // The types core/abi/magazine.h names for each offset.
    static_assert(sizeof(Magazine::count) == sizeof(unsigned int) && sizeof(Magazine::irq_count) == sizeof(unsigned int));
    static_assert(sizeof(Magazine::irq_list) == sizeof(void*) && sizeof(Magazine::objects[0]) == sizeof(void*));
    static_assert(sizeof(Magazine::hits[0]) == sizeof(unsigned long long) && sizeof(Magazine::frees[0]) == sizeof(unsigned long long));
    static_assert(__builtin_offsetof(FreeObject, next) == 0, "irq_list links through an object's first word");
    *layout = bc_magazine{};
    layout->percpu = magazines_;
    layout->set = const_cast<BioSet*>(this);
    layout->capacity = kMagazineSize;
    layout->inline_vecs = config_.need_bvecs ? config_.inline_vecs : 0;
    layout->bio_offset = bio_offset_;
    layout->bio_size = config_.bio_size;
    layout->count = __builtin_offsetof(Magazine, count);
    layout->objects = __builtin_offsetof(Magazine, objects);
    layout->irq_list = __builtin_offsetof(Magazine, irq_list);
    layout->irq_count = __builtin_offsetof(Magazine, irq_count);
    for (unsigned irq = 0; irq < 2; ++irq) {
        layout->hits[irq] = __builtin_offsetof(Magazine, hits) + irq * sizeof(u64);
        layout->frees[irq] = __builtin_offsetof(Magazine, frees) + irq * sizeof(u64);
    }
    layout->reserve_count = bio_pool_->reserve_count_word();
    layout->min_nr = bio_pool_->min_nr_word();
}

u64 BioSet::magazine_count(Counter counter) const {
    if (counter != Counter::alloc_percpu && counter != Counter::frees)
        return 0;
    u64 sum = 0;
    for (unsigned cpu = 0; cpu < bc_env_nr_cpus(); ++cpu) {
        const auto* m = static_cast<const Magazine*>(bc_env_percpu_slot(magazines_, cpu));
        if (!m)
            continue;
        const u64* values = counter == Counter::frees ? m->frees : m->hits;
        sum += __atomic_load_n(&values[0], __ATOMIC_RELAXED) + __atomic_load_n(&values[1], __ATOMIC_RELAXED);
    }
    return sum;
}

void BioSet::reset_counts() {
    stats_->reset(Counter::alloc_percpu, total(Counter::alloc_percpu));
    stats_->reset(Counter::frees, total(Counter::frees));
}

void* BioSet::alloc_object(bool may_wait, bool count_failure) {
    if (void* object = magazine_pop())
        return object;  // counted in the magazine
    if (void* object = depot_alloc()) {
        stats_->add(Counter::alloc_percpu, 1);  // the per-CPU layer's, as Bonwick's depot is
        return object;
    }
    // Only here can the allocator reclaim, so only here does a missing NOIO scope matter.
    if (may_wait && !bc_env_noio_active())
        stats_->add(Counter::noio_violations, 1);
    AllocPath path = AllocPath::none;
    void* object = pool_alloc(*bio_pool_, may_wait, &path);
    if (object || count_failure)
        count_path(path);  // the alloc_* counters count bio objects, not vec tables
    return object;
}

void* BioSet::alloc_vecs(unsigned nr_vecs, bool may_wait, unsigned* capacity) {
    const unsigned top = array_size(kVecClasses) - 1;
    const unsigned cls = vec_class(nr_vecs);
    if (cls < top && !faults_.should_fail()) {
        if (void* vecs = bc_env_cache_alloc(vec_caches_[cls], BC_ALLOC_NOWAIT)) {
            *capacity = kVecClasses[cls];
            return vecs;
        }
    }
    *capacity = kMaxVecs;
    AllocPath path = AllocPath::none;
    return pool_alloc(*vec_reserve_, may_wait, &path);
}

void BioSet::free_vecs(void* vecs, unsigned capacity) {
    const unsigned cls = vec_class(capacity);
    if (capacity == kMaxVecs)
        vec_reserve_->free(vecs);
    else
        bc_env_cache_free(vec_caches_[cls], vecs);
}

BioAllocation BioSet::alloc(unsigned nr_vecs, bool may_wait) { return alloc(nr_vecs, may_wait, true); }

BioAllocation BioSet::try_alloc(unsigned nr_vecs) { return alloc(nr_vecs, false, false); }

BioAllocation BioSet::alloc(unsigned nr_vecs, bool may_wait, bool count_failure) {
    if (nr_vecs > kMaxVecs || (nr_vecs && !config_.need_bvecs))
        return BioAllocation{};
    void* object = alloc_object(may_wait, count_failure);
    if (!object)
        return BioAllocation{};
    char* bio = static_cast<char*>(object) + bio_offset_;
    *reinterpret_cast<BioSet**>(bio - sizeof(BioSet*)) = this;

    BioAllocation allocation{bio, nullptr, 0};
    if (nr_vecs == 0)
        return allocation;
    if (nr_vecs <= config_.inline_vecs) {
        allocation.vecs = bio + config_.bio_size;
        allocation.vec_capacity = config_.inline_vecs;
        return allocation;
    }
    allocation.vecs = alloc_vecs(nr_vecs, may_wait, &allocation.vec_capacity);
    if (!allocation.vecs) {
        free(bio, nullptr, 0);
        return BioAllocation{};
    }
    return allocation;
}

void BioSet::free(void* bio, void* vecs, unsigned vec_capacity) {
    if (vecs && vec_capacity > config_.inline_vecs)
        free_vecs(vecs, vec_capacity);
    void* object = static_cast<char*>(bio) - bio_offset_;

    // The reserve comes first: while it is short, the object refills it (and wakes a
    // waiter) instead of hiding in a magazine.
    if (!bio_pool_->reserve_short() && magazine_push(object))
        return;  // counted in the magazine
    stats_->add(Counter::frees, 1);
    bio_pool_->free(object);
}

Status BioSet::resize_reserve(unsigned pool_size) {
    if (pool_size == 0)
        return invalid("The reserve must hold at least one object");
    // One resize at a time (DM does not serialise a target's messages): two interleaved
    // commits could leave the bio reserve at one size and the vec reserve at the other.
    bc_env_config_lock();
    const Status resized = resize_both(pool_size);
    bc_env_config_unlock();
    return resized;
}

Status BioSet::resize_both(unsigned pool_size) {
    // Both or neither: the caller (a `reserve` message) says whether the resize happened,
    // so nothing is committed before both reserves have their elements.
    Mempool::Growth bios, vecs{};
    BC_TRY(bio_pool_->prepare_resize(pool_size, &bios));
    if (vec_reserve_) {
        const Status prepared = vec_reserve_->prepare_resize(pool_size, &vecs);
        if (!prepared.ok()) {
            bio_pool_->abandon_resize(&bios);
            return prepared;
        }
    }
    bio_pool_->commit_resize(&bios);
    if (vec_reserve_)
        vec_reserve_->commit_resize(&vecs);
    return {};
}

}  // namespace bc
