# biochain. The two commands a newcomer needs:
#   make demo    a guest with two virtio disks, a biochain device, fio on it, the stats
#   make check   every test: static checks, unit tests under sanitizers, guest tests
SHELL := /bin/bash
.DEFAULT_GOAL := all

KDIR ?= $(shell scripts/kernel --kdir)
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_GEN = cmake -S . -B $(BUILD)/$(1) -DCMAKE_BUILD_TYPE=$(2) -DBC_SANITIZE=$(3) >/dev/null

.PHONY: all deps kernel module userspace unit unit-asan unit-tsan thread-safety script-tests vm-check-crash \
        vm-check vm-check-swap vm-check-debug check demo clean modules \
        debug-kernel module-debug module-clean bench bench-alloc sim-long dkms deb deb-check probe-newest \
        fuzz fuzz-build fuzz-check

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

# The module for another kernel of scripts/kernels.list (6.12, 7.x): its sources copied to
# $(BUILD)/probe-NAME and built there by scripts/build-kernel-module, with that kernel's
# compiler, inside a chroot of its Debian suite (scripts/chroot) when the host's C library
# is too old for its kbuild tools. The 6.1 objects of `make module` are left alone.
# KERNELS: every name but 6.1 (which `make module` builds in place) and debug.
KERNELS := $(filter-out 6.1,$(shell scripts/kernel --names))
$(addprefix module-,$(KERNELS)): module-%: deps
	@scripts/build-kernel-module $* $(BUILD)/probe-$*
modules: module $(addprefix module-,$(KERNELS))
	@scripts/check-probes 6.1 module/compat_probes.h

# An early look at the next kernel: the module built against the newest headers of
# trixie-backports and sid today (not the pinned kernels), each with its compiler in its
# suite's chroot. A report (release, compiler, "builds" or the first errors), never a
# failure: make check prints it at the end.
probe-newest: deps
	@scripts/probe-newest

# Installing on a real host. make dkms: the module's source tree and dkms.conf under
# $(DESTDIR)/usr/src/biochain-VERSION (then `dkms install biochain/VERSION`); DKMS builds
# it with the kernel's compiler and its g++, warnings not errors (scripts/dkms-build).
# make deb: $(BUILD)/deb/biochain-dkms_*.deb and biochainctl_*.deb, lintian-clean
# (scripts/package/deb). make deb-check: both installed with apt in a throwaway chroot of
# each kernel's suite, DKMS's build and install for that kernel, and the module it built
# booted in a guest (tests/package/check).
DESTDIR ?=
dkms:
	@scripts/package/dkms-source "$(DESTDIR)"
deb: userspace
	@rm -rf $(BUILD)/deb && scripts/package/deb $(BUILD)/deb $(BUILD)/release/biochainctl
deb-check: deb
	@tests/package/check $(BUILD)/deb

# The debug kernel (scripts/debug-kernel: Debian's linux-source-6.1 with KASAN, lockdep,
# kmemleak, debug objects, UBSAN, fault injection and KUnit), built once into the kernel
# cache (about DEBUG_KERNEL_MINUTES on 2 cores), and the module built against it in
# $(BUILD)/probe-debug: KASAN and UBSAN instrument core/'s C++ as they do the C.
debug-kernel: deps
	@BIOCHAIN_KERNEL=debug scripts/kernel >/dev/null
module-debug: debug-kernel
	@scripts/build-kernel-module debug $(BUILD)/probe-debug

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
	@for f in $$(find core -name '*.cpp' ! -name core_kernel.cpp | sort); do \
	  clang++ -std=c++17 -fsyntax-only -ffreestanding -nostdinc++ -fno-exceptions -fno-rtti \
	    -DBC_FREESTANDING -Wthread-safety -Wthread-safety-beta -Werror -Icore $$f || exit 1; \
	done
	@echo "thread-safety: core/ clean under clang -Wthread-safety"

# Coverage-guided fuzzing of every parser (tests/fuzz/: the table, dmsetup messages,
# KTAP, biochainctl's status lines) with clang's libFuzzer under ASan+UBSan, in
# $(BUILD)/fuzz. make fuzz: each fuzzer FUZZ_SECONDS on a scratch copy of its corpus;
# FUZZ_MERGE=1 merges what adds coverage into tests/fuzz/corpus. make fuzz-check (part of
# make check): the committed corpus replayed, then each fuzzer FUZZ_CHECK_SECONDS from
# a fixed seed. Both fail on any crash, leak, sanitizer report, broken property or timeout.
FUZZ_TARGETS ?= table message ktap status
FUZZ_SECONDS ?= 300
FUZZ_MERGE ?= 0
FUZZ_CHECK_SECONDS ?= 20
fuzz-build: deps
	@CC=clang CXX=clang++ cmake -S . -B $(BUILD)/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBC_FUZZ=ON >/dev/null
	@cmake --build $(BUILD)/fuzz --target fuzzers -j$(JOBS)

