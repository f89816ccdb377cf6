# OpenSeat build: `make run` serves the demo, `make check` runs every suite.

MODE     ?= release
BUILD    ?= build/$(MODE)
CC       ?= gcc

PKGS     := libre librem libwebsockets libuv libpq jansson libjwt libsodium \
	speexdsp libmpg123 sndfile opus libarchive
# libre's headers need the defines its own build used (re.mk); without
# HAVE_INET6 `struct sa` silently loses its IPv6 member.
RE_DEFS  := -DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DHAVE_INET6 -DUSE_OPENSSL \
	-DUSE_TLS -DUSE_ZLIB -DLINUX -DHAVE_PTHREAD -DHAVE_SIGNAL \
	-DHAVE_STRERROR_R -DHAVE_EPOLL -DHAVE_POLL -DHAVE_PWD_H \
	-DHAVE_SYS_TIME_H -DHAVE_INET_NTOP -DHAVE_INET_PTON

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-format-nonliteral
ifeq ($(CI),true)
WARN     += -Werror
endif

CFLAGS   := -std=gnu11 -g $(WARN) $(RE_DEFS) -D_GNU_SOURCE \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null) -I. -Iserver
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lmp3lame \
	-lpthread -lm

ifeq ($(MODE),asan)
CFLAGS   += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
else
CFLAGS   += -O2
endif

# media/timerwheel.c replaces libre's timer functions; exporting them from
# the executable makes libre's and librem's own calls bind there too.
TIMER_FNS := tmr_start tmr_cancel tmr_poll tmr_next_timeout tmr_get_expire \
	tmr_status tmr_debug
LDFLAGS  += $(TIMER_FNS:%=-Wl,--export-dynamic-symbol=%)

SERVER_SRCS := $(filter-out server/main.c,$(shell find server -name '*.c'))
MEDIA_SRCS  := $(shell find media -name '*.c' 2>/dev/null)
SERVER_OBJS := $(SERVER_SRCS:%.c=$(BUILD)/%.o)
MEDIA_OBJS  := $(MEDIA_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_HELPERS := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_HOBJS  := $(UNIT_HELPERS:%.c=$(BUILD)/%.o)

LIBSERVER := $(BUILD)/libopenseat-server.a
LIBMEDIA  := $(BUILD)/libopenseat-media.a
BIN       := $(BUILD)/openseat

.PHONY: all build deps run check check-style unit integration e2e bench \
	soak clean distclean web fmt prompts regions-data

all: build
build: $(BIN) prompts

# Built-in prompts, shared by every MODE; regenerated when the texts change.
PROMPTS_STAMP := build/prompts/.stamp
prompts: $(PROMPTS_STAMP)

$(PROMPTS_STAMP): config/prompts.tsv tools/gen-prompts.sh
	@./tools/gen-prompts.sh build/prompts
	@touch $@

deps:
	@./tools/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBSERVER): $(SERVER_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(LIBMEDIA): $(MEDIA_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^ $(if $^,,$(BUILD)/empty.o)

$(BUILD)/empty.o:
	@mkdir -p $(dir $@)
	echo 'extern int openseat_media_empty; int openseat_media_empty;' | \
		$(CC) -x c -c - -o $@

$(LIBMEDIA): | $(BUILD)/empty.o

$(BIN): $(BUILD)/server/main.o $(LIBSERVER) $(LIBMEDIA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(UNIT_HOBJS) $(LIBSERVER) $(LIBMEDIA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -MMD -MP $(LDFLAGS) -o $@ \
		$(filter %.c %.o %.a,$^) \
		$(LDLIBS) -lcmocka

web:
	@./tools/web-vendor.sh

# Number attribution data (data/regions): npm installs the pinned package
# when it is missing or the lock file changed.
REGIONS_STAMP := data/regions/node_modules/.package-lock.json
regions-data: $(REGIONS_STAMP)

$(REGIONS_STAMP): data/regions/package-lock.json
	cd data/regions && npm ci --omit=peer --no-audit --no-fund \
		--loglevel=error

# --- the two commands -------------------------------------------------------

run: deps
	@$(MAKE) --no-print-directory -j2 build web regions-data
	@./tools/run.sh $(BIN)

check: deps
	@$(MAKE) --no-print-directory check-style
	@$(MAKE) --no-print-directory -j2 MODE=asan build web regions-data
	@$(MAKE) --no-print-directory -j2 MODE=asan unit-bins
	@./tools/check.sh build/asan

unit-bins: $(UNIT_BINS)

check-style:
	@./tools/ccheck server media tests/unit

bench: build
	@./bench/run.sh $(BIN)

# The ACD soak against a real server: SOAK_MINUTES (30) of random calls
# and agent behaviour with the routing core's invariants checked.
SOAK_MINUTES ?= 30
soak: deps build
	@cd tests && SOAK_SECONDS=$$(($(SOAK_MINUTES) * 60)) \
		OPENSEAT_BIN=$(abspath $(BIN)) node --test --test-timeout=0 \
		integration/queue_soak.test.mjs

# The ACD routing core in process: needs only its own objects.
.PHONY: bench-acd
bench-acd: $(BUILD)/bench/acd_route
	@$(BUILD)/bench/acd_route

$(BUILD)/bench/acd_route: bench/acd_route.c \
		$(filter $(BUILD)/server/acd/%,$(SERVER_OBJS))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# WebRTC media per browser call, in process (see bench/webrtc_media.c).
.PHONY: bench-webrtc
bench-webrtc: $(BUILD)/bench/webrtc_media
	@$(BUILD)/bench/webrtc_media

$(BUILD)/bench/webrtc_media: bench/webrtc_media.c $(LIBMEDIA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Callers on hold music, per call's player or one shared stream, in
# process (see bench/hold_media.c).
.PHONY: bench-hold
bench-hold: $(BUILD)/bench/hold_media
	@$(BUILD)/bench/hold_media $(BENCH_CALLS)

$(BUILD)/bench/hold_media: bench/hold_media.c $(LIBMEDIA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Concurrent recorded calls, in process (see bench/recording.c).
.PHONY: bench-recording
bench-recording: $(BUILD)/bench/recording
	@$(BUILD)/bench/recording $(BENCH_CALLS)

$(BUILD)/bench/recording: bench/recording.c $(LIBSERVER) $(LIBMEDIA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

clean:
	rm -rf build

distclean: clean
	@./tools/pg-local stop var/pg 2>/dev/null || true
	rm -rf var web/vendor web/node_modules data/regions/node_modules

-include $(shell find build -name '*.d' 2>/dev/null)
