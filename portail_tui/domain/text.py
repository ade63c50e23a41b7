"""Text normalisation for searching families and children.

Agents type names as they hear them on the phone: without accents, in
capitals, with or without the hyphen ("jean francois" must find
"Jean-François"). Both the stored value and the query go through
``normalize`` so they compare equal.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["activity_matches", "digits_only", "escape_like", "normalize", "phone_digits", "search_fold"]

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


_APOSTROPHES = str.maketrans("", "", "'\u2019\u2018\u02bc`´")


def search_fold(s: str) -> str:
    """`normalize` for the family search, apostrophes dropped instead of spaced:
    « N'Diaye » -> "ndiaye", so "ndiaye", "n'diaye" and "diaye" all find it (a
    separate "n diaye" still does: each word is a substring). Stored words and the
    query both go through it."""
    return normalize(s.translate(_APOSTROPHES))


def phone_digits(s: str) -> str:
    """A French phone number as its ten national digits, however typed or stored:
    « 06.93.39.31.06 », « +33 6 93 39 31 06 », « 0033 6 93… », « +33 (0)6 93… »
    all give "0693393106". Other digits are kept as they are (« 003312 » is an account
    number: 0033 counts as the prefix when followed by a separator or by nine digits)."""
    digits = digits_only(s)
    if s.lstrip().startswith("+33"):
        rest = digits[2:]
    elif digits.startswith("0033") and (len(digits) > 9 or re.match(r"\s*0033\D", s)):
        rest = digits[4:]
    else:
        return digits
    return "0" + (rest[1:] if rest.startswith("0") else rest)


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