fuzz: fuzz-build
	@scripts/fuzz run $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_MERGE) $(FUZZ_TARGETS)

fuzz-check: fuzz-build
	@scripts/fuzz check $(BUILD)/fuzz $(FUZZ_CHECK_SECONDS) $(FUZZ_TARGETS)

# The host-side scripts' own tests (bench-report's paired statistics); Python stdlib only.
script-tests: deps
	@python3 -m unittest discover -s tests/scripts

# Guest tests: one boot runs every script of tests/vm/suite.
vm-check: module userspace
	@scripts/vm --disks 4 --timeout 1200 tests/vm/suite

# Swap on biochain under real memory pressure (tests/vm/swap): its own boot, a guest of
# 384 MiB and a memory hog of twice that, dm-linear as the control.
vm-check-swap: module userspace
	@scripts/vm --disks 2 --mem 384 --timeout 1200 --results $(BUILD)/vm/swap tests/vm/suite swap

# A mirror's disk log across a real crash (tests/vm/crash): boot 1 writes and resets itself
# (sysrq b) in the middle of the writes, boot 2 over the same disk images (--disk-dir)
# counts what the log makes it resync. The images go at the start and at a pass.
CRASH_DISKS = $(BUILD)/vm/crash-disks
vm-check-crash: module userspace
	@rm -rf $(CRASH_DISKS) $(BUILD)/vm/crash; mkdir -p $(BUILD)/vm/crash
	@scripts/vm --disks 5 --disk-size 256M --disk-dir $(CRASH_DISKS) --expect-reset --timeout 600 \
	  --results $(BUILD)/vm/crash tests/vm/crash crash
	@cp $(BUILD)/vm/crash/console.log $(BUILD)/vm/crash/console-reset.log
	@scripts/vm --disks 5 --disk-size 256M --disk-dir $(CRASH_DISKS) --timeout 600 \
	  --results $(BUILD)/vm/crash tests/vm/crash after
	@rm -rf $(CRASH_DISKS)

# The same suite booted on another kernel of scripts/kernels.list (make vm-check-6.12,
# vm-check-7.x), with the module make module-NAME built: tests/vm/common.sh loads the
# biochain.ko whose vermagic is the running kernel's.
$(addprefix vm-check-,$(KERNELS)): vm-check-%: module-% userspace
	@BIOCHAIN_KERNEL=$* scripts/vm --disks 4 --timeout 1200 \
	  --results $(BUILD)/vm/suite-$* tests/vm/suite

# The same suite on the debug kernel, with what only it can check (tests/vm/suite-debug:
# the kernel's own fault injection, kmemleak at the end); any KASAN, lockdep, UBSAN,
# atomic-sleep or debug-objects report fails the run (scripts/vm reads dmesg).
# slub_debug=A flags biochain's slab caches for failslab's cache filter (tests/vm/fault-inject);
# no_hash_pointers lets kmemleak's backtraces show the addresses tests/vm/kmemleak judges.
# The debug kernel runs on one TCG thread, so its scripts are shared between two boots
# run at once, one per core; part 1's lines come after part 2's. Part 2 boots once part 1
# has started its script. This kernel sometimes stops before init, silently (3 of 8 boots
# on 2026-12-03, alone or not; not understood): scripts/vm boots a guest again when it has
# not reached its script in 240 s, up to three boots.
vm_debug_part = BIOCHAIN_KERNEL=debug scripts/vm --disks 4 --timeout 1500 --mem 3072 \
	  --append 'slub_debug=A,biochain-* no_hash_pointers' --results $(BUILD)/vm/suite-debug-$(1) \
	  tests/vm/suite-debug $(1)
