#include "help.h"

#include <algorithm>

#include <fmt/format.h>

#include "abi/limits.h"
#include "table_builder.h"

namespace ctl {
namespace {

// The manual states the module's bounds from the header the module checks them with.
#define BC_RANGE(min, max) BC_STRINGIFY(min) ".." BC_STRINGIFY(max)
#define BC_LEGS(min) BC_STRINGIFY(min) " to " BC_STRINGIFY(BC_MAX_LEGS)
// A bound the manual can only state in other units (bytes, not sectors).
static_assert(BC_CHUNK_SECTORS_MIN * 512 == 4096, "the manual says --chunk is at least 4k");
// One the manual writes as a power of two (abi/limits.h, BC_MIRROR_MAX_REGIONS).
static_assert(kMaxMirrorRegions == 1u << 25 && BC_REGION_SIZE_DEFAULT * 512ull << 25 == 16ull << 40,
              "the manual says a mirror has at most 2^25 regions, 16 TiB at the default region size");

// One command's part of the manual; the full page is made of all of them, so the two
// never disagree.
struct CommandHelp {
    const char* name;
    const char* synopsis;     // after "biochainctl "; continuation lines after '\n'
    const char* summary;      // one line, for the COMMANDS list
    const char* description;  // indented paragraphs
    const char* options;      // "--opt ARG\n    text" blocks; may be empty
    const char* examples;
};

constexpr CommandHelp kCommands[] = {
    {"create", "create NAME --layout LAYOUT [OPTIONS] DEV[:OFFSET]...",
     "create a biochain device over block devices",
     R"(Creates /dev/mapper/NAME, a biochain device over the DEVs, each used
from its OFFSET on (default 0). LAYOUT is linear (1 device), striped
()" BC_LEGS(BC_STRIPED_MIN_LEGS) R"() or mirror ()" BC_LEGS(BC_MIRROR_MIN_LEGS) R"().

The devices are checked first: each must exist, be a block device, and
have its OFFSET inside it and a multiple of its logical block size. The
target length is the largest that fits: for linear, the device after its
offset; for striped, the smallest leg after its offset rounded down to a
whole chunk, times the number of devices; for mirror, the smallest leg.
--size asks for less. The table is then loaded through libdevmapper, as
`dmsetup create NAME --table "0 LENGTH biochain ..."` would, with the
devices named major:minor. When the kernel refuses the table, its reason
is read back from the kernel log (/dev/kmsg) and printed.

A DEV that exists as written is a path even if it contains ':';
otherwise the text after its last ':' is the offset. So is --log's.)",
     R"(--layout linear|striped|mirror
    The layout (required).
--chunk SIZE
    Striped only: the chunk; at least 4k, a multiple of every device's
    logical block size, power of two or not. Default 64k.
--size SIZE
    The target length, instead of the largest that fits. Striped: a
    multiple of chunk x number of devices.
--reserve N
    Objects in each mempool reserve, )" BC_RANGE(BC_RESERVE_MIN, BC_RESERVE_MAX)
     R"( (the module's default: )" BC_STRINGIFY(BC_RESERVE_DEFAULT) R"().
--max-child-sectors N
    Largest child bio sent to a lower device, in 512-byte sectors:
    )" BC_RANGE(BC_MAX_CHILD_SECTORS_MIN, BC_MAX_CHILD_SECTORS_MAX)
     R"(, whole logical blocks. Without it and
    --max-child-segments, linear remaps in place.
--max-child-segments N
    Most bio_vecs in one child bio, )" BC_RANGE(BC_MAX_CHILD_SEGMENTS_MIN, BC_MAX_CHILD_SEGMENTS_MAX) R"(.
--no-rescuer
    Disable the rescuer (tests only: a small reserve can then deadlock).
--fail-alloc PERCENT
    Fault injection: this share ()" BC_RANGE(BC_FAIL_ALLOC_MIN, BC_FAIL_ALLOC_MAX)
     R"() of the allocation engine's
    backing allocations fails (tests only).
--inline-children N
    Child objects carried in each bio's own per-bio data, )" BC_RANGE(BC_INLINE_CHILDREN_MIN, BC_INLINE_CHILDREN_MAX)
     R"(:
    the first pieces of a split and a mirror write's copies cost no
    allocation. Default: one per device beside the first, at most
    )" BC_STRINGIFY(BC_INLINE_CHILDREN_MAX) R"(; none for one device without a child limit.
--region-size SECTORS
    Mirror only: the unit of resync in 512-byte sectors, a power of two
    in )" BC_RANGE(BC_REGION_SIZE_MIN, BC_REGION_SIZE_MAX) R"( (the module's default: )" BC_STRINGIFY(BC_REGION_SIZE_DEFAULT) R"(). The module keeps one bit
    per region, at most 2^25 of them: a mirror larger than 16 TiB needs
    more than the default.
--nosync
    Mirror only: declare the devices identical already (zeroed, or
    copies of each other): no initial resync. Without it a new mirror
    copies its first device to the others, region by region, in the
    background.
--max-recovery-rate KIB
    Mirror only: the most the resync copies, in KiB/s,
    )" BC_RANGE(BC_MAX_RECOVERY_RATE_MIN, BC_MAX_RECOVERY_RATE_MAX) R"( (dm-raid's max_recovery_rate; default: as fast as
    the devices go), so that it leaves the devices to the I/O of their
    users. A suspend stops a resync that is waiting for its rate at
    once.
--log DEV[:OFFSET]
    Mirror only: keep the mirror's region log on DEV, from OFFSET on,
    instead of in memory. Unlike a leg's, OFFSET is a plain count of
    512-byte sectors (default 0). The log marks the regions being
    written to before the writes go out, so that after a crash or a
    reboot only those are resynced, not the whole mirror. DEV must be a
    block device that is none of the legs, with room from OFFSET for
    two 4 KiB header blocks and a bit per region (a 4 KiB block per
    32768 regions). In the table: `log MAJOR:MINOR OFFSET`, after
    region_size. A log never written before is new: --nosync applies
    to it; one already written says itself which regions to resync.
--dry-run
    Check everything and print the table as dmsetup takes it; create
    nothing.)",
     R"(biochainctl create fast --layout linear /dev/sdb
biochainctl create wide --layout striped --chunk 128k /dev/sd[bcd]
biochainctl create safe --layout mirror --size 10G /dev/sdb:1G /dev/sdc:1G
biochainctl create blank --layout mirror --nosync --region-size 2048 \
    /dev/sdb /dev/sdc
biochainctl create kept --layout mirror --log /dev/sdd:2048 /dev/sdb /dev/sdc
biochainctl create tiny --layout linear --reserve 1 \
    --max-child-sectors 8 /dev/vda)"},
    {"remove", "remove NAME", "remove a biochain device",
     R"(Removes the biochain device NAME, retrying for a moment while udev
still has it open. Devices of other targets are refused.)",
     "", "biochainctl remove fast"},
    {"list", "list", "list the biochain devices",
     R"(One line per biochain device: its name, size, layout and legs (the
kernel names of the lower devices, with "+OFFSET" where a leg does not
start at sector 0). Devices of other targets are not shown; nothing is
printed when there is no biochain device.)",
     "", "biochainctl list"},
    {"status", "status NAME [--json] [--watch [--interval SECONDS] [--count N]]",
     "show the counters of a biochain device",
     R"(Reads the target's INFO status (the I/O counters and the allocation
engine's: children, per-CPU magazine hits, depot traffic, reserve use,
waits, rescues, per-leg errors) and prints it as an aligned table, in the module's
order. Counters this biochainctl does not know are shown like the rest.

