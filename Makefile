# biochain: the two commands are `make demo` and `make check`; the rest are their parts.
SHELL := /bin/bash
.DEFAULT_GOAL := all

KDIR ?= $(shell scripts/kernel --kdir)
BUILD ?= build

.PHONY: all deps kernel module module-clean userspace check demo clean

all: module userspace

deps:
	@scripts/deps

kernel: deps
	@scripts/kernel >/dev/null

# The kernel module, against the cached Debian headers by default. Any output from
# Kbuild other than its progress lines (a warning, a modpost complaint, objtool) fails.
module: kernel
	@scripts/build-module "$(KDIR)"

module-clean:
	$(MAKE) -C "$(KDIR)" M=$(CURDIR) clean

clean: module-clean
	rm -rf $(BUILD)
