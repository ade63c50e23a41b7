"""Family search on both engines: accent/case-insensitive, by any identifying field,
and robust to any text a person can type."""

from __future__ import annotations

from datetime import datetime

import pytest

from portail_tui.clock import PARIS
from portail_tui.db import Database
from portail_tui.models import Child, Family, FamilyMember, Guardian, Regie
from portail_tui.services.context import Actor, Context, ServiceError
from portail_tui.services.families import (
    family_by_number,
    family_summary,
    refresh_search_text,
    search_families,
)

NOW = datetime(2026, 11, 28, 10, tzinfo=PARIS)

FAMILIES = [
    # number, family name, guardian (first, last), phone, email, children
    (123, "Lefèvre", ("Hélène", "Lefèvre"), "06 12 34 56 78", "helene.lefevre@example.fr", ["Léa", "Noé"]),
    (124, "Martin", ("Jérôme", "Martin"), "06 98 76 54 32", "jerome.martin@example.fr", ["Chloé"]),
    (125, "Da Silva", ("Anaïs", "Da Silva"), "07 11 22 33 44", "anais.dasilva@example.fr", ["Lucas"]),
    (126, "O'Brien", ("Seán", "O'Brien"), "01 45 67 89 10", "sean@example.fr", ["Zoé", "Maëlys"]),
    (127, "N'Diaye", ("Awa", "N'Diaye"), "+33 6 93 39 31 06", "awa.ndiaye@example.fr", ["Moussa"]),
    (128, "D’Almeida", ("Inês", "D’Almeida"), "07 55 44 33 22", "ines@example.fr", ["Tiago"]),
]


@pytest.fixture
def town(ctx: Context) -> Context:
    def work(s):  # type: ignore[no-untyped-def]
        regie = Regie(code="SCOLAIRE", name="REGIE DES SERVICES SCOLAIRES")
        s.add(regie)
        s.flush()
        for number, name, (first, last), phone, email, kids in FAMILIES:
            fam = Family(regie_id=regie.id, number=number, name=name, email=email, created_at=NOW,
                         updated_at=NOW)
            s.add(fam)
            s.flush()
            s.add(Guardian(family_id=fam.id, rank=1, civility="Mme", first_name=first, last_name=last,
                           phone_mobile=phone, email=email, city="Saint-Just-le-Martel"))
            for k in kids:
                child = Child(first_name=k, last_name=last, created_at=NOW)
                s.add(child)
                s.flush()
                s.add(FamilyMember(family_id=fam.id, child_id=child.id))
            s.flush()
            refresh_search_text(s, fam.id)
        return regie.id

    regie_id = ctx.db.write(work)
    return ctx.as_actor(Actor(kind="agent", login="t", regie_id=regie_id))


@pytest.mark.parametrize(
    "query,expected",
    [
        ("lea", ["Lefèvre"]),
        ("LÉA", ["Lefèvre"]),
        ("lefevre", ["Lefèvre"]),
        ("helene", ["Lefèvre"]),
        ("000123", ["Lefèvre"]),
        ("123", ["Lefèvre"]),
        ("06 12 34", ["Lefèvre"]),
        ("0612345678", ["Lefèvre"]),
        ("jerome.martin@", ["Martin"]),
        ("da silva", ["Da Silva"]),
        ("o'brien", ["O'Brien"]),
        ("maelys zoe", ["O'Brien"]),
        ("chloe martin", ["Martin"]),
        ("chloe lefevre", []),
        # Apostrophes fold away on both sides (issue 12).
        ("ndiaye", ["N'Diaye"]),
        ("n'diaye", ["N'Diaye"]),
        ("N’DIAYE", ["N'Diaye"]),
        ("n diaye", ["N'Diaye"]),
        ("dalmeida", ["D’Almeida"]),
        ("d'almeida", ["D’Almeida"]),
        ("obrien", ["O'Brien"]),
        # Phones however typed or stored: dots, +33, 0033.
        ("06.93.39.31.06", ["N'Diaye"]),
        ("06 93 39", ["N'Diaye"]),
        ("+33 6 93 39 31 06", ["N'Diaye"]),
        ("+33 6 93", ["N'Diaye"]),
        ("+33 (0)6 93 39 31 06", ["N'Diaye"]),
        ("0033 6 93 39 31 06", ["N'Diaye"]),
        ("0033693393106", ["N'Diaye"]),
        ("+33 7 55 44", ["D’Almeida"]),
        ("07.55.44.33.22", ["D’Almeida"]),
    ],
)
def test_search_finds_by_any_field(town: Context, query: str, expected: list[str]) -> None:
    assert [h.name for h in search_families(town, query)] == expected


