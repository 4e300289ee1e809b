"""The figures of an establishment on the home pages of the staff who see all of it
(direction, vie scolaire, secretariat): seven queries whatever its size."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q

from preau.accounts.models import Account
from preau.core import calendar
from preau.core.models import Establishment, GradingPeriod, Guardianship, Role, RoleKind
from preau.core.selectors import school_year_on
from preau.portal.spaces import Space
from preau.structure.models import Division


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
