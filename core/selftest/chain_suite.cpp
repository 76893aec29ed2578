// Self tests: Chain (chain.h), the parent/child accounting every split relies on.
#include "target/chain.h"
#include "abi/selftest.h"

namespace bc {
namespace selftest_chain {

// Issue n children with the bias held, end them in the given order with the given
// errors, drop the bias last: returns how many times the parent would have ended.
int run_chain(ParentState* parent, const int* errors, unsigned n, bool bias_last) {
    int ends = 0;
    Chain::begin(parent, parent);
    for (unsigned i = 0; i < n; ++i)
        Chain::add_child(parent);
    if (!bias_last)
        ends += Chain::end_one(parent, 0) == 1;
    for (unsigned i = 0; i < n; ++i)
        ends += Chain::end_one(parent, errors[i]) == 1;
    if (bias_last)
        ends += Chain::end_one(parent, 0) == 1;
    return ends;
}

void parent_ends_once_after_its_last_child(bc_test* test) {
    const int ok[4] = {};
    ParentState parent;
    BC_EXPECT_EQ(test, run_chain(&parent, ok, 4, true), 1);
    BC_EXPECT_EQ(test, Chain::in_flight(&parent), -1);  // everything, the bias too, is gone
    BC_EXPECT_EQ(test, run_chain(&parent, ok, 4, false), 1);
    BC_EXPECT_EQ(test, Chain::error(&parent), 0);
}

void first_error_wins(bc_test* test) {
    const int errors[4] = {0, -5, -28, -5};
    ParentState parent;
    BC_EXPECT_EQ(test, run_chain(&parent, errors, 4, true), 1);
    BC_EXPECT_EQ(test, Chain::error(&parent), -5);
}

void in_flight_excludes_the_bias(bc_test* test) {
    ParentState parent;
    Chain::begin(&parent, &parent);
    BC_EXPECT_EQ(test, Chain::in_flight(&parent), 0);
    Chain::add_child(&parent);
    Chain::add_child(&parent);
    BC_EXPECT_EQ(test, Chain::in_flight(&parent), 2);
    BC_EXPECT_EQ(test, Chain::end_one(&parent, 0), 3);
    BC_EXPECT_EQ(test, Chain::end_one(&parent, 0), 2);  // only the bias left: wake chain_next
    BC_EXPECT_EQ(test, Chain::end_one(&parent, 0), 1);  // the bias: the parent ends now
}

const bc_test_case cases[] = {
    BC_TEST_CASE(parent_ends_once_after_its_last_child),
    BC_TEST_CASE(first_error_wins),
    BC_TEST_CASE(in_flight_excludes_the_bias),
    BC_TEST_CASES_END,
};

}  // namespace selftest_chain
}  // namespace bc

extern "C" const bc_test_suite bc_suite_chain = {"biochain_chain", bc::selftest_chain::cases};
