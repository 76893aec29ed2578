// The self-test runner: suites and cases in, KTAP version 1 out, as KUnit prints it
// (Documentation/dev-tools/ktap.rst), so that any KTAP parser, kunit.py's included, reads
// our results: a top-level plan over the suites, each suite a subtest indented four
// spaces with its own version line and plan, diagnostics as `# ` lines before the result
// they explain, `# SKIP` for what cannot run here.
#include "abi/selftest.h"
#include "base/text_buffer.h"
#include "base/types.h"

// One running case. Its failures go to `report` as they happen; the harness that runs it
// (bc_selftest_run's KTAP, or another through bc_selftest_run_case) says what they mean.
struct bc_test {
    const char* case_name;
    bool failed;
    const char* skip_reason;  // non-null: skipped
    void (*report)(void* ctx, const bc_test_failure* failure);
    void* ctx;
};

namespace bc {
namespace {

constexpr usize kLineMax = 256;
constexpr const char* kIndent = "    ";

const char* base_name(const char* path) {
    const char* base = path;
    for (const char* p = path; *p; ++p)
        if (*p == '/')
            base = p + 1;
    return base;
}

// "suite_glob.case_glob": the part of the filter for suites and the part for cases.
struct Filter {
    char suite[128];
    char test_case[128];
};

void copy_until(char* to, usize capacity, const char* from, char stop) {
    usize n = 0;
    while (from[n] && from[n] != stop && n + 1 < capacity) {
        to[n] = from[n];
        ++n;
    }
    to[n] = '\0';
}

Filter parse_filter(const char* filter) {
    Filter f{};
    if (!filter || !*filter) {
        f.suite[0] = f.test_case[0] = '*';
        return f;
    }
    copy_until(f.suite, sizeof f.suite, filter, '.');
    const char* dot = filter;
    while (*dot && *dot != '.')
        ++dot;
    if (*dot)
        copy_until(f.test_case, sizeof f.test_case, dot + 1, '\0');
    else
        f.test_case[0] = '*';
    return f;
}

bool glob(const char* pattern, const char* name) {
    // Iterative, with one backtrack point: the last *. Linear enough for names this short.
    const char* star = nullptr;
    const char* resume = nullptr;
    while (*name) {
        if (*pattern == '?' || *pattern == *name) {
            ++pattern;
            ++name;
        } else if (*pattern == '*') {
            star = pattern++;
            resume = name;
        } else if (star) {
            pattern = star + 1;
            name = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*')
        ++pattern;
    return *pattern == '\0';
}

unsigned matching_cases(const bc_test_suite& suite, const Filter& filter) {
    if (!glob(filter.suite, suite.name))
        return 0;
    unsigned n = 0;
    for (const bc_test_case* c = suite.cases; c->name; ++c)
        n += glob(filter.test_case, c->name);
    return n;
}

class Emitter {
public:
    Emitter(void (*emit)(void*, const char*), void* ctx) : emit_(emit), ctx_(ctx) {}
    // One line: indent, then the parts given through the TextBuffer.
    template <typename Build> void line(bool nested, Build build) {
        char buf[kLineMax];
        TextBuffer out(buf, sizeof buf);
        if (nested)
            out.text(kIndent);
        build(out);
        emit_(ctx_, buf);
    }
    void result(bool nested, unsigned number, const char* name, bool failed, const char* skip_reason) {
        line(nested, [&](TextBuffer& out) {
            out.text(failed ? "not ok " : "ok ").number(number).text(" ").text(name);
            if (skip_reason && !failed)
                out.text(" # SKIP ").text(skip_reason);
        });
    }
    void counts(const char* label, const bc_selftest_totals& t) {
        line(false, [&](TextBuffer& out) {
            out.text("# ").text(label).text(": pass:").number(t.passed).text(" fail:").number(t.failed);
            out.text(" skip:").number(t.skipped).text(" total:").number(t.passed + t.failed + t.skipped);
        });
    }

private:
    void (*emit_)(void*, const char*);
    void* ctx_;
};

}  // namespace
}  // namespace bc

using namespace bc;

namespace bc {
namespace {

void report(bc_test* test, const char* file, int line, const char* what, const char* values) {
    test->failed = true;
    const bc_test_failure failure{test->case_name, base_name(file), line, what, values};
    test->report(test->ctx, &failure);
}

// The runner's own report of a failure: KTAP diagnostics before the case's result line.
void emit_failure(void* ctx, const bc_test_failure* f) {
    Emitter& e = *static_cast<Emitter*>(ctx);
    e.line(true, [&](TextBuffer& out) {
        out.text("# ").text(f->case_name).text(": EXPECTATION FAILED at ").text(f->file).text(":");
        out.number(u64(f->line));
    });
    e.line(true, [&](TextBuffer& out) { out.text("# ").text(f->what); });
    if (f->values)
        e.line(true, [&](TextBuffer& out) { out.text("# ").text(f->values); });
}

}  // namespace
}  // namespace bc

extern "C" int bc_test_expect(bc_test* test, int ok, const char* file, int line, const char* what) {
    if (ok)
        return 1;
    report(test, file, line, what, nullptr);
    return 0;
}

extern "C" int bc_test_expect_eq(bc_test* test, long long actual, long long expected, const char* file, int line,
                                 const char* what) {
    if (actual == expected)
        return 1;
    char values[64];
    TextBuffer(values, sizeof values).text("got ").signed_number(actual).text(", expected ").signed_number(expected);
    report(test, file, line, what, values);
    return 0;
}

extern "C" void bc_test_skip(bc_test* test, const char* reason) { test->skip_reason = reason; }

extern "C" int bc_selftest_glob(const char* pattern, const char* name) { return glob(pattern, name); }

extern "C" int bc_selftest_selects(const char* filter_text, const char* suite_name, const char* case_name) {
    const Filter filter = parse_filter(filter_text);
    return glob(filter.suite, suite_name) && glob(filter.test_case, case_name);
}

extern "C" bc_test_outcome bc_selftest_run_case(const bc_test_case* test_case,
                                                void (*failed)(void* ctx, const bc_test_failure* failure), void* ctx,
                                                const char** skip_reason) {
    bc_test test{test_case->name, false, nullptr, failed, ctx};
    test_case->run(&test);
    *skip_reason = test.failed ? nullptr : test.skip_reason;
    return test.failed ? BC_TEST_FAILED : test.skip_reason ? BC_TEST_SKIPPED : BC_TEST_PASSED;
}

extern "C" void bc_selftest_run(const bc_test_suite* const* suites, unsigned int nr_suites, const char* filter_text,
                                void (*emit)(void* ctx, const char* line), void* ctx, bc_selftest_totals* totals) {
    const Filter filter = parse_filter(filter_text);
    Emitter e(emit, ctx);
    *totals = {};

    unsigned planned = 0;
    for (unsigned s = 0; s < nr_suites; ++s)
        planned += matching_cases(*suites[s], filter) != 0;
    e.line(false, [](TextBuffer& out) { out.text("KTAP version 1"); });
    e.line(false, [&](TextBuffer& out) { out.text("1..").number(planned); });

    unsigned suite_number = 0;
    for (unsigned s = 0; s < nr_suites; ++s) {
        const bc_test_suite& suite = *suites[s];
        const unsigned nr_cases = matching_cases(suite, filter);
        if (!nr_cases)
            continue;
        e.line(true, [](TextBuffer& out) { out.text("KTAP version 1"); });
        e.line(true, [&](TextBuffer& out) { out.text("# Subtest: ").text(suite.name); });
        e.line(true, [&](TextBuffer& out) { out.text("1..").number(nr_cases); });

        bc_selftest_totals counts{};
        unsigned case_number = 0;
        for (const bc_test_case* c = suite.cases; c->name; ++c) {
            if (!glob(filter.test_case, c->name))
                continue;
            const char* skip_reason;
            const bc_test_outcome outcome = bc_selftest_run_case(c, emit_failure, &e, &skip_reason);
            e.result(true, ++case_number, c->name, outcome == BC_TEST_FAILED, skip_reason);
            if (outcome == BC_TEST_FAILED)
                ++counts.failed;
            else if (outcome == BC_TEST_SKIPPED)
                ++counts.skipped;
            else
                ++counts.passed;
        }
        e.counts(suite.name, counts);
        // A suite passes when no case failed; it is skipped when every case was.
        e.result(false, ++suite_number, suite.name, counts.failed != 0,
                 counts.skipped == nr_cases ? "every case skipped" : nullptr);
        totals->passed += counts.passed;
        totals->failed += counts.failed;
        totals->skipped += counts.skipped;
    }
    e.counts("Totals", *totals);
}
