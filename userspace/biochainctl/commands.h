// The subcommands. Each takes the words after its name, prints its result on stdout and
// returns the exit status; bad arguments throw UsageError, failures throw Failure.
#pragma once

#include <string>
#include <vector>

namespace ctl {

using Words = std::vector<std::string>;

int create_command(const Words& words);
int remove_command(const Words& words);
int list_command(const Words& words);
int status_command(const Words& words);
int message_command(const Words& words);
int selftest_command(const Words& words);
int bench_command(const Words& words);
int activate_command(const Words& words);
int deactivate_command(const Words& words);

// Device names as device-mapper takes them: 1..127 characters, no '/', not "." or "..".
void check_device_name(const std::string& command, const std::string& name);

}  // namespace ctl
