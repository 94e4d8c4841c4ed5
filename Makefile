# pgtt: a plain, strict Makefile.  `make V=1` shows full command lines,
# `make SAN=1` builds with ASan+UBSan, `make WERROR=1` fails on warnings.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR	?=

CC	?= cc
PKG_CONFIG ?= pkg-config
PKGS	:= libpq lmdb yaml-0.1 jansson libmicrohttpd

BUILD	:= build
ifeq ($(SAN),1)
BUILD	:= build-san
endif
ifeq ($(TSAN),1)
BUILD	:= build-tsan
endif

CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE
CFLAGS	+= -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wwrite-strings -Wundef
CFLAGS	+= -MMD -MP
ifeq ($(WERROR),1)
CFLAGS	+= -Werror
endif
ifeq ($(SAN),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif
# ThreadSanitizer: the TUI's threads and the listener.  make check TSAN=1
ifeq ($(TSAN),1)
CFLAGS	+= -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=thread
endif

# lmdb ships no .pc file on every Debian release: fall back to -llmdb.
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null || \
	$(PKG_CONFIG) --cflags libpq yaml-0.1 jansson libmicrohttpd)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || \
	echo "$$($(PKG_CONFIG) --libs libpq yaml-0.1 jansson libmicrohttpd) -llmdb")
# ncursesw's .pc file brings its own -D_XOPEN_SOURCE; ours is stricter.
CURSES_CFLAGS := $(filter-out -D_XOPEN_SOURCE%,$(shell $(PKG_CONFIG) --cflags ncursesw 2>/dev/null))
CURSES_LIBS   := $(shell $(PKG_CONFIG) --libs ncursesw 2>/dev/null || \
	echo -lncursesw)
CMOCKA_LIBS   := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || \
	echo -lcmocka)

CFLAGS	+= $(PKG_CFLAGS) -Isrc
LIBS	:= $(PKG_LIBS) -lpg_query -lpthread

CORE_SRC := $(sort $(wildcard src/core/*.c))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
UI_SRC   := $(sort $(wildcard src/ui/*.c))
MAIN_SRC := src/main.c
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
APP_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o) $(UI_SRC:%.c=$(BUILD)/%.o) \
	    $(MAIN_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# libFuzzer targets need clang; without it `make check` skips them.
FUZZ_CC  ?= clang
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_OBJ := $(CORE_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_CFLAGS := -g -O1 -std=c11 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE \
	       $(PKG_CFLAGS) -Isrc
FUZZ_SECONDS ?= 10
HAVE_FUZZ_CC := $(shell command -v $(FUZZ_CC) 2>/dev/null)

ifeq ($(V),1)
Q :=
else
Q := @
endif

PGTT := pgtt
ifeq ($(SAN),1)
PGTT := pgtt-san
endif
ifeq ($(TSAN),1)
PGTT := pgtt-tsan
endif

.PHONY: all check unit-tests install uninstall clean deps demo fuzz fuzz-build man-keys

all: $(PGTT)

$(PGTT): $(CORE_OBJ) $(APP_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CURSES_LIBS)

$(BUILD)/src/ui/%.o: src/ui/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(CURSES_CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE_OBJ) $(LIBS) $(CMOCKA_LIBS)

unit-tests: $(UNIT_BIN)

# The core is instrumented once and linked into every fuzz target; make
# would delete the objects as intermediate files and build them again.
.SECONDARY: $(FUZZ_OBJ)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link,address,undefined \
	    -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
	    -o $@ $< $(FUZZ_OBJ) $(LIBS)

fuzz-build: $(FUZZ_BIN)

# Longer runs: make fuzz FUZZ_SECONDS=600
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) prove --exec '' -v tests/fuzz/run.t

# One runner, one summary line.  Unit tests are cmocka binaries printing
# TAP; integration tests are shell scripts printing TAP that start their
# own PostgreSQL servers, each in its own directory with its own sockets,
# so JOBS of them run at once.  TESTS=... narrows the run.
JOBS ?= 2
TESTS ?= $(UNIT_BIN) tests/fuzz/run.t $(sort $(wildcard tests/integration/*.t)) \
	 $(sort $(wildcard tests/tui/*.t))
check: $(PGTT) $(UNIT_BIN) $(if $(HAVE_FUZZ_CC),$(FUZZ_BIN))
	CMOCKA_MESSAGE_OUTPUT=TAP PGTT_BIN=$(CURDIR)/$(PGTT) \
	    FUZZ_SECONDS=$(if $(filter command line,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),5) \
	    prove --exec '' -j$(JOBS) $(if $(V),-v) $(TESTS)

# The completion script comes from the command table, as --help does.
install: $(PGTT)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(COMPLETIONDIR)
	install -m 0755 $(PGTT) $(DESTDIR)$(BINDIR)/pgtt
	install -m 0644 man/pgtt.1 $(DESTDIR)$(MANDIR)/man1/pgtt.1
	./$(PGTT) --bash-completion >$(DESTDIR)$(COMPLETIONDIR)/pgtt
	chmod 0644 $(DESTDIR)$(COMPLETIONDIR)/pgtt

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pgtt $(DESTDIR)$(MANDIR)/man1/pgtt.1 \
	    $(DESTDIR)$(COMPLETIONDIR)/pgtt

deps:
	sh scripts/deps.sh

# The man page's KEYS section is written from the key table.
man-keys: $(PGTT)
	sh scripts/man-keys.sh ./$(PGTT) man/pgtt.1

# Installs what is missing, then builds in a fresh make (the pkg-config
# flags above are read when make starts, maybe before the -dev packages
# are there), then runs the demo.  make demo DEMO_ARGS=--no-tui
demo:
	sh scripts/deps.sh
	$(MAKE) --no-print-directory $(PGTT)
	PGTT_BIN=$(CURDIR)/$(PGTT) bash scripts/demo.sh $(DEMO_ARGS)

clean:
	rm -rf build build-san build-tsan pgtt pgtt-san pgtt-tsan

-include $(CORE_OBJ:.o=.d) $(APP_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)
