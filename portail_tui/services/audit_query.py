"""Reading the audit log (B5): who changed what and when, filtered by family, agent and
date — `portail audit`, and any screen that wants it later."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlmodel import Session, col

from portail_tui.clock import paris
from portail_tui.models import Agent, AuditLog, Family
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.families import family_by_number, format_family_number
from portail_tui.services.permissions import require

ACTION_LABELS: dict[str, str] = {
    "agent.login": "Connexion",
    "import.families": "Import de familles",
    "family.import": "Famille importée",
    "family.import_update": "Famille mise à jour par import",
    "opening_balance.import": "Reprise de solde",
    "agent.login_failed": "Connexion refusée",
    "database.restored": "Base restaurée",
    "agent.disable": "Compte d'agent désactivé",
    "agent.enable": "Compte d'agent réactivé",
    "agent.unlock": "Attente après échecs levée",
    "agent.password": "Mot de passe d'agent changé",
    "agent.create": "Création d'un compte agent",
    "regie.init": "Création de la régie",
    "regie.setup": "Paramétrage de la régie (fichier)",
    "agent.health": "Droit aux fiches santé d'un agent modifié",
    "agent.role": "Rôle d'un agent modifié",
    "slot.capacity": "Capacité d'un jour ou d'une période modifiée",
    "period.add": "Période de vacances ajoutée",
    "period.window": "Fenêtre de réservation d'une période modifiée",
    "day.close": "Jour fermé pour une activité",
    "ssh.authorize": "Clé SSH autorisée",
    "ssh.revoke": "Clé SSH retirée",
    "payment.payment": "Règlement",
    "payment.reversal": "Annulation de règlement",
    "payment.refund": "Remboursement",
    "payfip.request": "Demande de paiement en ligne",
    "payfip.paid": "Paiement en ligne accepté",
    "payfip.refused": "Paiement en ligne refusé",
    "payfip.abandoned": "Paiement en ligne abandonné",
    "cash.close": "Clôture de caisse",
    "cash.ceiling_override": "Plafond des espèces dépassé (autorisé par le régisseur)",
    "database.guard_restored": "Garde-fou des règlements rétabli",
    "booking.create": "Réservation",
    "booking.waiting": "Réservation en liste d'attente",
    "booking.cancel": "Annulation de réservation",
    "booking.promote": "Place attribuée (liste d'attente)",
    "attendance.mark": "Pointage",
    "attendance.justify": "Absence justifiée",
    "family.create": "Création du dossier famille",
    "family.update": "Modification du dossier famille",
    "family.export": "Export des données de la famille",
    "guardian.create": "Ajout d'un responsable",
    "guardian.update": "Modification d'un responsable",
    "guardian.remove": "Retrait d'un responsable",
    "child.create": "Ajout d'un enfant",
    "child.update": "Modification d'un enfant",
    "child.attach": "Rattachement d'un enfant",
    "link.update": "Modification d'un rattachement",
    "contact.create": "Ajout d'un contact",
    "contact.update": "Modification d'un contact",
    "contact.remove": "Retrait d'un contact",
    "form.draft": "Fiche enregistrée (brouillon)",
    "form.submit": "Fiche envoyée en validation",
    "form.validate": "Fiche validée",
    "form.reject": "Fiche rejetée",
    "form.expire": "Fiche à mettre à jour",
    "portal.create": "Compte portail créé",
    "portal.reissue": "Nouveau mot de passe provisoire envoyé",
    "portal.enable": "Compte portail activé",
    "portal.disable": "Compte portail désactivé",
    "portal.login": "Connexion au portail",
    "portal.login_failed": "Connexion au portail refusée",
    "portal.password_change_failed": "Changement de mot de passe du portail refusé",
    "portal.password_change": "Mot de passe du portail changé",
    "portal.reset_request": "Demande de réinitialisation",
    "portal.reset_done": "Mot de passe réinitialisé",
    "news.create": "Actualité publiée",
    "news.update": "Actualité modifiée",
    "news.withdraw": "Actualité retirée",
    "demo.generate": "Création de la commune de démonstration",
    "nightly.run": "Tâches de nuit",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    actor: str
    actor_name: str
    action: str
    action_label: str
    entity: str
    entity_id: int | None
    family_number: str | None
    family_name: str | None
    details: dict[str, object]

    @property
    def details_text(self) -> str:
        """Details as "key=value" words, empty values left out."""
        return ", ".join(f"{k}={v}" for k, v in self.details.items() if v not in (None, "", [], {}))


@dataclass(frozen=True)
class AuditPage:
    lines: list[AuditLine]
    truncated: bool  # more rows match than `limit`: the oldest are left out


def list_audit(
    ctx: Context,
    *,
    family_number: str | None = None,
    agent_login: str | None = None,
    since: date | None = None,
    until: date | None = None,
    action: str | None = None,
    limit: int = 200,
) -> AuditPage:
    """The matching rows, oldest first, at most `limit` (the most recent ones). From the
    CLI the caller is the system; from the UI only a régisseur or an admin may read it."""
    if ctx.actor is not None:
        require(ctx, "audit.read")
    if limit < 1:
        raise ServiceError("La limite doit être positive.", field="limite")
    if since and until and until < since:
        raise ServiceError("La date de fin précède la date de début.", field="depuis")
    family_id = family_by_number(ctx, family_number) if family_number else None
    login = (agent_login or "").strip() or None

    def _work(session: Session) -> AuditPage:
        agents = session.execute(select(col(Agent.login), col(Agent.full_name))).all()
        names = {f"agent:{lg}": full for lg, full in agents}
        if login is not None and f"agent:{login}" not in names and login != "system":
            raise ServiceError(f"Agent inconnu : {login}.", field="agent")
        stmt = (select(AuditLog, col(Family.number), col(Family.name))
                .outerjoin(Family, col(Family.id) == col(AuditLog.family_id)))
        if family_id is not None:
            stmt = stmt.where(col(AuditLog.family_id) == family_id)
        if login is not None:
            if login == "system":  # the system, whoever ran the command (« system:root, ssh … »)
                stmt = stmt.where(or_(col(AuditLog.actor) == "system", col(AuditLog.actor).like("system:%")))
            else:
                stmt = stmt.where(col(AuditLog.actor) == f"agent:{login}")
        if since is not None:
            stmt = stmt.where(col(AuditLog.at) >= paris(since))
        if until is not None:
            stmt = stmt.where(col(AuditLog.at) < paris(until + timedelta(days=1)))
        if action:
            # "payment" means every payment.* action; "payment.refund" that one only.
            family_of_actions = action.rstrip(".")
            stmt = stmt.where(col(AuditLog.action) == action if "." in family_of_actions
                              else col(AuditLog.action).startswith(f"{family_of_actions}.", autoescape=True))
        rows = session.execute(stmt.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).limit(limit + 1)).all()
        truncated = len(rows) > limit
        lines = []
        for row, number, name in reversed(rows[:limit]):
            try:
                details = json.loads(row.details or "{}")
            except ValueError:
                details = {"texte": row.details}
            if not isinstance(details, dict):
                details = {"valeur": details}
            lines.append(AuditLine(
                id=int(row.id or 0), at=row.at, actor=row.actor,
                actor_name=names.get(row.actor) or _actor_name(row.actor),
                action=row.action, action_label=action_label(row.action), entity=row.entity,
                entity_id=row.entity_id,
                family_number=format_family_number(number) if number is not None else None,
                family_name=name, details=details))
        return AuditPage(lines=lines, truncated=truncated)

    return ctx.db.read(_work)


def _actor_name(tag: str) -> str:
    kind, _, who = tag.partition(":")
    if kind == "system" or tag == "system":
        return "Système" if not who else f"Système ({who})"
    if kind == "famille":
        return f"Famille ({who})"
    return who or tag
