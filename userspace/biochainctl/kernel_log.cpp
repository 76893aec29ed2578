#include "kernel_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace ctl {

KernelLogCursor::KernelLogCursor() {
    fd_ = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ >= 0 && lseek(fd_, 0, SEEK_END) < 0) {
        close(fd_);
        fd_ = -1;
    }
}

KernelLogCursor::~KernelLogCursor() {
    if (fd_ >= 0)
        close(fd_);
}

std::vector<std::string> KernelLogCursor::device_mapper_messages() {
    std::vector<std::string> messages;
    if (fd_ < 0)
        return messages;
    // One record per read: "<prio>,<seq>,<usec>,<flags>[,...];<message>\n[ KEY=value\n...]".
    char record[8192];
    for (;;) {
        const ssize_t n = read(fd_, record, sizeof(record) - 1);
        if (n < 0 && errno == EPIPE)
            continue;  // records were overwritten under us: go on with the next
        if (n <= 0)
            break;
        const std::string text(record, std::size_t(n));
        const std::size_t start = text.find(';');
        if (start == std::string::npos)
            continue;
        std::string message = text.substr(start + 1, text.find('\n', start) - start - 1);
        if (message.find("device-mapper") != std::string::npos || message.find("biochain") != std::string::npos)
            messages.push_back(std::move(message));
    }
    return messages;
}

}  // namespace ctl
