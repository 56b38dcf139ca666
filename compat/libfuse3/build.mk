# compat/libfuse3/build.mk -- fusebox's drop-in libfuse3.so.3.
# Included from the top Makefile; uses its BUILD, CC, flags and STATIC.
#
#   compat/libfuse3/*.c  -> $(BUILD)/compat/libfuse3.so.3 (all files, by wildcard:
#                           a new file needs no edit here)
#   compat/common/*.c    -> the same library: what libfuse 2 shares (fuse_opt,
#                           buffers, daemonize), compiled here against our
#                           libfuse 3 headers into $(BUILD)/compat/libfuse3/common/
#   compat/libfuse3/fuse3.map  the version nodes and exports (libfuse 3.14's)
#   include/compat/fuse3/      the headers programs compile against
#   $(BUILD)/compat/pkgconfig/fuse3.pc  pkg-config name "fuse3" for them
#
# `make install` (install-fuse3) puts the library in $(COMPAT_LIBDIR)
# (PREFIX/lib/fusebox, never over the system's libfuse3.so.3), the
# headers in $(COMPAT_INCDIR)/fuse3 and a fuse3.pc naming them in
# $(COMPAT_LIBDIR)/pkgconfig: an unchanged build that asks pkg-config
# for fuse3 gets ours when that folder comes first in PKG_CONFIG_PATH.
#
# The library links the members of libfusebox.a it needs (PIC objects),
# so it is self-contained: a program needs only libfuse3.so.3.

FUSE3_SRCS := $(sort $(wildcard compat/libfuse3/*.c))
FUSE3_OBJS := $(FUSE3_SRCS:%.c=$(BUILD)/%.o) \
              $(patsubst compat/common/%.c,$(BUILD)/compat/libfuse3/common/%.o,$(sort $(wildcard compat/common/*.c)))
FUSE3_MAP  := compat/libfuse3/fuse3.map
FUSE3_SO   := $(BUILD)/compat/libfuse3.so.3
FUSE3_PC   := $(BUILD)/compat/pkgconfig/fuse3.pc
FUSE3_PCVERSION := 3.14.0

# Our files see our libfuse headers at the newest API they provide.
$(FUSE3_OBJS): CPPFLAGS_ALL += -Iinclude/compat/fuse3 -Icompat/common -DFUSE_USE_VERSION=314 -D_FILE_OFFSET_BITS=64

$(BUILD)/compat/libfuse3/common/%.o: compat/common/%.c $(BUILD)/cc.config
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# -z defs: an undefined reference is a link error here, not a load
# error in someone's program (not under SAN: the sanitizer runtime
# comes with the executable).
FUSE3_LDFLAGS := -shared -Wl,-soname,libfuse3.so.3 -Wl,--version-script=$(FUSE3_MAP)
ifneq ($(SAN),1)
FUSE3_LDFLAGS += -Wl,-z,defs
endif

$(FUSE3_SO): $(FUSE3_OBJS) $(STATIC) $(FUSE3_MAP)
	@mkdir -p $(@D)
	$(call quiet,LD,$@)$(CC) $(CFLAGS_ALL) $(FUSE3_LDFLAGS) -o $@ $(FUSE3_OBJS) $(STATIC) $(LDLIBS_ALL)
	$(Q)ln -sf libfuse3.so.3 $(BUILD)/compat/libfuse3.so

$(FUSE3_PC): compat/libfuse3/build.mk
	@mkdir -p $(@D)
	$(call quiet,GEN,$@){ echo 'includedir=$(abspath include/compat/fuse3)'; \
	  echo 'libdir=$(abspath $(BUILD)/compat)'; echo; \
	  echo 'Name: fuse3'; \
	  echo 'Description: fusebox libfuse 3 compatible library'; \
	  echo 'Version: $(FUSE3_PCVERSION)'; \
	  echo 'Libs: -L$${libdir} -lfuse3 -pthread'; \
	  echo 'Cflags: -I$${includedir} -D_FILE_OFFSET_BITS=64'; } > $@

all: $(FUSE3_SO) $(FUSE3_PC)

# The installed fuse3.pc follows PREFIX ($(BUILD)/pc.config changes with
# it). Its Libs carry an rpath: PREFIX/lib/fusebox is never searched by
# the loader, and without it the program would run on the system's
# libfuse3.so.3 (same soname). A sanitizer build's library needs the
# runtime in the program too.
FUSE3_PC_INST := $(BUILD)/compat/fuse3-install.pc
$(FUSE3_PC_INST): compat/libfuse3/build.mk $(BUILD)/pc.config
	@mkdir -p $(@D)
	$(call quiet,GEN,$@){ echo 'prefix=$(PREFIX)'; \
	  echo 'libdir=$${prefix}/lib/fusebox'; \
	  echo 'includedir=$${prefix}/include/fusebox/fuse3'; echo; \
	  echo 'Name: fuse3'; \
	  echo 'Description: fusebox libfuse 3 compatible library'; \
	  echo 'Version: $(FUSE3_PCVERSION)'; \
	  echo 'Libs: -L$${libdir} -Wl,-rpath,$${libdir} -lfuse3 -pthread $(PC_SAN)'; \
	  echo 'Cflags: -I$${includedir} -D_FILE_OFFSET_BITS=64'; } > $@

install: install-fuse3
install-fuse3: $(FUSE3_SO) $(FUSE3_PC_INST)
	install -d $(DESTDIR)$(COMPAT_LIBDIR)/pkgconfig $(DESTDIR)$(COMPAT_INCDIR)/fuse3
	install -m 755 $(FUSE3_SO) $(DESTDIR)$(COMPAT_LIBDIR)/
	ln -sf libfuse3.so.3 $(DESTDIR)$(COMPAT_LIBDIR)/libfuse3.so
	install -m 644 include/compat/fuse3/*.h $(DESTDIR)$(COMPAT_INCDIR)/fuse3/
	install -m 644 $(FUSE3_PC_INST) $(DESTDIR)$(COMPAT_LIBDIR)/pkgconfig/fuse3.pc

.PHONY: install-fuse3
