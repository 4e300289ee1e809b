"""Processing one absence at the desk: accepting or rejecting a justification,
correcting, voiding and restoring, each through its service with the version the
person read; a concurrent change is shown, never overwritten; a family's document is
served only through the access check."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from preau.attendance import services
from preau.attendance.models import (
    Absence,
    AbsenceKind,
    AbsenceState,
    Mark,
    RollCallEntry,
)
from preau.audit.models import AuditEvent
from tests.attendance.test_desk_school import DeskSchool, at
from tests.conftest import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return DeskSchool()


def page(absence) -> str:
    return reverse("attendance:desk_absence", args=[absence.pk])


def act(absence, action: str) -> str:
    return reverse("attendance:desk_absence_action", args=[absence.pk, action])


def text(response) -> str:
    return html.unescape(response.content.decode())


def actions(absence) -> list[str]:
    return list(absence.changes.order_by("at", "pk").values_list("action", flat=True))


# -- Deciding a justification ------------------------------------------------------------


def test_the_desk_accepts_a_justification_and_the_history_says_who(client, school):
    absence = school.pending(school.emma, at(school.day, 8), at(school.day, 9))
    log_in(client, school.cpe)

    response = client.post(
        act(absence, "decider"),
        {"decider-version": absence.version, "decider-decision": "accept"},
    )

    assert response.status_code == 302
    absence.refresh_from_db()
    assert (absence.state, absence.reason) == (AbsenceState.ACCEPTED, school.illness)
    last = absence.changes.order_by("-pk").first()
    assert (last.action, last.actor, last.state) == (
        "accepted",
        school.cpe.person,
        AbsenceState.ACCEPTED,
    )


def test_a_rejection_needs_an_explanation_for_the_family(client, school):
    absence = school.pending(school.emma, at(school.day, 8), at(school.day, 9))
    log_in(client, school.cpe)

    refused = client.post(
        act(absence, "decider"),
        {"decider-version": absence.version, "decider-decision": "reject"},
    )
    rejected = client.post(
        act(absence, "decider"),
        {
            "decider-version": absence.version,
            "decider-decision": "reject",
            "decider-staff_comment": "Certificat illisible",
        },
    )

    assert refused.status_code == 400
    assert "Expliquez à la famille" in text(refused)
    assert rejected.status_code == 302
    absence.refresh_from_db()
    assert (absence.state, absence.staff_comment) == (
        AbsenceState.REJECTED,
        "Certificat illisible",
    )


def test_accepting_with_a_reason_that_does_not_justify_is_refused(client, school):
    absence = school.pending(school.emma, at(school.day, 8), at(school.day, 9))
    log_in(client, school.cpe)

    response = client.post(
        act(absence, "decider"),
        {
            "decider-version": absence.version,
            "decider-decision": "accept",
            "decider-reason": school.alarm.pk,
        },
    )

    assert response.status_code == 400
    absence.refresh_from_db()
    assert absence.state == AbsenceState.PENDING


def test_the_absence_page_shows_the_family_reason_in_full_and_its_history(client, school):
    absence = school.pending(school.emma, at(school.day, 8), at(school.day, 9))
    log_in(client, school.aed)

    response = client.get(page(absence))

    content = text(response)
    assert response.status_code == 200
    assert "Maladie" in content
    assert "Fièvre" in content
    assert [change.action for change in response.context["history"]] == ["created", "justified"]
    assert "Justification de la famille" in content


# -- Stale versions -------------------------------------------------------------------------


def test_a_correction_from_a_stale_version_shows_the_current_one_and_loses_nothing(client, school):
    absence = school.pending(school.emma, at(school.day, 8), at(school.day, 9))
    read_version = absence.version
    # Meanwhile, somebody else accepts the justification.
    services.absence_decide(
        actor=school.direction, absence=absence, expected_version=read_version, accept=True
    )
    log_in(client, school.cpe)

    response = client.post(
        act(absence, "corriger"),
        {
            "corriger-version": read_version,
            "corriger-kind": AbsenceKind.ABSENCE,
            "corriger-span": "times",
            "corriger-date": school.day.isoformat(),
            "corriger-start_time": "08:00",
            "corriger-end_time": "10:00",
            "corriger-state": AbsenceState.UNJUSTIFIED,
            "corriger-reason": "",
            "corriger-staff_comment": "Arrivé à 10 h selon le surveillant",
        },
    )

    assert response.status_code == 409
    content = text(response)
    assert "vient d'être modifiée par quelqu'un d'autre" in content
    current = Absence.objects.get(pk=absence.pk)
    # Nothing written: the other person's decision stands.
    assert (current.state, current.end, current.version) == (
        AbsenceState.ACCEPTED,
        at(school.day, 9),
        read_version + 1,
    )
    assert actions(current) == ["created", "justified", "accepted"]
    # The page shows the current version and keeps what was typed, now naming it.
    assert response.context["absence"].version == current.version
    assert "Arrivé à 10 h selon le surveillant" in content
    rebound = next(item["form"] for item in response.context["forms"] if item["open"])
    assert rebound.data["corriger-version"] == str(current.version)


def test_a_decision_from_a_stale_version_is_refused(client, school):
    absence = school.pending(school.emma, at(school.day, 8), at(school.day, 9))
    services.absence_update(
        actor=school.direction,
        absence=absence,
        expected_version=absence.version,
        end=at(school.day, 10),
    )
    log_in(client, school.cpe)

    response = client.post(
        act(absence, "decider"),
        {
            "decider-version": absence.version,
            "decider-decision": "reject",
            "decider-staff_comment": "Non",
        },
    )

    assert response.status_code == 409
    absence.refresh_from_db()
    assert absence.state == AbsenceState.PENDING


# -- Correcting, voiding, restoring ------------------------------------------------------


def test_a_correction_changes_the_absence_and_keeps_the_teachers_entry(client, school):
    course = school.courses[("4B", school.day, 8)]
    services.roll_call_record(
        actor=school.teacher,
        occurrence=course,
        entries={school.emma.pk: services.Entry(Mark.ABSENT)},
        audience={school.emma.pk: school.emma},
    )
    absence = Absence.objects.get(pupil=school.emma)
    log_in(client, school.cpe)

    response = client.post(
        act(absence, "corriger"),
        {
            "corriger-version": absence.version,
            "corriger-kind": AbsenceKind.LATENESS,
            "corriger-span": "times",
            "corriger-date": school.day.isoformat(),
            "corriger-start_time": "08:00",
            "corriger-end_time": "08:55",
            "corriger-minutes_late": "20",
            "corriger-state": AbsenceState.UNJUSTIFIED,
            "corriger-reason": "",
            "corriger-staff_comment": "",
        },
    )

    assert response.status_code == 302
    absence.refresh_from_db()
    assert (absence.kind, absence.minutes_late) == (AbsenceKind.LATENESS, 20)
    assert absence.end == at(school.day, 8, 20)
    assert RollCallEntry.objects.get(pupil=school.emma).mark == Mark.ABSENT
    assert actions(absence) == ["created", "corrected"]
    event = AuditEvent.objects.get(action="absence.corrected")
    assert (event.before["kind"], event.after["kind"]) == ("absence", "lateness")


def test_void_then_restore_keep_every_state_in_the_history(client, school):
    absence = school.absence(school.emma, at(school.day, 8), at(school.day, 9))
    log_in(client, school.cpe)

    voided = client.post(
        act(absence, "annuler"),
        {"annuler-version": absence.version, "annuler-note": "Saisie en double"},
    )
    absence.refresh_from_db()
    assert voided.status_code == 302
    assert absence.voided_at is not None
    restored = client.post(act(absence, "retablir"), {"retablir-version": absence.version})

    absence.refresh_from_db()
    assert restored.status_code == 302
    assert absence.voided_at is None
    assert actions(absence) == ["created", "voided", "restored"]
    assert Absence.objects.filter(pk=absence.pk).exists()


def test_the_page_returns_to_where_the_desk_came_from(client, school):
    absence = school.pending(school.emma, at(school.day, 8), at(school.day, 9))
    log_in(client, school.cpe)
    came_from = f"{reverse('attendance:desk')}?jour={school.day.isoformat()}&etat=pending"

    response = client.post(
        act(absence, "decider"),
        {"decider-version": absence.version, "decider-decision": "accept", "next": came_from},
    )
    elsewhere = client.post(
        act(absence, "annuler"),
        {
            "annuler-version": absence.version + 1,
            "annuler-note": "x",
            "next": "https://ailleurs.example/",
        },
    )

    assert response["Location"] == came_from
    assert elsewhere["Location"] == page(absence)


def test_an_unknown_action_answers_404_and_a_get_is_refused(client, school):
    absence = school.absence(school.emma, at(school.day, 8), at(school.day, 9))
    log_in(client, school.cpe)

    assert client.post(act(absence, "supprimer"), {}).status_code == 404
    assert client.get(act(absence, "annuler")).status_code == 405


# -- The family's document ----------------------------------------------------------------


def justified_with_document(school):
    absence = school.absence(school.emma, at(school.day, 8), at(school.day, 9))
    return services.absence_justify(
        actor=None,
        absence=absence,
        reason=school.illness,
        comment="Voir le certificat",
        document=SimpleUploadedFile(
            "certificat.pdf", b"%PDF-1.4 certificat", content_type="application/pdf"
        ),
    )


def test_the_desk_downloads_the_document_through_the_access_check(client, school):
    absence = justified_with_document(school)
    log_in(client, school.cpe)

    response = client.get(reverse("attendance:desk_document", args=[absence.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 certificat"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("who", ["other_cpe", "teacher", "parent"])
def test_nobody_else_gets_the_document(client, school, who):
    absence = justified_with_document(school)
    log_in(client, getattr(school, who))

    assert client.get(reverse("attendance:desk_document", args=[absence.pk])).status_code == 404


def test_an_absence_without_document_answers_404(client, school):
    absence = school.absence(school.emma, at(school.day, 8), at(school.day, 9))
    log_in(client, school.cpe)

    assert client.get(reverse("attendance:desk_document", args=[absence.pk])).status_code == 404


def test_the_absence_page_has_a_fixed_number_of_queries(client, school, django_assert_num_queries):
    absence = school.pending(school.emma, at(school.day, 8), at(school.day, 9))
    for index in range(4):
        services.absence_update(
            actor=school.cpe,
            absence=absence,
            expected_version=None,
            staff_comment=f"note {index}",
        )
    log_in(client, school.cpe)
    client.get(page(absence))

    with django_assert_num_queries(10):
        client.get(page(absence))
