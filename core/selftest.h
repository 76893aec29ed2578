/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writing self-test cases (core/abi.h runs them): plain C macros, so that core/'s C++
 * suites and the shim's C suites read the same. A failed expectation is printed and fails
 * the case; BC_ASSERT additionally returns from the case, for when going on would only
 * fault (a NULL object, a parent that never ended).
 */
#ifndef BIOCHAIN_CORE_SELFTEST_H
#define BIOCHAIN_CORE_SELFTEST_H

#include "abi.h"

#define BC_EXPECT(test, cond) bc_test_expect((test), !!(cond), __FILE__, __LINE__, #cond)
#define BC_EXPECT_EQ(test, actual, expected)                                                   \
	bc_test_expect_eq((test), (long long)(actual), (long long)(expected), __FILE__, __LINE__, \
			  #actual " == " #expected)
#define BC_ASSERT(test, cond)                                                 \
	do {                                                                  \
		if (!bc_test_expect((test), !!(cond), __FILE__, __LINE__, #cond)) \
			return;                                               \
	} while (0)
#define BC_ASSERT_EQ(test, actual, expected)                                                  \
	do {                                                                                  \
		if (!bc_test_expect_eq((test), (long long)(actual), (long long)(expected), __FILE__, \
				       __LINE__, #actual " == " #expected))                     \
			return;                                                               \
	} while (0)

#define BC_TEST_CASE(fn) { #fn, fn }
#define BC_TEST_CASES_END { 0, 0 }

#endif /* BIOCHAIN_CORE_SELFTEST_H */
