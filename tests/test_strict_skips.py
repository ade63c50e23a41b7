"""The skip policy: a missing tool skips on a developer's machine and fails in `make test`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import strict

ROOT = Path(__file__).resolve().parent.parent


def test_a_missing_tool_skips_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(strict.STRICT_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="tmux absent"):
        strict.unavailable("tmux absent")


def test_a_missing_tool_fails_when_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(strict.STRICT_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="tmux absent.*PORTAIL_TEST_STRICT=1"):
        strict.unavailable("tmux absent", module=True)


def test_skipping_postgresql_fails_when_strict(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """The session fixture's own rule, run on its undecorated body."""
    from tests.conftest import pg_cluster

    body = pg_cluster.__wrapped__  # type: ignore[attr-defined]
    monkeypatch.setenv(strict.SKIP_PG_ENV, "1")
    monkeypatch.setenv(strict.STRICT_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL désactivé"):
        next(body())
    monkeypatch.delenv(strict.STRICT_ENV)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL désactivé"):
        next(body())


def test_make_test_runs_strict() -> None:
    target = re.search(r"^test:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert target is not None
    assert "PORTAIL_TEST_STRICT=1 $(BIN)/pytest" in target.group(1)
