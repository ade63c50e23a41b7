"""`portail nightly`: the routine work of the night, in order, each step idempotent so
that running the job twice (cron retried, an administrator re-running a night) changes
nothing the second time:

1. the booking digests of the previous day (one e-mail per family, deduplicated);
2. waiting-list promotions still pending (places freed other than by a cancellation,
   e.g. a capacity raised);
3. forms that expired (insurance end date) or belong to a past school year (rollover);
4. online payments still waiting for the DGFiP's confirmation, asked again (PayFiP);
5. each school's meal list for the next service day, to its kitchen (P4, once per school
   and day);
6. delivery of the outbox (services/mail.py).

A step that fails is reported and the next ones still run: a mail server down must not
stop the forms from expiring. The steps are imported directly: a step renamed or removed
breaks the import (and the tests) instead of turning into a quiet « service indisponible ».
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from portail_tui.config import SmtpSettings
from portail_tui.services.booking import promote_waiting
from portail_tui.services.booking_digest import queue_booking_digests
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.forms import expire_forms
from portail_tui.services.mail import DeliveryReport, deliver_outbox
from portail_tui.services.payfip import nightly_confirm
from portail_tui.services.service_day.kitchen import queue_kitchen_mails


@dataclass(frozen=True)
class StepResult:
    label: str
    count: int | None = None
    note: str = ""
    skipped: bool = False
    error: str | None = None


@dataclass
class NightlyReport:
    today: date
    steps: list[StepResult] = field(default_factory=list)
    delivery: DeliveryReport | None = None

    @property
    def ok(self) -> bool:
        return all(s.error is None for s in self.steps) and (self.delivery is None or self.delivery.ok)

    def count(self, label_start: str) -> int | None:
        for step in self.steps:
            if step.label.startswith(label_start):
                return step.count
        return None


DIGESTS = "Récapitulatifs des réservations"
PROMOTIONS = "Places attribuées (listes d'attente)"
FORMS = "Fiches à mettre à jour"
PAYFIP = "Paiements en ligne PayFiP vérifiés"
KITCHEN = "Listes des repas envoyées aux cuisines"
MAIL = "Envoi des courriels"


def _step(report: NightlyReport, label: str, fn: Callable[[], int], note: str = "") -> None:
    try:
        count = fn()
    except ServiceError as exc:
        report.steps.append(StepResult(label, error=exc.message))
    except Exception as exc:  # noqa: BLE001 - one broken step must not stop the night
        report.steps.append(StepResult(label, error=f"{type(exc).__name__} : {exc}"))
    else:
        report.steps.append(StepResult(label, count=count, note=note))


def run_nightly(ctx: Context, today: date, *, smtp: SmtpSettings | None,
                smtp_error: str | None = None) -> NightlyReport:
    """Run every step for the night ending on `today` (the date the job runs). Without
    `smtp`, delivery is skipped (no mail server configured) or, with `smtp_error`,
    reported as failed (a configuration mistake)."""
    report = NightlyReport(today=today)
    yesterday = today - timedelta(days=1)

    # Module globals looked up at call time, so a test can make one step fail.
    _step(report, DIGESTS, lambda: queue_booking_digests(ctx, yesterday),
          note=f"journée du {yesterday:%d/%m/%Y}")
    _step(report, PROMOTIONS, lambda: promote_waiting(ctx, today))
    _step(report, FORMS, lambda: expire_forms(ctx, today), note=f"rentrée au {ctx.settings.rollover}")
    # Before the mail: a payment confirmed now gets its confirmation e-mail tonight.
    _step(report, PAYFIP, lambda: nightly_confirm(ctx))
    _step(report, KITCHEN, lambda: queue_kitchen_mails(ctx, today))

    if smtp is None:
        if smtp_error:
            report.steps.append(StepResult(MAIL, error=smtp_error))
        else:
            report.steps.append(StepResult(MAIL, skipped=True,
                                           note="envoi non configuré (PORTAIL_SMTP_HOST)"))
    else:
        try:
            report.delivery = deliver_outbox(ctx, smtp)
        except Exception as exc:  # noqa: BLE001
            report.steps.append(StepResult(MAIL, error=f"{type(exc).__name__} : {exc}"))
        else:
            report.steps.append(StepResult(MAIL, count=report.delivery.sent,
                                           error=report.delivery.connection_error))
    return report
