# ckpt: plain GNU make + pkg-config.
#   make            build ./ckpt (installs missing Debian -dev packages first, see tools/deps.sh)
#   make check      every test (tests/run), ends with "tests: N passed, N failed, N skipped"
#   make asan       the same tests against an ASan+UBSan build
#   make fuzz       each libFuzzer target in tests/fuzz for FUZZ_TIME seconds
#   make bench      throughput ratios and peak RSS (tests/bench/run)
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
FUZZ_TIME ?= 20
V ?= 0

PKGS := ncursesw hdf5 libzip libcjson libcurl libcrypto libseccomp zlib
# ncursesw's pkg-config adds -D_XOPEN_SOURCE=600; we want the full glibc API instead.
PKG_CFLAGS := $(filter-out -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=600,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -std=c11 -Wall -Wextra -Wshadow -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Isrc $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lm -lpthread

ifeq ($(V),0)
Q := @
QCC = @echo "  CC      $@";
QAR = @echo "  AR      $@";
QLD = @echo "  LD      $@";
endif

# the engine: core modules in src/, one folder per family (formats/, hub/, export/)
SRC_C   := $(sort $(wildcard src/*.c src/*/*.c))
UI_C    := $(sort $(wildcard ui/*.c))
UNIT_C  := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_C  := $(sort $(wildcard tests/fuzz/fuzz_*.c))

B := build
SRC_O  := $(SRC_C:%.c=$(B)/obj/%.o) $(B)/obj/gen/templates.o
# code templates (templates/*/*) are compiled in as byte arrays: ckpt__template()
TPL    := $(sort $(wildcard templates/*/*))
UI_O   := $(UI_C:%.c=$(B)/obj/%.o)
UNIT_B := $(UNIT_C:tests/unit/%.c=$(B)/tests/%)

.PHONY: all deps check asan fuzz bench install clean demo check-layering FORCE
all: deps
	@$(MAKE) --no-print-directory ckpt

deps:
	@sh tools/deps.sh build

ckpt: $(UI_O) $(B)/libckpt.a
	$(QLD)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(UI_O) $(B)/libckpt.a $(LDLIBS)

$(B)/libckpt.a: $(SRC_O)
	$(QAR)rm -f $@ && ar rcs $@ $(SRC_O)

$(B)/obj/src/%.o: src/%.c $(wildcard include/ckpt/*.h) $(wildcard src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(B)/gen/templates.c: $(TPL) tools/embed.sh
	@mkdir -p $(dir $@)
	$(Q)sh tools/embed.sh $(TPL) > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/templates.o: $(B)/gen/templates.c
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(WARN) $(CFLAGS) -c -o $@ $<

# ui/ sees include/ only: the layering is part of the build.
$(B)/obj/ui/%.o: ui/%.c $(wildcard include/ckpt/*.h) $(wildcard ui/*.h)
	@mkdir -p $(dir $@)
	$(QCC)$(CC) -D_GNU_SOURCE -Iinclude -Iui $(PKG_CFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(B)/libckpt.a
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(CPPFLAGS) -Isrc $(WARN) $(CFLAGS) -o $@ $< $(B)/libckpt.a $(LDLIBS)

check: all
	@$(MAKE) --no-print-directory $(UNIT_B) check-layering
	@sh tools/deps.sh test
	@CKPT=$(CURDIR)/ckpt UNIT_DIR=$(CURDIR)/$(B)/tests bash tests/run

check-layering:
	@! grep -rlE '#include *[<"](n?curses|ncursesw/)' src || { echo "layering: src/ includes curses"; exit 1; }
	@! grep -rnE '#include *"(\.\./)?src/|#include *"internal.h"' ui || { echo "layering: ui/ includes engine internals"; exit 1; }

# ---- sanitizers: a separate tree under build/asan ----
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
asan: deps
	@$(MAKE) --no-print-directory B=build/asan CC=clang CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" build/asan/ckpt-asan
	@sh tools/deps.sh test
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  CKPT=$(CURDIR)/build/asan/ckpt-asan UNIT_DIR=$(CURDIR)/build/asan/tests CKPT_ASAN=1 bash tests/run

build/asan/ckpt-asan: $(UI_O) $(B)/libckpt.a $(UNIT_B)
	$(QLD)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(UI_O) $(B)/libckpt.a $(LDLIBS)

# ---- libFuzzer: engine objects built with coverage under build/fuzz ----
# targets that fuzz a library's own parser (libhdf5): its crashes are findings
# to keep and report, not a failed run, so these go on past them
FUZZ_LIB_TARGETS := fuzz_h5_raw
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
fuzz: deps
	@$(MAKE) --no-print-directory B=build/fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" build/fuzz/libckpt.a
	@set -e; for f in $(FUZZ_C); do n=$$(basename $$f .c); \
	  echo "  FUZZ    $$n ($(FUZZ_TIME)s)"; \
	  clang $(CPPFLAGS) -Isrc -O1 -g -fsanitize=fuzzer,address,undefined -o build/fuzz/$$n $$f build/fuzz/libckpt.a $(LDLIBS); \
	  mkdir -p build/fuzz/corpus/$$n; seeds=; [ -d tests/fuzz/seeds/$$n ] && seeds=tests/fuzz/seeds/$$n; \
	  extra=; lib=0; case " $(FUZZ_LIB_TARGETS) " in *" $$n "*) lib=1; extra="-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1";; esac; \
	  build/fuzz/$$n $$extra -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 -artifact_prefix=build/fuzz/$$n- \
	    build/fuzz/corpus/$$n $$seeds 2>build/fuzz/$$n.log || [ $$lib = 1 ] || { tail -40 build/fuzz/$$n.log; exit 1; }; \
	  [ $$lib = 0 ] || echo "  $$n: library findings (if any) kept as build/fuzz/$$n-*"; \
	  grep -E '^Done|#[0-9]+.*DONE' build/fuzz/$$n.log | tail -1; done

bench: all
	@sh tools/deps.sh test
	@CKPT=$(CURDIR)/ckpt bash tests/bench/run

demo: all
	./ckpt examples

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/ckpt/themes
	install -m 755 ckpt $(DESTDIR)$(PREFIX)/bin/ckpt
	install -m 644 docs/ckpt.1 $(DESTDIR)$(PREFIX)/share/man/man1/ckpt.1
	for t in themes/*.theme; do [ -f "$$t" ] && install -m 644 "$$t" $(DESTDIR)$(PREFIX)/share/ckpt/themes/ || true; done

clean:
	rm -rf build ckpt
