"""What the home pages show, one function per kind of space, each a fixed number of
queries whatever the size of the establishment."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q

from preau.accounts.models import Account
from preau.core import calendar
from preau.core.models import Establishment, GradingPeriod, Guardianship, Person, Role, RoleKind
from preau.core.selectors import school_year_on
from preau.portal.spaces import Child, Space
from preau.structure.models import (
    ClassPartMembership,
    Division,
    Enrolment,
    GroupMembership,
    TeachingService,
)
from preau.structure.selectors import teacher_services


@dataclass(frozen=True)
class ChildCard:
    child: Child
    division: Division | None
    head_teachers: tuple[Person, ...]


def family_home(children: tuple[Child, ...], day: date) -> list[ChildCard]:
    enrolments = {
        enrolment.pupil_id: enrolment.division
        for enrolment in Enrolment.objects.on(day)
        .filter(pupil_id__in=[child.id for child in children])
        .select_related("division")
        .prefetch_related("division__head_teachers")
    }
    return [
        ChildCard(
            child=child,
            division=enrolments.get(child.id),
            head_teachers=tuple(enrolments[child.id].head_teachers.all())
            if child.id in enrolments
            else (),
        )
        for child in children
    ]


@dataclass(frozen=True)
class PupilHome:
    division: Division | None
    head_teachers: tuple[Person, ...]
    services: list[TeachingService]


def pupil_home(pupil_id: int, establishment_id: int, day: date) -> PupilHome:
    enrolment = (
        Enrolment.objects.on(day)
        .filter(pupil_id=pupil_id, division__establishment_id=establishment_id)
        .select_related("division")
        .prefetch_related("division__head_teachers")
        .first()
    )
    division = enrolment.division if enrolment else None
    services = _pupil_services(pupil_id, division, day) if division is not None else []
    return PupilHome(
        division=division,
        head_teachers=tuple(division.head_teachers.all()) if division else (),
        services=services,
    )


def _pupil_services(pupil_id: int, division: Division, day: date) -> list[TeachingService]:
    """Services taught to the pupil's division or to a group the pupil is in."""
    part_ids = ClassPartMembership.objects.on(day).filter(pupil_id=pupil_id).values("class_part")
    direct_group_ids = GroupMembership.objects.on(day).filter(pupil_id=pupil_id).values("group")
    services = (
        TeachingService.objects.filter(school_year_id=division.school_year_id)
        .filter(
            Q(division=division)
            | Q(group__divisions=division)
            | Q(group__class_parts__in=part_ids)
            | Q(group__in=direct_group_ids)
        )
        .select_related("subject", "group", "division")
        .prefetch_related("teachers")
        .distinct()
    )
    return sorted(services, key=lambda service: service.subject.label)


@dataclass(frozen=True)
class TeacherHome:
    services: list[TeachingService]
    head_of: list[Division]


def teacher_home(person_id: int, establishment_id: int, day: date) -> TeacherHome:
    head_of = list(
        Division.objects.filter(
            establishment_id=establishment_id,
            head_teachers=person_id,
            school_year__start_date__lte=day,
            school_year__end_date__gte=day,
        ).order_by("name")
    )
    return TeacherHome(
        services=teacher_services(person_id=person_id, establishment_id=establishment_id, day=day),
        head_of=head_of,
    )


@dataclass(frozen=True)
class EstablishmentFigures:
    school_year_label: str
    period: GradingPeriod | None
    pupils: int
    adult_pupils: int
    divisions: int
    teachers: int
    guardians: int
    guardians_activated: int
    next_breaks: list[calendar.Break] = field(default_factory=list)

    @property
    def activation_rate(self) -> int:
        return round(100 * self.guardians_activated / self.guardians) if self.guardians else 0


def establishment_figures(establishment: Establishment, day: date) -> EstablishmentFigures:
    year = school_year_on(establishment, day)
    roles = Role.objects.current(day).filter(establishment=establishment)
    counts = roles.aggregate(
        pupils=Count("pk", filter=Q(kind=RoleKind.PUPIL)),
        adult_pupils=Count(
            "pk",
            filter=Q(kind=RoleKind.PUPIL, person__birth_date__lte=_eighteen_years_before(day)),
        ),
        teachers=Count("pk", filter=Q(kind=RoleKind.TEACHER)),
    )
    pupil_ids = roles.filter(kind=RoleKind.PUPIL).values("person")
    guardians = Guardianship.objects.filter(pupil__in=pupil_ids).values("guardian").distinct()
    guardian_counts = Account.objects.filter(person__in=guardians).aggregate(
        total=Count("pk"), activated=Count("pk", filter=Q(activated_at__isnull=False))
    )
    period = None
    if year is not None:
        period = GradingPeriod.objects.filter(
            school_year=year, scheme="trimesters", start_date__lte=day, end_date__gte=day
        ).first()
    off = calendar.days_off(
        establishment.school_calendar_rules(),
        day,
        day + timedelta(days=90),
    )
    return EstablishmentFigures(
        school_year_label=year.label if year else "",
        period=period,
        pupils=counts["pupils"],
        adult_pupils=counts["adult_pupils"],
        divisions=Division.objects.filter(school_year=year).count() if year else 0,
        teachers=counts["teachers"],
        guardians=guardian_counts["total"],
        guardians_activated=guardian_counts["activated"],
        next_breaks=calendar.breaks(off)[:3],
    )


def _eighteen_years_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 18)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 18, day=28)


def space_establishment(space: Space) -> Establishment | None:
    if space.establishment_id is None:
        return None
    return Establishment.objects.get(pk=space.establishment_id)
