"""Money helpers: amounts are integer cents, shown and read the French way.

Amounts typed at the counter come from people in a hurry ("12,5", "40 €",
"1 234,50"), so parsing is forgiving about presentation but strict about
meaning: anything ambiguous is refused with a message the agent can act on,
rather than guessed. Floats are never involved, so no cent is ever lost.
Nothing here depends on the machine locale.
"""

from __future__ import annotations

import re

__all__ = [
    "AmountError",
    "amount_in_words",
    "format_amount",
    "format_amount_plain",
    "parse_amount",
]

NNBSP = "\u202f"  # narrow no-break space: French thousands separator
NBSP = "\u00a0"  # no-break space: keeps "€" on the same line as the digits

# Spaces a person or a copy-paste may put between digit groups.
_SPACES = " " + NBSP + NNBSP + "\u2009"
# Digits with optional thousands groups, then an optional decimal part.
# Groups separated by spaces must be exactly three digits long, so "1 23"
# is refused instead of silently read as 123.
_NUMBER_RE = re.compile(
    r"(?P<int>[0-9]{1,3}(?:[" + _SPACES + r"][0-9]{3})+|[0-9]+)"
    r"(?:(?P<sep>[.,])(?P<frac>[0-9]*))?"
)


class AmountError(ValueError):
    """A refused amount; ``str(error)`` is French and fit to show by the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_amount(
    text: str,
    *,
    maximum_cents: int | None = None,
    allow_zero: bool = False,
    allow_negative: bool = False,
) -> int:
    """Read an amount typed by a person and return it in cents.

    Accepts a comma or a dot as decimal separator (agents type both), an
    optional euro sign, and spaces between thousands groups. Refuses mixes
    such as "1.234,50" because the intent cannot be known for sure.
    """
    if text is None:
        raise AmountError("Montant obligatoire.")
    s = text.strip(_SPACES + "\t\n\r")
    if not s:
        raise AmountError("Montant obligatoire.")
    if s.endswith("€"):
        s = s[:-1].rstrip(_SPACES)
    elif s.upper().endswith("EUR"):
        s = s[:-3].rstrip(_SPACES)
    negative = False
    if s[:1] in ("-", "\u2212"):
        negative = True
        s = s[1:].lstrip(_SPACES)
    elif s[:1] == "+":
        s = s[1:].lstrip(_SPACES)
    if not s:
        raise AmountError("Montant invalide : saisissez par exemple 12,50.")

    match = _NUMBER_RE.fullmatch(s)
    if match is None:
        if re.fullmatch(r"[0-9" + _SPACES + r".,]+", s) and (
            ("," in s and "." in s) or s.count(".") >= 2
        ):
            # "1.234,50" or "1.234.567": thousands dots, or a typo? Refuse, don't guess.
            raise AmountError(
                "Montant ambigu : utilisez une seule virgule pour les centimes, "
                "par exemple 1 234,50."
            )
        raise AmountError("Montant invalide : saisissez par exemple 12,50.")
    integer_part = re.sub("[" + _SPACES + "]", "", match.group("int"))
    frac = match.group("frac") or ""  # "12," is read as 12: a trailing separator is harmless.
    if len(frac) > 2:
        raise AmountError("Deux décimales au plus.")
    cents = int(integer_part) * 100 + int(frac.ljust(2, "0"))

    if negative and cents != 0:
        if not allow_negative:
            raise AmountError("Le montant doit être positif.")
        cents = -cents
    if cents == 0 and not allow_zero:
        raise AmountError("Le montant doit être supérieur à zéro.")
    if maximum_cents is not None and cents > maximum_cents:
        raise AmountError(f"Montant trop élevé (maximum {format_amount(maximum_cents)}).")
    return cents


def _group_thousands(digits: str, separator: str) -> str:
    groups = []
    while len(digits) > 3:
        groups.append(digits[-3:])
        digits = digits[:-3]
    groups.append(digits)
    return separator.join(reversed(groups))


def format_amount(cents: int, *, currency: bool = True) -> str:
    """French display form, e.g. "1 234,50 €" (narrow no-break spaces).

    No-break spaces keep an amount on one line in tables and receipts.
    """
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    text = f"{sign}{_group_thousands(str(euros), NNBSP)},{rest:02d}"
    return f"{text}{NBSP}€" if currency else text


def format_amount_plain(cents: int) -> str:
    """Spreadsheet-friendly form "1234,50": no separator a CSV import could trip on."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros},{rest:02d}"


# --- Amounts in words (receipts) -------------------------------------------

_UNITS = [
    "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
    "dix", "onze", "douze", "treize", "quatorze", "quinze", "seize",
    "dix-sept", "dix-huit", "dix-neuf",
]
_TENS = {
    2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante",
    8: "quatre-vingt",
}


def _below_100(n: int, *, final: bool) -> str:
    """0 < n < 100. ``final`` says whether "quatre-vingt" ends the number (takes the s)."""
    if n < 20:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    if tens in (7, 9):
        # soixante-dix..., quatre-vingt-dix...: base plus 10..19.
        base = "soixante" if tens == 7 else "quatre-vingt"
        rest = n - (60 if tens == 7 else 80)
        if rest == 11 and tens == 7:
            return "soixante et onze"
        return f"{base}-{_UNITS[rest]}"
    word = _TENS[tens]
    if unit == 0:
        return word + "s" if tens == 8 and final else word
    if unit == 1 and tens != 8:
        return f"{word} et un"
    return f"{word}-{_UNITS[unit]}"


def _below_1000(n: int, *, final: bool) -> str:
    """0 < n < 1000; ``final`` is False when a multiplier ("mille") follows."""
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        if hundreds == 1:
            parts.append("cent")
        else:
            # "deux cents" but "deux cent trois" and "deux cent mille".
            plural = rest == 0 and final
            parts.append(f"{_UNITS[hundreds]} cent{'s' if plural else ''}")
    if rest:
        parts.append(_below_100(rest, final=final))
    return " ".join(parts)


_SCALES = [
    (10**12, "billion", "billions"),
    (10**9, "milliard", "milliards"),
    (10**6, "million", "millions"),
]


def _integer_in_words(n: int) -> str:
    """n >= 0, in traditional French spelling."""
    if n == 0:
        return "zéro"
    parts = []
    for value, singular, plural in _SCALES:
        count, n = divmod(n, value)
        if count:
            # million/milliard are nouns: "quatre-vingts millions", "deux cents millions".
            parts.append(f"{_integer_in_words(count)} {singular if count == 1 else plural}")
    thousands, n = divmod(n, 1000)
    if thousands:
        parts.append("mille" if thousands == 1 else f"{_below_1000(thousands, final=False)} mille")
    if n:
        parts.append(_below_1000(n, final=True))
    return " ".join(parts)


def _needs_de(n: int) -> bool:
    """Round millions take "de" before the noun: "un million d'euros"."""
    return n >= 10**6 and n % 10**6 == 0


def amount_in_words(cents: int) -> str:
    """Receipts repeat the paid amount in words, as cheques do, to deter tampering."""
    prefix = "moins " if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    if euros == 0 and rest:
        euro_part = "zéro euro"
    else:
        unit = "euro" if euros <= 1 else "euros"
        joiner = " d'" if _needs_de(euros) else " "
        euro_part = f"{_integer_in_words(euros)}{joiner}{unit}"
    if rest:
        unit = "centime" if rest == 1 else "centimes"
        return f"{prefix}{euro_part} et {_integer_in_words(rest)} {unit}"
    return prefix + euro_part
