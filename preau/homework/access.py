"""Who may see and write the cahier de textes (docs/homework.md, access.md), decided
here for pages, the API, downloads and the home pages alike.

- The pupil sees their own homework and the contents of their sessions, and ticks
  "fait"; both legal guardians alike see the same; persons in charge and contacts
  (levels 2 and 3) see them unless the establishment turned it off
  (`HomeworkPolicy.contacts_see_homework`, on by default).
- A teacher writes the contents and homework of the sessions they teach, and reads
  those of their teaching services (a colleague's session of a co-taught service).
- The direction reads everything in its establishment, withdraws a homework if need
  be, puts the visas and changes the settings; the vie scolaire (CPE, AED) and the
  secretariat read.
- Anybody else: a logged 404 (`preau.core.access.refuse`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from preau.core.access import StaffScope
from preau.core.models import ResponsibilityLevel, RoleKind
from preau.homework.models import HomeworkPolicy
from preau.structure.models import TeachingService
from preau.timetable.models import Occurrence
from preau.timetable.selectors import AUDIENCE_COLUMN, units_of_each_pupil

OWN = "own"
LEGAL = "legal"
CONTACT = "contact"

DIRECTION_ROLES = frozenset({RoleKind.DIRECTION})


def families_see_homework(establishment_ids: Iterable[int]) -> dict[int, bool]:
    """Whether persons in charge and contacts (levels 2 and 3) see homework in each
    establishment (legal guardians and the pupil always do). One query."""
    ids = set(establishment_ids)
    if not ids:
        return {}
    saved = dict(
        HomeworkPolicy.objects.filter(establishment_id__in=ids).values_list(
            "establishment_id", "contacts_see_homework"
        )
    )
    return {pk: saved.get(pk, True) for pk in ids}


def policy_of(establishment_id: int) -> HomeworkPolicy:
    """The establishment's settings (one query); the defaults when never saved, without
    writing anything on a read."""
    policy = HomeworkPolicy.objects.filter(establishment_id=establishment_id).first()
    return policy or HomeworkPolicy(establishment_id=establishment_id)


def link_of(level: int) -> str:
    return LEGAL if level == ResponsibilityLevel.LEGAL else CONTACT


def family_sees(*, link: str, contacts_see_homework: bool) -> bool:
    """Whether a reader linked to the pupil by `link` (OWN, LEGAL or CONTACT) sees the
    pupil's cahier de textes."""
    if link in (OWN, LEGAL):
        return True
    return contacts_see_homework


# -- Families and pupils -------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """The pupil a family or pupil page is about, and whether the reader sees their
    cahier de textes."""

    pupil_id: int
    name: str
    establishment_id: int
    link: str
    sees: bool

    @property
    def own(self) -> bool:
        return self.link == OWN


def concerns(occurrence: Occurrence, pupil_ids: Iterable[int], days: Iterable[date]) -> bool:
    """Whether, on one of `days`, the occurrence's audience holds one of the pupils (the
    audience prefetched or read in one more query; five for the memberships)."""
    days = sorted(set(days))
    pupil_ids = list(pupil_ids)
    if not pupil_ids or not days:
        return False
    each = units_of_each_pupil(pupil_ids, days[0], days[-1])
    for unit in occurrence.audience.all():
        for kind, column in AUDIENCE_COLUMN.items():
            value = getattr(unit, column)
            if value is None:
                continue
            for units in each.values():
                for span in units.get((kind, value), ()):
                    if any(span.start <= day <= span.end for day in days):
                        return True
    return False


# -- Staff ----------------------------------------------------------------------------------


def is_direction(scope: StaffScope) -> bool:
    return bool(scope.roles & DIRECTION_ROLES)


def may_review(scope: StaffScope) -> bool:
    """The workload page: teachers and the direction."""
    return scope.teaches or is_direction(scope)


def teaches(scope: StaffScope, occurrence: Occurrence) -> bool:
    """The staff member teaches this session (teachers prefetched or one query)."""
    return (
        scope.teaches
        and occurrence.establishment_id == scope.establishment_id
        and any(teacher.pk == scope.person_id for teacher in occurrence.teachers.all())
    )


def services_q(services: Iterable[TeachingService]) -> Q:
    """Occurrences belonging to one of the teaching services: the service's subject,
    given to its division (whole or a class part of it) or to its group."""
    condition = Q(pk__in=[])
    for service in services:
        if service.division_id:
            condition |= Q(subject_id=service.subject_id) & (
                Q(audience__division_id=service.division_id)
                | Q(audience__class_part__division_id=service.division_id)
            )
        else:
            condition |= Q(subject_id=service.subject_id, audience__group_id=service.group_id)
    return condition


def in_own_services(scope: StaffScope, occurrence: Occurrence) -> bool:
    """The session belongs to one of the staff member's teaching services (one query;
    the audience prefetched)."""
    if not scope.teaches or occurrence.subject_id is None:
        return False
    divisions = set()
    groups = set()
    for unit in occurrence.audience.all():
        if unit.division_id:
            divisions.add(unit.division_id)
        elif unit.class_part_id:
            divisions.add(unit.class_part.division_id)
        elif unit.group_id:
            groups.add(unit.group_id)
    return (
        TeachingService.objects.filter(
            establishment_id=scope.establishment_id,
            teachers=scope.person_id,
            subject_id=occurrence.subject_id,
        )
        .filter(Q(division_id__in=divisions) | Q(group_id__in=groups))
        .exists()
    )


def staff_reads(scope: StaffScope, occurrence: Occurrence) -> bool:
    if occurrence.establishment_id != scope.establishment_id:
        return False
    if scope.sees_whole_establishment:
        return True
    return teaches(scope, occurrence) or in_own_services(scope, occurrence)


def staff_writes(scope: StaffScope, occurrence: Occurrence) -> bool:
    """Only the teachers of the session write its content and homework."""
    return teaches(scope, occurrence)
