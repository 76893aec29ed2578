// Fuzz target: biochainctl's readers of a biochain device's status lines, the INFO line
// (`status`: parse_status_info) and the TABLE line (`list`: parse_table_params). The
// input is one line as libdevmapper hands it over. Properties:
//   - a refusal is a message, never a crash;
//   - an INFO line read has as many counters and labels (a value that is a word) as its
//     word count announces, each name one non-empty word; written back as "<layout>
//     <#words> <name> <value> ..." in the same order it reads the same; `--json` prints
//     one line of JSON whose strings decode to the same layout and names, with the same
//     values ("labels" only when there are some); the table for people has one row per
//     counter and label; a mirror's has its resync progress, log and legs besides (a row
//     each; JSON: "mirror", last, its "log" before "legs", one state per leg); rates of a
//     report against itself are zero or absent;
//   - a TABLE line read has the legs its layout says; written back it reads the same.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "status_format.h"
#include "status_report.h"
#include "table_summary.h"

namespace {

// Just enough JSON for format_status_json's output: an object of strings, integers,
// decimals and objects of those. Decodes strings, so that escaping is checked both ways.
class Json {
public:
    explicit Json(std::string_view text) : text_(text) {}

    struct Member {
        std::string name;
        std::string text;                   // a string's decoded value, or a number as written
        std::vector<Member> members;        // an object's
        bool is_object = false;
    };

    std::optional<std::vector<Member>> document() {
        std::optional<std::vector<Member>> members = object();
        return members && pos_ == text_.size() ? members : std::nullopt;
    }

private:
    std::optional<std::vector<Member>> object() {
        if (!eat('{'))
            return std::nullopt;
        std::vector<Member> members;
        if (eat('}'))
            return members;
        do {
            Member member;
            std::optional<std::string> name = string();
            if (!name || !eat(':'))
                return std::nullopt;
            member.name = std::move(*name);
            if (peek() == '{') {
                std::optional<std::vector<Member>> inner = object();
                if (!inner)
                    return std::nullopt;
                member.members = std::move(*inner);
                member.is_object = true;
            } else if (peek() == '"') {
                std::optional<std::string> value = string();
                if (!value)
                    return std::nullopt;
                member.text = std::move(*value);
            } else {
                std::optional<std::string> value = number();
                if (!value)
                    return std::nullopt;
                member.text = std::move(*value);
            }
            members.push_back(std::move(member));
        } while (eat(','));
        return eat('}') ? std::optional(std::move(members)) : std::nullopt;
    }

