# Portail Familles — guichet. Two commands do everything on a fresh machine:
#   make run    installs what is needed and starts the application on the demo database
#   make test   installs what is needed, runs the linters, mypy and the whole test suite (SQLite and PostgreSQL)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
STEP   := scripts/step
PIP    := $(BIN)/python -m pip --disable-pip-version-check
# `make install` puts a `portail` command here (a wrapper that runs this checkout's .venv).
PREFIX ?= /usr/local

.PHONY: run test venv install system-deps lint typecheck typecheck-baseline bench snapshots clean-demo

# Each step says what it does and how long it took: a first run is a few minutes of
# downloads, and a newcomer must be able to tell that from a hang.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(STEP) "Création de l'environnement Python ($(VENV))" $(PYTHON) -m venv $(VENV)
	@$(STEP) "Mise à jour de pip" $(PIP) install --progress-bar on --upgrade pip
	@$(STEP) "Installation de l'application et de ses dépendances" $(PIP) install --progress-bar on -e .
	@touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	@$(STEP) "Installation des outils de test" $(PIP) install --progress-bar on -e ".[test]"
	@touch $(TEST_STAMP)

venv: $(STAMP)

install: $(STAMP)
	@mkdir -p "$(PREFIX)/bin"
	@printf '#!/bin/sh\n# Installed by `make install` from %s\nexec "%s/$(BIN)/portail" "$$@"\n' \
		"$(CURDIR)" "$(CURDIR)" > "$(PREFIX)/bin/portail.tmp"
	@chmod 755 "$(PREFIX)/bin/portail.tmp"
	@mv -f "$(PREFIX)/bin/portail.tmp" "$(PREFIX)/bin/portail"
	@echo "Commande installée : $(PREFIX)/bin/portail (lance $(CURDIR)/$(BIN)/portail)"

system-deps:
	@bash .ci/install-system-deps.sh

run: $(STAMP)
	@$(BIN)/portail

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# mypy (configured in pyproject.toml): no new error anywhere, and tests/mypy-baseline.txt may only
# shrink. --strict-packages-clean also refuses any baseline entry in the strict packages (domain,
# exports, services, models, db), which are all clean: the baseline only holds the relaxed UI side.
TYPECHECK_FLAGS ?= --strict-packages-clean

typecheck: $(TEST_STAMP)
	$(BIN)/python tests/mypy_baseline.py $(TYPECHECK_FLAGS)

# After fixing errors: rewrite tests/mypy-baseline.txt from a fresh mypy run.
typecheck-baseline: $(TEST_STAMP)
	$(BIN)/python tests/mypy_baseline.py --update $(TYPECHECK_FLAGS)

# PORTAIL_TEST_STRICT=1: system-deps has installed sshd, tmux, openssl and PostgreSQL, so a
# test that would skip for a missing tool fails instead (tests/support/strict.py).
test: system-deps $(TEST_STAMP) lint typecheck
	PORTAIL_TEST_STRICT=1 $(BIN)/pytest -n 2 --dist loadgroup -q

# After a deliberate change of layout, wording or colour: rewrite the SVG snapshots of the
# screens (tests/__snapshots__/test_snapshots/), then look at them before committing.
snapshots: $(TEST_STAMP)
	$(BIN)/pytest tests/test_snapshots.py -p no:xdist -q --snapshot-update

bench: $(TEST_STAMP)
	$(BIN)/python bench/run_all.py

clean-demo:
	rm -f data/portail.db data/portail.db-wal data/portail.db-shm
