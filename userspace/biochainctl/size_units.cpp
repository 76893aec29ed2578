#include "size_units.h"

#include <fmt/format.h>

namespace ctl {
namespace {

constexpr u64 kU64Max = ~u64(0);

struct Unit {
    char suffix;
    u64 bytes;
    const char* name;
};

// Largest first: exact_bytes and human_bytes pick the first unit that fits.
constexpr Unit kUnits[] = {
    {'t', u64(1) << 40, "TiB"},
    {'g', u64(1) << 30, "GiB"},
    {'m', u64(1) << 20, "MiB"},
    {'k', u64(1) << 10, "KiB"},
};

bool parse_digits(std::string_view text, u64* value) {
    if (text.empty())
        return false;
    u64 v = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return false;
        const u64 digit = u64(c - '0');
        if (v > (kU64Max - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    *value = v;
    return true;
}

bool all_digits(std::string_view text) {
    for (char c : text)
        if (c < '0' || c > '9')
            return false;
    return !text.empty();
}

}  // namespace

Expected<u64> parse_size(std::string_view text) {
    if (text.empty())
        return Error{"empty size"};
    u64 multiplier = 1;
    std::string_view digits = text;
    const char last = text.back();
    if (last < '0' || last > '9') {
        digits.remove_suffix(1);
        const char lower = char(last >= 'A' && last <= 'Z' ? last - 'A' + 'a' : last);
        multiplier = 0;
        if (lower == 's')
            multiplier = kSectorBytes;
        for (const Unit& unit : kUnits)
            if (unit.suffix == lower)
                multiplier = unit.bytes;
        if (multiplier == 0)
            return Error{fmt::format("'{}': unknown size suffix '{}' (use s, k, m, g or t)", text, last)};
    }
    if (!all_digits(digits))
        return Error{fmt::format("'{}' is not a size (decimal digits and an optional s/k/m/g/t)", text)};
    u64 value = 0;
    if (!parse_digits(digits, &value) || (value != 0 && value > kU64Max / multiplier))
        return Error{fmt::format("'{}' is too large", text)};
    return value * multiplier;
}

Expected<u64> parse_count(std::string_view text, u64 min, u64 max, std::string_view what) {
    if (!all_digits(text))
        return Error{fmt::format("{}: '{}' is not a number", what, text)};
    u64 value = 0;
    if (!parse_digits(text, &value) || value > max)
        return Error{fmt::format("{}: {} is too large (at most {})", what, text, max)};
    if (value < min)
        return Error{fmt::format("{}: {} is too small (at least {})", what, text, min)};
    return value;
}

std::string exact_bytes(u64 bytes) {
    if (bytes != 0)
        for (const Unit& unit : kUnits)
            if (bytes % unit.bytes == 0)
                return fmt::format("{} {}", bytes / unit.bytes, unit.name);
    return fmt::format("{} bytes", bytes);
}

std::string human_bytes(u64 bytes) {
    for (const Unit& unit : kUnits) {
        if (bytes < unit.bytes)
            continue;
        // Tenths in integers: no floating-point rounding surprises at unit boundaries.
        const u64 tenths = bytes / (unit.bytes / 1024) * 10 / 1024;
        if (tenths % 10 == 0)
            return fmt::format("{} {}", tenths / 10, unit.name);
        return fmt::format("{}.{} {}", tenths / 10, tenths % 10, unit.name);
    }
    return fmt::format("{} B", bytes);
}

}  // namespace ctl
