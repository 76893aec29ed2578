// The device-mapper ioctls biochainctl needs, through libdevmapper (the library dmsetup
// uses, so device nodes and udev are handled the same way). Every refusal becomes a
// Failure carrying libdevmapper's message and, when /dev/kmsg can be read, the kernel's
// own reason from its log; otherwise a pointer to `dmesg | tail`.
#pragma once

#include <string>
#include <vector>

#include "size_units.h"

namespace ctl {

struct DmTarget {
    u64 start = 0;
    u64 length = 0;
    std::string type;
    std::string params;
};

struct DmDevice {
    std::string name;
    std::vector<DmTarget> targets;
};

class DeviceMapper {
public:
    DeviceMapper();  // routes libdevmapper's log into the Failure messages

    void create(const std::string& name, u64 sectors, const std::string& params);
    void remove(const std::string& name);
    std::vector<std::string> names();
    std::vector<DmTarget> table(const std::string& name);
    std::vector<DmTarget> status(const std::string& name);
    // Sends "words" to sector 0; returns the target's answer (empty for biochain's messages).
    std::string message(const std::string& name, const std::string& words);

    // The live table of NAME, or a Failure if there is no such device or it is not a
    // biochain device (one biochain target): biochainctl leaves other devices alone.
    DmTarget biochain_table(const std::string& name);
    bool is_biochain(const std::vector<DmTarget>& targets) const;
    bool exists(const std::string& name);
};

}  // namespace ctl
