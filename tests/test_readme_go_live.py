"""The README's « Mise en service » is the path a town hall's IT person follows from an
empty machine: every `portail …` command it names must exist, with the options it shows,
or the section sends them typing commands the program no longer has. Each command found
is resolved in the CLI's own tree (a word that is not a sub-command of a group is drift),
its options checked against the command's, then `portail <commande> --help` is run as a
real process, as the reader would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from portail_tui.cli import app

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Mise en service"
# Where a command stops on its line: a comment, the end of inline code, a redirection.
STOPS = ("#", "`", ">>", ";", "&&", "||", ")")
# `portail` as a command: at the start, after a space, a backtick or a path's last slash,
# and followed by a space (not `/srv/portail/…`, not « le compte `portail` »).
WORD = re.compile(r"(?:^|(?<=[\s`/]))portail (?=\S)")


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {TITLE}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _command_lines(text: str) -> list[str]:
    """The fenced blocks' lines, comments cut off, and every inline code span."""
    lines: list[str] = []
    in_block = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_block = not in_block
            continue
        if in_block:
            lines.append(line.split(" #")[0] if not line.lstrip().startswith("#") else "")
        else:
            lines.extend(re.findall(r"`([^`]+)`", line))
    return lines


def invocations(text: str) -> list[list[str]]:
    """Every `portail …` of the section, as the words typed after `portail`."""
    found: list[list[str]] = []
    for line in _command_lines(text):
        for match in WORD.finditer(line):
            rest = line[match.end():]
            for stop in STOPS:
                rest = rest.split(stop)[0]
            words = rest.split()
            if words:
                found.append(words)
    return found


def resolve(words: list[str]) -> tuple[list[str], Any]:
    """The command path the words name, and the click command; a word that is not a
    sub-command of a group fails (the README names a command that does not exist)."""
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    for word in words:
        if not _is_group(command):
            break
        sub = command.commands.get(word)
        assert sub is not None, f"« portail {' '.join([*path, word])} » : commande inconnue (README, {TITLE})"
        command, path = sub, [*path, word]
    assert path, f"« portail {' '.join(words)} » ne nomme aucune commande"
    assert not _is_group(command), f"« portail {' '.join(path)} » est un groupe, pas une commande"
    return path, command


def _is_group(command: Any) -> bool:
    # Typer carries its own copy of click (typer._click): a group is what has sub-commands.
    return hasattr(command, "commands")


def _options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def test_the_section_names_the_whole_path() -> None:
    named = {" ".join(resolve(words)[0]) for words in invocations(section())}
    # The path, in order: base, régie, set-up file, agents, families, portal accounts,
    # mail, the night and the first backup.
    for command in ("db upgrade", "regie init", "regie exemple", "regie check", "regie apply", "agent add",
                    "import modele", "import familles", "comptes envoyer", "mail send", "nightly", "db backup"):
        assert command in named, f"« portail {command} » manque à la section {TITLE}"
    text = section()
    assert "--dry-run" in text and "--partiel" in text and "--sante" in text and "rejets.csv" in text
    assert "Windows-1252" in text and "(#postgresql-communes-plus-grandes)" in text
    assert "## PostgreSQL (communes plus grandes)" in (ROOT / "README.md").read_text(encoding="utf-8").replace(
        "### PostgreSQL", "## PostgreSQL")


def test_every_option_shown_belongs_to_its_command() -> None:
    for words in invocations(section()):
        path, command = resolve(words)
        for word in words[len(path):]:
            if word.startswith("--"):
                assert word.split("=")[0] in _options(command), (
                    f"« portail {' '.join(path)} » n'a pas d'option {word} (README, {TITLE})")


def _paths() -> list[str]:
    return sorted({" ".join(resolve(words)[0]) for words in invocations(section())})


def test_the_extraction_is_not_fooled() -> None:
    sample = ("```sh\nportail regie check regie.toml   # rien n'est modifié\n"
              "0 1 * * * set -a; . /srv/portail/portail.env; /srv/bin/portail db backup /x/ >> log\n```\n"
              "le compte `portail` ; `portail agent list` ; Portail Familles\n")
    assert invocations(sample) == [["regie", "check", "regie.toml"], ["db", "backup", "/x/"], ["agent", "list"]]
    with pytest.raises(AssertionError, match="commande inconnue"):
        resolve(["regie", "exmple"])


@pytest.mark.parametrize("command", _paths())
def test_help_runs(command: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAIL_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-m", "portail_tui", *command.split(), "--help"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Utilisation" in done.stdout and "Traceback" not in done.stdout + done.stderr
