// Test helper: the value of a bc::Result a test cannot go on without. A failure ends the
// test case with the Result's own message, which says more than "ok() was false".
#pragma once
#include <catch2/catch.hpp>

#include "base/result.h"

template <typename T> T require_ok(const bc::Result<T>& result) {
    if (!result.ok())
        FAIL("failed: " << result.error().message << " (" << result.error().code << ")");
    return result.value();
}

inline void require_ok(const bc::Status& status) {
    if (!status.ok())
        FAIL("failed: " << status.error().message << " (" << status.error().code << ")");
}
