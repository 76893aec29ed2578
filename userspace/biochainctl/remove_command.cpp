// `remove`: only biochain devices; anything else is left to dmsetup.
#include "args.h"
#include "cli_error.h"
#include "commands.h"
#include "device_mapper.h"

namespace ctl {

int remove_command(const Words& words) {
    const std::optional<Args> parsed = Args::parse_or_help("remove", words, {});
    if (!parsed)
        return kExitOk;
    const Args& args = *parsed;
    args.expect_positionals(1, 1, "NAME");
    const std::string& name = args.positionals()[0];
    check_device_name("remove", name);
    DeviceMapper dm;
    dm.biochain_table(name);  // refuses devices that are not ours
    dm.remove(name);
    return kExitOk;
}

}  // namespace ctl
