# fusebox: GNU make, no configure step.
#
#   make            library (shared + static), examples, tools, test programs
#   make check      run the whole test suite (installs missing test packages as root)
#   make check SAN=1  the same, built with AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       mount the demo filesystem and the demo block device (root)
#   make bench      side-by-side benchmarks against libfuse and nbdkit
#   make fuzz       build the libFuzzer targets (clang)
#   make install PREFIX=/usr/local
#
# Sources are found by folder, so adding a file needs no edit here:
#   lib/<layer>/*.c    -> libfusebox      examples/*.c -> build/examples/<name>
#   tools/*.c          -> build/tools/    tests/<dir>/*.c -> build/tests/<dir>/<name>
#   tests/fuzz/*.c     -> build/fuzz/ (clang -fsanitize=fuzzer)

VERSION   := 0.1.0
SOVERSION := 0
PREFIX    ?= /usr/local

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

STATIC := $(BUILD)/libfusebox.a
SHARED := $(BUILD)/libfusebox.so.$(VERSION)

all: $(STATIC) $(SHARED) $(BUILD)/fusebox.pc $(EX_BINS) $(TOOL_BINS) $(TEST_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(STATIC): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# The shared library exports exactly what the public headers declare:
# the version script is generated from include/fusebox/*.h.
$(BUILD)/fusebox.map: $(wildcard include/fusebox/*.h)
	@mkdir -p $(@D)
	{ echo "FUSEBOX_0 {"; echo "  global:"; \
	  grep -ohE '\b(fbx_[a-z0-9_]+)[[:space:]]*\(' $^ | sed -E 's/[[:space:]]*\($$//' | sort -u | sed 's/.*/    &;/'; \
	  grep -ohE 'extern const struct [a-z_]+ (fbx_[a-z0-9_]+);' $^ | sed -E 's/.* (fbx_[a-z0-9_]+);/    \1;/'; \
	  echo "  local: *;"; echo "};"; } > $@

$(SHARED): $(LIB_OBJS) $(BUILD)/fusebox.map
	$(CC) -shared -Wl,-soname,libfusebox.so.$(SOVERSION) -Wl,--version-script=$(BUILD)/fusebox.map \
		-o $@ $(LIB_OBJS) $(LDLIBS_ALL)
	ln -sf libfusebox.so.$(VERSION) $(BUILD)/libfusebox.so.$(SOVERSION)
	ln -sf libfusebox.so.$(SOVERSION) $(BUILD)/libfusebox.so

$(BUILD)/fusebox.pc: fusebox.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# Programs link the static library so tests and sanitizer builds need no LD_LIBRARY_PATH.
$(BUILD)/examples/%: $(BUILD)/examples/%.o $(STATIC)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)
$(BUILD)/tools/%: $(BUILD)/tools/%.o $(STATIC)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)
$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TESTLIB_OBJS) $(STATIC)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

.PRECIOUS: $(BUILD)/%.o

check: all
	@tests/install-deps
	BUILD=$(BUILD) tests/run $(TESTS)

demo: all
	BUILD=$(BUILD) tools/demo.sh

bench: all
	bench/install-deps
	BUILD=$(BUILD) bench/run

# A target named fuzz_<layer>_*.c links only lib/<layer>/*.c (and the
# small shared lib/common/): the pure codec it drives and its neighbours.
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
fuzz: $(FUZZ_BINS)
.SECONDEXPANSION:
build-fuzz/%: tests/fuzz/%.c $$(wildcard lib/$$(word 2,$$(subst _, ,$$*))/*.c) $$(wildcard lib/common/*.c)
	@mkdir -p $(@D)
	clang $(CPPFLAGS_ALL) -std=c11 -g -O1 -pthread -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(wildcard lib/$(word 2,$(subst _, ,$*))/*.c) $(wildcard lib/common/*.c) $(filter -l%,$(LDLIBS_ALL))

install: all
	install -d $(DESTDIR)$(PREFIX)/include/fusebox $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/fusebox/*.h $(DESTDIR)$(PREFIX)/include/fusebox/
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libfusebox.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libfusebox.so.$(SOVERSION)
	ln -sf libfusebox.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libfusebox.so
	install -m 644 $(BUILD)/fusebox.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(TOOL_BINS) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build build-san build-fuzz

.PHONY: all check demo bench fuzz install clean

include compat/libfuse3/build.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
