// A lower device as `create` sees it before asking the kernel: that it exists, that it is
// a block device, its size (BLKGETSIZE64) and logical block size (BLKSSZGET).
#pragma once

#include <string>

#include "size_units.h"

namespace ctl {

struct BlockDevice {
    std::string path;
    unsigned major = 0;
    unsigned minor = 0;
    u64 size_bytes = 0;
    unsigned logical_block_size = 512;

    std::string table_name() const;  // "major:minor", how the table names it
};

// A path that is missing or not a block device is the user's mistake (UsageError); one
// that cannot be opened or measured is the system's answer (Failure). `command` starts
// the messages ("create: /dev/sdx: no such device").
BlockDevice probe_block_device(const std::string& command, const std::string& path);

bool path_exists(const std::string& path);

// "vda" for "254:0", from /sys/dev/block; the major:minor itself if sysfs does not know it.
std::string kernel_name_of(const std::string& major_minor);

}  // namespace ctl
