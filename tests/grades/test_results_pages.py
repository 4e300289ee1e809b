"""The "Résultats" page: who may open it and which divisions they see, the figures it
shows (the engine's), its four views, and its fixed number of queries."""

import html
from decimal import Decimal
from fractions import Fraction

import pytest

from preau.core.models import RoleKind
from preau.grades import engine
from preau.grades.models import GradesPolicy
from tests.conftest import log_in
from tests.factories import RoleFactory, mark, pupil_in
from tests.grades.test_results_school import ResultsSchool, results_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return ResultsSchool()


def text(response) -> str:
    return html.unescape(response.content.decode())


# -- Who may open it --------------------------------------------------------------------------


def test_the_direction_sees_every_division_of_the_establishment(client, school):
    log_in(client, school.direction)

    response = client.get(results_url())

    assert response.status_code == 200
    assert {d.name for d in response.context["choice"].divisions} == {"3A", "3B", "4A"}
    for division in (school.a3, school.b3, school.a4):
        assert client.get(results_url(classe=division.pk)).status_code == 200


def test_a_teacher_sees_only_the_divisions_they_teach(client, school):
    log_in(client, school.roux)

    response = client.get(results_url())

    assert [d.name for d in response.context["choice"].divisions] == ["3A"]
    assert response.context["choice"].division == school.a3
    assert client.get(results_url(classe=school.b3.pk)).status_code == 404
    assert client.get(results_url(classe=school.a4.pk)).status_code == 404


def test_a_head_teacher_sees_the_division_they_head(client, school):
    school.a4.head_teachers.add(school.roux.person)
    log_in(client, school.roux)

    response = client.get(results_url(classe=school.a4.pk))

    assert response.status_code == 200
    assert {d.name for d in response.context["choice"].divisions} == {"3A", "4A"}


def test_a_teacher_of_another_establishment_gets_404(client, school):
    log_in(client, school.stranger)

    assert client.get(results_url(classe=school.a3.pk)).status_code == 404
    response = client.get(results_url())
    assert [d.pk for d in response.context["choice"].divisions] == [school.lycee.pk]


@pytest.mark.parametrize("who", ["parent", "cpe"])
def test_families_and_the_vie_scolaire_get_404(client, school, who):
    log_in(client, getattr(school, who))

    assert client.get(results_url()).status_code == 404
    assert client.get(results_url(classe=school.a3.pk)).status_code == 404


def test_a_teacher_who_is_also_cpe_sees_only_the_divisions_they_teach(client, school):
    RoleFactory(person=school.roux.person, establishment=school.establishment, kind=RoleKind.CPE)
    log_in(client, school.roux)

    response = client.get(results_url())

    assert [d.name for d in response.context["choice"].divisions] == ["3A"]
    assert client.get(results_url(classe=school.b3.pk)).status_code == 404


def test_a_service_of_another_division_is_refused(client, school):
    log_in(client, school.petit)

    response = client.get(results_url(classe=school.a3.pk, matiere=school.maths_b.pk))

    assert response.status_code == 404


# -- The figures are the engine's ----------------------------------------------------------


def engine_average(entries) -> Fraction:
    return engine.subject_average([(e.as_engine(), m.as_engine()) for e, m in entries]).value


def test_subject_and_general_figures_are_the_engines(client, school):
    school.worked_case()
    log_in(client, school.direction)

    response = client.get(results_url(classe=school.a3.pk, periode=school.t1.pk))

    found = response.context["found"]
    rows = {row.label: row for row in found.subjects}
    marks = (
        {m.pupil_id: m for m in school.d1.marks.all()},
        {m.pupil_id: m for m in school.d2.marks.all()},
    )
    maths = {
        pupil.pk: engine_average(
            [(ev, by[pupil.pk]) for ev, by in zip((school.d1, school.d2), marks, strict=True)]
        )
        for pupil in (school.alice, school.bruno, school.chloe)
    }
    assert maths == {
        school.alice.pk: Fraction(32, 3),
        school.bruno.pk: Fraction(16, 3),
        school.chloe.pk: Fraction(16),
    }
    assert rows["Maths"].figures == engine.Figures.of(maths.values())
    assert rows["Français"].figures == engine.Figures.of([9, 14, 11])
    french = {school.alice.pk: 9, school.bruno.pk: 14, school.chloe.pk: 11}
    generals = [
        engine.general_average(
            [engine.Line("m", Fraction(3), maths[p]), engine.Line("f", Fraction(1), french[p])]
        ).value
        for p in maths
    ]
    assert found.general == engine.Figures.of(generals)
    assert found.general.mean == Fraction(65, 6)
    content = text(response)
    assert "10,67" in content  # maths class mean
    assert "10,83" in content  # general class mean


