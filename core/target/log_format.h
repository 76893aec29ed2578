// The on-disk form of a mirror's region log (the table's `log <dev> <offset>`): what a
// crash leaves for the next activation to read.
//
// 4 KiB blocks from the table's offset on the log device:
//   block 0, block 1   the header, twice: each write of it goes to the copy not holding
//                      the newest, so a torn header write leaves the other copy whole
//                      (the newer valid copy is read: `seq` orders them);
//   block 2 ...        the dirty bitmap, a bit per region, 32768 regions a block, as the
//                      u64 words of little-endian memory: set, the region may differ
//                      between the live legs (a write to it may have been cut by a crash,
//                      or it is out of sync) and is resynced at the next activation.
// The header names the geometry (the log of another device, or of this one at another
// size or region size, is refused rather than overwritten), each leg by its identity and
// offset with its state (failed, resyncing), and carries a CRC-32C over its fields.
// Integers are little-endian; the format is versioned by `version`.
// The rules are md's write-intent bitmap (Neil Brown, md/bitmap.c, 2005) and dm-raid1's
// disk log (dm-log.c): a region's bit reaches the disk before the first write to it is
// issued; it is cleared lazily, once every write to it has ended and the legs have
// flushed them.
#pragma once
#include "abi/limits.h"
#include "abi/types.h"
#include "base/result.h"
#include "base/types.h"

namespace bc {

constexpr u32 kLogBlockBytes = 4096;
constexpr u32 kLogBlockSectors = kLogBlockBytes / 512;
constexpr u64 kLogRegionsPerBlock = u64(kLogBlockBytes) * 8;
constexpr u32 kLogHeaderCopies = 2;
constexpr u32 kLogVersion = 1;

// The header's fields, decoded.
struct LogHeader {
    u64 seq;  // which copy is newer
    bc_sector_t target_sectors;
    u32 region_sectors;
    u64 nr_regions;
    u32 nr_legs;
    u32 failed;     // leg mask
    u32 resyncing;  // leg mask: live, but holding only the regions not marked dirty
    u64 leg_ids[BC_MAX_LEGS];
    u64 leg_offsets[BC_MAX_LEGS];
};

// The disk's byte order (little-endian) for one 64-bit word; on a little-endian CPU one
// store or load (a pass copies a bitmap block of 512 of them).
inline void store_le64(u8* at, u64 v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    __builtin_memcpy(at, &v, 8);
#else
    for (unsigned i = 0; i < 8; ++i)
        at[i] = u8(v >> (8 * i));
#endif
}
inline u64 load_le64(const u8* at) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    u64 v;
    __builtin_memcpy(&v, at, 8);
    return v;
#else
    u64 v = 0;
    for (unsigned i = 0; i < 8; ++i)
        v |= u64(at[i]) << (8 * i);
    return v;
#endif
}

// The log's length in blocks, header copies and bitmap.
constexpr u64 log_bitmap_blocks(u64 nr_regions) { return (nr_regions + kLogRegionsPerBlock - 1) / kLogRegionsPerBlock; }
constexpr u64 log_blocks(u64 nr_regions) { return kLogHeaderCopies + log_bitmap_blocks(nr_regions); }

// header into one block (kLogBlockBytes, zero-filled past the fields).
void encode_log_header(const LogHeader& header, u8* block);

// What the two header blocks hold: blank (neither copy was ever written, or only the
// first header write, torn: a new log), or the newest valid copy; refused when a copy
// carries the magic but none is valid (a damaged log is never overwritten: the dirty
// regions it held would be lost). A device holding anything without the magic is
// blank: the table says the log is there.
enum class LogRead { blank, valid };
Result<LogRead> decode_log_header(const u8* copy0, const u8* copy1, LogHeader* header);

// The header's geometry against this table's: refused with the reason on a mismatch.
Status check_log_geometry(const LogHeader& header, bc_sector_t target_sectors, u32 region_sectors, u64 nr_regions);

// CRC-32C (Castagnoli), reflected, as the kernel's crc32c(): crc32c(~0, ...) ^ ~0 is the
// standard check value.
u32 crc32c(u32 crc, const u8* data, usize length);

}  // namespace bc
