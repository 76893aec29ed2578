// Object lifetime over the environment's allocator. Failure is a value: make<T>() returns
// nullptr when memory is short, and nothing in core/ uses a throwing `new`. In the kernel
// build a plain `new T` would not even link (runtime.cpp defines only the forms below).
#pragma once
#include "abi/env.h"
#include "base/types.h"

namespace bc {

struct NoThrow {};
inline constexpr NoThrow nothrow{};

}  // namespace bc

// Allocation over bc_env_alloc (may wait: configuration paths only). Returns nullptr on failure,
// and a new-expression using it then skips the constructor.
void* operator new(bc::usize size, const bc::NoThrow&) noexcept;
void* operator new[](bc::usize size, const bc::NoThrow&) noexcept;

namespace bc {

template <typename T, typename... Args> T* make(Args&&... args) {
    return new (nothrow) T(static_cast<Args&&>(args)...);
}

template <typename T> void destroy(T* object) {
    if (object) {
        object->~T();
        bc_env_free(object);
    }
}

}  // namespace bc
