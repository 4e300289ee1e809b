"""The fall of the general average the dropout watch reads: from the previous period
of the pupil's division to the one running, every evaluation counted."""

from datetime import timedelta
from decimal import Decimal

import pytest

from preau.attendance import reports
from preau.grades.selectors.drops import average_drops
from tests.factories import (
    DivisionFactory,
    EvaluationFactory,
    division_service,
    grading_period,
    mark,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db


def test_the_dropout_watch_is_given_the_grades_drops():
    assert reports.AVERAGE_DROPS is average_drops


def test_a_fall_between_the_last_two_periods_is_measured_to_the_hundredth():
    division = DivisionFactory()
    year = division.school_year
    middle = year.start_date + (year.end_date - year.start_date) / 2
    first = grading_period(year, number=1, end_date=middle)
    second = grading_period(year, number=2, start_date=middle + timedelta(days=1))
    service = division_service(division, staff_account(division.establishment).person)
    falling, rising, new = pupil_in(division), pupil_in(division), pupil_in(division)
    before = EvaluationFactory(service=service, period=first, date=first.start_date)
    now = EvaluationFactory(service=service, period=second, date=second.start_date)
    for pupil, was, is_ in ((falling, "15", "11,25"), (rising, "10", "12")):
        mark(before, pupil, was)
        mark(now, pupil, is_)
    mark(now, new, "5")

    drops = average_drops(
        division.establishment, [falling.pk, rising.pk, new.pk], second.start_date
    )

    assert drops == {falling.pk: Decimal("3.75")}


def test_no_previous_period_no_drop_and_few_queries(django_assert_num_queries):
    division = DivisionFactory()
    period = grading_period(division.school_year)
    pupil = pupil_in(division)

    with django_assert_num_queries(2):
        drops = average_drops(division.establishment, [pupil.pk], period.start_date)

    assert drops == {}
