"""Printing through CUPS `lp`, with a fake `lp` on PATH (no printer needed)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from portail_tui.exports.printing import PrintError, is_remote_session, print_pdf


def _fake_lp(folder: Path, script: str) -> None:
    lp = folder / "lp"
    lp.write_text("#!/bin/sh\n" + script)
    lp.chmod(lp.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "releve.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    return path


def test_prints_on_the_named_printer(tmp_path: Path, pdf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_lp(bin_dir, f'echo "$@" > {tmp_path}/args\necho "request id is accueil-12 (1 file(s))"\n')
    monkeypatch.setenv("PATH", str(bin_dir))
    assert print_pdf(pdf, "accueil") == "Envoyé à l'imprimante accueil (travail accueil-12)."
    assert (tmp_path / "args").read_text().split() == ["-d", "accueil", "-t", "releve.pdf", "--", str(pdf)]
    assert print_pdf(pdf, None) == "Envoyé à l'imprimante par défaut (travail accueil-12)."


@pytest.mark.parametrize(
    ("stderr", "message"),
    [
        ("lp: Error - No default destination.", "aucune imprimante par défaut"),
        ("lp: Error - The printer or class does not exist.", "« bureau » est inconnue"),
        ("lp: Error - Scheduler is not running.", "CUPS ne répond pas"),
        ("lp: something odd", "something odd"),
    ],
)
def test_lp_failures_are_explained(tmp_path: Path, pdf: Path, monkeypatch: pytest.MonkeyPatch,
                                   stderr: str, message: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_lp(bin_dir, f'echo "{stderr}" >&2\nexit 1\n')
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(PrintError, match=message) as info:
        print_pdf(pdf, "bureau")
    assert str(pdf) in info.value.message  # the agent still knows where the file is


def test_missing_lp(tmp_path: Path, pdf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(PrintError, match="« lp » \\(CUPS\\) est absente"):
        print_pdf(pdf)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PrintError, match="n'existe pas"):
        print_pdf(tmp_path / "nope.pdf")


def test_remote_session_detection() -> None:
    assert is_remote_session({"SSH_CONNECTION": "10.0.0.2 5555 10.0.0.1 22"})
    assert is_remote_session({"SSH_TTY": "/dev/pts/3"})
    assert not is_remote_session({"TERM": "xterm"})
