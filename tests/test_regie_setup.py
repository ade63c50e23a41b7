"""Applying the set-up file on both engines (G1–G4): the dry run changes nothing, the
same file twice changes nothing, export → apply changes nothing, a rate change leaves
confirmed prices alone (B1), removing what bookings use is refused with the count,
and who may book (G2) is enforced by the one booking check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session, SQLModel, col

from portail_tui.clock import PARIS
from portail_tui.db import Database
from portail_tui.domain.booking_cart import BOOK, CartLine
from portail_tui.models import (
    Activity,
    AuditLog,
    Booking,
    Child,
    Family,
    FamilyMember,
    Period,
    Rate,
    Regie,
)
from portail_tui.services.booking.validation import validate_cart
from portail_tui.services.context import Actor, Context, PermissionDenied, ServiceError
from portail_tui.services.regie_setup import apply, example_text, export, parse, the_regie
from portail_tui.services.regie_setup.init import init_regie

CREATED = datetime(2026, 9, 1, 8, 0, tzinfo=PARIS)
NEW_RS_RATES = """
[[activites.RS.tarifs]]
a_partir_du = 2026-12-07
qf_min = 0
qf_max = 700
prix = "2,50"

[[activites.RS.tarifs]]
a_partir_du = 2026-12-07
qf_min = 701
qf_max = 1200
prix = "3,80"

[[activites.RS.tarifs]]
a_partir_du = 2026-12-07
qf_min = 1201
prix = "5,00"

