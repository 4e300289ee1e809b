"""The establishment pages of the staff space: every request is scoped, and a pupil or a
division one may not see answers 404 (no existence leak), the attempt being logged."""

import logging
import re

import pytest
from django.urls import reverse

from preau.core.models import RoleKind
from preau.core.services import external_id_set
from tests.conftest import log_in
from tests.factories import (
    AccountFactory,
    DivisionFactory,
    GroupFactory,
    GroupMembershipFactory,
    PersonFactory,
    SchoolYearFactory,
    division_service,
    group_service,
    guardian_account,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db

# Session, account, person, roles, head-teacher divisions, children; then the page's own.
# My services: services and their teachers.
MY_SERVICES_QUERIES = 8
# Pupils: count, page, current divisions.
PUPILS_QUERIES = 9


class College:
    """A collège where a teacher teaches maths to 3A and Latin to a group; 3B is taught
    by somebody else; the lycée next door has its own pupil."""

    def __init__(self):
        self.year = SchoolYearFactory()
        self.establishment = self.year.establishment
        self.a3 = DivisionFactory(school_year=self.year, name="3A")
        self.b3 = DivisionFactory(school_year=self.year, name="3B")
        self.teacher = staff_account(self.establishment, RoleKind.TEACHER)
        division_service(self.a3, self.teacher.person)
        division_service(self.b3, PersonFactory())
        self.mine = pupil_in(self.a3, last_name="Dumas")
        self.latinist = pupil_in(self.b3, last_name="Latour")
        latin = GroupFactory(school_year=self.year, name="LAT")
        GroupMembershipFactory(pupil=self.latinist, group=latin)
        group_service(latin, self.teacher.person)
        self.not_mine = pupil_in(self.b3, last_name="Berger")
        self.guardian = guardian_account(self.mine)
        self.guardian.person.mobile_phone = "06 12 34 56 78"
        self.guardian.person.save()
        external_id_set(
            actor=None,
            person=self.mine,
            source="ine",
            value="070123456AB",
            establishment=self.establishment,
        )
        self.lycee_pupil = pupil_in(DivisionFactory(), last_name="Lycée")


@pytest.fixture
def college():
    return College()


def without_tokens(response) -> str:
    """The page without its CSRF tokens, which differ on every response."""
    content = response.content.decode()
    content = re.sub(r'"X-CSRFToken": "[^"]*"', "", content)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", content)


def pupil_page(pupil):
    return reverse("structure:pupil", args=[pupil.pk])


def test_a_teacher_opens_the_file_of_a_pupil_they_teach(client, college):
    log_in(client, college.teacher)
    response = client.get(pupil_page(college.mine))
    assert response.status_code == 200
    content = response.content.decode()
    assert college.mine.display_name in content
    assert college.guardian.person.formal_name in content
    # Contact details and national identifiers are for the vie scolaire and the office.
    assert "06 12 34 56 78" not in content
    assert "070123456AB" not in content


def test_a_pupil_outside_ones_scope_answers_404_and_is_logged(client, college, caplog):
    log_in(client, college.teacher)
    with caplog.at_level(logging.INFO, logger="preau.access"):
        response = client.get(pupil_page(college.not_mine))
    assert response.status_code == 404
    assert college.not_mine.last_name not in response.content.decode()
    assert f"refused pupil {college.not_mine.pk} to account {college.teacher.pk}" in caplog.text


def test_an_unknown_pupil_and_a_forbidden_one_answer_the_same(client, college):
    log_in(client, college.teacher)
    forbidden = client.get(pupil_page(college.not_mine))
    missing = client.get(reverse("structure:pupil", args=[999_999]))
    assert forbidden.status_code == missing.status_code == 404
    assert without_tokens(forbidden) == without_tokens(missing)


@pytest.mark.parametrize("kind", [RoleKind.DIRECTION, RoleKind.SECRETARIAT])
def test_the_office_sees_every_pupil_with_contacts_and_identifiers(client, college, kind):
    log_in(client, staff_account(college.establishment, kind))
    content = client.get(pupil_page(college.mine)).content.decode()
    assert "06 12 34 56 78" in content
    assert "070123456AB" in content
    assert client.get(pupil_page(college.not_mine)).status_code == 200


def test_the_vie_scolaire_sees_contacts_but_not_identifiers(client, college):
    log_in(client, staff_account(college.establishment, RoleKind.CPE))
    content = client.get(pupil_page(college.mine)).content.decode()
    assert "06 12 34 56 78" in content
    assert "070123456AB" not in content


def test_the_direction_of_one_establishment_sees_no_pupil_of_another(client, college):
    log_in(client, staff_account(college.establishment, RoleKind.DIRECTION))
    assert client.get(pupil_page(college.lycee_pupil)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        reverse("structure:pupils"),
        reverse("structure:divisions"),
        reverse("structure:my_services"),
        reverse("structure:staff"),
        reverse("core:calendar"),
    ],
)
def test_staff_pages_answer_404_to_families(client, college, path):
    log_in(client, college.guardian)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (reverse("structure:staff"), False),
        (reverse("core:calendar"), False),
        (reverse("structure:my_services"), True),
    ],
)
def test_staff_pages_are_for_the_roles_that_need_them(client, college, path, allowed):
    log_in(client, college.teacher)
    assert client.get(path).status_code == (200 if allowed else 404)


