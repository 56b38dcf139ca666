# compat/libfuse2/build.mk -- fusebox's drop-in libfuse.so.2.
# Included from the top Makefile; uses its BUILD, CC, flags and STATIC.
#
#   compat/libfuse2/*.c  -> $(BUILD)/compat/libfuse.so.2 (all files, by wildcard:
#                           a new file needs no edit here)
#   compat/common/*.c    -> the same library: what libfuse 3 shares (fuse_opt,
#                           buffers, daemonize, signals), compiled here against
#                           our libfuse 2 headers into $(BUILD)/compat/libfuse2/common/
#   compat/libfuse2/fuse2.map  the version nodes and exports (libfuse 2.9.9's)
#   include/compat/fuse2/      the headers programs compile against
#   $(BUILD)/compat/pkgconfig/fuse.pc  pkg-config name "fuse" for them
#   make install (install-fuse2, below): PREFIX/lib/fusebox, include/fusebox/fuse2
#
# The library links the members of libfusebox.a it needs (PIC objects),
# so it is self-contained: a program needs only libfuse.so.2.

FUSE2_SRCS := $(sort $(wildcard compat/libfuse2/*.c))
FUSE2_OBJS := $(FUSE2_SRCS:%.c=$(BUILD)/%.o) \
              $(patsubst compat/common/%.c,$(BUILD)/compat/libfuse2/common/%.o,$(sort $(wildcard compat/common/*.c)))
FUSE2_MAP  := compat/libfuse2/fuse2.map
FUSE2_SO   := $(BUILD)/compat/libfuse.so.2
FUSE2_PC   := $(BUILD)/compat/pkgconfig/fuse.pc
FUSE2_PCVERSION := 2.9.9

# Our files see our libfuse 2 headers at the newest API they provide.
$(FUSE2_OBJS): CPPFLAGS_ALL += -Iinclude/compat/fuse2 -Icompat/common -DFUSE_USE_VERSION=29 -D_FILE_OFFSET_BITS=64

$(BUILD)/compat/libfuse2/common/%.o: compat/common/%.c $(BUILD)/cc.config
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# -z defs: an undefined reference is a link error here, not a load
# error in someone's program (not under SAN: the sanitizer runtime
# comes with the executable).
FUSE2_LDFLAGS := -shared -Wl,-soname,libfuse.so.2 -Wl,--version-script=$(FUSE2_MAP)
ifneq ($(SAN),1)
FUSE2_LDFLAGS += -Wl,-z,defs
endif

$(FUSE2_SO): $(FUSE2_OBJS) $(STATIC) $(FUSE2_MAP)
	@mkdir -p $(@D)
	$(call quiet,LD,$@)$(CC) $(CFLAGS_ALL) $(FUSE2_LDFLAGS) -o $@ $(FUSE2_OBJS) $(STATIC) $(LDLIBS_ALL)
	$(Q)ln -sf libfuse.so.2 $(BUILD)/compat/libfuse.so

$(FUSE2_PC): compat/libfuse2/build.mk
	@mkdir -p $(@D)
	$(call quiet,GEN,$@){ echo 'includedir=$(abspath include/compat/fuse2)'; \
	  echo 'libdir=$(abspath $(BUILD)/compat)'; echo; \
	  echo 'Name: fuse'; \
	  echo 'Description: fusebox libfuse 2 compatible library'; \
	  echo 'Version: $(FUSE2_PCVERSION)'; \
	  echo 'Libs: -L$${libdir} -lfuse -pthread'; \
	  echo 'Cflags: -I$${includedir} -D_FILE_OFFSET_BITS=64'; } > $@

all: $(FUSE2_SO) $(FUSE2_PC)

# `make install` (install-fuse2) puts the library beside libfuse3.so.3
# in $(COMPAT_LIBDIR) (PREFIX/lib/fusebox, never over the system's
# libfuse.so.2), the headers in $(COMPAT_INCDIR)/fuse2 and a fuse.pc
# naming them in $(COMPAT_LIBDIR)/pkgconfig. As with fuse3.pc, its Libs
# carry an rpath: the loader never searches PREFIX/lib/fusebox itself.
FUSE2_PC_INST := $(BUILD)/compat/fuse-install.pc
$(FUSE2_PC_INST): compat/libfuse2/build.mk $(BUILD)/pc.config
	@mkdir -p $(@D)
	$(call quiet,GEN,$@){ echo 'prefix=$(PREFIX)'; \
	  echo 'libdir=$${prefix}/lib/fusebox'; \
	  echo 'includedir=$${prefix}/include/fusebox/fuse2'; echo; \
	  echo 'Name: fuse'; \
	  echo 'Description: fusebox libfuse 2 compatible library'; \
	  echo 'Version: $(FUSE2_PCVERSION)'; \
	  echo 'Libs: -L$${libdir} -Wl,-rpath,$${libdir} -lfuse -pthread $(PC_SAN)'; \
	  echo 'Cflags: -I$${includedir} -D_FILE_OFFSET_BITS=64'; } > $@

install: install-fuse2
install-fuse2: $(FUSE2_SO) $(FUSE2_PC_INST)
	install -d $(DESTDIR)$(COMPAT_LIBDIR)/pkgconfig $(DESTDIR)$(COMPAT_INCDIR)/fuse2
	install -m 755 $(FUSE2_SO) $(DESTDIR)$(COMPAT_LIBDIR)/
	ln -sf libfuse.so.2 $(DESTDIR)$(COMPAT_LIBDIR)/libfuse.so
	install -m 644 include/compat/fuse2/*.h $(DESTDIR)$(COMPAT_INCDIR)/fuse2/
	install -m 644 $(FUSE2_PC_INST) $(DESTDIR)$(COMPAT_LIBDIR)/pkgconfig/fuse.pc

.PHONY: install-fuse2
