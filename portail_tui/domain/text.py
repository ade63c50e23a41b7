"""Text normalisation for searching families and children.

Agents type names as they hear them on the phone: without accents, in
capitals, with or without the hyphen ("jean francois" must find
"Jean-François"). Both the stored value and the query go through
``normalize`` so they compare equal.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["activity_matches", "digits_only", "escape_like", "normalize"]

# Ligatures NFKD leaves alone, expanded the way French speakers type them.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
# Apostrophes (straight and typographic), hyphens and dashes separate words.
_SEPARATORS_RE = re.compile(r"['\u2019\u2018\u02bc`´\-\u2010\u2011\u2012\u2013\u2014\s]+")


def normalize(s: str) -> str:
    """Fold case, accents and word separators: "  JEAN-FRANÇOIS  " -> "jean francois"."""
    # casefold on both sides of the decomposition: casefold may produce combining
    # marks ("İ"), and NFKD may produce capitals ("℠" -> "SM").
    s = s.translate(_LIGATURES).casefold()
    s = unicodedata.normalize("NFKD", s).casefold()
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return _SEPARATORS_RE.sub(" ", s).strip()


def digits_only(s: str) -> str:
    """Keep ASCII digits, so "06 12 34 56 78" and "06.12.34.56.78" match."""
    return "".join(ch for ch in s if "0" <= ch <= "9")


def escape_like(s: str, escape: str = "\\") -> str:
    """Make user text literal inside a SQL LIKE pattern (use with ``ESCAPE``).

    Without this, a search for "50%" or "a_b" would match far too much.
    """
    if len(escape) != 1:
        raise ValueError("escape must be a single character")
    out = []
    for ch in s:
        if ch in ("%", "_", escape):
            out.append(escape)
        out.append(ch)
    return "".join(out)


def activity_matches(query: str, code: str, label: str) -> bool:
    """Free-text activity filter (R8 suivi and R9 histories use this one function): every word typed must start a word of the activity's
    label or code, ignoring case and accents ("APS" keeps APS MATIN, APS SOIR and APS
    FORFAIT; "loisirs" keeps CENTRE DE LOISIRS; "soir" keeps APS SOIR only)."""
    words = normalize(query).split()
    if not words:
        return True
    haystack = normalize(f"{label} {code}").replace("_", " ").split()
    return all(any(h.startswith(w) for h in haystack) for w in words)
