"""The régie described in one TOML file (G1–G4): read and checked (`parse`, `check`),
compared with the database (`plan`), applied in one audited transaction (`apply`) and
written back (`export`). The demo town is built from the same rows (`rows`)."""

from __future__ import annotations

from portail_tui.services.regie_setup.export import export
from portail_tui.services.regie_setup.model import Problem, SetupFile
from portail_tui.services.regie_setup.parse import check, parse
from portail_tui.services.regie_setup.plan import Change, Plan, apply, plan, the_regie


def example_text() -> str:
    """The commented example file shipped with the application (the guide's town)."""
    from importlib.resources import files

    return files("portail_tui").joinpath("data/regie-exemple.toml").read_text(encoding="utf-8")


__all__ = ["example_text", "Change", "Plan", "Problem", "SetupFile", "apply", "check", "export", "parse", "plan",
           "the_regie"]
