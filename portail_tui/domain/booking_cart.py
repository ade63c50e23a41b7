"""The cart of pending booking changes (R10), held by the screen while the agent talks
with the family, and the toggling rules of the day dialog (R4 exclusions live).

Pure rules, no database: the cart is only written when the agent presses Valider
(`services.booking.validate_cart`), where every line is checked again with the same
`check_day_line` / `check_period_line` that gave the dialogs their verdicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from portail_tui.domain.booking_rules import (
    ActivityRule,
    PeriodRule,
    Places,
    Refusal,
    Verdict,
    blocked_by,
    conflicts,
)
from portail_tui.domain.frdates import WEEKDAYS, format_deadline

BOOK = "book"
CANCEL = "cancel"

LineKey = tuple[int, int, date | None, int | None]


@dataclass(frozen=True, slots=True)
class CartLine:
    """One pending change: book or cancel one child on one activity, one day or period.
    The display fields are filled when the line is made, so the recap needs no query."""

    action: str
    child_id: int
    activity_id: int
    day: date | None = None
    period_id: int | None = None
    child_name: str = ""
    activity_label: str = ""
    when: str = ""
    price_cents: int | None = None
    note: str = ""
    span: tuple[date, date] | None = None  # first and last day of a period line
    days: tuple[date, ...] = ()  # the days a period line gives the child (`period_covers`)

    @property
    def key(self) -> LineKey:
        return (self.child_id, self.activity_id, self.day, self.period_id)

    @property
    def sort_key(self) -> tuple[date, str, int]:
        first = self.day or (self.span[0] if self.span else date.min)
        return (first, self.child_name, self.activity_id)


@dataclass
class Cart:
    """Pending changes of one family, possibly for several of its children."""

    family_id: int
    _lines: dict[LineKey, CartLine] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._lines)

    def __bool__(self) -> bool:
        return bool(self._lines)

    def __contains__(self, key: object) -> bool:
        return key in self._lines

    def get(self, key: LineKey) -> CartLine | None:
        return self._lines.get(key)

    def put(self, line: CartLine) -> None:
        self._lines[line.key] = line

    def put_all(self, lines: Iterable[CartLine]) -> int:
        n = 0
        for line in lines:
            if line.key not in self._lines:
                n += 1
            self._lines[line.key] = line
        return n

    def remove(self, key: LineKey) -> CartLine | None:
        return self._lines.pop(key, None)

    def clear(self) -> None:
        self._lines.clear()

    def lines(self) -> list[CartLine]:
        """In calendar order, the way the recap lists them."""
        return sorted(self._lines.values(), key=lambda line: line.sort_key)

    def counts(self) -> tuple[int, int]:
        books = sum(1 for line in self._lines.values() if line.action == BOOK)
        return books, len(self._lines) - books

    def pending_days(self, child_id: int) -> frozenset[date]:
        """Days shown orange in the calendar of this child: day lines, and the days a
        pending period covers (the days its price counts, R3) — every day of its span
        when the line does not say."""
        days: set[date] = set()
        for line in self._lines.values():
            if line.child_id != child_id:
                continue
            if line.day is not None:
                days.add(line.day)
            elif line.days:
                days.update(line.days)
            elif line.span is not None:
                d = line.span[0]
                while d <= line.span[1]:
                    days.add(d)
                    d = date.fromordinal(d.toordinal() + 1)
        return frozenset(days)

    def summary(self) -> str:
        books, cancels = self.counts()
        if not books and not cancels:
            return "Aucune modification en cours."
        parts = []
        if books:
            parts.append(f"{books} réservation{'s' if books > 1 else ''}")
        if cancels:
            parts.append(f"{cancels} annulation{'s' if cancels > 1 else ''}")
        return "En cours : " + " et ".join(parts) + " · V : valider · A : tout annuler"


# ------------------------------------------------------------------ day dialog model


@dataclass(frozen=True, slots=True)
class DayOption:
    """One activity of the day dialog as the database sees it (before the cart)."""

    rule: ActivityRule
    price_cents: int | None
    places: Places
    deadline: datetime | None
    book: Verdict
    cancel: Verdict
    booking_id: int | None = None
    booked_status: str | None = None  # "confirmed" | "waiting"
    waiting_rank: int | None = None
    other_family: bool = False  # booked by the other family of a shared-custody child

    @property
    def activity_id(self) -> int:
        return self.rule.id

    @property
    def deadline_text(self) -> str:
        """"jusqu'au dimanche 29 novembre à 11h45" (the sentence read to the family)."""
        return f"jusqu'au {format_deadline(self.deadline)}" if self.deadline else ""

    @property
    def deadline_short(self) -> str:
        """"dim. 29/11 11h45" for the dialog's column."""
        d = self.deadline
        if d is None:
            return ""
        return f"{WEEKDAYS[d.weekday()][:3]}. {d.day:02d}/{d.month:02d} {d.hour}h{d.minute:02d}"

    @property
    def places_text(self) -> str:
        left = self.places.left
        if left is None:
            return "illimité"
        if left == 0:
            return "complet"
        return f"{left} place{'s' if left > 1 else ''}"


