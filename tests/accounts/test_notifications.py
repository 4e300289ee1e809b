"""The choice of e-mails (`/compte/notifications/`) and the senders that follow it:
report card notices (grades) and lateness and decision notices (attendance) skip a
person who turned the kind off; an absence is e-mailed whatever the choice, and the
family space is told of everything. `wants_email` answers the messaging release in one
query."""

import html
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from preau.accounts.models import NotificationKind, NotificationPreference
from preau.accounts.selectors import wants_email
from preau.attendance import notices as attendance_notices
from preau.attendance import services as attendance_services
from preau.attendance.models import Absence, AbsenceKind, AbsenceNotice
from preau.audit.models import AuditEvent
from preau.grades import report_cards
from preau.grades.models import ReportCardNotice
from tests.accounts.support import School, activated_guardian
from tests.attendance.test_family_support import Family
from tests.attendance.test_notices import at, tuesday
from tests.conftest import log_in
from tests.factories import AccountFactory, PersonFactory, pupil_in
from tests.grades.test_report_cards_support import Lycee

pytestmark = pytest.mark.django_db

URL = reverse("accounts:notifications")


def text(response) -> str:
    return html.unescape(response.content.decode())


def turn_off(person, *kinds):
    NotificationPreference.objects.update_or_create(
        person_id=getattr(person, "pk", person), defaults=dict.fromkeys(kinds, False)
    )


# -- The page ------------------------------------------------------------------------------


def test_everything_is_on_until_the_person_chooses(client):
    account = AccountFactory()
    log_in(client, account)

    page = client.get(URL)

    assert page.status_code == 200
    assert text(page).count("checked") == 4
    assert not NotificationPreference.objects.exists()


def test_turning_grades_off_is_saved_and_recorded(client):
    account = AccountFactory()
    log_in(client, account)

    response = client.post(URL, {"absences": "on", "homework": "on", "messages": "on"})

    assert response.status_code == 302
    preference = NotificationPreference.objects.get(person=account.person)
    assert (preference.absences, preference.grades, preference.homework, preference.messages) == (
        True,
        False,
        True,
        True,
    )
    event = AuditEvent.objects.get(action="person.notification_preferences")
    assert (event.before, event.after) == ({"grades": True}, {"grades": False})
    assert 'id="id_grades" checked' not in text(client.get(URL))

    # Turning it back on.
    client.post(URL, {"absences": "on", "grades": "on", "homework": "on", "messages": "on"})
    assert NotificationPreference.objects.get(person=account.person).grades is True
    assert AuditEvent.objects.filter(action="person.notification_preferences").count() == 2


def test_the_page_says_what_cannot_be_turned_off(client):
    log_in(client, AccountFactory())

    page = text(client.get(URL))

    assert "Ces envois ne peuvent pas être désactivés" in page
    assert "L131-8" in page
    assert "Les absences de vos enfants" in page


def test_a_person_without_address_is_warned(client):
    log_in(client, AccountFactory(person=PersonFactory(email="")))

    assert "Vous n'avez pas d'adresse électronique" in text(client.get(URL))


# Session, account, person, the spaces (roles, children), then the preference.
NOTIFICATIONS_QUERIES = 6


@pytest.mark.parametrize("children", [1, 4])
def test_the_page_queries_do_not_grow(client, django_assert_num_queries, children):
    school = School()
    guardian = activated_guardian(*[pupil_in(school.division) for _ in range(children)])
    turn_off(guardian.person, "homework")
    log_in(client, guardian)

    with django_assert_num_queries(NOTIFICATIONS_QUERIES):
        assert client.get(URL).status_code == 200


# -- wants_email ---------------------------------------------------------------------------


def test_wants_email_keeps_everybody_but_those_who_turned_the_kind_off(
    django_assert_num_queries,
):
    silent, grades_off, never_chose = PersonFactory(), PersonFactory(), PersonFactory()
    turn_off(silent, *NotificationKind.values)
    turn_off(grades_off, "grades")
    ids = [silent.pk, grades_off.pk, never_chose.pk]

    with django_assert_num_queries(1):
        assert wants_email(ids, "messages") == {grades_off.pk, never_chose.pk}
    with django_assert_num_queries(1):
        assert wants_email(ids, NotificationKind.GRADES) == {never_chose.pk}
    with django_assert_num_queries(0):
        assert wants_email([], "messages") == set()
    with pytest.raises(ValueError, match="kind"):
        wants_email(ids, "kind")


