"""Random key sequences on each of the five tabs and on their main dialogs, through the
Pilot, on the demo town: whatever an agent (or a cat on the keyboard) presses, the
application never raises. Any exception in a handler or a worker makes `run_test`
re-raise it; the failure names the seed and the keys pressed, so it can be replayed.

Bounded on purpose (one application per test, a few dozen keys each) so the whole file
stays under a minute; `PORTAIL_FUZZ_SEED` changes the sequences, `PORTAIL_FUZZ_KEYS`
makes them longer, for a longer hunt by hand."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from portail_tui.app import PortailApp
from portail_tui.services.context import Actor, Context
from portail_tui.services.families import family_by_number

SIZE = (120, 40)
SEED = int(os.environ.get("PORTAIL_FUZZ_SEED", "8"))
KEYS = int(os.environ.get("PORTAIL_FUZZ_KEYS", "10"))
SETTLE_EVERY = 8

# Everything an agent can press, except what leaves the program (Ctrl+Q, Ctrl+C).
# Printing (F8, i) stays: with no `lp` on the PATH it must answer in French, not crash.
NAVIGATION = ["up", "down", "left", "right", "pageup", "pagedown", "home", "end", "tab", "shift+tab"]
EDITING = ["enter", "escape", "space", "backspace", "delete", "ctrl+a", "ctrl+k"]
FUNCTION = ["f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "ctrl+f", "ctrl+p", "ctrl+s",
            "ctrl+o", "ctrl+n"]
TYPED = list("abcdeilmnprstvxSoOé") + list("0123456789") + [",", "-", "comma", "full_stop"]
ALPHABET = NAVIGATION * 3 + EDITING * 2 + FUNCTION + TYPED

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


async def _fuzz(ctx: Context, actor: Actor, name: str, openings: list[list[str]], keys: int) -> None:
    """One application; for each opening (a tab, a tab then a dialog…): back out of
    whatever is open, press the opening keys, then `keys` random ones."""
    rng = random.Random(f"{name}-{SEED}")
    pressed: list[str] = []
    family = family_by_number(ctx, 1)
    app = PortailApp(ctx, actor=actor)
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
            assert app.is_running, f"the application stopped after {pressed}"
    except Exception as exc:
        raise AssertionError(f"{name}: seed {SEED}, keys {pressed}") from exc


@pytest.mark.parametrize("tab", list(TABS))
async def test_random_keys_on_each_tab_and_its_dialog(fuzz_ctx: Context, regisseur: Actor, tab: str) -> None:
    tab_key, dialog_key = TABS[tab]
    await _fuzz(fuzz_ctx, regisseur, tab, [[tab_key], [tab_key, dialog_key]], KEYS)


async def test_random_keys_in_more_dialogs(fuzz_ctx: Context, regisseur: Actor) -> None:
    await _fuzz(fuzz_ctx, regisseur, "dialogues", list(MORE_DIALOGS.values()), KEYS // 2)


async def test_random_typing_in_family_search_and_palette(fuzz_ctx: Context, agent: Actor) -> None:
    """The agent role (fewer rights: refusals instead of dialogs) in the two global
    dialogs, typing names, numbers and phone digits."""
    await _fuzz(fuzz_ctx.as_actor(agent), agent, "recherche", [["ctrl+f"], ["ctrl+p"], ["f3", "f6"]], KEYS // 2)
