"""The drop of a pupil's general average between the last two grading periods of their
division, for the vie scolaire's dropout watch (`attendance.reports.AVERAGE_DROPS`,
set when the grades app is ready)."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from preau.core.models import Establishment, GradingPeriod
from preau.grades import engine
from preau.grades.access import policy_of
from preau.grades.selectors.book import class_book, period_on
from preau.structure.models import Enrolment

HUNDREDTHS = engine.Rounding(Decimal("0.01"))


def average_drops(
    establishment: Establishment, pupil_ids: list[int], day: date
) -> dict[int, Decimal]:
    """For the pupils whose general average fell from the previous period to the one
    running on `day` (every evaluation counted, published or not), the fall in points
    out of 20, to the hundredth. Two queries when no division has a previous period;
    then two class books per division concerned."""
    by_division: dict[int, list[int]] = defaultdict(list)
    divisions = {}
    for enrolment in (
        Enrolment.objects.on(day)
        .filter(pupil_id__in=list(pupil_ids), division__establishment=establishment)
        .select_related("division")
    ):
        by_division[enrolment.division_id].append(enrolment.pupil_id)
        divisions[enrolment.division_id] = enrolment.division
    if not divisions:
        return {}
    periods: dict[tuple[int, str], list[GradingPeriod]] = defaultdict(list)
    for period in GradingPeriod.objects.filter(
        school_year_id__in={d.school_year_id for d in divisions.values()}
    ).order_by("number"):
        periods[(period.school_year_id, period.scheme)].append(period)
    drops: dict[int, Decimal] = {}
    policy = None
    for division_id, pupils in by_division.items():
        division = divisions[division_id]
        own = periods[(division.school_year_id, division.period_scheme)]
        current = period_on(own, day)
        earlier = [p for p in own if current is not None and p.number < current.number]
        if not earlier:
            continue
        policy = policy or policy_of(establishment.pk)
        before = class_book(division=division, period=earlier[-1], pupil_ids=pupils, policy=policy)
        now = class_book(division=division, period=current, pupil_ids=pupils, policy=policy)
        for pupil in pupils:
            was = before.results.pupils.get(pupil)
            is_ = now.results.pupils.get(pupil)
            if was is None or is_ is None:
                continue
            if was.general.value is None or is_.general.value is None:
                continue
            fall = was.general.value - is_.general.value
            if fall > 0:
                drops[pupil] = HUNDREDTHS.apply(fall)
    return drops
