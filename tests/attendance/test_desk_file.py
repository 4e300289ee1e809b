"""School events entered at the desk (an infirmary visit, a trip for a division, an
exemption) and a pupil's attendance file: every absence with its history, the events,
and the half-days per month as attendance.md counts them."""

import html
from datetime import timedelta

import pytest
from django.urls import reverse

from preau.attendance import services
from preau.attendance.models import AbsenceState, EventKind, SchoolEvent
from preau.audit.models import AuditEvent
from tests.attendance.test_desk_school import DeskSchool, at
from tests.conftest import log_in

pytestmark = pytest.mark.django_db

EVENT = "attendance:desk_event"


@pytest.fixture
def school():
    return DeskSchool()


def file_url(pupil) -> str:
    return reverse("attendance:desk_pupil", args=[pupil.pk])


def event_data(school, **fields) -> dict:
    data = {
        "kind": EventKind.INFIRMARY,
        "span": "times",
        "date": school.day.isoformat(),
        "start_time": "10:15",
        "end_time": "10:45",
        "note": "",
    }
    data.update(fields)
    return data


# -- School events ----------------------------------------------------------------------


def test_an_infirmary_visit_for_one_pupil(client, school):
    log_in(client, school.aed)

    response = client.post(reverse(EVENT), event_data(school, pupils=[school.emma.pk]))

    assert response.status_code == 302
    event = SchoolEvent.objects.get()
    assert (event.pupil, event.kind, event.start, event.end) == (
        school.emma,
        EventKind.INFIRMARY,
        at(school.day, 10, 15),
        at(school.day, 10, 45),
    )
    assert AuditEvent.objects.filter(action="school_event.created.infirmary").count() == 1


def test_a_trip_for_a_division_is_one_event_per_pupil_each_audited(client, school):
    log_in(client, school.cpe)

    response = client.post(
        reverse(EVENT),
        event_data(
            school,
            kind=EventKind.TRIP,
            span="day",
            division=school.b4.pk,
            pupils=[school.lea.pk],
            note="Musée des Beaux-Arts",
        ),
    )

    assert response.status_code == 302
    events = SchoolEvent.objects.filter(kind=EventKind.TRIP)
    assert {event.pupil for event in events} == {school.emma, school.hugo, school.lea}
    assert {event.note for event in events} == {"Musée des Beaux-Arts"}
    audited = AuditEvent.objects.filter(action="school_event.created.trip", actor=school.cpe)
    assert sorted(audited.values_list("object_id", flat=True)) == sorted(
        str(event.pk) for event in events
    )


def test_an_exemption_names_its_subject_and_whether_presence_is_required(client, school):
    log_in(client, school.cpe)
    common = event_data(
        school,
        kind=EventKind.EXEMPTION,
        span="days",
        end_date=(school.day + timedelta(days=30)).isoformat(),
        pupils=[school.hugo.pk],
    )

    refused = client.post(reverse(EVENT), common)
    saved = client.post(reverse(EVENT), {**common, "subject": school.sport.pk})

    assert refused.status_code == 400
    assert "subject" in refused.context["form"].errors
    assert saved.status_code == 302
    exemption = SchoolEvent.objects.get()
    # An unticked box: the pupil is not expected in the course.
    assert (exemption.subject, exemption.attendance_required) == (school.sport, False)


def test_an_event_needs_pupils_or_a_division_of_the_establishment(client, school):
    log_in(client, school.cpe)

    nobody = client.post(reverse(EVENT), event_data(school))
    stranger = client.post(reverse(EVENT), event_data(school, pupils=[school.stranger.pk]))

    assert nobody.status_code == stranger.status_code == 400
    assert not SchoolEvent.objects.exists()


def test_an_event_is_voided_not_deleted(client, school):
    event = services.school_event_create(
        actor=None,
        establishment=school.establishment,
        pupil=school.emma,
        kind=EventKind.EXCLUSION,
        start=at(school.day, 9),
        end=at(school.day, 10),
    )
    log_in(client, school.cpe)

    response = client.post(reverse("attendance:desk_event_void", args=[event.pk]))

    assert response["Location"] == file_url(school.emma)
    event.refresh_from_db()
    assert event.voided_at is not None


