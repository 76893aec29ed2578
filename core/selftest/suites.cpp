// core/'s self-test suites, in the order they run (the simplest contracts first).
#include "abi/selftest.h"

extern "C" {
extern const bc_test_suite bc_suite_table;
extern const bc_test_suite bc_suite_layout;
extern const bc_test_suite bc_suite_chain;
extern const bc_test_suite bc_suite_mempool;
extern const bc_test_suite bc_suite_bio_set;

const bc_test_suite* const bc_core_suites[] = {
    &bc_suite_table, &bc_suite_layout, &bc_suite_chain, &bc_suite_mempool, &bc_suite_bio_set,
};
const unsigned int bc_core_nr_suites = sizeof bc_core_suites / sizeof bc_core_suites[0];
}
