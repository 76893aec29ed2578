#include "selftest_kernel.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "block_device.h"
#include "cli_error.h"

namespace ctl {
namespace {

constexpr const char* kModuleDir = "/sys/module/biochain";
constexpr const char* kScratchParameter = "/sys/module/biochain/parameters/selftest_dev";
constexpr const char* kDebugfs = "/sys/kernel/debug";
constexpr const char* kSelftestFile = "/sys/kernel/debug/biochain/selftest";
constexpr const char* kKunitFile = "/sys/kernel/debug/biochain/kunit";
constexpr const char* kKunitDir = "/sys/kernel/debug/kunit";

bool debugfs_mounted() {
    std::ifstream mounts("/proc/mounts");
    std::string device, mount_point, type, rest;
    while (mounts >> device >> mount_point >> type && std::getline(mounts, rest))
        if (mount_point == kDebugfs && type == "debugfs")
            return true;
    return false;
}

void write_file(const char* path, const std::string& text, const std::string& what) {
    const int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        throw Failure(fmt::format("{}: cannot open {}: {}", what, path, std::strerror(errno)));
    const ssize_t written = write(fd, text.data(), text.size());
    const int saved_errno = errno;
    close(fd);
    if (written < 0 && saved_errno == EBUSY)
        throw Failure(fmt::format("{}: a self-test run is already in progress", what));
    if (written < 0)
        throw Failure(fmt::format("{}: writing {} failed: {}", what, path, std::strerror(saved_errno)));
    if (std::size_t(written) != text.size())
        throw Failure(fmt::format("{}: short write to {}", what, path));
}

std::string read_file(const char* path, const std::string& what) {
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Failure(fmt::format("{}: cannot open {}: {}", what, path, std::strerror(errno)));
    std::string text;
    char buffer[65536];
    for (;;) {
        const ssize_t n = read(fd, buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int saved_errno = errno;
            close(fd);
            throw Failure(fmt::format("{}: reading {} failed: {}", what, path, std::strerror(saved_errno)));
        }
        if (n == 0)
            break;
        text.append(buffer, std::size_t(n));
    }
    close(fd);
    return text;
}

}  // namespace

SelftestKernel::SelftestKernel() {
    struct stat st {};
    if (stat(kModuleDir, &st) != 0)
        throw Failure("the biochain module is not loaded (insmod biochain.ko first)");
    if (!debugfs_mounted() && mount("debugfs", kDebugfs, "debugfs", 0, nullptr) != 0)
        throw Failure(fmt::format("cannot mount debugfs at {}: {}", kDebugfs, std::strerror(errno)));
    if (stat(kSelftestFile, &st) != 0)
        throw Failure(fmt::format("this biochain module has no self tests ({} is missing)", kSelftestFile));
}

std::string SelftestKernel::scratch_device() const {
    struct stat st {};
    if (stat(kScratchParameter, &st) != 0)
        return "";
    std::string value = read_file(kScratchParameter, "selftest_dev");
    while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
        value.pop_back();
    return value == "(null)" ? "" : value;
}

void SelftestKernel::set_scratch_device(const std::string& path) {
    const BlockDevice device = probe_block_device("selftest", path);
    // The suites write to it: refuse a device something else holds (mounted, or under
    // device-mapper or md), which an exclusive open would find busy.
    const int fd = open(path.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
    if (fd < 0 && errno == EBUSY)
        throw Failure(fmt::format("selftest: {}: in use (mounted, or held by another device); the self tests write to it",
                                  path));
    if (fd >= 0)
        close(fd);
    struct stat st {};
    if (stat(kScratchParameter, &st) != 0)
        throw Failure(fmt::format("this biochain module has no {} parameter", kScratchParameter));
    // No newline: a string module parameter keeps whatever it is given.
    write_file(kScratchParameter, device.path, "selftest_dev");
}

std::string SelftestKernel::run(const std::string& filter) {
    write_file(kSelftestFile, filter + "\n", "selftest");
    return read_file(kSelftestFile, "selftest");
}

bool SelftestKernel::has_kunit() const {
    struct stat st {};
    return stat(kKunitFile, &st) == 0 && stat(kKunitDir, &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<KunitResultsFile> SelftestKernel::run_kunit(const std::string& filter) {
    struct stat st {};
    if (stat(kKunitFile, &st) != 0)
        throw Failure(fmt::format("selftest --kunit: {} is missing: this kernel has no KUnit (CONFIG_KUNIT), or "
                                  "the module was built without it",
                                  kKunitFile));
    if (stat(kKunitDir, &st) != 0)
        throw Failure(fmt::format("selftest --kunit: {} is missing: this kernel keeps no KUnit results in debugfs "
                                  "(CONFIG_KUNIT_DEBUGFS)",
                                  kKunitDir));
    write_file(kKunitFile, filter + "\n", "selftest --kunit");
    std::vector<KunitResultsFile> files;
    const std::string names = read_file(kKunitFile, "selftest --kunit");
    for (std::size_t at = 0, end; at < names.size(); at = end + 1) {
        end = names.find('\n', at);
        if (end == std::string::npos)
            end = names.size();
        if (end == at)
            continue;
        KunitResultsFile file;
        file.suite = names.substr(at, end - at);
        file.path = fmt::format("{}/{}/results", kKunitDir, file.suite);
        // KUnit did not run what it registered (booted with kunit.enable=0): no results.
        if (stat(file.path.c_str(), &st) != 0)
            throw Failure(fmt::format("selftest --kunit: KUnit registered {} but keeps no {} (is KUnit disabled, "
                                      "kunit.enable=0?)",
                                      file.suite, file.path));
        file.text = read_file(file.path.c_str(), "selftest --kunit");
        files.push_back(std::move(file));
    }
    return files;
}

void check_filter(const std::string& filter) {
    if (filter.empty())
        throw UsageError("selftest: --filter is empty (use '*' for every test)");
    // The module takes one write of less than 128 bytes, newline included.
    if (filter.size() > 126)
        throw UsageError("selftest: --filter is longer than 126 characters");
    for (char c : filter)
        if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f)
            throw UsageError("selftest: --filter contains a space or a control character");
    if (filter.find('.') != filter.rfind('.'))
        throw UsageError(fmt::format("selftest: --filter '{}' has more than one '.' (suite_glob[.case_glob])", filter));
}

}  // namespace ctl
