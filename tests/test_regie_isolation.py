"""A family id is no key to another régie's files (issue 13).

Every public service under portail_tui/services/ that takes `ctx` first and a `family_id`
is found by introspection and called by an administrator of another régie on a family of
the demo town: each must refuse (ServiceError) and write nothing. A new service with a
`family_id` is walked automatically; one whose parameters the table below cannot fill
fails `test_every_family_service_can_be_filled` until the table learns them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

import portail_tui.models as models
import portail_tui.services as services
from portail_tui.domain.booking_cart import CartLine
from portail_tui.models import Activity, Child, Contact, Family, FamilyMember, Regie
from portail_tui.services.context import Actor, Context, ServiceError
from portail_tui.services.history.months import Month
from portail_tui.services.payments import take_payment


def _family_services() -> list[Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.walk_packages(services.__path__, services.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters.values())
            if params and params[0].name == "ctx" and "family_id" in inspect.signature(fn).parameters:
                found[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return [found[k] for k in sorted(found)]


FAMILY_SERVICES = _family_services()


@dataclass(frozen=True)
class Town:
    """Ids of the demo town that make each call well-formed, so the only reason left
    to refuse it is the régie."""

    family_id: int
    child_id: int
    activity_id: int
    contact_id: int


# One form for every dossier service: each reads only its own fields, so the input is
# valid wherever it goes and the régie is the only thing left to refuse.
RAW = {"civility": "Mme", "last_name": "INTRUS", "first_name": "Paule", "birth_date": "01/02/2018",
       "relationship": "Parents", "emergency_contact": "oui", "parental_authority": "oui",
       "caf_affiliation": "oui", "name": "Paule INTRUS", "phone": "0612345678", "may_pick_up": "oui",
       "emergency": "oui"}

# Keyed by « name: annotation » (annotations are strings here): a parameter of a known
# name but a new type is not filled by guess.
FILL: dict[str, Callable[[Town], object]] = {
    "child_id: int": lambda t: t.child_id,
    "activity_id: int": lambda t: t.activity_id,
    "contact_id: int": lambda t: t.contact_id,
    "year: int": lambda t: 2026,
    "month: int": lambda t: 12,
    "month: Month": lambda t: Month(2026, 11),
    "day: date": lambda t: date(2026, 12, 7),
    "start: date": lambda t: date(2026, 12, 1),
    "end: date": lambda t: date(2026, 12, 18),
    "activity_ids: Sequence[int]": lambda t: [t.activity_id],
    "weekdays: Iterable[int]": lambda t: [1, 2, 4, 5],
    "lines: Sequence[CartLine]": lambda t: [CartLine("book", t.child_id, t.activity_id, day=date(2026, 12, 7))],
    "raw: Mapping[str, object]": lambda t: RAW,
    "raw_child: Mapping[str, object]": lambda t: {**RAW, "first_name": "Jeanne"},
    "raw_link: Mapping[str, object]": lambda t: RAW,
    "rank: int": lambda t: 1,
    "amount_cents: int": lambda t: 5000,
    "mode: str": lambda t: "especes",
    "reason: str": lambda t: "Essai",
    "active: bool": lambda t: False,
    "first: date": lambda t: date(2026, 11, 1),
    "last: date": lambda t: date(2026, 11, 30),
    "days: Iterable[date]": lambda t: [date(2026, 11, 20)],
    "received_on: date": lambda t: date(2026, 11, 23),
}


def _key(p: inspect.Parameter) -> str:
    return f"{p.name}: {p.annotation}"


def _arguments(fn: Callable[..., Any], town: Town) -> dict[str, object]:
    args: dict[str, object] = {}
    for p in list(inspect.signature(fn).parameters.values())[1:]:
        if p.name == "family_id":
            args[p.name] = town.family_id
        elif p.default is inspect.Parameter.empty:
            args[p.name] = FILL[_key(p)](town)
    return args


def _unfillable(fn: Callable[..., Any]) -> list[str]:
    return [_key(p) for p in list(inspect.signature(fn).parameters.values())[1:]
            if p.name != "family_id" and p.default is inspect.Parameter.empty and _key(p) not in FILL]


def test_every_family_service_can_be_filled() -> None:
    assert len(FAMILY_SERVICES) > 30  # the walk finds them: not an empty loop
    missing = {f"{fn.__module__}.{fn.__qualname__}": _unfillable(fn) for fn in FAMILY_SERVICES}
    assert {k: v for k, v in missing.items() if v} == {}, "teach FILL these parameters"


def _town(ctx: Context) -> Town:
    def work(session: Session) -> Town:
        row = session.execute(
            select(col(FamilyMember.family_id), col(FamilyMember.child_id))
            .join(Contact, col(Contact.family_id) == col(FamilyMember.family_id))
            .order_by(col(FamilyMember.family_id)).limit(1)).one()
        contact_id = session.execute(select(col(Contact.id)).where(
            col(Contact.family_id) == row.family_id).limit(1)).scalar_one()
        activity_id = session.execute(select(col(Activity.id)).order_by(col(Activity.id)).limit(1)).scalar_one()
        return Town(row.family_id, row.child_id, activity_id, contact_id)

    return ctx.db.read(work)


def _configured(ctx: Context) -> Context:
    """PayFiP's return address set, so request_payment reaches the family."""
    return replace(ctx, settings=replace(ctx.settings, payfip_url="https://portail.example.fr/payfip"))


