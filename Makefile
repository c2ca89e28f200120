# SPDX-License-Identifier: GPL-2.0
#
# make            build mirror/dcdmirror.ko, dcd/dcd.ko, tools/dcdctl and the
#                 benchmarks' scripts/bench/spc-replay
# make check      run the test suite in a QEMU guest (tests/check)
# make check-long the same with the long versions of fuzz and stress tests
# make demo       install, build, and run the main job in a QEMU guest
# make bench      every benchmark (scripts/bench/all) into .vm/bench/<date-time>/
# make C=2 W=1    the same build with sparse and extra warnings
# KDIR=/path      build the modules against another kernel tree

KVER ?= $(shell scripts/kver)
KDIR ?= /lib/modules/$(KVER)/build

.PHONY: all modules tools bench-tools check check-long demo bench clean

all: modules tools bench-tools

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools

bench-tools:
	$(MAKE) -C scripts/bench

check: all
	scripts/check $(TESTS)

check-long: all
	CHECK_LONG=1 TEST_TIMEOUT=3600 CHECK_TIMEOUT=21600 scripts/check $(TESTS)

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
	$(MAKE) -C tools clean
	$(MAKE) -C scripts/bench clean
