"""Health reasons at the desk (access.md): shown to the vie scolaire (CPE, assistants
d'éducation) and the direction, not to the secretariat, which reads "motif
confidentiel" (or "absence justifiée" once accepted), without the family's explanation,
and may not download the document (a medical certificate) of such an absence; it still
downloads the documents of other absences."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from preau.attendance import services, visibility
from preau.attendance.models import AbsenceState
from preau.core.models import RoleKind
from tests.attendance.test_desk_school import DeskSchool, at, desk_url
from tests.conftest import log_in

pytestmark = pytest.mark.django_db

SEEING = ["cpe", "aed", "direction"]


@pytest.fixture
def school():
    return DeskSchool()


def justified(school, reason, *, comment="Fièvre et certificat du Dr Petit"):
    """Emma's absence of the first morning course, justified online with a document."""
    absence = school.absence(school.emma, at(school.day, 8), at(school.day, 9))
    return services.absence_justify(
        actor=None,
        absence=absence,
        reason=reason,
        comment=comment,
        document=SimpleUploadedFile(
            "certificat.pdf", b"%PDF-1.4 certificat", content_type="application/pdf"
        ),
    )


def page_text(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def document_url(absence) -> str:
    return reverse("attendance:desk_document", args=[absence.pk])


def test_one_definition_of_who_reads_health_reasons():
    readers = {RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT, RoleKind.DIRECTION}
    assert readers == visibility.SEES_HEALTH_REASONS
    assert visibility.sees_health_reasons({RoleKind.TEACHER, RoleKind.DIRECTION})
    assert not visibility.sees_health_reasons({RoleKind.SECRETARIAT, RoleKind.TEACHER})


# -- The reason on the desk's pages --------------------------------------------------------


@pytest.mark.parametrize("who", SEEING)
def test_the_vie_scolaire_and_the_direction_read_the_health_reason(client, school, who):
    absence = justified(school, school.illness)
    log_in(client, getattr(school, who))

    day = page_text(client.get(desk_url(school)))
    detail = page_text(client.get(reverse("attendance:desk_absence", args=[absence.pk])))
    pupil = page_text(client.get(reverse("attendance:desk_pupil", args=[school.emma.pk])))

    for text in (day, detail, pupil):
        assert "Maladie" in text
    assert "Fièvre et certificat du Dr Petit" in detail
    assert document_url(absence) in detail


def test_the_secretariat_reads_confidential_instead_of_the_health_reason(client, school):
    # Given an absence justified for illness, with a document, and another for transport
    absence = justified(school, school.illness)
    other = school.absence(
        school.hugo, at(school.day, 8), at(school.day, 9), reason=school.transport
    )
    log_in(client, school.secretariat)

    # When the secretariat opens the day, the absence and the pupil's file
    day = client.get(desk_url(school))
    detail = client.get(reverse("attendance:desk_absence", args=[absence.pk]))
    pupil = client.get(reverse("attendance:desk_pupil", args=[school.emma.pk]))

    # Then it reads neither the reason (rows and history), the explanation nor a link to
    # the document; the other reason is shown
    rows = {row.absence.pk: row for block in day.context["found"].blocks for row in block.rows}
    assert rows[absence.pk].reason == "Motif confidentiel"
    assert rows[other.pk].reason == school.transport.label
    for text in map(page_text, (day, detail, pupil)):
        assert "Maladie" not in text
        assert "Motif confidentiel" in text or "motif confidentiel" in text
    assert "Fièvre et certificat du Dr Petit" not in page_text(detail)
    assert document_url(absence) not in page_text(detail)
    assert document_url(absence) not in page_text(day)


def test_an_accepted_health_absence_reads_justified_for_the_secretariat(client, school):
    absence = justified(school, school.illness)
    services.absence_decide(
        actor=school.cpe, absence=absence, expected_version=absence.version, accept=True
    )
    log_in(client, school.secretariat)

    found = client.get(reverse("attendance:desk_pupil", args=[school.emma.pk])).context["file"]

    (row,) = found.absences
    assert (row.reason, row.confidential, row.withheld) == ("Absence justifiée", True, True)


def test_the_secretariat_is_not_offered_to_judge_a_health_reason(client, school):
    # Given an absence waiting for a decision on a health reason
    absence = justified(school, school.illness)
    log_in(client, school.secretariat)

    # When the secretariat opens it and posts a decision all the same
    detail = client.get(reverse("attendance:desk_absence", args=[absence.pk]))
    posted = client.post(
        reverse("attendance:desk_absence_action", args=[absence.pk, "decider"]),
        {
            "decider-version": absence.version,
            "decider-decision": "accept",
            "decider-reason": school.illness.pk,
        },
    )

    # Then only voiding is offered, and nothing was decided
    assert [item["action"] for item in detail.context["forms"]] == ["annuler"]
    assert posted.status_code == 302
    absence.refresh_from_db()
    assert absence.state == AbsenceState.PENDING


# -- The document -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", SEEING)
def test_the_vie_scolaire_and_the_direction_download_a_medical_certificate(client, school, who):
    absence = justified(school, school.illness)
    log_in(client, getattr(school, who))

    response = client.get(document_url(absence))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 certificat"


def test_the_secretariat_may_not_download_a_medical_certificate(client, school, caplog):
    absence = justified(school, school.illness)
    log_in(client, school.secretariat)

    with caplog.at_level("INFO"):
        response = client.get(document_url(absence))

    assert response.status_code == 404
    assert f"refused absence_document {absence.pk}" in caplog.text


def test_the_secretariat_downloads_the_document_of_another_reason(client, school):
    absence = justified(school, school.transport, comment="Grève des cars")
    log_in(client, school.secretariat)

    detail = page_text(client.get(reverse("attendance:desk_absence", args=[absence.pk])))
    response = client.get(document_url(absence))

    assert "Grève des cars" in detail
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 certificat"
