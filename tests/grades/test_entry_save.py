"""Saving the grid's cells: each cell typed or pasted goes through `marks_set` with
the version it was shown with, and comes back saved (as the school writes it),
refused in place with the reason, or in conflict with a colleague's value; a paste
of a whole column is one request; a pupil outside the service, an evaluation of
another service, a sealed period and other people are refused."""

import pytest

from preau.grades import services
from preau.grades.models import Mark, MarkChange, PeriodSeal
from tests.conftest import log_in
from tests.factories import EvaluationFactory, mark
from tests.grades.test_entry_support import School, cells_of, save

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return School(pupils=30)


def stored(evaluation) -> dict:
    return {m.pupil_id: m.text for m in Mark.objects.filter(evaluation=evaluation)}


def test_a_typed_mark_is_saved_and_answered_as_shown(client, school):
    log_in(client, school.teacher)

    response = save(client, school.save_url(), (school.control, school.emma, "15.5", 0))

    assert response.status_code == 200
    cell = cells_of(response)[(school.control.pk, school.emma.pk)]
    assert cell == {
        "evaluation": school.control.pk,
        "pupil": school.emma.pk,
        "text": "15,5",
        "version": 1,
        "error": "",
        "conflict": False,
    }
    assert stored(school.control) == {school.emma.pk: "15.5"}
    change = MarkChange.objects.get()
    assert (change.before, change.after, change.actor_id) == ("", "15.5", school.teacher.person_id)


def test_codes_are_taken_in_any_case_and_the_answer_gives_the_figures(client, school):
    log_in(client, school.teacher)

    response = save(
        client,
        school.save_url(),
        (school.control, school.emma, "abs0", 0),
        (school.quiz, school.emma, "7,5", 0),
    )

    answer = response.json()
    cells = cells_of(response)
    assert cells[(school.control.pk, school.emma.pk)]["text"] == "ABS0"
    assert cells[(school.quiz.pk, school.emma.pk)]["text"] == "7,5"
    # (2·0 + 1·15) / 3 = 5
    assert answer["averages"][str(school.emma.pk)] == "5,00"
    assert answer["means"] == {str(school.control.pk): "0,00", str(school.quiz.pk): "7,50"}
    assert answer["mean"] == "5,00"


def test_an_invalid_mark_is_refused_in_place_with_the_reason(client, school):
    mark(school.control, school.emma, "12")
    log_in(client, school.teacher)

    response = save(
        client,
        school.save_url(),
        (school.control, school.emma, "25", 1),
        (school.control, school.pupils[1], "douze", 0),
        (school.control, school.pupils[2], "14", 0),
    )

    assert response.status_code == 200
    cells = cells_of(response)
    refused = cells[(school.control.pk, school.emma.pk)]
    assert refused["error"]
    assert "20" in refused["error"]
    # The cell keeps what is saved.
    assert (refused["text"], refused["version"]) == ("12", 1)
    assert cells[(school.control.pk, school.pupils[1].pk)]["error"]
    assert cells[(school.control.pk, school.pupils[2].pk)]["error"] == ""
    assert stored(school.control) == {school.emma.pk: "12", school.pupils[2].pk: "14"}


def test_a_colleagues_change_is_not_overwritten_unseen(client, school):
    school.maths.teachers.add(school.other_teacher.person)
    # The colleague typed 14 after the page was shown empty.
    services.mark_set(
        actor=school.other_teacher,
        evaluation=school.control,
        pupil=school.emma,
        text="14",
        expected_version=0,
    )
    log_in(client, school.teacher)

    response = save(client, school.save_url(), (school.control, school.emma, "9", 0))

    cell = cells_of(response)[(school.control.pk, school.emma.pk)]
    assert cell["conflict"]
    assert (cell["text"], cell["version"]) == ("14", 1)
    assert "14" in cell["error"]
    assert stored(school.control) == {school.emma.pk: "14"}


def test_a_pasted_column_is_saved_in_one_request(client, school, django_assert_max_num_queries):
    log_in(client, school.teacher)
    column = [(school.quiz, pupil, f"{n % 10},5", 0) for n, pupil in enumerate(school.pupils)]

    response = save(client, school.save_url(), *column)

    assert response.status_code == 200
    cells = cells_of(response)
    assert len(cells) == 30
    assert all(cell["error"] == "" and cell["version"] == 1 for cell in cells.values())
    assert stored(school.quiz) == {p.pk: f"{n % 10}.5" for n, p in enumerate(school.pupils)}
    assert MarkChange.objects.filter(evaluation=school.quiz).count() == 30


