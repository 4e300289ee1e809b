"""The conseil de classe page, appraisals typed in place and sealing a period: who may
see and write what (a teacher who is not the head teacher writes no council
appraisal; only the direction seals; once sealed a teacher writes nothing), and what
the page costs."""

import pytest
from django.urls import reverse

from preau.grades.models import Appraisal, AppraisalKind, PeriodSeal
from tests.conftest import log_in
from tests.factories import mark, pupil_in
from tests.grades.test_report_cards_support import Lycee

pytestmark = pytest.mark.django_db

COUNCILS = reverse("grades:councils")
COUNCIL_APPRAISAL = reverse("grades:council_appraisal")
SEAL = reverse("grades:council_seal")


@pytest.fixture
def lycee():
    return Lycee()


def choice(lycee) -> dict:
    return {"division": lycee.division.pk, "periode": lycee.period.pk}


def write_council(client, lycee, text, *, version=0, kind=AppraisalKind.COUNCIL, htmx=True):
    data = {**choice(lycee), "pupil": lycee.emma.pk, "kind": kind, "text": text, "version": version}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(COUNCIL_APPRAISAL, data, **headers)


def test_the_head_teacher_sees_averages_class_figures_and_absences(client, lycee):
    log_in(client, lycee.head)

    response = client.get(COUNCILS, choice(lycee))

    html = response.content.decode()
    assert response.status_code == 200
    assert "ROCHE Emma" in html
    assert "16,33" in html  # Emma's maths
    assert "14,80" in html  # Emma's general average
    assert "13,33" in html  # the lowest maths average
    assert "Clore la période" not in html  # the direction's


def test_the_direction_sees_the_seal_button(client, lycee):
    log_in(client, lycee.direction)

    html = client.get(COUNCILS, choice(lycee)).content.decode()

    assert "Clore la période" in html


def test_a_teacher_who_is_not_head_teacher_has_no_council_page(client, lycee):
    log_in(client, lycee.maths_teacher)

    assert client.get(COUNCILS, choice(lycee)).status_code == 404


def test_the_head_teacher_writes_the_council_appraisal_as_typed(client, lycee):
    log_in(client, lycee.head)

    response = write_council(client, lycee, "Bon trimestre.")

    assert response.status_code == 200
    assert "Enregistré." in response.content.decode()
    assert 'value="1"' in response.content.decode()  # the new version, out of band
    appraisal = Appraisal.objects.get(pupil=lycee.emma, kind=AppraisalKind.COUNCIL)
    assert appraisal.text == "Bon trimestre."
    assert appraisal.author == lycee.head.person


def test_a_stale_version_is_refused_and_nothing_overwritten(client, lycee):
    log_in(client, lycee.head)
    write_council(client, lycee, "Premier texte.")

    response = write_council(client, lycee, "Second texte.", version=0)

    assert "Modifiée entre-temps" in response.content.decode()
    assert Appraisal.objects.get(pupil=lycee.emma).text == "Premier texte."


def test_an_appraisal_longer_than_the_setting_is_refused_with_the_reason(client, lycee):
    log_in(client, lycee.head)

    response = write_council(client, lycee, "x" * 401)

    assert "la limite est 400" in response.content.decode()
    assert not Appraisal.objects.exists()


def test_a_teacher_who_is_not_head_teacher_cannot_write_a_council_appraisal(client, lycee):
    log_in(client, lycee.maths_teacher)

    response = write_council(client, lycee, "Non.")

    assert response.status_code == 404
    assert not Appraisal.objects.exists()


def test_only_the_direction_seals_a_period(client, lycee):
    log_in(client, lycee.head)
    assert client.post(SEAL, choice(lycee)).status_code == 404
    assert not PeriodSeal.objects.exists()
    client.logout()
    log_in(client, lycee.direction)

    response = client.post(SEAL, choice(lycee))

    assert response.status_code == 302
    assert PeriodSeal.objects.filter(division=lycee.division, period=lycee.period).exists()
    client.post(SEAL, {**choice(lycee), "action": "rouvrir"})
    assert not PeriodSeal.objects.exists()


