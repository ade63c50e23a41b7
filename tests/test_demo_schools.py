"""A big demo town has schools of a real town's size (issue 15 budgets are measured on
one); a small one keeps exactly the example file's schools, so every test pinned to
the small towns sees the rows it always saw."""

from __future__ import annotations

import copy
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from portail_tui.clock import FixedClock
from portail_tui.config import Settings
from portail_tui.db import Database, upgrade
from portail_tui.demo import generate
from portail_tui.demo import names as N
from portail_tui.demo.schools import (
    FAMILIES_PER_GROUP,
    FILE_SCHOOLS_MAX_FAMILIES,
    add_schools,
    group_count,
    town_groups,
)
from portail_tui.demo.spec import EXAMPLE
from portail_tui.models import Child, FamilyMember, School, SchoolClass
from portail_tui.services.context import Context
from portail_tui.services.regie_setup import export, parse, the_regie
from portail_tui.services.regie_setup.model import SchoolSpec

TODAY = date(2026, 11, 28)
BIG = FILE_SCHOOLS_MAX_FAMILIES + 100  # the smallest town that gets more schools


def _make(path: Path, families: int, seed: int = 1) -> Database:
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    generate(db, families=families, seed=seed, today=TODAY)
    return db


@pytest.fixture(scope="module")
def big_town(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = _make(tmp_path_factory.mktemp("schools") / "big.db", BIG)
    yield db
    db.dispose()


def test_small_towns_keep_the_file_schools_and_big_ones_a_group_per_few_hundred_families() -> None:
    for families in (30, 150, 400, FILE_SCHOOLS_MAX_FAMILIES):
        assert group_count(families) == 1
        assert town_groups(families, "x.example")[0].specs == ()
    assert group_count(FILE_SCHOOLS_MAX_FAMILIES + 1) == -(-(FILE_SCHOOLS_MAX_FAMILIES + 1) // FAMILIES_PER_GROUP)
    assert group_count(20000) == 58


def test_added_schools_are_valid_set_up_schools() -> None:
    groups = town_groups(60000, "mairie.example")  # past the end of the name lists
    specs = [s for g in groups for s in g.specs]
    assert len(specs) == 2 * (len(groups) - 1)
    codes = [s.code for s in specs] + [s.code for s in EXAMPLE.schools]
    names = [s.name for s in specs] + [s.name for s in EXAMPLE.schools]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    assert all(len(c) <= 20 and c.isalnum() for c in codes)
    assert all(len(n) <= 120 for n in names)
    assert all(s.kitchen_email and s.kitchen_email.endswith("@mairie.example")
               and " " not in s.kitchen_email and "'" not in s.kitchen_email for s in specs)
    mat, ele = groups[1].specs
    assert mat.name == "École maternelle Les Tilleuls" and mat.classes == ("PS", "MS", "GS")
    assert ele.name == "École élémentaire Jules-Ferry" and ele.classes == ("CP", "CE1", "CE2", "CM1", "CM2")
    assert groups[0].maternelle == N.MATERNELLE and groups[0].elementaire == N.ELEMENTAIRE
    assert town_groups(60000, "mairie.example") == groups  # no seed, no drift


def test_an_activity_open_to_the_file_schools_is_opened_to_the_added_ones_of_that_kind() -> None:
    setup = copy.deepcopy(EXAMPLE)
    by_name = {s.name: s.code for s in setup.schools}
    setup.activities[4].eligible_schools = (by_name[N.MATERNELLE],)
    setup.activities[5].eligible_schools = (by_name[N.MATERNELLE], by_name[N.ELEMENTAIRE], "BOURG")
    groups = town_groups(4000, "x.example")
    add_schools(setup, groups)
    mats = tuple(g.specs[0].code for g in groups[1:])
    eles = tuple(g.specs[1].code for g in groups[1:])
    assert setup.activities[4].eligible_schools == (by_name[N.MATERNELLE], *mats)
    assert setup.activities[5].eligible_schools == (by_name[N.MATERNELLE], by_name[N.ELEMENTAIRE], "BOURG",
                                                    *mats, *eles)
    assert setup.activities[0].eligible_schools is None
    assert [s.code for s in setup.schools][:len(EXAMPLE.schools)] == [s.code for s in EXAMPLE.schools]
    assert isinstance(setup.schools[-1], SchoolSpec) and len(setup.schools) == len(EXAMPLE.schools) + len(mats) * 2


def test_a_town_at_the_threshold_has_only_the_file_schools(tmp_path: Path) -> None:
    db = _make(tmp_path / "edge.db", FILE_SCHOOLS_MAX_FAMILIES)
    try:
        schools = db.read(lambda s: list(s.execute(select(col(School.code)).order_by(col(School.id))).scalars()))
        attended = db.read(lambda s: set(s.execute(select(col(Child.school)).distinct()).scalars()))
    finally:
        db.dispose()
    assert schools == [s.code for s in EXAMPLE.schools]
    assert attended == {N.MATERNELLE, N.ELEMENTAIRE}


def test_big_town_children_go_to_real_schools_and_classes_siblings_together(big_town: Database) -> None:
    def work(s):  # type: ignore[no-untyped-def]
        classes = {(school, name) for school, name in s.execute(
            select(col(School.name), col(SchoolClass.name)).join(SchoolClass, col(SchoolClass.school_id) == col(School.id)))}
        kids = list(s.execute(select(col(Child.id), col(Child.school), col(Child.school_class))))
        links = list(s.execute(select(col(FamilyMember.family_id), col(FamilyMember.child_id))))
        return classes, kids, links

    classes, kids, links = big_town.read(work)
    groups = town_groups(BIG, "x.example")
    assert len(groups) == group_count(BIG) > 1
    assert all((school, klass) in classes for _id, school, klass in kids)
    pupils = Counter(school for _id, school, _k in kids)
    assert set(pupils) == {name for g in groups for name in (g.maternelle, g.elementaire)}
    group_of = {name: i for i, g in enumerate(groups) for name in (g.maternelle, g.elementaire)}
    for _id, school, klass in kids:
        assert (klass in ("PS", "MS", "GS")) == ("maternelle" in school)
    school_of = {kid: school for kid, school, _k in kids}
    families: dict[int, set[int]] = defaultdict(set)
    for fam, kid in links:
        families[fam].add(group_of[school_of[kid]])
    assert all(len(g) == 1 for g in families.values())
    # Realistic sizes: no school of thousands, none empty.
    assert max(pupils.values()) < 700 and min(pupils.values()) > 50


def test_big_town_exports_a_file_that_checks_clean_with_its_schools(
        big_town: Database, clock: FixedClock, settings: Settings) -> None:
    ctx = Context(db=big_town, clock=clock, settings=settings)
    text = big_town.read(lambda s: export(s, the_regie(s, ctx)))
    setup, problems = parse(text)
    assert problems == [] and setup is not None
    assert len(setup.schools) == len(EXAMPLE.schools) + 2 * (group_count(BIG) - 1)
    assert all(s.kitchen_email for s in setup.schools if s.code not in {e.code for e in EXAMPLE.schools})


def test_big_town_school_choice_is_deterministic(tmp_path: Path, big_town: Database) -> None:
    again = _make(tmp_path / "again.db", BIG)
    try:
        rows = select(col(Child.id), col(Child.school)).order_by(col(Child.id))
        assert again.read(lambda s: list(s.execute(rows))) == big_town.read(lambda s: list(s.execute(rows)))
    finally:
        again.dispose()