A mirror's health comes first: its resync progress, the regions in
sync of all with a bar and a percentage, or "in sync" once every region
is; its region log: on a disk (create --log) or in memory (core),
whether it works (ok or failed: a failed log is no longer written, and
writes no longer wait for it) and the regions it holds dirty; then each
leg's state: alive, resyncing (reinstated or replaced: written to, but
read only in regions in sync) or failed (out of service until
`biochainctl message NAME reinstate LEG`).

A name whose value is a word rather than a number (log disk, log_state
ok) is shown among the counters, with its word, and has no rate.)",
     R"(--json
    One JSON object instead:
    {"device", "layout", "sectors", "counters": {NAME: VALUE, ...}},
    and "labels": {NAME: "WORD", ...} when a value is a word.
    With --watch, one object per line, with "rates" (empty at first).
    A mirror's has "mirror": {"regions", "regions_in_sync",
    "in_sync_percent", "log": {"kind": "disk"|"core", "state":
    "ok"|"failed", "dirty": N}, "legs": {"leg0":
    "alive"|"resyncing"|"failed", ...}} last.
--watch
    Print again every interval, with the per-second rate of each counter
    since the previous print (levels such as reserve_free and
    regions_in_sync have none).
    Stops on Ctrl-C, after --count prints, or with exit status 1 when
    the device goes away.
