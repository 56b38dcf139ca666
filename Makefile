# fusebox: GNU make, no configure step.
#
#   make            library (shared + static), examples, tools, test programs
#   make check      run the whole test suite (installs missing test packages as root)
#   make check SAN=1  the same, built with AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       mount the demo filesystem and the demo block device (root;
#                   FBX_DEMO_DIR=/tmp/fusebox-demo says where, see tools/demo.sh)
#   make bench      side-by-side benchmarks against libfuse and nbdkit
#   make fuzz       build the libFuzzer targets (clang)
#   make install PREFIX=/usr/local
#
# Sources are found by folder, so adding a file needs no edit here:
#   lib/<layer>/*.c    -> libfusebox      examples/*.c -> build/examples/<name>
#   tools/*.c          -> build/tools/    tests/<dir>/*.c -> build/tests/<dir>/<name>
#   tests/fuzz/*.c     -> build/fuzz/ (clang -fsanitize=fuzzer)
#
# Output: one short line per step (`CC lib/fuse/codec.c`, `AR`, `LD`,
# `GEN`); `make V=1` prints the full commands instead, `make -s` nothing.
# A recipe line gets that by starting with $(call quiet,WHAT,FILE), and
# a line that should only be hidden by starting with $(Q):
#   $(call quiet,CC,$<)$(CC) ... -c $< -o $@
#   $(Q)ln -sf ...
# Makefile fragments included here use the same two helpers.

ifeq ($(V),1)
Q :=
quiet =
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
Q := @
quiet = @
else
Q := @
quiet = @printf '  %-4s %s\n' '$(1)' '$(2)';
endif

VERSION   := 0.1.0
SOVERSION := 0
PREFIX    ?= /usr/local
# The drop-in libraries (compat/*/build.mk) install apart from the
# system's: PREFIX/lib/fusebox/libfuse3.so.3, its fuse3.pc in
# PREFIX/lib/fusebox/pkgconfig, headers in PREFIX/include/fusebox/fuse3.
# Each build.mk adds its own `install: install-NAME`.
COMPAT_LIBDIR := $(PREFIX)/lib/fusebox
COMPAT_INCDIR := $(PREFIX)/include/fusebox

CC      ?= cc
OPT     ?= -O2 -g
CFLAGS  ?=
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CPPFLAGS_ALL := -Iinclude -Ilib -D_GNU_SOURCE -DFBX_VERSION=\"$(VERSION)\"
CFLAGS_ALL   := -std=c11 $(OPT) $(WARN) -fPIC -pthread $(CFLAGS)
LDLIBS_ALL   := -pthread

ifeq ($(SAN),1)
BUILD ?= build-san
CFLAGS_ALL += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDLIBS_ALL += -fsanitize=address,undefined
else
BUILD ?= build
endif

# liburing is optional at build time: without it the io_uring paths
# (ublk, FUSE over io_uring) compile to stubs that return -ENOTSUP.
ifneq ($(shell pkg-config --exists liburing 2>/dev/null && echo yes),)
CPPFLAGS_ALL += -DFBX_HAVE_LIBURING=1
LDLIBS_ALL   += $(shell pkg-config --libs liburing)
endif
# GnuTLS is optional too: without it NBD over TLS (--tls) fails with -ENOTSUP.
ifneq ($(shell pkg-config --exists gnutls 2>/dev/null && echo yes),)
CPPFLAGS_ALL += -DFBX_HAVE_GNUTLS=1 $(shell pkg-config --cflags gnutls)
LDLIBS_ALL   += $(shell pkg-config --libs gnutls)
endif

