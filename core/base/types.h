// Freestanding basics for core/: fixed-width integers, placement new, small helpers.
// core/ is compiled with -nostdinc++ -ffreestanding for the kernel, so nothing here may
// come from a C or C++ library header; the compiler's predefined macros are enough.
#pragma once

namespace bc {

using u8 = __UINT8_TYPE__;
using u16 = __UINT16_TYPE__;
using u32 = __UINT32_TYPE__;
using u64 = __UINT64_TYPE__;
using i64 = __INT64_TYPE__;
using usize = __SIZE_TYPE__;
using uptr = __UINTPTR_TYPE__;

constexpr u64 kU64Max = ~u64{0};
constexpr u32 kU32Max = ~u32{0};

template <typename T> constexpr T min(T a, T b) { return a < b ? a : b; }
template <typename T> constexpr T max(T a, T b) { return a < b ? b : a; }

// n rounded up to a multiple of a.
constexpr usize align_up(usize n, usize a) { return (n + a - 1) / a * a; }

template <typename T, usize N> constexpr usize array_size(const T (&)[N]) { return N; }

// The set bits of x. Not __builtin_popcountll: without -mpopcnt (the kernel's flags) GCC
// calls libgcc's __popcountdi2, which the kernel does not export.
constexpr unsigned popcount64(u64 x) {
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return unsigned((x * 0x0101010101010101ull) >> 56);
}
static_assert(popcount64(0) == 0 && popcount64(~0ull) == 64 && popcount64(0x8000000000000001ull) == 2, "popcount64");

// Compare two NUL-terminated strings for equality (no libc in the kernel build of core/).
constexpr bool str_equal(const char* a, const char* b) {
    while (*a && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

constexpr usize str_length(const char* s) {
    usize n = 0;
    while (s[n])
        ++n;
    return n;
}

}  // namespace bc

// A global that must be initialised at compile time: this kernel runs no static
// constructors (no CONFIG_CONSTRUCTORS), so a dynamic initialiser would silently never run.
#if defined(__clang__)
#define BC_CONSTINIT [[clang::require_constant_initialization]]
#else
#define BC_CONSTINIT __constinit
#endif

#define BC_LIKELY(x) __builtin_expect(!!(x), 1)
#define BC_UNLIKELY(x) __builtin_expect(!!(x), 0)

// Placement new, declared here because <new> is a libstdc++ header. In userspace the
// library declares the same inline function; both are the identical standard signature.
#if defined(BC_FREESTANDING)
inline void* operator new(bc::usize, void* where) noexcept { return where; }
inline void operator delete(void*, void*) noexcept {}
#else
#include <new>
#endif
