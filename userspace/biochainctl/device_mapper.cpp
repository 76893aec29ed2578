#include "device_mapper.h"

#include <libdevmapper.h>
#include <syslog.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "cli_error.h"
#include "kernel_log.h"

namespace ctl {
namespace {

constexpr const char* kTargetType = "biochain";

// libdevmapper reports through a log callback, not through return values: keep its error
// lines so that the Failure can say what went wrong, and keep its chatter off stderr.
std::vector<std::string>& library_errors() {
    static std::vector<std::string> errors;
    return errors;
}

__attribute__((format(printf, 5, 6))) void capture_library_log(int level, const char* /*file*/, int /*line*/,
                                                                 int /*dm_errno_or_class*/, const char* format, ...) {
    // Levels are syslog's, with libdevmapper's flags (stderr, once) above them.
    if ((level & 7) > LOG_ERR)
        return;
    char text[1024];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof(text), format, args);
    va_end(args);
    library_errors().emplace_back(text);
}

using Task = std::unique_ptr<dm_task, decltype(&dm_task_destroy)>;

Task new_task(int type, const std::string& name) {
    Task task(dm_task_create(type), &dm_task_destroy);
    if (!task)
        throw Failure("libdevmapper: cannot create a task (out of memory?)");
    if (!name.empty() && !dm_task_set_name(task.get(), name.c_str()))
        throw Failure(fmt::format("libdevmapper: invalid device name '{}'", name));
    return task;
}

// Runs the task; on failure throws what libdevmapper and the kernel log said.
void run(dm_task* task, const std::string& what, KernelLogCursor* log) {
    library_errors().clear();
    if (dm_task_run(task))
        return;
    std::string message = what;
    const int error = dm_task_get_errno(task);
    if (error)
        message += fmt::format(": {}", std::strerror(error));
    for (const std::string& line : library_errors())
        message += "\n" + line;
    const std::vector<std::string> kernel = log ? log->device_mapper_messages() : std::vector<std::string>{};
    for (const std::string& line : kernel)
        message += "\nkernel: " + line;
    if (kernel.empty())
        message += "\nthe kernel's reason, if it gave one, is in its log: dmesg | tail";
    throw Failure(message);
}

std::vector<DmTarget> targets_of(dm_task* task) {
    std::vector<DmTarget> targets;
    void* next = nullptr;
    do {
        uint64_t start = 0, length = 0;
        char* type = nullptr;
        char* params = nullptr;
        next = dm_get_next_target(task, next, &start, &length, &type, &params);
        if (type)
            targets.push_back(DmTarget{start, length, type, params ? params : ""});
    } while (next);
    return targets;
}

// Waits for udev (or makes the nodes itself under DM_DISABLE_UDEV=1) like dmsetup does.
class UdevCookie {
public:
    explicit UdevCookie(dm_task* task) {
        if (!dm_task_set_cookie(task, &cookie_, 0))
            throw Failure("libdevmapper: cannot set up the udev cookie");
    }
    ~UdevCookie() { dm_udev_wait(cookie_); }
    UdevCookie(const UdevCookie&) = delete;
    UdevCookie& operator=(const UdevCookie&) = delete;

private:
    uint32_t cookie_ = 0;
};

}  // namespace

DeviceMapper::DeviceMapper() { dm_log_with_errno_init(capture_library_log); }

void DeviceMapper::create(const std::string& name, u64 sectors, const std::string& params) {
    Task task = new_task(DM_DEVICE_CREATE, name);
    if (!dm_task_add_target(task.get(), 0, sectors, kTargetType, params.c_str()))
        throw Failure("libdevmapper: cannot add the target to the table");
    KernelLogCursor log;
    UdevCookie cookie(task.get());
    run(task.get(), fmt::format("cannot create {}", name), &log);
}

void DeviceMapper::remove(const std::string& name) {
    Task task = new_task(DM_DEVICE_REMOVE, name);
    // A udev rule may still hold the device open for a moment after its last use.
    dm_task_retry_remove(task.get());
    KernelLogCursor log;
    UdevCookie cookie(task.get());
    run(task.get(), fmt::format("cannot remove {}", name), &log);
}

std::vector<std::string> DeviceMapper::names() {
    Task task = new_task(DM_DEVICE_LIST, "");
    run(task.get(), "cannot list the device-mapper devices", nullptr);
    std::vector<std::string> names;
    dm_names* entry = dm_task_get_names(task.get());
    if (!entry || !entry->dev)
        return names;  // no devices
    for (;;) {
        names.emplace_back(entry->name);
        if (!entry->next)
            break;
        entry = reinterpret_cast<dm_names*>(reinterpret_cast<char*>(entry) + entry->next);
    }
    return names;
}

bool DeviceMapper::exists(const std::string& name) {
    Task task = new_task(DM_DEVICE_INFO, name);
    run(task.get(), fmt::format("cannot look up {}", name), nullptr);
    dm_info info{};
    return dm_task_get_info(task.get(), &info) && info.exists;
}

std::vector<DmTarget> DeviceMapper::table(const std::string& name) {
    Task task = new_task(DM_DEVICE_TABLE, name);
    run(task.get(), fmt::format("cannot read the table of {}", name), nullptr);
    return targets_of(task.get());
}

std::vector<DmTarget> DeviceMapper::status(const std::string& name) {
    Task task = new_task(DM_DEVICE_STATUS, name);
    run(task.get(), fmt::format("cannot read the status of {}", name), nullptr);
    return targets_of(task.get());
}

std::string DeviceMapper::message(const std::string& name, const std::string& words) {
    Task task = new_task(DM_DEVICE_TARGET_MSG, name);
    if (!dm_task_set_sector(task.get(), 0) || !dm_task_set_message(task.get(), words.c_str()))
        throw Failure("libdevmapper: cannot set up the message");
    KernelLogCursor log;
    run(task.get(), fmt::format("{} refused the message '{}'", name, words), &log);
    const char* response = dm_task_get_message_response(task.get());
    return response ? response : "";
}

bool DeviceMapper::is_biochain(const std::vector<DmTarget>& targets) const {
    return targets.size() == 1 && targets[0].type == kTargetType;
}

DmTarget DeviceMapper::biochain_table(const std::string& name) {
    if (!exists(name))
        throw Failure(fmt::format("no device-mapper device named '{}'", name));
    const std::vector<DmTarget> targets = table(name);
    if (!is_biochain(targets))
        throw Failure(fmt::format("{} is not a biochain device (its table is not one biochain target)", name));
    return targets[0];
}

}  // namespace ctl