def test_hit_carries_what_the_agent_needs(town: Context) -> None:
    (hit,) = search_families(town, "lea")
    assert hit.number_text == "000123"
    assert hit.guardian == "Mme Hélène Lefèvre"
    assert hit.children == "Léa, Noé"
    assert hit.phone == "06 12 34 56 78"


@pytest.mark.parametrize(
    "query",
    ["%", "_", "%%%", "'", '"', "'; DROP TABLE family; --", "\\", "🙂", "Léa 🙂", "x" * 500, "   ", "",
     "\x00", "a" * 10_000],
)
def test_any_text_returns_results_or_nothing(town: Context, query: str) -> None:
    # None of these names a family of the town: no error, no result.
    assert search_families(town, query) == []


def test_wildcards_are_literal(town: Context) -> None:
    assert search_families(town, "%") == []
    assert search_families(town, "_") == []


def test_summary_and_number_lookup(town: Context) -> None:
    fid = family_by_number(town, "000124")
    summary = family_summary(town, fid)
    assert summary.name == "Martin" and summary.number_text == "000124"
    assert [c.first_name for c in summary.children] == ["Chloé"]
    with pytest.raises(ServiceError, match="inconnue"):
        family_by_number(town, "999")
    with pytest.raises(ServiceError, match="invalide"):
        family_by_number(town, "abc")


def test_search_index_follows_changes(town: Context) -> None:
    from sqlalchemy import select

    def rename(s):  # type: ignore[no-untyped-def]
        child = s.execute(select(Child).where(Child.first_name == "Chloé")).scalar_one()
        child.first_name = "Capucine"
        s.add(child)
        s.flush()
        fid = s.execute(select(FamilyMember.family_id).where(FamilyMember.child_id == child.id)).scalar_one()
        refresh_search_text(s, fid)

    assert [h.name for h in search_families(town, "chloe")] == ["Martin"]
    town.db.write(rename)
    assert [h.name for h in search_families(town, "capucine")] == ["Martin"]
    assert search_families(town, "chloe") == []  # the old words left the index


def test_sqlite_search_uses_the_trigram_index(town: Context) -> None:
    if not town.db.is_sqlite:
        pytest.skip("FTS5 is SQLite's; PostgreSQL uses its pg_trgm index")
    from sqlalchemy import text

    plan = town.db.read(lambda s: s.execute(text(
        "EXPLAIN QUERY PLAN SELECT rowid FROM family_search WHERE family_search MATCH '\"lef\"'")).all())
    assert any("VIRTUAL TABLE INDEX" in str(row) for row in plan)


def test_one_letter_waits_for_more_but_digits_search(town: Context) -> None:
    assert search_families(town, "l") == []
    assert [h.number for h in search_families(town, "124")][:1] == [124]


def test_full_account_number_comes_first(town: Context) -> None:
    # "12" also appears in phone numbers; typed in full, the account number ranks first.
    hits = search_families(town, "126")
    assert hits[0].number == 126


def test_migration_0008_recomputes_stored_words(town: Context, db_owner: Database) -> None:
    """Words stored before 0008 (apostrophe as a space, phone as typed digits) are
    recomputed by the migration, on both engines (migrated by the schema's owner)."""
    from alembic import command
    from sqlalchemy import text

    from portail_tui.db import alembic_config, upgrade

    db = db_owner
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE family SET search_text = ' n diaye 000127 33693393106 awa moussa '"
                          " WHERE number = 127"))
    assert search_families(town, "ndiaye") == []
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008_search_words-1")  # just before 0008
    upgrade(db)
    assert [h.name for h in search_families(town, "ndiaye")] == ["N'Diaye"]
    assert [h.name for h in search_families(town, "06 93 39 31 06")] == ["N'Diaye"]
    assert [h.name for h in search_families(town, "maelys")] == ["O'Brien"]  # the others unchanged