def test_after_sealing_teachers_write_no_appraisal_the_direction_still_does(client, lycee):
    PeriodSeal.objects.create(division=lycee.division, period=lycee.period)
    log_in(client, lycee.head)

    response = write_council(client, lycee, "Trop tard.")

    assert "La période est close" in response.content.decode()
    assert not Appraisal.objects.exists()
    client.logout()
    log_in(client, lycee.maths_teacher)
    saved = client.post(
        reverse("grades:appraisal_save", args=[lycee.maths.pk]),
        {"periode": lycee.period.pk, "pupil": lycee.emma.pk, "text": "Trop tard.", "version": 0},
        HTTP_HX_REQUEST="true",
    )
    assert "La période est close" in saved.content.decode()
    assert not Appraisal.objects.exists()
    client.logout()
    log_in(client, lycee.direction)
    write_council(client, lycee, "Correction de la direction.")
    assert Appraisal.objects.get().text == "Correction de la direction."


def test_the_councils_page_costs_the_same_whatever_the_class_size(
    client, lycee, django_assert_num_queries
):
    log_in(client, lycee.head)
    client.get(COUNCILS, choice(lycee))  # settings created once

    with django_assert_num_queries(QUERIES):
        client.get(COUNCILS, choice(lycee))
    for number in range(6):
        pupil = pupil_in(lycee.division, last_name=f"Nouveau{number}")
        for evaluation in lycee.period.evaluations.all():
            mark(evaluation, pupil, "13")
        Appraisal.objects.create(
            period=lycee.period, pupil=pupil, kind=AppraisalKind.HEAD_TEACHER, text="Bien."
        )

    with django_assert_num_queries(QUERIES):
        response = client.get(COUNCILS, choice(lycee))
    assert "NOUVEAU5" in response.content.decode()


QUERIES = 32


# -- A teacher's appraisals ----------------------------------------------------------


def appraisals_url(service) -> str:
    return reverse("grades:appraisals", args=[service.pk])


def test_a_teacher_types_the_appraisals_of_their_service(client, lycee):
    log_in(client, lycee.maths_teacher)

    page = client.get(appraisals_url(lycee.maths), {"periode": lycee.period.pk})
    saved = client.post(
        reverse("grades:appraisal_save", args=[lycee.maths.pk]),
        {"periode": lycee.period.pk, "pupil": lycee.hugo.pk, "text": "Des progrès.", "version": 0},
        HTTP_HX_REQUEST="true",
    )

    html = page.content.decode()
    assert "LAMBERT Hugo" in html
    assert "13,33" in html
    assert "0 / 400 caractères" in html
    assert "Enregistré." in saved.content.decode()
    appraisal = Appraisal.objects.get(pupil=lycee.hugo)
    assert (appraisal.kind, appraisal.service, appraisal.text) == (
        AppraisalKind.SUBJECT,
        lycee.maths,
        "Des progrès.",
    )


def test_another_teacher_gets_no_appraisal_page_of_a_service(client, lycee):
    log_in(client, lycee.stranger)

    assert client.get(appraisals_url(lycee.maths)).status_code == 404
    response = client.post(
        reverse("grades:appraisal_save", args=[lycee.maths.pk]),
        {"periode": lycee.period.pk, "pupil": lycee.hugo.pk, "text": "Non.", "version": 0},
    )
    assert response.status_code == 404
    assert not Appraisal.objects.exists()


def test_the_head_teacher_reads_a_colleagues_appraisals_without_writing(client, lycee):
    Appraisal.objects.create(
        period=lycee.period,
        pupil=lycee.hugo,
        kind=AppraisalKind.SUBJECT,
        service=lycee.maths,
        text="Des efforts.",
    )
    log_in(client, lycee.head)

    html = client.get(appraisals_url(lycee.maths)).content.decode()

    assert "Des efforts." in html
    assert "<textarea" not in html


def test_the_appraisals_page_costs_the_same_whatever_the_class_size(
    client, lycee, django_assert_num_queries
):
    log_in(client, lycee.maths_teacher)
    client.get(appraisals_url(lycee.maths))

    with django_assert_num_queries(APPRAISAL_QUERIES):
        client.get(appraisals_url(lycee.maths))
    for number in range(6):
        pupil = pupil_in(lycee.division, last_name=f"Nouveau{number}")
        for evaluation in lycee.period.evaluations.all():
            mark(evaluation, pupil, "13")

    with django_assert_num_queries(APPRAISAL_QUERIES):
        client.get(appraisals_url(lycee.maths))


APPRAISAL_QUERIES = 20
