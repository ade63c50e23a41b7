"""Sending a PDF to a printer through CUPS (`lp`).

The program runs on the town-hall server: printing goes to the printers CUPS knows
there. An agent connected over SSH from another building may have no printer nearby,
so screens also say where the file was written (`is_remote_session`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from portail_tui.exports.errors import ExportError

LP_TIMEOUT_SECONDS = 30


class PrintError(ExportError):
    """Printing failed; the message is French and says what to do."""


def is_remote_session(env: Mapping[str, str] | None = None) -> bool:
    """True when the program runs in an SSH session (the file stays on the server)."""
    env = os.environ if env is None else env
    return any(env.get(name) for name in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"))


_JOB_RE = re.compile(r"request id is (\S+)")


def print_pdf(path: Path, printer: str | None = None, *, title: str | None = None) -> str:
    """Queue `path` on `printer` (or the system's default printer) and return a French
    sentence naming the job, e.g. "Envoyé à l'imprimante accueil (travail accueil-12)."."""
    path = Path(path)
    if not path.is_file():
        raise PrintError(f"Impression impossible : le fichier {path} n'existe pas.")
    lp = shutil.which("lp")
    if lp is None:
        raise PrintError(
            "Impression impossible : la commande « lp » (CUPS) est absente de ce poste. "
            f"Le fichier est enregistré : {path}"
        )
    cmd = [lp]
    if printer:
        cmd += ["-d", printer]
    cmd += ["-t", title or path.name, "--", str(path)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=LP_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PrintError(
            f"Impression impossible : l'imprimante ne répond pas (délai dépassé). Le fichier est enregistré : {path}"
        ) from exc
    except OSError as exc:
        raise PrintError(f"Impression impossible : {exc.strerror or exc}. Le fichier est enregistré : {path}") from exc
    if done.returncode != 0:
        raise PrintError(_explain(done.stderr or done.stdout, printer, path))
    where = f"l'imprimante {printer}" if printer else "l'imprimante par défaut"
    job = _JOB_RE.search(done.stdout or "")
    return f"Envoyé à {where} (travail {job.group(1)})." if job else f"Envoyé à {where}."


def _explain(output: str, printer: str | None, path: Path) -> str:
    text = (output or "").strip()
    low = text.lower()
    tail = f" Le fichier est enregistré : {path}"
    if "no default destination" in low or "aucune destination par défaut" in low:
        return ("Impression impossible : aucune imprimante par défaut n'est définie "
                "(réglez PORTAIL_PRINTER ou l'imprimante par défaut de CUPS)." + tail)
    if "does not exist" in low or "n'existe pas" in low or "unknown" in low:
        return f"Impression impossible : l'imprimante « {printer} » est inconnue de CUPS." + tail
    if "scheduler is not running" in low or "connection refused" in low or "unable to connect" in low:
        return "Impression impossible : le service d'impression CUPS ne répond pas." + tail
    first = text.splitlines()[0] if text else "erreur inconnue"
    return f"Impression impossible : {first}." + tail
