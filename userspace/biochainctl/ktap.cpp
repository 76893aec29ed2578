#include "ktap.h"

#include <fmt/format.h>

namespace ctl::ktap {
namespace {

constexpr unsigned kIndentStep = 4;
constexpr unsigned kMaxNumber = 1000000000;
constexpr std::size_t kMaxErrors = 100;  // garbage input must not produce megabytes of errors

// What one line is, once its timestamp and indentation are off.
enum class Kind { version, unsupported_version, subtest_header, plan, result, diagnostic, unknown };

struct Line {
    unsigned number = 0;
    bool timestamped = false;
    unsigned indent = 0;
    std::string_view text;  // without timestamp, trailing CR/blanks
    std::string_view body;  // text without the indentation
    Kind kind = Kind::unknown;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
        text.remove_suffix(1);
    return text;
}

// Digits only, up to kMaxNumber; false otherwise.
bool parse_number(std::string_view digits, unsigned* value) {
    if (digits.empty() || digits.size() > 10)
        return false;
    unsigned long long v = 0;
    for (char c : digits) {
        if (!is_digit(c))
            return false;
        v = v * 10 + unsigned(c - '0');
    }
    if (v > kMaxNumber)
        return false;
    *value = unsigned(v);
    return true;
}

// "[   12.345678] " as dmesg prints it; removes it and says whether there was one.
bool strip_timestamp(std::string_view* text) {
    if (text->empty() || text->front() != '[')
        return false;
    const std::size_t close = text->find(']');
    if (close == std::string_view::npos || close > 24)
        return false;
    bool digit_seen = false;
    for (std::size_t i = 1; i < close; ++i) {
        const char c = (*text)[i];
        if (is_digit(c))
            digit_seen = true;
        else if (c != ' ' && c != '.')
            return false;
    }
    if (!digit_seen)
        return false;
    text->remove_prefix(close + 1);
    if (!text->empty() && text->front() == ' ')
        text->remove_prefix(1);
    return true;
}

// For messages: the line as it was, short and printable.
std::string quote(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 60)) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f)
            out += fmt::format("\\x{:02x}", unsigned(u));
        else
            out += c;
    }
    if (text.size() > 60)
        out += "...";
    return "'" + out + "'";
}

bool is_plan(std::string_view body, unsigned* count) {
    if (!starts_with(body, "1.."))
        return false;
    std::string_view rest = body.substr(3);
    std::size_t digits = 0;
    while (digits < rest.size() && is_digit(rest[digits]))
        ++digits;
    const std::string_view after = trim(rest.substr(digits));
    // "1..0 # SKIP reason" is a plan too.
    if (!after.empty() && after.front() != '#')
        return false;
    return parse_number(rest.substr(0, digits), count);
}

Kind classify(std::string_view body) {
    if (body == "KTAP version 1" || body == "TAP version 14")
        return Kind::version;
    if (starts_with(body, "KTAP version") || starts_with(body, "TAP version"))
        return Kind::unsupported_version;
    if (starts_with(body, "# Subtest:"))
        return Kind::subtest_header;
    if (!body.empty() && body.front() == '#')
        return Kind::diagnostic;
    unsigned count = 0;
    if (is_plan(body, &count))
        return Kind::plan;
    if (body == "ok" || body == "not ok" || starts_with(body, "ok ") || starts_with(body, "not ok "))
        return Kind::result;
    return Kind::unknown;
}

