"""The schools of the demo town, in proportion to its size.

A small town (up to FILE_SCHOOLS_MAX_FAMILIES families) keeps exactly the example
file's schools: every test pinned to the small demo towns sees the same rows. A
bigger one is cut into school groups of about FAMILIES_PER_GROUP families, each a
maternelle and an élémentaire with their classes and kitchen e-mail, as a real town
of that size has: otherwise a 20,000-family town would send 7,000 children to one
canteen and its pointage list would measure nothing a counter ever sees.

The groups' relative sizes are fixed (not seeded): the town's frame does not depend
on the seed, only the families drawn into it do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from portail_tui.demo import names as N
from portail_tui.domain.text import normalize
from portail_tui.services.regie_setup import SetupFile
from portail_tui.services.regie_setup.model import SchoolSpec

FILE_SCHOOLS_MAX_FAMILIES = 1200
# ~1.6 children per family, 3/8 in maternelle: about 210 maternelle and 350 élémentaire
# pupils per group on average, the largest a quarter more (under 450, as real schools).
FAMILIES_PER_GROUP = 350
MATERNELLE_CLASSES = N.CLASSES[:3]
ELEMENTAIRE_CLASSES = N.CLASSES[3:]


@dataclass(frozen=True)
class SchoolGroup:
    """A maternelle and the élémentaire its pupils go on to: siblings share a group."""

    maternelle: str  # the school's name, as Child.school writes it
    elementaire: str
    weight: float  # relative number of families
    specs: tuple[SchoolSpec, ...] = ()  # the schools the file lacks (none for the file's group)

    def school_of(self, class_index: int) -> str:
        return self.maternelle if class_index < len(MATERNELLE_CLASSES) else self.elementaire


FILE_GROUP = SchoolGroup(N.MATERNELLE, N.ELEMENTAIRE, 1.0)


def group_count(families: int) -> int:
    if families <= FILE_SCHOOLS_MAX_FAMILIES:
        return 1
    return -(-families // FAMILIES_PER_GROUP)


def _named(names: tuple[str, ...], i: int) -> str:
    """The i-th name of the list; past its end, the same names again with a number
    (« Les Tilleuls 2 »), as towns with two schools of one name do."""
    base = names[i % len(names)]
    return base if i < len(names) else f"{base} {i // len(names) + 1}"


def _spec(kind: str, prefix: str, name: str, classes: tuple[str, ...], domain: str) -> SchoolSpec:
    slug = normalize(name).replace(" ", "-")
    code = prefix + slug.replace("-", "").upper()[:19]
    return SchoolSpec(code=code, name=f"École {kind} {name}",
                      kitchen_email=f"cuisine.{slug}@{domain}", classes=classes)


def town_groups(families: int, domain: str) -> tuple[SchoolGroup, ...]:
    """The file's group first, then the groups a town of this size adds (their kitchens
    write from the régie's e-mail domain)."""
    n = group_count(families)
    sizes = random.Random("portail-demo-school-groups")
    groups = [FILE_GROUP]
    for i in range(n - 1):
        mat = _spec("maternelle", "M", _named(N.MATERNELLE_NAMES, i), MATERNELLE_CLASSES, domain)
        ele = _spec("élémentaire", "E", _named(N.ELEMENTAIRE_NAMES, i), ELEMENTAIRE_CLASSES, domain)
        groups.append(SchoolGroup(mat.name, ele.name, sizes.uniform(0.75, 1.25), (mat, ele)))
    return tuple(groups)


def add_schools(setup: SetupFile, groups: tuple[SchoolGroup, ...]) -> None:
    """Adds the groups' schools to the town's set-up file; an activity open to the
    file's maternelle (or élémentaire) only is opened to every added one of that kind,
    so that the demo's children stay eligible to what they book."""
    added = [spec for g in groups for spec in g.specs]
    if not added:
        return
    setup.schools = [*setup.schools, *added]
    by_name = {s.name: s.code for s in setup.schools}
    same_kind = {
        by_name[FILE_GROUP.maternelle]: tuple(by_name[g.maternelle] for g in groups[1:]),
        by_name[FILE_GROUP.elementaire]: tuple(by_name[g.elementaire] for g in groups[1:]),
    }
    for activity in setup.activities:
        if activity.eligible_schools is not None:
            activity.eligible_schools += tuple(
                c for code in activity.eligible_schools for c in same_kind.get(code, ()))
