"""When a test's tool is missing: skip on a developer's machine, fail in `make test`.

`make test` installs sshd, tmux, openssl and PostgreSQL itself (`make system-deps`) and
sets PORTAIL_TEST_STRICT=1, so a tool still missing there means tests that did not run
while the run said green: that must be a failure. A developer without root runs
pytest without the variable and gets a skip that says how to install the tool."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

STRICT_ENV = "PORTAIL_TEST_STRICT"
SKIP_PG_ENV = "PORTAIL_TEST_SKIP_PG"
INSTALL = "lancez .ci/install-system-deps.sh (ou make system-deps)"


def strict() -> bool:
    return os.environ.get(STRICT_ENV) == "1"


def unavailable(reason: str, *, module: bool = False) -> NoReturn:
    """Skip (or fail when strict) the test — the whole module when `module` — whose
    tool is missing; `reason` says what is missing and how to get it."""
    if strict():
        pytest.fail(f"{reason} ({STRICT_ENV}=1 : un outil manquant est un échec, pas un test sauté)",
                    pytrace=False)
    pytest.skip(reason, allow_module_level=module)


def pg_disabled() -> bool:
    """PORTAIL_TEST_SKIP_PG=1: the developer has no PostgreSQL server (strict runs refuse it)."""
    return os.environ.get(SKIP_PG_ENV) == "1"
