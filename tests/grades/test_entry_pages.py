"""The teacher's entry of marks: the services page, the grid (pupils × evaluations with
the engine's averages), who may open it (anybody else gets a 404), a sealed period
read-only for teachers, and a fixed number of queries whatever the class size."""

import html
import logging
from datetime import timedelta

import pytest
from django.urls import reverse

from preau.core.models import RoleKind
from preau.grades import services
from preau.grades.models import PeriodSeal
from tests.conftest import log_in
from tests.factories import (
    DivisionFactory,
    GroupFactory,
    GroupMembershipFactory,
    division_service,
    grading_period,
    group_service,
    mark,
    pupil_in,
    staff_account,
)
from tests.grades.test_entry_support import School

pytestmark = pytest.mark.django_db

ENTRY = reverse("grades:entry")


@pytest.fixture
def school():
    return School()


def text(response) -> str:
    return html.unescape(response.content.decode())


def inputs(response) -> dict:
    """The grid's cells as (evaluation id, pupil id) → (value shown, version)."""
    return {
        (cell["evaluation"].pk, row["pupil"].pk): (cell["text"], cell["version"])
        for row in response.context["rows"]
        for cell in row["cells"]
    }


# -- The services page ------------------------------------------------------------------


def test_a_teacher_lists_her_services_with_their_periods(client, school):
    log_in(client, school.teacher)

    response = client.get(ENTRY)

    assert response.status_code == 200
    services_shown = [row["service"] for row in response.context["mine"]]
    assert services_shown == [school.maths]
    periods = response.context["mine"][0]["periods"]
    assert [item["period"] for item in periods] == [school.period]
    assert periods[0]["current"]
    assert school.grid_url() in text(response)


def test_the_direction_picks_a_division_and_sees_its_services(client, school):
    log_in(client, school.direction)

    response = client.get(ENTRY, {"classe": school.a4.pk})

    assert response.status_code == 200
    assert [row["service"] for row in response.context["others"]] == [school.maths_4a]
    assert "M. Klein" in text(response) or "KLEIN" in text(response)


def test_the_services_page_is_for_teachers_and_direction(client, school):
    log_in(client, school.cpe)
    assert client.get(ENTRY).status_code == 404


def test_the_service_link_opens_the_current_period(client, school):
    log_in(client, school.teacher)

    response = client.get(reverse("grades:entry_service", args=[school.maths.pk]))

    assert response.status_code == 302
    assert response.url == school.grid_url()


# -- The grid ---------------------------------------------------------------------------


def test_the_grid_shows_pupils_evaluations_marks_and_the_engines_averages(client, school):
    emma, second, third = school.pupils
    mark(school.control, emma, "15")
    mark(school.quiz, emma, "8")
    mark(school.control, second, "12,5")
    mark(school.quiz, second, "ABS")
    log_in(client, school.teacher)

    response = client.get(school.grid_url())

    assert response.status_code == 200
    assert [row["pupil"] for row in response.context["rows"]] == school.pupils
    assert [column["evaluation"] for column in response.context["columns"]] == [
        school.control,
        school.quiz,
    ]
    cells = inputs(response)
    assert cells[(school.control.pk, emma.pk)] == ("15", 1)
    assert cells[(school.control.pk, second.pk)] == ("12,5", 1)
    assert cells[(school.quiz.pk, second.pk)] == ("ABS", 1)
    assert cells[(school.quiz.pk, third.pk)] == ("", 0)
    averages = {row["pupil"]: row["average"] for row in response.context["rows"]}
    # Emma: (2·15 + 1·16) / 3; the second pupil: 12,5 alone (ABS not counted).
    assert averages == {emma: "15,33", second: "12,50", third: "—"}
    means = {column["evaluation"]: column["mean"] for column in response.context["columns"]}
    assert means == {school.control: "13,75", school.quiz: "8,00"}
    assert response.context["mean"] == "13,92"
    content = text(response)
    assert "sur 20" in content
    assert "coef. 2" in content
    assert "sur 10" in content
    assert f'aria-label="{emma.sort_name}, Contrôle 1"' in content
    assert "grades/grid.js" in content


def test_the_averages_follow_the_establishments_rounding(client, school):
    services.policy_update(
        actor=None, establishment_id=school.establishment.pk, rounding_step="0.5"
    )
    mark(school.control, school.emma, "15")
    mark(school.quiz, school.emma, "8")
    log_in(client, school.teacher)

    response = client.get(school.grid_url())

    assert response.context["rows"][0]["average"] == "15,5"


def test_a_group_service_lists_the_groups_pupils(client, school):
    group = GroupFactory(school_year=school.year, name="Latin")
    GroupMembershipFactory(group=group, pupil=school.emma)
    GroupMembershipFactory(group=group, pupil=school.dumas)
    group.divisions.set([school.b4])
    latin = group_service(group, school.teacher.person)
    log_in(client, school.teacher)

    response = client.get(reverse("grades:entry_grid", args=[latin.pk, school.period.pk]))

    assert response.status_code == 200
    pupils = [row["pupil"] for row in response.context["rows"]]
    assert school.emma in pupils
    assert school.dumas in pupils


