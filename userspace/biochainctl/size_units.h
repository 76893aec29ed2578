// Sizes and counts as biochainctl reads and writes them.
//
// A SIZE (or OFFSET) is a byte count: plain decimal digits, optionally followed by one
// suffix: s (512-byte sectors), k/K (KiB), m/M (MiB), g/G (GiB), t/T (TiB). So "4096",
// "8s", "4k" and "4K" are the same size. Bytes by default because that is what every other
// tool (blockdev --getsize64, truncate, fio) speaks; the table itself is in sectors and the
// table builder converts, refusing what is not whole sectors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "expected.h"

namespace ctl {

using u64 = std::uint64_t;

constexpr u64 kSectorBytes = 512;

// "64k" -> 65536. No sign, no "0x", no fraction, no space; overflow is refused.
Expected<u64> parse_size(std::string_view text);

// Plain decimal in [min, max]; `what` names the value in the refusal ("--reserve").
Expected<u64> parse_count(std::string_view text, u64 min, u64 max, std::string_view what);

// Exact, for messages about a size the user gave: "64 KiB", "1 GiB", "1000 bytes".
std::string exact_bytes(u64 bytes);

// Rounded to one decimal, for people reading a listing: "1023.5 MiB", "4 GiB".
std::string human_bytes(u64 bytes);

}  // namespace ctl
