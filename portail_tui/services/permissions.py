"""Who may do what (roles agent, régisseur, admin), enforced in the services.

One table, the only permission mechanism: a service asks `require` for an action
and the rule for that action lives here with the French words of its refusal. The UI
may hide what a role cannot do (`allowed`), but the service is what refuses.
"""

from __future__ import annotations

from portail_tui.services.context import Actor, Context, PermissionDenied

AGENT = ("agent", "regisseur", "admin")
REGISSEUR = ("regisseur", "admin")
ADMIN = ("admin",)

# action -> (roles allowed, French description used in the refusal)
RULES: dict[str, tuple[tuple[str, ...], str]] = {
    "booking.write": (AGENT, "modifier des réservations"),
    "payment.take": (AGENT, "encaisser un règlement"),
    "payment.reverse": (REGISSEUR, "annuler un règlement"),
    "payment.refund": (REGISSEUR, "rembourser une famille"),
    "payment.cash_override": (REGISSEUR, "dépasser le plafond des espèces (avec un motif)"),
    "cash.close": (REGISSEUR, "clôturer la caisse (arrêté de caisse)"),
    "cash.count": (AGENT, "saisir le comptage de la caisse"),
    "news.manage": (REGISSEUR, "gérer les actualités"),
    "form.fill": (AGENT, "saisir une fiche"),
    "form.decide": (REGISSEUR, "valider ou rejeter une fiche"),
    "family.edit": (AGENT, "modifier le dossier famille"),
    "portal.manage": (AGENT, "gérer les comptes du portail"),
    "agent.manage": (ADMIN, "gérer les comptes des agents"),
    "regie.manage": (REGISSEUR, "modifier les capacités, les périodes ou fermer un jour"),
    "audit.read": (REGISSEUR, "consulter le journal d'audit"),
    "export.family": (REGISSEUR, "exporter toutes les données d'une famille"),
    "import.families": (ADMIN, "importer les familles d'un autre logiciel"),
    "opening_balance.import": (ADMIN, "reprendre les soldes d'un autre logiciel"),
    "attendance.mark": (AGENT, "pointer les présences"),
    "attendance.late": (REGISSEUR, "modifier un pointage après le délai de pointage"),
}


def allowed(actor: Actor | None, action: str) -> bool:
    roles, _ = RULES[action]
    if actor is None:
        return False
    if actor.kind == "system":
        return True
    return actor.kind == "agent" and actor.role in roles


def _de(what: str) -> str:
    """« de gérer », « d'annuler », « d'exporter »: French elides before a vowel."""
    return f"d'{what}" if what[:1] in "aeéèêiouy" else f"de {what}"


def require(ctx: Context, action: str) -> Actor:
    """The acting agent, or PermissionDenied with a French reason."""
    actor = ctx.require_actor()
    if not allowed(actor, action):
        _, what = RULES[action]
        raise PermissionDenied(f"Votre rôle ne permet pas {_de(what)}.")
    return actor


def can_see_health(actor: Actor | None) -> bool:
    """Santé data (B6): only agents whose account carries the right, or the system."""
    if actor is None:
        return False
    return actor.kind == "system" or (actor.kind == "agent" and actor.can_see_health)


def system_actor(regie_id: int, operator: str | None = None) -> Actor:
    """The actor of nightly jobs and administrator commands; `operator` (the CLI's
    operating-system user and SSH client, `Context.operator`) is what the audit keeps."""
    return Actor(kind="system", login=operator or "nuit", regie_id=regie_id, role="admin", can_see_health=True,
                 full_name="Tâche automatique")