// "ok 3 - name # SKIP reason" -> Result, or the reason it is not one.
bool parse_result(std::string_view body, Result* result, std::string* error) {
    std::string_view rest;
    if (starts_with(body, "not ok")) {
        result->outcome = Outcome::fail;
        rest = body.substr(6);
    } else {
        result->outcome = Outcome::pass;
        rest = body.substr(2);
    }
    rest = trim(rest);
    std::size_t digits = 0;
    while (digits < rest.size() && is_digit(rest[digits]))
        ++digits;
    if (digits == 0) {
        *error = fmt::format("result without a test number: {}", quote(body));
        return false;
    }
    if (!parse_number(rest.substr(0, digits), &result->number)) {
        *error = fmt::format("test number too large: {}", quote(body));
        return false;
    }
    rest = rest.substr(digits);
    if (!rest.empty() && rest.front() != ' ') {
        *error = fmt::format("no space after the test number: {}", quote(body));
        return false;
    }
    rest = trim(rest);
    if (starts_with(rest, "- "))
        rest = trim(rest.substr(2));
    else if (rest == "-")
        rest = {};
    // The directive starts at the first '#' that begins a word.
    std::size_t hash = std::string_view::npos;
    for (std::size_t i = 0; i < rest.size(); ++i)
        if (rest[i] == '#' && (i == 0 || rest[i - 1] == ' ')) {
            hash = i;
            break;
        }
    result->name = std::string(trim(rest.substr(0, hash)));
    if (hash != std::string_view::npos) {
        const std::string_view directive = trim(rest.substr(hash + 1));
        result->directive = std::string(directive);
        const bool skip = directive.size() >= 4 && (directive[0] | 0x20) == 's' && (directive[1] | 0x20) == 'k' &&
                          (directive[2] | 0x20) == 'i' && (directive[3] | 0x20) == 'p' &&
                          (directive.size() == 4 || directive[4] == ' ');
        if (skip) {
            result->outcome = Outcome::skip;
            result->skip_reason = std::string(trim(directive.substr(4)));
        }
    }
    return true;
}

// One level of the document: the top, or a subtest.
struct Block {
    unsigned indent = 0;
    std::string name;
    unsigned start_line = 0;
    bool versioned = false;  // had its own version line: then it needs a plan
    std::optional<unsigned> plan;
    bool plan_problem_reported = false;
    std::vector<Result> results;
    std::vector<std::string> diagnostics;  // waiting for the next result
    std::string announced_name;            // TAP 14 "# Subtest: x" before the subtest itself
    // A finished subtest waiting for the result line that ends it.
    bool has_finished_subtest = false;
    std::string finished_name;
    unsigned finished_line = 0;
    std::vector<Result> finished_results;
};

class Parser {
public:
    Document run(std::string_view text) {
        std::size_t pos = 0;
        unsigned number = 0;
        while (pos < text.size() && !gave_up_) {
            std::size_t end = text.find('\n', pos);
            if (end == std::string_view::npos)
                end = text.size();
            on_line(++number, text.substr(pos, end - pos));
            pos = end + 1;
        }
        doc_.lines = number;
        finish();
        return std::move(doc_);
    }

private:
    void error(unsigned line, std::string message) {
        if (gave_up_)
            return;
        if (doc_.errors.size() >= kMaxErrors) {
            doc_.errors.push_back(Problem{line, "too many errors, giving up"});
            gave_up_ = true;
            return;
        }
        doc_.errors.push_back(Problem{line, std::move(message)});
    }

    Block& current() { return stack_.back(); }
    unsigned depth() const { return unsigned(stack_.size()) - 1; }

    static std::string subtest_label(const std::string& name) { return name.empty() ? "(unnamed)" : "'" + name + "'"; }

    void on_line(unsigned number, std::string_view raw) {
        Line line;
        line.number = number;
        line.text = raw;
        line.timestamped = strip_timestamp(&line.text);
        if (line.timestamped)
            doc_.kernel_log = true;
        while (!line.text.empty() && (line.text.back() == '\r' || line.text.back() == ' ' || line.text.back() == '\t'))
            line.text.remove_suffix(1);
        if (line.text.empty())
            return;
        while (line.indent < line.text.size() && line.text[line.indent] == ' ')
            ++line.indent;
        line.body = line.text.substr(line.indent);
        line.kind = classify(line.body);

        if (stack_.empty()) {
            before_document(line);
            return;
        }
        switch (line.kind) {
        case Kind::unknown:
            on_unknown(line);
            return;
        case Kind::diagnostic:
            on_diagnostic(line);
            return;
        default:
            continuation_ = false;
            on_structure(line);
        }
    }