    std::optional<std::string> string() {
        if (!eat('"'))
            return std::nullopt;
        std::string out;
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (c == '"')
                return out;
            if (static_cast<unsigned char>(c) < 0x20)
                return std::nullopt;  // control characters must be escaped
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= text_.size())
                return std::nullopt;
            const char e = text_[pos_++];
            if (e == '"' || e == '\\' || e == '/')
                out += e;
            else if (e == 'n')
                out += '\n';
            else if (e == 't')
                out += '\t';
            else if (e == 'r')
                out += '\r';
            else if (e == 'b')
                out += '\b';
            else if (e == 'f')
                out += '\f';
            else if (e == 'u' && pos_ + 4 <= text_.size()) {
                unsigned code = 0;
                for (int i = 0; i < 4; ++i) {
                    const char h = text_[pos_++];
                    const int digit = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                                                      : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                    if (digit < 0)
                        return std::nullopt;
                    code = code * 16 + unsigned(digit);
                }
                if (code >= 0x80)
                    return std::nullopt;  // the formatter escapes only ASCII controls
                out += char(code);
            } else {
                return std::nullopt;
            }
        }
        return std::nullopt;
    }

    std::optional<std::string> number() {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && ((text_[pos_] >= '0' && text_[pos_] <= '9') || text_[pos_] == '.'))
            ++pos_;
        return pos_ > start ? std::optional(std::string(text_.substr(start, pos_ - start))) : std::nullopt;
    }

    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    bool eat(char c) {
        if (peek() != c)
            return false;
        ++pos_;
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

bool is_one_word(const std::string& word) {
    if (word.empty())
        return false;
    for (char c : word)
        if (c == ' ' || c == '\t' || c == '\n')
            return false;
    return true;
}

bool same_report(const ctl::StatusReport& a, const ctl::StatusReport& b) {
    if (a.layout != b.layout || a.counters.size() != b.counters.size() || a.labels.size() != b.labels.size())
        return false;
    for (std::size_t i = 0; i < a.counters.size(); ++i)
        if (a.counters[i].name != b.counters[i].name || a.counters[i].value != b.counters[i].value)
            return false;
    for (std::size_t i = 0; i < a.labels.size(); ++i)
        if (a.labels[i].name != b.labels[i].name || a.labels[i].value != b.labels[i].value ||
            a.labels[i].before != b.labels[i].before)
            return false;
    return true;
}

void check_info(std::string_view line) {
    const ctl::Expected<ctl::StatusReport> report = ctl::parse_status_info(line);
    if (!report) {
        FUZZ_CHECK(!report.error().empty());
        return;
    }
    FUZZ_CHECK(is_one_word(report->layout));
    std::string written =
        report->layout + " " + std::to_string(2 * (report->counters.size() + report->labels.size()));
    std::size_t next_label = 0;
    auto write_labels = [&](std::size_t before) {
        for (; next_label < report->labels.size() && report->labels[next_label].before <= before; ++next_label) {
            const ctl::Label& label = report->labels[next_label];
            FUZZ_CHECK(is_one_word(label.name) && is_one_word(label.value));
            FUZZ_CHECK(report->label(label.name) == label.value && !report->find(label.name));
            written += " " + label.name + " " + label.value;
        }
    };
    for (std::size_t i = 0; i < report->counters.size(); ++i) {
        const ctl::Counter& counter = report->counters[i];
        write_labels(i);
        FUZZ_CHECK(is_one_word(counter.name));
        FUZZ_CHECK(report->find(counter.name).has_value() && !report->label(counter.name));
        written += " " + counter.name + " " + std::to_string(counter.value);
    }
    write_labels(~std::size_t(0));
    FUZZ_CHECK(next_label == report->labels.size());
    const ctl::Expected<ctl::StatusReport> again = ctl::parse_status_info(written);
    FUZZ_CHECK(again.ok() && same_report(*report, *again));

    const ctl::StatusSnapshot snapshot{"bc0", 2048, *report};
    const std::vector<std::optional<double>> rates = ctl::counter_rates(*report, *report, 1.0);
    FUZZ_CHECK(rates.size() == report->counters.size());
    for (const std::optional<double>& rate : rates)
        FUZZ_CHECK(!rate || *rate == 0.0);

    const std::optional<ctl::MirrorState> mirror = ctl::mirror_state(*report);
    for (const std::vector<std::optional<double>>* with : {static_cast<const std::vector<std::optional<double>>*>(nullptr), &rates}) {
        const std::string json = ctl::format_status_json(snapshot, with);
        FUZZ_CHECK(json.find('\n') == std::string::npos);
        const std::optional<std::vector<Json::Member>> members = Json(json).document();
        FUZZ_CHECK(members.has_value());
        const bool labelled = !report->labels.empty();
        FUZZ_CHECK(members->size() == (with ? 5u : 4u) + (labelled ? 1u : 0u) + (mirror ? 1u : 0u));
        if (labelled) {
            const Json::Member& labels = (*members)[4];
            FUZZ_CHECK(labels.name == "labels" && labels.is_object && labels.members.size() == report->labels.size());
            for (std::size_t i = 0; i < labels.members.size(); ++i)
                FUZZ_CHECK(labels.members[i].name == report->labels[i].name &&
                           labels.members[i].text == report->labels[i].value && !labels.members[i].is_object);
        }
        if (mirror) {
            const Json::Member& last = members->back();
            FUZZ_CHECK(last.name == "mirror" && last.is_object && !last.members.empty());
            const Json::Member& legs = last.members.back();
            FUZZ_CHECK(legs.name == "legs" && legs.is_object && legs.members.size() == mirror->legs.size());
            for (std::size_t i = 0; i < legs.members.size(); ++i)
                FUZZ_CHECK(legs.members[i].text == ctl::leg_state_name(mirror->legs[i]));
            if (mirror->log) {
                FUZZ_CHECK(last.members.size() >= 2);
                const Json::Member& log = last.members[last.members.size() - 2];
                FUZZ_CHECK(log.name == "log" && log.is_object && !log.members.empty());
                FUZZ_CHECK(log.members[0].name == "kind" && log.members[0].text == mirror->log->kind);
            }
        }
        FUZZ_CHECK((*members)[1].name == "layout" && (*members)[1].text == report->layout);
        const Json::Member& counters = (*members)[3];
        FUZZ_CHECK(counters.name == "counters" && counters.is_object);
        FUZZ_CHECK(counters.members.size() == report->counters.size());
        for (std::size_t i = 0; i < counters.members.size(); ++i) {
            FUZZ_CHECK(counters.members[i].name == report->counters[i].name);
            FUZZ_CHECK(counters.members[i].text == std::to_string(report->counters[i].value));
        }

        const std::string table = ctl::format_status_table(snapshot, with);
        std::size_t rows = 0;
        for (char c : table)
            rows += c == '\n';
        const std::size_t mirror_rows =
            mirror ? (mirror->resync ? 1 : 0) + (mirror->log ? 1 : 0) + mirror->legs.size() : 0;
        FUZZ_CHECK(rows == 2 + report->counters.size() + report->labels.size() + mirror_rows);
    }
}

void check_table(std::string_view line) {
    const ctl::Expected<ctl::TableSummary> table = ctl::parse_table_params(line);
    if (!table) {
        FUZZ_CHECK(!table.error().empty());
        return;
    }
    FUZZ_CHECK(table->layout == "linear" || table->layout == "striped" || table->layout == "mirror");
    if (table->layout == "linear")
        FUZZ_CHECK(table->legs.size() == 1);
    if (table->layout != "striped")
        FUZZ_CHECK(table->chunk_sectors == 0);
    std::string written = table->layout;
    if (table->layout != "linear")
        written += " " + std::to_string(table->legs.size());
    if (table->layout == "striped")
        written += " " + std::to_string(table->chunk_sectors);
    for (const ctl::TableLeg& leg : table->legs) {
        FUZZ_CHECK(is_one_word(leg.device));
        written += " " + leg.device + " " + std::to_string(leg.offset_sectors);
    }
    if (!table->feature_words.empty()) {
        written += " " + std::to_string(table->feature_words.size());
        for (const std::string& word : table->feature_words)
            written += " " + word;
    }
    const ctl::Expected<ctl::TableSummary> again = ctl::parse_table_params(written);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->layout == table->layout && again->chunk_sectors == table->chunk_sectors);
    FUZZ_CHECK(again->legs.size() == table->legs.size() && again->feature_words == table->feature_words);
    for (std::size_t i = 0; i < table->legs.size(); ++i)
        FUZZ_CHECK(again->legs[i].device == table->legs[i].device &&
                   again->legs[i].offset_sectors == table->legs[i].offset_sectors);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    check_info(line);
    check_table(line);
    return 0;
}
