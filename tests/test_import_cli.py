"""`portail import modele`, `portail import familles` and `portail comptes envoyer` as an
administrator runs them: the template is a file the import itself recognises, a refused
file lists every error and exits 1 with nothing written, portal accounts are issued once
per family that has an e-mail, their welcome mails queued for `portail mail send`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from portail_tui.cli import app
from portail_tui.db import Database
from portail_tui.models import Family, OutboxMessage, PortalAccount
from tests.support import import_samples as S
from tests.support.payments_town import Seed, seed

runner = CliRunner()


@pytest.fixture
def town(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> Seed:
    monkeypatch.delenv("PORTAIL_DATABASE_URL", raising=False)
    sd = seed(sqlite_db)
    S.add_schools(sqlite_db, sd.regie_id)
    return sd


def run(db: Database, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", db.url, "--today", "2026-11-28", *args])


def _count(db: Database, model: object) -> int:
    return int(db.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one()))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_template_is_recognised_by_the_import(sqlite_db: Database, town: Seed, tmp_path: Path, fmt: str) -> None:
    res = run(sqlite_db, "import", "modele", "--format", fmt, "--sortie", str(tmp_path / "modele"))
    assert res.exit_code == 0, res.output
    path = tmp_path / f"modele.{fmt}"
    assert path.is_file()
    if fmt == "csv":
        assert (tmp_path / "modele-soldes.csv").is_file()
        header = path.read_bytes().decode("utf-8-sig").splitlines()[0]
        assert header.startswith("Référence famille;Civilité responsable 1;Nom responsable 1")
    # Its example row is a valid family (with its opening balance).
    res = run(sqlite_db, "import", "familles", str(path))
    assert res.exit_code == 0, res.output
    assert "Familles : 1 ajoutée, 0 modifiée, 0 inchangée." in res.output
    assert "Soldes de reprise : 1 importé(s)" in res.output


def test_import_then_reimport(sqlite_db: Database, town: Seed, tmp_path: Path) -> None:
    path = S.write_sample_csv(tmp_path / "familles.csv", encoding="cp1252")
    res = run(sqlite_db, "import", "familles", str(path), "--dry-run")
    assert res.exit_code == 0, res.output
    assert "Vérification (rien n'est écrit) — Familles : 4 ajoutées" in res.output
    # A check does not count forms and contacts (made as they are written): no « 0 » for them.
    assert "Enfants à ajouter : 5." in res.output and "fiches créées" not in res.output
    assert _count(sqlite_db, Family) == 1
    res = run(sqlite_db, "import", "familles", str(path))
    assert res.exit_code == 0, res.output
    assert "Familles : 4 ajoutées, 0 modifiée, 0 inchangée." in res.output
    assert "fiches créées « à saisir » : 25" in res.output
    res = run(sqlite_db, "import", "familles", str(path))
    assert "Familles : 0 ajoutée, 0 modifiée, 4 inchangées." in res.output
    assert "4 ignoré(s) (famille déjà reprise" in res.output
    check = run(sqlite_db, "db", "check")  # foreign keys, storage, money invariants
    assert check.exit_code == 0, check.output


def test_refused_file_lists_every_error_and_exits_1(sqlite_db: Database, town: Seed, tmp_path: Path) -> None:
    rows = S.sample_rows()
    rows[0][S.H.index("Date de naissance")] = "31/02/2015"
    rows[2][S.H.index("Courriel")] = "jean.martin@"
    res = run(sqlite_db, "import", "familles", str(S.write_sample_csv(tmp_path / "f.csv", rows=rows)))
    assert res.exit_code == 1
    assert "ligne 2, colonne « Date de naissance » : « 31/02/2015 » n'est pas une date" in res.output
    assert "ligne 4, colonne « Courriel » : « jean.martin@ »" in res.output
    assert "Fichier refusé : 2 erreurs, rien n'a été importé." in res.output
    assert "Traceback" not in res.output
    assert _count(sqlite_db, Family) == 1


def test_partial_from_the_command_line(sqlite_db: Database, town: Seed, tmp_path: Path) -> None:
    rows = S.sample_rows()
    rows[2][S.H.index("Courriel")] = "jean.martin@"
    path = S.write_sample_csv(tmp_path / "f.csv", rows=rows)
    res = run(sqlite_db, "import", "familles", str(path), "--partiel")
    assert res.exit_code == 0, res.output
    assert "Familles : 3 ajoutées, 0 modifiée, 0 inchangée, 1 rejetée." in res.output
    assert "f-rejets.csv" in res.output
    assert (tmp_path / "f-rejets.csv").is_file()


def test_missing_file_is_one_french_line(sqlite_db: Database, town: Seed, tmp_path: Path) -> None:
    res = run(sqlite_db, "import", "familles", str(tmp_path / "absent.csv"))
    assert res.exit_code == 1
    assert "Fichier introuvable" in res.output


def test_portal_accounts_in_one_batch(sqlite_db: Database, town: Seed, tmp_path: Path) -> None:
    run(sqlite_db, "import", "familles", str(S.write_sample_csv(tmp_path / "f.csv")))
    # Families with an e-mail: the seed's DUPONT, BÉNÉZET and MARTIN; not DURAND nor N'DIAYE.
    res = run(sqlite_db, "comptes", "envoyer")
    assert res.exit_code == 0, res.output
    assert "Comptes créés : 3" in res.output and "portail mail send" in res.output
    assert _count(sqlite_db, PortalAccount) == 3
    mails = sqlite_db.read(lambda s: sorted(s.execute(select(OutboxMessage.to_addr)
                                                      .where(OutboxMessage.kind == "portal.account")).scalars()))
    assert mails == ["dupont@example.fr", "elodie.benezet@exemple.fr", "jean.martin@exemple.fr"]
    again = run(sqlite_db, "comptes", "envoyer")
    assert "Comptes créés : 0" in again.output
    assert _count(sqlite_db, PortalAccount) == 3


def test_portal_batch_says_which_family_it_could_not_serve(sqlite_db: Database, town: Seed, tmp_path: Path) -> None:
    from portail_tui.clock import FixedClock
    from portail_tui.services import portal_accounts
    from portail_tui.services.context import Context

    run(sqlite_db, "import", "familles", str(S.write_sample_csv(tmp_path / "f.csv")))
    ctx = Context(db=sqlite_db, clock=FixedClock(S.NOW)).as_actor(town.agent)
    # The seed's family took as identifier the number BÉNÉZET (n° 000124) would get.
    portal_accounts.create_account(ctx, town.family_id, identifier="000124")
    batch = portal_accounts.create_missing_accounts(ctx)
    assert batch.created == 1  # MARTIN
    assert batch.refused == ("Famille n° 000124 : L'identifiant 000124 est déjà utilisé.",)
    assert portal_accounts.families_needing_account(ctx) == [
        sqlite_db.read(lambda s: s.execute(select(Family.id).where(Family.reference == "F001")).scalar_one())]


def test_portal_accounts_of_a_town_from_the_real_command(sqlite_db: Database, town: Seed) -> None:
    """Enough families for the batch to hash on a pool of spawned processes, through the
    real `portail` process: the children must not run the command again."""
    import os
    import subprocess
    import sys

    from tests.support.payments_town import add_family

    sqlite_db.write(lambda s: [add_family(s, town.regie_id, 700 + i, name=f"FAM{i}", email=f"f{i}@exemple.fr")
                               for i in range(20)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAIL_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run([sys.executable, "-m", "portail_tui", "--db", sqlite_db.url, "--today", "2026-11-28",
                           "comptes", "envoyer"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Comptes créés : 21" in done.stdout  # the seed's DUPONT and the twenty
    assert _count(sqlite_db, PortalAccount) == 21
    assert _count(sqlite_db, OutboxMessage) == 21