    void before_document(const Line& line) {
        if ((line.kind == Kind::version || line.kind == Kind::unsupported_version) && line.indent == 0) {
            if (line.kind == Kind::unsupported_version)
                unsupported_version(line);
            start_document(line);
            return;
        }
        if (doc_.kernel_log || missing_version_reported_)
            return;  // other kernel messages before the document; or said already
        error(line.number, fmt::format("missing version line: the document must start with 'KTAP version 1', not {}",
                                       quote(line.text)));
        missing_version_reported_ = true;
    }

    void unsupported_version(const Line& line) {
        error(line.number, fmt::format("unsupported version {} (KTAP version 1 and TAP version 14 are read)",
                                       quote(line.body)));
    }

    void start_document(const Line& line) {
        stack_.clear();
        doc_.found = true;
        doc_.version_line = line.number;
        doc_.plan.reset();
        doc_.tests.clear();
        Block top;
        top.versioned = true;
        top.start_line = line.number;
        stack_.push_back(std::move(top));
        continuation_ = false;
    }

    static bool started(const Block& block) { return block.versioned || block.plan || !block.results.empty(); }

    bool top_complete() const {
        const Block& top = stack_.front();
        return stack_.size() == 1 && top.plan && top.results.size() == *top.plan && !top.has_finished_subtest;
    }

    // A line that is not KTAP: the rest of a diagnostic (KUnit's "Expected ..." lines),
    // another kernel message in a log, or garbage.
    void on_unknown(const Line& line) {
        if (continuation_ || doc_.kernel_log) {
            current().diagnostics.emplace_back(relative_text(line));
            continuation_ = true;
            return;
        }
        error(line.number, fmt::format("not a KTAP line: {}", quote(line.text)));
    }

    void on_diagnostic(const Line& line) {
        // A diagnostic at a shallower level ends the subtests above it (KUnit prints the
        // suite's "# name: pass:1 fail:0 ..." line after the suite's last case).
        if (line.indent < current().indent && line.indent % kIndentStep == 0)
            close_to(line.indent / kIndentStep, line.number);
        current().diagnostics.emplace_back(relative_text(line));
        continuation_ = true;
    }

    std::string relative_text(const Line& line) {
        const unsigned strip = std::min(line.indent, current().indent);
        return std::string(line.text.substr(strip));
    }

    void on_structure(const Line& line) {
        if (line.indent % kIndentStep) {
            error(line.number, fmt::format("indented {} spaces, not a multiple of {}: {}", line.indent, kIndentStep,
                                           quote(line.body)));
            return;
        }
        const unsigned level = line.indent / kIndentStep;
        if (level > depth() + 1) {
            error(line.number, fmt::format("indented {} spaces, deeper than any open subtest (at most {}): {}",
                                           line.indent, (depth() + 1) * kIndentStep, quote(line.body)));
            return;
        }
        if (level == 0 && (line.kind == Kind::version || line.kind == Kind::unsupported_version)) {
            second_document(line);
            return;
        }
        if (level == depth() + 1) {
            open_subtest(line);
        } else if (level < depth()) {
            close_to(level, line.number);
        } else if (line.kind == Kind::version && depth() > 0 && started(current())) {
            // The next subtest begins while this one still waits for its result line:
            // end it (open_subtest reports the missing result line) and start the next.
            close_to(depth() - 1, line.number);
            open_subtest(line);
        }

        Block& block = current();
        switch (line.kind) {
        case Kind::version:
        case Kind::unsupported_version:
            if (line.kind == Kind::unsupported_version)
                unsupported_version(line);
            if (started(block))
                error(line.number, "unexpected version line inside a subtest");
            block.versioned = true;
            return;
        case Kind::subtest_header: {
            const std::string name(trim(line.body.substr(10)));
            if (depth() > 0 && block.name.empty() && !block.plan && block.results.empty())
                block.name = name;
            else
                block.announced_name = name;
            return;
        }
        case Kind::plan:
            on_plan(line, block);
            return;
        case Kind::result:
            on_result(line, block);
            return;
        default:
            return;
        }
    }

