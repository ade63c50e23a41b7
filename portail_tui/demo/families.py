"""Households of the demo town: guardians, children, the links between them, and the
emergency contacts.

A household is a couple, a single parent, or two separated parents sharing custody
(two families, the shared children linked to both). Rows are built as plain tuples
for the bulk loader; the search words are built by the service's own
``build_search_text`` from light stand-ins, so the demo's search behaves as the
application's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any, cast

from portail_tui.demo import names as N
from portail_tui.demo.spec import SHARED_RESIDENCE, TownContext, bracket_index
from portail_tui.models import Child, Family, Guardian
from portail_tui.services.families import build_search_text


@dataclass(slots=True)
class PersonStub:
    """Duck-typed stand-in for Guardian/Child/Family rows, for `build_search_text`."""

    last_name: str = ""
    first_name: str = ""
    email: str | None = None
    phone_home: str | None = None
    phone_mobile: str | None = None
    phone_work: str | None = None
    name: str = ""
    number: int = 0


@dataclass(slots=True)
class FamilyDraft:
    id: int
    number: int
    quotient: int | None
    bracket: int
    tag: str
    payer: str
    guardians: list[PersonStub] = field(default_factory=list)
    guardian_rows: list[tuple[Any, ...]] = field(default_factory=list)
    children: list[PersonStub] = field(default_factory=list)
    row: tuple[Any, ...] = ()

    @property
    def created_at(self) -> datetime:
        return cast(datetime, self.row[11])


@dataclass(slots=True)
class ChildDraft:
    id: int
    first_name: str
    last_name: str
    sex: str
    class_index: int
    families: list[FamilyDraft]
    group: int = 0  # index in ctx.school_groups


class FamilyMaker:
    """Draws households one after the other and keeps the rows of the current chunk
    (children, family links, contacts) until the generator loads them."""

    def __init__(self, ctx: TownContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.family_id = self.guardian_id = self.child_id = self.member_id = self.contact_id = 0
        self.kids: list[ChildDraft] = []
        self.members: list[tuple[Any, ...]] = []
        self.contact_rows: list[tuple[Any, ...]] = []
        # A big town's school groups are drawn from a source of their own: the main
        # draws, hence every small town's rows, stay as they were.
        self.groups = ctx.school_groups
        self.school_rng = random.Random(f"portail-demo-schools-{ctx.seed}")
        self.group_weights = list(accumulate(g.weight for g in self.groups))

    def start_chunk(self) -> None:
        self.kids = []
        self.members = []
        self.contact_rows = []

    def done(self) -> bool:
        return self.family_id >= self.ctx.n_families

    def quotient(self) -> int | None:
        r = self.rng.random()
        if r < 0.04:
            return None
        if r < 0.36:
            return self.rng.randint(180, 700)
        if r < 0.70:
            return self.rng.randint(701, 1200)
        return self.rng.randint(1201, 2600)

    def address(self) -> dict[str, Any]:
        rng = self.rng
        postal, city = N.MAIN_TOWN if rng.random() < 0.86 else rng.choice(N.NEIGHBOUR_TOWNS)
        return {
            "address_complement": rng.choice(N.COMPLEMENTS) if rng.random() < 0.12 else None,
            "street_number": str(rng.randint(1, 48)) + (" bis" if rng.random() < 0.04 else ""),
            "street_name": rng.choice(N.STREETS),
            "locality": rng.choice(N.LOCALITIES) if rng.random() < 0.15 else None,
            "postal_code": postal,
            "city": city,
        }

    def guardian(self, fam: FamilyDraft, rank: int, civility: str, first: str, last: str,
                 addr: dict[str, Any]) -> None:
        rng = self.rng
        person = PersonStub(
            last_name=last, first_name=first, email=self.ctx.email(first, last),
            phone_home=self.ctx.phone("0555") if rng.random() < 0.35 else None,
            phone_mobile=self.ctx.phone(rng.choice(("06", "07"))),
            phone_work=self.ctx.phone(rng.choice(("0555", "0587"))) if rng.random() < 0.25 else None,
        )
        fam.guardians.append(person)
        self.guardian_id += 1
        fam.guardian_rows.append((
            self.guardian_id, fam.id, rank, civility, last, first, addr["address_complement"],
            addr["street_number"], addr["street_name"], addr["locality"], addr["postal_code"],
            addr["city"], person.phone_home, person.phone_mobile, person.phone_work, person.email,
        ))

    def new_family(self, quotient: int | None = None) -> FamilyDraft:
        self.family_id += 1
        q = self.quotient() if quotient is None else quotient
        number = self.family_id
        return FamilyDraft(id=self.family_id, number=number, quotient=q, bracket=bracket_index(q),
                           tag=f"famille:{number:06d}", payer="")

    def finish_family(self, fam: FamilyDraft, created: datetime) -> None:
        rng = self.rng
        g1 = fam.guardians[0]
        display = g1.last_name.upper()
        fam.payer = f"{g1.first_name} {g1.last_name}"
        r = rng.random()
        alloc_type = "CAF" if r < 0.86 else ("MSA" if r < 0.94 else None)
        alloc_number = f"{rng.randint(10**6, 10**7 - 1)}" if alloc_type else None
        stand_in = PersonStub(name=display, number=fam.number, email=g1.email)
        search = build_search_text(cast(Family, stand_in), cast(list[Guardian], fam.guardians),
                                   cast(list[Child], fam.children))
        year = self.ctx.today.year
        updated = max(created, self.ctx.at(date(year, 1, rng.randint(2, 28)), rng.randint(540, 1020)))
        if updated > self.ctx.now:
            updated = created
        fam.row = (
            fam.id, self.ctx.regie_id, fam.number, display, g1.email, fam.quotient,
            date(year, 1, 1) if fam.quotient is not None else None,
            date(year, 12, 31) if fam.quotient is not None else None,
            alloc_type, alloc_number, search, created, updated,
        )

    def family_created_at(self) -> datetime:
        rng = self.rng
        d = date(self.ctx.sy - rng.randint(0, 5), rng.randint(3, 6), rng.randint(1, 28))
        return self.ctx.at(d, rng.randint(510, 1050))

    def new_kid(self, last: str, class_index: int, first: str | None = None,
                sex: str | None = None) -> ChildDraft:
        rng = self.rng
        sex = sex or rng.choice("FM")
        if first is None:
            first = rng.choice(N.GIRLS if sex == "F" else N.BOYS)
        self.child_id += 1
        return ChildDraft(self.child_id, first, last, sex, class_index, [])

    def kid_classes(self, count: int) -> list[int]:
        return sorted(self.rng.sample(range(8), count), reverse=True)

    def household(self) -> list[FamilyDraft]:
        """One household, its children in one school group (siblings together)."""
        first = len(self.kids)
        families = self.draw_household()
        if len(self.groups) > 1:
            group = self.school_rng.choices(range(len(self.groups)), cum_weights=self.group_weights)[0]
            for kid in self.kids[first:]:
                kid.group = group
        return families

    def draw_household(self) -> list[FamilyDraft]:
        """One household: a couple, a single parent, or two separated parents sharing
        custody (two families, the shared children linked to both)."""
        rng = self.rng
        remaining = self.ctx.n_families - self.family_id
        showcase = self.family_id == 0
        r = rng.random()
        if not showcase and (self.family_id == 1 or r < 0.065) and remaining >= 2:
            return self.shared_household()
        created = self.family_created_at()
        kind = "couple" if (showcase or r < 0.80) else "single"
        fam = self.new_family(quotient=640 if showcase else None)
        addr = self.address()
        kids: list[ChildDraft]
        if showcase:
            # The family every demo and test starts from: "lea" must find it.
            self.guardian(fam, 1, "Mme", "Hélène", "Lefèvre", addr)
            self.guardian(fam, 2, "M.", "Jérôme", "Lefèvre", addr)
            kids = [self.new_kid("Lefèvre", 4, "Léa", "F"), self.new_kid("Lefèvre", 2, "Noé", "M")]
            situation, residence, link = "Mariés", "domicile familial", "Parents"
        elif kind == "couple":
            father_last = rng.choice(N.LAST_NAMES)
            mother_last = father_last if rng.random() < 0.7 else rng.choice(N.LAST_NAMES)
            mother = ("Mme", rng.choice(N.WOMEN), mother_last)
            father = ("M.", rng.choice(N.MEN), father_last)
            first, second = (mother, father) if rng.random() < 0.75 else (father, mother)
            self.guardian(fam, 1, *first, addr)
            self.guardian(fam, 2, *second, addr)
            kid_last = father_last
            if mother_last != father_last and rng.random() < 0.15:
                kid_last = f"{father_last}-{mother_last}"
            kids = [self.new_kid(kid_last, c) for c in self.kid_classes(self.kid_count())]
            situation = rng.choice(N.SITUATIONS_COUPLE)
            residence, link = "domicile familial", "Parents"
        else:
            is_mother = rng.random() < 0.8
            civ, pool = ("Mme", N.WOMEN) if is_mother else ("M.", N.MEN)
            last = rng.choice(N.LAST_NAMES)
            self.guardian(fam, 1, civ, rng.choice(pool), last, addr)
            kids = [self.new_kid(last, c) for c in self.kid_classes(self.kid_count())]
            situation = rng.choice(N.SITUATIONS_SINGLE)
            residence = "chez la mère" if is_mother else "chez le père"
            link = "Mère" if is_mother else "Père"
        for kid in kids:
            self.link(fam, kid, link, situation, residence, caf=True)
        self.finish_family(fam, created)
        self.kids.extend(kids)
        return [fam]

    def kid_count(self) -> int:
        r = self.rng.random()
        return 1 if r < 0.45 else 2 if r < 0.85 else 3 if r < 0.97 else 4

    def shared_household(self) -> list[FamilyDraft]:
        rng = self.rng
        created = self.family_created_at()
        father_last = rng.choice(N.LAST_NAMES)
        mother_last = rng.choice(N.LAST_NAMES) if rng.random() < 0.6 else father_last
        mother_fam = self.new_family()
        self.guardian(mother_fam, 1, "Mme", rng.choice(N.WOMEN), mother_last, self.address())
        father_fam = self.new_family()
        self.guardian(father_fam, 1, "M.", rng.choice(N.MEN), father_last, self.address())
        situation = rng.choice(("Séparés", "Divorcés"))
        shared = [self.new_kid(father_last, c)
                  for c in self.kid_classes(1 if rng.random() < 0.6 else 2)]
        for kid in shared:
            self.link(mother_fam, kid, "Mère", situation, SHARED_RESIDENCE, caf=True)
            self.link(father_fam, kid, "Père", situation, SHARED_RESIDENCE, caf=False)
        own: list[ChildDraft] = []
        if rng.random() < 0.25:  # a younger half-sibling living with the mother
            kid = self.new_kid(mother_last, rng.randint(0, 2))
            self.link(mother_fam, kid, "Mère", "Vie maritale", "domicile familial", caf=True)
            own.append(kid)
        self.finish_family(mother_fam, created)
        self.finish_family(father_fam, created + timedelta(days=rng.randint(0, 30)))
        self.kids.extend(shared + own)
        return [mother_fam, father_fam]

    def link(self, fam: FamilyDraft, kid: ChildDraft, relationship: str, situation: str,
             residence: str, *, caf: bool) -> None:
        kid.families.append(fam)
        fam.children.append(PersonStub(last_name=kid.last_name, first_name=kid.first_name))
        self.member_id += 1
        self.members.append((self.member_id, fam.id, kid.id, relationship, situation, True,
                             residence, True, caf))

    def child_row(self, kid: ChildDraft) -> tuple[Any, ...]:
        rng = self.rng
        birth_year = self.ctx.sy - 3 - kid.class_index
        birth = date(birth_year, 1, 1) + timedelta(days=rng.randint(0, 364))
        school = self.groups[kid.group].school_of(kid.class_index)
        return (kid.id, kid.last_name, kid.first_name, birth, kid.sex, school,
                N.CLASSES[kid.class_index], kid.families[0].created_at)

    def contacts(self, fam: FamilyDraft) -> None:
        rng = self.rng
        g1 = fam.guardians[0]
        for _ in range(1 if rng.random() < 0.55 else 2):
            link = rng.choice(N.CONTACT_LINKS)
            female = link in ("Grand-mère", "Tante", "Voisine", "Assistante maternelle", "Marraine")
            first = rng.choice(N.WOMEN if female else N.MEN)
            last = g1.last_name if link.startswith("Grand") and rng.random() < 0.6 else rng.choice(N.LAST_NAMES)
            self.contact_id += 1
            self.contact_rows.append((
                self.contact_id, fam.id, None, f"{first} {last}",
                self.ctx.phone(rng.choice(("06", "07", "0555"))), link, rng.random() < 0.65, True,
            ))
