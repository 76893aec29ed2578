// The two ways a command fails, by what the caller should do about it (the exit status):
// UsageError is the caller's mistake (exit 2, one line), Failure is the system's answer
// (exit 1: the kernel refused, a device went away, a self test failed).
#pragma once

#include <stdexcept>
#include <string>

namespace ctl {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// A bad argument. The message is one line, without the "biochainctl: " prefix.
class UsageError : public std::runtime_error {
public:
    explicit UsageError(const std::string& what) : std::runtime_error(what) {}
};

// A runtime failure. The message may span lines: each is printed with the prefix.
class Failure : public std::runtime_error {
public:
    explicit Failure(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace ctl
