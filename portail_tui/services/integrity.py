"""`portail db check`: the money and capacity invariants, verified on the data itself.

Wallets have no stored total (the solde is computed from the entries every time, see
services/wallet.py), so "every wallet equals its entries" comes down to the entries
being what they claim: receipt numbers without gaps or duplicates and a counter at the
last one, reversals mirroring the entry they cancel, signs matching kinds, entries in
the family's own régie, nothing added to a closed cash day, each entry identical to
what the audit log recorded when it was made, each régie's hash chain of entries
intact (services/payment_chain.py: no entry rewritten, replaced or slipped in), and
the database guard that forbids changing an entry still in place. Places: no slot over capacity, each counter equal to
its confirmed bookings, nobody waiting for a day that has free places.

Every check only reads. A problem is one French line naming the rows concerned, so an
administrator can look at them; `ok` is False when there is any.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, select, text
from sqlmodel import Session, col

from portail_tui.domain.money import format_amount
from portail_tui.models import (
    AuditLog,
    Booking,
    CashDay,
    Family,
    FamilyMember,
    PayfipRequest,
    Payment,
    Period,
    ReceiptCounter,
    Regie,
    Slot,
)
from portail_tui.services.context import Context
from portail_tui.services.payment_chain import verify_chain
from portail_tui.services.payment_guards import REPAIR_COMMAND, guard_faults
from portail_tui.services.restore_marks import recorded_skips

MAX_LISTED = 12  # numbers or ids quoted in one line; the count says the rest


@dataclass(frozen=True)
class Problem:
    check: str
    message: str


@dataclass
class CheckReport:
    checks: list[str] = field(default_factory=list)  # what was verified, in French
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # said, but `ok` stays True
    examined: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, check: str, message: str) -> None:
        self.problems.append(Problem(check, message))


def _ids(values: list[int] | list[str]) -> str:
    shown = ", ".join(str(v) for v in values[:MAX_LISTED])
    more = len(values) - MAX_LISTED
    return shown + (f"… (+{more})" if more > 0 else "")


CHECKS: tuple[tuple[str, str], ...] = (
    ("storage", "Intégrité du fichier et des clés étrangères"),
    ("guard", "Garde-fou interdisant de modifier un règlement"),
    ("receipts", "Numéros de quittance sans trou ni doublon, compteur à jour"),
    ("entries", "Écritures : sens, annulations en miroir, régie de la famille"),
    ("audit", "Règlements identiques au journal d'audit"),
    ("chain", "Chaîne des règlements intacte (aucun réécrit, remplacé ou ajouté hors application)"),
    ("cash_days", "Journées de caisse clôturées inchangées"),
    ("payfip", "Paiements en ligne reçus enregistrés"),
    ("slots", "Places : capacité respectée, compteurs exacts"),
    ("waiting", "Listes d'attente : personne n'attend une place libre"),
    ("bookings", "Réservations : enfant rattaché à la famille, même régie"),
)


def run_checks(ctx: Context) -> CheckReport:
    report = CheckReport()
    today = ctx.clock.today()
    is_sqlite = ctx.db.is_sqlite

    def _work(session: Session) -> None:
        for key, label in CHECKS:
            report.checks.append(label)
            fn = _CHECK_FUNCTIONS[key]
            fn(session, report, today, is_sqlite)

    ctx.db.read(_work)
    if is_sqlite:
        report.checks.append(FILE_MODES_LABEL)
        _check_file_modes(ctx.db.engine.url.database, report)
    return report


# --- files on disk -------------------------------------------------------------------

FILE_MODES_LABEL = "Fichiers de la base lisibles par le seul compte de service"


def _check_file_modes(database: str | None, report: CheckReport) -> None:
    """The SQLite file and its WAL hold every family's data and health forms: readable
    by group or others, any local account reads them. New files are created 0600
    (db.private_files); an older installation gets the command that fixes it."""
    if not database or database == ":memory:":
        return
    exposed = []
    for name in (database, f"{database}-wal", f"{database}-shm"):
        try:
            mode = os.stat(name).st_mode
        except OSError:
            continue
        if stat.S_IMODE(mode) & 0o077:
            exposed.append(name)
    if exposed:
        report.warnings.append(Problem("files", (
            "Fichier(s) de la base lisible(s) par d'autres comptes que celui du service ("
            + ", ".join(exposed) + ") : lancez « chmod 600 " + " ".join(shlex.quote(n) for n in exposed) + " ».")))


# --- storage and guard ---------------------------------------------------------------

def _check_storage(session: Session, report: CheckReport, today: date, is_sqlite: bool) -> None:
    if not is_sqlite:
        return  # PostgreSQL enforces foreign keys and checks its pages itself
    rows = [r[0] for r in session.execute(text("PRAGMA integrity_check")).all()]
    if rows != ["ok"]:
        report.add("storage", "Fichier SQLite endommagé : " + "; ".join(rows[:5]))
    broken = session.execute(text("PRAGMA foreign_key_check")).all()
    if broken:
        tables = Counter(r[0] for r in broken)
        report.add("storage", "Références cassées (clés étrangères) : "
                   + ", ".join(f"{t} ({n})" for t, n in tables.items()))


def _check_guard(session: Session, report: CheckReport, today: date, is_sqlite: bool) -> None:
    missing, foreign = guard_faults(session)
    if missing:
        report.add("guard", "Le garde-fou des règlements a été retiré, désactivé ou modifié (" + ", ".join(missing)
                   + ") : des règlements ont pu être modifiés ; après enquête, rétablissez-le avec"
                   f" « {REPAIR_COMMAND} ».")
    if foreign:
        report.add("guard", "Déclencheur(s) inconnu(s) sur la table des règlements (" + ", ".join(foreign)
                   + ") : ils n'ont pas été installés par l'application ; examinez-les et supprimez-les.")


# --- receipts and entries ---------------------------------------------------------------

def _check_receipts(session: Session, report: CheckReport, today: date, is_sqlite: bool) -> None:
    regies = dict(session.execute(select(col(Regie.id), col(Regie.name))).all())
    counters = dict(session.execute(select(col(ReceiptCounter.regie_id), col(ReceiptCounter.last_number))).all())
    numbers: dict[int, list[int]] = defaultdict(list)
    for regie_id, number in session.execute(
            select(col(Payment.regie_id), col(Payment.receipt_number)).order_by(col(Payment.regie_id),
                                                                    col(Payment.receipt_number))).all():
        numbers[regie_id].append(number)
    report.examined["règlements"] = sum(len(v) for v in numbers.values())
    skips = recorded_skips(session)  # numbers issued by a database a restore replaced
    for regie_id in sorted(set(regies) | set(numbers)):
        name = regies.get(regie_id, f"n° {regie_id}")
        seen = numbers.get(regie_id, [])
        counts = Counter(seen)
        doubles = sorted(n for n, c in counts.items() if c > 1)
        if doubles:
            report.add("receipts", f"Régie {name} : quittance(s) en double n° {_ids(doubles)}.")
        top = max(seen, default=0)
        lo, hi = skips.get(regie_id, (0, -1))
        missing = sorted(set(range(1, top + 1)) - set(counts) - set(range(lo, hi + 1)))
        if missing:
            report.add("receipts", f"Régie {name} : quittance(s) manquante(s) n° {_ids(missing)}"
                       f" ({len(missing)} au total).")
        bad = sorted(n for n in counts if n < 1)
        if bad:
            report.add("receipts", f"Régie {name} : numéro(s) de quittance invalide(s) {_ids(bad)}.")
        counter = counters.get(regie_id)
        if counter is None:
            if seen:
                report.add("receipts", f"Régie {name} : compteur de quittances absent.")
        elif counter != max(top, hi):
            report.add("receipts", f"Régie {name} : le compteur de quittances est à {counter},"
                       f" la dernière quittance porte le n° {top}"
                       + (f" (n° {hi} émis avant une restauration)." if hi > top else "."))


def _check_entries(session: Session, report: CheckReport, today: date, is_sqlite: bool) -> None:
    rows = session.execute(
        select(col(Payment.id), col(Payment.receipt_number), col(Payment.kind), col(Payment.amount_cents),
               col(Payment.family_id), col(Payment.regie_id), col(Payment.reverses_id), col(Family.regie_id))
        .join(Family, col(Family.id) == col(Payment.family_id))).all()
    by_id = {r.id: r for r in rows}
    wrong_sign, wrong_regie, not_mirrored, bad_target, dangling = [], [], [], [], []
    for r in rows:
        if (r.kind == "payment" and r.amount_cents <= 0) or (r.kind == "refund" and r.amount_cents >= 0) \
                or r.kind not in ("payment", "refund", "reversal") or r.amount_cents == 0:
            wrong_sign.append(r.receipt_number)
        if r.regie_id != r[7]:
            wrong_regie.append(r.receipt_number)
        if r.kind == "reversal":
            original = by_id.get(r.reverses_id)
            if original is None:
                dangling.append(r.receipt_number)
                continue
            if original.kind == "reversal" or original.family_id != r.family_id \
                    or original.regie_id != r.regie_id:
                bad_target.append(r.receipt_number)
            if r.amount_cents != -original.amount_cents:
                not_mirrored.append(f"{r.receipt_number} ({format_amount(r.amount_cents)}"
                                    f" pour {format_amount(original.amount_cents)})")
        elif r.reverses_id is not None:
            bad_target.append(r.receipt_number)
    if wrong_sign:
        report.add("entries", f"Montant de signe contraire à la nature de l'écriture, quittance(s) n° {_ids(wrong_sign)}.")
    if wrong_regie:
        report.add("entries", f"Écriture(s) dans une autre régie que celle de la famille, quittance(s) n° {_ids(wrong_regie)}.")
    if not_mirrored:
        report.add("entries", f"Annulation(s) d'un autre montant que l'écriture annulée : quittance(s) n° {_ids(not_mirrored)}.")
    if bad_target:
        report.add("entries", f"Annulation(s) visant une écriture d'une autre famille ou une annulation, quittance(s) n° {_ids(bad_target)}.")
    if dangling:
        report.add("entries", f"Annulation(s) sans écriture d'origine, quittance(s) n° {_ids(dangling)}.")


def _check_audit(session: Session, report: CheckReport, today: date, is_sqlite: bool) -> None:
    """Entries made through the application have an audit row written in the same
    transaction; an entry that no longer matches it was changed behind the guard.
    (Bulk-loaded entries, like the demo town's, have none and are not compared.)"""
    payments = {r.id: r for r in session.execute(
        select(col(Payment.id), col(Payment.receipt_number), col(Payment.amount_cents), col(Payment.family_id),
               col(Payment.kind), col(Payment.mode))).all()}
    changed, vanished = [], []
    for entity_id, action, details, family_id in session.execute(
            select(col(AuditLog.entity_id), col(AuditLog.action), col(AuditLog.details), col(AuditLog.family_id))
            .where(col(AuditLog.entity) == "payment", col(AuditLog.action).like("payment.%"))).all():
        try:
            recorded = json.loads(details or "{}")
        except ValueError:
            continue
        p = payments.get(entity_id)
        if p is None:
            vanished.append(recorded.get("receipt_number", entity_id))
            continue
        kind = action.partition(".")[2]
        if (recorded.get("amount_cents") != p.amount_cents or recorded.get("receipt_number") != p.receipt_number
                or recorded.get("mode", p.mode) != p.mode or kind != p.kind
                or (family_id is not None and family_id != p.family_id)):
            changed.append(p.receipt_number)
    if changed:
        report.add("audit", f"Règlement(s) modifié(s) depuis leur enregistrement (différent du journal"
                   f" d'audit), quittance(s) n° {_ids(sorted(changed))}.")
    if vanished:
        report.add("audit", f"Règlement(s) enregistré(s) puis disparu(s), quittance(s) n° {_ids(sorted(vanished))}.")


def _check_chain(session: Session, report: CheckReport, today: date, is_sqlite: bool) -> None:
    """The first broken link of each régie's chain: that entry, or one just before it,
    was rewritten, replaced, removed or inserted by hand."""
    names = dict(session.execute(select(col(Regie.id), col(Regie.name))).all())
    for link in verify_chain(session):
        name = names.get(link.regie_id, f"n° {link.regie_id}")
        why = ("n'a pas d'empreinte (ajoutée hors de l'application)" if link.unsealed
               else "ne correspond plus à son empreinte (modifiée, remplacée ou insérée hors de l'application,"
                    " elle ou celle qui la précède)")
        report.add("chain", f"Régie {name} : chaîne des règlements rompue à la quittance n° {link.receipt_number}"
                   f" (règlement {link.payment_id}), qui {why}.")


def _check_cash_days(session: Session, report: CheckReport, today: date, is_sqlite: bool) -> None:
    for day in session.execute(select(CashDay)).scalars():
        cash = session.execute(
            select(func.coalesce(func.sum(col(Payment.amount_cents)), 0))
            .where(col(Payment.regie_id) == day.regie_id, col(Payment.business_day) == day.day,
                   col(Payment.mode) == "especes")).scalar_one()
        late = [r[0] for r in session.execute(
            select(col(Payment.receipt_number)).where(col(Payment.regie_id) == day.regie_id,
                                                 col(Payment.business_day) == day.day,
                                                 col(Payment.created_at) > day.closed_at)
            .order_by(col(Payment.receipt_number))).all()]
        label = day.day.strftime("%d/%m/%Y")
        if late:
            report.add("cash_days", f"Caisse du {label} clôturée, puis écriture(s) ajoutée(s) à cette"
                       f" journée : quittance(s) n° {_ids(late)}.")
        if int(cash) != day.expected_cash_cents:
            report.add("cash_days", f"Caisse du {label} : espèces attendues à la clôture"
                       f" {format_amount(day.expected_cash_cents)}, écritures en espèces de cette"
                       f" journée {format_amount(int(cash))}.")


def _check_payfip(session: Session, report: CheckReport, today: date, is_sqlite: bool) -> None:
    rows = session.execute(
        select(col(PayfipRequest.reference), col(PayfipRequest.amount_cents), col(PayfipRequest.family_id),
               col(Payment.id), col(Payment.amount_cents), col(Payment.family_id))
        .outerjoin(Payment, col(Payment.id) == col(PayfipRequest.payment_id))
        .where(col(PayfipRequest.status) == "paid")).all()
    wrong = [r[0] for r in rows if r[3] is None or r[4] != r[1] or r[5] != r[2]]
    if wrong:
        report.add("payfip", f"Paiement(s) en ligne acceptés sans règlement correspondant (montant ou"
                   f" famille) : référence(s) {_ids(wrong)}.")


# --- places -------------------------------------------------------------------------------

def _confirmed_counts(session: Session) -> tuple[dict[tuple[int, date], int], dict[tuple[int, int], int]]:
    by_day = {(a, d): int(n) for a, d, n in session.execute(
        select(col(Booking.activity_id), col(Booking.day), func.count())
        .where(col(Booking.status) == "confirmed", col(Booking.day).is_not(None))
        .group_by(col(Booking.activity_id), col(Booking.day))).all()}
    by_period = {(a, p): int(n) for a, p, n in session.execute(
        select(col(Booking.activity_id), col(Booking.period_id), func.count())
        .where(col(Booking.status) == "confirmed", col(Booking.period_id).is_not(None))
        .group_by(col(Booking.activity_id), col(Booking.period_id))).all()}
    return by_day, by_period


def _slot_label(session: Session, slot: Slot, labels: dict[int, str], periods: dict[int, str]) -> str:
    what = labels.get(slot.activity_id, f"activité {slot.activity_id}")
    if slot.day is not None:
        return f"{what} du {slot.day.strftime('%d/%m/%Y')}"
    return f"{what}, {periods.get(slot.period_id or 0, f'période {slot.period_id}')}"


def _activity_labels(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    from portail_tui.models import Activity

    labels = dict(session.execute(select(col(Activity.id), col(Activity.label))).all())
    periods = dict(session.execute(select(col(Period.id), col(Period.label))).all())
    return labels, periods


def _check_slots(session: Session, report: CheckReport, today: date, is_sqlite: bool) -> None:
    by_day, by_period = _confirmed_counts(session)
    labels, periods = _activity_labels(session)
    over, drift = [], []
    slots = list(session.execute(select(Slot)).scalars())
    report.examined["compteurs de places"] = len(slots)
    for slot in slots:
        confirmed = by_day.get((slot.activity_id, slot.day), 0) if slot.day is not None \
            else by_period.get((slot.activity_id, slot.period_id or 0), 0)
        label = _slot_label(session, slot, labels, periods)
        if slot.capacity is not None and max(confirmed, slot.taken) > slot.capacity:
            over.append(f"{label} ({max(confirmed, slot.taken)} pour {slot.capacity} places)")
        if confirmed != slot.taken:
            drift.append(f"{label} (compteur {slot.taken}, réservations confirmées {confirmed})")
    if over:
        report.add("slots", f"Capacité dépassée : {_ids(over)}.")
    if drift:
        report.add("slots", f"Compteur de places différent des réservations confirmées : {_ids(drift)}.")


def _check_waiting(session: Session, report: CheckReport, today: date, is_sqlite: bool) -> None:
    """A waiting child on a day (or period) still to come whose slot has a free place
    should have been promoted; past days no longer matter."""
    labels, periods = _activity_labels(session)
    day_rows = session.execute(
        select(Slot, func.count(col(Booking.id)))
        .join(Booking, and_(col(Booking.activity_id) == col(Slot.activity_id), col(Booking.day) == col(Slot.day)))
        .where(col(Booking.status) == "waiting", col(Slot.day) >= today,
               (col(Slot.capacity).is_(None)) | (col(Slot.taken) < col(Slot.capacity)))
        .group_by(col(Slot.id))).all()
    period_rows = session.execute(
        select(Slot, func.count(col(Booking.id)))
        .join(Booking, and_(col(Booking.activity_id) == col(Slot.activity_id),
                            col(Booking.period_id) == col(Slot.period_id)))
        .join(Period, col(Period.id) == col(Slot.period_id))
        .where(col(Booking.status) == "waiting", col(Period.first_day) >= today,
               (col(Slot.capacity).is_(None)) | (col(Slot.taken) < col(Slot.capacity)))
        .group_by(col(Slot.id))).all()
    found = [f"{_slot_label(session, slot, labels, periods)} ({n} en attente,"
             f" {'places illimitées' if slot.capacity is None else f'{slot.capacity - slot.taken} place(s) libre(s)'})"
             for slot, n in [*day_rows, *period_rows]]
    if found:
        report.add("waiting", f"Enfant(s) en liste d'attente alors que des places sont libres : {_ids(found)}.")


def _check_bookings(session: Session, report: CheckReport, today: date, is_sqlite: bool) -> None:
    total = session.execute(select(func.count()).select_from(Booking)).scalar_one()
    report.examined["réservations"] = int(total)
    orphans = [r[0] for r in session.execute(
        select(col(Booking.id))
        .outerjoin(FamilyMember, and_(col(FamilyMember.family_id) == col(Booking.family_id),
                                      col(FamilyMember.child_id) == col(Booking.child_id)))
        .where(col(FamilyMember.id).is_(None), col(Booking.status) != "cancelled")
        .order_by(col(Booking.id))).all()]
    if orphans:
        report.add("bookings", f"Réservation(s) d'un enfant non rattaché à la famille : n° {_ids(orphans)}.")
    other_regie = [r[0] for r in session.execute(
        select(col(Booking.id)).join(Family, col(Family.id) == col(Booking.family_id))
        .where(col(Booking.regie_id) != col(Family.regie_id)).order_by(col(Booking.id))).all()]
    if other_regie:
        report.add("bookings", f"Réservation(s) dans une autre régie que celle de la famille : n° {_ids(other_regie)}.")
    negative = [r[0] for r in session.execute(
        select(col(Booking.id)).where(col(Booking.price_cents) < 0).order_by(col(Booking.id))).all()]
    if negative:
        report.add("bookings", f"Réservation(s) à prix négatif : n° {_ids(negative)}.")


_CHECK_FUNCTIONS = {
    "storage": _check_storage,
    "guard": _check_guard,
    "receipts": _check_receipts,
    "entries": _check_entries,
    "audit": _check_audit,
    "chain": _check_chain,
    "cash_days": _check_cash_days,
    "payfip": _check_payfip,
    "slots": _check_slots,
    "waiting": _check_waiting,
    "bookings": _check_bookings,
}