--interval SECONDS
    Time between prints with --watch: 0.1 to 3600, fractions allowed.
    Default 1.
--count N
    With --watch, stop after N prints.)",
     R"(biochainctl status fast
biochainctl status fast --json
biochainctl status fast --watch --interval 0.5)"},
    {"message", "message NAME WORD...", "send a message to a biochain device",
     R"(Sends the WORDs as one message to sector 0 of NAME, as
`dmsetup message NAME 0 WORD...` does, and prints the target's answer
if it has one. biochain understands:

    stats reset          zero the counters and the reserve's low mark
    fail_alloc PERCENT   change the fault-injection rate ()" BC_RANGE(BC_FAIL_ALLOC_MIN, BC_FAIL_ALLOC_MAX)
     R"()
    reserve N            resize the reserve live ()" BC_RANGE(BC_RESERVE_MIN, BC_RESERVE_MAX) R"()
    reinstate LEG        mirror: return failed leg LEG (0 is the first
                         device) to service; every region is resynced
                         to it, and `status` shows it resyncing

A refused message exits 1 with the kernel's reason.)",
     "", R"(biochainctl message fast stats reset
biochainctl message fast reserve 64
biochainctl message safe reinstate 1)"},
    {"selftest", "selftest [--filter GLOB] [--device DEV] [--kunit] [--ktap FILE]\n[--verbose]",
     "run the module's self tests and summarise them",
     R"(Runs the self tests built into biochain.ko (core/'s suites with the
kernel's environment, the shim's with real bios) and summarises their
KTAP report: the failures first (suite.case and the lines the test
printed), then pass, fail and skip counts per suite and in total. Needs
the module loaded; mounts debugfs at /sys/kernel/debug if it is not.
The raw report of the last run stays readable in
/sys/kernel/debug/biochain/selftest. With --kunit the same suites run
under KUnit instead, on a kernel built with it, and the summary is of
KUnit's results, /sys/kernel/debug/kunit/SUITE/results. Which report
was read is said on stderr.

KTAP is read as KUnit writes it (version 1; TAP version 14 too). A dmesg
timestamp "[  12.345678] " is stripped from each line, nothing else is;
in a kernel log, lines before the report and unrecognised lines are
other kernel messages. A malformed report (no version line or plan,
results that do not match the plan or are misnumbered, a truncated
report, lines that are not KTAP) is an error, printed with its line
number.)",
     R"(--filter GLOB
    Which tests to run, as KUnit's filter_glob: SUITE_GLOB[.CASE_GLOB],
    e.g. 'biochain_mempool' or 'biochain_*.resize*'. Default '*' (all).
--device DEV
    The scratch block device for the suites that do real I/O. It is
    written to (its data is lost) and must not be in use. Without
    --device the module's selftest_dev parameter stays as it is; when it
    is empty, those suites skip.
--kunit
    Run the tests under KUnit (a kernel with CONFIG_KUNIT and
    CONFIG_KUNIT_DEBUGFS): the module registers the selected suites with
    KUnit, which runs them, and KUnit's results are summarised.
--ktap FILE
    Summarise a recorded report instead of running the tests ('-' reads
    stdin). Needs neither root nor the module.
--verbose
    Also list every test with its outcome.)",
     R"(biochainctl selftest
