// SPDX-License-Identifier: GPL-2.0
/*
 * The self-test suites under KUnit, on a kernel built with it: the same suites the
 * module's own runner runs (selftest.c; written once, core/abi/selftest.h), each turned
 * into a struct kunit_suite at registration, so that /sys/kernel/debug/kunit/<suite>/results
 * and KUnit's own tools see them. On a kernel without KUnit this file only refuses the
 * parameter, and the module's runner is the whole story.
 *
 *   insmod biochain.ko kunit=1 selftest_dev=/dev/vdb        # register (and run) at load
 *   echo 'biochain_target.*' > /sys/kernel/debug/biochain/kunit   # register again (a filter)
 *   cat /sys/kernel/debug/biochain/kunit                     # the suites registered now
 *   cat /sys/kernel/debug/kunit/biochain_target/results      # KUnit's KTAP of one suite
 *
 * When KUnit runs them: KUnit runs a suite when it is registered (6.1's
 * __kunit_test_suites_init), and a module's .kunit_test_suites section is registered at
 * every load. So the suites are not put in that section: the whole self test at every
 * insmod would cost every guest test its time on a KUnit kernel, and the target suite
 * writes to selftest_dev, which must be asked for. They are registered only when asked,
 * with kunit=1 at load or by a write to debugfs, which first unregisters the last set
 * (KUnit keeps a suite's results until it is unregistered, and cannot run it twice
 * without appending to its log). Unload unregisters whatever is registered.
 *
 * Which core/ case a KUnit case runs: run_case gets only the struct kunit, whose name is
 * the kunit_case's name pointer (kunit_init_test). Each kunit_case gets a copy of its
 * name of its own, so that the pointer identifies it even where two suites share a case
 * name (the compiler may merge equal string literals).
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "abi/selftest.h"
#include "biochain.h"
#include "compat.h"

static bool kunit;
module_param(kunit, bool, 0444);
MODULE_PARM_DESC(kunit, "Register the self tests with KUnit at load, which runs them (kernels with KUnit)");

#if IS_REACHABLE(CONFIG_KUNIT)
#include <kunit/test.h>


/* One suite as KUnit sees it: the selected cases of a core/ or module suite. */
struct kunit_entry {
	struct kunit_suite suite;
	const struct bc_test_case **core; /* core[i] is what cases[i] runs */
	unsigned int nr_cases;
	struct kunit_case cases[]; /* ends with a zeroed case, as KUnit wants */
};

/*
 * What is registered now. Changed under biochain_selftest_mutex; the KUnit threads that
 * run the cases read it without the lock, while the thread that registered them holds
 * it and waits for them in __kunit_test_suites_init.
 */
static struct kunit_suite **registered;
static unsigned int nr_registered;

/* ------------------------------------------------------------------ running a case */

/*
 * KUnit 6.1 keeps each case's log for debugfs in KUNIT_LOG_SIZE bytes and cuts what does
 * not fit, the case's own result line included, which would leave a results file no KTAP
 * parser accepts. So a case reports failures in full only while they fit beside that
 * line; the rest are counted, and the module's own runner shows them all. Later kernels
 * grow the log as needed (no KUNIT_LOG_SIZE).
 */
#ifdef KUNIT_LOG_SIZE
#define KUNIT_CASE_LOG_ROOM (KUNIT_LOG_SIZE - 1) /* and its NUL */
#else
#define KUNIT_CASE_LOG_ROOM SIZE_MAX
#endif
#define KUNIT_WHAT_MAX 160 /* of an expression, in a KUnit failure */

struct kunit_report {
	struct kunit *test;
	size_t room; /* what this case's failures may still write to its log */
	unsigned int unreported;
};

/* The log's bytes for a line "    # <case>: <text>\n". */
static size_t kunit_line_cost(const struct kunit *test, size_t text)
{
	return strlen("    # : \n") + strlen(test->name) + text;
}

/* A failed core/ expectation as a failed KUnit expectation at the core/ file and line:
 *     # case: EXPECTATION FAILED at table_suite.cpp:42
 *     Expected parse(...) == 0, but
 *         got -22, expected 0
 * which is KUnit's own layout (the values line is core/'s text). */
