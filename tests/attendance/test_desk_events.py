"""The day's school events on "Absences du jour": an exclusion from a course entered at
roll call reaches the vie scolaire the same day, first, with the pupil, the division,
the course, the teacher and the teacher's note; infirmary visits, trips and the
exemptions in force follow. Only standing events of the establishment and of the day."""

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from preau.attendance import desk_services, services
from preau.attendance.models import EventKind, Mark, SchoolEvent
from tests.attendance.test_desk_school import DeskSchool, at, desk_url
from tests.conftest import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return DeskSchool()


def text(response) -> str:
    """The page's words, tags removed and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def events_of(response) -> list:
    return response.context["found"].events


def exclude_at_roll_call(school, pupil, hour: int, note: str):
    """The 4B teacher marks `pupil` "Exclu" at the roll call of the course at `hour`."""
    course = school.courses[("4B", school.day, hour)]
    services.roll_call_record(
        actor=school.teacher,
        occurrence=course,
        entries={pupil.pk: services.Entry(Mark.EXCLUDED, note=note)},
        audience={school.emma.pk: school.emma, school.hugo.pk: school.hugo},
    )
    return course


def event(school, pupil, kind, start, end, **fields):
    return services.school_event_create(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=pupil,
        kind=kind,
        start=start,
        end=end,
        **fields,
    )


def test_an_exclusion_at_roll_call_is_on_the_desk_the_same_day_with_all_it_needs(client, school):
    exclude_at_roll_call(school, school.emma, 10, "Insolent, envoyé en permanence")
    log_in(client, school.cpe)

    response = client.get(desk_url(school))

    (row,) = events_of(response)
    assert row.event.pupil == school.emma
    assert row.division == school.b4
    assert (row.kind_label, row.course) == ("Exclusion de cours", "Mathématiques")
    assert row.teachers == school.teacher.person.display_name
    assert row.note == "Insolent, envoyé en permanence"
    assert response.context["found"].counts.exclusions == 1
    page = text(response)
    assert "Événements de vie scolaire du jour" in page
    assert "Insolent, envoyé en permanence" in page
    assert "1 exclusion de cours" in page


def test_exclusions_come_first_then_infirmary_trips_and_exemptions_in_force(client, school):
    # Given an exemption running all term, a trip and an infirmary visit in the
    # morning, and an exclusion in the afternoon.
    event(
        school,
        school.lea,
        EventKind.EXEMPTION,
        at(school.day - timedelta(days=20), 8),
        at(school.day + timedelta(days=40), 18),
        subject=school.sport,
        attendance_required=False,
    )
    desk_services.school_events_create(
        actor=school.cpe,
        establishment=school.establishment,
        pupils=[school.hugo],
        kind=EventKind.TRIP,
        start=at(school.day, 8),
        end=at(school.day, 12),
        note="Musée",
    )
    event(school, school.emma, EventKind.INFIRMARY, at(school.day, 9), at(school.day, 9, 30))
    exclude_at_roll_call(school, school.hugo, 14, "Téléphone en cours")
    log_in(client, school.cpe)

    # When the vie scolaire opens the day
    rows = events_of(client.get(desk_url(school)))

    # Then the exclusion is first though it came last in the day.
    assert [(row.event.kind, row.event.pupil) for row in rows] == [
        (EventKind.EXCLUSION, school.hugo),
        (EventKind.INFIRMARY, school.emma),
        (EventKind.TRIP, school.hugo),
        (EventKind.EXEMPTION, school.lea),
    ]
    exemption = rows[-1]
    assert (exemption.course, exemption.division, exemption.teachers) == ("EPS", school.a4, "")


def test_voided_events_other_days_and_other_establishments_are_not_listed(client, school):
    voided = event(school, school.emma, EventKind.INFIRMARY, at(school.day, 9), at(school.day, 10))
    services.school_event_void(actor=school.cpe, event=voided)
    event(school, school.emma, EventKind.INFIRMARY, at(school.next_day, 9), at(school.next_day, 10))
    services.school_event_create(
        actor=school.other_cpe,
        establishment=school.lycee.establishment,
        pupil=school.stranger,
        kind=EventKind.EXCLUSION,
        start=at(school.day, 9),
        end=at(school.day, 10),
    )
    log_in(client, school.cpe)

    response = client.get(desk_url(school))

    assert events_of(response) == []
    assert "Événements de vie scolaire du jour" not in text(response)
    assert response.context["found"].counts.exclusions == 0


def test_the_division_filter_applies_to_the_events(client, school):
    exclude_at_roll_call(school, school.emma, 10, "")
    event(school, school.lea, EventKind.INFIRMARY, at(school.day, 9), at(school.day, 10))
    log_in(client, school.cpe)

    rows = events_of(client.get(desk_url(school, classe=school.a4.pk)))

    assert [row.event.pupil for row in rows] == [school.lea]


def test_the_secretariat_does_not_read_an_infirmary_visits_note(client, school):
    event(
        school,
        school.emma,
        EventKind.INFIRMARY,
        at(school.day, 9),
        at(school.day, 10),
        note="Crise d'asthme",
    )

    log_in(client, school.secretariat)
    secretariat = client.get(desk_url(school))
    other = Client()
    log_in(other, school.cpe)
    cpe = other.get(desk_url(school))

    (row,) = events_of(secretariat)
    assert (row.withheld, row.note) == (True, "")
    assert "Crise d'asthme" not in text(secretariat)
    assert "Crise d'asthme" in text(cpe)


def test_an_event_can_be_voided_from_the_day(client, school):
    exclude_at_roll_call(school, school.emma, 10, "Erreur de saisie")
    excluded = SchoolEvent.objects.get(pupil=school.emma)
    log_in(client, school.cpe)
    page = desk_url(school)

    response = client.post(
        reverse("attendance:desk_event_void", args=[excluded.pk]), {"next": page}, follow=True
    )

    excluded.refresh_from_db()
    assert excluded.voided_at is not None
    assert response.redirect_chain[-1][0] == page
    assert events_of(response) == []


def test_the_pupils_file_holds_back_an_infirmary_note_from_the_secretariat_too(client, school):
    event(
        school,
        school.emma,
        EventKind.INFIRMARY,
        at(school.day, 9),
        at(school.day, 10),
        note="Crise d'asthme",
    )
    url = reverse("attendance:desk_pupil", args=[school.emma.pk])

    log_in(client, school.secretariat)
    secretariat = client.get(url)
    other = Client()
    log_in(other, school.cpe)
    cpe = other.get(url)

    assert "Passage à l'infirmerie" in text(secretariat)
    assert "Crise d'asthme" not in text(secretariat)
    assert "Crise d'asthme" in text(cpe)
