# recsys: one entry point. `make` builds the core once (build/librecsys_core.a)
# and links it into both bindings; `make check` installs what is missing,
# builds and runs every test; `make demo` trains and recommends in SQLite.
VERSION      := 0.2.0
# Debian's versioned pg_config when it is there, else the one on PATH.
PG_CONFIG    ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
CC           ?= gcc
BUILD        := build

BLAS_CFLAGS   = $(shell pkg-config --cflags openblas 2>/dev/null)
BLAS_LIBS     = $(or $(shell pkg-config --libs openblas 2>/dev/null),-lopenblas) -llapacke -lpthread -lm
# Warnings are errors in our own builds (make check, CI: WERROR=-Werror);
# a user's build with a newer compiler does not fail on a new warning.
WERROR       ?=
WARN          = -Wall -Wextra $(WERROR)
CORE_CFLAGS   = -std=c11 -O3 -ffp-contract=fast -g $(WARN) -fPIC -fvisibility=hidden -D_GNU_SOURCE $(BLAS_CFLAGS)

CORE_SRC     := $(wildcard core/*.c)
CORE_HDR     := $(wildcard core/*.h)
CORE_OBJ     := $(patsubst core/%.c,$(BUILD)/core/%.o,$(CORE_SRC))
CORE_LIB     := $(BUILD)/librecsys_core.a

SQLITE_SRC   := $(wildcard sqlite_recsys/*.c)
SQLITE_HDR   := $(wildcard sqlite_recsys/*.h)
SQLITE_SO    := sqlite_recsys/recsys.so
# The same extension with the core compiled in under ASan + UBSan, for
# test/sqlite/run.sh (LD_PRELOAD=libasan.so:libubsan.so sqlite3 ...).
SQLITE_ASAN_SO := $(BUILD)/sqlite-asan/recsys.so

.PHONY: all core sqlite sqlite-asan pg install check demo demo-loop bench bench-ann bench-tools bench-scale bench-datasets bench-policy bench-vae deps clean lint

all: core sqlite pg

core: $(CORE_LIB)

$(BUILD)/core/%.o: core/%.c $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -c $< -o $@

# dense.c's Adam loop vectorises only when sqrtf need not set errno (its
# argument is never negative there)
$(BUILD)/core/dense.o: CORE_CFLAGS += -fno-math-errno

$(CORE_LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

sqlite: $(SQLITE_SO)

# the ASan + UBSan build, for the tests only (make check)
sqlite-asan: $(SQLITE_ASAN_SO)

$(SQLITE_SO): $(SQLITE_SRC) $(SQLITE_HDR) $(CORE_LIB)
	$(CC) -std=c11 -O2 -g $(WARN) -fPIC -shared -fvisibility=hidden -D_GNU_SOURCE \
	  -Icore -o $@ $(SQLITE_SRC) -Wl,--exclude-libs,ALL $(CORE_LIB) $(BLAS_LIBS)

$(SQLITE_ASAN_SO): $(SQLITE_SRC) $(SQLITE_HDR) $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer -shared -Icore -o $@ $(SQLITE_SRC) $(CORE_SRC) $(BLAS_LIBS)

pg: $(CORE_LIB)
	$(MAKE) -C pg_recsys PG_CONFIG=$(PG_CONFIG) with_llvm=no WERROR=$(WERROR)

install: pg
	$(MAKE) -C pg_recsys PG_CONFIG=$(PG_CONFIG) with_llvm=no WERROR=$(WERROR) install

deps:
	@scripts/deps.sh

check: deps
	$(MAKE) all sqlite-asan WERROR=-Werror
	$(MAKE) install WERROR=-Werror
	test/run_all.sh

demo: deps
	$(MAKE) core sqlite
	demo/run.sh

# a simulated week of traffic through a policy of two models: in SQLite, then
# in PostgreSQL (a throw-away cluster of PGBIN's server; pg_recsys installed there first)
demo-loop: deps
	$(MAKE) core sqlite
	demo/loop_sqlite.sh
	$(MAKE) install
	PGBIN=$(or $(PGBIN),$(shell $(PG_CONFIG) --bindir)) demo/loop.sh

# the web explorer (explorer/, README "Explorer"): its node packages as the
# lock file pins them, the SQLite extension, the demo shop and its models
# when missing; then serves on http://127.0.0.1:8080/ (EXPLORER_PORT,
# EXPLORER_HOST). EXPLORER_PG=postgresql://... serves that database instead.
EXPLORER_DB ?= $(BUILD)/explorer/shop.db
.PHONY: explorer
explorer:
	@scripts/deps.sh explorer
	explorer/scripts/npm.sh
	$(MAKE) core sqlite
	@if [ -z "$$EXPLORER_PG" ] && [ ! -f $(EXPLORER_DB) ]; then explorer/scripts/demo-db.sh $(EXPLORER_DB); fi
	EXPLORER_DB=$(EXPLORER_DB) node explorer/server.js

bench: deps
	$(MAKE) all
	$(MAKE) install
	bench/run.sh

# exact (int8) and approximate (IVF) top-10 over synthetic catalogues up to 1M items
bench-ann: core
	$(CC) -std=c11 -O2 $(WARN) -D_GNU_SOURCE -Icore -Ibench bench/ann.c $(CORE_LIB) $(BLAS_LIBS) \
	  -o $(BUILD)/bench_ann
	$(BUILD)/bench_ann

# the cost of a policy's arm choice: the core alone, then through recommend()
# in PostgreSQL against the model named directly (prints; not part of make check)
bench-policy: core
	$(CC) -std=c11 -O2 $(WARN) -D_GNU_SOURCE -Icore -Ibench bench/policy.c $(CORE_LIB) $(BLAS_LIBS) \
	  -o $(BUILD)/bench_policy
	$(BUILD)/bench_policy
	$(MAKE) install
	PGBIN=$(or $(PGBIN),$(shell $(PG_CONFIG) --bindir)) bench/policy_pg.sh

# vae beside ease, als and warp on MovieLens 100K and 1M (issue 15; a few
# minutes; not part of make check): make bench-vae
bench-vae: core
	bench/vae.sh

# synthetic sets for the scale bench (issue 12): build/gen_synth --set S|M|L
bench-tools: $(BUILD)/gen_synth $(BUILD)/scale_core $(BUILD)/dseval

# issue 12's figures on S, M, L into bench/SCALE.md (about 25 minutes; not part
# of make check): make bench-scale [SCALE_SETS=S] [PGBIN=... PG_CONFIG=...]
bench-scale: deps
	$(MAKE) all bench-tools
	PGBIN=$(or $(PGBIN),$(shell $(PG_CONFIG) --bindir)) bench/scale.sh

$(BUILD)/scale_core: bench/scale_core.c bench/timing.h $(CORE_LIB)
	$(CC) -std=c11 -O2 $(WARN) -D_GNU_SOURCE -Icore -o $@ $< $(CORE_LIB) $(BLAS_LIBS)

# issue 13's table of families on the five data sets into bench/RESULTS.md
# (about 4 minutes; not part of make check)
bench-datasets: core $(BUILD)/dseval
	bench/datasets.sh
	bench/datasets_table.sh

# the dataset bench (issue 13): build/dseval --data ds/lastfm.tsv --split user --algo als
$(BUILD)/dseval: bench/dseval.c $(CORE_LIB)
	$(CC) -std=c11 -O2 $(WARN) -D_GNU_SOURCE -Icore -o $@ $< $(CORE_LIB) $(BLAS_LIBS)

$(BUILD)/gen_synth: bench/gen_synth.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 $(WARN) -D_GNU_SOURCE -o $@ $< -lm

lint:
	@! grep -nE '#include *[<"](postgres|sqlite3|fmgr|executor/|utils/)' core/*.c core/*.h \
	  || (echo "core/ must not include database headers" && false)

clean:
	rm -rf $(BUILD) $(SQLITE_SO)
	$(MAKE) -C pg_recsys PG_CONFIG=$(PG_CONFIG) with_llvm=no clean || true
