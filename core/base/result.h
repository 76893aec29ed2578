// The one way a function of core/ fails: a Result holds either the value asked for or an
// Error, a negative errno (BC_E*, abi/types.h) with a static sentence for the user (the
// shape of Zircon's zx::result and SerenityOS's ErrorOr). The sentence is all a user sees
// of a refused table or message (the shim hands it to ti->error unchanged), so it travels
// up as it is. [[nodiscard]] on the type: a failure dropped on the floor does not compile
// (-Werror), wherever it is returned from.
//
// Freestanding: no <utility>, no exceptions. A Result copies its value bitwise, because
// what core/ returns through one is handles and numbers, and without std::move there is
// nothing cheaper to build a richer one on.
#pragma once
#include "abi/types.h"
#include "base/types.h"

namespace bc {

struct Error {
    int code;             // -BC_E*: never 0, which would read as success
    const char* message;  // static storage: it outlives every caller, the kernel log included
};

constexpr Error invalid(const char* message) { return Error{-BC_EINVAL, message}; }
constexpr Error out_of_memory(const char* message) { return Error{-BC_ENOMEM, message}; }

namespace detail {
// A value read from a failure, or a failure without an errno, is a bug in core/ with no
// safe way on; ud2 gives the kernel's BUG report (as runtime.cpp's pure virtual call does).
// In a constant expression the trap is a compile error instead.
constexpr void require(bool condition) {
    if (!condition)
        __builtin_trap();
}
}  // namespace detail

template <typename T> class [[nodiscard]] Result {
    static_assert(__is_trivially_copyable(T), "a Result holds handles and numbers (see above)");

public:
    // Implicit both ways, so a function says `return value;` or `return invalid("...");`.
    constexpr Result(T value) : code_(0), value_(value) {}
    constexpr Result(Error error) : code_(error.code), message_(error.message) { detail::require(code_ < 0); }

    constexpr bool ok() const { return code_ == 0; }
    constexpr const T& value() const {
        detail::require(ok());
        return value_;
    }
    constexpr Error error() const {
        detail::require(!ok());
        return Error{code_, message_};
    }
    // For a caller with nobody to tell why (a self test asserts on the fallback).
    constexpr T value_or(T fallback) const { return ok() ? value_ : fallback; }

private:
    int code_;
    union {
        T value_;
        const char* message_;
    };
};

// Success or an Error, nothing else: `return {};` succeeds.
template <> class [[nodiscard]] Result<void> {
public:
    constexpr Result() : code_(0), message_(nullptr) {}
    constexpr Result(Error error) : code_(error.code), message_(error.message) { detail::require(code_ < 0); }

    constexpr bool ok() const { return code_ == 0; }
    constexpr void value() const { detail::require(ok()); }  // for BC_TRY
    constexpr Error error() const {
        detail::require(!ok());
        return Error{code_, message_};
    }

private:
    int code_;
    const char* message_;
};

using Status = Result<void>;

// The extern "C" boundary's form of a Result (abi/types.h): 0 or the negative errno, and
// on failure the message in *error. The one place a Result becomes an int.
template <typename T> int to_abi(const Result<T>& result, const char** error) {
    if (result.ok())
        return 0;
    *error = result.error().message;
    return result.error().code;
}

}  // namespace bc

// `T value = BC_TRY(f());` / `BC_TRY(g());`: the value of a Result, or return its Error
// from the enclosing function (which returns any Result). A GNU statement expression, as
// the kernel's own macros use; it may not stand where a failure must first undo something
// (a half-built object): there the caller tests ok() itself.
#define BC_TRY(expr)                             \
    ({                                           \
        const auto bc_try_result_ = (expr);      \
        if (!bc_try_result_.ok())                \
            return bc_try_result_.error();       \
        bc_try_result_.value();                  \
    })
