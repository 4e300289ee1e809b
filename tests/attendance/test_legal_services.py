"""Recording a step of the legal follow-up (letter, referral, meeting): who may, the
figures it keeps, its audit, a referral made once per month; and how the pages read the
month and the date they are asked for."""

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.http import QueryDict
from hypothesis import given
from hypothesis import strategies as st

from preau.attendance import legal_services
from preau.attendance.models import FollowUp, FollowUpKind
from preau.attendance.selectors.legal import as_of_moment, previous_month
from preau.attendance.views.legal import choose, parse_month
from preau.audit.models import AuditEvent
from tests.attendance.test_legal_support import MARCH, LegalSchool

TODAY = date(2026, 11, 29)


@pytest.fixture
def school(db):
    return LegalSchool()


def record(school, actor=None, **fields):
    values = {
        "actor": actor or school.cpe,
        "establishment": school.establishment,
        "pupil": school.emma,
        "month": MARCH,
        "kind": FollowUpKind.FAMILY_LETTER,
    }
    values.update(fields)
    return legal_services.follow_up_record(**values)


# -- Recording --------------------------------------------------------------------------


def test_a_step_keeps_the_figures_of_the_month_as_they_stand_and_is_audited(school):
    step = record(school, month=date(2026, 3, 17), note="  Lettre recommandée  ")

    assert (step.month, step.half_days, step.unjustified_half_days) == (MARCH, 5, 4)
    assert (step.made_by, step.note) == (school.cpe.person, "Lettre recommandée")
    event = AuditEvent.objects.get(action="attendance.follow_up.family_letter")
    assert (event.object_type, event.object_id) == ("attendance.followup", str(step.pk))
    assert event.establishment == school.establishment
    assert event.after == {
        "pupil": school.emma.pk,
        "month": "2026-03-01",
        "kind": "family_letter",
        "half_days": 5,
        "unjustified_half_days": 4,
        "lateness": 2,
        "level": "referral",
        "note": "Lettre recommandée",
    }


def test_the_figures_kept_do_not_change_when_the_absences_do(school):
    step = record(school, kind=FollowUpKind.REFERRAL)
    school.absent(school.emma, date(2026, 3, 18))
    step.refresh_from_db()
    assert step.unjustified_half_days == 4
    later = record(school, kind=FollowUpKind.MEETING)
    assert later.unjustified_half_days == 6


def test_a_pupil_without_absences_gets_a_step_with_zero_half_days(school):
    step = record(school, pupil=school.zoe, kind=FollowUpKind.MEETING)
    assert (step.half_days, step.unjustified_half_days) == (0, 0)


def test_the_direction_records_too(school):
    assert record(school, actor=school.direction).made_by == school.direction.person


@pytest.mark.parametrize("who", ["aed", "teacher", "secretariat", "other_cpe", "parent"])
def test_nobody_else_records_a_step(school, who):
    with pytest.raises(PermissionDenied):
        record(school, actor=getattr(school, who))
    assert not FollowUp.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="attendance.follow_up").exists()


def test_a_pupil_of_another_establishment_is_refused(school):
    with pytest.raises(ValidationError):
        record(school, pupil=school.stranger)


def test_an_unknown_step_or_a_month_to_come_is_refused(school):
    with pytest.raises(ValidationError):
        record(school, kind="phone_call")
    next_month = (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)
    with pytest.raises(ValidationError):
        record(school, month=next_month)


def test_a_referral_is_made_once_per_month_letters_as_often_as_needed(school):
    record(school, kind=FollowUpKind.REFERRAL)
    with pytest.raises(ValidationError) as refused:
        record(school, kind=FollowUpKind.REFERRAL, actor=school.direction)
    assert refused.value.code == "already_referred"
    record(school)
    record(school)
    assert FollowUp.objects.filter(kind=FollowUpKind.FAMILY_LETTER).count() == 2
    assert record(school, kind=FollowUpKind.REFERRAL, month=date(2026, 4, 1)).month == date(
        2026, 4, 1
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent connections"
)
def test_two_people_recording_the_referral_at_once_make_one():
    school = LegalSchool()
    start = threading.Barrier(2)
    outcomes: list = [None, None]

    def refer(index: int, actor) -> None:
        try:
            start.wait(10)
            outcomes[index] = record(school, actor=actor, kind=FollowUpKind.REFERRAL)
        except Exception as error:
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=refer, args=(0, school.cpe)),
        threading.Thread(target=refer, args=(1, school.direction)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert FollowUp.objects.filter(kind=FollowUpKind.REFERRAL).count() == 1
    assert sorted(type(outcome).__name__ for outcome in outcomes) == [
        "FollowUp",
        "ValidationError",
    ]


# -- The month and the date of a list ----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "month", "as_of", "errors"),
    [
        ("", date(2026, 10, 1), TODAY, 0),
        ("mois=2026-03", date(2026, 3, 1), TODAY, 0),
        ("mois=2026-03&au=2026-03-20", date(2026, 3, 1), date(2026, 3, 20), 0),
        ("mois=2026-11", date(2026, 11, 1), TODAY, 0),  # the month in progress
        ("mois=2026-12", date(2026, 10, 1), TODAY, 1),  # not begun
        ("mois=2026-3", date(2026, 10, 1), TODAY, 1),
        ("mois=2026-13", date(2026, 10, 1), TODAY, 1),
        ("mois=mars", date(2026, 10, 1), TODAY, 1),
        ("au=2026-12-01", date(2026, 10, 1), TODAY, 1),  # a future date
        ("au=29/11/2026", date(2026, 10, 1), TODAY, 1),
        ("mois=x&au=y", date(2026, 10, 1), TODAY, 2),
    ],
)
def test_choosing_the_month_and_the_date(query, month, as_of, errors):
    choice = choose(QueryDict(query), today=TODAY)
    assert (choice.month, choice.as_of, len(choice.errors)) == (month, as_of, errors)


def test_the_previous_complete_month_of_january_is_december():
    assert previous_month(date(2027, 1, 15)) == date(2026, 12, 1)
    assert choose(QueryDict(""), today=date(2027, 1, 1)).month == date(2026, 12, 1)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_the_previous_month_is_the_first_day_of_the_month_before(day):
    month = previous_month(day)
    assert month.day == 1
    assert month < day.replace(day=1) <= month + timedelta(days=31)


@given(st.text(max_size=20), st.text(max_size=20), st.dates(min_value=date(2001, 1, 1)))
def test_whatever_is_asked_the_list_is_never_of_the_future(month, as_of, today):
    choice = choose({"mois": month, "au": as_of}, today=today)
    assert choice.month.day == 1
    assert choice.month <= today.replace(day=1)
    assert choice.as_of <= today


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 1)))
def test_a_month_reads_back_as_written(day):
    month = day.replace(day=1)
    assert parse_month(f"{month:%Y-%m}") == month


def test_a_list_of_today_is_computed_now_and_one_of_a_past_day_at_its_end(school):
    establishment = school.establishment
    assert as_of_moment(establishment, TODAY, TODAY) is None
    moment = as_of_moment(establishment, date(2026, 3, 20), TODAY)
    assert (moment.date(), moment.hour, moment.minute) == (date(2026, 3, 20), 23, 59)
    assert str(moment.tzinfo) == "Europe/Paris"
