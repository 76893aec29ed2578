// SPDX-License-Identifier: GPL-2.0
/* After 6.1: KUnit's kunit_do_failed_assertion() became __kunit_do_failed_assertion(). */
#include <kunit/test.h>

static __maybe_unused void *probe(void)
{
	return __kunit_do_failed_assertion;
}
