"""Random key sequences on each of the five tabs and on their main dialogs, through the
Pilot, on the demo town: whatever an agent (or a cat on the keyboard) presses, the
application never raises. Hundreds of keys per screen, then the invariants:

- no exception in a handler or a worker (`run_test` re-raises it; `app._exception`),
  and no « erreur inattendue » nor traceback in the log (a bug caught and summed up);
- the application still answers: Escape closes what is open and F1 shows Accueil;
- the database is unchanged, row for row: the keys that confirm (Enter, Space, F9, F7,
  v, o) are left out of the random ones, so nothing may be written — a key that writes
  without a confirmation is a bug this finds.

The failure names the seed and the keys pressed, so it can be replayed;
`PORTAIL_FUZZ_SEED` changes the sequences, `PORTAIL_FUZZ_KEYS` their length."""

from __future__ import annotations

import logging
import os
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from portail_tui.app import PortailApp
from portail_tui.services.context import Actor, Context
from portail_tui.services.families import family_by_number

SIZE = (120, 40)
SEED = int(os.environ.get("PORTAIL_FUZZ_SEED", "8"))
KEYS = int(os.environ.get("PORTAIL_FUZZ_KEYS", "300"))
SETTLE_EVERY = 25

# Everything an agent can press, except what leaves the program (Ctrl+Q, Ctrl+C).
# Printing (F8, i) stays: with no `lp` on the PATH it must answer in French, not crash.
# Left out: what confirms a write (Enter and Space press the focused button, F9 and F7
# confirm or save, v validates a cart or a form, o answers « Oui »).
NAVIGATION = ["up", "down", "left", "right", "pageup", "pagedown", "home", "end", "tab", "shift+tab"]
EDITING = ["escape", "backspace", "delete", "ctrl+a", "ctrl+k"]
FUNCTION = ["f1", "f2", "f3", "f4", "f5", "f6", "f8", "f10", "ctrl+f", "ctrl+p", "ctrl+s", "ctrl+o", "ctrl+n"]
TYPED = list("abcdeilmnprstxSOé") + list("0123456789") + [",", "-", "comma", "full_stop"]
ALPHABET = NAVIGATION * 3 + EDITING * 2 + FUNCTION + TYPED
CONFIRMING = {"enter", "space", "f9", "f7", "v", "o"}
assert not CONFIRMING & set(ALPHABET)

# tab key -> the key that opens its main dialog (after a family is chosen)
TABS = {
    "accueil": ("f1", "v"),  # validation queue
    "historiques": ("f2", "f9"),  # other section, then exports/print from it
    "paiement": ("f3", "f9"),  # Encaisser
    "reservations": ("f4", "enter"),  # day dialog
    "dossier": ("f5", "e"),  # fiche responsable
}
MORE_DIALOGS = {
    "paiement-journal": ["f3", "f10"],
    "paiement-annulation": ["f3", "f6"],
    "reservations-recap": ["f4", "v"],
    "reservations-semaine-type": ["f4", "t"],
    "reservations-vacances": ["f4", "p"],
    "dossier-enfant": ["f5", "n"],
}


@pytest.fixture
def fuzz_ctx(sqlite_demo_ctx: Context, regisseur: Actor, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Context:
    empty = tmp_path / "no-printer"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no `lp`: printing must refuse politely
    return sqlite_demo_ctx.as_actor(regisseur)


async def _settle(app: PortailApp, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_a_second_palette_over_the_first(fuzz_ctx: Context, regisseur: Actor) -> None:
    """Found by the fuzz: the palette, the family search over it, the palette again."""
    app = PortailApp(fuzz_ctx, actor=regisseur)
    async with app.run_test(size=SIZE) as pilot:
        for key in ("ctrl+p", "ctrl+f", "ctrl+p"):
            await pilot.press(key)
            await _settle(app, pilot)
        assert app._exception is None


def _snapshot(ctx: Context) -> list[str]:
    """Every row of every table, in the database's own dump order."""
    path = ctx.db.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


async def _answers(app: PortailApp, pilot) -> bool:  # type: ignore[no-untyped-def]
    """Escape closes whatever is open, then F1 shows Accueil."""
    for _ in range(6):
        if len(app.screen_stack) <= 1:
            break
        await pilot.press("escape")
        await _settle(app, pilot)
    await pilot.press("f1")
    await _settle(app, pilot)
    return type(app.screen).__name__ == "AccueilScreen"


async def _fuzz(ctx: Context, actor: Actor, name: str, openings: list[list[str]], keys: int,
                caplog: pytest.LogCaptureFixture) -> None:
    """One application; for each opening (a tab, a tab then a dialog…): back out of
    whatever is open, press the opening keys, then `keys` random ones; then the
    invariants of the module docstring."""
    rng = random.Random(f"{name}-{SEED}")
    pressed: list[str] = []
    family = family_by_number(ctx, 1)
    before = _snapshot(ctx)
    errors: list[str] = []
    app = PortailApp(ctx, actor=actor)
    notify = app.notify

    def recording_notify(message: str, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("severity") == "error":
            errors.append(str(message))
        notify(message, *args, **kwargs)

    app.notify = recording_notify  # type: ignore[method-assign]
    caplog.set_level(logging.ERROR)
    try:
        async with app.run_test(size=SIZE) as pilot:
            app.select_family(family)
            for opening in openings:
                for key in ["escape"] * 2 + opening:
                    pressed.append(key)
                    await pilot.press(key)
                await _settle(app, pilot)
                for i in range(keys):
                    key = rng.choice(ALPHABET)
                    pressed.append(key)
                    await pilot.press(key)
                    if i % SETTLE_EVERY == SETTLE_EVERY - 1:
                        await _settle(app, pilot)
                    if app._exception is not None:
                        break
                await _settle(app, pilot)
            assert app._exception is None
            assert app.is_running, "the application stopped"
            assert await _answers(app, pilot), f"no answer to Escape then F1: {app.screen_stack}"
        unexpected = [m for m in errors if "erreur inattendue" in m]
        assert unexpected == [], unexpected
        tracebacks = [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
        assert tracebacks == [], tracebacks
        after = _snapshot(ctx)
        changed = sorted(set(before) ^ set(after))
        assert changed == [], f"the database changed without a confirmation: {changed[:10]}"
    except Exception as exc:
        raise AssertionError(f"{name}: seed {SEED}, keys {pressed}") from exc


@pytest.mark.parametrize("tab", list(TABS))
async def test_random_keys_on_each_tab_and_its_dialog(fuzz_ctx: Context, regisseur: Actor, tab: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    tab_key, dialog_key = TABS[tab]
    await _fuzz(fuzz_ctx, regisseur, tab, [[tab_key], [tab_key, dialog_key]], KEYS, caplog)


async def test_random_keys_in_more_dialogs(fuzz_ctx: Context, regisseur: Actor,
                                           caplog: pytest.LogCaptureFixture) -> None:
    await _fuzz(fuzz_ctx, regisseur, "dialogues", list(MORE_DIALOGS.values()), KEYS // 2, caplog)


async def test_random_typing_in_family_search_and_palette(fuzz_ctx: Context, agent: Actor,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    """The agent role (fewer rights: refusals instead of dialogs) in the two global
    dialogs, typing names, numbers and phone digits."""
    await _fuzz(fuzz_ctx.as_actor(agent), agent, "recherche", [["ctrl+f"], ["ctrl+p"], ["f3", "f6"]], KEYS // 2,
                caplog)
