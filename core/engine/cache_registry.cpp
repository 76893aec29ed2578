#include "engine/cache_registry.h"

#include "base/sync.h"
#include "base/text_buffer.h"

namespace bc {
namespace {

struct CacheEntry {
    usize size;
    unsigned refs;
    bc_env_cache* cache;
};

// A fixed table with constant initialisation: the kernel runs no static constructors.
// Sixteen sizes cover every front_pad the target uses plus the bvec classes, and a
// full table is an allocation failure like any other, not a crash.
constexpr unsigned kMaxCaches = 16;
BC_CONSTINIT ConfigLock g_registry_lock;
BC_CONSTINIT CacheEntry g_caches[kMaxCaches] BC_GUARDED_BY(g_registry_lock) = {};

// "biochain-<size>": kmem_cache_create copies the name.
void cache_name(usize size, char (&name)[32]) { TextBuffer(name, sizeof name).text("biochain-").number(size); }

}  // namespace

Result<bc_env_cache*> cache_get(usize size) {
    ConfigGuard guard(g_registry_lock);
    CacheEntry* unused = nullptr;
    for (CacheEntry& entry : g_caches) {
        if (entry.refs && entry.size == size) {
            ++entry.refs;
            return entry.cache;
        }
        if (!entry.refs && !unused)
            unused = &entry;
    }
    if (!unused)
        return out_of_memory("Too many object sizes in use");
    char name[32];
    cache_name(size, name);
    bc_env_cache* cache = bc_env_cache_create(name, size);
    if (!cache)
        return out_of_memory("Cannot create an object cache");
    *unused = CacheEntry{size, 1, cache};
    return cache;
}

void cache_put(bc_env_cache* cache) {
    if (!cache)
        return;
    bc_env_cache* destroy = nullptr;
    {
        ConfigGuard guard(g_registry_lock);
        for (CacheEntry& entry : g_caches) {
            if (entry.refs && entry.cache == cache) {
                if (--entry.refs == 0) {
                    destroy = entry.cache;
                    entry = CacheEntry{};
                }
                break;
            }
        }
    }
    if (destroy)
        bc_env_cache_destroy(destroy);
}

unsigned cache_registry_size() {
    ConfigGuard guard(g_registry_lock);
    unsigned n = 0;
    for (const CacheEntry& entry : g_caches)
        n += entry.refs ? 1 : 0;
    return n;
}

}  // namespace bc
