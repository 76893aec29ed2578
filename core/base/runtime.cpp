// The C++ runtime support core/ needs, over the environment. Kept to what the compiler
// itself emits calls to; everything else (exceptions, RTTI, static init guards, atexit)
// is switched off by the build flags and must not be needed.
#include "base/memory.h"

void* operator new(bc::usize size, const bc::NoThrow&) noexcept { return bc_env_alloc(size, 1); }
void* operator new[](bc::usize size, const bc::NoThrow&) noexcept { return bc_env_alloc(size, 1); }

#if defined(BC_KERNEL)
// Emitted by deleting destructors of polymorphic classes. Userspace gets these from the
// C++ library, and there core/ never deletes through them either (it uses bc::destroy).
void operator delete(void* ptr) noexcept { bc_env_free(ptr); }
void operator delete(void* ptr, bc::usize) noexcept { bc_env_free(ptr); }
void operator delete[](void* ptr) noexcept { bc_env_free(ptr); }
void operator delete[](void* ptr, bc::usize) noexcept { bc_env_free(ptr); }

// A pure virtual call means a vtable was used during construction or after destruction:
// a bug with no safe way on. ud2 gives the kernel's BUG report with a backtrace, and
// objtool knows ud2 ends a path (a call to an unknown noreturn function would confuse it).
extern "C" void __cxa_pure_virtual() { __builtin_trap(); }
#endif
