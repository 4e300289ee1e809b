"""The pupil's file at the desk counts as the reports do: the same half-days, the same
computed shares (the unjustified one is the time missed under unjustified absences),
the same school-event rule, month by month (`reports.month_figures`)."""

from datetime import timedelta
from fractions import Fraction

import pytest
from django.urls import reverse

from preau.attendance import reports, services
from preau.attendance.models import AbsenceState, EventKind
from tests.attendance.test_desk_school import DeskSchool, at
from tests.conftest import log_in
from tests.factories import OccurrenceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return DeskSchool()


def file_months(client, school, pupil) -> dict:
    log_in(client, school.cpe)
    response = client.get(reverse("attendance:desk_pupil", args=[pupil.pk]))
    assert response.status_code == 200
    return {month.month: month for month in response.context["file"].months}


def report_months(school, pupil, months) -> dict:
    found = {}
    for month in months:
        (row,) = [
            f for f in reports.month_figures(school.establishment, month) if f.pupil_id == pupil.pk
        ]
        found[month] = row
    return found


def same_figures(file_month, report) -> None:
    assert (
        file_month.half_days,
        file_month.unjustified,
        file_month.lateness,
        file_month.computed,
        file_month.computed_unjustified,
    ) == (
        report.half_days,
        report.unjustified_half_days,
        report.lateness,
        report.computed,
        report.computed_unjustified,
    )


def test_an_accepted_and_an_unjustified_hour_make_a_quarter_unjustified(client, school):
    """The reviewer's case: in a four-course morning, one hour accepted and one
    unjustified: a quarter of the morning unjustified, on the file as in the reports."""
    # Given one accepted and one unjustified hour the same morning
    day = school.day
    school.absence(
        school.emma, at(day, 8), at(day, 9), state=AbsenceState.ACCEPTED, reason=school.transport
    )
    school.absence(school.emma, at(day, 9), at(day, 10))

    # When the file and the reports count the month
    month = day.replace(day=1)
    on_file = file_months(client, school, school.emma)[month]
    (report,) = report_months(school, school.emma, [month]).values()

    # Then both say half the morning missed, a quarter of it unjustified
    assert (on_file.computed, on_file.computed_unjustified) == (Fraction(1, 2), Fraction(1, 4))
    same_figures(on_file, report)


def test_the_file_and_the_reports_agree_month_by_month(client, school):
    # Given, over two school days: absences in every state, lateness, a trip the second
    # afternoon while absent all day, and an exemption from PE (not in class) while
    # absent from it
    day, next_day = school.day, school.next_day
    OccurrenceFactory(
        school_year=school.year,
        date=day,
        hour=16,
        minute=30,
        minutes=60,
        subject=school.sport,
        divisions=[school.b4],
    )
    school.absence(
        school.emma, at(day, 8), at(day, 9), state=AbsenceState.ACCEPTED, reason=school.transport
    )
    school.absence(school.emma, at(day, 10), at(day, 10, 30))
    school.pending(school.emma, at(day, 16, 30), at(day, 17, 30))
    school.lateness(school.emma, at(day, 13, 30), 5)
    school.absence(school.emma, at(next_day, 0), at(next_day + timedelta(days=1), 0))
    services.school_event_create(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=school.emma,
        kind=EventKind.TRIP,
        start=at(next_day, 13),
        end=at(next_day, 18),
    )
    services.school_event_create(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=school.emma,
        kind=EventKind.EXEMPTION,
        start=at(day, 0),
        end=at(day + timedelta(days=1), 0),
        subject=school.sport,
        attendance_required=False,
    )
    school.absence(school.hugo, at(day, 14, 30), at(day, 15, 30), reason=school.alarm)
    school.absence(school.hugo, at(day, 16, 30), at(day, 17, 30))

    # When the file and the reports count each month of those days
    for pupil in (school.emma, school.hugo):
        on_file = file_months(client, school, pupil)
        months = sorted({day.replace(day=1), next_day.replace(day=1)})
        reported = report_months(school, pupil, months)

        # Then they agree on every figure
        for month in months:
            same_figures(on_file[month], reported[month])

    # And the school events were applied: Emma missed the two mornings only (the first
    # day's PE, exempted, and the second afternoon, on the trip, are not missed); Hugo,
    # not exempted, missed the first afternoon
    emma = file_months(client, school, school.emma)
    assert (sum(m.half_days for m in emma.values()), sum(m.unjustified for m in emma.values())) == (
        2,
        2,
    )
    hugo = file_months(client, school, school.hugo)
    assert sum(m.half_days for m in hugo.values()) == 1