def test_the_policy_rounds_what_the_page_shows(client, school):
    school.worked_case()
    GradesPolicy.objects.create(establishment=school.establishment, rounding_step="0.5")
    log_in(client, school.direction)

    response = client.get(results_url(classe=school.a3.pk))

    subjects = {item["row"].label: item for item in response.context["subjects"]}
    assert subjects["Maths"]["figures"].mean == "10,5"
    assert subjects["Maths"]["figures"].low == "5,5"
    assert response.context["general"].mean == "11,0"


def test_the_evaluations_of_a_subject_with_their_distribution(client, school):
    school.worked_case()
    log_in(client, school.roux)

    response = client.get(results_url(classe=school.a3.pk, matiere=school.maths.pk))

    items = {item["row"].evaluation.title: item for item in response.context["evaluations"]}
    d2 = items["Devoir 2"]
    # On its scale /10: 5, 0 (ABS0), 8; brought to /20: 10, 0, 16.
    assert d2["row"].figures == engine.Figures.of([Fraction(5), Fraction(0), Fraction(8)])
    assert d2["on_20"].mean == "8,67"
    assert [b.count for b in d2["row"].bins] == [1, 0, 0, 1, 0, 0, 1]
    d1 = items["Devoir 1"]
    assert d1["row"].counted == 2  # ABS does not count
    assert [b.count for b in d1["row"].bins] == [0, 0, 0, 0, 1, 0, 1]
    content = text(response)
    assert 'role="img"' in content
    assert "Devoirs de Maths" in content


def test_the_subject_distribution_counts_the_pupils_averages(client, school):
    school.worked_case()
    log_in(client, school.direction)

    response = client.get(results_url(classe=school.a3.pk))

    rows = {row.label: row for row in response.context["found"].subjects}
    # 10.67, 5.33, 16
    assert [b.count for b in rows["Maths"].bins] == [0, 1, 0, 1, 0, 0, 1]
    # 10.25, 7.5, 14.75
    assert [b.count for b in response.context["found"].general_bins] == [0, 1, 0, 1, 0, 1, 0]


# -- The other views ----------------------------------------------------------------------------


def test_the_comparison_puts_the_divisions_of_the_level_side_by_side(client, school):
    school.worked_case()
    ev = school.evaluation(school.maths_b)
    other = pupil_in(school.b3)
    pupil_in(school.b3)
    mark(ev, other, "18")
    log_in(client, school.direction)

    response = client.get(results_url(classe=school.a3.pk, vue="comparaison"))

    comparison = response.context["comparison"]
    assert [d.name for d in comparison.divisions] == ["3A", "3B"]
    rows = {row.label: row for row in comparison.rows}
    assert [cell.mean for cell in rows["Maths"].cells] == [Fraction(32, 3), Fraction(18)]
    assert [cell.count for cell in rows["Maths"].cells] == [3, 1]
    assert "4A" not in text(response).split("comparison-title")[1]


def test_a_teacher_compares_only_the_divisions_they_see(client, school):
    log_in(client, school.roux)

    response = client.get(results_url(classe=school.a3.pk, vue="comparaison"))

    assert [d.name for d in response.context["comparison"].divisions] == ["3A"]


