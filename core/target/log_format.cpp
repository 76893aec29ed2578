#include "target/log_format.h"

namespace bc {
namespace {

constexpr u64 kLogMagic = 0x31474f4c52494d42ull;  // "BMIRLOG1" read as little-endian bytes

// The header's fields at fixed offsets of its block; the CRC covers [0, kCrcAt).
constexpr usize kMagicAt = 0, kVersionAt = 8, kSeqAt = 16, kTargetSectorsAt = 24, kRegionSectorsAt = 32,
                kNrRegionsAt = 40, kNrLegsAt = 48, kFailedAt = 52, kResyncingAt = 56, kLegIdsAt = 64,
                kLegOffsetsAt = kLegIdsAt + 8 * BC_MAX_LEGS, kCrcAt = kLegOffsetsAt + 8 * BC_MAX_LEGS;
static_assert(kCrcAt + 4 <= kLogBlockBytes, "the header fits its block");

void put64(u8* at, u64 v) { store_le64(at, v); }
void put32(u8* at, u32 v) {
    for (unsigned i = 0; i < 4; ++i)
        at[i] = u8(v >> (8 * i));
}
u64 get64(const u8* at) { return load_le64(at); }
u32 get32(const u8* at) {
    u32 v = 0;
    for (unsigned i = 0; i < 4; ++i)
        v |= u32(at[i]) << (8 * i);
    return v;
}

u32 header_crc(const u8* block) { return crc32c(~0u, block, kCrcAt) ^ ~0u; }

enum class Copy { blank, corrupt, valid };

// One copy: blank (no magic: never written), corrupt (the magic, but a wrong checksum,
// version or field), or valid and decoded into *header.
Copy decode_copy(const u8* block, LogHeader* header) {
    if (get64(block + kMagicAt) != kLogMagic)
        return Copy::blank;
    if (get32(block + kCrcAt) != header_crc(block) || get32(block + kVersionAt) != kLogVersion)
        return Copy::corrupt;
    LogHeader h{};
    h.seq = get64(block + kSeqAt);
    h.target_sectors = get64(block + kTargetSectorsAt);
    h.region_sectors = get32(block + kRegionSectorsAt);
    h.nr_regions = get64(block + kNrRegionsAt);
    h.nr_legs = get32(block + kNrLegsAt);
    h.failed = get32(block + kFailedAt);
    h.resyncing = get32(block + kResyncingAt);
    if (h.nr_legs > BC_MAX_LEGS || !h.region_sectors || !h.nr_regions)
        return Copy::corrupt;
    for (unsigned leg = 0; leg < BC_MAX_LEGS; ++leg) {
        h.leg_ids[leg] = get64(block + kLegIdsAt + 8 * leg);
        h.leg_offsets[leg] = get64(block + kLegOffsetsAt + 8 * leg);
    }
    *header = h;
    return Copy::valid;
}

}  // namespace

u32 crc32c(u32 crc, const u8* data, usize length) {
    for (usize i = 0; i < length; ++i) {
        crc ^= data[i];
        for (unsigned bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    }
    return crc;
}

void encode_log_header(const LogHeader& header, u8* block) {
    for (usize i = 0; i < kLogBlockBytes; ++i)
        block[i] = 0;
    put64(block + kMagicAt, kLogMagic);
    put32(block + kVersionAt, kLogVersion);
    put64(block + kSeqAt, header.seq);
    put64(block + kTargetSectorsAt, header.target_sectors);
    put32(block + kRegionSectorsAt, header.region_sectors);
    put64(block + kNrRegionsAt, header.nr_regions);
    put32(block + kNrLegsAt, header.nr_legs);
    put32(block + kFailedAt, header.failed);
    put32(block + kResyncingAt, header.resyncing);
    for (unsigned leg = 0; leg < BC_MAX_LEGS; ++leg) {
        put64(block + kLegIdsAt + 8 * leg, header.leg_ids[leg]);
        put64(block + kLegOffsetsAt + 8 * leg, header.leg_offsets[leg]);
    }
    put32(block + kCrcAt, header_crc(block));
}

Result<LogRead> decode_log_header(const u8* copy0, const u8* copy1, LogHeader* header) {
    LogHeader h0{}, h1{};
    const Copy c0 = decode_copy(copy0, &h0), c1 = decode_copy(copy1, &h1);
    if (c0 == Copy::valid && (c1 != Copy::valid || h0.seq >= h1.seq)) {
        *header = h0;
        return LogRead::valid;
    }
    if (c1 == Copy::valid) {
        *header = h1;
        return LogRead::valid;
    }
    // Copy 1 holds the first header ever written (seq 1): torn beside a blank copy 0, it
    // was the format's own write, before any data write, and recorded nothing.
    if (c0 == Copy::blank && c1 != Copy::valid)
        return LogRead::blank;
    return invalid("log: corrupt header (checksum or version): not overwritten");
}

Status check_log_geometry(const LogHeader& header, bc_sector_t target_sectors, u32 region_sectors, u64 nr_regions) {
    if (header.region_sectors != region_sectors)
        return invalid("log: written for another region_size: not overwritten");
    if (header.target_sectors != target_sectors || header.nr_regions != nr_regions)
        return invalid("log: written for a device of another length: not overwritten");
    return {};
}

}  // namespace bc
