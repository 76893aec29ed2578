// The kernel's own words about a refusal. A table the target refuses comes back from the
// ioctl as a bare EINVAL; the reason ("biochain: Device too small for target") is only in
// the kernel log. A cursor opened on /dev/kmsg before the ioctl reads what was logged
// after it, so biochainctl can print the reason instead of "see dmesg".
#pragma once

#include <string>
#include <vector>

namespace ctl {

class KernelLogCursor {
public:
    KernelLogCursor();  // positioned at the end of the log; unusable without /dev/kmsg rights
    ~KernelLogCursor();
    KernelLogCursor(const KernelLogCursor&) = delete;
    KernelLogCursor& operator=(const KernelLogCursor&) = delete;

    bool usable() const { return fd_ >= 0; }
    // Messages logged since the cursor was opened (or last read) that mention device-mapper.
    std::vector<std::string> device_mapper_messages();

private:
    int fd_ = -1;
};

}  // namespace ctl