    void second_document(const Line& line) {
        if (doc_.kernel_log && top_complete()) {
            // In a kernel log, the next run's report: keep only the last one.
            doc_.errors.clear();
            if (line.kind == Kind::unsupported_version)
                unsupported_version(line);
            start_document(line);
            return;
        }
        error(line.number, fmt::format("a second version line (the document started at line {})", doc_.version_line));
    }

    void open_subtest(const Line& line) {
        Block& parent = current();
        if (parent.has_finished_subtest) {
            error(line.number, fmt::format("subtest {} (line {}) has no result line", subtest_label(parent.finished_name),
                                           parent.finished_line));
            parent.has_finished_subtest = false;
            parent.finished_results.clear();
        }
        Block block;
        block.indent = line.indent;
        block.start_line = line.number;
        block.name = std::move(parent.announced_name);
        parent.announced_name.clear();
        stack_.push_back(std::move(block));
    }

    // Ends the subtests deeper than `level`; each one waits in its parent for the parent's
    // next result, which it belongs to.
    void close_to(unsigned level, unsigned line_number) {
        while (depth() > level) {
            Block block = std::move(stack_.back());
            stack_.pop_back();
            if (block.has_finished_subtest)
                error(line_number, fmt::format("subtest {} (line {}) has no result line",
                                               subtest_label(block.finished_name), block.finished_line));
            if (block.versioned && !block.plan && !block.plan_problem_reported)
                error(line_number, fmt::format("subtest {} (line {}) has no plan", subtest_label(block.name),
                                               block.start_line));
            else if (block.plan && block.results.size() != *block.plan)
                error(line_number, fmt::format("subtest {} (line {}) planned {} test{} but reported {}",
                                               subtest_label(block.name), block.start_line, *block.plan,
                                               *block.plan == 1 ? "" : "s", block.results.size()));
            Block& parent = current();
            if (parent.has_finished_subtest)
                error(line_number, fmt::format("subtest {} (line {}) has no result line",
                                               subtest_label(parent.finished_name), parent.finished_line));
            // Trailing diagnostics of the subtest (after its last result) go with its result.
            for (std::string& diagnostic : block.diagnostics)
                parent.diagnostics.push_back(std::move(diagnostic));
            parent.has_finished_subtest = true;
            parent.finished_name = std::move(block.name);
            parent.finished_line = block.start_line;
            parent.finished_results = std::move(block.results);
        }
    }

    void on_plan(const Line& line, Block& block) {
        unsigned count = 0;
        is_plan(line.body, &count);
        if (block.plan) {
            error(line.number, "a second plan");
            return;
        }
        if (!block.results.empty()) {
            error(line.number, fmt::format("plan {} after the results: the plan comes first", quote(line.body)));
            block.plan_problem_reported = true;
            return;
        }
        block.plan = count;
        if (stack_.size() == 1)
            doc_.plan = count;
        // Comments between the header and the plan ("# module: biochain") describe the
        // subtest, not its first case.
        block.diagnostics.clear();
    }