def _stranger(ctx: Context, admin: Actor) -> Context:
    def work(session: Session) -> int:
        regie = Regie(code="AUTRE", name="Régie d'une autre commune")
        session.add(regie)
        session.flush()
        assert regie.id is not None
        return regie.id

    return _configured(ctx).as_actor(replace(admin, regie_id=ctx.db.write(work), agent_id=None))


TABLES = [getattr(models, name) for name in models.__all__
          if isinstance(getattr(models, name), type) and hasattr(getattr(models, name), "__table__")]


def _counts(ctx: Context) -> dict[str, int]:
    return ctx.db.read(lambda s: {t.__name__: s.execute(select(func.count()).select_from(t)).scalar_one()
                                  for t in TABLES})


def _touched(ctx: Context, town: Town) -> tuple[object, ...]:
    def work(session: Session) -> tuple[object, ...]:
        family = session.get(Family, town.family_id)
        child = session.get(Child, town.child_id)
        assert family is not None and child is not None
        return (family.updated_at, family.name, family.email, child.last_name, child.first_name)

    return ctx.db.read(work)


def test_another_regie_is_refused_every_family_service(demo_ctx: Context, admin: Actor) -> None:
    town = _town(demo_ctx)
    stranger = _stranger(demo_ctx, admin)
    before, touched = _counts(demo_ctx), _touched(demo_ctx, town)
    open_ = []
    for fn in FAMILY_SERVICES:
        name = f"{fn.__module__}.{fn.__qualname__}"
        try:
            fn(stranger, **_arguments(fn, town))
        except ServiceError:
            pass
        else:
            open_.append(name)
        assert _counts(demo_ctx) == before, name
        assert _touched(demo_ctx, town) == touched, name
    assert open_ == [], open_


@pytest.mark.parametrize("fn", FAMILY_SERVICES, ids=lambda fn: f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}")
def test_a_family_service_knows_the_regie_of_a_missing_family(sqlite_demo_ctx: Context, admin: Actor,
                                                              fn: Callable[..., Any]) -> None:
    """A family id that does not exist is refused too, never a traceback."""
    town = replace(_town(sqlite_demo_ctx), family_id=10**9)
    with pytest.raises(ServiceError):
        fn(sqlite_demo_ctx.as_actor(admin), **_arguments(fn, town))


# What the family's own régie may still be refused, for a reason that is not the régie.
OWN_REFUSALS = {
    "portail_tui.services.payfip.request_payment": "PayFiP",  # the demo régie has no PayFiP client number
    "portail_tui.services.dossier.attach_child": "déjà",  # the table's child is already this family's
    "portail_tui.services.attendance_justify.record_justification": "Motif inconnu",  # « Essai » is no motif
    # The table's day (7/12) is after the demo's today: nobody marks a day ahead.
    "portail_tui.services.attendance.marking.add_unbooked": "n'est possible qu'à partir de ce jour",
}


def test_the_table_reaches_past_the_checks(demo_ctx: Context, admin: Actor) -> None:
    """The walk proves something only if its values are sensible: the family's own régie
    gets through, so the stranger's refusal is the régie's doing."""
    town = _town(demo_ctx)
    own = _configured(demo_ctx).as_actor(admin)
    take_payment(own, town.family_id, amount_cents=20000, mode="virement", reference="VIR-1")  # to refund from
    refused = {}
    # What makes (a payment, an account) before what needs it; what removes, last.
    first, last = ("take_payment", "create_account"), ("remove_contact", "remove_second_guardian", "set_active")
    for fn in sorted(FAMILY_SERVICES, key=lambda f: (f.__name__ not in first) + (f.__name__ in last)):
        name = f"{fn.__module__}.{fn.__qualname__}"
        try:
            fn(own, **_arguments(fn, town))
        except ServiceError as exc:
            if OWN_REFUSALS.get(name, "\0") not in exc.message:
                refused[name] = exc.message
    assert refused == {}
