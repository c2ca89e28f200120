# SPDX-License-Identifier: GPL-2.0
#
# make            build mirror/dcdmirror.ko, dcd/dcd.ko and tools/dcdctl
# make check      run the test suite in a QEMU guest (tests/check)
# make check-long the same with the long versions of fuzz and stress tests
# make check-debug the suite under the debug kernel (KASAN, lockdep, kmemleak,
#                 ...; scripts/kernel builds it once, cached outside the checkout)
# make demo       install, build, and run the main job in a QEMU guest
# make bench      every benchmark (scripts/bench/all) into .vm/bench/<date-time>/
# make C=2 W=1    the same build with sparse and extra warnings
# KDIR=/path      build the modules against another kernel tree
# MODULES_OUT=DIR build them in DIR, a copy of the sources, leaving the .ko
#                 files of the checkout alone

KVER ?= $(shell scripts/kver)
KDIR ?= /lib/modules/$(KVER)/build

# the modules for the debug kernel, with debug info for faddr2line
DEBUG_MODULES := $(CURDIR)/.vm/debug-modules

.PHONY: all modules tools check check-long check-debug demo bench clean

all: modules tools

ifeq ($(MODULES_OUT),)
modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
else
# Kbuild of this kernel builds in the source directory: copy the sources
# (with their dates, so that only what changed is rebuilt) and drop what the
# checkout no longer has.
KSOURCES = find Kbuild mirror dcd include \( -name Kbuild -o -name '*.[ch]' \) ! -name '*.mod.c'
modules:
	mkdir -p $(MODULES_OUT)
	cp -p --parents $$($(KSOURCES)) $(MODULES_OUT)/
	cd $(MODULES_OUT) && $(KSOURCES) | while read -r f; do \
		[ -e "$(CURDIR)/$$f" ] || rm -f "$$f"; done
	$(MAKE) -C $(KDIR) M=$(abspath $(MODULES_OUT)) modules
endif

tools:
	$(MAKE) -C tools

check: all
	scripts/check $(TESTS)

check-long: all
	CHECK_LONG=1 TEST_TIMEOUT=3600 CHECK_TIMEOUT=21600 scripts/check $(TESTS)

check-debug: tools
	scripts/kernel >/dev/null
	$(MAKE) modules KDIR=$$(scripts/kernel --dir)/build MODULES_OUT=$(DEBUG_MODULES) KCFLAGS=-g
	VM_KERNEL=debug MIRROR_KO=$(DEBUG_MODULES)/mirror/dcdmirror.ko DCD_KO=$(DEBUG_MODULES)/dcd/dcd.ko \
		scripts/check $(TESTS)

# the main job end to end: S-iDW, ext4, fio, legs compared (as root)
demo:
	scripts/deps
	$(MAKE) all
	scripts/demo

# every scripts/bench/ script, one VM each; BENCH_OUT=DIR, BENCH_ARGS=--quick
BENCH_OUT ?= .vm/bench/$(shell date +%Y%m%d-%H%M%S)
bench: all
	scripts/bench/all --out $(BENCH_OUT) $(BENCH_ARGS)

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(DEBUG_MODULES)
	$(MAKE) -C tools clean