[[activites.RS.tarifs]]
a_partir_du = 2026-12-07
sans_quotient = true
prix = "6,00"
"""


def _setup(text_: str) -> Any:
    setup, problems = parse(text_)
    assert problems == [] and setup is not None, [str(p) for p in problems]
    return setup


def _town(ctx: Context) -> tuple[int, Actor]:
    regie = init_regie(ctx, name="Régie test", code="TEST", admin_login="admin", password="motdepasse1")
    apply(ctx, _setup(example_text()))
    rid = int(regie.id or 0)
    return rid, Actor(kind="agent", login="guichet", regie_id=rid, full_name="Agent", role="agent")


def _family(db: Database, rid: int, quotient: int | None, *, birth: date = date(2018, 3, 1),
            school: str = "École élémentaire Jean-Moulin") -> tuple[int, int]:
    def work(s: Session) -> tuple[int, int]:
        number = int(s.execute(select(func.count()).select_from(Family)).scalar_one()) + 1
        f = Family(regie_id=rid, number=number, name="MARTIN", quotient=quotient, created_at=CREATED,
                   updated_at=CREATED, search_text=" martin ")
        s.add(f)
        s.flush()
        c = Child(last_name="MARTIN", first_name="Léa", birth_date=birth, school=school, school_class="CE1",
                  created_at=CREATED)
        s.add(c)
        s.flush()
        s.add(FamilyMember(family_id=f.id, child_id=c.id))  # type: ignore[arg-type]
        return int(f.id or 0), int(c.id or 0)

    return db.write(work)


def _activity_id(db: Database, code: str) -> int:
    return int(db.read(lambda s: s.execute(select(col(Activity.id)).where(col(Activity.code) == code)).scalar_one()))


def _book(ctx: Context, agent: Actor, family: int, child: int, activity: int, *days: date,
          period: int | None = None) -> list[Any]:
    lines = [CartLine(BOOK, child, activity, day=d) for d in days]
    if period is not None:
        lines.append(CartLine(BOOK, child, activity, period_id=period))
    return list(validate_cart(ctx.as_actor(agent), family, lines).outcomes)


def _dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    def work(s: Session) -> dict[str, list[tuple[Any, ...]]]:
        out = {}
        for table in SQLModel.metadata.sorted_tables:
            out[table.name] = sorted(map(tuple, s.execute(select(table)).all()), key=repr)
        return out

    return db.read(work)


def test_apply_twice_changes_nothing_and_is_audited(ctx: Context) -> None:
    _town(ctx)
    audits = ctx.db.read(lambda s: s.execute(select(func.count()).select_from(AuditLog)
                                             .where(col(AuditLog.action) == "regie.setup")).scalar_one())
    assert audits >= 40  # one row per added or changed item
    before = _dump(ctx.db)
    again = apply(ctx, _setup(example_text()))
    assert again.is_noop and not again.of("ajout")
    assert _dump(ctx.db) == before


def test_dry_run_changes_nothing(ctx: Context) -> None:
    _town(ctx)
    changed = example_text().replace('capacite = 120', 'capacite = 150').replace(
        "[activites.APSM]", NEW_RS_RATES + "\n[activites.APSM]")
    before = _dump(ctx.db)
    plan = apply(ctx, _setup(changed), dry_run=True)
    changed_activities = [c for c in plan.of("modification") if c.kind == "activité"]
    assert [(c.name, c.fields) for c in changed_activities] == [("RS", (("capacite", "120", "150"),))]
    assert len([c for c in plan.of("modification") if c.kind == "tarif"]) == 3  # closed the day before
    assert len([c for c in plan.of("ajout") if c.kind == "tarif"]) == 4
    assert any("activité RS : capacite 120 → 150" in line for line in plan.lines())
    assert _dump(ctx.db) == before


def test_export_then_apply_is_a_no_op(ctx: Context) -> None:
    _town(ctx)
    exported = ctx.db.read(lambda s: export(s, the_regie(s, ctx)))
    assert "# Paramétrage de la régie" in exported
    assert 'prix = "2,10"' in exported
    before = _dump(ctx.db)
    assert apply(ctx, _setup(exported)).is_noop
    assert _dump(ctx.db) == before


def test_rate_change_applies_from_its_start_and_keeps_frozen_prices(ctx: Context) -> None:
    rid, agent = _town(ctx)
    fam, child = _family(ctx.db, rid, 450)
    rs = _activity_id(ctx.db, "RS")
    booked = _book(ctx, agent, fam, child, rs, date(2026, 12, 3), date(2026, 12, 10))
    assert [o.price_cents for o in booked] == [210, 210]

    plan = apply(ctx, _setup(example_text().replace("[activites.APSM]", NEW_RS_RATES + "\n[activites.APSM]")))
    closed = [c for c in plan.of("modification") if c.kind == "tarif"]
    assert len(closed) == 3 and all(("fin de validité", "—", "06/12/2026") in c.fields for c in closed)

    # Confirmed bookings keep their price (B1), even on a day after the change.
    prices = ctx.db.read(lambda s: sorted(s.execute(select(col(Booking.day), col(Booking.price_cents))).all()))
    assert prices == [(date(2026, 12, 3), 210), (date(2026, 12, 10), 210)]
    # Bookings made now: the old rate before the start date, the new one from it.
    later = _book(ctx, agent, fam, child, rs, date(2026, 12, 4), date(2026, 12, 8))
    assert [(o.outcome, o.price_cents) for o in later] == [("confirmed", 210), ("confirmed", 250)]
    # A family without a quotient pays the « sans quotient » rate where there is one.
    fam2, child2 = _family(ctx.db, rid, None)
    assert [o.price_cents for o in _book(ctx, agent, fam2, child2, rs, date(2026, 12, 4), date(2026, 12, 8))] \
        == [450, 600]


def test_a_rate_in_force_is_not_rewritten(ctx: Context) -> None:
    _town(ctx)
    with pytest.raises(ServiceError) as err:
        apply(ctx, _setup(example_text().replace('prix = "2,10"', 'prix = "2,20"')))
    assert "RS QF 0–700 dès le 01/09/2026 en vigueur" in err.value.message
    assert "rien n'a été modifié" in err.value.message


def test_removing_what_bookings_use_is_refused_with_the_count(ctx: Context) -> None:
    rid, agent = _town(ctx)
    fam, child = _family(ctx.db, rid, 900)
    apsm = _activity_id(ctx.db, "APSM")
    _book(ctx, agent, fam, child, apsm, date(2026, 12, 3), date(2026, 12, 4))
    text_ = example_text()
    start = text_.index("[activites.APSM]")
    without_apsm = text_[:start] + text_[text_.index("[activites.APSS]"):]
    before = _dump(ctx.db)
    with pytest.raises(ServiceError) as err:
        apply(ctx, _setup(without_apsm))
    assert "2 réservation(s) pointent vers APSM : fermez-la à partir d'une date" in err.value.message
    with pytest.raises(ServiceError) as err:
        apply(ctx, _setup(without_apsm), dry_run=True)
    assert _dump(ctx.db) == before
    # A school children attend cannot go either; one nobody attends can.
    text_ = example_text()
    bourg = text_.index("[ecoles.BOURG]")
    no_jmoulin = text_.replace(text_[text_.index("[ecoles.JMOULIN]"):bourg], "")
    with pytest.raises(ServiceError) as err:
        apply(ctx, _setup(no_jmoulin))
    assert "1 enfant(s) pointent vers l'école JMOULIN" in err.value.message
    no_bourg = text_.replace(text_[bourg:text_.index("# --- Activités")], "")
    plan = apply(ctx, _setup(no_bourg))
    assert [c.name for c in plan.of("suppression") if c.kind == "école"] == ["BOURG"]


def test_closing_an_activity_from_a_date_instead(ctx: Context) -> None:
    rid, agent = _town(ctx)
    fam, child = _family(ctx.db, rid, 900)
    rs = _activity_id(ctx.db, "RS")
    closed = example_text().replace("declaree_caf = false\n\n[[activites.RS.tarifs]]",
                                    "declaree_caf = false\nfermee_a_partir_du = 2026-12-07\n\n[[activites.RS.tarifs]]")
    apply(ctx, _setup(closed))
    out = _book(ctx, agent, fam, child, rs, date(2026, 12, 4), date(2026, 12, 8))
    assert [o.outcome for o in out] == ["confirmed", "refused"]
    assert out[1].reason == "activité fermée à partir du 7 décembre"


def test_who_may_book_schools_and_ages(ctx: Context) -> None:
    rid, agent = _town(ctx)
    text_ = example_text().replace("# age_min = 3", "age_min = 6").replace(
        "cumulable = true                      # matin + soir",
        'ecoles = ["JMOULIN"]\ncumulable = true                      # matin + soir')
    apply(ctx, _setup(text_))
    small, small_child = _family(ctx.db, rid, 900, birth=date(2022, 5, 1),
                                 school="École maternelle Les Coquelicots")
    big, big_child = _family(ctx.db, rid, 900)
    clm, apsm = _activity_id(ctx.db, "CLM"), _activity_id(ctx.db, "APSM")
    refused = _book(ctx, agent, small, small_child, clm, date(2026, 12, 2)) + \
        _book(ctx, agent, small, small_child, apsm, date(2026, 12, 3))
    assert [o.reason for o in refused] == [
        "à partir de 6 ans (l'enfant a 4 ans)",
        "réservée à d'autres écoles que « École maternelle Les Coquelicots »",
    ]
    ok = _book(ctx, agent, big, big_child, clm, date(2026, 12, 2)) + \
        _book(ctx, agent, big, big_child, apsm, date(2026, 12, 3))
    assert [o.outcome for o in ok] == ["confirmed", "confirmed"]


def test_an_agent_may_not_apply(ctx: Context) -> None:
    _rid, agent = _town(ctx)
    with pytest.raises(PermissionDenied):
        apply(ctx.as_actor(agent), _setup(example_text()))


def test_init_refuses_a_database_with_a_regie(ctx: Context) -> None:
    _town(ctx)
    with pytest.raises(ServiceError) as err:
        init_regie(ctx, name="Autre", code="AUTRE", admin_login="admin2", password="motdepasse1")
    assert "déjà une régie" in err.value.message


def test_init_with_a_bad_admin_leaves_the_database_empty(ctx: Context) -> None:
    with pytest.raises(ServiceError):
        init_regie(ctx, name="Régie", code="R", admin_login="a b", password="motdepasse1")
    assert ctx.db.read(lambda s: s.execute(select(func.count()).select_from(Regie)).scalar_one()) == 0


def test_weeks_point_at_their_holiday(ctx: Context) -> None:
    _town(ctx)
    rows = ctx.db.read(lambda s: {p.label: p for p in s.execute(select(Period)).scalars()})
    whole = rows["Vacances d'hiver 2027"]
    assert rows["Vacances d'hiver 2027 — semaine du 15 février"].parent_id == whole.id
    assert whole.parent_id is None
    rates = ctx.db.read(lambda s: s.execute(select(func.count()).select_from(Rate)).scalar_one())
    assert rates == 18 + 6  # six activities × three brackets, and CLV's week and whole-holiday ones
    assert ctx.db.read(lambda s: s.execute(text("SELECT COUNT(*) FROM school_class")).scalar_one()) == 12


def test_a_renamed_school_keeps_its_children_and_a_code_can_change(ctx: Context) -> None:
    rid, _agent = _town(ctx)
    _fam, child = _family(ctx.db, rid, 900)
    renamed = example_text().replace('nom = "École élémentaire Jean-Moulin"',
                                     'nom = "École élémentaire Jean-Moulin (groupe scolaire)"')
    renamed = renamed.replace("[ecoles.BOURG]", "[ecoles.LEBOURG]")
    plan = apply(ctx, _setup(renamed))
    assert [c.name for c in plan.of("suppression") if c.kind == "école"] == ["BOURG"]
    assert [c.name for c in plan.of("ajout") if c.kind == "école"] == ["LEBOURG"]
    school = ctx.db.read(lambda s: s.get(Child, child).school)
    assert school == "École élémentaire Jean-Moulin (groupe scolaire)"
    assert apply(ctx, _setup(renamed)).is_noop
