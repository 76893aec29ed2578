// Divisor: n / d and n % d for a d fixed when a table is loaded, without a divide
// instruction.
//
// Every striped bio divides its sector by the chunk size and the chunk index by the leg
// count. dm-stripe shifts when those are powers of two and otherwise calls sector_div, a
// 64-bit `div` (tens of cycles on common x86 cores, a helper call under emulation); three
// legs, the usual odd stripe, pays it on every bio. Here a power of two is a shift and a
// mask, and anything else a 64x64->128 multiply and two shifts (Granlund and Montgomery,
// "Division by invariant integers using multiplication", PLDI 1994, figure 4.1), exact
// for every 64-bit n and every d >= 1. The multiplier is found once, by long division.
#pragma once
#include "types.h"

namespace bc {

class Divisor {
public:
    constexpr Divisor() = default;  // d = 1

    // d >= 1 (0 is treated as 1: a divisor the table parser can never produce).
    explicit constexpr Divisor(u64 d) : d_(d ? d : 1) {
        if ((d_ & (d_ - 1)) == 0) {
            shift_ = u8(__builtin_ctzll(d_));
            power_of_two_ = true;
            return;
        }
        // l = ceil(log2 d); m' = floor(2^64 (2^l - d) / d) + 1; (2^l - d) < d, so the
        // quotient fits in 64 bits. l is 64 only for d > 2^63, where 2^l - d wraps to the
        // same value mod 2^64 as the true 2^64 - d.
        const unsigned l = 64 - unsigned(__builtin_clzll(d_ - 1));
        const u64 high = (l == 64 ? 0 : u64{1} << l) - d_;
        multiplier_ = shifted_quotient(high, d_) + 1;
        shift_ = u8(l - 1);
        power_of_two_ = false;
    }

    u64 value() const { return d_; }

    u64 quotient(u64 n) const {
        if (power_of_two_)
            return n >> shift_;
        const u64 t = multiply_high(multiplier_, n);
        return (t + ((n - t) >> 1)) >> shift_;
    }

    u64 remainder(u64 n, u64 quotient) const {
        return power_of_two_ ? n & (d_ - 1) : n - quotient * d_;
    }

private:
    // The high half of the 128-bit product. Not through unsigned __int128: the kernel builds
    // with an 8-byte stack alignment, and a 16-byte-aligned type in a function makes GCC
    // realign its stack, on the map path of every bio.
    static u64 multiply_high(u64 a, u64 b) {
#if defined(__x86_64__)
        u64 low, high;
        asm("mulq %3" : "=a"(low), "=d"(high) : "%0"(a), "rm"(b) : "cc");
        return high;
#else
        const u64 a_lo = a & 0xffffffffu, a_hi = a >> 32, b_lo = b & 0xffffffffu, b_hi = b >> 32;
        const u64 lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
        const u64 middle = (lo_lo >> 32) + (hi_lo & 0xffffffffu) + lo_hi;
        return hi_hi + (hi_lo >> 32) + (middle >> 32);
#endif
    }

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

    u64 d_ = 1;
    u64 multiplier_ = 0;
    u8 shift_ = 0;
    bool power_of_two_ = true;
};

}  // namespace bc
