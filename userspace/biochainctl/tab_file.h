// /etc/biochaintab: the devices `biochainctl activate` creates at boot, one a line, in
// `biochainctl create`'s own words, as /etc/crypttab and mdadm.conf name theirs:
//
//     # NAME   what follows NAME in `biochainctl create`
//     data     --layout mirror --log /dev/disk/by-id/nvme-log:0 /dev/disk/by-id/ata-A /dev/disk/by-id/ata-B
//
// Words are separated by blanks; '#' at the start of a word begins a comment to the end of
// the line. Nothing here touches a device: the entries are checked as `create` checks its
// arguments when they are activated.
#pragma once

#include <string>
#include <vector>

#include "expected.h"

namespace ctl {

constexpr const char* kDefaultTabPath = "/etc/biochaintab";

struct TabEntry {
    std::string name;                // the device's name (/dev/mapper/NAME)
    std::vector<std::string> words;  // create's arguments after NAME
    unsigned line = 0;               // where it is, for messages
};

// The entries of a tab file's text, in order; the first bad line's message otherwise
// ("PATH:LINE: ..."): a name create would refuse, a name given twice, a line with a name
// and nothing after it.
Expected<std::vector<TabEntry>> parse_tab(const std::string& text, const std::string& path);

// The file read and parsed; a file that cannot be read is a message too.
Expected<std::vector<TabEntry>> read_tab(const std::string& path);

}  // namespace ctl