static void kunit_failed(void *ctx, const struct bc_test_failure *f)
{
	struct kunit_report *r = ctx;
	const struct kunit_loc loc = { .line = f->line, .file = f->file };
	const struct kunit_fail_assert assert = {};
	char message[KUNIT_WHAT_MAX + 96];
	size_t cost;

	if (f->values)
		snprintf(message, sizeof(message), "    Expected %.*s, but\n        %s", KUNIT_WHAT_MAX,
			 f->what, f->values);
	else
		snprintf(message, sizeof(message), "    Expected %.*s to be true, but is false",
			 KUNIT_WHAT_MAX, f->what);
	cost = kunit_line_cost(r->test, strlen("EXPECTATION FAILED at :4294967295\n") +
						strlen(f->file) + strlen(message));
	if (cost > r->room) {
		kunit_set_failure(r->test);
		r->unreported++;
		return;
	}
	r->room -= cost;
	biochain_kunit_failed_assertion(r->test, &loc, KUNIT_EXPECTATION, &assert.assert,
					kunit_fail_assert_format, "%s", message);
}

static const struct bc_test_case *kunit_core_case(const char *name)
{
	unsigned int s, c;

	for (s = 0; s < nr_registered; s++) {
		struct kunit_entry *e = container_of(registered[s], struct kunit_entry, suite);

		for (c = 0; c < e->nr_cases; c++)
			if (e->cases[c].name == name)
				return e->core[c];
	}
	return NULL;
}

/* Every KUnit case of ours: the core/ case, its failures reported as they happen (above),
 * its skip as KUnit's. kunit_mark_skipped, not kunit_skip: the case has returned and
 * cleaned up; nothing is left to abort. A case that failed and skipped is failed, as the
 * module's runner counts it. */
static void kunit_run_case(struct kunit *test)
{
	const struct bc_test_case *test_case = kunit_core_case(test->name);
	/* room for the result line and the count of unreported failures */
	const size_t reserve = strlen("    not ok 4294967295 \n") + strlen(test->name) +
			       kunit_line_cost(test, strlen("and 4294967295 more failed expectations"));
	struct kunit_report r = {
		.test = test,
		.room = KUNIT_CASE_LOG_ROOM > reserve ? KUNIT_CASE_LOG_ROOM - reserve : 0,
	};
	const char *skip_reason;

	if (!test_case) { /* cannot happen: every registered name is in registered[] */
		KUNIT_FAIL(test, "no biochain case registered as %s", test->name);
		return;
	}
	if (bc_selftest_run_case(test_case, kunit_failed, &r, &skip_reason) == BC_TEST_SKIPPED)
		kunit_mark_skipped(test, "%s", skip_reason);
	if (r.unreported)
		kunit_err(test, "and %u more failed expectations", r.unreported);
}

/* ------------------------------------------------------------------ registration */

static void kunit_entry_free(struct kunit_entry *e)
{
	unsigned int c;

	for (c = 0; c < e->nr_cases; c++)
		kfree(e->cases[c].name);
	kfree(e->core);
	kfree(e);
}

/* The cases of suite that filter selects, as a KUnit suite; NULL when there are none;
 * ERR_PTR(-ENOMEM). */
static struct kunit_entry *kunit_entry_create(const struct bc_test_suite *suite, const char *filter)
{
	const struct bc_test_case *c;
	struct kunit_entry *e;
	unsigned int n = 0;

	for (c = suite->cases; c->name; c++)
		n += bc_selftest_selects(filter, suite->name, c->name);
	if (!n)
		return NULL;
	e = kzalloc(struct_size(e, cases, n + 1), GFP_KERNEL);
	if (!e)
		return ERR_PTR(-ENOMEM);
	e->core = kcalloc(n, sizeof(*e->core), GFP_KERNEL);
	if (!e->core)
		goto nomem;
	/* kunit_suite's name is a const array: ours is filled once, here, before KUnit sees it */
	strscpy((char *)e->suite.name, suite->name, sizeof(e->suite.name));
	e->suite.test_cases = e->cases;
	for (c = suite->cases; c->name; c++) {
		if (!bc_selftest_selects(filter, suite->name, c->name))
			continue;
		e->cases[e->nr_cases].run_case = kunit_run_case;
		e->cases[e->nr_cases].name = kstrdup(c->name, GFP_KERNEL);
		if (!e->cases[e->nr_cases].name)
			goto nomem;
		e->core[e->nr_cases++] = c;
	}
	return e;

nomem:
	kunit_entry_free(e);
	return ERR_PTR(-ENOMEM);
}

