"""The five forms of every demo child (insurance, contact, rules, authorisations,
health), in every status the validation workflow knows, with plausible contents."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from portail_tui.demo import names as N
from portail_tui.demo.families import ChildDraft, PersonStub
from portail_tui.demo.spec import TownContext
from portail_tui.models import FORM_KINDS


class FormMaker:
    """Draws a child's forms and keeps the rows of the current chunk."""

    def __init__(self, ctx: TownContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.form_id = 0
        self.rows: list[tuple[Any, ...]] = []

    def forms(self, kid: ChildDraft) -> None:
        ctx, rng = self.ctx, self.rng
        fam = kid.families[0]
        g1 = fam.guardians[0]
        sy_end = date(ctx.sy + 1, 8, 31)
        for kind in FORM_KINDS:
            r = rng.random()
            status = ("validee" if r < 0.74 else "en_validation" if r < 0.84 else
                      "a_saisir" if r < 0.91 else "en_cours" if r < 0.95 else
                      "rejetee" if r < 0.98 else "a_mettre_a_jour")
            data = {} if status == "a_saisir" else self.form_data(kind, kid, g1)
            if status == "en_cours":
                data = dict(list(data.items())[: max(1, len(data) // 2)])
            year = ctx.sy - 1 if status == "a_mettre_a_jour" else ctx.sy
            expires = date(year + 1, 8, 31) if status != "a_saisir" else None
            if kind == "assurance" and status != "a_saisir":
                data["date_fin"] = (expires or sy_end).isoformat()
            submitted: datetime | None = None
            decided: datetime | None = None
            decided_by: str | None = None
            reason: str | None = None
            validated: dict[str, Any] | None = None
            if status in ("validee", "rejetee", "a_mettre_a_jour"):
                sub_day = date(year, 8, 20) + timedelta(days=rng.randint(0, 30))
                sub_day = min(sub_day, ctx.today - timedelta(days=2))
                submitted = ctx.at(sub_day, rng.randint(420, 1380))
                decided = submitted + timedelta(days=rng.randint(1, 5), minutes=rng.randint(0, 240))
                decided = min(decided, ctx.now - timedelta(minutes=30))
                decided_by = "agent:regisseur" if kind == "sante" or rng.random() < 0.3 else "agent:agent"
                if status == "rejetee":
                    reason = rng.choice(N.REJECT_REASONS[kind])
                else:
                    validated = data
            elif status == "en_validation":
                sub_day = ctx.today - timedelta(days=rng.randint(0, 20))
                minutes = rng.randint(360, 470) if sub_day == ctx.today else rng.randint(420, 1379)
                submitted = ctx.at(sub_day, minutes)
            updated = decided or submitted or fam.created_at
            updated_by = (decided_by if decided else fam.tag) if status != "a_saisir" else "system"
            self.form_id += 1
            data_json = json.dumps(data, ensure_ascii=False, sort_keys=True)
            self.rows.append((
                self.form_id, kid.id, kind, status, data_json,
                data_json if validated is not None else None, reason, expires,
                year if status != "a_saisir" else None, submitted, decided, decided_by, updated, updated_by,
            ))

    def form_data(self, kind: str, kid: ChildDraft, g1: PersonStub) -> dict[str, Any]:
        rng = self.rng
        signer = f"{g1.first_name} {g1.last_name}"
        if kind == "assurance":
            return {"compagnie": rng.choice(N.INSURERS),
                    "numero_contrat": f"{rng.randint(10**8, 10**9 - 1)}",
                    "responsabilite_civile": True, "individuelle_accident": rng.random() < 0.8}
        if kind == "contact":
            return {"contact_urgence": f"{rng.choice(N.WOMEN)} {rng.choice(N.LAST_NAMES)}",
                    "telephone": self.ctx.phone("06"), "lien": rng.choice(N.CONTACT_LINKS)}
        if kind == "reglement":
            return {"lu_et_approuve": True, "signataire": signer,
                    "date_signature": date(self.ctx.sy, 8, rng.randint(20, 31)).isoformat()}
        if kind == "autorisations":
            return {"droit_a_l_image": rng.random() < 0.7,
                    "sortie_seul": kid.class_index >= 6 and rng.random() < 0.4,
                    "transport_en_car": True, "soins_d_urgence": True}
        allergies = rng.sample(N.ALLERGIES, rng.choice((0, 0, 0, 0, 1, 1, 2)))
        return {"allergies": allergies, "pai": bool(allergies) and rng.random() < 0.6,
                "regime_alimentaire": rng.choice(N.DIETS), "vaccins_a_jour": rng.random() < 0.97,
                "medecin_traitant": rng.choice(N.DOCTORS),
                "telephone_medecin": self.ctx.phone("0555")}
