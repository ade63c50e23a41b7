# Portail Familles — guichet. Two commands do everything on a fresh machine:
#   make run    installs what is needed and starts the application on the demo database
#   make test   installs what is needed, runs the linters, mypy and the whole test suite (SQLite and PostgreSQL)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install system-deps lint typecheck typecheck-baseline bench clean-demo

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

system-deps:
	@bash .ci/install-system-deps.sh

run: install
	@$(BIN)/portail

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# mypy: strict packages must be clean, the UI / CLI side may only lose errors (tests/mypy-baseline.txt).
typecheck: install
	$(BIN)/python tests/mypy_baseline.py

# Rewrite tests/mypy-baseline.txt after fixing errors (add --strict-packages-clean once they are all clean).
typecheck-baseline: install
	$(BIN)/python tests/mypy_baseline.py --update

test: system-deps install lint typecheck
	$(BIN)/pytest -n 2 --dist loadgroup -q

bench: install
	$(BIN)/python bench/run_all.py

clean-demo:
	rm -f data/portail.db data/portail.db-wal data/portail.db-shm
