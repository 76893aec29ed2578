# biochain. The two commands a newcomer needs:
#   make demo    a guest with two virtio disks, a biochain device, fio on it, the stats
#   make check   every test: static checks, unit tests under sanitizers, guest tests
SHELL := /bin/bash
.DEFAULT_GOAL := all

KDIR ?= $(shell scripts/kernel --kdir)
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_GEN = cmake -S . -B $(BUILD)/$(1) -DCMAKE_BUILD_TYPE=$(2) -DBC_SANITIZE=$(3) >/dev/null

.PHONY: all deps kernel module userspace unit unit-asan unit-tsan thread-safety \
        vm-check check demo clean module-clean bench-alloc sim-long module-6.12

all: module userspace

deps:
	@scripts/deps

kernel: deps
	@scripts/kernel >/dev/null

# The kernel module, against the cached Debian headers by default; for a real host:
#   make module KDIR=/lib/modules/$(uname -r)/build
# Any diagnostic from Kbuild (compiler, objtool, modpost) fails the build.
module: kernel
	@scripts/build-module "$(KDIR)"

# Compile probe against Debian's 6.12 (bookworm-security's linux-headers-6.12-amd64):
# headers, -common and kbuild only, fetched once into the same cache; no boot. Kbuild
# builds in the source tree, so this builds a fresh copy of the module's sources in
# $(BUILD)/probe-6.12 with copies of build-module and check-kobj (they work where they
# lie): the 6.1 objects of `make module` are left alone. About 10 s and offline once
# fetched, so `make check` runs it.
PROBE_FLAVOUR ?= linux-headers-6.12-amd64
PROBE_DIR = $(BUILD)/probe-6.12
module-6.12: deps
	@kdir=$$(BIOCHAIN_KERNEL_FLAVOUR=$(PROBE_FLAVOUR) scripts/kernel --kdir) && \
	  rm -rf $(PROBE_DIR) && mkdir -p $(PROBE_DIR)/module $(PROBE_DIR)/core $(PROBE_DIR)/scripts && \
	  cp -p Kbuild $(PROBE_DIR)/ && cp -p module/*.[ch] $(PROBE_DIR)/module/ && \
	  cp -p core/*.cpp core/*.h $(PROBE_DIR)/core/ && \
	  cp -p scripts/build-module scripts/check-kobj $(PROBE_DIR)/scripts/ && \
	  $(PROBE_DIR)/scripts/build-module "$$kdir"

userspace: deps
	@$(call CMAKE_GEN,release,RelWithDebInfo,)
	@cmake --build $(BUILD)/release -j$(JOBS)

# Unit tests of core/ over the POSIX environment, under ASan+UBSan and under TSan.
unit-asan: deps
	@$(call CMAKE_GEN,asan,Debug,address)
	@cmake --build $(BUILD)/asan -j$(JOBS)
	@cd $(BUILD)/asan && ctest --output-on-failure -j$(JOBS)

unit-tsan: deps
	@$(call CMAKE_GEN,tsan,Debug,thread)
	@cmake --build $(BUILD)/tsan -j$(JOBS)
	@cd $(BUILD)/tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j$(JOBS)

unit: unit-asan unit-tsan

# clang's thread-safety analysis over core/ (GCC ignores the annotations).
thread-safety: deps
	@for f in core/*.cpp; do \
	  clang++ -std=c++17 -fsyntax-only -ffreestanding -nostdinc++ -fno-exceptions -fno-rtti \
	    -DBC_FREESTANDING -Wthread-safety -Wthread-safety-beta -Werror -Icore $$f || exit 1; \
	done
	@echo "thread-safety: core/ clean under clang -Wthread-safety"

# Guest tests: one boot runs every script of tests/vm/suite.
vm-check: module userspace
	@scripts/vm --disks 4 --timeout 900 tests/vm/suite

check: module module-6.12 thread-safety unit vm-check
	@grep -h '^guest: ' $(BUILD)/vm/suite/console.log | tail -n 1

# The simulator over many more seeds than make check runs (release build).
sim-long: userspace
	@$(BUILD)/release/biochain_sim --seeds 0:99999 --quiet

# Allocation microbenchmarks: in the kernel (one guest boot) and over POSIX. Figures, not tests.
bench-alloc: module userspace
	@$(BUILD)/release/bench_bioset
	@scripts/vm --timeout 900 tests/vm/bench-alloc

demo: module userspace
	@scripts/vm --disks 2 --timeout 900 tests/vm/demo

module-clean:
	@$(MAKE) -s -C "$(KDIR)" M=$(CURDIR) clean

clean: module-clean
	rm -rf $(BUILD)
