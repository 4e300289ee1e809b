"""Switching between spaces (an establishment's staff space, the family space, a pupil's
space) and between children, without signing in again."""

import pytest
from django.urls import reverse

from preau.core.models import RoleKind
from preau.portal.middleware import CHILD_SESSION_KEY, SPACE_SESSION_KEY
from tests.conftest import log_in
from tests.factories import (
    DivisionFactory,
    GuardianshipFactory,
    RoleFactory,
    guardian_account,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db

HOME = reverse("portal:home")
SWITCH_SPACE = reverse("portal:switch_space")
SWITCH_CHILD = reverse("portal:switch_child")


@pytest.fixture
def teacher_and_parent():
    """A teacher of the collège, also teaching in the lycée, whose child is at the lycée."""
    college, lycee = DivisionFactory(), DivisionFactory()
    account = staff_account(college.establishment, RoleKind.TEACHER)
    RoleFactory(person=account.person, establishment=lycee.establishment, kind=RoleKind.TEACHER)
    child = pupil_in(lycee)
    GuardianshipFactory(guardian=account.person, pupil=child)
    return account, college.establishment, lycee.establishment, child


def space_keys(response) -> list[str]:
    return [space.key for space in response.context["spaces"]]


def test_a_person_with_several_roles_has_one_space_per_establishment_and_the_family(
    client, teacher_and_parent
):
    account, college, lycee, _ = teacher_and_parent
    log_in(client, account)
    response = client.get(HOME)
    assert sorted(space_keys(response)) == sorted(
        [f"staff:{college.uai}", f"staff:{lycee.uai}", "family"]
    )
    # Staff spaces come first.
    assert response.context["space"].kind == "staff"
    assert 'id="space-switcher"' in response.content.decode()


def test_switching_to_the_family_space_shows_the_family_home(client, teacher_and_parent):
    account, _, _, child = teacher_and_parent
    log_in(client, account)
    response = client.post(SWITCH_SPACE, {"space": "family", "next": "/notes/"})
    assert response.status_code == 302
    assert response["Location"] == HOME  # each space opens on its home page
    home = client.get(HOME)
    assert home.context["space"].key == "family"
    assert child.display_name in home.content.decode()


def test_switching_between_establishments_changes_the_menu_and_the_home(client, teacher_and_parent):
    account, college, lycee, _ = teacher_and_parent
    log_in(client, account)
    client.post(SWITCH_SPACE, {"space": f"staff:{lycee.uai}"})
    assert client.get(HOME).context["space"].establishment_id == lycee.pk
    client.post(SWITCH_SPACE, {"space": f"staff:{college.uai}"})
    assert client.get(HOME).context["space"].establishment_id == college.pk


@pytest.mark.parametrize("key", ["staff:0000000X", "pupil:whatever", "region", "", "family "])
def test_an_unknown_space_is_ignored(client, teacher_and_parent, key):
    account, college, _, _ = teacher_and_parent
    log_in(client, account)
    response = client.post(SWITCH_SPACE, {"space": key, "next": "/a-propos/"})
    assert response.status_code == 302
    assert response["Location"] == "/a-propos/"
    assert SPACE_SESSION_KEY not in client.session
    assert client.get(HOME).context["space"].key == f"staff:{college.uai}"


def test_the_space_of_another_establishment_cannot_be_entered(client, teacher_and_parent):
    account, _, _, _ = teacher_and_parent
    stranger = DivisionFactory().establishment
    log_in(client, account)
    client.post(SWITCH_SPACE, {"space": f"staff:{stranger.uai}"})
    assert client.get(HOME).context["space"].establishment_id != stranger.pk


def test_switchers_only_take_posts_from_signed_in_people(client):
    assert client.get(SWITCH_SPACE).status_code == 405
    response = client.post(SWITCH_SPACE, {"space": "family"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    response = client.post(SWITCH_CHILD, {"child": "1"})
    assert response["Location"].startswith(reverse("accounts:login"))


# -- Children -----------------------------------------------------------------------------


@pytest.fixture
def parent_of_two():
    elder, younger = pupil_in(DivisionFactory()), pupil_in(DivisionFactory())
    return guardian_account(elder, younger), elder, younger


def followed_child(client):
    return client.get(reverse("grades:latest")).context["child"]


def test_a_guardian_switches_to_another_child_and_stays_on_the_same_page(client, parent_of_two):
    account, elder, younger = parent_of_two
    log_in(client, account)
    first = followed_child(client)

    other = younger if first.id == elder.pk else elder
    response = client.post(SWITCH_CHILD, {"child": str(other.pk), "next": "/notes/"})

    assert response["Location"] == "/notes/"
    assert followed_child(client).id == other.pk
    content = client.get(reverse("homework:todo")).content.decode()
    assert f'<p class="lead">{other.display_name}</p>' in content


def test_the_child_switcher_only_accepts_ones_own_children(client, parent_of_two):
    account, _, _ = parent_of_two
    strangers_child = pupil_in(DivisionFactory())
    log_in(client, account)
    before = followed_child(client)
    for wanted in [str(strangers_child.pk), "abc", "", "-1"]:
        client.post(SWITCH_CHILD, {"child": wanted})
        assert followed_child(client) == before
    assert client.session.get(CHILD_SESSION_KEY) is None


def test_switching_child_never_redirects_to_another_site(client, parent_of_two):
    account, elder, _ = parent_of_two
    log_in(client, account)
    response = client.post(SWITCH_CHILD, {"child": str(elder.pk), "next": "https://evil.example/"})
    assert response["Location"] == HOME


def test_switching_child_from_a_staff_space_enters_the_family_space(client, teacher_and_parent):
    account, _, _, child = teacher_and_parent
    log_in(client, account)
    client.post(SWITCH_CHILD, {"child": str(child.pk)})
    assert client.get(HOME).context["space"].key == "family"


def test_a_person_in_charge_of_a_pupil_gets_the_contact_menu_without_grades(client):
    """Given a grandmother recorded as "personne en charge" (level 2) of a pupil,
    when she signs in, then her family space shows timetable, homework and absences
    but no grades (access.md: no grades for levels 2 and 3 by default)."""
    child = pupil_in(DivisionFactory())
    grandmother = guardian_account(child, level=2)
    log_in(client, grandmother)
    response = client.get(HOME)
    space = response.context["space"]
    assert (space.kind, space.roles) == ("family", frozenset({"contact"}))
    assert [c.level for c in response.context["children"]] == [2]
    sections = [section.key for section in response.context["menu"]]
    assert "grades" not in sections
    assert {"timetable", "homework", "attendance"} <= set(sections)


def test_a_legal_guardian_of_one_child_and_contact_of_another_gets_the_full_menu(client):
    first, second = pupil_in(DivisionFactory()), pupil_in(DivisionFactory())
    account = guardian_account(first)
    GuardianshipFactory(guardian=account.person, pupil=second, level=3)
    log_in(client, account)
    response = client.get(HOME)
    assert response.context["space"].roles == frozenset({"guardian"})
    assert sorted(c.level for c in response.context["children"]) == [1, 3]
    assert "grades" in [section.key for section in response.context["menu"]]
