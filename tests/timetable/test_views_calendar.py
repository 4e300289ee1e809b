"""The private calendar subscription: a person's own timetable (or a child's) in their
phone's calendar, at a secret address they can revoke; the feed needs no login."""

import html

import pytest
from django.urls import reverse
from icalendar import Calendar

from preau.core.models import Guardianship
from preau.timetable.models import CalendarToken, OccurrenceStatus
from preau.timetable.services import occurrence_set_status
from tests.conftest import log_in
from tests.timetable.views_support import School

pytestmark = pytest.mark.django_db

SUBSCRIPTION = reverse("timetable:subscription")


@pytest.fixture
def school():
    return School()


def feed(token: CalendarToken) -> str:
    return reverse("timetable:feed", args=[token.token])


def events(response) -> dict[str, dict]:
    calendar = Calendar.from_ical(response.content)
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_the_timetable_page_offers_the_subscription(client, school):
    log_in(client, school.emma.account)
    content = html.unescape(client.get(reverse("timetable:home")).content.decode())
    assert f'href="{SUBSCRIPTION}"' in content
    assert "S'abonner depuis mon téléphone" in content


def test_a_pupil_creates_her_link_and_her_phone_reads_her_timetable(client, school):
    log_in(client, school.emma.account)
    occurrence_set_status(
        actor=None, occurrence=school.french_4b, status=OccurrenceStatus.CANCELLED
    )

    created = client.post(SUBSCRIPTION, {"action": "create"}, follow=True)

    token = CalendarToken.objects.get(person=school.emma, subject_person=school.emma)
    assert len(token.token) >= 40
    content = html.unescape(created.content.decode())
    assert f"http://testserver{feed(token)}" in content
    assert f"webcal://testserver{feed(token)}" in content
    client.logout()

    response = client.get(feed(token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private"
    found = events(response)
    assert set(found) == {"Physique-chimie", "Français", "Latin"}
    assert str(found["Français"]["status"]) == "CANCELLED"
    assert str(found["Physique-chimie"]["location"]) == "Labo"


def test_a_revoked_or_unknown_link_answers_404(client, school):
    log_in(client, school.emma.account)
    client.post(SUBSCRIPTION, {"action": "create"})
    token = CalendarToken.objects.get()

    client.post(SUBSCRIPTION, {"action": "revoke", "token": token.pk})

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(feed(token)).status_code == 404
    assert client.get(reverse("timetable:feed", args=["inconnu"])).status_code == 404


def test_a_new_link_replaces_the_old_one(client, school):
    log_in(client, school.emma.account)
    client.post(SUBSCRIPTION, {"action": "create"})
    old = CalendarToken.objects.get()

    client.post(SUBSCRIPTION, {"action": "create"})

    assert client.get(feed(old)).status_code == 404
    new = CalendarToken.objects.get(revoked_at__isnull=True)
    assert client.get(feed(new)).status_code == 200


def test_a_guardian_subscribes_to_the_active_child_and_loses_it_with_the_link(client, school):
    log_in(client, school.parent)
    client.post(SUBSCRIPTION, {"action": "create"})
    token = CalendarToken.objects.get()
    assert token.subject_person == school.emma
    assert set(events(client.get(feed(token)))) == {"Physique-chimie", "Français", "Latin"}

    Guardianship.objects.filter(guardian=school.parent.person, pupil=school.emma).delete()

    assert client.get(feed(token)).status_code == 404


def test_a_teacher_subscribes_to_her_own_timetable(client, school):
    log_in(client, school.teacher)
    client.post(SUBSCRIPTION, {"action": "create"})
    token = CalendarToken.objects.get()

    assert set(events(client.get(feed(token)))) == {"Mathématiques", "Latin"}


def test_nobody_revokes_the_link_of_somebody_else(client, school):
    log_in(client, school.emma.account)
    client.post(SUBSCRIPTION, {"action": "create"})
    token = CalendarToken.objects.get()
    client.logout()
    log_in(client, school.berger.account)

    response = client.post(SUBSCRIPTION, {"action": "revoke", "token": token.pk})

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_staff_without_a_timetable_of_their_own_have_no_subscription(client, school):
    log_in(client, school.cpe)
    assert client.get(SUBSCRIPTION).status_code == 404


def test_the_feed_takes_only_get(client, school):
    log_in(client, school.emma.account)
    client.post(SUBSCRIPTION, {"action": "create"})
    token = CalendarToken.objects.get()
    client.logout()
    assert client.post(feed(token)).status_code == 405
