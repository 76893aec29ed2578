// The table parser under generated input: every valid table the grammar allows parses and
// reads back the same, and no input, however damaged, crashes it, escapes its refusals or
// touches the words it was given. Runs under ASan+UBSan and TSan in make check; seeded, so
// a failure names the seed and the words that caused it. BC_FUZZ_ROUNDS=N runs N cases of
// each kind instead of the default.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "abi/limits.h"
#include "target/table_parser.h"

namespace {

using Words = std::vector<std::string>;

unsigned rounds() {
    const char* env = std::getenv("BC_FUZZ_ROUNDS");
    return env ? unsigned(std::strtoul(env, nullptr, 10)) : 20000;
}

std::string joined(const Words& words) {
    std::string line;
    for (const auto& w : words)
        line += (line.empty() ? "" : " ") + (w.empty() ? std::string("''") : w);
    return line;
}

struct Outcome {
    int rc = 0;
    const char* error = nullptr;
    bc_table table{};
    std::vector<std::string> paths;  // the legs' paths, read while argv is alive
    bool paths_point_into_argv = true;
    bool argv_untouched = true;
    bool error_points_into_argv = false;
};

Outcome parse_words(const Words& words) {
    std::vector<std::string> copy = words;
    std::vector<char*> argv;
    for (auto& w : copy)
        argv.push_back(w.data());
    Outcome o;
    o.rc = bc_table_parse(unsigned(argv.size()), argv.data(), &o.table, &o.error);
    for (unsigned i = 0; o.rc == 0 && i < o.table.nr_legs && i < BC_MAX_LEGS; ++i) {
        const char* path = o.table.legs[i].path;
        bool found = false;
        for (char* word : argv)
            found = found || path == word;
        o.paths_point_into_argv = o.paths_point_into_argv && found;
        o.paths.push_back(found ? path : "");
    }
    for (const auto& w : copy)
        o.error_points_into_argv = o.error_points_into_argv ||
                                   (o.error >= w.data() && o.error <= w.data() + w.size());
    o.argv_untouched = copy == words;
    return o;
}

// A refusal's message goes to ti->error as it is: a static, short, printable sentence, not
// a pointer into the words (DM frees those after the constructor returns).
void check_refusal(const Outcome& o, const Words& words) {
    INFO("words: " << joined(words));
    REQUIRE(o.rc == -BC_EINVAL);
    REQUIRE(o.error != nullptr);
    const std::string message = o.error;
    REQUIRE_FALSE(message.empty());
    CHECK(message.size() < 80);
    for (char c : message)
        REQUIRE((c >= ' ' && c <= '~'));
    CHECK_FALSE(o.error_points_into_argv);
}

// What any accepted table must satisfy, whatever words produced it.
void check_invariants(const Outcome& o, const Words& words) {
    INFO("words: " << joined(words));
    REQUIRE(o.rc == 0);
    const bc_table& t = o.table;
    REQUIRE(t.nr_legs >= 1);
    REQUIRE(t.nr_legs <= BC_MAX_LEGS);
    CHECK(o.paths_point_into_argv);
    switch (t.layout) {
    case BC_LAYOUT_LINEAR:
        CHECK(t.nr_legs == 1);
        CHECK(t.chunk_sectors == 0);
        break;
    case BC_LAYOUT_STRIPED:
        CHECK(t.chunk_sectors >= BC_CHUNK_SECTORS_MIN);
        CHECK(t.chunk_sectors <= BC_CHUNK_SECTORS_MAX);
        break;
    case BC_LAYOUT_MIRROR:
        CHECK(t.nr_legs >= BC_MIRROR_MIN_LEGS);
        CHECK(t.chunk_sectors == 0);
        break;
    default:
        FAIL("layout " << int(t.layout));
    }
    for (unsigned i = 0; i < t.nr_legs; ++i) {
        CHECK(t.legs[i].offset <= (~0ull >> BC_SECTOR_SHIFT));
        for (unsigned j = 0; j < i; ++j)
            CHECK(o.paths[i] != o.paths[j]);
    }
    CHECK(t.reserve >= BC_RESERVE_MIN);
    CHECK(t.reserve <= BC_RESERVE_MAX);
    CHECK(t.fail_alloc_percent <= BC_FAIL_ALLOC_MAX);
    CHECK((t.max_child_sectors == 0 || t.max_child_sectors >= BC_MAX_CHILD_SECTORS_MIN));
    CHECK(t.max_child_sectors <= BC_MAX_CHILD_SECTORS_MAX);
    CHECK((t.max_child_segments == 0 || t.max_child_segments >= BC_MAX_CHILD_SEGMENTS_MIN));
    CHECK(t.max_child_segments <= BC_MAX_CHILD_SEGMENTS_MAX);
    REQUIRE(t.nr_features <= BC_FEATURE_COUNT);
    for (unsigned i = 0; i < t.nr_features; ++i)
        for (unsigned j = 0; j < i; ++j)
            CHECK(t.feature_order[i] != t.feature_order[j]);
}

// The words a parsed table is written back as (the order of its features kept).
Words written_back(const Outcome& o) {
    const bc_table& t = o.table;
    Words w{bc::layout_name(t.layout)};
    if (t.layout != BC_LAYOUT_LINEAR)
        w.push_back(std::to_string(t.nr_legs));
    if (t.layout == BC_LAYOUT_STRIPED)
        w.push_back(std::to_string(t.chunk_sectors));
    for (unsigned i = 0; i < t.nr_legs; ++i) {
        w.push_back(o.paths[i]);
        w.push_back(std::to_string(t.legs[i].offset));
    }
    Words features;
    for (unsigned i = 0; i < t.nr_features; ++i) {
        const bc_feature f = t.feature_order[i];
        features.push_back(bc::feature_name(f));
        switch (f) {
        case BC_FEATURE_RESERVE: features.push_back(std::to_string(t.reserve)); break;
        case BC_FEATURE_MAX_CHILD_SECTORS: features.push_back(std::to_string(t.max_child_sectors)); break;
        case BC_FEATURE_MAX_CHILD_SEGMENTS: features.push_back(std::to_string(t.max_child_segments)); break;
        case BC_FEATURE_FAIL_ALLOC: features.push_back(std::to_string(t.fail_alloc_percent)); break;
        case BC_FEATURE_INLINE_CHILDREN: features.push_back(std::to_string(t.inline_children)); break;
        case BC_FEATURE_REGION_SIZE: features.push_back(std::to_string(t.region_size)); break;
        case BC_FEATURE_MAX_RECOVERY_RATE: features.push_back(std::to_string(t.max_recovery_rate)); break;
        default: break;
        }
    }
    if (!features.empty()) {
        w.push_back(std::to_string(features.size()));
        w.insert(w.end(), features.begin(), features.end());
    }
    return w;
}

void check_same_table(const Outcome& a, const Outcome& b) {
    CHECK(a.table.layout == b.table.layout);
    CHECK(a.table.nr_legs == b.table.nr_legs);
    CHECK(a.table.chunk_sectors == b.table.chunk_sectors);
    CHECK(a.paths == b.paths);
    for (unsigned i = 0; i < a.table.nr_legs; ++i)
        CHECK(a.table.legs[i].offset == b.table.legs[i].offset);
    CHECK(a.table.nr_features == b.table.nr_features);
    for (unsigned i = 0; i < a.table.nr_features; ++i)
        CHECK(a.table.feature_order[i] == b.table.feature_order[i]);
    CHECK(a.table.reserve == b.table.reserve);
    CHECK(a.table.max_child_sectors == b.table.max_child_sectors);
    CHECK(a.table.max_child_segments == b.table.max_child_segments);
    CHECK(a.table.fail_alloc_percent == b.table.fail_alloc_percent);
    CHECK(a.table.no_rescuer == b.table.no_rescuer);
    CHECK(a.table.inline_children == b.table.inline_children);
    CHECK(a.table.region_size == b.table.region_size);
    CHECK(a.table.nosync == b.table.nosync);
    CHECK(a.table.max_recovery_rate == b.table.max_recovery_rate);
}

class Generator {
public:
    explicit Generator(std::uint64_t seed) : random_(seed) {}