def test_the_evolution_shows_each_period(client, school):
    school.worked_case()
    t2 = school.evaluation(school.maths, period=school.t2)
    school.marks(t2, alice="20", bruno="10")
    log_in(client, school.direction)

    response = client.get(results_url(classe=school.a3.pk, vue="evolution"))

    evolution = response.context["evolution"]
    assert [p.label for p in evolution.periods] == ["Trimestre 1", "Trimestre 2"]
    rows = {row.label: row for row in evolution.rows}
    assert rows["Maths"].means == [Fraction(32, 3), Fraction(15)]
    assert rows["Français"].means == [Fraction(34, 3), None]
    cells = {row["label"]: row["cells"] for row in response.context["evolution_rows"]}
    assert cells["Maths"] == ["10,67", "15,00"]
    assert cells["Français"] == ["11,33", "—"]
    lines = {row["label"]: row["line"] for row in response.context["evolution_rows"]}
    assert len(lines["Maths"].dots) == 2
    assert len(lines["Français"].dots) == 1
    assert all(isinstance(y, float) for _x, y in lines["Maths"].dots)
    assert "/" not in lines["Maths"].points


def test_pupils_in_difficulty_below_the_threshold_or_dropping(client, school):
    school.worked_case()
    # T2: Alice 10.25 → 9 (below 10, down 1.25), Bruno 7.5 → 11, Chloé 14.75 → 12 (down 2.75).
    maths = school.evaluation(school.maths, period=school.t2)
    school.marks(maths, alice="9", bruno="11", chloe="12")
    french = school.evaluation(school.french, period=school.t2)
    school.marks(french, alice="9", bruno="11", chloe="12")
    log_in(client, school.direction)

    response = client.get(results_url(classe=school.a3.pk, periode=school.t2.pk, vue="difficulte"))

    rows = {row["item"].pupil.first_name: row for row in response.context["difficulties"]}
    assert set(rows) == {"Alice", "Chloé"}
    assert rows["Alice"]["item"].below
    assert not rows["Alice"]["item"].dropped
    assert rows["Chloé"]["item"].dropped
    assert not rows["Chloé"]["item"].below
    assert rows["Chloé"]["general"] == "12,00"
    assert rows["Chloé"]["previous"] == "14,75"
    assert rows["Chloé"]["change"] == "−2,75"
    assert rows["Alice"]["weak"] == ["Français (9,00)", "Maths (9,00)"]

    higher = client.get(
        results_url(classe=school.a3.pk, periode=school.t2.pk, vue="difficulte", seuil="11,5")
    )
    names = {row["item"].pupil.first_name for row in higher.context["difficulties"]}
    assert names == {"Alice", "Bruno", "Chloé"}


def test_an_unreadable_threshold_falls_back_to_ten(client, school):
    school.worked_case()
    log_in(client, school.direction)

    response = client.get(results_url(classe=school.a3.pk, vue="difficulte", seuil="abc"))

    assert response.context["threshold"] == 10
    assert response.context["threshold_error"]
    assert [row["item"].pupil.first_name for row in response.context["difficulties"]] == ["Bruno"]


def test_a_division_without_marks_shows_dashes(client, school):
    log_in(client, school.direction)

    response = client.get(results_url(classe=school.a4.pk))

    assert response.status_code == 200
    assert response.context["general"].mean == "—"


# -- Queries ----------------------------------------------------------------------------------

CLASS_VIEW_QUERIES = 18
DIFFICULTY_VIEW_QUERIES = 22


def fill(school, count: int):
    pupils = [pupil_in(school.a3) for _ in range(count)]
    for service in (school.maths, school.french):
        for number in range(2):
            ev = school.evaluation(service, scale=Decimal(20))
            for index, pupil in enumerate(pupils):
                mark(ev, pupil, str((index * 3 + number) % 21))


@pytest.mark.parametrize("count", [5, 30])
def test_the_class_view_has_a_fixed_number_of_queries(
    client, school, count, django_assert_num_queries
):
    fill(school, count)
    log_in(client, school.roux)
    url = results_url(classe=school.a3.pk, matiere=school.maths.pk)
    client.get(url)

    with django_assert_num_queries(CLASS_VIEW_QUERIES):
        response = client.get(url)

    assert len(response.context["found"].book.pupils) == count + 3


@pytest.mark.parametrize("count", [5, 30])
def test_the_difficulty_view_has_a_fixed_number_of_queries(
    client, school, count, django_assert_num_queries
):
    fill(school, count)
    log_in(client, school.direction)
    url = results_url(classe=school.a3.pk, periode=school.t2.pk, vue="difficulte")
    client.get(url)

    with django_assert_num_queries(DIFFICULTY_VIEW_QUERIES):
        client.get(url)