@dataclass(frozen=True, slots=True)
class DayOptions:
    family_id: int
    child_id: int
    child_name: str
    day: date
    when: str  # "mardi 1er décembre 2026"
    options: tuple[DayOption, ...]
    note: str = ""  # e.g. "vacances scolaires : centre de loisirs par période (touche P)"
    by_period: bool = False  # a holiday day: what runs is booked by period (R3)
    # The most activities any day of the régie can list (RegieSetup.most_in_a_day): the
    # dialog sizes its list for it once, so that no day makes it grow.
    most_in_a_day: int = 0

    def option(self, activity_id: int) -> DayOption:
        for opt in self.options:
            if opt.activity_id == activity_id:
                return opt
        raise KeyError(activity_id)


@dataclass(frozen=True, slots=True)
class OptionView:
    """How the dialog shows one activity once the cart is applied."""

    mark: str  # "[x]" chosen, "[ ]" free, "[-]" to cancel, "[/]" unavailable
    status: str  # words: "réservée", "à réserver", "à annuler", "libre", reason…
    selected: bool  # orange in the dialog (booked or chosen)
    available: bool


def _line_for(options: DayOptions, opt: DayOption, action: str) -> CartLine:
    note = ""
    if action == BOOK and opt.book.waiting:
        note = "complet : liste d'attente"
    return CartLine(
        action=action,
        child_id=options.child_id,
        activity_id=opt.activity_id,
        day=options.day,
        child_name=options.child_name,
        activity_label=opt.rule.label,
        when=options.when,
        price_cents=opt.price_cents,
        note=note,
    )


def _key(options: DayOptions, activity_id: int) -> LineKey:
    return (options.child_id, activity_id, options.day, None)


def wanted(cart: Cart, options: DayOptions) -> list[DayOption]:
    """Activities the child will have that day once the cart is validated."""
    result = []
    for opt in options.options:
        line = cart.get(_key(options, opt.activity_id))
        if line is not None:
            if line.action == BOOK:
                result.append(opt)
        elif opt.booked_status is not None:
            result.append(opt)
    return result


@dataclass(frozen=True, slots=True)
class _Refusal:
    status: str  # short, in the dialog's list
    sentence: str  # the refusal said when the agent insists
    blocker: bool  # greyed out by another choice of the day (R4), not by the rules


def _refusal(opt: DayOption, chosen: list[DayOption]) -> _Refusal | None:
    """Why an activity cannot be ticked now, for both the list and the key press: the
    service's verdict (`check_day_line`) and, live, what else is chosen that day (R4)."""
    blocker = blocked_by(opt.rule, [o.rule for o in chosen])
    if blocker is not None:
        return _Refusal(f"exclu par {blocker.label}",
                        f"{opt.rule.label} indisponible : {blocker.label} est choisie (désélectionnez-la d'abord).",
                        True)
    if not opt.book.ok:
        return _Refusal(opt.book.reason, f"{opt.rule.label} : {opt.book.reason}.", False)
    return None


def option_view(cart: Cart, options: DayOptions, opt: DayOption) -> OptionView:
    line = cart.get(_key(options, opt.activity_id))
    if line is not None and line.action == BOOK:
        status = "à réserver (liste d'attente)" if opt.book.waiting else "à réserver"
        return OptionView("[x]", status, True, True)
    if line is not None and line.action == CANCEL:
        return OptionView("[-]", "à annuler", False, True)
    if opt.booked_status == "confirmed":
        status = "réservée" + ("" if opt.cancel.ok else f" ({opt.cancel.reason})")
        if opt.other_family:
            status = "réservée par l'autre famille"
        return OptionView("[x]", status, True, opt.cancel.ok and not opt.other_family)
    if opt.booked_status == "waiting":
        rank = f", rang {opt.waiting_rank}" if opt.waiting_rank else ""
        return OptionView("[x]", f"en liste d'attente{rank}", True, opt.cancel.ok)
    refusal = _refusal(opt, wanted(cart, options))
    if refusal is not None:
        return OptionView("[/]" if refusal.blocker else "[ ]", refusal.status, False, False)
    return OptionView("[ ]", "libre" if not opt.book.waiting else "complet : liste d'attente",
                      False, True)


def _unwant(cart: Cart, options: DayOptions, opt: DayOption) -> str | None:
    """Remove an activity from what the child will have that day; French refusal."""
    key = _key(options, opt.activity_id)
    line = cart.get(key)
    if line is not None and line.action == BOOK:
        cart.remove(key)
        return None
    if opt.booked_status is not None:
        if opt.other_family:
            return f"{opt.rule.label} : réservée par l'autre famille, impossible de l'annuler ici."
        if not opt.cancel.ok:
            return f"{opt.rule.label} : {opt.cancel.reason}."
        cart.put(_line_for(options, opt, CANCEL))
    return None