def test_a_grid_without_evaluation_invites_to_create_one(client, school):
    empty = division_service(school.b4, school.teacher.person)
    log_in(client, school.teacher)

    response = client.get(reverse("grades:entry_grid", args=[empty.pk, school.period.pk]))

    assert response.status_code == 200
    assert "Aucun devoir dans cette période." in text(response)
    assert 'id="grade-grid"' not in text(response)


def test_the_period_picker_lists_the_divisions_periods(client, school):
    second = grading_period(
        school.year,
        number=2,
        start_date=school.year.end_date - timedelta(days=10),
        end_date=school.year.end_date,
        label="Trimestre 2",
    )
    other_scheme = grading_period(school.year, number=1, scheme="semesters", label="Semestre 1")
    log_in(client, school.teacher)

    response = client.get(school.grid_url())

    assert [item["period"] for item in response.context["periods"]] == [school.period, second]
    assert (
        client.get(
            reverse("grades:entry_grid", args=[school.maths.pk, other_scheme.pk])
        ).status_code
        == 404
    )


# -- Who may open it --------------------------------------------------------------------


def test_another_teacher_gets_a_404_logged(client, school, caplog):
    log_in(client, school.other_teacher)

    with caplog.at_level(logging.INFO, logger="preau.access"):
        response = client.get(school.grid_url())

    assert response.status_code == 404
    assert client.get(reverse("grades:entry_history", args=[school.control.pk])).status_code == 404
    assert (
        client.get(reverse("grades:entry_evaluation", args=[school.control.pk])).status_code == 404
    )


def test_a_pupil_gets_a_404(client, school):
    log_in(client, school.emma.account)

    assert client.get(school.grid_url()).status_code == 404
    assert client.get(ENTRY).status_code == 404


def test_the_direction_opens_any_service_of_its_establishment(client, school):
    log_in(client, school.direction)

    response = client.get(school.grid_url(school.maths_4a))

    assert response.status_code == 200
    assert [row["pupil"] for row in response.context["rows"]] == [school.dumas]


def test_the_direction_of_another_establishment_gets_a_404(client, school):
    elsewhere = DivisionFactory()
    direction = staff_account(elsewhere.establishment, RoleKind.DIRECTION)
    log_in(client, direction)

    assert client.get(school.grid_url()).status_code == 404


def test_a_co_teacher_opens_the_shared_service(client, school):
    school.maths.teachers.add(school.other_teacher.person)
    log_in(client, school.other_teacher)

    assert client.get(school.grid_url()).status_code == 200


# -- A sealed period --------------------------------------------------------------------


def test_a_sealed_period_is_read_only_for_the_teacher_with_the_reason(client, school):
    mark(school.control, school.emma, "15")
    services.period_seal(actor=None, division=school.b4, period=school.period)
    log_in(client, school.teacher)

    response = client.get(school.grid_url())

    assert response.status_code == 200
    assert response.context["readonly"]
    content = text(response)
    assert "est close : les notes ne peuvent plus être modifiées que par la direction" in content
    assert content.count(" readonly>") == len(school.pupils) * 2
    assert "Nouveau devoir" not in content


def test_the_direction_can_still_correct_a_sealed_period(client, school):
    PeriodSeal.objects.create(division=school.b4, period=school.period)
    log_in(client, school.direction)

    response = client.get(school.grid_url())

    assert not response.context["readonly"]
    assert "vous pouvez encore corriger une note" in text(response)
    assert " readonly>" not in text(response)


# -- Queries ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [5, 30])
def test_the_grid_takes_a_fixed_number_of_queries(client, size, django_assert_num_queries):
    school = School(pupils=size)
    for pupil in school.pupils:
        mark(school.control, pupil, "12")
        mark(school.quiz, pupil, "ABS")
    log_in(client, school.teacher)
    client.get(school.grid_url())

    with django_assert_num_queries(15):
        response = client.get(school.grid_url())

    assert len(response.context["rows"]) == size


@pytest.mark.parametrize("size", [5, 30])
def test_the_services_page_takes_a_fixed_number_of_queries(client, size, django_assert_num_queries):
    school = School(pupils=size)
    for _ in range(size // 5):
        division_service(DivisionFactory(school_year=school.year), school.teacher.person)
    log_in(client, school.teacher)
    client.get(ENTRY)

    with django_assert_num_queries(9):
        client.get(ENTRY)


def test_a_pupil_who_joined_another_division_is_not_in_the_grid(client, school):
    newcomer = pupil_in(school.a4)
    log_in(client, school.teacher)

    response = client.get(school.grid_url())

    assert newcomer not in [row["pupil"] for row in response.context["rows"]]
