"""Online justification: a legal guardian, or an adult pupil, gives a reason, a comment
and an optional document (PDF, JPEG or PNG, 5 MB at most, recognised by its content);
the absence then waits for the vie scolaire ("Justification à examiner")."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from preau.attendance import services
from preau.attendance.models import Absence, AbsenceChange, AbsenceState, AttendancePolicy
from preau.attendance.views.family import MAX_DOCUMENT_BYTES, sniff
from tests.attendance.test_family_support import Family
from tests.conftest import log_in

pytestmark = pytest.mark.django_db

JUSTIFY = reverse("attendance:justify")
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def family():
    return Family()


def form_url(absence) -> str:
    return reverse("attendance:justify_absence", args=[absence.pk])


def send(client, absence, *, reason, comment="", document=None):
    data = {"reason": reason.pk, "comment": comment}
    if document is not None:
        data["document"] = document
    return client.post(form_url(absence), data)


def test_a_guardian_justifies_an_absence_and_it_waits_for_the_vie_scolaire(client, family):
    log_in(client, family.mother)
    certificate = SimpleUploadedFile("certificat Emma gastro.pdf", PDF, "application/pdf")

    response = send(
        client,
        family.absent,
        reason=family.reasons["MAL"],
        comment="Gastro-entérite.",
        document=certificate,
    )

    assert response.status_code == 302
    assert response["Location"] == JUSTIFY
    absence = Absence.objects.get(pk=family.absent.pk)
    assert absence.state == AbsenceState.PENDING
    assert absence.reason == family.reasons["MAL"]
    assert absence.family_comment == "Gastro-entérite."
    assert AbsenceChange.objects.filter(absence=absence, action="justified").exists()
    page = client.get(JUSTIFY).content.decode()
    assert "Justification envoyée" in page
    assert "Justification à examiner" in page


def test_the_document_is_stored_under_an_unguessable_name(client, family):
    log_in(client, family.mother)

    send(
        client,
        family.absent,
        reason=family.reasons["MAL"],
        document=SimpleUploadedFile("certificat Emma gastro.pdf", PDF, "application/pdf"),
    )

    name = Absence.objects.get(pk=family.absent.pk).document.name
    assert re.fullmatch(r"justificatifs/\d{4}/\d{2}/[A-Za-z0-9_-]{32}\.pdf", name)
    assert "Emma" not in name


def test_the_document_is_given_back_to_the_family_only_never_publicly(client, family):
    log_in(client, family.mother)
    send(
        client,
        family.absent,
        reason=family.reasons["MAL"],
        document=SimpleUploadedFile("scan.png", PNG, "image/png"),
    )
    document = reverse("attendance:justification_document", args=[family.absent.pk])
    name = Absence.objects.get(pk=family.absent.pk).document.name

    response = client.get(document)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PNG
    assert client.get(f"/media/{name}").status_code == 404

    client.logout()
    log_in(client, family.father)
    assert client.get(document).status_code == 200
    for reader in ("grandmother", "other_parent", "teacher", "cpe"):
        client.logout()
        log_in(client, family.account(reader))
        assert client.get(document).status_code == 404, reader


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("certificat.pdf", PDF, "application/pdf"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("scan.png", PNG, "image/png"),
        # What counts is the content, not the name or the type the browser gave.
        ("scan", PNG, "application/octet-stream"),
    ],
)
def test_pdf_jpeg_and_png_documents_are_accepted(client, family, name, content, content_type):
    log_in(client, family.mother)

    response = send(
        client,
        family.absent,
        reason=family.reasons["MAL"],
        document=SimpleUploadedFile(name, content, content_type),
    )

    assert response.status_code == 302
    suffix = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}[content]
    assert Absence.objects.get(pk=family.absent.pk).document.name.endswith(suffix)


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        (
            "certificat.pdf",
            b"<html><script>alert(1)</script>",
            "application/pdf",
            "PDF, JPEG ou PNG",
        ),
        ("mot.docx", b"PK\x03\x04" + b"\x00" * 64, "application/msword", "PDF, JPEG ou PNG"),
        ("photo.gif", b"GIF89a" + b"\x00" * 64, "image/gif", "PDF, JPEG ou PNG"),
        ("gros.pdf", PDF + b"\x00" * MAX_DOCUMENT_BYTES, "application/pdf", "5 Mo"),
    ],
)
def test_other_documents_are_refused_and_nothing_changes(
    client, family, name, content, content_type, message
):
    log_in(client, family.mother)

    response = send(
        client,
        family.absent,
        reason=family.reasons["MAL"],
        document=SimpleUploadedFile(name, content, content_type),
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    absence = Absence.objects.get(pk=family.absent.pk)
    assert absence.state == AbsenceState.UNJUSTIFIED
    assert not absence.document


def test_a_document_of_exactly_five_megabytes_is_accepted(client, family):
    log_in(client, family.mother)
    content = PDF + b"\x00" * (MAX_DOCUMENT_BYTES - len(PDF))

    response = send(
        client,
        family.absent,
        reason=family.reasons["MAL"],
        document=SimpleUploadedFile("certificat.pdf", content, "application/pdf"),
    )

    assert response.status_code == 302


@given(st.binary(max_size=16))
def test_only_the_three_signatures_are_recognised(head):
    expected = (
        ".pdf"
        if head.startswith(b"%PDF-")
        else ".jpg"
        if head.startswith(b"\xff\xd8\xff")
        else ".png"
        if head.startswith(b"\x89PNG\r\n\x1a\n")
        else None
    )
    assert sniff(head) == expected


def test_only_reasons_the_establishment_offers_to_families_are_accepted(client, family):
    log_in(client, family.mother)
    withdrawn = family.reasons["FAM"]
    withdrawn.active = False
    withdrawn.save()

    for reason in (family.reasons["SANS"], withdrawn):
        response = send(client, family.absent, reason=reason)
        assert response.status_code == 400
    page = client.get(form_url(family.absent)).content.decode()

    assert "Sans motif valable" not in page
    assert "Réunion solennelle" not in page
    assert "Maladie" in page
    assert Absence.objects.get(pk=family.absent.pk).state == AbsenceState.UNJUSTIFIED


def test_a_lateness_is_justified_like_an_absence(client, family):
    log_in(client, family.father)

    response = send(client, family.late, reason=family.reasons["TRANSP"], comment="Bus en panne")

    assert response.status_code == 302
    assert Absence.objects.get(pk=family.late.pk).state == AbsenceState.PENDING


def test_an_adult_pupil_justifies_their_own_absence(client, family):
    absence = family.absence(family.lea, family.session(family.monday, 14, family.maths, family.t1))
    log_in(client, family.lea.account)

    response = send(client, absence, reason=family.reasons["RDVMED"])

    assert response.status_code == 302
    assert Absence.objects.get(pk=absence.pk).state == AbsenceState.PENDING


@pytest.mark.parametrize("reader", ["emma", "grandmother", "teacher", "cpe"])
def test_the_justification_page_is_for_guardians_and_adult_pupils_only(client, family, reader):
    log_in(client, family.account(reader))

    assert client.get(JUSTIFY).status_code == 404


def test_an_adult_pupil_has_the_justification_page(client, family):
    absence = family.absence(family.lea, family.session(family.monday, 14, family.maths, family.t1))
    log_in(client, family.lea.account)

    response = client.get(JUSTIFY)

    assert [row.absence.pk for row in response.context["waiting"]] == [absence.pk]


@pytest.mark.parametrize("reader", ["emma", "grandmother", "other_parent", "teacher", "cpe"])
def test_nobody_else_may_justify(client, family, reader):
    log_in(client, family.account(reader))

    assert client.get(form_url(family.absent)).status_code == 404
    assert send(client, family.absent, reason=family.reasons["MAL"]).status_code == 404
    assert Absence.objects.get(pk=family.absent.pk).state == AbsenceState.UNJUSTIFIED


def test_an_absence_of_another_child_answers_404(client, family):
    hugo_absent = family.absence(family.hugo, family.maths_monday)
    log_in(client, family.mother)

    assert client.get(form_url(hugo_absent)).status_code == 404
    assert send(client, hugo_absent, reason=family.reasons["MAL"]).status_code == 404


def test_a_voided_absence_answers_404(client, family):
    services.absence_void(actor=None, absence=family.absent, expected_version=None, system=True)
    log_in(client, family.mother)

    assert client.get(form_url(family.absent)).status_code == 404


def test_when_the_establishment_closes_online_justification_families_are_told(client, family):
    AttendancePolicy.objects.create(establishment=family.establishment, families_may_justify=False)
    log_in(client, family.mother)

    page = client.get(JUSTIFY).content.decode()

    assert "ne propose pas la justification en ligne" in page
    assert form_url(family.absent) not in page
    assert client.get(form_url(family.absent)).status_code == 404


def test_the_list_shows_waiting_and_rejected_absences_and_the_justifications_sent(client, family):
    services.absence_justify(
        actor=None, absence=family.late, reason=family.reasons["TRANSP"], comment=""
    )
    log_in(client, family.mother)

    response = client.get(JUSTIFY)

    assert [row.absence.pk for row in response.context["waiting"]] == [family.absent.pk]
    assert [row.absence.pk for row in response.context["pending"]] == [family.late.pk]

    absence = Absence.objects.get(pk=family.late.pk)
    services.absence_decide(
        actor=None, absence=absence, expected_version=None, accept=False, staff_comment="?"
    )
    waiting = client.get(JUSTIFY).context["waiting"]
    assert {row.absence.pk for row in waiting} == {family.absent.pk, family.late.pk}
    rejected = next(row for row in waiting if row.absence.pk == family.late.pk)
    assert rejected.state == "Justification refusée"


def test_an_accepted_absence_cannot_be_justified_again(client, family):
    services.absence_decide(
        actor=None,
        absence=family.absent,
        expected_version=None,
        accept=True,
        reason=family.reasons["MAL"],
    )
    log_in(client, family.mother)

    page = client.get(form_url(family.absent)).content.decode()
    response = send(client, family.absent, reason=family.reasons["PERSO"])

    assert "n'attend pas de justification" in page
    assert '<form method="post" enctype' not in page
    assert response.status_code == 400
    absence = Absence.objects.get(pk=family.absent.pk)
    assert (absence.state, absence.reason.code) == (AbsenceState.ACCEPTED, "MAL")


def test_the_form_is_labelled_and_says_what_a_document_may_be(client, family):
    log_in(client, family.mother)

    html = client.get(form_url(family.absent)).content.decode()

    for field in ("reason", "comment", "document"):
        assert f'<label for="id_{field}">' in html
    assert 'enctype="multipart/form-data"' in html
    assert "PDF, JPEG ou PNG, 5 Mo au plus" in html
    assert 'name="csrfmiddlewaretoken"' in html