vm-check-debug: module-debug userspace
	@mkdir -p $(BUILD)/vm; rm -rf $(BUILD)/vm/suite-debug-1/.vm $(BUILD)/vm/suite-debug-1.rc; \
	{ $(call vm_debug_part,1) >$(BUILD)/vm/suite-debug-1.out 2>&1; echo $$? >$(BUILD)/vm/suite-debug-1.rc; } & \
	for i in $$(seq 330); do \
	  [ -e $(BUILD)/vm/suite-debug-1/.vm/started ] || [ -e $(BUILD)/vm/suite-debug-1.rc ] && break; sleep 1; \
	done; \
	two=0; $(call vm_debug_part,2) || two=$$?; wait; \
	echo "---- tests/vm/suite-debug 1 (booted beside part 2)"; cat $(BUILD)/vm/suite-debug-1.out; \
	one=$$(cat $(BUILD)/vm/suite-debug-1.rc); \
	[ "$$one" = 0 ] || echo "vm-check-debug: part 1 failed ($$one)"; \
	[ $$two = 0 ] || echo "vm-check-debug: part 2 failed ($$two)"; \
	[ "$$one" = 0 ] && [ $$two = 0 ]

# make check, in the order that keeps both cores busy (a CI run has 90 minutes):
#  1. every kernel of scripts/kernels.list fetched, the module built for each (the chroots
#     of their suites made once);
#  2. the debug kernel's build (once per machine, about 15 minutes of both cores) started
#     in the background at nice 19 (log: $(BUILD)/debug-kernel.log), so that it takes
#     what the next steps leave idle: a TCG guest does not keep two cores busy;
#  3. the host-side checks, then the suite on each kernel of scripts/kernels.list, the swap
#     and crash guests;
#  4. the debug suite, its two boots at once (they wait for the build to finish).
# A make check stopped early leaves the background build running; it finishes into the
# cache (scripts/debug-kernel's lock keeps a second build from starting beside it).
# Each part's wall time goes to $(BUILD)/check-times, printed at the end (and as far as it
# got when a part fails).
CHECK_TIMES = $(BUILD)/check-times
timed = s=$$(date +%s); $(2); rc=$$?; \
	echo "$(1): $$(( $$(date +%s) - s )) s$$([ $$rc = 0 ] || echo " (failed)")" >>$(CHECK_TIMES); \
	[ $$rc = 0 ] || { echo "make check: $(1) failed; the parts' times:"; cat $(CHECK_TIMES); }; exit $$rc
check:
	@mkdir -p $(BUILD) && rm -f $(CHECK_TIMES)
	@$(call timed,modules and kernels,$(MAKE) --no-print-directory modules)
	@BIOCHAIN_KERNEL=debug nohup nice -n 19 scripts/kernel \
	  >$(BUILD)/debug-kernel.log 2>&1 </dev/null &
	@$(call timed,thread-safety and unit,$(MAKE) --no-print-directory thread-safety unit)
	@$(call timed,fuzz-check and script-tests,$(MAKE) --no-print-directory fuzz-check script-tests)
	@$(call timed,vm-check (6.1),$(MAKE) --no-print-directory vm-check)
	@$(foreach k,$(KERNELS),( $(call timed,vm-check-$(k),$(MAKE) --no-print-directory vm-check-$(k)) ) && ) true
	@$(call timed,vm-check-swap,$(MAKE) --no-print-directory vm-check-swap)
	@$(call timed,vm-check-crash,$(MAKE) --no-print-directory vm-check-crash)
	@$(call timed,deb-check,$(MAKE) --no-print-directory deb-check)
	@$(call timed,probe-newest (a report: never fails),scripts/probe-newest >$(BUILD)/probe-newest.txt)
	@$(call timed,vm-check-debug (with the wait for its kernel),$(MAKE) --no-print-directory vm-check-debug)
	@echo "6.1:   $$(grep -h '^guest: ' $(BUILD)/vm/suite/console.log | tail -n 1)"
	@echo "swap:  $$(grep -h '^guest: ' $(BUILD)/vm/swap/console.log | tail -n 1)"
	@echo "crash: $$(cat $(BUILD)/vm/crash/console-reset.log $(BUILD)/vm/crash/console.log | tr -d '\r' | \
	  awk '/^ok / {p++} /^not ok / {f++} END {printf "guest: %d passed, %d failed (two boots)\n", p, f}')"
	@$(foreach k,$(KERNELS),printf '%-6s %s\n' "$(k):" "$$(grep -h '^guest: ' $(BUILD)/vm/suite-$(k)/console.log | tail -n 1)" && ) true
	@echo "dkms:  $$(cat $(BUILD)/vm/dkms-*/console.log | tr -d '\r' | awk '/^ok / {p++} /^not ok / {f++} \
	  END {printf "guest: %d passed, %d failed (a boot per kernel, the module DKMS built)\n", p, f}')"
	@echo "debug: $$(cat $(BUILD)/vm/suite-debug-[12]/console.log | awk '/^guest: / {p += $$2; f += $$4} \
	  END {printf "guest: %d passed, %d failed (two boots)\n", p, f}')"
	@cat $(BUILD)/probe-newest.txt
	@echo "the parts' times:"; sed 's/^/  /' $(CHECK_TIMES)

