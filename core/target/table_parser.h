// TableParser: one `dmsetup` table line (the words after the target name) -> bc_table.
// Pure: no device is opened here. Every malformed line is refused with its own message,
// because that message is all a user sees of the failure (`device-mapper: table: ...`).
//
//   <layout> <layout args...> [<#features> <feature words...>]
//     linear  <dev> <offset>
//     striped <#devs> <chunk_sectors> <dev> <offset> ...
//     mirror  <#devs> <dev> <offset> ...
//   features (counted in words): reserve <n> | max_child_sectors <n> |
//     max_child_segments <n> | no_rescuer | fail_alloc <percent>
#pragma once
#include "abi/table.h"
#include "base/result.h"
#include "base/types.h"

namespace bc {

constexpr unsigned kDefaultReserve = 16;
constexpr unsigned kMaxReserve = 4096;
constexpr unsigned kMinChunkSectors = 8;
constexpr unsigned kMaxChunkSectors = 1u << 30;
constexpr unsigned kMaxChildSegments = 256;  // BIO_MAX_VECS

Status parse_table(unsigned argc, char** argv, bc_table* table);

// The name a feature is written with, for echoing the table.
const char* feature_name(bc_feature feature);
const char* layout_name(bc_layout layout);

}  // namespace bc
