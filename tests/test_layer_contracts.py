"""The import-linter contracts bite: each probe file below, written into a copy of the
package, breaks a contract (the contracts of old left all of them « kept »), and the
clean copy passes. Also: nothing below the UI imports `portail_tui.db` through the app."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="lint-imports absent de l'environnement")


def _copy(tmp_path: Path) -> Path:
    work = tmp_path / "copy"
    shutil.copytree(ROOT / "portail_tui", work / "portail_tui",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
    return work


def _lint(work: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(work)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_package_as_it_is_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# (file to write, what it imports, the contract it must break)
PROBES = {
    "a screen importing models": (
        "screens/_probe.py", "from portail_tui import models\n", "The UI reaches the data through services only"),
    "a screen importing db": (
        "screens/_probe.py", "import portail_tui.db\n", "The UI reaches the data through services only"),
    "the app importing sqlalchemy": (
        "app.py", "import sqlalchemy\n", "The UI reaches the data through services only"),
    "a widget importing services": (
        "widgets/_probe.py", "from portail_tui.services import context\n", "Widgets draw what they are given"),
    "a service importing web": (
        "services/_probe.py", "import portail_tui.cli.web\n", "Below the UI, nothing knows the browser"),
    "a service importing devtools": (
        "services/_probe.py", "import portail_tui.devtools\n", "Below the UI, nothing knows the browser"),
    "the CLI importing devtools": (
        "cli/_probe.py", "import portail_tui.devtools\n", "devtools is for tests and benchmarks"),
    "the domain importing config": (
        "domain/_probe.py", "from portail_tui import config\n", "Domain is pure"),
    "a model importing a service": (
        "models/_probe.py", "from portail_tui.services import context\n", "Layers call downwards only"),
    "the clock importing config": (
        "clock.py", "from portail_tui import config\n", "Layers call downwards only"),
    "a top-level module in no layer": (
        "_probe.py", "\n", "Layers call downwards only"),
    "exports files and printing in a circle again": (
        "exports/errors.py", "from portail_tui.exports import files\n", "No import circle inside exports"),
}


@pytest.mark.parametrize("probe", list(PROBES))
def test_each_probe_breaks_a_contract(tmp_path: Path, probe: str) -> None:
    relative, line, contract = PROBES[probe]
    work = _copy(tmp_path)
    target = work / "portail_tui" / relative
    with open(target, "a", encoding="utf-8") as fh:  # a new file, or a line added at the end
        fh.write(line)
    result = _lint(work)
    assert result.returncode != 0, result.stdout
    broken = [ln for ln in result.stdout.splitlines() if " BROKEN" in ln]
    assert any(ln.startswith(contract) for ln in broken), broken