# -- Report cards ------------------------------------------------------------------------


def test_report_card_notices_skip_a_guardian_who_turned_grades_off(
    django_capture_on_commit_callbacks,
):
    lycee = Lycee(absences=False)
    turn_off(lycee.father.person, "grades")
    turn_off(lycee.mother.person, "absences", "homework", "messages")

    with django_capture_on_commit_callbacks(execute=True):
        report_cards.report_cards_issue(
            actor=lycee.direction, division=lycee.division, period=lycee.period
        )

    told = {address for message in mail.outbox for address in message.to}
    assert lycee.mother.person.email in told
    assert lycee.father.person.email not in told
    assert not ReportCardNotice.objects.filter(recipient=lycee.father.person).exists()
    assert ReportCardNotice.objects.filter(recipient=lycee.mother.person).exists()


# -- Attendance ---------------------------------------------------------------------------


@pytest.fixture
def family():
    return Family()


@pytest.fixture
def clock(monkeypatch):
    from django.utils import timezone

    def set_to(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return set_to


def record(family, capture, **fields):
    with capture(execute=True):
        return attendance_services.absence_create(
            actor=None, establishment=family.establishment, pupil=family.emma, **fields
        )


def channels(absence, guardian) -> list[str]:
    return sorted(
        AbsenceNotice.objects.filter(absence=absence, guardian=guardian).values_list(
            "channel", flat=True
        )
    )


def test_an_absence_is_emailed_even_to_a_guardian_who_turned_absences_off(
    family, clock, django_capture_on_commit_callbacks
):
    turn_off(family.father.person, "absences")
    day = tuesday(family)
    clock(at(day, 10, 5))

    absence = record(family, django_capture_on_commit_callbacks, start=at(day, 10), end=at(day, 11))

    assert channels(absence, family.father.person) == ["email", "space"]
    assert family.father.person.email in {a for m in mail.outbox for a in m.to}


def test_a_lateness_is_not_emailed_to_a_guardian_who_turned_absences_off(
    family, clock, django_capture_on_commit_callbacks
):
    turn_off(family.father.person, "absences")
    day = tuesday(family)
    clock(at(day, 10, 5))

    lateness = record(
        family,
        django_capture_on_commit_callbacks,
        start=at(day, 10),
        end=at(day, 10, 5),
        kind=AbsenceKind.LATENESS,
        minutes_late=5,
    )

    # The family space is still told; the other guardian still gets the e-mail.
    assert channels(lateness, family.father.person) == ["space"]
    assert channels(lateness, family.mother.person) == ["email", "space"]
    told = {a for m in mail.outbox for a in m.to}
    assert told == {family.mother.person.email}


def test_a_decision_is_not_emailed_to_a_guardian_who_turned_absences_off(
    family, clock, django_capture_on_commit_callbacks
):
    turn_off(family.father.person, "absences")
    clock(at(tuesday(family), 10))
    justified = attendance_services.absence_justify(
        actor=None, absence=family.absent, reason=family.reasons["MAL"], comment="Fièvre"
    )

    with django_capture_on_commit_callbacks(execute=True):
        decided = attendance_services.absence_decide(
            actor=family.cpe,
            absence=Absence.objects.get(pk=justified.pk),
            expected_version=None,
            accept=False,
            reason=None,
            staff_comment="Non.",
        )
        attendance_notices.schedule_decision(decided)

    rows = AbsenceNotice.objects.filter(decision__isnull=False)
    assert {row.guardian_id for row in rows} == {family.mother.person_id}
    assert [m.to for m in mail.outbox] == [[family.mother.person.email]]


def test_other_choices_do_not_silence_absences(family, clock, django_capture_on_commit_callbacks):
    turn_off(family.father.person, "grades", "homework", "messages")
    day = tuesday(family)
    clock(at(day, 10, 5))

    lateness = record(
        family,
        django_capture_on_commit_callbacks,
        start=at(day, 10),
        end=at(day, 10, 5) + timedelta(minutes=0),
        kind=AbsenceKind.LATENESS,
        minutes_late=5,
    )

    assert channels(lateness, family.father.person) == ["email", "space"]
