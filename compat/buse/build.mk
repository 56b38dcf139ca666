# compat/buse/build.mk -- buse_main, BUSE's interface (include/compat/buse/buse.h).
# Included from the top Makefile; uses its BUILD, CC and flags.
#
#   compat/buse/*.c -> $(BUILD)/compat/libfusebox-buse.a (by wildcard)
#
# A static archive, not a shared library and not part of libfusebox:
# libfusebox exports only fbx_ names, and fusebox.pc's Libs name this
# archive before -lfusebox, so a program calling buse_main gets the
# translation linked in (it calls libfusebox's public API) and every
# other program pulls nothing from it. Why, at more length: buse.h.

BUSE_SRCS := $(sort $(wildcard compat/buse/*.c))
BUSE_OBJS := $(BUSE_SRCS:%.c=$(BUILD)/%.o)
BUSE_LIB  := $(BUILD)/compat/libfusebox-buse.a

$(BUSE_OBJS): CPPFLAGS_ALL += -Iinclude/compat/buse

$(BUSE_LIB): $(BUSE_OBJS)
	@mkdir -p $(@D)
	$(call quiet,AR,$@)rm -f $@ && ar rcs $@ $^

all: $(BUSE_LIB)
