# SPDX-License-Identifier: GPL-2.0
#
# make            build mirror/dcdmirror.ko, dcd/dcd.ko, tools/dcdctl and the
#                 benchmarks' scripts/bench/spc-replay
# make check      run the test suite in a QEMU guest (tests/check), but for
#                 the tests marked slow (SLOW=1): 30 to 38 minutes
# make check-all  every test, the slow ones too: about 70 minutes
# make check-long every test, in the long versions of fuzz and stress tests
# make check-debug every test under the debug kernel (KASAN, lockdep, kmemleak,
#                 ...; scripts/kernel builds it once, cached outside the checkout)
# make demo       install, build, and run the main job in a QEMU guest
# make drill      the same for the disaster drill: takeover at the remote site,
#                 failback by bitmap (DRILL_MODE=async: the async-mode drill)
# make bench      every benchmark (scripts/bench/all) into .vm/bench/<date-time>/
# make C=2 W=1    the same build with sparse and extra warnings
# KDIR=/path      build the modules against another kernel tree
#
# make check, check-all and check-long install what is missing first (scripts/deps);
# TESTS="mirror dcd/001" runs a subset
# make check-installed  the tests with the installed modules (modprobe) and
#                 /usr/sbin/dcdctl instead of the checkout's
# make install    modules into $(DESTDIR)/lib/modules/$(KVER)/updates/, dcdctl,
#                 its man page, bash completion, dcdmirror-iscsi, systemd units
#                 and udev rules
#                 (install-modules and install-tools do either half)
# make uninstall  remove what make install installed (KVER, DESTDIR, PREFIX,
#                 SBINDIR, MANDIR, BASHCOMPDIR, SYSTEMDUNITDIR, UDEVRULESDIR
#                 choose where, for both)
# make deb        the dcdmirror-dkms and dcdmirror-utils packages into build/deb/
# MODULES_OUT=DIR build them in DIR, a copy of the sources, leaving the .ko
#                 files of the checkout alone

KVER ?= $(shell scripts/kver)
KDIR ?= /lib/modules/$(KVER)/build

# install locations; DESTDIR is prepended to all of them
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= /lib/systemd/system
UDEVRULESDIR ?= /lib/udev/rules.d
MODDIR ?= /lib/modules/$(KVER)/updates
VERSION ?= $(shell sed -n 's/^VERSION := //p' tools/Makefile)
SRCDIR ?= /usr/src/dcdmirror-$(VERSION)
# the modules for the debug kernel, with debug info for faddr2line
DEBUG_MODULES := $(CURDIR)/.vm/debug-modules

