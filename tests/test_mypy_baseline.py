"""The mypy baseline checker: new errors fail, fixed ones must leave the file, strict stays clean."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "mypy_baseline", Path(__file__).with_name("mypy_baseline.py")
)
assert _SPEC is not None and _SPEC.loader is not None
checker = importlib.util.module_from_spec(_SPEC)
sys.modules["mypy_baseline"] = checker
_SPEC.loader.exec_module(checker)

SCREEN_ERR = 'portail_tui/screens/login.py:12: error: Item "None" of "X | None" has no attribute "y"  [union-attr]'
SCREEN_ERR_MOVED = SCREEN_ERR.replace(":12:", ":40:")
SERVICE_ERR = 'portail_tui/services/news.py:7: error: Returning Any from function declared to return "int"  [no-any-return]'
NOTE = "portail_tui/screens/login.py:12: note: See https://mypy.readthedocs.io"


def _run(tmp_path: Path, output: str, *flags: str) -> int:
    out = tmp_path / "mypy.txt"
    out.write_text(output + "\n", encoding="utf-8")
    return int(checker.main(["--mypy-output", str(out), "--baseline", str(tmp_path / "b.txt"), *flags]))


def test_normalise_drops_line_numbers_and_notes_but_counts_copies() -> None:
    entries = checker.normalise("\n".join([SCREEN_ERR, SCREEN_ERR_MOVED, NOTE]))
    assert entries == {
        'portail_tui/screens/login.py: [union-attr] Item "None" of "X | None" has no attribute "y"': 2
    }


def test_normalise_hides_line_references_inside_messages() -> None:
    err = 'portail_tui/app.py:3: error: Name "x" already defined on line 1  [no-redef]'
    assert list(checker.normalise(err)) == ['portail_tui/app.py: [no-redef] Name "x" already defined line N']


def test_update_then_check_passes_and_moving_code_does_not_matter(tmp_path: Path) -> None:
    assert _run(tmp_path, SCREEN_ERR, "--update") == 0
    assert _run(tmp_path, SCREEN_ERR_MOVED) == 0


def test_new_error_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, SCREEN_ERR, "--update") == 0
    assert _run(tmp_path, "\n".join([SCREEN_ERR, SCREEN_ERR_MOVED])) == 1
    assert "new mypy errors" in capsys.readouterr().out


def test_fixed_error_still_in_baseline_fails_and_names_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path, SCREEN_ERR, "--update") == 0
    assert _run(tmp_path, "") == 1
    assert "make typecheck-baseline" in capsys.readouterr().out


def test_strict_packages_clean_refuses_service_entries(tmp_path: Path) -> None:
    assert _run(tmp_path, "\n".join([SCREEN_ERR, SERVICE_ERR]), "--update") == 0
    assert _run(tmp_path, "\n".join([SCREEN_ERR, SERVICE_ERR])) == 0
    assert _run(tmp_path, "\n".join([SCREEN_ERR, SERVICE_ERR]), "--strict-packages-clean") == 1
    assert _run(tmp_path, SERVICE_ERR, "--update", "--strict-packages-clean") == 1
    assert _run(tmp_path, SCREEN_ERR, "--update", "--strict-packages-clean") == 0
    assert _run(tmp_path, SCREEN_ERR, "--strict-packages-clean") == 0


def test_strictness_comes_from_the_relaxed_override_in_pyproject() -> None:
    patterns = checker.relaxed_patterns()
    assert not checker.is_strict("portail_tui/screens/login.py: x", patterns)
    assert not checker.is_strict("portail_tui/app.py: x", patterns)
    assert not checker.is_strict("portail_tui/cli/__init__.py: x", patterns)
    assert checker.is_strict("portail_tui/services/news.py: x", patterns)
    assert checker.is_strict("portail_tui/domain/money.py: x", patterns)
    assert checker.is_strict("portail_tui/models/core.py: x", patterns)
    assert checker.is_strict("portail_tui/exports/pdf.py: x", patterns)
    # "portail_tui.app" must not relax a hypothetical "portail_tui.apps" module.
    assert checker.is_strict("portail_tui/apps.py: x", patterns)
