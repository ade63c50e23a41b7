"""The dossier and forms services on the demo town (both engines): the generator's
data reads back cleanly, the queue and counts agree, health stays private, nightly
expiry is idempotent, the right-of-access export is complete JSON."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from portail_tui.domain import forms as F
from portail_tui.domain.validation import clean_values
from portail_tui.models import Form
from portail_tui.services import alerts, dossier, forms
from portail_tui.services.context import Actor, Context
from portail_tui.services.families import search_families
from portail_tui.services.permissions import system_actor

TODAY = date(2026, 11, 28)


def _status_count(ctx: Context, status: str) -> int:
    return ctx.db.read(lambda s: s.execute(select(func.count()).where(Form.status == status)).scalar_one())


def test_showcase_family_reads_back_cleanly(demo_ctx: Context, agent: Actor) -> None:
    ctx = demo_ctx.as_actor(agent)
    family_id = search_families(ctx, "lea")[0].id
    file = dossier.family_file(ctx, family_id)
    assert [g.display_name for g in file.guardians] == ["Mme Hélène Lefèvre", "M. Jérôme Lefèvre"]
    assert [c.first_name for c in file.children] == ["Léa", "Noé"]
    for g in file.guardians:
        assert not clean_values(F.GUARDIAN_FIELDS, g.values, TODAY).errors
        dossier.save_guardian(ctx, family_id, g.rank, g.values)  # saving unchanged values is accepted
    for c in file.children:
        assert not clean_values(F.CHILD_FIELDS, c.values, TODAY).errors
        assert not clean_values(F.LINK_FIELDS, c.link, TODAY).errors
    after = dossier.family_file(ctx, family_id)
    assert after.guardians == file.guardians and after.name == file.name == "LEFÈVRE"
    renamed = {**file.guardians[0].values, "last_name": "Martin-Lefèvre"}
    dossier.save_guardian(ctx, family_id, 1, renamed)
    assert dossier.family_file(ctx, family_id).name == "MARTIN-LEFÈVRE"


def test_queue_and_counts_agree_and_decisions_move_them(demo_ctx: Context, regisseur: Actor) -> None:
    ctx = demo_ctx.as_actor(regisseur)
    queue = forms.validation_queue(ctx)
    waiting = _status_count(ctx, "en_validation")
    assert len(queue) == waiting == alerts.regie_counts(ctx).waiting > 0
    stamps = [q.submitted_at for q in queue]
    assert stamps == sorted(stamps)  # oldest first
    first, second = queue[0], queue[1]
    forms.validate_form(ctx, first.child_id, first.kind)
    forms.reject_form(ctx, second.child_id, second.kind, "Pièce justificative manquante.")
    assert alerts.regie_counts(ctx).waiting == waiting - 2
    texts = [a.text for a in alerts.family_alerts(ctx, second.family_id).alerts()]
    assert any("Pièce justificative manquante." in t for t in texts)


def test_health_is_hidden_from_the_agent(demo_ctx: Context, agent: Actor, regisseur: Actor) -> None:
    child_ids = demo_ctx.db.read(lambda s: list(s.execute(
        select(Form.child_id).where(Form.kind == "sante", Form.status == "validee").limit(5)).scalars()))
    for child_id in child_ids:
        hidden = forms.get_form(demo_ctx.as_actor(agent), child_id, "sante")
        shown = forms.get_form(demo_ctx.as_actor(regisseur), child_id, "sante")
        assert hidden.hidden and hidden.texts == {} and hidden.validated is None
        assert shown.texts["medecin_traitant"].startswith("Dr ")


def test_nightly_expiry_is_idempotent(demo_ctx: Context) -> None:
    assert forms.expire_forms(demo_ctx, TODAY) == 0  # the demo is consistent with its own date
    validated = _status_count(demo_ctx, "validee")
    outdated = _status_count(demo_ctx, "a_mettre_a_jour")
    assert forms.expire_forms(demo_ctx, date(2027, 9, 1)) == validated
    assert forms.expire_forms(demo_ctx, date(2027, 9, 1)) == 0
    assert _status_count(demo_ctx, "a_mettre_a_jour") == outdated + validated


def test_right_of_access_export_of_a_demo_family(demo_ctx: Context) -> None:
    ctx = demo_ctx.as_actor(system_actor(1))
    data = dossier.export_family(ctx, 1)
    text = json.dumps(data, ensure_ascii=False)
    assert data["famille"]["number"] == 1
    assert data["booking"] and data["payment"] and data["family_member"]
    assert len(data["form"]) == 5 * len(data["child"])
    assert "password_hash" not in text