def test_a_teacher_sees_the_divisions_they_teach_and_no_other(client, college):
    log_in(client, college.teacher)
    listing = client.get(reverse("structure:divisions")).content.decode()
    assert ">3A</a>" in listing
    # 3B holds a Latin pupil, so it is listed; its page shows that pupil only.
    detail = client.get(reverse("structure:division", args=[college.b3.pk]))
    assert detail.status_code == 200
    assert college.latinist.sort_name in detail.content.decode()
    assert college.not_mine.sort_name not in detail.content.decode()
    other = DivisionFactory(school_year=college.year, name="3C")
    pupil_in(other)
    assert client.get(reverse("structure:division", args=[other.pk])).status_code == 404


def test_the_pupils_list_of_a_teacher_is_their_pupils_and_can_be_searched(client, college):
    log_in(client, college.teacher)
    content = client.get(reverse("structure:pupils")).content.decode()
    assert college.mine.sort_name in content
    assert college.latinist.sort_name in content
    assert college.not_mine.sort_name not in content
    found = client.get(reverse("structure:pupils"), {"q": "dum"}).content.decode()
    assert college.mine.sort_name in found
    assert college.latinist.sort_name not in found


def test_the_staff_list_groups_people_by_role(client, college):
    log_in(client, staff_account(college.establishment, RoleKind.CPE, last_name="Leroy"))
    content = client.get(reverse("structure:staff")).content.decode()
    assert "Enseignant" in content
    assert college.teacher.person.formal_name in content
    assert "LEROY" in content


# -- Query counts -------------------------------------------------------------------------


def teacher_with(size: int):
    """A teacher with `size` services, each for its own division of one pupil."""
    year = SchoolYearFactory()
    teacher = staff_account(year.establishment, RoleKind.TEACHER)
    for _ in range(size):
        division = DivisionFactory(school_year=year)
        division_service(division, teacher.person, PersonFactory())
        pupil_in(division)
    return teacher


@pytest.mark.parametrize("size", [2, 20])
def test_my_services_queries_do_not_grow_with_services(client, django_assert_num_queries, size):
    log_in(client, teacher_with(size))
    client.get(reverse("structure:my_services"))
    with django_assert_num_queries(MY_SERVICES_QUERIES):
        response = client.get(reverse("structure:my_services"))
    assert response.content.decode().count('<th scope="row">') == size


@pytest.mark.parametrize("size", [2, 20])
def test_the_pupils_list_queries_do_not_grow_with_pupils(client, django_assert_num_queries, size):
    log_in(client, teacher_with(size))
    client.get(reverse("structure:pupils"))
    with django_assert_num_queries(PUPILS_QUERIES):
        response = client.get(reverse("structure:pupils"))
    assert response.content.decode().count('<th scope="row">') == size


def test_the_pupils_list_is_paginated_by_fifty(client):
    year = SchoolYearFactory()
    division = DivisionFactory(school_year=year)
    for _ in range(51):
        pupil_in(division)
    log_in(client, staff_account(year.establishment, RoleKind.CPE))
    first = client.get(reverse("structure:pupils")).content.decode()
    second = client.get(reverse("structure:pupils"), {"page": 2}).content.decode()
    assert first.count('<th scope="row">') == 50
    assert second.count('<th scope="row">') == 1
    assert "51 élèves" in first


def test_an_account_without_a_person_gets_404_on_staff_pages(client):
    log_in(client, AccountFactory(person=None))
    assert client.get(reverse("structure:pupils")).status_code == 404
