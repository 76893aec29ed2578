// Divisor: n / d and n % d for a d fixed when a table is loaded, without a divide
// instruction. The arithmetic is stripe_math.h's C inlines (the kernel shim runs the same
// ones); this class prepares their parameters, once, and gives them a C++ face.
#pragma once
#include "abi/stripe_math.h"
#include "base/types.h"

namespace bc {

class Divisor {
public:
    constexpr Divisor() = default;  // d = 1

    // d >= 1 (0 is treated as 1: a divisor the table parser can never produce).
    explicit constexpr Divisor(u64 d) {
        raw_.value = d ? d : 1;
        const u64 value = raw_.value;
        if ((value & (value - 1)) == 0) {
            raw_.shift = u8(__builtin_ctzll(value));
            raw_.power_of_two = 1;
            return;
        }
        // l = ceil(log2 d); m' = floor(2^64 (2^l - d) / d) + 1; (2^l - d) < d, so the
        // quotient fits in 64 bits. l is 64 only for d > 2^63, where 2^l - d wraps to the
        // same value mod 2^64 as the true 2^64 - d.
        const unsigned l = 64 - unsigned(__builtin_clzll(value - 1));
        const u64 high = (l == 64 ? 0 : u64{1} << l) - value;
        raw_.multiplier = shifted_quotient(high, value) + 1;
        raw_.shift = u8(l - 1);
        raw_.power_of_two = 0;
    }

    u64 value() const { return raw_.value; }
    u64 quotient(u64 n) const { return bc_divisor_quotient(&raw_, n); }
    u64 remainder(u64 n, u64 quotient) const { return bc_divisor_remainder(&raw_, n, quotient); }

    // The prepared parameters, for stripe_math.h's functions.
    const bc_divisor& raw() const { return raw_; }

private:
    // floor(high * 2^64 / d) for high < d: restoring long division, a bit at a time.
    static constexpr u64 shifted_quotient(u64 high, u64 d) {
        u64 r = high, q = 0;
        for (int bit = 0; bit < 64; ++bit) {
            const bool carry = r >> 63;  // 2r >= 2^64 > d
            r <<= 1;
            q <<= 1;
            if (carry || r >= d) {
                r -= d;  // modulo 2^64: the true 2r - d is below d
                q |= 1;
            }
        }
        return q;
    }

    bc_divisor raw_{1, 0, 0, 1};
};

}  // namespace bc