biochainctl selftest --filter 'biochain_mempool*' --device /dev/vdb
biochainctl selftest --kunit --device /dev/vdb
dmesg | biochainctl selftest --ktap -)"},
    {"bench", "bench [--runtime S] [--rounds N] [--filter REGEX] [--out DIR]",
     "measure biochain against dm-linear, dm-stripe, dm-mirror and null_blk",
     R"(Runs make bench's measurement on this machine rather than in a test
guest: three null_blk devices (no data, so the stack is what is
measured), dm-linear, dm-stripe, dm-mirror and biochain linear, striped
and mirror of the same geometry, the biochain layouts again under
allocation pressure (reserve 1, fail_alloc 100) and a biochain stack
four levels deep; 4k random reads and writes, 64k and 1 MiB sequential
reads at QD1 and QD32 with 1 and 2 jobs; rounds alternate between each
device and its anchor. Progress is printed as each fio run ends. Writes
DIR/bench.json, DIR/bench.md (IOPS, MiB/s, p50/p99 latency, ratios to
the anchors as median and min-max over the rounds) and DIR/bench.png,
the raw fio JSON under DIR/raw. The job matrix and the report are
tests/vm/bench and scripts/bench-report of the source tree biochainctl
was built in (or $BIOCHAIN_SRC). Needs root, fio, python3 and gnuplot;
refuses to run while null_blk is loaded or a biochain device exists
(it loads null_blk itself and unloads biochain.ko when done). A failed
fio job makes it exit 1.)",
     R"(--runtime S
    Seconds per fio run (default 2).
--rounds N
    Rounds (default 3).
--filter REGEX
    Extended regex over "<job> <device>", e.g.
    'randread-4k-qd32-nj1 bc_striped$'; a device brings its anchor.
--out DIR
    Where the report goes (default ./biochain-bench).)",
     R"(biochainctl bench --rounds 5 --out /tmp/bench
biochainctl bench --runtime 1 --rounds 1 --filter 'read-1m bc_mirror$')"},
    {"activate", "activate [--tab FILE] [--dry-run] --all | NAME...",
     "create the devices listed in /etc/biochaintab",
     R"(Creates each device of the tab file (default /etc/biochaintab), every
one with --all, or the NAMEs given, in the file's order. A line of the
file is a device's NAME followed by what `biochainctl create` takes
after NAME; '#' begins a comment. Use stable paths for the devices
(/dev/disk/by-id/...): kernel names change between boots.

    # NAME  layout, options and devices, as for create
    data    --layout mirror --log /dev/disk/by-id/nvme-log /dev/disk/by-id/ata-A /dev/disk/by-id/ata-B

A device that already exists is left as it is. One that cannot be
created is reported with its line, and the others are still created;
the exit status is then 1. With --all and no /etc/biochaintab there is
nothing to do: a boot script may run `activate --all` unconditionally.)",
     R"(--tab FILE
    The tab file (default /etc/biochaintab).
--all
    Every device of the file.
--dry-run
    Print each device's table (as create --dry-run) instead.)",
     R"(biochainctl activate --all
biochainctl activate --tab /tmp/test.tab --dry-run data)"},
    {"deactivate", "deactivate [--tab FILE] --all | NAME...",
     "remove the devices listed in /etc/biochaintab",
     R"(Removes each device of the tab file that exists, every one with --all
or the NAMEs given, in the reverse of the file's order (a device stacked
on one listed before it goes first), as `biochainctl remove` does. One
that cannot be removed (still open) is reported and the others are still
removed; the exit status is then 1.)",
     R"(--tab FILE
    The tab file (default /etc/biochaintab).
--all
    Every device of the file.)",
     "biochainctl deactivate --all"},
};

const CommandHelp* find(std::string_view name) {
    for (const CommandHelp& command : kCommands)
        if (name == command.name)
            return &command;
    return nullptr;
}

std::string indent(std::string_view text, std::string_view prefix) {
    std::string out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        const std::string_view line = text.substr(pos, end - pos);
        out += line.empty() ? std::string() : std::string(prefix) + std::string(line);
        out += '\n';
        pos = end + 1;
    }
    return out;
}

// "    biochainctl selftest [--filter GLOB] ...", continuation lines under the first argument.
std::string synopsis(const CommandHelp& command, std::string_view prefix) {
    const std::string first = fmt::format("{}biochainctl {} ", prefix, command.name);
    const std::string hanging(first.size(), ' ');
    std::string_view text = command.synopsis;
    std::string out = std::string(prefix) + "biochainctl ";
    for (std::size_t newline; (newline = text.find('\n')) != std::string_view::npos;) {
        out += std::string(text.substr(0, newline)) + "\n" + hanging;
        text.remove_prefix(newline + 1);
    }
    return out + std::string(text) + "\n";
}