    void on_result(const Line& line, Block& block) {
        Result result;
        std::string problem;
        if (!parse_result(line.body, &result, &problem)) {
            error(line.number, problem);
            return;
        }
        result.line = line.number;
        const bool plan_required = stack_.size() == 1 || block.versioned;
        if (!block.plan && plan_required && !block.plan_problem_reported) {
            error(line.number, stack_.size() == 1
                                   ? std::string("missing plan: a result before the '1..N' line")
                                   : fmt::format("subtest {} (line {}) has no plan", subtest_label(block.name),
                                                 block.start_line));
            block.plan_problem_reported = true;
        }
        const unsigned expected = unsigned(block.results.size()) + 1;
        if (result.number != expected)
            error(line.number, fmt::format("wrong numbering: expected test {}, got {}", expected, result.number));
        if (block.plan && expected > *block.plan)
            error(line.number, fmt::format("test {} is beyond the plan 1..{}", result.number, *block.plan));
        result.diagnostics = std::move(block.diagnostics);
        block.diagnostics.clear();
        if (block.has_finished_subtest) {
            result.subtests = std::move(block.finished_results);
            block.finished_results.clear();
            block.has_finished_subtest = false;
        }
        block.results.push_back(std::move(result));
    }

    // The input ended. Subtests still open were cut short: they become failed results
    // (with what they reported so far), so their failures still show.
    // A subtest that ended without the result line of its parent: a failed result.
    static Result cut_short(unsigned number, std::string name, std::vector<std::string> diagnostics,
                            std::vector<Result> subtests, const char* why) {
        Result cut;
        cut.number = number;
        cut.name = std::move(name);
        cut.outcome = Outcome::fail;
        cut.diagnostics = std::move(diagnostics);
        cut.diagnostics.emplace_back(why);
        cut.subtests = std::move(subtests);
        return cut;
    }

    static void keep_finished_subtest(Block& block) {
        if (!block.has_finished_subtest)
            return;
        block.results.push_back(cut_short(unsigned(block.results.size()) + 1, std::move(block.finished_name), {},
                                          std::move(block.finished_results),
                                          "# (no result line: the input ends before it)"));
        block.has_finished_subtest = false;
    }

    void finish() {
        if (stack_.empty()) {
            if (!missing_version_reported_)
                error(0, doc_.lines == 0 ? "empty input: no KTAP document"
                                         : "missing version line: no 'KTAP version 1' in the input");
            return;
        }
        const unsigned last = doc_.lines;
        bool truncated = false;
        if (stack_.size() > 1) {
            error(last, fmt::format("truncated: the input ends inside subtest {} (line {})",
                                    subtest_label(current().name), current().start_line));
            truncated = true;
        }
        while (stack_.size() > 1) {
            Block block = std::move(stack_.back());
            stack_.pop_back();
            keep_finished_subtest(block);
            Block& parent = current();
            std::vector<std::string> diagnostics = std::move(parent.diagnostics);
            parent.diagnostics.clear();
            parent.results.push_back(cut_short(unsigned(parent.results.size()) + 1, std::move(block.name),
                                               std::move(diagnostics), std::move(block.results),
                                               "# (no result line: the input ends inside this subtest)"));
        }
        Block& top = stack_.front();
        if (top.has_finished_subtest && !truncated) {
            error(last, fmt::format("truncated: subtest {} (line {}) has no result line", subtest_label(top.finished_name),
                                    top.finished_line));
            truncated = true;
        }
        keep_finished_subtest(top);
        if (!top.plan && !top.plan_problem_reported)
            error(last, "missing plan: no '1..N' line");
        else if (top.plan && top.results.size() < *top.plan && !truncated)
            error(last, fmt::format("truncated: plan 1..{} but the input ends after {} results", *top.plan,
                                    top.results.size()));
        doc_.tests = std::move(top.results);
    }

    Document doc_;
    std::vector<Block> stack_;
    bool continuation_ = false;
    bool missing_version_reported_ = false;
    bool gave_up_ = false;
};

}  // namespace

Document parse(std::string_view text) { return Parser().run(text); }

std::string describe(const Problem& problem) {
    return problem.line ? fmt::format("line {}: {}", problem.line, problem.message) : problem.message;
}

const char* outcome_name(Outcome outcome) {
    switch (outcome) {
    case Outcome::pass:
        return "ok";
    case Outcome::fail:
        return "not ok";
    case Outcome::skip:
        return "skip";
    }
    return "?";
}

}  // namespace ctl::ktap
