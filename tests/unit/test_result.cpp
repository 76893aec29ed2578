// bc::Result (core/base/result.h): core/'s one failure type and its one conversion to the
// extern "C" boundary's int and message.
#include <catch2/catch.hpp>

#include <string>

#include "base/result.h"

using bc::Result;
using bc::Status;

namespace {

Result<int> half(int n) {
    if (n % 2)
        return bc::invalid("odd");
    return n / 2;
}

Result<int*> find(int* slot, bool present) {
    if (!present)
        return bc::out_of_memory("none left");
    return slot;
}

Status check_even(int n) {
    if (n % 2)
        return bc::invalid("odd");
    return {};
}

// Halves twice; the first failure is returned as it is, message and code.
Result<int> quarter(int n) {
    const int h = BC_TRY(half(n));
    return BC_TRY(half(h));
}

Status both_even(int a, int b) {
    BC_TRY(check_even(a));
    BC_TRY(check_even(b));
    return {};
}

int calls = 0;
Status counted(bool fail) {
    ++calls;
    return fail ? Status(bc::invalid("stop")) : Status();
}

// Stops at the first failure: the calls after it never run.
Status three(bool fail_second) {
    BC_TRY(counted(false));
    BC_TRY(counted(fail_second));
    BC_TRY(counted(false));
    return {};
}

}  // namespace

TEST_CASE("a Result holds the value or the error, never both") {
    const Result<int> good = half(8);
    REQUIRE(good.ok());
    CHECK(good.value() == 4);

    const Result<int> bad = half(7);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == -BC_EINVAL);
    CHECK(std::string(bad.error().message) == "odd");
}

TEST_CASE("a Result of a pointer may hold a null pointer as its value") {
    int x = 0;
    CHECK(find(&x, true).value() == &x);
    const Result<int*> null = find(nullptr, true);
    CHECK(null.ok());
    CHECK(null.value() == nullptr);
    const Result<int*> none = find(&x, false);
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().code == -BC_ENOMEM);
    CHECK(std::string(none.error().message) == "none left");
}

TEST_CASE("value_or gives the value, or the fallback for a failure") {
    int x = 0;
    CHECK(find(&x, true).value_or(nullptr) == &x);
    CHECK(find(&x, false).value_or(nullptr) == nullptr);
    CHECK(half(7).value_or(-1) == -1);
}

TEST_CASE("Status is success or an error") {
    CHECK(check_even(2).ok());
    const Status odd = check_even(3);
    REQUIRE_FALSE(odd.ok());
    CHECK(odd.error().code == -BC_EINVAL);
    CHECK(std::string(odd.error().message) == "odd");
}

TEST_CASE("BC_TRY gives the value, or returns the first error unchanged") {
    CHECK(quarter(12).value() == 3);
    CHECK(std::string(quarter(7).error().message) == "odd");   // the first half
    CHECK(std::string(quarter(10).error().message) == "odd");  // the second: 5 is odd
    CHECK(both_even(2, 4).ok());
    CHECK(both_even(2, 5).error().code == -BC_EINVAL);

    calls = 0;
    CHECK(three(false).ok());
    CHECK(calls == 3);
    calls = 0;
    CHECK_FALSE(three(true).ok());
    CHECK(calls == 2);
}

TEST_CASE("to_abi: 0 and the message untouched, or the errno and its message") {
    const char* message = "untouched";
    CHECK(bc::to_abi(half(4), &message) == 0);
    CHECK(std::string(message) == "untouched");
    CHECK(bc::to_abi(check_even(0), &message) == 0);
    CHECK(std::string(message) == "untouched");

    CHECK(bc::to_abi(find(nullptr, false), &message) == -BC_ENOMEM);
    CHECK(std::string(message) == "none left");
    CHECK(bc::to_abi(check_even(1), &message) == -BC_EINVAL);
    CHECK(std::string(message) == "odd");
}

TEST_CASE("a Result is a constant expression, and costs two words") {
    constexpr Result<int> five = 5;
    STATIC_REQUIRE(five.ok());
    STATIC_REQUIRE(five.value() == 5);
    constexpr Status failed = bc::invalid("no");
    STATIC_REQUIRE(!failed.ok());
    STATIC_REQUIRE(failed.error().code == -BC_EINVAL);
    STATIC_REQUIRE(sizeof(Result<void*>) == 2 * sizeof(void*));
    STATIC_REQUIRE(sizeof(Status) == 2 * sizeof(void*));
}