static void kunit_entries_free(struct kunit_suite **suites, unsigned int n)
{
	unsigned int s;

	for (s = 0; s < n; s++)
		kunit_entry_free(container_of(suites[s], struct kunit_entry, suite));
	kfree(suites);
}

static void kunit_unregister(void)
{
	lockdep_assert_held(&biochain_selftest_mutex);
	if (nr_registered)
		__kunit_test_suites_exit(registered, nr_registered);
	kunit_entries_free(registered, nr_registered);
	registered = NULL;
	nr_registered = 0;
}

/* Replaces what is registered by the suites and cases filter selects, which KUnit runs
 * now, each case in a thread of its own; returns when they are done. */
static int kunit_register(const char *filter)
{
	const struct bc_test_suite *suites[BIOCHAIN_SELFTEST_MAX_SUITES];
	unsigned int n = biochain_selftest_suites(suites, ARRAY_SIZE(suites));
	struct kunit_suite **set;
	unsigned int s, nr_set = 0;

	kunit_unregister();
	set = kcalloc(n, sizeof(*set), GFP_KERNEL);
	if (!set)
		return -ENOMEM;
	for (s = 0; s < n; s++) {
		struct kunit_entry *e = kunit_entry_create(suites[s], filter);

		if (IS_ERR(e)) {
			kunit_entries_free(set, nr_set); /* never seen by KUnit: only freed */
			return PTR_ERR(e);
		}
		if (e)
			set[nr_set++] = &e->suite;
	}
	if (!nr_set) {
		kfree(set);
		return 0;
	}
	/* before KUnit runs a case: kunit_run_case looks its case up here */
	registered = set;
	nr_registered = nr_set;
	return __kunit_test_suites_init(registered, nr_registered);
}

/* ------------------------------------------------------------------ debugfs */

static ssize_t kunit_write(struct file *file, const char __user *ubuf, size_t count, loff_t *ppos)
{
	return biochain_selftest_write_filter(ubuf, count, kunit_register);
}

/* The names of the suites registered now, one a line: where their results are. */
static ssize_t kunit_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	char *text;
	size_t len = 0, size;
	unsigned int s;
	ssize_t ret;

	mutex_lock(&biochain_selftest_mutex);
	size = nr_registered * (sizeof(registered[0]->name) + 1) + 1;
	text = kmalloc(size, GFP_KERNEL);
	if (!text) {
		mutex_unlock(&biochain_selftest_mutex);
		return -ENOMEM;
	}
	text[0] = '\0';
	for (s = 0; s < nr_registered; s++)
		len += scnprintf(text + len, size - len, "%s\n", registered[s]->name);
	mutex_unlock(&biochain_selftest_mutex);
	ret = simple_read_from_buffer(ubuf, count, ppos, text, len);
	kfree(text);
	return ret;
}

static const struct file_operations kunit_fops = {
	.owner = THIS_MODULE,
	.read = kunit_read,
	.write = kunit_write,
	.llseek = default_llseek,
};

void biochain_kunit_init(struct dentry *debugfs_dir)
{
	int ret;

	debugfs_create_file("kunit", 0600, debugfs_dir, NULL, &kunit_fops);
	if (!kunit)
		return;
	mutex_lock(&biochain_selftest_mutex);
	ret = kunit_register(NULL);
	mutex_unlock(&biochain_selftest_mutex);
	if (ret)
		pr_err("biochain: self tests not registered with KUnit: %d\n", ret);
}

void biochain_kunit_exit(void)
{
	mutex_lock(&biochain_selftest_mutex);
	kunit_unregister();
	mutex_unlock(&biochain_selftest_mutex);
}

#else /* !IS_REACHABLE(CONFIG_KUNIT) */

/* No KUnit: no debugfs file (its absence is how biochainctl and the guest tests tell). */
void biochain_kunit_init(struct dentry *debugfs_dir)
{
	if (kunit)
		pr_warn("biochain: kunit=1 ignored: this kernel has no KUnit (selftest=1 runs the module's own runner)\n");
}

void biochain_kunit_exit(void)
{
}

#endif