def test_a_paste_across_two_evaluations_fills_both(client, school):
    log_in(client, school.teacher)

    response = save(
        client,
        school.save_url(),
        (school.control, school.emma, "11", 0),
        (school.quiz, school.emma, "6", 0),
        (school.control, school.pupils[1], "NN", 0),
        (school.quiz, school.pupils[1], "disp", 0),
    )

    assert all(cell["error"] == "" for cell in response.json()["cells"])
    assert stored(school.control) == {school.emma.pk: "11", school.pupils[1].pk: "NN"}
    assert stored(school.quiz) == {school.emma.pk: "6", school.pupils[1].pk: "DISP"}


def test_an_emptied_cell_erases_the_mark(client, school):
    mark(school.control, school.emma, "12")
    log_in(client, school.teacher)

    response = save(client, school.save_url(), (school.control, school.emma, "", 1))

    cell = cells_of(response)[(school.control.pk, school.emma.pk)]
    assert (cell["text"], cell["version"], cell["error"]) == ("", 0, "")
    assert stored(school.control) == {}


def test_a_pupil_outside_the_service_is_refused_in_place(client, school):
    log_in(client, school.teacher)

    response = save(client, school.save_url(), (school.control, school.dumas, "12", 0))

    cell = cells_of(response)[(school.control.pk, school.dumas.pk)]
    assert cell["error"] == "Cet élève ne suit pas ce service."
    assert stored(school.control) == {}


def test_an_evaluation_of_another_service_is_a_404(client, school):
    foreign = EvaluationFactory(service=school.maths_4a, period=school.period)
    log_in(client, school.teacher)

    response = save(client, school.save_url(), (foreign, school.dumas, "12", 0))

    assert response.status_code == 404
    assert stored(foreign) == {}


def test_another_teacher_cannot_save(client, school):
    log_in(client, school.other_teacher)

    response = save(client, school.save_url(), (school.control, school.emma, "12", 0))

    assert response.status_code == 404
    assert stored(school.control) == {}


def test_a_pupil_cannot_save(client, school):
    log_in(client, school.emma.account)

    response = save(client, school.save_url(), (school.control, school.emma, "20", 0))

    assert response.status_code == 404
    assert stored(school.control) == {}


def test_the_direction_saves_in_any_service(client, school):
    log_in(client, school.direction)

    response = save(client, school.save_url(), (school.control, school.emma, "13", 0))

    assert cells_of(response)[(school.control.pk, school.emma.pk)]["version"] == 1


def test_a_sealed_period_refuses_the_teacher_with_the_reason(client, school):
    PeriodSeal.objects.create(division=school.b4, period=school.period)
    log_in(client, school.teacher)

    response = save(client, school.save_url(), (school.control, school.emma, "12", 0))

    assert response.status_code == 403
    assert "seule la direction" in response.json()["error"]
    assert stored(school.control) == {}


def test_the_direction_corrects_a_sealed_period_flagged_in_the_trail(client, school):
    PeriodSeal.objects.create(division=school.b4, period=school.period)
    log_in(client, school.direction)

    response = save(client, school.save_url(), (school.control, school.emma, "12", 0))

    assert response.status_code == 200
    assert MarkChange.objects.get().after_seal


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"cells": []}', b'{"cells": [{"pupil": 1}]}', b'{"cells": "x"}'],
)
def test_a_malformed_request_is_a_400(client, school, body):
    log_in(client, school.teacher)

    response = client.post(school.save_url(), body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]


def test_saving_needs_a_post(client, school):
    log_in(client, school.teacher)

    assert client.get(school.save_url()).status_code == 405


@pytest.mark.parametrize("size", [5, 30])
def test_saving_a_cell_takes_the_same_queries_whatever_the_class_size(
    client, size, django_assert_num_queries
):
    school = School(pupils=size)
    log_in(client, school.teacher)
    save(client, school.save_url(), (school.control, school.emma, "1", 0))

    with django_assert_num_queries(24):
        save(client, school.save_url(), (school.control, school.emma, "12", 1))


def test_a_pasted_column_costs_the_queries_of_one_cell(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    school = School(pupils=30)
    log_in(client, school.teacher)
    with CaptureQueriesContext(connection) as one:
        save(client, school.save_url(), (school.control, school.emma, "12", 0))
    column = [(school.quiz, pupil, "9,5", 0) for pupil in school.pupils]
    with CaptureQueriesContext(connection) as thirty:
        response = save(client, school.save_url(), *column)

    assert len(cells_of(response)) == 30
    assert len(thirty.captured_queries) == len(one.captured_queries)
