// TableParser: one `dmsetup` table line (the words after the target name) -> bc_table.
// Pure: no device is opened here. Every malformed line is refused with its own message,
// because that message is all a user sees of the failure (`device-mapper: table: ...`).
//
//   <layout> <layout args...> [<#features> <feature words...>]
//     linear  <dev> <offset>
//     striped <#devs> <chunk_sectors> <dev> <offset> ...
//     mirror  <#devs> <dev> <offset> ...
//   features (counted in words): reserve <n> | max_child_sectors <n> |
//     max_child_segments <n> | no_rescuer | fail_alloc <percent> | inline_children <n> |
//     region_size <sectors> (mirror; a power of two) | nosync (mirror) |
//     log <dev> <offset> (mirror: the on-disk region log)
// Every bound is abi/limits.h's.
#pragma once
#include "abi/table.h"
#include "base/result.h"
#include "base/types.h"

namespace bc {

Status parse_table(unsigned argc, char** argv, bc_table* table);

// Child objects in each DM clone's per-bio data when the table does not say: one per leg
// beside the one the clone writes or reads itself (a mirror write's copies, the next pieces
// of a split), at most BC_INLINE_CHILDREN_MAX; none for a table that never makes a child
// (one leg, linear or striped, without a child limit), whose clones would carry them for
// nothing.
unsigned default_inline_children(const bc_table& table);

// The name a feature is written with, for echoing the table, and how many values follow
// it (0, 1, or 2 for `log <dev> <offset>`).
const char* feature_name(bc_feature feature);
unsigned feature_values(bc_feature feature);
const char* layout_name(bc_layout layout);

}  // namespace bc
