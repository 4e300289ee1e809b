"""`GET /api/v1/pupils/{id}/grades`: a pupil's marks and averages as the pupil or a
guardian sees them on the pages — the same publication dates and parent delay, the
same averages (the engine's), and a 404 for anybody else."""

from datetime import timedelta

import pytest

from preau.core.models import Guardianship, RoleKind
from preau.core.selectors import today
from preau.grades.models import GradesPolicy
from tests.conftest import log_in
from tests.factories import (
    DivisionFactory,
    EvaluationFactory,
    division_service,
    grading_period,
    guardian_account,
    mark,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db


class Class:
    """Emma's class: maths, marks 12 (published a week ago), 16 (published yesterday:
    the guardians, two days behind, do not see it yet), 4 (published next week)."""

    def __init__(self, evaluations: int = 0):
        self.division = DivisionFactory()
        self.period = grading_period(self.division.school_year)
        GradesPolicy.objects.create(establishment=self.division.establishment, parent_delay_days=2)
        self.teacher = staff_account(self.division.establishment)
        self.maths = division_service(self.division, self.teacher.person)
        self.emma = pupil_in(self.division, account=True, first_name="Emma")
        self.hugo = pupil_in(self.division, first_name="Hugo")
        self.mother = guardian_account(self.emma)
        self.father = guardian_account(self.emma)
        self.hugo_parent = guardian_account(self.hugo)
        day = today()
        for published, emma_mark, hugo_mark in (
            (day - timedelta(days=7), "12", "8"),
            (day - timedelta(days=1), "16", "10"),
            (day + timedelta(days=7), "4", "4"),
        ):
            evaluation = EvaluationFactory(
                service=self.maths, period=self.period, date=published, published_on=published
            )
            mark(evaluation, self.emma, emma_mark)
            mark(evaluation, self.hugo, hugo_mark)
        for _ in range(evaluations):
            evaluation = EvaluationFactory(
                service=self.maths,
                period=self.period,
                date=day - timedelta(days=10),
                published_on=day - timedelta(days=10),
            )
            mark(evaluation, self.emma, "14")
            mark(evaluation, self.hugo, "14")

    def url(self, pupil=None) -> str:
        return f"/api/v1/pupils/{(pupil or self.emma).pk}/grades"


@pytest.fixture
def school():
    return Class()


def grades(client, account, url):
    client.logout()
    log_in(client, account)
    return client.get(url)


def test_the_pupil_sees_what_is_published_with_the_engines_averages(client, school):
    response = grades(client, school.emma.account, school.url())

    assert response.status_code == 200
    body = response.json()
    (maths,) = body["subjects"]
    assert [e["mark"] for e in maths["evaluations"]] == ["12", "16"]
    assert maths["average"] == {"average": "14", "exact": "14.000000"}
    assert body["general"] == {"average": "14", "exact": "14.000000"}
    # Class figures over Emma and Hugo's averages (14 and 9).
    assert maths["class_figures"] == {
        "mean": "11.500000",
        "min": "9.000000",
        "max": "14.000000",
        "count": 2,
    }
    assert body["visible_from_delay_days"] == 0


@pytest.mark.parametrize("parent", ["mother", "father"])
def test_both_guardians_see_the_same_two_days_behind(client, school, parent):
    response = grades(client, getattr(school, parent), school.url())

    body = response.json()
    (maths,) = body["subjects"]
    assert [e["mark"] for e in maths["evaluations"]] == ["12"]
    assert maths["average"]["exact"] == "12.000000"
    assert maths["evaluations"][0]["class_figures"]["mean"] == "10.000000"
    assert body["visible_from_delay_days"] == 2


def test_another_family_a_teacher_and_an_anonymous_caller_get_nothing(client, school):
    assert grades(client, school.hugo_parent, school.url()).status_code == 404
    assert grades(client, school.teacher, school.url()).status_code == 404
    client.logout()
    assert client.get(school.url()).status_code == 401


def test_an_adult_pupils_objection_hides_grades_from_that_guardian(client, school):
    from django.utils import timezone

    Guardianship.objects.filter(guardian=school.mother.person, pupil=school.emma).update(
        adult_objection_at=timezone.now()
    )

    assert grades(client, school.mother, school.url()).status_code == 404
    assert grades(client, school.father, school.url()).status_code == 200


def test_a_contact_sees_grades_only_where_the_establishment_shows_them(client, school):
    grandmother = guardian_account(school.emma, level=2)

    assert grades(client, grandmother, school.url()).status_code == 404
    GradesPolicy.objects.filter(establishment=school.division.establishment).update(
        contacts_see_grades=True
    )
    assert grades(client, grandmother, school.url()).status_code == 200


def test_a_period_of_another_division_answers_404(client, school):
    other = grading_period(DivisionFactory().school_year)

    response = grades(client, school.mother, f"{school.url()}?period={other.pk}")

    assert response.status_code == 404


@pytest.mark.parametrize("evaluations", [0, 12])
def test_the_queries_do_not_grow_with_the_marks(client, django_assert_num_queries, evaluations):
    school = Class(evaluations=evaluations)
    log_in(client, school.mother)

    with django_assert_num_queries(16):
        response = client.get(school.url())

    assert response.status_code == 200


def test_the_openapi_document_describes_the_grades_endpoint(client):
    document = client.get("/api/v1/openapi.json").json()

    assert "/api/v1/pupils/{pupil_id}/grades" in document["paths"]


def test_staff_roles_do_not_open_a_pupils_grades_through_the_api(client, school):
    direction = staff_account(school.division.establishment, RoleKind.DIRECTION)

    assert grades(client, direction, school.url()).status_code == 404
