"""The roll call saved as it is typed: each tap posts one pupil's entry, which is recorded
at once and alone; "Tous présents" records the roll call with the others present;
sending the same entry again changes nothing (the page resends after a dropped
connection); a correction keeps the trail; a request without a session is sent to
the login page and records nothing; CSRF is checked."""

import pytest
from django.test import Client
from django.urls import reverse

from preau.attendance.models import (
    Absence,
    AbsenceChange,
    AbsenceKind,
    Mark,
    RollCall,
    RollCallEntry,
    SchoolEvent,
)
from preau.audit.models import AuditEvent
from preau.timetable.models import OccurrenceStatus
from tests.attendance.test_rollcall_support import School, entry_url, stop_clock
from tests.conftest import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return stop_clock(monkeypatch)


@pytest.fixture
def school(clock):
    return School(clock.day)


@pytest.fixture
def teacher_client(client, school):
    log_in(client, school.teacher)
    return client


def tap(client, occurrence, pupil=None, mark=None, minutes=None, **extra):
    data = {}
    if pupil is not None:
        data = {"pupil": pupil.pk, "mark": mark}
        if minutes is not None:
            data["minutes"] = minutes
    return client.post(entry_url(occurrence), data, **extra)


def marks(occurrence) -> dict[int, tuple]:
    return {
        entry.pupil_id: (entry.mark, entry.minutes_late)
        for entry in RollCallEntry.objects.filter(roll_call__occurrence=occurrence)
    }


def test_a_tap_records_that_pupil_alone(teacher_client, school):
    response = tap(teacher_client, school.maths_4b, school.emma, "absent")

    assert response.status_code == 200
    assert response.json() == {
        "saved": True,
        "summary": "Appel fait à 10:20 : 1 absent.",
        "pupil": school.emma.pk,
        "mark": "absent",
        "minutes": None,
    }
    assert marks(school.maths_4b) == {school.emma.pk: (Mark.ABSENT, None)}
    absence = Absence.objects.get()
    assert (absence.pupil, absence.occurrence) == (school.emma, school.maths_4b)


def test_late_without_minutes_counts_the_minutes_since_the_start(teacher_client, school):
    # 10:20, the session started at 10:00.
    tap(teacher_client, school.maths_4b, school.berger, "late")

    assert marks(school.maths_4b) == {school.berger.pk: (Mark.LATE, 20)}
    lateness = Absence.objects.get()
    assert (lateness.kind, lateness.minutes_late) == (AbsenceKind.LATENESS, 20)


def test_late_with_minutes_keeps_them(teacher_client, school):
    tap(teacher_client, school.maths_4b, school.berger, "late", 10)

    assert marks(school.maths_4b) == {school.berger.pk: (Mark.LATE, 10)}


@pytest.mark.parametrize("minutes", ["0", "500", "dix"])
def test_impossible_minutes_are_refused(teacher_client, school, minutes):
    response = tap(teacher_client, school.maths_4b, school.berger, "late", minutes)

    assert response.status_code == 400
    assert "minutes de retard" in response.json()["error"]
    assert not RollCall.objects.exists()


def test_excluded_and_infirmary_are_school_events_not_absences(teacher_client, school):
    tap(teacher_client, school.maths_4b, school.emma, "excluded")
    tap(teacher_client, school.maths_4b, school.berger, "infirmary")

    assert sorted(SchoolEvent.objects.values_list("kind", flat=True)) == [
        "exclusion",
        "infirmary",
    ]
    assert not Absence.objects.exists()


def test_all_present_records_the_roll_call_with_nobody_absent(teacher_client, school):
    response = tap(teacher_client, school.maths_4b)

    assert response.json() == {"saved": True, "summary": "Appel fait à 10:20 : aucun absent."}
    roll_call = RollCall.objects.get(occurrence=school.maths_4b)
    assert roll_call.taken_by_id == school.teacher.person_id
    assert not roll_call.entries.exists()


def test_all_present_after_marks_keeps_them(teacher_client, school):
    tap(teacher_client, school.maths_4b, school.emma, "absent")
    tap(teacher_client, school.maths_4b, school.berger, "late", 5)

    response = tap(teacher_client, school.maths_4b)

    assert response.json()["summary"] == "Appel fait à 10:20 : 1 absent, 1 retard."
    assert marks(school.maths_4b) == {
        school.emma.pk: (Mark.ABSENT, None),
        school.berger.pk: (Mark.LATE, 5),
    }


