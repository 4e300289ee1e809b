"""Every link of every role's menu leads to a page that answers, in the section the
menu says."""

import pytest
from django.urls import reverse

from preau.core.models import RoleKind
from tests.conftest import log_in
from tests.factories import (
    AccountFactory,
    DivisionFactory,
    RoleFactory,
    division_service,
    guardian_account,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db


def guardian(division):
    return guardian_account(pupil_in(division), pupil_in(DivisionFactory()))


def pupil(division):
    return pupil_in(division, account=True).account


def teacher(division):
    account = staff_account(division.establishment, RoleKind.TEACHER)
    division_service(division, account.person)
    return account


def head_teacher(division):
    account = teacher(division)
    division.head_teachers.add(account.person)
    return account


def region(division):
    account = AccountFactory()
    RoleFactory(person=account.person, establishment=None, kind=RoleKind.REGION_ADMIN)
    return account


def staff(*kinds):
    return lambda division: staff_account(division.establishment, *kinds)


ROLES = {
    "guardian": guardian,
    "pupil": pupil,
    "teacher": teacher,
    "head teacher": head_teacher,
    "cpe": staff(RoleKind.CPE),
    "education assistant": staff(RoleKind.EDUCATION_ASSISTANT),
    "direction": staff(RoleKind.DIRECTION),
    "secretariat": staff(RoleKind.SECRETARIAT),
    "teacher and direction": staff(RoleKind.TEACHER, RoleKind.DIRECTION),
    "region": region,
}


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_link_of_every_role_answers_in_its_section(client, role):
    division = DivisionFactory()
    pupil_in(division)
    log_in(client, ROLES[role](division))
    menu = client.get(reverse("portal:home")).context["menu"]
    assert menu, role

    for section in menu:
        for link in section.links:
            url = reverse(link.url_name)
            response = client.get(url)
            assert response.status_code == 200, (role, link.url_name)
            content = response.content.decode()
            # The page is shown inside the section the menu put it in.
            assert response.context["current_section"].key == section.key, link.url_name
            assert f'href="{reverse(section.url_name)}" aria-current="page"' in content
            if len(section.links) > 1:
                assert f'href="{url}" aria-current="page"' in content, link.url_name


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("teacher", "Mes classes"),
        ("head teacher", "Mes classes"),
        ("teacher and direction", "Établissement"),
        ("cpe", "Établissement"),
    ],
)
def test_the_menu_shown_names_the_section_for_the_role(client, role, expected):
    division = DivisionFactory()
    log_in(client, ROLES[role](division))
    labels = [str(section.label) for section in client.get("/").context["menu"]]
    assert expected in labels


def test_a_family_menu_has_no_administration(client):
    division = DivisionFactory()
    log_in(client, guardian(division))
    response = client.get("/")
    labels = [str(section.label) for section in response.context["menu"]]
    assert "Administration" not in labels
    assert reverse("core:calendar") not in response.content.decode()


def test_the_about_page_links_to_the_source_code_for_everybody(client, settings):
    response = client.get(reverse("portal:about"))
    assert response.status_code == 200
    assert settings.PREAU_SOURCE_URL in response.content.decode()
    assert "GNU AGPL" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        ("guardian", "grades:entry"),  # a teacher's page
        ("guardian", "portal:access"),  # the office's
        ("pupil", "attendance:justify"),  # the guardians'
        ("teacher", "attendance:justify"),
        ("teacher", "homework:review"),  # the direction's
        ("cpe", "grades:entry"),
        ("region", "messaging:inbox"),
    ],
)
def test_a_page_outside_ones_menu_does_not_exist_for_one(client, role, url_name):
    division = DivisionFactory()
    log_in(client, ROLES[role](division))
    links = {link.url_name for section in client.get("/").context["menu"] for link in section.links}
    assert url_name not in links
    assert client.get(reverse(url_name)).status_code == 404
