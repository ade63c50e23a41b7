"""Payments of the demo town: prepaid wallets topped up at the counter or online.

Receipt numbers are given in chronological order with no gap, so the receipt counter
can end at the last one; one cheque came back unpaid and was reversed (never
deleted, B4).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portail_tui.demo import names as N
from portail_tui.demo.setup import is_open_day
from portail_tui.demo.spec import TownContext
from portail_tui.domain.school_calendar import SchoolCalendar


class PaymentMaker:
    def __init__(self, ctx: TownContext, cal: SchoolCalendar, consumed: list[int]) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.at = ctx.at
        self.today = ctx.today
        self.cal = cal
        self.consumed = consumed

    def payments(self, fams: list[tuple[int, str, str]]) -> list[tuple[Any, ...]]:
        """Prepaid wallets: each family paid roughly what it consumed over the last three
        months, in one to four payments, leaving most balances near zero."""
        rng = self.rng
        start = self.today - timedelta(days=91)
        span = 90
        entries: list[list[Any]] = []
        for fid, tag, payer in fams:
            consumed = self.consumed[fid]
            r = rng.random()
            if r < 0.62:
                target = rng.randint(-300, 300)
            elif r < 0.82:
                target = -rng.randint(1000, 9000)
            else:
                target = rng.randint(500, 6000)
            total = consumed + target
            if consumed == 0:
                total = target if target >= 2000 else 0
            if total < 100:
                continue
            k = rng.choices((1, 2, 3, 4), (20, 30, 35, 15))[0]
            k = max(1, min(k, total // 2000))
            remaining = total
            for j in range(k):
                if j == k - 1:
                    amount = remaining
                else:
                    share = total / k * rng.uniform(0.75, 1.25)
                    amount = max(100, int(round(share / 100)) * 100)
                    amount = min(amount, remaining - 100 * (k - 1 - j))
                remaining -= amount
                offset = int(span * (j + rng.random()) / k)
                entries.append(self.payment_entry(fid, tag, payer, amount, start + timedelta(days=offset)))
        # A cheque came back unpaid: the régisseur reversed it (never deleted, B4).
        cheques = [e for e in entries if e[2] == "cheque" and e[1].date() < self.today - timedelta(days=10)]
        for e in rng.sample(cheques, min(len(cheques), max(1, self.ctx.n_families // 5000))):
            day = self.next_open_day(e[1].date() + timedelta(days=rng.randint(3, 6)))
            if day >= self.today:
                continue
            entries.append([e[0], self.at(day, rng.randint(540, 1000)), e[2], -e[3], "reversal", e, e[6],
                            None, None, None, "Chèque rejeté par la banque (défaut de provision)",
                            "agent:regisseur", None])
        entries.sort(key=lambda e: (e[1], e[0]))
        rows = []
        for number, e in enumerate(entries, start=1):
            e.append(number)
        for e in entries:
            fid, created, mode, amount, kind, orig, payer, cnum, bank, drawer, reason, by, ref = e[:13]
            number = e[13]
            rows.append((number, self.ctx.regie_id, fid, number, kind, mode, amount, payer, cnum, bank,
                         drawer, ref, orig[13] if orig else None, reason, created.date(), created, by))
        return rows

    def next_open_day(self, d: date) -> date:
        while not is_open_day(self.cal, d):
            d += timedelta(days=1)
        return d

    def payment_entry(self, fid: int, tag: str, payer: str, amount: int, day: date) -> list[Any]:
        rng = self.rng
        modes = ["cb", "cheque", "payfip", "virement"]
        weights = [25, 22, 22, 10]
        if amount <= 30000:
            modes.append("especes")
            weights.append(13)
        if amount % 100 == 0:
            modes.append("cesu")
            weights.append(5)
        if amount % 1000 == 0:
            modes.append("ancv")
            weights.append(4)
        mode = rng.choices(modes, weights)[0]
        cnum = bank = drawer = ref = None
        if mode == "payfip":
            by = tag
            created = self.at(day, rng.randint(420, 1379))
            ref = f"PF{day:%Y%m%d}{fid:06d}{rng.randint(0, 99):02d}"
        else:
            by = "agent:agent" if rng.random() < 0.75 else "agent:regisseur"
            if mode == "virement":
                ref = f"VIR {day:%d%m%y} {rng.randint(10**5, 10**6 - 1)}"
            elif mode == "cesu":
                ref = f"CESU {rng.randint(10**6, 10**7 - 1)}"
            elif mode == "ancv":
                ref = f"ANCV {rng.randint(10**6, 10**7 - 1)}"
            elif mode == "cheque":
                cnum = f"{rng.randint(10**6, 10**7 - 1)}"
                bank = rng.choice(N.BANKS)
                drawer = payer
            day = self.next_open_day(day)
            created = self.at(day, rng.randint(510, 1049))
        last = self.today - timedelta(days=1)
        if created.date() > last:
            created = self.at(last, min(created.hour * 60 + created.minute, 1049))
        return [fid, created, mode, amount, "payment", None, payer, cnum, bank, drawer, None, by, ref]