LIB_SRCS  := $(sort $(wildcard lib/*/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
EX_SRCS   := $(sort $(wildcard examples/*.c))
EX_BINS   := $(EX_SRCS:examples/%.c=$(BUILD)/examples/%)
TOOL_SRCS := $(sort $(wildcard tools/*.c))
TOOL_BINS := $(TOOL_SRCS:tools/%.c=$(BUILD)/tools/%)
TEST_SRCS := $(sort $(filter-out tests/fuzz/% tests/lib/%,$(wildcard tests/*/*.c)))
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TESTLIB_SRCS := $(sort $(wildcard tests/lib/*.c))
TESTLIB_OBJS := $(TESTLIB_SRCS:%.c=$(BUILD)/%.o)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/*.c))
MAN_PAGES := $(sort $(wildcard doc/man/*.[0-9]))

, := ,

STATIC := $(BUILD)/libfusebox.a
SHARED := $(BUILD)/libfusebox.so.$(VERSION)

all: $(STATIC) $(SHARED) $(BUILD)/fusebox.pc $(EX_BINS) $(TOOL_BINS) $(TEST_BINS)

# Objects depend on how they are compiled, not only on their sources:
# $(BUILD)/cc.config holds the compiler and flags (liburing and GnuTLS
# come and go with their -dev packages) and is rewritten only when they
# change, so installing liburing-dev recompiles with FUSE over io_uring.
CC_CONFIG := $(CC)|$(CPPFLAGS_ALL)|$(CFLAGS_ALL)|$(LDLIBS_ALL)
$(BUILD)/cc.config: FORCE
	@mkdir -p $(@D)
	@echo '$(CC_CONFIG)' | cmp -s - $@ 2>/dev/null || echo '$(CC_CONFIG)' > $@

$(BUILD)/%.o: %.c $(BUILD)/cc.config
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(STATIC): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(call quiet,AR,$@)rm -f $@ && ar rcs $@ $^

# The shared library exports exactly what the public headers declare:
# the version script is generated from include/fusebox/*.h.
$(BUILD)/fusebox.map: $(wildcard include/fusebox/*.h)
	@mkdir -p $(@D)
	$(call quiet,GEN,$@){ echo "FUSEBOX_0 {"; echo "  global:"; \
	  grep -ohE '\b(fbx_[a-z0-9_]+)[[:space:]]*\(' $^ | sed -E 's/[[:space:]]*\($$//' | sort -u | sed 's/.*/    &;/'; \
	  grep -ohE 'extern const struct [a-z_]+ (fbx_[a-z0-9_]+);' $^ | sed -E 's/.* (fbx_[a-z0-9_]+);/    \1;/'; \
	  echo "  local: *;"; echo "};"; } > $@

$(SHARED): $(LIB_OBJS) $(BUILD)/fusebox.map
	$(call quiet,LD,$@)$(CC) -shared -Wl,-soname,libfusebox.so.$(SOVERSION) -Wl,--version-script=$(BUILD)/fusebox.map \
		-o $@ $(LIB_OBJS) $(LDLIBS_ALL)
	$(Q)ln -sf libfusebox.so.$(VERSION) $(BUILD)/libfusebox.so.$(SOVERSION)
	$(Q)ln -sf libfusebox.so.$(SOVERSION) $(BUILD)/libfusebox.so

# fusebox.pc depends on how this build is configured (PREFIX, liburing,
# sanitizers), not only on its sources: $(BUILD)/pc.config holds that
# configuration and is rewritten only when it changes, so `make install
# PREFIX=X` after a plain `make` regenerates the file with X in it.
# Programs linking the library of a sanitizer build need the sanitizer
# runtime too, so that build's fusebox.pc asks for it.
PC_LIBS_PRIVATE := $(filter -l%,$(filter-out -pthread,$(LDLIBS_ALL)))
PC_SAN := $(if $(filter 1,$(SAN)),-fsanitize=address$(,)undefined)
# The dynamic loader looks in /usr/lib and /lib by itself; a library
# installed anywhere else (/usr/local, a home directory) would not be
# found at run time, so for those prefixes Libs carries an rpath.
PC_RPATH := $(if $(filter /usr /,$(patsubst %/,%,$(PREFIX))),,-Wl$(,)-rpath$(,)$${libdir})
PC_CONFIG := $(PREFIX)|$(PC_LIBS_PRIVATE)|$(PC_SAN)|$(PC_RPATH)
$(BUILD)/pc.config: FORCE
	@mkdir -p $(@D)
	@echo '$(PC_CONFIG)' | cmp -s - $@ 2>/dev/null || echo '$(PC_CONFIG)' > $@

$(BUILD)/fusebox.pc: fusebox.pc.in $(BUILD)/pc.config
	@mkdir -p $(@D)
	$(call quiet,GEN,$@)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@LIBS_PRIVATE@|$(PC_LIBS_PRIVATE)|' -e 's|@SAN@|$(PC_SAN)|' -e 's|@RPATH@|$(PC_RPATH)|' $< > $@

# Programs link the static library so tests and sanitizer builds need no LD_LIBRARY_PATH.
$(BUILD)/examples/%: $(BUILD)/examples/%.o $(STATIC)
	$(call quiet,LD,$@)$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)
$(BUILD)/tools/%: $(BUILD)/tools/%.o $(STATIC)
	$(call quiet,LD,$@)$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)
