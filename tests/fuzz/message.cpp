// Fuzz target: `dmsetup message` to a live target (bc_target_message). The input is lines:
// the first is a table (the target to talk to; an input whose table does not build is
// skipped), each next line one message, split into words as DM splits it. Two lines are
// the harness's, not messages:
//   !fail <n>   the n-th allocation of the next message fails (the reserve growing)
//   !account    count a flush and an error, so that `stats reset` has something to reset
// Properties, after every message:
//   - the answer is 0, or -EINVAL / -ENOMEM with a short printable message that is not a
//     pointer into the words; -ENOMEM only when an allocation was failed;
//   - it is accepted exactly when a reference reading of the three messages (strict
//     decimal, abi/limits.h's bounds) accepts it, and a refused message changes nothing;
//   - the INFO line (read by biochainctl) shows the reserve and fault rate the accepted
//     messages set, a full idle reserve, nothing outstanding, counters zero after a reset;
//   - the TABLE line stays the constructor's;
// and destroying the target leaves no allocation behind.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "abi/limits.h"
#include "abi/target.h"
#include "dm_words.h"
#include "env_posix.h"
#include "fuzz_check.h"
#include "null_target_ops.h"
#include "status_report.h"

namespace {

using fuzz::Argv;

// What the target should look like after the messages so far.
struct Expected {
    unsigned reserve = 0;
    unsigned fail_alloc = 0;
    unsigned long long flushes = 0;
    unsigned long long errors = 0;
};

// The reference reading of a message's number: digits only, inside [min, max].
std::optional<unsigned> number(std::string_view word, unsigned min, unsigned max) {
    if (word.empty() || word.size() > 20)
        return std::nullopt;
    unsigned long long value = 0;
    const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (ec != std::errc() || end != word.data() + word.size() || word[0] == '+' || value < min || value > max)
        return std::nullopt;
    return unsigned(value);
}

// Applies the message to `expected` if the reference accepts it; false if it refuses it.
bool reference_accepts(const std::vector<std::string>& words, Expected* expected) {
    if (words.size() != 2)
        return false;
    if (words[0] == "stats" && words[1] == "reset") {
        expected->flushes = expected->errors = 0;
        return true;
    }
    if (words[0] == "fail_alloc") {
        const std::optional<unsigned> percent = number(words[1], BC_FAIL_ALLOC_MIN, BC_FAIL_ALLOC_MAX);
        if (percent)
            expected->fail_alloc = *percent;
        return percent.has_value();
    }
    if (words[0] == "reserve") {
        const std::optional<unsigned> size = number(words[1], BC_RESERVE_MIN, BC_RESERVE_MAX);
        if (size)
            expected->reserve = *size;
        return size.has_value();
    }
    return false;
}

std::string table_line(const bc_target* target) {
    static const char* const kNames[BC_MAX_LEGS] = {"253:0", "253:1", "253:2",  "253:3",  "253:4",  "253:5",
                                                    "253:6", "253:7", "253:8",  "253:9",  "253:10", "253:11",
                                                    "253:12", "253:13", "253:14", "253:15"};
    char buf[BC_STATUS_MAX];
    bc_target_emit_table(target, kNames, buf, sizeof buf);
    return buf;
}

void check_state(const bc_target* target, const Expected& expected) {
    char buf[BC_STATUS_MAX];
    bc_target_emit_info(target, buf, sizeof buf);
    const ctl::Expected<ctl::StatusReport> report = ctl::parse_status_info(buf);
    FUZZ_CHECK(report.ok());
    FUZZ_CHECK(report->find("reserve") == expected.reserve);
    FUZZ_CHECK(report->find("reserve_free") == expected.reserve);
    FUZZ_CHECK(report->find("reserve_low") <= expected.reserve);
    FUZZ_CHECK(report->find("fail_alloc") == expected.fail_alloc);
    FUZZ_CHECK(report->find("outstanding") == 0);
    FUZZ_CHECK(report->find("flushes") == expected.flushes);
    FUZZ_CHECK(report->find("errors") == expected.errors);
}

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        lines.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<std::string_view> lines = lines_of(std::string_view(reinterpret_cast<const char*>(data), size));
    const long allocations_before = bc::posix::live_allocations();

    Argv table_words(fuzz::split_dm_words(lines[0]));
    bc_table table{};
    const char* error = nullptr;
    if (bc_table_parse(table_words.argc(), table_words.argv(), &table, &error) != 0)
        return 0;
    bc_leg_geometry legs[BC_MAX_LEGS] = {};
    for (unsigned i = 0; i < table.nr_legs; ++i)
        legs[i] = bc_leg_geometry{table.legs[i].offset + (1u << 20), 512, 0xfd00ull + i};
    const bc_sector_t target_sectors =
        table.layout == BC_LAYOUT_STRIPED ? bc_sector_t(table.chunk_sectors) * table.nr_legs : 2048;
    if (table.layout == BC_LAYOUT_STRIPED && table.chunk_sectors > (1u << 20))
        return 0;  // keep the devices small; the table fuzzer covers big chunks
    const bc_bio_shape shape{128, 16, 4};
    bc_target* target = nullptr;
    if (bc_target_create(&table, target_sectors, legs, &shape, &fuzz::kNullTargetOps, nullptr, &target, &error) != 0)
        return 0;

    Expected expected{table.reserve, table.fail_alloc_percent, 0, 0};
    const std::string constructor = table_line(target);
    unsigned long fail_nth = 0;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::vector<std::string> words = fuzz::split_dm_words(lines[i]);
        if (words.size() == 2 && words[0] == "!fail") {
            fail_nth = number(words[1], 1, 100000).value_or(0);
            continue;
        }
        if (words.size() == 1 && words[0] == "!account") {
            bc_target_account_whole(target, BC_IO_FLUSH, 0);
            bc_target_account_error(target);
            ++expected.flushes;
            ++expected.errors;
            check_state(target, expected);
            continue;
        }
        Expected after = expected;
        const bool accepted = reference_accepts(words, &after);
        Argv argv(words);
        error = nullptr;
        bc::posix::fail_nth_allocation(fail_nth);
        const unsigned long asked_before = bc::posix::allocations_asked();
        const int rc = bc_target_message(target, argv.argc(), argv.argv(), &error);
        const bool failed_one = fail_nth != 0 && bc::posix::allocations_asked() - asked_before >= fail_nth;
        bc::posix::fail_nth_allocation(0);
        fail_nth = 0;
        FUZZ_CHECK(argv.untouched());
        if (rc == 0) {
            FUZZ_CHECK(accepted);
            expected = after;
        } else {
            FUZZ_CHECK(rc == -BC_EINVAL || (rc == -BC_ENOMEM && failed_one));
            FUZZ_CHECK(rc == -BC_ENOMEM || !accepted);
            FUZZ_CHECK(fuzz::is_short_sentence(error));
            FUZZ_CHECK(!argv.points_into(error));
        }
        check_state(target, expected);
        FUZZ_CHECK(table_line(target) == constructor);
    }
    bc_target_destroy(target);
    FUZZ_CHECK(bc::posix::live_allocations() == allocations_before);
    return 0;
}
