// Device names are checked before libdevmapper sees them, so a bad one is a usage error
// (exit 2) rather than a refused ioctl.
#include <fmt/format.h>

#include "cli_error.h"
#include "commands.h"

namespace ctl {

void check_device_name(const std::string& command, const std::string& name) {
    // DM_NAME_LEN is 128 with the terminating NUL; the name becomes /dev/mapper/NAME.
    if (name.empty() || name.size() > 127)
        throw UsageError(fmt::format("{}: the device name must be 1 to 127 characters", command));
    if (name == "." || name == ".." || name.find('/') != std::string::npos)
        throw UsageError(fmt::format("{}: '{}' cannot be a device name (no '/', not '.' or '..')", command, name));
    for (char c : name)
        if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f)
            throw UsageError(fmt::format("{}: the device name contains a space or a control character", command));
}

}  // namespace ctl
