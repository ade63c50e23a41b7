"""The database guard on payment rows (B4): triggers refusing UPDATE, DELETE (and, on
SQLite, an INSERT that would replace a row), how `db check` finds them missing,
disabled or altered, and how they are put back.

One definition serves migration 0005 (which adds the REPLACE guard), `db check`
(which compares what is in the database with it) and `restore_guards` (the repair an
administrator runs after investigating; `portail db upgrade` cannot do it since the
migrations already ran).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from portail_tui.services import audit
from portail_tui.services.context import Context, PermissionDenied
from portail_tui.services.payment_chain import Executor, dialect_name

MESSAGE = "Un règlement ne peut être ni modifié ni supprimé : passez une écriture d'annulation."
REPLACE_MESSAGE = ("Un règlement ne peut pas être remplacé : une quittance, un identifiant ou une"
                   " annulation déjà enregistrés ne peuvent pas être réécrits.")


def _sqlite_quote(message: str) -> str:
    return message.replace("'", "''")


# SQLite: name -> exact CREATE TRIGGER text (the two first are migration 0002's, verbatim).
SQLITE_TRIGGERS: dict[str, str] = {
    **{
        f"payment_no_{event.lower()}": (
            f"CREATE TRIGGER payment_no_{event.lower()} BEFORE {event} ON payment "
            f"BEGIN SELECT RAISE(ABORT, '{_sqlite_quote(MESSAGE)}'); END"
        )
        for event in ("UPDATE", "DELETE")
    },
    # REPLACE deletes the conflicting row without firing the DELETE trigger (unless
    # recursive_triggers is on), so refuse the insert itself: an id at or below the
    # highest (an omitted id reads as -1 here), a receipt number or a reversal link
    # already present.
    "payment_no_replace": (
        "CREATE TRIGGER payment_no_replace BEFORE INSERT ON payment "
        "WHEN (NEW.id > 0 AND NEW.id <= (SELECT MAX(id) FROM payment)) "
        "OR EXISTS (SELECT 1 FROM payment WHERE regie_id = NEW.regie_id AND receipt_number = NEW.receipt_number) "
        "OR (NEW.reverses_id IS NOT NULL AND EXISTS (SELECT 1 FROM payment WHERE reverses_id = NEW.reverses_id)) "
        f"BEGIN SELECT RAISE(ABORT, '{_sqlite_quote(REPLACE_MESSAGE)}'); END"
    ),
}

# PostgreSQL has no REPLACE, and INSERT … ON CONFLICT DO UPDATE fires the UPDATE trigger.
PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION payment_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '%', $msg${MESSAGE}$msg$ USING ERRCODE = 'integrity_constraint_violation'; END $$"
)
PG_TRIGGERS: dict[str, str] = {
    "payment_immutable": "CREATE TRIGGER payment_immutable BEFORE UPDATE OR DELETE ON payment "
                         "FOR EACH ROW EXECUTE FUNCTION payment_immutable()",
    "payment_no_truncate": "CREATE TRIGGER payment_no_truncate BEFORE TRUNCATE ON payment "
                           "FOR EACH STATEMENT EXECUTE FUNCTION payment_immutable()",
}

REPAIR_COMMAND = "portail db check --reparer"

# The other trigger the application puts on the payment table: migration 0007's change
# counter (screens notice another agent's payment). Known by its exact text, so a
# trigger of that name doing something else is still foreign.
_FAMILY_CHANGE = "family_change_payment_insert"
_FAMILY_CHANGE_SQLITE = (
    f"CREATE TRIGGER {_FAMILY_CHANGE} AFTER INSERT ON payment BEGIN "
    "INSERT INTO family_change (family_id, seq) VALUES (NEW.family_id, 1) "
    "ON CONFLICT (family_id) DO UPDATE SET seq = seq + 1; END"
)
_FAMILY_CHANGE_PG_BODY = (
    "BEGIN INSERT INTO family_change (family_id, seq) SELECT DISTINCT family_id, 1 FROM changed_rows "
    "ORDER BY family_id ON CONFLICT (family_id) DO UPDATE SET seq = family_change.seq + 1; RETURN NULL; END"
)


def _normal(sql: str) -> str:
    return " ".join(sql.split()).rstrip(";").lower()


def _is_sqlite(db: Executor) -> bool:
    return dialect_name(db) == "sqlite"


def guard_faults(db: Executor) -> tuple[list[str], list[str]]:
    """(missing, disabled or altered guard triggers; foreign triggers on the payment
    table) — both empty when the guard is exactly what this code installs."""
    if _is_sqlite(db):
        found = {str(name): str(sql or "") for name, sql in db.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'payment'")).all()}
        faults = sorted(name for name, sql in SQLITE_TRIGGERS.items()
                        if name not in found or _normal(found[name]) != _normal(sql))
        known = set(SQLITE_TRIGGERS)
        if _normal(found.get(_FAMILY_CHANGE, "")) == _normal(_FAMILY_CHANGE_SQLITE):
            known.add(_FAMILY_CHANGE)
        return faults, sorted(set(found) - known)
    rows = db.execute(text(
        "SELECT t.tgname, t.tgenabled, p.proname, p.prosrc FROM pg_trigger t"
        " JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE t.tgrelid = 'payment'::regclass AND NOT t.tgisinternal")).all()
    by_name = {str(r[0]): r for r in rows}
    faults = []
    for name in PG_TRIGGERS:
        row = by_name.get(name)
        if row is None or row[1] == "D" or row[2] != "payment_immutable" or "RAISE EXCEPTION" not in str(row[3]):
            faults.append(name)
    known = set(PG_TRIGGERS)
    own = by_name.get(_FAMILY_CHANGE)
    if own is not None and own[2] == "family_change_bump" and _normal(str(own[3])) == _normal(_FAMILY_CHANGE_PG_BODY):
        known.add(_FAMILY_CHANGE)
    return sorted(faults), sorted(set(by_name) - known)


def install_guards(db: Executor) -> list[str]:
    """Create the guard triggers that are missing, disabled or altered (idempotent);
    the names of those (re)created."""
    faults, _ = guard_faults(db)
    if not faults:
        return []
    if _is_sqlite(db):
        for name in faults:
            db.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
            db.execute(text(SQLITE_TRIGGERS[name]))
        return faults
    db.execute(text(PG_FUNCTION))
    for name in faults:
        db.execute(text(f"DROP TRIGGER IF EXISTS {name} ON payment"))
        db.execute(text(PG_TRIGGERS[name]))
    return faults


def restore_guards(ctx: Context) -> list[str]:
    """Put the payment guard back after an investigation (`portail db check --reparer`):
    only the administrator's command line (system actor) may. Foreign triggers are
    left for the administrator to read and drop: this never deletes what it did not
    make. Returns the names of the triggers recreated (empty: nothing to do); a repair
    is audited."""
    actor = ctx.require_actor()
    if actor.kind != "system":
        raise PermissionDenied("Seul l'administrateur, en ligne de commande, peut rétablir le garde-fou"
                               " des règlements.")
    now = ctx.clock.now()

    def _work(session: Session) -> list[str]:
        restored = install_guards(session)
        if restored:
            audit.record(session, at=now, actor=actor.tag, action="database.guard_restored", entity="payment",
                         triggers=restored)
        return restored

    return ctx.db.write(_work)
