// The manual: `biochainctl --help` (the whole page, man-page sections) and
// `biochainctl COMMAND --help` (that command's part of it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ctl {

std::string main_help();
std::optional<std::string> command_help(std::string_view command);
bool is_command(std::string_view name);

}  // namespace ctl