constexpr const char* kSizes = R"(SIZE and a leg's OFFSET are bytes, with an optional suffix: s
(512-byte sectors), k or K (KiB), m or M (MiB), g or G (GiB), t or T
(TiB): 4096, 8s, 4k and 4K are the same size. Plain decimal only: no
sign, no 0x, no fraction. N, and --log's OFFSET (in sectors), are plain
decimal numbers. The table itself is in sectors: biochainctl converts,
and refuses what is not whole sectors.)";

constexpr const char* kExitStatus = R"(0   Success.
1   A runtime failure: the kernel refused (its reason is printed when
    the kernel log can be read), a device is busy or gone, there is no
    such biochain device, a self test failed or its KTAP report is
    malformed.
2   A bad argument: an unknown command or option, a malformed value, a
    device that does not exist, is not a block device, or is too small
    or misaligned for the request. Exactly one line on stderr:
    "biochainctl: <what is wrong>".)";

}  // namespace

std::string main_help() {
    std::string out = "NAME\n    biochainctl - create, inspect and test biochain device-mapper devices\n\nSYNOPSIS\n";
    for (const CommandHelp& command : kCommands)
        out += synopsis(command, "    ");
    out += "    biochainctl help [COMMAND] | COMMAND --help | --help\n\n";
    out += "DESCRIPTION\n";
    out += indent(R"(biochain is a device-mapper target that stacks over block devices
(linear, striped or mirrored) and issues its child bios through its own
allocation engine (bio_set reserves, chain_next, a rescuer, NOIO
scopes). biochainctl drives it through libdevmapper, the library dmsetup
uses: it checks devices and arguments before asking the kernel, builds
the table line, reads the counters back, sends messages and runs the
module's self tests. Everything but help and selftest --ktap needs root
and the module loaded (insmod biochain.ko).)",
                  "    ");
    out += "\nCOMMANDS\n";
    std::size_t name_width = 0;  // the longest name and two spaces: the summaries line up
    for (const CommandHelp& command : kCommands)
        name_width = std::max(name_width, std::string_view(command.name).size() + 2);
    for (const CommandHelp& command : kCommands)
        out += fmt::format("    {:<{}}{}\n", command.name, name_width, command.summary);
    for (const CommandHelp& command : kCommands) {
        out += "\n" + synopsis(command, "    ");
        out += indent(command.description, "        ");
    }
    out += "\nOPTIONS\n";
    out += "    -h, --help\n        This page; after a command, that command's page.\n";
    for (const CommandHelp& command : kCommands)
        if (*command.options) {
            out += fmt::format("\n    {}:\n", command.name);
            out += indent(command.options, "    ");
        }
    out += "\nSIZES\n" + indent(kSizes, "    ");
    out += "\nEXIT STATUS\n" + indent(kExitStatus, "    ");
    out += "\nENVIRONMENT\n";
    out += indent(R"(DM_DISABLE_UDEV=1
    libdevmapper makes the /dev/mapper nodes itself instead of waiting
    for udev (as for dmsetup).)",
                  "    ");
    out += "\nEXAMPLES\n";
    for (const CommandHelp& command : kCommands)
        out += indent(command.examples, "    ");
    out += "\nSEE ALSO\n    dmsetup(8); README.md of biochain (table syntax, status words)\n";
    return out;
}

std::optional<std::string> command_help(std::string_view name) {
    const CommandHelp* command = find(name);
    if (!command)
        return std::nullopt;
    std::string out = fmt::format("NAME\n    biochainctl {} - {}\n\nSYNOPSIS\n{}\nDESCRIPTION\n", command->name,
                                  command->summary, synopsis(*command, "    "));
    out += indent(command->description, "    ");
    out += "\nOPTIONS\n";
    if (*command->options)
        out += indent(command->options, "    ");
    out += "    -h, --help\n        This page.\n";
    if (name == "create")
        out += "\nSIZES\n" + indent(kSizes, "    ");
    out += "\nEXIT STATUS\n" + indent(kExitStatus, "    ");
    out += "\nEXAMPLES\n" + indent(command->examples, "    ");
    return out;
}

bool is_command(std::string_view name) { return find(name) != nullptr; }

}  // namespace ctl
