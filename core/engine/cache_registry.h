// Object caches found by object size and shared between BioSets with a reference count,
// the idea of block/bio.c's bio_find_or_create_slab(): two targets with the same
// front_pad share one slab instead of fragmenting memory over two.
#pragma once
#include "abi/env.h"
#include "base/result.h"
#include "base/types.h"

namespace bc {

// The cache for objects of exactly `size` bytes, created on first use.
Result<bc_env_cache*> cache_get(usize size);
// Drops one reference; the cache is destroyed with the last one.
void cache_put(bc_env_cache* cache);
// How many caches exist now (tests).
unsigned cache_registry_size();

}  // namespace bc
