# tokentop build: one static library of the layers, the binaries, the tests.
.SUFFIXES:

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= gcc

PKGS     = ncursesw libcurl jansson sqlite3 libuv inih libmicrohttpd libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

# Parallel by default, one job a core; `make -jN` or JOBS=N on the command line wins.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
MAKEFLAGS += -j$(JOBS)
# The builds inside run and test keep each compiler's messages together.
SYNC = --output-sync=target

OPT      ?= -O2 -g
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wno-missing-field-initializers -Iinclude -DTT_DATADIR=\"$(PREFIX)/share/tokentop\" \
             $(PKG_CFLAGS) $(OPT) $(XCFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lpthread -lm $(XLDFLAGS)

LAYERS  = source store engine view ui report action app sim
LIB_SRC = $(filter-out src/sim/main.c,$(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c)))
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB     = $(BUILD)/libtokentop.a

# ar keeps objects by file name: two sources with one name would replace each other.
DUP_NAMES := $(strip $(foreach f,$(sort $(notdir $(LIB_SRC))),$(if $(filter-out 1,$(words $(filter %/$(f),$(LIB_SRC)))),$(f))))
$(if $(DUP_NAMES),$(error source file names must be unique across layers: $(DUP_NAMES)))

TEST_SRC  = $(wildcard tests/test_*.c)
TEST_BIN  = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SH   = $(wildcard tests/test_*.sh)

BINS = $(BUILD)/tokentop $(if $(wildcard src/sim/main.c),$(BUILD)/tokentop-sim)

.PHONY: all deps run test check asan bench fuzz screenshot fresh-check install clean format FORCE

all: $(TEST_BIN) $(BINS)

deps:
	@./scripts/deps.sh

$(BUILD)/obj/%.o: %.c $(wildcard include/tokentop/*.h src/*/*.h) Makefile
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -c $< -o $@

# The data directory is compiled in: rebuild what uses it when PREFIX changes.
$(BUILD)/prefix.txt: FORCE
	@mkdir -p $(@D)
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' > $@
$(BUILD)/obj/src/app/common.o $(BUILD)/obj/src/ui/theme.o: $(BUILD)/prefix.txt
FORCE:

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $(LIB_OBJ)

$(BUILD)/tokentop: $(BUILD)/obj/src/tokentop.o $(LIB)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tokentop-sim: $(BUILD)/obj/src/sim/main.o $(LIB)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/%.c $(LIB) tests/testutil.h
	@mkdir -p $(@D)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS_ALL) -Wno-unused-parameter -Itests -o $@ $< $(LIB) $(LDLIBS_ALL) $(CMOCKA_LIBS)

run: deps
	@$(MAKE) --no-print-directory $(SYNC) all
	./scripts/demo.sh

# Every cmocka unit, then every whole-program script, against the built binaries.
test: deps
	@$(MAKE) --no-print-directory $(SYNC) all
	@$(MAKE) --no-print-directory check

check: $(BINS) $(TEST_BIN)
	@BUILD=$(BUILD) ./scripts/run-tests.sh $(TEST_BIN) $(TEST_SH)

# gcc's sanitizers (libasan, libubsan come with gcc): no extra compiler to install.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan CC=gcc \
	  OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  XLDFLAGS="-fsanitize=address,undefined" check

$(BUILD)/bench_prompts: bench/bench_prompts.c $(LIB)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS_ALL)

$(BUILD)/bench_views: bench/bench_views.c $(LIB)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS_ALL)

bench:
	@./scripts/deps.sh --bench
	@$(MAKE) --no-print-directory all $(BUILD)/bench_prompts $(BUILD)/bench_views
	@BUILD=$(BUILD) ./scripts/bench.sh

# The weekly review's HTML page in headless Chromium (installed when missing): a PNG to look
# at, never part of `make test` (docs/report-json.md). SCREENSHOT_ARGS: --db, --week, -o, ...
screenshot:
	@./scripts/deps.sh --screenshot
	@$(MAKE) --no-print-directory $(BUILD)/tokentop
	@BUILD=$(BUILD) ./scripts/screenshot-weekly.sh $(SCREENSHOT_ARGS)

fuzz:
	@./scripts/deps.sh --fuzz
	@BUILD=build-fuzz ./scripts/fuzz.sh $(FUZZ_SECONDS)

# The README's two commands in a minimal Debian chroot, empty environment, no TTY (as root;
# downloads a base system, so never part of CI). Run it when deps.sh, this file or a test's
# environment changes.
fresh-check:
	@./scripts/fresh-check.sh

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/tokentop/themes \
	  $(DESTDIR)$(PREFIX)/share/tokentop/fixtures $(DESTDIR)$(PREFIX)/share/doc/tokentop \
	  $(DESTDIR)$(PREFIX)/share/tokentop/checklists
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 fixtures/ratecard.json $(DESTDIR)$(PREFIX)/share/tokentop/fixtures/
	install -m 0644 themes/*.ini $(DESTDIR)$(PREFIX)/share/tokentop/themes/
	install -m 0644 fixtures/checklists/*.ini $(DESTDIR)$(PREFIX)/share/tokentop/checklists/
	install -m 0644 docs/*.md docs/openapi.yaml $(DESTDIR)$(PREFIX)/share/doc/tokentop/

format:
	@./scripts/deps.sh --format
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz
