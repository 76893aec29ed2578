// biochainctl's command-line reader (userspace/biochainctl/args.h).
#include <catch2/catch.hpp>

#include "args.h"
#include "cli_error.h"

using ctl::Args;
using ctl::UsageError;

namespace {
std::string refusal(const std::vector<std::string>& words) {
    try {
        Args::parse("create", words, {{"layout", true}, {"no-rescuer", false}});
    } catch (const UsageError& error) {
        return error.what();
    }
    return "(accepted)";
}
}  // namespace

TEST_CASE("biochainctl options go anywhere before --, as --name value or --name=value") {
    const Args args = Args::parse("create", {"bc0", "--layout", "striped", "/dev/vda", "--no-rescuer", "--", "--odd"},
                                  {{"layout", true}, {"no-rescuer", false}, {"size", true}});
    CHECK(*args.value("layout") == "striped");
    CHECK(args.has("no-rescuer"));
    CHECK_FALSE(args.has("size"));
    CHECK_FALSE(args.value("size"));
    CHECK(args.positionals() == std::vector<std::string>{"bc0", "/dev/vda", "--odd"});
    CHECK_FALSE(args.help());

    const Args equals = Args::parse("create", {"--layout=mirror", "-", "-h"}, {{"layout", true}});
    CHECK(*equals.value("layout") == "mirror");
    CHECK(equals.positionals() == std::vector<std::string>{"-"});
    CHECK(equals.help());
}

TEST_CASE("biochainctl refuses each bad option with one sentence naming it") {
    CHECK(refusal({"--bogus"}) == "create: unknown option '--bogus'");
    CHECK(refusal({"--bogus=1"}) == "create: unknown option '--bogus'");
    CHECK(refusal({"-x"}) == "create: unknown option '-x'");
    CHECK(refusal({"--layout"}) == "create: option --layout needs a value");
    CHECK(refusal({"--layout", "linear", "--layout=mirror"}) == "create: option --layout given twice");
    CHECK(refusal({"--no-rescuer=yes"}) == "create: option --no-rescuer takes no value");
    CHECK(refusal({"--layout", "linear"}) == "(accepted)");
}

TEST_CASE("biochainctl checks the number of positional words") {
    const Args args = Args::parse("remove", {"a", "b"}, {});
    CHECK_THROWS_WITH(args.expect_positionals(1, 1, "NAME"), "remove: unexpected argument 'b'");
    CHECK_THROWS_WITH(args.expect_positionals(3, 4, "NAME"), "remove: missing NAME");
    CHECK_NOTHROW(args.expect_positionals(2, 2, "NAME"));
}
