#include "block_device.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "cli_error.h"

namespace ctl {

std::string BlockDevice::table_name() const { return fmt::format("{}:{}", major, minor); }

BlockDevice probe_block_device(const std::string& command, const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            throw UsageError(fmt::format("{}: {}: no such device", command, path));
        throw Failure(fmt::format("{}: {}: {}", command, path, std::strerror(errno)));
    }
    if (!S_ISBLK(st.st_mode))
        throw UsageError(fmt::format("{}: {}: not a block device", command, path));

    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Failure(fmt::format("{}: {}: cannot open: {}", command, path, std::strerror(errno)));
    BlockDevice device;
    device.path = path;
    device.major = major(st.st_rdev);
    device.minor = minor(st.st_rdev);
    int block_size = 0;
    const bool measured = ioctl(fd, BLKGETSIZE64, &device.size_bytes) == 0 && ioctl(fd, BLKSSZGET, &block_size) == 0;
    const int saved_errno = errno;
    close(fd);
    if (!measured)
        throw Failure(fmt::format("{}: {}: cannot read its size: {}", command, path, std::strerror(saved_errno)));
    if (block_size < 512 || (block_size & (block_size - 1)))
        throw Failure(fmt::format("{}: {}: odd logical block size {}", command, path, block_size));
    device.logical_block_size = unsigned(block_size);
    return device;
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

std::string kernel_name_of(const std::string& major_minor) {
    char target[4096];
    const std::string link = "/sys/dev/block/" + major_minor;
    const ssize_t length = readlink(link.c_str(), target, sizeof(target) - 1);
    if (length <= 0)
        return major_minor;
    const std::string resolved(target, std::size_t(length));
    const std::size_t slash = resolved.rfind('/');
    return slash == std::string::npos ? resolved : resolved.substr(slash + 1);
}

}  // namespace ctl
