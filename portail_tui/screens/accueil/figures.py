"""The service day's figures on Accueil (P6), for régisseurs and administrators: kept
apart from the screen so lane after lane can add its line without touching the rest."""

from __future__ import annotations

from rich.text import Text

from portail_tui.domain.frdates import format_date_long
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.service_day.figures import DayFigures, day_figures, shows_figures


def service_day_figures(ctx: Context) -> DayFigures | None:
    """The figures of today, or None for a role that does not see them (called from
    the screen's worker thread)."""
    if not shows_figures(ctx):
        return None
    try:
        return day_figures(ctx, ctx.clock.today())
    except ServiceError:
        return None


def figures_text(figures: DayFigures) -> Text:
    text = Text()
    text.append("Aujourd'hui : ", style="bold")
    if not figures.activities:
        text.append("aucun enfant attendu.")
    text.append(" · ".join(f"{a.label} {a.expected} attendu{'s' if a.expected > 1 else ''}, "
                           f"{a.marked} pointé{'s' if a.marked > 1 else ''}" for a in figures.activities))
    text.append("\n")
    if figures.meals_day is not None:
        text.append(f"Repas du {format_date_long(figures.meals_day, year=False)} : ", style="bold")
        text.append(" · ".join(f"{school} {n}" for school, n in figures.meals) or "aucun repas")
        text.append("\n")
    return text