$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TESTLIB_OBJS) $(STATIC)
	$(call quiet,LD,$@)$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

.PRECIOUS: $(BUILD)/%.o

# The test tools first, then the build: a -dev package they bring
# (liburing, GnuTLS) changes what is built, and make reads pkg-config
# only when it starts, hence the second make.
check:
	@tests/install-deps
	@$(MAKE) --no-print-directory all
	BUILD=$(BUILD) tests/run $(TESTS)

demo: all
	BUILD=$(BUILD) tools/demo.sh

bench: all
	bench/install-deps
	BUILD=$(BUILD) bench/run

# A target named fuzz_<layer>_*.c links only lib/<layer>/*.c (and the
# small shared lib/common/ and lib/dev/, which lib/nbd calls): the pure
# codec it drives and its neighbours.
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
fuzz: $(FUZZ_BINS)
.SECONDEXPANSION:
build-fuzz/%: tests/fuzz/%.c $$(wildcard lib/$$(word 2,$$(subst _, ,$$*))/*.c) $$(wildcard lib/common/*.c lib/dev/*.c)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)clang $(CPPFLAGS_ALL) -std=c11 -g -O1 -pthread -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(wildcard lib/$(word 2,$(subst _, ,$*))/*.c) $(wildcard lib/common/*.c lib/dev/*.c) $(filter -l%,$(LDLIBS_ALL))

install: all
	install -d $(DESTDIR)$(PREFIX)/include/fusebox $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/fusebox/*.h $(DESTDIR)$(PREFIX)/include/fusebox/
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libfusebox.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libfusebox.so.$(SOVERSION)
	ln -sf libfusebox.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libfusebox.so
	install -m 644 $(BUILD)/fusebox.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	@# BUSE's interface: fusebox.pc's Cflags and Libs name both (buse.h says why so)
	install -d $(DESTDIR)$(PREFIX)/include/fusebox/compat/buse
	install -m 644 include/compat/buse/buse.h $(DESTDIR)$(PREFIX)/include/fusebox/compat/buse/
	install -m 644 $(BUSE_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(TOOL_BINS) $(DESTDIR)$(PREFIX)/bin/
	for s in $(sort $(subst .,,$(suffix $(MAN_PAGES)))); do \
	  install -d $(DESTDIR)$(PREFIX)/share/man/man$$s && \
	  install -m 644 doc/man/*.$$s $(DESTDIR)$(PREFIX)/share/man/man$$s/ || exit 1; \
	done
	@# `man fbx_session_new` finds the page that covers it: a .so link
	@# for every other name in the NAME line of a section-3 page.
	$(Q)for p in $(filter %.3,$(MAN_PAGES)); do \
	  for n in $$(sed -n '/^\.SH NAME/{n;s/ \\-.*//;s/,//g;p;}' $$p); do \
	    [ -e doc/man/$$n.3 ] || echo ".so man3/$${p##*/}" > $(DESTDIR)$(PREFIX)/share/man/man3/$$n.3; \
	  done; \
	done

clean:
	rm -rf build build-san build-fuzz

FORCE:

.PHONY: all check demo bench fuzz install clean FORCE

include compat/libfuse3/build.mk
include compat/buse/build.mk
include compat/libfuse2/build.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