def toggle(cart: Cart, options: DayOptions, activity_id: int) -> str | None:
    """Space in the day dialog: select or unselect an activity. Choosing an activity
    removes the ones it excludes (APS FORFAIT removes APS MATIN and SOIR, R4). Returns
    a French refusal and leaves the cart untouched when the change is not allowed."""
    opt = options.option(activity_id)
    chosen = wanted(cart, options)
    if opt in chosen:
        return _unwant(cart, options, opt)
    key = _key(options, activity_id)
    line = cart.get(key)
    if line is not None and line.action == CANCEL:
        cart.remove(key)  # changed their mind: keep the booking
        return None
    refusal = _refusal(opt, chosen)
    if refusal is not None:
        return refusal.sentence
    # Try on a copy, so a refusal half-way leaves the cart as it was.
    trial = Cart(cart.family_id, dict(cart._lines))
    by_id = {o.activity_id: o for o in chosen}
    for other in conflicts(opt.rule, [o.rule for o in chosen]):
        refused = _unwant(trial, options, by_id[other.id])
        if refused is not None:
            return f"{opt.rule.label} incompatible avec {other.label} — {refused}"
    trial.put(_line_for(options, opt, BOOK))
    cart._lines.clear()
    cart._lines.update(trial._lines)
    return None


# ------------------------------------------------------------------ periods (R3)


@dataclass(frozen=True, slots=True)
class PeriodOption:
    """One holiday period (or week) offered to a child."""

    rule: ActivityRule
    period: PeriodRule
    when: str  # "Vacances de Noël — du 21/12/2026 au 01/01/2027"
    price_cents: int | None
    places: Places
    book: Verdict
    cancel: Verdict
    window: str  # "inscription du 1er au 15 décembre"
    booking_id: int | None = None
    booked_status: str | None = None
    waiting_rank: int | None = None
    covered_by: str | None = None  # label of an overlapping period the child is booked on
    days: tuple[date, ...] = ()  # the days the period gives the child (`period_covers`)


def period_key(child_id: int, popt: PeriodOption) -> LineKey:
    return (child_id, popt.rule.id, None, popt.period.id)


def _overlaps_cart(cart: Cart, child_id: int, popt: PeriodOption) -> bool:
    """Another period of the same activity overlapping this one is already in the cart."""
    return any(
        other.child_id == child_id and other.period_id is not None and other.action == BOOK
        and other.activity_id == popt.rule.id and other.span is not None
        and other.span[0] <= popt.period.last_day and popt.period.first_day <= other.span[1]
        for other in cart.lines()
    )


def period_view(cart: Cart, child_id: int, popt: PeriodOption) -> OptionView:
    line = cart.get(period_key(child_id, popt))
    if line is not None:
        if line.action == BOOK:
            return OptionView("[x]", "à réserver", True, True)
        return OptionView("[-]", "à annuler", False, True)
    if popt.booked_status == "confirmed":
        return OptionView("[x]", "réservée" + ("" if popt.cancel.ok else f" ({popt.cancel.reason})"),
                          True, popt.cancel.ok)
    if popt.booked_status == "waiting":
        rank = f", rang {popt.waiting_rank}" if popt.waiting_rank else ""
        return OptionView("[x]", f"en liste d'attente{rank}", True, popt.cancel.ok)
    if popt.covered_by:
        return OptionView("[/]", "déjà inscrit (période)", False, False)
    if _overlaps_cart(cart, child_id, popt):
        return OptionView("[/]", "période déjà choisie", False, False)
    if not popt.book.ok:
        if popt.book.refusal is Refusal.NOT_YET_OPEN:
            return OptionView("[ ]", "pas encore ouvert", False, False)
        if popt.book.refusal is Refusal.WINDOW:
            return OptionView("[ ]", "inscriptions closes", False, False)
        return OptionView("[ ]", popt.book.reason, False, False)
    return OptionView("[ ]", "complet : liste d'attente" if popt.book.waiting else "libre", False, True)


def toggle_period(cart: Cart, child_id: int, child_name: str, popt: PeriodOption) -> str | None:
    """Space in the period dialog: book a whole period (or week), or cancel it."""
    key = period_key(child_id, popt)
    if cart.get(key) is not None:
        cart.remove(key)
        return None
    view = period_view(cart, child_id, popt)
    line = CartLine(
        action=BOOK,
        child_id=child_id,
        activity_id=popt.rule.id,
        period_id=popt.period.id,
        child_name=child_name,
        activity_label=popt.rule.label,
        when=popt.when,
        price_cents=popt.price_cents,
        span=(popt.period.first_day, popt.period.last_day),
        days=popt.days,
    )
    if popt.booked_status is not None:
        if not popt.cancel.ok:
            return f"{popt.period.label} : {popt.cancel.reason}."
        cart.put(replace(line, action=CANCEL))
        return None
    if not view.available:
        return f"{popt.period.label} : {view.status}."
    if popt.book.waiting:
        line = replace(line, note="complet : liste d'attente")
    cart.put(line)
    return None
