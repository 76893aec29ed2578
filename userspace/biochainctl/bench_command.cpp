// `bench`: make bench's measurement on this machine instead of a test guest. The job
// matrix, the devices and their anchors are tests/vm/bench's and the report is
// scripts/bench-report's, run from the source tree biochainctl was built in, so that the
// figures of `make bench` and of `biochainctl bench` come from one implementation.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "args.h"
#include "cli_error.h"
#include "commands.h"
#include "device_mapper.h"

namespace ctl {
namespace {

namespace fs = std::filesystem;

bool exists(const std::string& path) {
    std::error_code ignored;
    return fs::exists(path, ignored);
}

// The source tree: $BIOCHAIN_SRC, else two levels above the binary (build/<type>/).
std::string source_tree() {
    if (const char* env = std::getenv("BIOCHAIN_SRC"); env && *env)
        return env;
    char exe[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        throw Failure(fmt::format("bench: cannot find my own binary: {}", std::strerror(errno)));
    exe[n] = '\0';
    std::string dir(exe);
    for (int up = 0; up < 3; ++up)
        dir = dir.substr(0, dir.rfind('/'));
    return dir;
}

// Runs argv with extra environment, output inherited; its exit status (128+n if killed).
int run(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& cwd) {
    const pid_t pid = fork();
    if (pid < 0)
        throw Failure(fmt::format("bench: fork: {}", std::strerror(errno)));
    if (pid == 0) {
        for (const std::string& e : env)
            putenv(const_cast<char*>(e.c_str()));
        std::vector<char*> args;
        for (const std::string& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        if (chdir(cwd.c_str()) == 0)
            execvp(args[0], args.data());
        fmt::print(stderr, "biochainctl: bench: cannot run {}: {}\n", argv[0], std::strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            throw Failure(fmt::format("bench: waitpid: {}", std::strerror(errno)));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string positive(const Args& args, std::string_view option, const char* fallback) {
    const std::string value = args.value(option).value_or(fallback);
    if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(value) == 0)
        throw UsageError(fmt::format("bench: --{} wants a whole number >= 1, got '{}'", option, value));
    return value;
}

}  // namespace

int bench_command(const Words& words) {
    const std::optional<Args> parsed = Args::parse_or_help("bench", words,
                                  {{"runtime", true}, {"rounds", true}, {"filter", true}, {"out", true}});
    if (!parsed)
        return kExitOk;
    const Args& args = *parsed;
    args.expect_positionals(0, 0, "bench argument");
    const std::string runtime = positive(args, "runtime", "2");
    const std::string rounds = positive(args, "rounds", "3");
    const std::string filter = args.value("filter").value_or(".");
    std::string out = args.value("out").value_or("biochain-bench");
    if (out.empty())
        throw UsageError("bench: --out wants a directory");

    const std::string src = source_tree();
    if (!exists(src + "/tests/vm/bench") || !exists(src + "/scripts/bench-report"))
        throw Failure(fmt::format("bench: no tests/vm/bench and scripts/bench-report under {} (set BIOCHAIN_SRC "
                                  "to the biochain source tree)",
                                  src));
    if (geteuid() != 0)
        throw Failure("bench: needs root (it loads null_blk and biochain.ko and creates devices)");
    // It makes its own null_blk devices, and removes biochain.ko when done.
    if (exists("/sys/module/null_blk"))
        throw Failure("bench: null_blk is loaded already; bench loads it with its own geometry (rmmod null_blk)");
    if (exists("/sys/module/dm_mod")) {
        DeviceMapper dm;
        for (const std::string& name : dm.names())
            if (dm.is_biochain(dm.table(name)))
                throw Failure(fmt::format("bench: biochain device {} exists; bench unloads biochain.ko when done "
                                          "(remove it first)",
                                          name));
    }
    out = fs::absolute(out).string();  // the bench runs in the source tree
    const std::string raw = out + "/raw";
    std::error_code error;
    fs::create_directories(raw, error);
    if (error)
        throw Failure(fmt::format("bench: cannot create {}: {}", raw, error.message()));

    // tests/vm/common.sh loads the tree's biochain.ko built for the running kernel (by vermagic).
    const int measured = run({"bash", src + "/tests/vm/bench", runtime, rounds, filter}, {"RESULTS=" + raw}, src);
    if (measured == 2)
        throw UsageError(fmt::format("bench: tests/vm/bench refused its arguments (filter '{}')", filter));
    const int reported = run({src + "/scripts/bench-report", raw, out}, {}, src);
    if (measured != 0 || reported != 0)
        throw Failure(fmt::format("bench: {} (raw results in {})",
                                  measured ? "a fio job or the setup failed" : "the report could not be made", raw));
    fmt::print("bench: report in {}/bench.md, chart {}/bench.png\n", out, out);
    return kExitOk;
}

}  // namespace ctl