def test_resending_the_same_tap_changes_nothing(teacher_client, school):
    tap(teacher_client, school.maths_4b, school.emma, "absent")
    events = AuditEvent.objects.count()

    again = tap(teacher_client, school.maths_4b, school.emma, "absent")

    assert again.status_code == 200
    assert Absence.objects.count() == 1
    assert RollCallEntry.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_a_correction_keeps_the_trail(teacher_client, school):
    tap(teacher_client, school.maths_4b, school.emma, "absent")
    absence = Absence.objects.get()

    tap(teacher_client, school.maths_4b, school.emma, "late", 10)
    tap(teacher_client, school.maths_4b, school.emma, "present")

    entry = RollCallEntry.objects.get()
    assert entry.mark == Mark.PRESENT
    # Nothing deleted: the absence and the lateness are voided, with their history.
    assert Absence.objects.count() == 2
    assert not Absence.objects.filter(voided_at__isnull=True).exists()
    assert list(AbsenceChange.objects.filter(absence=absence).values_list("action", flat=True)) == [
        "created",
        "voided",
    ]
    trail = list(
        AuditEvent.objects.filter(action="roll_call.entry").order_by("pk").values("before", "after")
    )
    assert [event["after"]["mark"] for event in trail] == ["absent", "late", "present"]
    assert trail[1]["before"]["mark"] == "absent"


def test_a_pupil_not_expected_at_the_session_is_refused(teacher_client, school):
    # Dumas is in 4A; Chloé left 4B last week.
    for pupil in (school.dumas, school.chloe):
        response = tap(teacher_client, school.maths_4b, pupil, "absent")
        assert response.status_code == 400
        assert response.json() == {"error": "Cet élève ne fait pas partie de la séance."}
    assert not RollCall.objects.exists()


def test_a_group_session_refuses_the_other_half_of_the_class(teacher_client, school):
    response = tap(teacher_client, school.latin_g1, school.berger, "absent")

    assert response.status_code == 400
    assert tap(teacher_client, school.latin_g1, school.emma, "absent").status_code == 200


def test_an_unknown_mark_is_refused(teacher_client, school):
    response = tap(teacher_client, school.maths_4b, school.emma, "asleep")

    assert response.status_code == 400
    assert not RollCall.objects.exists()


def test_a_cancelled_session_has_no_roll_call(teacher_client, school):
    school.maths_4b.status = OccurrenceStatus.CANCELLED
    school.maths_4b.save()

    response = tap(teacher_client, school.maths_4b, school.emma, "absent")
    validated = tap(teacher_client, school.maths_4b)

    assert response.status_code == 400
    assert response.json() == {"error": "Cette séance n'a pas lieu : pas d'appel."}
    assert validated.status_code == 400
    assert not RollCall.objects.exists()


def test_another_teacher_gets_a_404(client, school):
    log_in(client, school.other_teacher)

    assert tap(client, school.maths_4b, school.emma, "absent").status_code == 404
    assert not RollCall.objects.exists()


@pytest.mark.parametrize("reader", ["pupil", "parent"])
def test_pupils_and_parents_get_a_404(client, school, reader):
    log_in(client, school.emma.account if reader == "pupil" else school.parent)

    assert tap(client, school.maths_4b, school.emma, "present").status_code == 404
    assert not RollCall.objects.exists()


def test_the_vie_scolaire_completes_the_roll_call(client, school):
    log_in(client, school.aed)

    response = tap(client, school.maths_4b, school.emma, "absent")

    assert response.status_code == 200
    assert RollCall.objects.get().taken_by_id == school.aed.person_id


def test_without_a_session_the_tap_goes_to_the_login_page_and_records_nothing(client, school):
    response = tap(client, school.maths_4b, school.emma, "absent")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not RollCall.objects.exists()


def test_csrf_is_checked(school):
    client = Client(enforce_csrf_checks=True)
    client.force_login(school.teacher)

    refused = tap(client, school.maths_4b, school.emma, "absent")
    page = client.get(reverse("attendance:roll_call_take", args=[school.maths_4b.pk]))
    token = page.context["csrf_token"]
    accepted = tap(client, school.maths_4b, school.emma, "absent", HTTP_X_CSRFTOKEN=str(token))

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert marks(school.maths_4b) == {school.emma.pk: (Mark.ABSENT, None)}


def test_a_get_is_not_allowed(teacher_client, school):
    assert teacher_client.get(entry_url(school.maths_4b)).status_code == 405


def test_a_pupil_marked_again_after_a_correction_gets_a_new_absence(teacher_client, school):
    tap(teacher_client, school.maths_4b, school.emma, "absent")
    tap(teacher_client, school.maths_4b, school.emma, "present")
    tap(teacher_client, school.maths_4b, school.emma, "absent")
    tap(teacher_client, school.maths_4b, school.berger, "infirmary")
    tap(teacher_client, school.maths_4b, school.berger, "excluded")

    active = Absence.objects.filter(voided_at__isnull=True)
    assert [(a.pupil, a.kind) for a in active] == [(school.emma, AbsenceKind.ABSENCE)]
    assert active.get().roll_call_entry == RollCallEntry.objects.get(pupil=school.emma)
    assert Absence.objects.count() == 2
    events = SchoolEvent.objects.order_by("pk")
    assert [(e.kind, e.voided_at is None) for e in events] == [
        ("infirmary", False),
        ("exclusion", True),
    ]
