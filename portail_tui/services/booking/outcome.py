"""What Valider answers (R10): one outcome per cart line, in the cart's order, and the
sentence the recap shows."""

from __future__ import annotations

from dataclasses import dataclass

from portail_tui.domain.booking_cart import CartLine


@dataclass(frozen=True)
class LineOutcome:
    line: CartLine
    outcome: str  # "confirmed" | "waiting" | "cancelled" | "refused"
    reason: str = ""
    booking_id: int | None = None
    price_cents: int | None = None


@dataclass(frozen=True)
class CartResult:
    outcomes: tuple[LineOutcome, ...]
    promoted: int = 0

    def _of(self, kind: str) -> list[LineOutcome]:
        return [o for o in self.outcomes if o.outcome == kind]

    @property
    def confirmed(self) -> list[LineOutcome]:
        return self._of("confirmed")

    @property
    def waiting(self) -> list[LineOutcome]:
        return self._of("waiting")

    @property
    def cancelled(self) -> list[LineOutcome]:
        return self._of("cancelled")

    @property
    def refused(self) -> list[LineOutcome]:
        return self._of("refused")

    @property
    def summary(self) -> str:
        """"3 réservations enregistrées, 1 annulation, 1 en liste d'attente, 2 refusées.\""""
        def n(k: int, one: str, many: str) -> str:
            return f"{k} {one if k <= 1 else many}"

        parts = [n(len(self.confirmed), "réservation enregistrée", "réservations enregistrées")]
        if self.cancelled:
            parts.append(n(len(self.cancelled), "annulation", "annulations"))
        if self.waiting:
            parts.append(f"{len(self.waiting)} en liste d'attente")
        if self.refused:
            parts.append(n(len(self.refused), "refusée", "refusées"))
        text = ", ".join(parts) + "."
        if self.promoted:
            text += f" {n(self.promoted, 'place libérée attribuée', 'places libérées attribuées')}" \
                    " à un enfant en attente (courriel envoyé)."
        return text