    unsigned below(unsigned n) { return unsigned(random_() % n); }
    bool chance(unsigned percent) { return below(100) < percent; }
    std::uint64_t in(std::uint64_t lo, std::uint64_t hi) { return lo + random_() % (hi - lo + 1); }

    // A table the grammar accepts: any layout, any leg count it allows, distinct devices,
    // numbers across their whole range (edges included), any subset of features in any order.
    Words valid_table() {
        Words w;
        const unsigned layout = below(3);
        unsigned legs = 1;
        if (layout == 0) {
            w.push_back("linear");
        } else if (layout == 1) {
            legs = unsigned(in(BC_STRIPED_MIN_LEGS, BC_MAX_LEGS));
            w.push_back("striped");
            w.push_back(std::to_string(legs));
            w.push_back(std::to_string(edgy(BC_CHUNK_SECTORS_MIN, BC_CHUNK_SECTORS_MAX)));
        } else {
            legs = unsigned(in(BC_MIRROR_MIN_LEGS, BC_MAX_LEGS));
            w.push_back("mirror");
            w.push_back(std::to_string(legs));
        }
        for (unsigned i = 0; i < legs; ++i) {
            w.push_back(chance(50) ? "/dev/vd" + std::string(1, char('a' + i)) : std::to_string(253) + ":" + std::to_string(i));
            w.push_back(std::to_string(edgy(0, ~0ull >> BC_SECTOR_SHIFT)));
        }
        Words features;
        // a mirror's own features (region_size, nosync) only on a mirror
        std::vector<unsigned> order{0, 1, 2, 3, 4, 5};
        if (layout == 2)
            order.insert(order.end(), {6, 7});
        for (unsigned i = 0; i < order.size(); ++i)
            std::swap(order[i], order[i + below(unsigned(order.size()) - i)]);
        for (unsigned f : order) {
            if (!chance(40))
                continue;
            switch (f) {
            case 0: features.insert(features.end(), {"reserve", std::to_string(edgy(BC_RESERVE_MIN, BC_RESERVE_MAX))}); break;
            case 1: features.insert(features.end(), {"max_child_sectors", std::to_string(edgy(BC_MAX_CHILD_SECTORS_MIN, BC_MAX_CHILD_SECTORS_MAX))}); break;
            case 2: features.insert(features.end(), {"max_child_segments", std::to_string(edgy(BC_MAX_CHILD_SEGMENTS_MIN, BC_MAX_CHILD_SEGMENTS_MAX))}); break;
            case 3: features.push_back("no_rescuer"); break;
            case 4: features.insert(features.end(), {"fail_alloc", std::to_string(edgy(BC_FAIL_ALLOC_MIN, BC_FAIL_ALLOC_MAX))}); break;
            case 5: features.insert(features.end(), {"inline_children", std::to_string(edgy(BC_INLINE_CHILDREN_MIN, BC_INLINE_CHILDREN_MAX))}); break;
            case 6: features.insert(features.end(), {"region_size", std::to_string(1ull << in(3, 21))}); break;
            case 7: features.push_back("nosync"); break;
            }
        }
        if (!features.empty() || chance(10)) {
            w.push_back(std::to_string(features.size()));
            w.insert(w.end(), features.begin(), features.end());
        }
        return w;
    }