# systemd units and udev rules, when the tree has some
UNITS := $(wildcard systemd/*.service systemd/*.socket systemd/*.target \
	   systemd/*.timer systemd/*.path)
UDEVRULES := $(wildcard udev/*.rules)
MODULES := mirror/dcdmirror.ko dcd/dcd.ko
# what building the modules needs, and no build output (dkms builds them)
MODULE_SOURCES = Kbuild $(filter-out %.mod.c,$(wildcard mirror/Kbuild mirror/Makefile \
	mirror/*.[ch] dcd/Kbuild dcd/Makefile dcd/*.[ch])) $(shell find include -name '*.h')

.PHONY: all modules tools bench-tools check check-all check-long check-debug demo drill bench clean
.PHONY: deps check-installed install install-modules install-tools \
	install-module-sources uninstall deb

all: modules tools bench-tools

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

bench-tools:
	$(MAKE) -C scripts/bench

check: deps
	$(MAKE) all
	scripts/check $(TESTS)

check-all: deps
	$(MAKE) all
	CHECK_ALL=1 CHECK_TIMEOUT=7200 scripts/check $(TESTS)

check-long: deps
	$(MAKE) all
	CHECK_LONG=1 TEST_TIMEOUT=3600 CHECK_TIMEOUT=21600 scripts/check $(TESTS)

# on a fresh machine the kernel headers and QEMU come first (make check)
deps:
	scripts/deps

# the packages' modules and dcdctl, as installed (make deb; apt install ./build/deb/...)
check-installed:
	DCDMIRROR_MODULES=installed DCDCTL=$(SBINDIR)/dcdctl scripts/check $(TESTS)
check-debug: tools
	scripts/kernel >/dev/null
	$(MAKE) modules KDIR=$$(scripts/kernel --dir)/build MODULES_OUT=$(DEBUG_MODULES) KCFLAGS=-g
	VM_KERNEL=debug CHECK_ALL=1 MIRROR_KO=$(DEBUG_MODULES)/mirror/dcdmirror.ko DCD_KO=$(DEBUG_MODULES)/dcd/dcd.ko \
		scripts/check $(TESTS)

# the main job end to end: S-iDW, ext4, fio, legs compared (as root)
demo:
	scripts/deps
	$(MAKE) all
	scripts/demo

# the disaster drill end to end: site lost, takeover on /dev/dcd0, failback (as root)
DRILL_MODE ?= sync
drill:
	scripts/deps
	$(MAKE) all
	scripts/demo --drill --drill-mode $(DRILL_MODE)

# every scripts/bench/ script, one VM each; BENCH_OUT=DIR, BENCH_ARGS=--quick
BENCH_OUT ?= .vm/bench/$(shell date +%Y%m%d-%H%M%S)
bench: all
	scripts/bench/all --out $(BENCH_OUT) $(BENCH_ARGS)

install: install-modules install-tools

# depmod only for this root: a DESTDIR is a staging tree
install-modules: modules
	install -d $(DESTDIR)$(MODDIR)
	install -m 644 $(MODULES) $(DESTDIR)$(MODDIR)/
	$(if $(DESTDIR),,depmod -a $(KVER))

# dcdmirror-iscsi(8): its --help as it prints it (the one source, as for dcdctl)
tools/dcdmirror-iscsi.8: tools/dcdmirror-iscsi
	{ echo '.TH DCDMIRROR-ISCSI 8 "" "dcdmirror $(VERSION)" "System Administration"'; \
	  echo '.SH NAME'; \
	  echo 'dcdmirror-iscsi \- iSCSI export (LIO) and login (open-iscsi) of a mirror'"'"'s remote leg'; \
	  echo '.SH DESCRIPTION'; echo '.nf'; \
	  tools/dcdmirror-iscsi --help | sed -e 's/\\/\\e/g' -e "s/^[.']/\\\\\&&/"; \
	  echo '.fi'; echo '.SH SEE ALSO'; \
	  printf '.BR %s (8)%s\n' dcdctl , targetcli , iscsiadm ''; } >$@.tmp
	mv $@.tmp $@

# the units and the udev rule run /usr/sbin/dcdctl: installed, they name
# dcdctl where SBINDIR puts it
install-tools: tools/dcdmirror-iscsi.8
	$(MAKE) -C tools dcdctl dcdctl.8
	install -D -m 755 tools/dcdctl $(DESTDIR)$(SBINDIR)/dcdctl
	install -D -m 755 tools/dcdmirror-iscsi $(DESTDIR)$(SBINDIR)/dcdmirror-iscsi
	install -D -m 644 tools/dcdctl.8 $(DESTDIR)$(MANDIR)/man8/dcdctl.8
	install -D -m 644 tools/dcdmirror-iscsi.8 $(DESTDIR)$(MANDIR)/man8/dcdmirror-iscsi.8
	install -D -m 644 tools/dcdctl.bash $(DESTDIR)$(BASHCOMPDIR)/dcdctl
	$(if $(UNITS),install -d $(DESTDIR)$(SYSTEMDUNITDIR))
	for f in $(UNITS); do sed 's|/usr/sbin/dcdctl|$(SBINDIR)/dcdctl|g' $$f \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/} && chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/} || exit 1; done
	$(if $(UDEVRULES),install -d $(DESTDIR)$(UDEVRULESDIR))
	for f in $(UDEVRULES); do sed 's|/usr/sbin/dcdctl|$(SBINDIR)/dcdctl|g' $$f \
		>$(DESTDIR)$(UDEVRULESDIR)/$${f##*/} && chmod 644 $(DESTDIR)$(UDEVRULESDIR)/$${f##*/} || exit 1; done

# the module sources for dkms (the dcdmirror-dkms package; dkms.conf is
# installed beside them by dh_dkms)
install-module-sources:
	for f in $(MODULE_SOURCES); do install -D -m 644 $$f $(DESTDIR)$(SRCDIR)/$$f || exit 1; done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(MODDIR)/,$(notdir $(MODULES)))
	$(if $(DESTDIR),,depmod -a $(KVER))
	rm -f $(addprefix $(DESTDIR),$(SBINDIR)/dcdctl $(SBINDIR)/dcdmirror-iscsi \
		$(MANDIR)/man8/dcdctl.8 $(MANDIR)/man8/dcdmirror-iscsi.8 $(BASHCOMPDIR)/dcdctl \
		$(addprefix $(SYSTEMDUNITDIR)/,$(notdir $(UNITS))) \
		$(addprefix $(UDEVRULESDIR)/,$(notdir $(UDEVRULES))))

# dpkg-buildpackage -b in a copy of the tree under build/src/, the packages
# into build/deb/ (the build tools come from scripts/deps --pkg)
deb:
	scripts/deb

clean:
	rm -rf build
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(DEBUG_MODULES)
	$(MAKE) -C tools clean
	rm -f tools/dcdmirror-iscsi.8
	$(MAKE) -C scripts/bench clean
