// `message`: the words go to sector 0 as one message; the module logs why it refuses one.
#include <fmt/format.h>

#include "args.h"
#include "cli_error.h"
#include "commands.h"
#include "device_mapper.h"

namespace ctl {

int message_command(const Words& words) {
    const std::optional<Args> parsed = Args::parse_or_help("message", words, {});
    if (!parsed)
        return kExitOk;
    const Args& args = *parsed;
    args.expect_positionals(1, ~std::size_t(0), "NAME");
    args.expect_positionals(2, ~std::size_t(0), "message WORD");
    const std::string& name = args.positionals()[0];
    check_device_name("message", name);
    std::string text;
    for (std::size_t i = 1; i < args.positionals().size(); ++i)
        text += (i > 1 ? " " : "") + args.positionals()[i];

    DeviceMapper dm;
    dm.biochain_table(name);
    const std::string response = dm.message(name, text);
    if (!response.empty())
        fmt::print("{}\n", response);
    return kExitOk;
}

}  // namespace ctl
