"""Evaluations created, changed and deleted from the grid, sub-subjects added, and the
history of an evaluation's marks: the rules are the services', their refusals shown
on the fields."""

import html
from datetime import timedelta

import pytest
from django.urls import reverse

from preau.core.selectors import today
from preau.grades import services
from preau.grades.models import Evaluation, EvaluationKind, PeriodSeal, SubSubject
from tests.conftest import log_in
from tests.factories import mark
from tests.grades.test_entry_support import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return School()


def text(response) -> str:
    return html.unescape(response.content.decode())


def new_url(school) -> str:
    return reverse("grades:entry_evaluation_new", args=[school.maths.pk, school.period.pk])


def form_data(school, **changes) -> dict:
    data = {
        "title": "Devoir maison",
        "date": today().isoformat(),
        "scale": "40",
        "coefficient": "0,5",
        "kind": EvaluationKind.BONUS,
        "period": school.period.pk,
        "published_on": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_teacher_creates_an_evaluation_published_on_its_date_by_default(client, school):
    log_in(client, school.teacher)
    page = client.get(new_url(school))
    assert page.status_code == 200
    assert page.context["form"]["scale"].value() == 20

    response = client.post(new_url(school), form_data(school))

    assert response.status_code == 302
    assert response.url == school.grid_url()
    created = Evaluation.objects.get(title="Devoir maison")
    assert created.service == school.maths
    assert created.published_on == created.date == today()
    assert str(created.coefficient) == "0.50"
    assert created.scale == 40
    assert not created.bring_to_20
    assert created.kind == EvaluationKind.BONUS
    assert created.created_by == school.teacher.person


def test_validation_errors_are_shown_on_the_fields(client, school):
    log_in(client, school.teacher)

    response = client.post(
        new_url(school), form_data(school, title="", scale="0", coefficient="120")
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"title", "scale", "coefficient"}
    content = text(response)
    assert 'id="id_scale_error"' in content
    assert 'aria-describedby="id_scale_helptext id_scale_error"' in content
    assert not Evaluation.objects.filter(title="").exists()


def test_a_sub_subject_of_the_service_can_be_chosen(client, school):
    written = services.sub_subject_create(
        actor=school.teacher, service=school.maths, code="ecr", label="Écrit"
    )
    log_in(client, school.teacher)

    response = client.post(new_url(school), form_data(school, sub_subject=written.pk))

    assert response.status_code == 302
    assert Evaluation.objects.get(title="Devoir maison").sub_subject == written


def test_a_sub_subject_of_another_service_is_refused(client, school):
    foreign = services.sub_subject_create(
        actor=None, service=school.maths_4a, code="ORAL", label="Oral"
    )
    services.sub_subject_create(actor=None, service=school.maths, code="ECR", label="Écrit")
    log_in(client, school.teacher)

    response = client.post(new_url(school), form_data(school, sub_subject=foreign.pk))

    assert response.status_code == 400
    assert "sub_subject" in response.context["form"].errors


def test_a_teacher_changes_an_evaluation(client, school):
    log_in(client, school.teacher)
    url = reverse("grades:entry_evaluation", args=[school.control.pk])
    assert client.get(url).context["form"]["title"].value() == "Contrôle 1"

    response = client.post(
        url,
        form_data(
            school,
            title="Contrôle 1 bis",
            scale="20",
            coefficient="3",
            kind=EvaluationKind.NORMAL,
            bring_to_20="on",
            published_on=(today() + timedelta(days=2)).isoformat(),
        ),
    )

    assert response.status_code == 302
    school.control.refresh_from_db()
    assert school.control.title == "Contrôle 1 bis"
    assert school.control.coefficient == 3
    assert school.control.published_on == today() + timedelta(days=2)


def test_a_teacher_cannot_change_an_evaluation_of_a_sealed_period(client, school):
    PeriodSeal.objects.create(division=school.b4, period=school.period)
    log_in(client, school.teacher)

    response = client.post(
        reverse("grades:entry_evaluation", args=[school.control.pk]),
        form_data(school, title="Changé"),
    )

    assert response.status_code == 400
    assert "seule la direction peut modifier ce devoir" in text(response)
    school.control.refresh_from_db()
    assert school.control.title == "Contrôle 1"


def test_an_evaluation_without_marks_is_deleted(client, school):
    log_in(client, school.teacher)
    url = reverse("grades:entry_evaluation_delete", args=[school.quiz.pk])
    assert client.get(url).status_code == 200

    response = client.post(url)

    assert response.status_code == 302
    assert not Evaluation.objects.filter(pk=school.quiz.pk).exists()


def test_an_evaluation_with_marks_is_kept_with_the_reason(client, school):
    mark(school.control, school.emma, "12")
    log_in(client, school.teacher)

    response = client.post(reverse("grades:entry_evaluation_delete", args=[school.control.pk]))

    assert response.status_code == 400
    assert "Ce devoir a des notes" in text(response)
    assert Evaluation.objects.filter(pk=school.control.pk).exists()


def test_another_teacher_cannot_create_change_or_delete(client, school):
    log_in(client, school.other_teacher)

    assert client.post(new_url(school), form_data(school)).status_code == 404
    assert (
        client.post(
            reverse("grades:entry_evaluation", args=[school.control.pk]), form_data(school)
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("grades:entry_evaluation_delete", args=[school.quiz.pk])).status_code
        == 404
    )
    assert Evaluation.objects.filter(service=school.maths).count() == 2


# -- Sub-subjects -----------------------------------------------------------------------


def sub_url(school) -> str:
    return reverse("grades:entry_sub_subjects", args=[school.maths.pk, school.period.pk])


def test_a_teacher_adds_sub_subjects(client, school):
    log_in(client, school.teacher)

    response = client.post(sub_url(school), {"label": "Oral", "code": "oral", "coefficient": "0,5"})

    assert response.status_code == 302
    oral = SubSubject.objects.get(service=school.maths)
    assert (oral.code, oral.label, str(oral.coefficient)) == ("ORAL", "Oral", "0.50")
    page = client.get(sub_url(school))
    assert "Oral" in text(page)
    assert "0,5" in text(page)


def test_a_sub_subject_code_is_unique_in_the_service(client, school):
    services.sub_subject_create(actor=None, service=school.maths, code="ORAL", label="Oral")
    log_in(client, school.teacher)

    response = client.post(sub_url(school), {"label": "Oral 2", "code": "oral", "coefficient": "1"})

    assert response.status_code == 400
    assert response.context["form"].errors
    assert SubSubject.objects.filter(service=school.maths).count() == 1


# -- History ----------------------------------------------------------------------------


def test_the_history_shows_who_changed_what_and_when(client, school):
    services.mark_set(
        actor=school.teacher,
        evaluation=school.control,
        pupil=school.emma,
        text="12",
        expected_version=0,
    )
    services.mark_set(
        actor=school.direction,
        evaluation=school.control,
        pupil=school.emma,
        text="13,5",
        expected_version=1,
    )
    services.mark_set(
        actor=school.teacher,
        evaluation=school.control,
        pupil=school.pupils[1],
        text="abs",
        expected_version=0,
    )
    log_in(client, school.teacher)
    url = reverse("grades:entry_history", args=[school.control.pk])

    everything = client.get(url)
    one = client.get(url, {"eleve": school.emma.pk})

    assert everything.status_code == 200
    assert [(r["before"], r["after"]) for r in everything.context["rows"]] == [
        ("", "ABS"),
        ("12", "13,5"),
        ("", "12"),
    ]
    assert [(r["before"], r["after"]) for r in one.context["rows"]] == [("12", "13,5"), ("", "12")]
    assert [r["change"].actor for r in one.context["rows"]] == [
        school.direction.person,
        school.teacher.person,
    ]
    assert "PROVISEUR" in text(one)


def test_the_history_of_a_pupil_outside_the_evaluation_is_a_404(client, school):
    log_in(client, school.teacher)

    response = client.get(
        reverse("grades:entry_history", args=[school.control.pk]), {"eleve": school.dumas.pk}
    )

    assert response.status_code == 404