# -- A pupil's attendance file ------------------------------------------------------------


def test_the_file_counts_half_days_as_the_worked_cases_say(client, school):
    """attendance.md: absent 8:00–9:00 unjustified makes 1/1; 10:00–11:00 accepted and
    14:30–15:30 unjustified make 2/1; a lateness makes no half-day."""
    day, next_day = school.day, school.next_day
    school.absence(school.emma, at(day, 8), at(day, 9))
    school.absence(
        school.emma,
        at(next_day, 10),
        at(next_day, 11),
        state=AbsenceState.ACCEPTED,
        reason=school.transport,
    )
    school.absence(school.emma, at(next_day, 14, 30), at(next_day, 15, 30))
    school.lateness(school.emma, at(day, 13, 30), 10)
    # Voided: counts nothing.
    voided = school.absence(school.emma, at(day, 14, 30), at(day, 15, 30))
    services.absence_void(actor=None, absence=voided, expected_version=1, system=True)
    log_in(client, school.cpe)

    response = client.get(file_url(school.emma))

    found = response.context["file"]
    assert (found.total.half_days, found.total.unjustified, found.total.lateness) == (3, 2, 1)
    months = {month.month: month for month in found.months}
    assert months[day.replace(day=1)].half_days >= 1
    assert sum(month.half_days for month in found.months) == 3
    assert found.division == school.b4


def test_a_pupil_with_no_course_that_half_day_counts_nothing(client, school):
    # A Saturday, no course: attendance.md counts only scheduled time.
    saturday = school.day + timedelta(days=(5 - school.day.weekday()) % 7)
    school.absence(school.emma, at(saturday, 0), at(saturday + timedelta(days=1), 0))
    log_in(client, school.cpe)

    found = client.get(file_url(school.emma)).context["file"]

    assert (found.total.half_days, found.total.unjustified) == (0, 0)
    assert len(found.absences) == 1


def test_the_file_lists_each_absence_with_its_history_and_the_events(client, school):
    absence = school.pending(school.emma, at(school.day, 8), at(school.day, 9))
    services.absence_decide(
        actor=school.cpe, absence=absence, expected_version=absence.version, accept=True
    )
    services.school_event_create(
        actor=None,
        establishment=school.establishment,
        pupil=school.emma,
        kind=EventKind.INFIRMARY,
        start=at(school.day, 10),
        end=at(school.day, 10, 30),
    )
    log_in(client, school.direction)

    response = client.get(file_url(school.emma))

    content = html.unescape(response.content.decode())
    (row,) = response.context["file"].absences
    assert [change.action for change in row.absence.changes.all()] == [
        "created",
        "justified",
        "accepted",
    ]
    assert "Justification acceptée" in content
    assert school.cpe.person.display_name in content
    assert "Passage à l'infirmerie" in content
    assert "Maladie" in content


def test_a_pupil_of_another_establishment_has_no_file_here(client, school):
    log_in(client, school.cpe)
    assert client.get(file_url(school.stranger)).status_code == 404


def fill_year(school, count: int) -> None:
    for index in range(count):
        day = school.day if index % 2 else school.next_day
        hour = 8 + index % 4
        absence = school.pending(school.emma, at(day, hour), at(day, hour, 50))
        services.absence_decide(
            actor=school.cpe, absence=absence, expected_version=absence.version, accept=False
        )
        school.lateness(school.emma, at(day, 13, 30), 5)
        services.school_event_create(
            actor=None,
            establishment=school.establishment,
            pupil=school.emma,
            kind=EventKind.INFIRMARY,
            start=at(day, 15),
            end=at(day, 15, 30),
        )


@pytest.mark.parametrize("count", [2, 8])
def test_the_pupil_file_has_a_fixed_number_of_queries(
    client, school, count, django_assert_num_queries
):
    fill_year(school, count)
    log_in(client, school.cpe)
    client.get(file_url(school.emma))

    with django_assert_num_queries(20):
        response = client.get(file_url(school.emma))

    assert len(response.context["file"].absences) == 2 * count
