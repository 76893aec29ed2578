// biochainctl's tab file (/etc/biochaintab): each line a device's name and create's words.
#include <catch2/catch.hpp>

#include "tab_file.h"

using ctl::parse_tab;

TEST_CASE("tab file: names and create's words, comments and blank lines skipped, lines counted") {
    const auto tab = parse_tab("# devices\n"
                               "\n"
                               "data  --layout mirror --log /dev/vdc:8 /dev/vda /dev/vdb   # the mirror\n"
                               "\t fast\t--layout striped --chunk 64k /dev/vdd /dev/vde\r\n"
                               "   # indented comment\n",
                               "/etc/biochaintab");
    REQUIRE(tab.ok());
    REQUIRE(tab->size() == 2);
    CHECK((*tab)[0].name == "data");
    CHECK((*tab)[0].words == std::vector<std::string>{"--layout", "mirror", "--log", "/dev/vdc:8", "/dev/vda", "/dev/vdb"});
    CHECK((*tab)[0].line == 3);
    CHECK((*tab)[1].name == "fast");
    CHECK((*tab)[1].words == std::vector<std::string>{"--layout", "striped", "--chunk", "64k", "/dev/vdd", "/dev/vde"});
    CHECK((*tab)[1].line == 4);
}

TEST_CASE("tab file: an empty file, or only comments, has no device") {
    CHECK(parse_tab("", "t")->empty());
    CHECK(parse_tab("# nothing\n\n   \n", "t")->empty());
}

TEST_CASE("tab file: a '#' inside a word is part of it, only one that begins a word is a comment") {
    const auto tab = parse_tab("a#1 --layout linear /dev/disk/by-id/x#y\n", "t");
    REQUIRE(tab.ok());
    CHECK((*tab)[0].name == "a#1");
    CHECK((*tab)[0].words.back() == "/dev/disk/by-id/x#y");
}

TEST_CASE("tab file: each bad line refused with its place") {
    CHECK(parse_tab("a --layout linear /dev/vda\nb\n", "t").error() ==
          "t:2: 'b' has no layout and no devices (create's arguments follow the name)");
    CHECK(parse_tab("a --layout linear /dev/vda\n\na --layout linear /dev/vdb\n", "t").error() ==
          "t:3: 'a' is named twice");
    CHECK(parse_tab("a/b --layout linear /dev/vda\n", "t").error() ==
          "t:1: 'a/b' cannot be a device name (no '/', not '.' or '..')");
    CHECK(parse_tab(".. --layout linear /dev/vda\n", "t").error() ==
          "t:1: '..' cannot be a device name (no '/', not '.' or '..')");
    CHECK(parse_tab(std::string(128, 'n') + " --layout linear /dev/vda\n", "t").error() ==
          "t:1: the device name must be 1 to 127 characters");
}

TEST_CASE("tab file: a file that cannot be read is a message") {
    CHECK(ctl::read_tab("/nonexistent/biochaintab").error() == "cannot read /nonexistent/biochaintab");
}
