// Test-side controls of the POSIX environment (userspace/env_posix.cpp).
#pragma once

namespace bc::posix {

// Allocations core/ holds right now; tests assert it returns to its starting value.
long live_allocations();

}  // namespace bc::posix
