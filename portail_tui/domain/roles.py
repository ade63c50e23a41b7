"""The agents' roles as the UI names them (header, Accueil)."""

from __future__ import annotations

# Role code (models.core.ROLES) → French label.
ROLE_LABELS: dict[str, str] = {"agent": "agent", "regisseur": "régisseur", "admin": "administrateur"}


def role_label(role: str) -> str:
    """The French label; an unknown code is shown as it is rather than hidden."""
    return ROLE_LABELS.get(role, role)
