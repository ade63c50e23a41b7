"""Accueil alerts (R15) on both engines: « N fiches à saisir », rejected forms with
their reason, negative balance, and the régie-wide count of forms waiting."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

from portail_tui.clock import FixedClock
from portail_tui.models import Activity, Booking
from portail_tui.services import alerts, forms
from portail_tui.services.context import Context
from tests.support.dossier_town import ASSURANCE, NOW, SANTE, seed


def _texts(a: alerts.FamilyAlerts) -> list[str]:
    return [x.text for x in a.alerts()]


def test_new_family_has_ten_forms_to_fill(ctx: Context) -> None:
    town = seed(ctx)
    a = alerts.family_alerts(town.agent, town.family_id)
    assert a.to_fill == 10
    assert _texts(a) == ["10 fiches à saisir"]


def test_alerts_follow_the_forms(ctx: Context, clock: FixedClock) -> None:
    town = seed(ctx)
    forms.submit(town.agent, town.lea, "assurance", ASSURANCE)
    forms.submit(town.regisseur, town.lea, "sante", SANTE)
    clock.advance(timedelta(minutes=1))
    forms.submit(town.agent, town.noe, "assurance", ASSURANCE)
    forms.reject_form(town.regisseur, town.lea, "sante", "Le certificat médical du PAI est manquant.")
    forms.reject_form(town.regisseur, town.noe, "assurance", "Attestation illisible.")
    forms.save_draft(town.agent, town.noe, "contact", {"contact_urgence": "Mamie"})
    a = alerts.family_alerts(town.regisseur, town.family_id)
    assert _texts(a) == [
        "6 fiches à saisir",  # as in the guide
        "Fiche santé de Léa rejetée : Le certificat médical du PAI est manquant.",
        "Fiche assurance de Noé rejetée : Attestation illisible.",
        "1 fiche en cours de saisie (brouillon)",
        "1 fiche en validation",
    ]
    # The agent without the santé right is told a santé form was rejected, not why.
    blind = alerts.family_alerts(town.agent, town.family_id)
    assert "Fiche santé de Léa rejetée : motif réservé aux agents habilités" in _texts(blind)
    counts = alerts.regie_counts(town.regisseur)
    assert counts.waiting == 1
    assert [x.text for x in counts.alerts()] == [
        "1 fiche en attente de validation (la plus ancienne depuis le 28/11/2026)"]
    forms.validate_form(town.regisseur, town.lea, "assurance")
    assert alerts.regie_counts(town.regisseur).alerts()[0].text == "Aucune fiche en attente de validation."


def test_negative_balance(ctx: Context) -> None:
    town = seed(ctx)

    def book(s):  # type: ignore[no-untyped-def]
        act = Activity(regie_id=town.regie_id, code="RS", label="RESTAURANT SCOLAIRE", letter="R",
                       start_time=time(11, 45), end_time=time(13, 30))
        s.add(act)
        s.flush()
        s.add(Booking(regie_id=town.regie_id, family_id=town.family_id, child_id=town.lea, activity_id=act.id,
                      day=date(2026, 11, 26), price_cents=1250, created_at=NOW, created_by="agent:agent"))

    ctx.db.write(book)
    a = alerts.family_alerts(town.agent, town.family_id)
    assert a.solde_cents == -1250
    assert _texts(a)[-1] == "Solde négatif : -12,50\u00a0€"


def test_other_regie_cannot_read_alerts(ctx: Context) -> None:
    import pytest

    from portail_tui.services.context import ServiceError

    town = seed(ctx)
    stranger = town.agent.as_actor(replace(town.agent.actor, regie_id=town.regie_id + 1))  # type: ignore[arg-type]
    with pytest.raises(ServiceError):
        alerts.family_alerts(stranger, town.family_id)
    assert alerts.regie_counts(stranger).waiting == 0


def test_waiting_forms_counted_per_regie_beside_another(ctx: Context) -> None:
    """Alone in its database a régie counts every waiting form from the index; once
    another régie shares the database, each counts only its own children's forms."""
    from portail_tui.models import Child, Family, FamilyMember, Form, Regie

    town = seed(ctx)
    forms.submit(town.agent, town.lea, "assurance", ASSURANCE)
    assert alerts.regie_counts(town.regisseur).waiting == 1

    def other_regie(s) -> None:  # type: ignore[no-untyped-def]
        regie = Regie(code="AUTRE", name="AUTRE REGIE")
        s.add(regie)
        s.flush()
        fam = Family(regie_id=regie.id, number=1, name="VOISIN", created_at=NOW, updated_at=NOW)
        kid = Child(last_name="VOISIN", first_name="Paul", created_at=NOW)
        s.add_all([fam, kid])
        s.flush()
        s.add(FamilyMember(family_id=fam.id, child_id=kid.id))
        s.add_all([Form(child_id=kid.id, kind=k, status="en_validation", submitted_at=NOW, updated_at=NOW)
                   for k in ("assurance", "contact")])

    ctx.db.write(other_regie)
    assert alerts.regie_counts(town.regisseur).waiting == 1