    // One damaging edit of a word list.
    void damage(Words& w) {
        const unsigned at = w.empty() ? 0 : below(unsigned(w.size()));
        switch (below(7)) {
        case 0: if (!w.empty()) w.erase(w.begin() + at); break;
        case 1: w.insert(w.begin() + at, vocabulary_word()); break;
        case 2: if (!w.empty()) w[at] = vocabulary_word(); break;
        case 3: if (w.size() > 1) std::swap(w[at], w[below(unsigned(w.size()))]); break;
        case 4: w.resize(below(unsigned(w.size()) + 1)); break;
        case 5: if (!w.empty()) w.insert(w.begin() + at, w[below(unsigned(w.size()))]); break;
        case 6: if (!w.empty() && !w[at].empty()) w[at][below(unsigned(w[at].size()))] = char(below(256)); break;
        }
    }

    Words soup() {
        Words w(below(14));
        for (auto& word : w)
            word = vocabulary_word();
        return w;
    }

private:
    // Mostly the edges of [lo, hi] and their neighbours, sometimes anywhere inside.
    std::uint64_t edgy(std::uint64_t lo, std::uint64_t hi) {
        switch (below(5)) {
        case 0: return lo;
        case 1: return hi;
        case 2: return lo + 1 <= hi ? lo + 1 : lo;
        case 3: return hi - 1 >= lo ? hi - 1 : hi;
        default: return in(lo, hi);
        }
    }

