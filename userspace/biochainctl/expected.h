// A value or the sentence that says why there is none. The pure parts of biochainctl
// (parsers, the table builder) return one of these instead of throwing, so the unit tests
// can check every refusal's wording and the commands decide what a refusal costs (exit 2
// for a bad argument, 1 for something the system did).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ctl {

struct Error {
    std::string message;
};

template <class T>
class Expected {
public:
    Expected(T value) : state_(std::move(value)) {}
    Expected(Error error) : state_(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }
    const T& value() const { return std::get<T>(state_); }
    T& value() { return std::get<T>(state_); }
    const T& operator*() const { return value(); }
    const T* operator->() const { return &value(); }
    const std::string& error() const { return std::get<Error>(state_).message; }

private:
    std::variant<T, Error> state_;
};

}  // namespace ctl
