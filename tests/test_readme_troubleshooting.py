"""The README's « Dépannage » quotes the messages a newcomer sees: each quote must still be
what the program says, or the section sends people looking for words that no longer exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _sources() -> str:
    """Every string of the package, with adjacent literals joined as Python joins them."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "portail_tui").rglob("*.py"))
    code = re.sub(r'"\s*\n\s*f?"', "", code)
    return " ".join(code.split())


def test_every_quoted_message_is_one_the_program_says() -> None:
    section = _section("Dépannage")
    quotes = re.findall(r"\*\*« (.+?) »\*\*", section, flags=re.S)
    assert len(quotes) == 5, quotes
    code = _sources()
    for quote in quotes:
        # Every fixed part between the placeholders (« … ») is in the code as written.
        parts = [" ".join(p.split()) for p in quote.split("…")]
        parts = [p for p in parts if len(p) >= 8]
        assert parts, quote
        for part in parts:
            assert part in code, f"introuvable dans le code : {part!r}"