# The simulator over many more seeds than make check runs (release build): DM's way and the
# all-children split with the rescuer, DM's way without it.
sim-long: userspace
	@$(BUILD)/release/biochain_sim --seeds 0:99999 --quiet
	@$(BUILD)/release/biochain_sim --split-all --seeds 0:99999 --quiet
	@$(BUILD)/release/biochain_sim --no-rescuer --seeds 0:99999 --quiet

# Benchmarks, figures not tests. make bench: in one guest boot (tests/vm/bench), fio against
# raw null_blk, dm-linear, dm-stripe, dm-mirror and biochain linear / striped / mirror, the
# biochain layouts again at reserve 1 fail_alloc 100, a 4-deep biochain stack, and the
# in-kernel allocation microbenchmark, run one after the other; then the paired phase
# (tests/vm/bench-paired: biochain and its dm reference at the same time on one vCPU, and
# A/A controls); then scripts/bench-report writes $(BUILD)/bench/bench.{json,md,png}.
# Fails if a fio job failed. Knobs:
#   BENCH_RUNTIME  seconds per fio run        BENCH_ROUNDS  rounds (order A B B A ...)
#   BENCH_FILTER   extended regex over "<job> <device>", e.g. 'randread-4k-qd32-nj1 bc_striped$'
#                  (a device brings its reference along; 'resync' the mirror's resync
#                  against dd and dm-raid1's (tests/vm/bench-resync); 'alloc' selects the allocation
#                  bench, 'paired' the paired phase)
#   BENCH_PAIRED_RUNTIME, BENCH_PAIRED_ROUNDS   the same for the paired phase
# The defaults are a full run of about 35 minutes on 2 cores under TCG; `make bench
# BENCH_FILTER=paired` runs the paired phase alone (about 11 minutes).
BENCH_RUNTIME ?= 2
BENCH_ROUNDS ?= 3
BENCH_FILTER ?= .
BENCH_PAIRED_RUNTIME ?= 4
BENCH_PAIRED_ROUNDS ?= 8
export BENCH_FILTER  # to the recipe through the environment: a regex may hold any quote
# BENCH_KERNEL: the kernel of scripts/kernels.list the guest boots (default 6.1); another
# kernel's figures go to $(BUILD)/vm/bench-NAME and $(BUILD)/bench-NAME.
BENCH_KERNEL ?= 6.1
bench_suffix = $(if $(filter 6.1,$(BENCH_KERNEL)),,-$(BENCH_KERNEL))
bench: module $(if $(filter 6.1,$(BENCH_KERNEL)),,module-$(BENCH_KERNEL))
	@rm -rf $(BUILD)/vm/bench$(bench_suffix)
	@rc=0; \
	BIOCHAIN_KERNEL=$(BENCH_KERNEL) scripts/vm --results $(BUILD)/vm/bench$(bench_suffix) \
	  --timeout $$(( 900 + 16 * $(BENCH_ROUNDS) * (11 * ($(BENCH_RUNTIME) + 1) + 5) \
	                 + 12 * $(BENCH_PAIRED_ROUNDS) * ($(BENCH_PAIRED_RUNTIME) + 3) )) \
	  tests/vm/bench '$(BENCH_RUNTIME)' '$(BENCH_ROUNDS)' "$$BENCH_FILTER" \
	    '$(BENCH_PAIRED_RUNTIME)' '$(BENCH_PAIRED_ROUNDS)' || rc=$$?; \
	scripts/bench-report $(BUILD)/vm/bench$(bench_suffix) $(BUILD)/bench$(bench_suffix) || { [ $$rc != 0 ] || rc=1; }; \
	exit $$rc

# Allocation microbenchmarks: in the kernel (one guest boot) and over POSIX.
bench-alloc: module userspace
	@$(BUILD)/release/bench_bioset
	@scripts/vm --timeout 900 tests/vm/bench-alloc

demo: module userspace
	@scripts/vm --disks 2 --timeout 900 tests/vm/demo

module-clean:
	@$(MAKE) -s -C "$(KDIR)" M=$(CURDIR) clean

clean: module-clean
	rm -rf $(BUILD)
