"""What a town-hall IT person runs before anything else: the build, `make install` and the
progress lines of the installation (issue 16)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tracked_copy(dest: Path) -> Path:
    """The checkout as git knows it (no .venv, no build leftovers), so a build here never
    writes into the working tree another test is reading."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


@pytest.mark.slow
def test_wheel_builds_with_isolation_and_no_deprecation(tmp_path: Path) -> None:
    """The pinned build backend builds the package from scratch without one deprecation
    warning: the day setuptools announces the end of something we use, this fails here
    before a town's fresh install fails."""
    src = _tracked_copy(tmp_path / "src")
    out = tmp_path / "wheel"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-v",
         "--wheel-dir", str(out), str(src)],
        capture_output=True, text=True, timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    backend_lines = [line for line in log.splitlines() if "deprecat" in line.lower()
                     and "Location 'file://" not in line]
    assert backend_lines == [], "\n".join(backend_lines)
    (wheel,) = out.glob("portail_tui-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        metadata = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(metadata).decode()
        names = zf.namelist()
    assert "License-Expression: LicenseRef-Proprietary" in text
    # What the application reads at run time travels in the wheel.
    assert "portail_tui/app.tcss" in names
    assert any(n.startswith("portail_tui/migrations/versions/") for n in names)


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "portail").exists(),
                    reason="make install wraps the .venv that make test creates")
def test_make_install_puts_a_working_portail_command_in_the_prefix(tmp_path: Path) -> None:
    prefix = tmp_path / "prefix"
    proc = subprocess.run(["make", "-s", "install", f"PREFIX={prefix}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wrapper = prefix / "bin" / "portail"
    assert f"Commande installée : {wrapper}" in proc.stdout
    assert os.stat(wrapper).st_mode & 0o777 == 0o755
    run = subprocess.run([str(wrapper), "--help"], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "portail" in run.stdout.lower()
    assert "db" in run.stdout and "demo" in run.stdout


def test_install_steps_say_what_they_do_and_how_long_it_took() -> None:
    step = ROOT / "scripts" / "step"
    ok = subprocess.run([str(step), "Création de l'environnement", "true"],
                        capture_output=True, text=True, check=True)
    assert ok.stdout.splitlines()[0] == "==> Création de l'environnement…"
    assert "Création de l'environnement : fait en 0 s" in ok.stdout
    failed = subprocess.run([str(step), "Installation", "sh", "-c", "exit 3"],
                            capture_output=True, text=True)
    assert failed.returncode == 3
    assert "Installation : ÉCHEC (code 3)" in failed.stderr
