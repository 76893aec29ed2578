/* SPDX-License-Identifier: GPL-2.0 */
/* Self tests: the suites, the runner, and the C macros that write a case. */
#ifndef BIOCHAIN_ABI_SELFTEST_H
#define BIOCHAIN_ABI_SELFTEST_H

#include "abi/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * KUnit-like self tests, written once and run inside the module (kernel environment) and
 * in userspace (POSIX environment): suites of cases, results as KTAP version 1. core/'s
 * suites are bc_core_suites; the shim adds its own (real bios to a real device).
 */
struct bc_test; /* one running case */

struct bc_test_case {
	const char *name;
	void (*run)(struct bc_test *test);
};

struct bc_test_suite {
	const char *name;
	const struct bc_test_case *cases; /* ends with a case whose name is NULL */
};

/* Record an expectation: a failure is printed (where, what) and fails the case, which
 * goes on running. Returns ok, so that a case can stop where going on makes no sense. */
int bc_test_expect(struct bc_test *test, int ok, const char *file, int line, const char *what);
/* The same for two integers that must be equal; a failure shows both values. */
int bc_test_expect_eq(struct bc_test *test, long long actual, long long expected, const char *file,
		      int line, const char *what);
/* The case cannot run here (no scratch device, ...): it is reported `# SKIP reason`. */
void bc_test_skip(struct bc_test *test, const char *reason);

extern const struct bc_test_suite *const bc_core_suites[];
extern const unsigned int bc_core_nr_suites;

struct bc_selftest_totals {
	unsigned int passed, failed, skipped;
};

/*
 * One case run outside bc_selftest_run, by another harness (the module's KUnit glue,
 * module/kunit.c): its failed expectations go to `failed` as they happen, its outcome is
 * returned, and the harness reports both in its own terms. bc_selftest_run runs every
 * case through the same function, so both harnesses count a case alike: a case that
 * failed is failed even if it also skipped.
 */
enum bc_test_outcome { BC_TEST_PASSED, BC_TEST_FAILED, BC_TEST_SKIPPED };

struct bc_test_failure {
	const char *case_name;
	const char *file; /* base name of the source file */
	int line;
	const char *what;   /* the expression, as written */
	const char *values; /* "got A, expected B" for an _EQ expectation; NULL otherwise */
};

/* *skip_reason is set (to the case's own text) when the case skipped, else NULL. */
enum bc_test_outcome bc_selftest_run_case(const struct bc_test_case *test_case,
					  void (*failed)(void *ctx, const struct bc_test_failure *failure),
					  void *ctx, const char **skip_reason);
/* Whether filter (as bc_selftest_run takes it) selects case_name of suite_name. */
int bc_selftest_selects(const char *filter, const char *suite_name, const char *case_name);

/* Runs the suites and cases that match filter ("suite_glob[.case_glob]" with * and ?;
 * NULL or "" for all), giving each KTAP line (no newline) to emit. Sleeps; process
 * context only. */
void bc_selftest_run(const struct bc_test_suite *const *suites, unsigned int nr_suites,
		     const char *filter, void (*emit)(void *ctx, const char *line), void *ctx,
		     struct bc_selftest_totals *totals);
/* Whether name matches the glob pattern (* any run, ? any one character). */
int bc_selftest_glob(const char *pattern, const char *name);

#ifdef __cplusplus
}
#endif

/*
 * Writing a case: plain C macros, so that core/'s C++ suites and the shim's C suites read
 * the same. A failed expectation is printed and fails the case; BC_ASSERT additionally
 * returns from the case, for when going on would only fault (a NULL object, a parent that
 * never ended).
 */
#define BC_EXPECT(test, cond) bc_test_expect((test), !!(cond), __FILE__, __LINE__, #cond)
#define BC_EXPECT_EQ(test, actual, expected)                                                   \
	bc_test_expect_eq((test), (long long)(actual), (long long)(expected), __FILE__, __LINE__, \
			  #actual " == " #expected)
/* The condition decides the branch itself (bc_test_expect only reports), so that the
 * compiler knows it holds after the assertion: GCC's -O2 flow warnings otherwise follow
 * a path where an asserted pointer is NULL (stringop-overflow on the release build). */
#define BC_ASSERT(test, cond)                                                      \
	do {                                                                       \
		if (!(cond)) {                                                     \
			bc_test_expect((test), 0, __FILE__, __LINE__, #cond);      \
			return;                                                    \
		}                                                                  \
	} while (0)
#define BC_ASSERT_EQ(test, actual, expected)                                                  \
	do {                                                                                  \
		if (!bc_test_expect_eq((test), (long long)(actual), (long long)(expected), __FILE__, \
				       __LINE__, #actual " == " #expected))                     \
			return;                                                               \
	} while (0)

#define BC_TEST_CASE(fn) { #fn, fn }
#define BC_TEST_CASES_END { 0, 0 }

#endif /* BIOCHAIN_ABI_SELFTEST_H */