    std::string vocabulary_word() {
        static const char* const kWords[] = {
            "linear", "striped", "mirror", "Linear", "stripe", "reserve", "max_child_sectors",
            "max_child_segments", "no_rescuer", "fail_alloc", "region_size", "nosync", "1024", "0", "1", "2", "3", "7", "8", "16",
            "17", "100", "101", "256", "257", "4096", "4097", "1073741824", "1073741825",
            "36028797018963967", "36028797018963968", "18446744073709551615", "18446744073709551616",
            "99999999999999999999999", "-1", "-0", "+1", "0x10", "1e3", "08", " 1", "1 ", "",
            "/dev/vda", "/dev/vdb", "/dev/vda", "253:0", "253:1", "#", "\t", "\xff\xfe",
        };
        if (chance(10)) {  // random bytes, NUL excepted (argv words cannot hold one)
            std::string s(below(12), ' ');
            for (char& c : s)
                c = char(1 + below(255));
            return s;
        }
        return kWords[below(sizeof(kWords) / sizeof(kWords[0]))];
    }

    std::mt19937_64 random_;
};

}  // namespace

TEST_CASE("table fuzz: every table the grammar allows parses, and reads back the same") {
    Generator g(20261130);
    for (unsigned i = 0; i < rounds(); ++i) {
        const Words words = g.valid_table();
        const Outcome o = parse_words(words);
        INFO("case " << i << ": " << joined(words) << " -> " << (o.error ? o.error : "accepted"));
        REQUIRE(o.rc == 0);
        check_invariants(o, words);
        CHECK(o.argv_untouched);
        Words back = written_back(o);
        if (back.size() + 1 == words.size() && o.table.nr_features == 0)
            back.push_back("0");  // "0 features" is accepted and not kept
        CHECK(back == words);
        check_same_table(o, parse_words(written_back(o)));
    }
}

TEST_CASE("table fuzz: damaged and random words are refused with a message, or accepted whole") {
    Generator g(4242);
    unsigned accepted = 0, refused = 0;
    for (unsigned i = 0; i < rounds(); ++i) {
        Words words = i % 4 == 0 ? g.soup() : g.valid_table();
        if (i % 4 != 0)
            for (unsigned edits = 1 + g.below(3); edits; --edits)
                g.damage(words);
        const Outcome o = parse_words(words);
        INFO("case " << i);
        CHECK(o.argv_untouched);
        if (o.rc == 0) {
            ++accepted;
            check_invariants(o, words);
            check_same_table(o, parse_words(written_back(o)));
        } else {
            ++refused;
            check_refusal(o, words);
        }
        // the same words, the same answer: the parser keeps no state between calls
        const Outcome again = parse_words(words);
        REQUIRE(again.rc == o.rc);
        if (o.rc)
            CHECK(std::string(again.error) == o.error);
    }
    // both sides are exercised, or the generator has gone blind
    CHECK(accepted > rounds() / 50);
    CHECK(refused > rounds() / 2);
}
