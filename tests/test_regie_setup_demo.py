"""The demo town is built through the set-up path (G1): what it holds exports to a
file that checks clean and applies as a no-op, and its children's schools exist."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from portail_tui.db import Database
from portail_tui.demo.spec import ACTIVITY_SPECS, EXAMPLE, QF_BRACKETS
from portail_tui.models import Child, School
from portail_tui.services.context import Context
from portail_tui.services.regie_setup import apply, export, parse, the_regie


def test_demo_exports_a_clean_file_that_applies_as_a_no_op(demo_ctx: Context) -> None:
    text = demo_ctx.db.read(lambda s: export(s, the_regie(s, demo_ctx)))
    setup, problems = parse(text)
    assert problems == [] and setup is not None
    assert [a.code for a in setup.activities] == [s.code for s in ACTIVITY_SPECS]
    assert [s.code for s in setup.schools] == [s.code for s in EXAMPLE.schools]
    assert any(p.within is not None for p in setup.periods)
    plan = apply(demo_ctx, setup)
    assert plan.is_noop, plan.lines()


def test_demo_children_go_to_schools_of_the_file(demo_db: Database) -> None:
    def work(s):  # type: ignore[no-untyped-def]
        schools = set(s.execute(select(col(School.name))).scalars())
        attended = set(s.execute(select(col(Child.school)).distinct()).scalars())
        return schools, attended

    schools, attended = demo_db.read(work)
    assert attended and attended <= schools


def test_demo_prices_are_the_file_prices() -> None:
    rs = EXAMPLE.activities[0]
    assert QF_BRACKETS == ((0, 700), (701, 1200), (1201, None))
    assert ACTIVITY_SPECS[0].prices == tuple(r.price_cents for r in rs.rates)
