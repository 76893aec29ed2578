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
// Every bound is abi/limits.h's.
#pragma once
#include "abi/table.h"
#include "base/result.h"
#include "base/types.h"

namespace bc {

Status parse_table(unsigned argc, char** argv, bc_table* table);

// The name a feature is written with, for echoing the table.
const char* feature_name(bc_feature feature);
const char* layout_name(bc_layout layout);

}  // namespace bc
